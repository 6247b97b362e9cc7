public import AgentProtocol
public import IO
public import Logging
import MQTTClient
import MQTTSession

/// Keeps a discovery handler registered with the agent: connects to the agent's registration
/// socket, sends `register`, and holds the connection open. When it closes (the agent went away)
/// the handler registers again, with backoff, as soon as the agent is back. Akri's own agent
/// forgets handlers when it restarts and its handlers only notice once a stream breaks; holding
/// the connection makes the restart visible at once.
///
/// `@unchecked Sendable`: lives on the handler's loop; every callback it sets up runs there.
public final class Registrar: @unchecked Sendable {
    private let path: String
    private let request: RegisterDiscoveryHandlerRequest
    private let eventLoop: EventLoop
    private let logger: Logger
    private let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10))
    private var attempt = 0
    private var channel: FrameConnection?
    private var retry: TimerID?
    private var stopped = false
    /// Whether the agent has accepted the registration on the current connection.
    public private(set) var isRegistered = false

    /// A registrar for `request` against the agent's socket at `path`.
    public init(path: String, request: RegisterDiscoveryHandlerRequest, eventLoop: EventLoop, logger: Logger) {
        self.path = path
        self.request = request
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Starts registering. Call on the loop.
    public func start() {
        eventLoop.preconditionInEventLoop()
        connect()
    }

    /// Stops, closing the registration connection. Call on the loop.
    public func stop() {
        eventLoop.preconditionInEventLoop()
        stopped = true
        if let retry { eventLoop.cancelTimer(retry) }
        channel?.close()
        channel = nil
    }

    private func connect() {
        guard !stopped else { return }
        attempt += 1
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
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("the agent is not there (\(path)): \(error); retrying")
                }
                scheduleRetry()
            }
        }
    }

    private func received(_ frame: Frame, on channel: FrameConnection) {
        switch frame {
        case .registered:
            attempt = 0
            isRegistered = true
            logger.info("registered with the agent", ["socket": path, "endpoint": request.endpoint])
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
        guard !stopped else { return }
        if isRegistered {
            logger.warning("the agent went away\(reason.map { " (\($0))" } ?? ""); registering again when it is back")
        }
        isRegistered = false
        scheduleRetry()
    }

    private func scheduleRetry() {
        guard !stopped else { return }
        let delay = backoff.delay(attempt: max(attempt, 1), randomUnit: Double.random(in: 0..<1))
        retry = eventLoop.scheduleTimer(after: delay) { [weak self] in
            self?.retry = nil
            self?.connect()
        }
    }
}
