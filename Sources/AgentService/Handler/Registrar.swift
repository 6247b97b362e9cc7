public import AgentProtocol
import GRPC
import GRPCService
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// Which protocol a handler registers with the agent in.
public enum AgentProtocolChoice: String, CaseIterable, Sendable {
    /// gRPC when the agent speaks HTTP/2 (Akri's agent, ours), frames when it does not: detected.
    case auto
    /// gRPC only, as Akri's handlers.
    case grpc
    /// Frames only, for an agent that speaks nothing else.
    case frames
}

/// Keeps a discovery handler registered with the agent (`DIR/agent-registration.sock`).
///
/// Over gRPC it behaves as Akri's own handlers do (`discovery-utils/src/registration_client.rs`):
/// `/v0.Registration/RegisterDiscoveryHandler` until it succeeds, every 10 s while the agent
/// refuses (while nothing listens, with backoff from 200 ms up to those 10 s: Akri waits the full
/// 10 s each time, which only delays a handler started just before its agent); and again whenever the agent drops a Discover stream (``agentDroppedStream()``), for
/// it may have restarted and forgotten its handlers. It also holds the HTTP/2 connection open:
/// when that closes and the agent's socket is a new file (a restarted agent binds it again), it
/// registers again at once, which covers the case Akri's handlers miss (akri#558: an agent
/// restarted while the handler had no stream). A connection closed while the socket is the same
/// file is only opened again: registering again for nothing would give every Configuration an
/// extra Discover stream.
///
/// Over frames it sends `register` and holds the connection; when it closes, it registers again
/// (with backoff) when the agent is back.
///
/// With ``AgentProtocolChoice/auto`` it tries gRPC first; an agent that answers with something
/// other than HTTP/2 gets frames from then on (logged once), until a frames registration fails.
///
/// `@unchecked Sendable`: lives on the handler's loop; every callback it sets up runs there.
public final class Registrar: @unchecked Sendable {
    private let path: String
    private let request: RegisterDiscoveryHandlerRequest
    private let choice: AgentProtocolChoice
    private let eventLoop: EventLoop
    private let logger: Logger
    private let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
    /// Akri's handlers wait 10 s between attempts; so do we after the agent refused.
    static let grpcRetry: Duration = .seconds(10)
    private var attempt = 0
    private var detected: SocketProtocol?
    private var channel: FrameConnection?
    private var client: GRPCClient?
    private var agentFile: FileIdentity?
    private var retry: TimerID?
    private var stopped = false
    private var registering = false
    /// Whether the agent has accepted the registration (and has not gone away since).
    public private(set) var isRegistered = false
    /// Registrations the agent accepted.
    public private(set) var registrations = 0

    /// The protocol registered in (or being tried): `grpc`, `frames`, or `unknown` before the
    /// first answer in auto mode.
    public var protocolName: String {
        switch detected {
        case .grpc: "grpc"
        case .frames: "frames"
        case nil: "unknown"
        }
    }

    /// A registrar for `request` against the agent's socket at `path`, in `protocol`.
    public init(
        path: String,
        request: RegisterDiscoveryHandlerRequest,
        protocol choice: AgentProtocolChoice = .auto,
        eventLoop: EventLoop,
        logger: Logger
    ) {
        self.path = path
        self.request = request
        self.choice = choice
        self.eventLoop = eventLoop
        self.logger = logger
        switch choice {
        case .auto: detected = nil
        case .grpc: detected = .grpc
        case .frames: detected = .frames
        }
    }

    /// Starts registering. Call on the loop.
    public func start() {
        eventLoop.preconditionInEventLoop()
        register()
    }

    /// Stops, closing the registration connection. Call on the loop.
    public func stop() {
        eventLoop.preconditionInEventLoop()
        stopped = true
        if let retry { eventLoop.cancelTimer(retry) }
        retry = nil
        channel?.close()
        channel = nil
        client?.close()
        client = nil
    }

    /// The agent dropped a Discover stream over gRPC: register again, as Akri's handlers do.
    public func agentDroppedStream() {
        eventLoop.preconditionInEventLoop()
        guard !stopped, detected == .grpc, isRegistered, !registering else { return }
        logger.info("the agent dropped a Discover stream; registering again in case it restarted")
        isRegistered = false
        register()
    }

    private func register() {
        guard !stopped else { return }
        if let retry { eventLoop.cancelTimer(retry) }
        retry = nil
        attempt += 1
        switch detected ?? .grpc {
        case .grpc: registerOverGRPC()
        case .frames: registerOverFrames()
        }
    }

    private func scheduleRegistration(after delay: Duration? = nil) {
        guard !stopped else { return }
        let delay = delay ?? backoff.delay(attempt: max(attempt, 1), randomUnit: Double.random(in: 0..<1))
        retry = eventLoop.scheduleTimer(after: delay) { [weak self] in
            self?.retry = nil
            self?.register()
        }
    }

