public import HTTP
public import IO
public import Logging

/// A small, strict HTTP/1.1 server on the event loop: keep-alive and pipelining, bounded requests,
/// timeouts for clients that never finish a request, and streamed responses (Server-Sent Events)
/// that a slow client cannot let grow without bound.
///
/// `@unchecked Sendable`: created, fed and closed on its loop only; its connection table changes there alone.
public final class HTTPServer: @unchecked Sendable {
    /// What a handler makes of a request.
    public enum Reply {
        /// A whole response.
        case response(HTTPResponse)
        /// A response that streams: `head` is sent, then `start` gets the stream to write to.
        case stream(head: [UInt8], start: (HTTPStream) -> Void)
    }

    /// The address listened on (with the port chosen, for port 0).
    public var address: SocketAddress { listener.address }
    private let listener: Listener
    private var connections: [ObjectIdentifier: ServerConnection] = [:]
    private let logger: Logger
    /// Connections accepted at most at once; further ones are answered 503 and closed.
    public let maximumConnections: Int

    /// Listens on `address` and answers each request with `handler`, on `loop`. Call on `loop`.
    ///
    /// At most `maximumConnections` are kept. When one more arrives, room is made for it: the
    /// connection idle the longest goes, else the one whose request has been coming in the longest
    /// (a slow client, or one trickling its headers to hold a place); only when every connection is
    /// streaming a response is the newcomer answered 503. So no number of idle or slow clients can
    /// shut the server (and its health checks) out. A request must be complete within
    /// `requestTimeout` of its first byte, however the bytes are spread.
    public init(
        address: SocketAddress,
        loop: EventLoop,
        logger: Logger,
        maximumConnections: Int = 512,
        requestTimeout: Duration = .seconds(10),
        handler: @escaping (HTTPRequest) -> Reply
    ) throws(IOError) {
        self.logger = logger
        self.maximumConnections = maximumConnections
        var accepted: ((Connection) -> Void)?
        listener = try Listener.listen(
            on: address,
            loop: loop,
            onAcceptPaused: { error in
                logger.warning(
                    "cannot accept HTTP connections (\(error.message)); pausing accepts, retrying every \(Listener.acceptPause)"
                )
            },
            accept: { connection in accepted?(connection) }
        )
        accepted = { [unowned self] connection in
            let server = ServerConnection(
                connection: connection,
                logger: logger,
                requestTimeout: requestTimeout,
                handler: handler
            ) { [unowned self] closed in
                connections[ObjectIdentifier(closed)] = nil
            }
            let full = connections.count >= maximumConnections && !makeRoom()
            connections[ObjectIdentifier(server)] = server
            server.start()
            if full { server.reject(HTTPResponse.text(.serviceUnavailable, "too many connections")) }
        }
    }

    /// Closes the connection that least deserves its place, if any does not stream: the one idle
    /// the longest, else the one whose request began the longest ago. Whether one was closed.
    private func makeRoom() -> Bool {
        let candidates = connections.values.filter { !$0.isStreaming }
        let idle = candidates.filter { $0.requestStarted == nil }.min { $0.lastActivity < $1.lastActivity }
        let slowest = candidates.compactMap { connection in connection.requestStarted.map { (connection, $0) } }
            .min { $0.1 < $1.1 }?.0
        guard let evicted = idle ?? slowest else { return false }
        evictions += 1
        if evictions == 1 || evictions.isMultiple(of: 1_000) {
            logger.notice(
                "HTTP connections at the limit of \(maximumConnections): closing the least active to make room (\(evictions) so far)"
            )
        }
        evicted.close()
        return true
    }

    /// Connections closed to make room for new ones.
    public private(set) var evictions = 0

    /// Connections open now.
    public var connectionCount: Int { connections.count }

    /// How many times accepting paused because descriptors ran out.
    public var acceptPauses: Int { listener.acceptPauses }

    /// Stops listening and closes every connection.
    public func close() {
        listener.close()
        for connection in connections.values { connection.close() }
        connections = [:]
    }
}

/// A streamed response in progress: the handler writes chunks of the body until either side
/// closes.
///
/// `@unchecked Sendable`: written to on its connection's loop only.
public final class HTTPStream: @unchecked Sendable {
    fileprivate let connection: Connection
    /// Bytes written to the stream but not yet taken by the client.
    public var bufferedBytes: Int { connection.bufferedOutboundBytes }
    /// Called once when the stream ends (client gone or ``close()``).
    public var onClose: (() -> Void)?
    /// Whether the stream is still open.
    public var isOpen: Bool { connection.isOpen }

    fileprivate init(connection: Connection) {
        self.connection = connection
    }

