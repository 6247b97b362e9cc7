#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

extension Connection {
    /// Connects to `host:port` (a name, or an IPv4 or IPv6 literal), then makes the TLS handshake
    /// if `tls` is given. Each resolved address is tried in turn until one answers; `timeout`
    /// bounds the whole attempt, handshake included. `completion` runs once, on `loop`.
    public static func connect(
        host: String,
        port: UInt16,
        tls: TLSConfiguration? = nil,
        timeout: Duration,
        on loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        loop.execute {
            let connector = Connector(
                host: host,
                port: port,
                tls: tls,
                timeout: timeout,
                loop: loop,
                completion: completion
            )
            connector.start()
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
            let connector = Connector(
                addresses: [.unix(path)],
                timeout: timeout,
                loop: loop,
                completion: completion
            )
            connector.start()
        }
    }
}

/// Drives one connection attempt: resolution, each address in turn, the TLS handshake, and the
/// deadline over all of it. Lives on the event loop until it calls its completion.
private final class Connector: Selectable, @unchecked Sendable {
    private let host: String
    private let port: UInt16
    private let tls: TLSConfiguration?
    private let timeout: Duration
    private let loop: EventLoop
    private var completion: (@Sendable (Result<Connection, IOError>) -> Void)?

    private var addresses: [SocketAddress] = []
    private var descriptor: Int32 = -1
    private var current: SocketAddress?
    private var connection: Connection?
    private var timer: TimerID?
    private var lastError: IOError?

    init(
        host: String,
        port: UInt16,
        tls: TLSConfiguration?,
        timeout: Duration,
        loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.timeout = timeout
        self.loop = loop
        self.completion = completion
    }

    init(
        addresses: [SocketAddress],
        timeout: Duration,
        loop: EventLoop,
        completion: @escaping @Sendable (Result<Connection, IOError>) -> Void
    ) {
        self.host = addresses.first?.description ?? ""
        self.port = 0
        self.tls = nil
        self.timeout = timeout
        self.loop = loop
        self.completion = completion
        self.addresses = addresses
    }

    private var endpoint: String {
        if case .unix(let path)? = addresses.first, port == 0 { return path }
        return SocketAddress.isIPLiteral(host) && host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    func start() {
        timer = loop.scheduleTimer(after: timeout) { [self] in
            finish(.failure(.connectTimedOut(endpoint: endpoint)))
        }
        if !addresses.isEmpty {
            tryNext()
            return
        }
        Resolver.resolve(host, port: port, on: loop) { [self] result in
            guard completion != nil else { return }
            switch result {
            case .success(let resolved):
                addresses = resolved
                tryNext()
            case .failure(let error):
                finish(.failure(error))
            }
        }
    }

    private func tryNext() {
        guard completion != nil else { return }
        guard !addresses.isEmpty else {
            finish(.failure(lastError ?? .connectTimedOut(endpoint: endpoint)))
            return
        }
        let address = addresses.removeFirst()
        current = address
        do {
            descriptor = try Syscall.run("socket") { socket(address.family, Constants.streamSocket, 0) }
        } catch {
            lastError = .system(error)
            tryNext()
            return
        }
        let started: Bool
        do {
            started = try address.withSockAddr { (pointer, length) throws(IOError) in
                let result = Glibc.connect(descriptor, pointer, length)
                if result == 0 { return true }
                let code = errno
                if code == EINPROGRESS || code == EINTR { return false }
                throw .connectFailed(endpoint: endpoint, Errno(code, function: "connect"))
            }
        } catch {
            abandonSocket(error)
            return
        }
        if started {
            connected()
            return
        }
        do {
            try loop.register(descriptor, self, writable: true)
        } catch {
            abandonSocket(error)
        }
    }

    private func abandonSocket(_ error: IOError) {
        lastError = error
        loop.deregister(descriptor)
        Syscall.close(descriptor)
        descriptor = -1
        tryNext()
    }

    // The socket becomes writable when the connection is made or has failed.
    func writable() {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
        loop.deregister(descriptor)
        if code != 0 {
            abandonSocket(.connectFailed(endpoint: endpoint, Errno(code, function: "connect")))
            return
        }
        connected()
    }

    func readable() {
        writable()
    }

    private func connected() {
        guard let address = current else { return }
        if address.family != AF_UNIX {
            // MQTT sends many small packets; waiting to merge them (Nagle) only adds latency.
            var on: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let connection = Connection(descriptor: descriptor, remoteAddress: address, eventLoop: loop)
        descriptor = -1
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
        if let timer { loop.cancelTimer(timer) }
        if descriptor >= 0 {
            loop.deregister(descriptor)
            Syscall.close(descriptor)
            descriptor = -1
        }
        if case .failure = result, let connection, connection.isOpen {
            connection.close()
        }
        connection = nil
        completion(result)
    }
}
