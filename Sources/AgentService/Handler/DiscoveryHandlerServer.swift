public import AgentProtocol
import Discovery
import DiscoveryService
import GRPC
import GRPCService
import HPACK
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// The discovery handler daemon: it serves Discover on its own socket (`DIR/mqtt.sock`) in both
/// protocols, gRPC as Akri's agent calls it and frames as ours can, told apart by the first octet
/// (``ProtocolSniffer``), and keeps itself registered with the agent (`DIR/agent-registration.sock`,
/// ``Registrar``). In Akri's network mode (`POD_IP` set) it also serves gRPC on `POD_IP:PORT` and
/// registers that as a NETWORK endpoint. Every stream's discovery shares one MQTT session per
/// broker, client id and credentials.
///
/// `@unchecked Sendable`: its sessions live on its loop; `start` and `stop` hop there before touching them.
public final class DiscoveryHandlerServer: @unchecked Sendable {
    /// The handler's name, as Configurations name it.
    public static let handlerName = DiscoveryDetails.handlerName

    /// How the handler serves and registers.
    public struct Options: Sendable {
        /// Which protocol registers with the agent (``AgentProtocolChoice/auto`` by default).
        public var agentProtocol: AgentProtocolChoice = .auto
        /// Akri's network mode: serve gRPC on this address too and register it (`POD_IP`).
        public var podIP: String?
        /// The TCP port in network mode (Akri's 10000).
        public var grpcPort: UInt16 = 10_000
        /// The largest `DiscoverResponse` sent over gRPC: tonic's default receive limit, 4 MiB,
        /// which Akri's agent keeps.
        public var grpcMessageLimit = GRPCMessageReader.defaultMaximumMessageSize
        /// What agent connections may hold of unfinished frames, together and each.
        public var frameLimits: FrameConnection.Limits = .standard()

        /// The defaults.
        public init() {}
    }

    /// The loop everything runs on.
    public let eventLoop: EventLoop
    /// The socket the handler serves Discover on.
    public let socketPath: String
    private let options: Options
    private let logger: Logger
    private let environment: [String: String]
    let pool: BrokerPool
    private var listeners: [Listener] = []
    /// Connections whose first octets have not arrived yet.
    private lazy var router = ProtocolRouter { [weak self] connection, kind, bytes in
        self?.route(connection, kind, bytes)
    }
    private var framesStreams: [ObjectIdentifier: FramesDiscoverTransport] = [:]
    private(set) var sessions: [ObjectIdentifier: DiscoverySession] = [:]
    private var grpcServer: GRPCServer?
    private var registrar: Registrar?
    private let registrationPath: String
    /// The registrar, once started (for metrics).
    var currentRegistrar: Registrar? { registrar }
    /// The agent's registration socket.
    var registrationSocket: String { registrationPath }
    private var connectionLog = LogThrottle()

    /// A handler for `directory` (its socket `directory/mqtt.sock`, the agent's
    /// `directory/agent-registration.sock`). `directory` must be absolute: the agent dials the
    /// endpoint path exactly as registered.
    public init(
        directory: String,
        eventLoop: EventLoop,
        environment: [String: String],
        logger: Logger,
        options: Options = Options()
    ) {
        self.options = options
        self.eventLoop = eventLoop
        self.socketPath = "\(directory)/\(Self.handlerName).sock"
        self.registrationPath = "\(directory)/agent-registration.sock"
        self.environment = environment
        self.logger = logger
        self.pool = BrokerPool(eventLoop: eventLoop, logger: logger)
    }

    /// The endpoint registered with the agent: the socket path (UDS), or `http://POD_IP:PORT`
    /// (NETWORK) in network mode.
    public var endpoint: (address: String, type: RegisterDiscoveryHandlerRequest.EndpointType) {
        guard let podIP = options.podIP else { return (socketPath, .uds) }
        return (GRPCEndpoint.tcp(host: podIP, port: options.grpcPort).description, .network)
    }