    /// Sends bytes of the body.
    public func write(_ bytes: [UInt8]) {
        guard connection.isOpen else { return }
        connection.write(bytes)
        connection.flush()
    }

    /// Ends the stream and closes the connection.
    public func close() {
        connection.close()
    }
}

/// One accepted connection: parses requests and writes replies in order.
///
/// `@unchecked Sendable`: a connection's delegate, called on its loop only.
private final class ServerConnection: ConnectionDelegate, @unchecked Sendable {
    private let connection: Connection
    private let logger: Logger
    private let handler: (HTTPRequest) -> HTTPServer.Reply
    private let closed: (ServerConnection) -> Void
    private var parser = HTTPRequestParser()
    private var stream: HTTPStream?
    private var timer: TimerID?
    private var finished = false
    private let requestTimeout: Duration
    /// When the first byte of the request now coming in arrived; nil between requests.
    private(set) var requestStarted: ContinuousClock.Instant?
    /// When anything last happened on the connection.
    private(set) var lastActivity = ContinuousClock.now
    /// Whether a streamed response (Server-Sent Events) is under way.
    var isStreaming: Bool { stream != nil }

    /// A kept-alive connection idle this long is closed.
    static let idleTimeout: Duration = .seconds(75)
    /// A client that pipelines requests without reading the answers is cut off past this.
    static let maximumBuffered = 4 << 20

    init(
        connection: Connection,
        logger: Logger,
        requestTimeout: Duration,
        handler: @escaping (HTTPRequest) -> HTTPServer.Reply,
        closed: @escaping (ServerConnection) -> Void
    ) {
        self.connection = connection
        self.logger = logger
        self.requestTimeout = requestTimeout
        self.handler = handler
        self.closed = closed
    }

    func start() {
        connection.delegate = self
        arm(Self.idleTimeout, status: nil)
    }

    func reject(_ response: HTTPResponse) {
        connection.write(response.encode(keepAlive: false))
        connection.closeAfterFlush()
    }

    func close() {
        connection.close()
    }

    private func arm(_ delay: Duration, status: HTTPStatus?) {
        if let timer { connection.eventLoop.cancelTimer(timer) }
        timer = connection.eventLoop.scheduleTimer(after: delay) { [weak self] in
            guard let self, stream == nil else { return }
            timer = nil
            if let status {
                reject(HTTPResponse.text(status, "the request was not completed in time"))
            } else {
                connection.close()
            }
        }
    }

    func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard stream == nil, !finished else { return }
        lastActivity = .now
        if parser.bufferedByteCount == 0 {
            // The first bytes of a request: its deadline runs from now, and more bytes of the same
            // request (a trickle, say) do not move it.
            requestStarted = lastActivity
            arm(requestTimeout, status: .requestTimeout)
        }
        parser.append(bytes)
        while !finished {
            let request: HTTPRequest?
            do {
                request = try parser.next()
            } catch {
                logger.debug("bad HTTP request", ["client": "\(connection.remoteAddress)", "error": "\(error)"])
                finished = true
                reject(HTTPResponse.text(error.status, error.message))
                return
            }
            guard let request else { break }
            answer(request)
            if !finished, parser.bufferedByteCount > 0 {
                // The next request began in the same read: its own deadline starts now.
                requestStarted = .now
                arm(requestTimeout, status: .requestTimeout)
            }
            if connection.bufferedOutboundBytes > Self.maximumBuffered {
                logger.warning("closing an HTTP client that does not read its responses")
                connection.close()
                return
            }
        }
        if !finished, stream == nil, parser.bufferedByteCount == 0 {
            // Between requests: idle until the next one begins.
            requestStarted = nil
            arm(Self.idleTimeout, status: nil)
        }
    }

    private func answer(_ request: HTTPRequest) {
        let keepAlive = request.keepAlive
        switch handler(request) {
        case .response(let response):
            connection.write(response.encode(keepAlive: keepAlive, includeBody: request.method != "HEAD"))
            if !keepAlive {
                finished = true
                connection.closeAfterFlush()
            }
        case .stream(let head, let start):
            finished = true
            if let timer { connection.eventLoop.cancelTimer(timer) }
            timer = nil
            connection.write(head)
            connection.flush()
            let stream = HTTPStream(connection: connection)
            self.stream = stream
            start(stream)
        }
    }

    func connectionDidDrain(_ connection: Connection) {}

    func connectionDidClose(_ connection: Connection, error: IOError?) {
        if let timer { connection.eventLoop.cancelTimer(timer) }
        timer = nil
        stream?.onClose?()
        stream?.onClose = nil
        closed(self)
    }
}
