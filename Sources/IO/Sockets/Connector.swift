#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

extension Connection {
    /// Connects to `host:port` (a name, or an IPv4 or IPv6 literal), then makes the TLS handshake
    /// if `tls` is given. The resolved addresses are raced as Happy Eyeballs does (RFC 8305): the
    /// next attempt starts when one fails or after ``attemptDelay``, the families alternate, and
    /// the first connection made wins; an address that never answers costs 250 ms, not the whole
    /// `timeout`, which bounds the attempt, handshake included. `completion` runs once, on `loop`.
    public static func connect(
        host: String,
        port: UInt16,
        tls: TLSConfiguration? = nil,
        timeout: Duration,
        on loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        loop.execute {
            Connector(target: .host(host, port: port), tls: tls, timeout: timeout, loop: loop, completion: completion)
                .start()
        }
    }

    /// Connects to a Unix domain socket. `completion` runs once, on `loop`.
    public static func connect(
        unixPath path: String,
        timeout: Duration = .seconds(5),
        on loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        loop.execute {
            Connector(target: .addresses([.unix(path)]), tls: nil, timeout: timeout, loop: loop, completion: completion)
                .start()
        }
    }

    /// Connects to the first of `addresses` that answers, raced as for a host name. For tests
    /// that need addresses a name would not resolve to (one that never answers, say).
    static func connect(
        addresses: [SocketAddress],
        timeout: Duration,
        on loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        loop.execute {
            Connector(target: .addresses(addresses), tls: nil, timeout: timeout, loop: loop, completion: completion)
                .start()
        }
    }

    /// How long an attempt has to succeed before the next address is tried alongside it: RFC 8305
    /// §5's recommended Connection Attempt Delay.
    public static let attemptDelay: Duration = .milliseconds(250)
}

/// Drives one connection: resolution, attempts on the addresses (several at once, staggered),
/// the TLS handshake, and the deadline over all of it. Lives on the event loop until it calls
/// its completion.
///
/// `@unchecked Sendable`: created and driven on its loop only; every field is touched there.
private final class Connector: @unchecked Sendable {
    enum Target {
        case host(String, port: UInt16)
        case addresses([SocketAddress])
    }

    private let target: Target
    private let tls: TLSConfiguration?
    private let timeout: Duration
    let loop: EventLoop
    private var completion: (@Sendable (Result<Connection, IOError>) -> Void)?

    private var pending: [SocketAddress] = []
    private var attempts: [Attempt] = []
    private var connection: Connection?
    private var deadline: TimerID?
    private var nextAttempt: TimerID?
    private var lastError: IOError?

    init(
        target: Target,
        tls: TLSConfiguration?,
        timeout: Duration,
        loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        self.target = target
        self.tls = tls
        self.timeout = timeout
        self.loop = loop
        self.completion = completion
    }

    private var host: String {
        switch target {
        case .host(let host, _): host
        case .addresses(let addresses): addresses.first?.description ?? ""
        }
    }

    private var endpoint: String {
        switch target {
        case .host(let host, let port):
            SocketAddress.isIPLiteral(host) && host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .addresses(let addresses):
            addresses.map(\.description).joined(separator: ", ")
        }
    }

    func start() {
        deadline = loop.scheduleTimer(after: timeout) { [self] in
            finish(.failure(.connectTimedOut(endpoint: endpoint)))
        }
        switch target {
        case .addresses(let addresses):
            pending = Self.interleaved(addresses)
            startNextAttempt()
        case .host(let host, let port):
            Resolver.resolve(host, port: port, on: loop) { [self] result in
                guard completion != nil else { return }
                switch result {
                case .success(let resolved):
                    pending = Self.interleaved(resolved)
                    startNextAttempt()
                case .failure(let error):
                    finish(.failure(error))
                }
            }
        }
    }

    /// The addresses with the families alternating, starting with the first's (RFC 8305 §4:
    /// the resolver's preferred family first, then one of the other, and so on).
    static func interleaved(_ addresses: [SocketAddress]) -> [SocketAddress] {
        guard let first = addresses.first else { return [] }
        var preferred = addresses.filter { $0.family == first.family }[...]
        var others = addresses.filter { $0.family != first.family }[...]
        var result: [SocketAddress] = []
        while let next = preferred.popFirst() {
            result.append(next)
            if let other = others.popFirst() { result.append(other) }
        }
        return result + others
    }

