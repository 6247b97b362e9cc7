public import GRPC
public import HPACK
import HTTP2
public import IO

/// A gRPC client connection: calls with one request message and any number of response
/// messages (unary and server-streaming), over one HTTP/2 connection. Lives on its loop; every
/// callback runs there.
///
/// `@unchecked Sendable`: created on its loop by ``connect(to:on:timeout:completion:)``, used there only.
public final class GRPCClient: @unchecked Sendable {
    /// Where it is connected.
    public let endpoint: GRPCEndpoint
    /// Called once when the connection ends, with why when it was not a clean close.
    public var onClose: ((String?) -> Void)?
    private var channel: HTTP2Channel!
    private var calls: [UInt32: GRPCClientCall] = [:]
    private let maximumMessageSize: Int

    private init(endpoint: GRPCEndpoint, maximumMessageSize: Int) {
        self.endpoint = endpoint
        self.maximumMessageSize = maximumMessageSize
    }

    /// Connects to `endpoint`; the HTTP/2 preface is sent at once. `completion` runs on `loop`.
    public static func connect(
        to endpoint: GRPCEndpoint,
        on loop: EventLoop,
        timeout: Duration = .seconds(5),
        maximumMessageSize: Int = GRPCMessageReader.defaultMaximumMessageSize,
        completion: @escaping (Result<GRPCClient, IOError>) -> Void
    ) {
        let completion = UncheckedCompletion(completion)
        let done: @Sendable (Result<Connection, IOError>) -> Void = { result in
            switch result {
            case .success(let connection):
                let client = GRPCClient(endpoint: endpoint, maximumMessageSize: maximumMessageSize)
                // Stream windows hold a whole message, so credit can wait until one is whole.
                var configuration = HTTP2Connection.Configuration()
                configuration.initialWindowSize = max(
                    configuration.initialWindowSize,
                    maximumMessageSize + 5 + configuration.maxFrameSize
                )
                configuration.connectionWindowSize = 2 * configuration.initialWindowSize
                client.channel = HTTP2Channel(
                    connection,
                    role: .client,
                    configuration: configuration,
                    onEvent: { [weak client] _, event in client?.handle(event) },
                    onClose: { [weak client] _, reason in client?.closed(reason) }
                )
                completion.call(.success(client))
            case .failure(let error):
                completion.call(.failure(error))
            }
        }
        switch endpoint {
        case .unix(let path): Connection.connect(unixPath: path, timeout: timeout, on: loop, completion: done)
        case .tcp(let host, let port):
            Connection.connect(host: host, port: port, timeout: timeout, on: loop, completion: done)
        }
    }

    /// Whether the connection is open.
    public var isOpen: Bool { channel.isOpen }

    /// The loop the connection lives on.
    public var eventLoop: EventLoop { channel.connection.eventLoop }

    /// Whether the server's SETTINGS arrived: it speaks HTTP/2.
    public var serverSpeaksHTTP2: Bool { channel.peerSpeaksHTTP2 }

    /// Calls `path` with `request`: `onMessage` hears each response message, `onEnd` the status
    /// once (UNAVAILABLE when the connection closes first, CANCELLED after ``GRPCClientCall/cancel()``).
    @discardableResult
    public func call(
        _ path: String,
        request: some Collection<UInt8>,
        timeout: Duration? = nil,
        metadata: [HeaderField] = [],
        onMessage: @escaping (ArraySlice<UInt8>) -> Void,
        onEnd: @escaping (GRPCStatus) -> Void
    ) -> GRPCClientCall {
        let call = GRPCClientCall(
            client: self,
            maximumMessageSize: maximumMessageSize,
            onMessage: onMessage,
            onEnd: onEnd
        )
        guard channel.isOpen else {
            call.end(GRPCStatus(.unavailable, "the connection to \(endpoint) is closed"))
            return call
        }
        do {
            let id = try channel.openStream(
                GRPCHeaders.request(path: path, authority: endpoint.authority, timeout: timeout, metadata: metadata),
                endStream: false
            )
            call.streamID = id
            calls[id] = call
            try channel.sendData(id, GRPCMessageReader.framed(request), endStream: true)
        } catch {
            if let id = call.streamID { calls[id] = nil }
            call.end(GRPCStatus(.unavailable, "\(error)"))
            return call
        }
        // Writing the request can find the connection broken (EPIPE) and close it there and then,
        // before the call was in `calls` for the close to end it: end it here instead.
        guard channel.isOpen else {
            if let id = call.streamID { calls[id] = nil }
            call.end(GRPCStatus(.unavailable, "the connection to \(endpoint) closed while the request was sent"))
            return call
        }
        if let timeout {
            call.deadline = channel.connection.eventLoop.scheduleTimer(after: timeout) { [weak self, weak call] in
                guard let self, let call else { return }
                call.deadline = nil
                cancel(call, GRPCStatus(.deadlineExceeded, "no answer within \(timeout)"))
            }
        }
        return call
    }