    private func notThere(_ error: some CustomStringConvertible) {
        if attempt == 1 || attempt % 10 == 0 {
            logger.warning("the agent is not there (\(path)): \(error); retrying")
        }
        scheduleRegistration()
    }

    // MARK: - gRPC

    private func registerOverGRPC() {
        if let client, client.isOpen {
            call(client)
            return
        }
        registering = true
        GRPCClient.connect(to: .unix(path), on: eventLoop) { [self] result in
            switch result {
            case .success(let client):
                guard !stopped else { return client.close() }
                self.client = client
                client.onClose = { [weak self, weak client] reason in
                    guard let self, let client else { return }
                    grpcConnectionClosed(client, reason)
                }
                call(client)
            case .failure(let error):
                registering = false
                notThere(error)
            }
        }
    }

    private func call(_ client: GRPCClient) {
        registering = true
        client.unary(
            "/v0.Registration/RegisterDiscoveryHandler",
            request: request.serialized,
            timeout: .seconds(10)
        ) { [self] result in
            registering = false
            guard !stopped else { return }
            switch result {
            case .success:
                if detected == nil { logger.info("the agent speaks gRPC; registering over gRPC") }
                detected = .grpc
                attempt = 0
                isRegistered = true
                registrations += 1
                agentFile = FileSystem.identity(of: path)
                logger.info(
                    "registered with the agent",
                    ["socket": path, "endpoint": request.endpoint, "protocol": "gRPC"]
                )
            case .failure(let status):
                if choice == .auto, !client.serverSpeaksHTTP2 {
                    logger.info("the agent does not speak HTTP/2 (\(status.message)); registering over frames")
                    detected = .frames
                    self.client = nil
                    client.onClose = nil
                    client.close()
                    register()
                    return
                }
                if status.code == .unavailable {
                    // The connection went (an agent stopping refuses new streams, then closes):
                    // a restarted agent is dialled with the usual backoff, not after a refusal's wait.
                    if self.client === client { self.client = nil }
                    notThere(status.message)
                    return
                }
                logger.warning(
                    "the agent refused the registration: \(status); trying again in \(Self.grpcRetry)",
                    ["socket": path]
                )
                scheduleRegistration(after: Self.grpcRetry)
            }
        }
    }

    private func grpcConnectionClosed(_ client: GRPCClient, _ reason: String?) {
        guard client === self.client else { return }
        self.client = nil
        guard !stopped, isRegistered else { return }
        let now = FileSystem.identity(of: path)
        if now != nil, now == agentFile {
            // The same agent closed an idle connection: hold a new one, registered as before.
            logger.debug("the agent closed the registration connection\(reason.map { " (\($0))" } ?? ""); reconnecting")
            GRPCClient.connect(to: .unix(path), on: eventLoop) { [weak self] result in
                guard let self, case .success(let client) = result else { return }
                guard !stopped, self.client == nil else { return client.close() }
                self.client = client
                client.onClose = { [weak self, weak client] reason in
                    guard let self, let client else { return }
                    grpcConnectionClosed(client, reason)
                }
            }
            return
        }
        isRegistered = false
        logger.warning("the agent went away\(reason.map { " (\($0))" } ?? ""); registering again when it is back")
        scheduleRegistration(after: .zero)
    }

    // MARK: - Frames

    private func registerOverFrames() {
        registering = true
        Connection.connect(unixPath: path, on: eventLoop) { [self] result in
            eventLoop.preconditionInEventLoop()
            switch result {
            case .success(let connection):
                guard !stopped else { return connection.close() }
                let channel = FrameConnection(
                    connection,
                    onFrame: { [weak self] channel, frame in self?.received(frame, on: channel) },
                    onClose: { [weak self] channel, reason in self?.lost(channel, reason) }
                )
                self.channel = channel
                channel.send(.register(request))
            case .failure(let error):
                registering = false
                notThere(error)
            }
        }
    }

    private func received(_ frame: Frame, on channel: FrameConnection) {
        registering = false
        switch frame {
        case .registered:
            attempt = 0
            isRegistered = true
            registrations += 1
            logger.info(
                "registered with the agent",
                ["socket": path, "endpoint": request.endpoint, "protocol": "frames"]
            )
        case .error(let status):
            logger.error("the agent refused the registration: \(status)")
            channel.close()
        default:
            channel.fail(Status(.failedPrecondition, "expected registered, got \(frame.name)"))
        }
    }

    private func lost(_ channel: FrameConnection, _ reason: String?) {
        guard channel === self.channel else { return }
        self.channel = nil
        registering = false
        guard !stopped else { return }
        if isRegistered {
            logger.warning("the agent went away\(reason.map { " (\($0))" } ?? ""); registering again when it is back")
        } else if choice == .auto {
            // Not registered over frames: the agent may speak only gRPC now.
            detected = nil
        }
        isRegistered = false
        scheduleRegistration()
    }
}
