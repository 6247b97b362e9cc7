import AgentProtocol
import Discovery
import DiscoveryService
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// The discovery handler daemon's two sockets: it serves Discover streams on its own socket
/// (`DIR/mqtt.sock`) and keeps itself registered with the agent (`DIR/agent-registration.sock`).
/// Every stream's discovery shares one MQTT session per broker, client id and credentials.
///
/// `@unchecked Sendable`: its sessions live on its loop; `start` and `stop` hop there before touching them.
public final class DiscoveryHandlerServer: @unchecked Sendable {
    /// The handler's name, as Configurations name it.
    public static let handlerName = DiscoveryDetails.handlerName

    /// The loop everything runs on.
    public let eventLoop: EventLoop
    /// The socket the handler serves Discover on.
    public let socketPath: String
    /// What agent connections may hold of unfinished frames, together and each.
    private let frameLimits: FrameConnection.Limits
    private let logger: Logger
    private let environment: [String: String]
    private let pool: BrokerPool
    private var listener: Listener?
    private var sessions: [ObjectIdentifier: DiscoverySession] = [:]
    private var registrar: Registrar?
    private let registrationPath: String

    /// A handler for `directory` (its socket `directory/mqtt.sock`, the agent's
    /// `directory/agent-registration.sock`). `directory` must be absolute: the agent dials the
    /// endpoint path exactly as registered.
    public init(
        directory: String,
        eventLoop: EventLoop,
        environment: [String: String],
        logger: Logger,
        frameLimits: FrameConnection.Limits = .standard()
    ) {
        self.frameLimits = frameLimits
        self.eventLoop = eventLoop
        self.socketPath = "\(directory)/\(Self.handlerName).sock"
        self.registrationPath = "\(directory)/agent-registration.sock"
        self.environment = environment
        self.logger = logger
        self.pool = BrokerPool(eventLoop: eventLoop, logger: logger)
    }

    /// Binds the socket (replacing a stale one; mode 0660), then registers with the agent, and
    /// keeps registering whenever the agent comes back.
    public func start() async throws(IOError) {
        let result: Result<Void, IOError> = await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                do throws(IOError) {
                    listener = try Listener.listen(
                        on: .unix(socketPath),
                        permissions: 0o660,
                        loop: eventLoop,
                        onAcceptPaused: { [logger, socketPath] error in
                            logger.warning(
                                "cannot accept connections on \(socketPath) (\(error.message)); pausing accepts, retrying every \(Listener.acceptPause)"
                            )
                        },
                        accept: { [self] connection in accept(connection) }
                    )
                } catch {
                    continuation.resume(returning: .failure(error))
                    return
                }
                logger.info("serving Discover", ["socket": socketPath])
                let registrar = Registrar(
                    path: registrationPath,
                    request: RegisterDiscoveryHandlerRequest(
                        name: Self.handlerName,
                        endpoint: socketPath,
                        endpointType: .uds,
                        shared: true
                    ),
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

    /// Stops registering, closes every stream (their discoverers disconnect from the brokers)
    /// and removes the socket.
    public func stop() async {
        let sessions: [DiscoverySession] = await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                registrar?.stop()
                registrar = nil
                listener?.close()
                listener = nil
                continuation.resume(returning: Array(self.sessions.values))
            }
        }
        for session in sessions { await session.stop() }
    }

    private func accept(_ connection: Connection) {
        logger.debug("agent connected")
        let session = DiscoverySession(
            connection: connection,
            pool: pool,
            identity: "handler",
            environment: environment,
            logger: logger,
            frameLimits: frameLimits
        ) { [weak self] session in
            self?.sessions[ObjectIdentifier(session)] = nil
        }
        sessions[ObjectIdentifier(session)] = session
    }
}