    /// A unary call: the one response message, or the status that ended the call otherwise.
    public func unary(
        _ path: String,
        request: some Collection<UInt8>,
        timeout: Duration? = nil,
        completion: @escaping (Result<ArraySlice<UInt8>, GRPCStatus>) -> Void
    ) {
        var response: ArraySlice<UInt8>?
        call(
            path,
            request: request,
            timeout: timeout,
            onMessage: { message in response = response == nil ? message : response },
            onEnd: { status in
                if status.code == .ok, let response {
                    completion(.success(response))
                } else if status.code == .ok {
                    completion(.failure(GRPCStatus(.internal, "the call ended OK without a response message")))
                } else {
                    completion(.failure(status))
                }
            }
        )
    }

    /// Sends GOAWAY and closes.
    public func close() {
        channel.goAway()
    }

    func cancel(_ call: GRPCClientCall, _ status: GRPCStatus) {
        guard let id = call.streamID, calls.removeValue(forKey: id) != nil else { return }
        channel.consume(id, call.reader.bufferedByteCount)
        channel.resetStream(id, .cancel)
        call.end(status)
    }

    private func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let id, let fields, let endStream):
            guard let call = calls[id] else { return }
            if !call.receivedHead {
                call.receivedHead = true
                if let status = GRPCHeaders.responseStatus(fields) {
                    finish(id, status)
                    if !endStream { channel.resetStream(id, .cancel) }
                    return
                }
                if endStream { finish(id, GRPCStatus(.internal, "the response ended without trailers")) }
            } else {
                finish(id, GRPCHeaders.status(fields))
            }
        case .data(let id, let bytes, let endStream):
            guard let call = calls[id] else {
                channel.consume(id, bytes.count)
                return
            }
            call.reader.append(bytes)
            do {
                while let message = try call.reader.next() {
                    // A whole message is consumed: its credit goes back as it is handed over.
                    channel.consume(id, 5 + message.count)
                    call.onMessage?(message)
                    if calls[id] == nil { return }
                }
            } catch {
                cancel(call, error)
                return
            }
            if endStream { finish(id, GRPCStatus(.internal, "the response ended without trailers")) }
        case .streamReset(let id, let code):
            let status: GRPCStatus =
                switch code {
                case .cancel: GRPCStatus(.cancelled, "the server cancelled the call")
                case .refusedStream: GRPCStatus(.unavailable, "the server refused the stream")
                case .enhanceYourCalm: GRPCStatus(.resourceExhausted, "the server says ENHANCE_YOUR_CALM")
                default: GRPCStatus(.internal, "the server reset the stream (\(code))")
                }
            finish(id, status)
        case .streamError(let error):
            if let id = error.streamID { finish(id, GRPCStatus(.internal, "\(error)")) }
        case .streamClosed, .streamWritable, .settings, .pingAcknowledged, .goAway, .connectionError:
            break
        }
    }

    private func finish(_ id: UInt32, _ status: GRPCStatus) {
        guard let call = calls.removeValue(forKey: id) else { return }
        channel.consume(id, call.reader.bufferedByteCount)
        call.end(status)
    }

    private func closed(_ reason: String?) {
        let calls = self.calls
        self.calls = [:]
        let status = GRPCStatus(.unavailable, "the connection to \(endpoint) closed\(reason.map { ": \($0)" } ?? "")")
        for id in calls.keys.sorted() { calls[id]?.end(status) }
        let onClose = onClose
        self.onClose = nil
        onClose?(reason)
    }
}

/// One call made by a ``GRPCClient``.
///
/// `@unchecked Sendable`: used on its client's loop only.
public final class GRPCClientCall: @unchecked Sendable {
    private weak var client: GRPCClient?
    private let loop: EventLoop
    var streamID: UInt32?
    var reader: GRPCMessageReader
    var receivedHead = false
    var deadline: TimerID?
    var onMessage: ((ArraySlice<UInt8>) -> Void)?
    private var onEnd: ((GRPCStatus) -> Void)?

    init(
        client: GRPCClient,
        maximumMessageSize: Int,
        onMessage: @escaping (ArraySlice<UInt8>) -> Void,
        onEnd: @escaping (GRPCStatus) -> Void
    ) {
        self.client = client
        self.loop = client.eventLoop
        self.reader = GRPCMessageReader(maximumMessageSize: maximumMessageSize)
        self.onMessage = onMessage
        self.onEnd = onEnd
    }

    /// Whether the call is still going.
    public var isActive: Bool { onEnd != nil }

    /// Cancels the call (RST_STREAM CANCEL); its `onEnd` hears CANCELLED.
    public func cancel() {
        client?.cancel(self, GRPCStatus(.cancelled, "cancelled by the caller"))
    }

    func end(_ status: GRPCStatus) {
        if let deadline { loop.cancelTimer(deadline) }
        deadline = nil
        onMessage = nil
        let onEnd = onEnd
        self.onEnd = nil
        onEnd?(status)
    }
}

/// A completion handed from the connector's `@Sendable` callback to code on the same loop.
///
/// `@unchecked Sendable`: the connector calls back on the loop the completion was made on.
private struct UncheckedCompletion<Value>: @unchecked Sendable {
    let call: (Value) -> Void
    init(_ call: @escaping (Value) -> Void) { self.call = call }
}