    /// Starts an attempt on the next address; schedules the one after for ``attemptDelay``
    /// later, unless an attempt finishes first.
    private func startNextAttempt() {
        if let nextAttempt { loop.cancelTimer(nextAttempt) }
        nextAttempt = nil
        guard completion != nil, connection == nil else { return }
        guard !pending.isEmpty else {
            if attempts.isEmpty { finish(.failure(lastError ?? .connectTimedOut(endpoint: endpoint))) }
            return
        }
        let address = pending.removeFirst()
        let attempt = Attempt(address: address, connector: self)
        switch attempt.begin(endpoint: endpoint) {
        case .connected:
            won(attempt)
        case .failed(let error):
            lastError = error
            startNextAttempt()
        case .inProgress:
            attempts.append(attempt)
            if !pending.isEmpty {
                nextAttempt = loop.scheduleTimer(after: Connection.attemptDelay) { [self] in
                    nextAttempt = nil
                    startNextAttempt()
                }
            }
        }
    }

    /// An attempt in flight ended.
    fileprivate func attemptEnded(_ attempt: Attempt, _ result: Result<Void, IOError>) {
        attempts.removeAll { $0 === attempt }
        switch result {
        case .success:
            won(attempt)
        case .failure(let error):
            lastError = error
            // RFC 8305 §5: a failed attempt starts the next at once.
            startNextAttempt()
        }
    }

    private func won(_ attempt: Attempt) {
        if let nextAttempt { loop.cancelTimer(nextAttempt) }
        nextAttempt = nil
        for other in attempts { other.abandon() }
        attempts = []
        pending = []
        let connection = attempt.connection(loop: loop)
        self.connection = connection
        do {
            try connection.register()
        } catch {
            finish(.failure(error))
            return
        }
        guard let tls else {
            finish(.success(connection))
            return
        }
        do {
            let session = try TLSSession(context: try TLSContext(tls), host: host)
            connection.startTLS(session) { [self] error in
                if let error {
                    finish(.failure(error))
                } else {
                    finish(.success(connection))
                }
            }
        } catch {
            finish(.failure(.tls(error)))
        }
    }

    private func finish(_ result: Result<Connection, IOError>) {
        guard let completion else { return }
        self.completion = nil
        if let deadline { loop.cancelTimer(deadline) }
        if let nextAttempt { loop.cancelTimer(nextAttempt) }
        for attempt in attempts { attempt.abandon() }
        attempts = []
        if case .failure = result, let connection, connection.isOpen {
            connection.close()
        }
        connection = nil
        completion(result)
    }
}

/// One non-blocking connect to one address: its own socket, registered for writability until
/// the connection is made or refused. Whatever happens, the socket is closed unless it becomes
/// the connection.
private final class Attempt: Selectable {
    enum Start {
        case connected
        case inProgress
        case failed(IOError)
    }

    let address: SocketAddress
    private unowned let connector: Connector
    private var descriptor: Int32 = -1
    private var endpoint = ""

    init(address: SocketAddress, connector: Connector) {
        self.address = address
        self.connector = connector
    }

    deinit {
        if descriptor >= 0 { Syscall.close(descriptor) }
    }

    func begin(endpoint: String) -> Start {
        self.endpoint = endpoint
        do {
            descriptor = try Syscall.run("socket") { socket(address.family, Constants.streamSocket, 0) }
        } catch {
            return .failed(.system(error))
        }
        let connector = connector
        do {
            let connected = try address.withSockAddr { (pointer, length) throws(IOError) in
                if Glibc.connect(descriptor, pointer, length) == 0 { return true }
                let code = errno
                if code == EINPROGRESS || code == EINTR { return false }
                throw .connectFailed(endpoint: endpoint, Errno(code, function: "connect"))
            }
            if connected { return .connected }
            try connector.loop.register(descriptor, self, writable: true)
            return .inProgress
        } catch {
            closeSocket()
            return .failed(error)
        }
    }

    /// The socket becomes writable when the connection is made or has failed.
    func writable() {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
        connector.loop.deregister(descriptor)
        if code != 0 {
            closeSocket()
            connector.attemptEnded(self, .failure(.connectFailed(endpoint: endpoint, Errno(code, function: "connect"))))
        } else {
            connector.attemptEnded(self, .success(()))
        }
    }

    func readable() {
        writable()
    }

    /// Gives up on this address: another won, or time ran out.
    func abandon() {
        if descriptor >= 0 { connector.loop.deregister(descriptor) }
        closeSocket()
    }

    /// The connection made, which now owns the socket.
    func connection(loop: EventLoop) -> Connection {
        if address.family != AF_UNIX {
            // MQTT sends many small packets; waiting to merge them (Nagle) only adds latency.
            var on: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let connection = Connection(descriptor: descriptor, remoteAddress: address, eventLoop: loop)
        descriptor = -1
        return connection
    }

    private func closeSocket() {
        if descriptor >= 0 { Syscall.close(descriptor) }
        descriptor = -1
    }
}