    /// Binds the socket (replacing a stale one; mode 0660) and, in network mode, the TCP port;
    /// then registers with the agent, and keeps registering whenever the agent comes back.
    public func start() async throws(IOError) {
        let result: Result<Void, IOError> = await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                grpcServer = GRPCServer(
                    eventLoop: eventLoop,
                    methods: [
                        "/v0.DiscoveryHandler/Discover": { [weak self] call, request in self?.discover(call, request) }
                    ],
                    limits: {
                        var limits = GRPCServer.Limits()
                        limits.requestDeadline = options.frameLimits.frameDeadline
                        return limits
                    }(),
                    onConnectionClosed: { [weak self] reason in self?.connectionClosed(reason) }
                )
                do throws(IOError) {
                    listeners.append(try listen(on: .unix(socketPath), permissions: 0o660))
                    if let podIP = options.podIP {
                        listeners.append(try listen(on: .ip(podIP, port: options.grpcPort), permissions: nil))
                    }
                } catch {
                    for listener in listeners { listener.close() }
                    listeners = []
                    continuation.resume(returning: .failure(error))
                    return
                }
                logger.info("serving Discover (gRPC and frames)", ["socket": socketPath])
                if options.podIP != nil {
                    logger.info("serving Discover over gRPC on the network", ["endpoint": endpoint.address])
                }
                let registrar = Registrar(
                    path: registrationPath,
                    request: RegisterDiscoveryHandlerRequest(
                        name: Self.handlerName,
                        endpoint: endpoint.address,
                        endpointType: endpoint.type,
                        shared: true
                    ),
                    protocol: options.agentProtocol,
                    eventLoop: eventLoop,
                    logger: logger
                )
                self.registrar = registrar
                registrar.start()
                continuation.resume(returning: .success(()))
            }
        }
        try result.get()
    }

    private func listen(on address: SocketAddress, permissions: UInt32?) throws(IOError) -> Listener {
        try Listener.listen(
            on: address,
            permissions: permissions,
            loop: eventLoop,
            onAcceptPaused: { [logger] error in
                logger.warning(
                    "cannot accept connections on \(address) (\(error.message)); pausing accepts, retrying every \(Listener.acceptPause)"
                )
            },
            accept: { [self] connection in accept(connection) }
        )
    }

    /// Stops registering, closes every stream (their discoverers disconnect from the brokers)
    /// and removes the socket.
    public func stop() async {
        let sessions: [DiscoverySession] = await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                registrar?.stop()
                registrar = nil
                for listener in listeners { listener.close() }
                listeners = []
                continuation.resume(returning: Array(self.sessions.values))
            }
        }
        for session in sessions { await session.stop() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            eventLoop.execute { [self] in
                grpcServer?.shutdown()
                for transport in framesStreams.values { transport.close() }
                continuation.resume()
            }
        }
    }

    // MARK: - Connections

    private func accept(_ connection: Connection) {
        logger.debug("agent connected")
        router.accept(connection)
    }

    private func route(_ connection: Connection, _ kind: SocketProtocol, _ bytes: [UInt8]) {
        switch kind {
        case .grpc: grpcServer?.serve(connection, initialBytes: bytes)
        case .frames: serveFrames(connection, initialBytes: bytes)
        }
    }

    private func connectionClosed(_ reason: String?) {
        guard let reason else { return }
        if connectionLog.admit() {
            logger.info("agent connection closed: \(reason)")
        } else {
            logger.debug("agent connection closed: \(reason)")
        }
    }

    private func serveFrames(_ connection: Connection, initialBytes: [UInt8]) {
        let channel = FrameConnection(
            connection,
            limits: options.frameLimits,
            onFrame: { [weak self] channel, frame in self?.framesReceived(frame, on: channel) },
            onClose: { [weak self] channel, reason in
                self?.framesStreams.removeValue(forKey: ObjectIdentifier(channel))?.closed(reason)
            }
        )
        let transport = FramesDiscoverTransport(channel)
        framesStreams[ObjectIdentifier(channel)] = transport
        channel.drained = { [weak transport] in transport?.writable?() }
        channel.connection(connection, didReceive: initialBytes)
    }

    private func framesReceived(_ frame: Frame, on channel: FrameConnection) {
        guard let transport = framesStreams[ObjectIdentifier(channel)] else { return }
        guard case .discover(let request) = frame, !transport.started else {
            let expected = transport.started ? "nothing (the stream is open)" : "discover"
            channel.fail(Status(.failedPrecondition, "expected \(expected), got \(frame.name)"))
            return
        }
        transport.started = true
        startSession(request, transport: transport, onAgentDrop: nil)
    }

    /// `/v0.DiscoveryHandler/Discover`: a server-streaming call, the request a `DiscoverRequest`.
    private func discover(_ call: GRPCServerCall, _ message: ArraySlice<UInt8>) {
        let request: DiscoverRequest
        do {
            request = try DiscoverRequest(serialized: message)
        } catch {
            call.finish(GRPCStatus(.invalidArgument, "the DiscoverRequest does not decode: \(error)"))
            return
        }
        // Our agent says how large a list it reads; Akri's agent says nothing and reads tonic's
        // default, which --grpc-max-message stands for.
        let announced = call.metadata.first { $0.name == DiscoverMetadata.maximumMessage }.flatMap { Int($0.value) }
        let limit = announced.map { min(max($0, 1_024), 1 << 30) } ?? options.grpcMessageLimit
        let transport = GRPCDiscoverTransport(call, responseLimit: limit)
        call.onWritable = { [weak transport] in transport?.writable?() }
        startSession(request, transport: transport) { [weak self] in
            // Akri's handlers register again whenever the agent drops a Discover stream: it may
            // have restarted and forgotten them (discovery-utils, handler-development.md).
            self?.registrar?.agentDroppedStream()
        }
    }

    private func startSession(
        _ request: DiscoverRequest,
        transport: some DiscoverTransport,
        onAgentDrop: (() -> Void)?
    ) {
        let session = DiscoverySession(
            transport: transport,
            pool: pool,
            identity: "handler",
            environment: environment,
            logger: logger
        ) { [weak self] session in
            self?.sessions[ObjectIdentifier(session)] = nil
        }
        sessions[ObjectIdentifier(session)] = session
        transport.writable = { [weak session] in session?.writable() }
        transport.onEnd = { [weak session] reason, byAgent in
            session?.ended(reason)
            if byAgent { onAgentDrop?() }
        }
        session.start(request)
    }
}
