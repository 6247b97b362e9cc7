public import IO
public import Logging
public import MQTTCodec
public import MQTTSession

/// An MQTT client for one broker: it connects, keeps its session, delivers messages, and
/// reconnects with backoff when the connection is lost.
///
/// The client lives on one ``EventLoop``. Received messages go to the handler given at creation,
/// on that loop's thread, straight from the read buffer: no copy, no hop between threads and no
/// lock per message. The handler must therefore return quickly. The acknowledgements for a batch
/// of messages read together leave in one write. Public methods may be called from any thread.
///
/// `@unchecked Sendable`: its state lives on its loop (checked by `preconditionInEventLoop`); the public methods
/// hop there with `execute` before touching it.
public final class MQTTClient: ConnectionDelegate, @unchecked Sendable {
    /// The loop the client runs on.
    public let eventLoop: EventLoop
    /// The broker.
    public let url: BrokerURL
    /// Connection state changes, as they happen (the newest 256 are kept for a slow reader).
    public let states: AsyncStream<ConnectionState>

    // Loop-thread state: everything below is touched only on `eventLoop`.
    private var session: SessionState
    private var actions: [SessionAction] = []
    private var connection: Connection?
    private var decoder: PacketDecoder
    private var writeBuffer: [UInt8] = []
    private var deadlineTimer: (id: TimerID, at: Instant)?
    private var reconnectTimer: TimerID?
    private var attempt = 0
    /// Topics on which a message over the maximum packet size was skipped (each is logged once).
    private var skippedTopics: Set<String> = []
    /// How many messages over the maximum packet size were skipped.
    public private(set) var skippedMessages = 0
    /// When the current connection's CONNACK came; a connection that stays up this long resets the
    /// backoff (one dropped sooner, say by a broker that sends a bad packet after every CONNACK,
    /// keeps backing off instead of reconnecting in a tight loop).
    private var connectedAt: ContinuousClock.Instant?
    private static let stableConnection: Duration = .seconds(10)
    private var running = false
    private var stopping = false
    private var reportedStopped = false
    private var everConnected = false
    private var completions: [RequestToken: (RequestResult) -> Void] = [:]
    private var nextToken: RequestToken = 1
    private var connectWaiter: ((Result<Bool, MQTTClientError>) -> Void)?
    private var stopWaiters: [() -> Void] = []
    private var drainWaiters: [() -> Void] = []
    private let sessionStore: SessionStore?
    /// Set while `perform()` runs: actions appended meanwhile (by `lost`, say) join its loop.
    private var performing = false

    private let configuration: ClientConfiguration
    private let logger: Logger
    private let onMessage: @Sendable (Message) -> Bool
    private let onStateChange: @Sendable (ConnectionState) -> Void
    private let stateContinuation: AsyncStream<ConnectionState>.Continuation

    /// A client for `configuration` on `eventLoop`; `onMessage` receives every message, on the
    /// loop's thread, and returns whether it accepted it. A QoS 1 or 2 message it declines is not
    /// acknowledged, so the broker delivers it again in the next session: a consumer that stops
    /// (after a count, or on a full queue) loses nothing. `onStateChange` hears every connection
    /// state on the loop's thread, in order with the messages: `.connected` comes before the first
    /// message of the session, so a consumer can tell queued messages from live ones. Nothing
    /// happens until ``start()`` or ``connect()``.
    ///
    /// With a `sessionStore`, the client's half of the session survives restarts: the messages it
    /// held when the last client with that store stopped or died are sent first (see
    /// ``SessionStore``), and ``drain()`` waits for them too.
    public init(
        configuration: ClientConfiguration,
        eventLoop: EventLoop,
        logger: Logger = .disabled,
        sessionStore: SessionStore? = nil,
        onStateChange: @escaping @Sendable (ConnectionState) -> Void = { _ in },
        onMessage: @escaping @Sendable (Message) -> Bool = { _ in true }
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.url = configuration.url
        self.onMessage = onMessage
        self.onStateChange = onStateChange
        var logger = logger
        logger[metadata: "broker"] = configuration.url.description
        self.logger = logger
        session = SessionState(configuration: configuration.session)
        self.sessionStore = sessionStore
        if let sessionStore {
            session.restore(sessionStore.contents)
            let pending = sessionStore.pending
            if pending.outgoing > 0 {
                self.logger.info("\(pending.outgoing) unacknowledged messages from the session store will be sent")
            }
        }
        decoder = PacketDecoder(
            version: configuration.protocolVersion,
            maximumPacketSize: Int(configuration.maximumPacketSize)
        )
        (states, stateContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
    }

    // MARK: - Starting and stopping

    /// Connects, and keeps reconnecting with backoff whenever the connection fails or is lost,
    /// until ``disconnect()``.
    public func start() {
        eventLoop.execute { [self] in
            guard !running, !stopping else { return }
            running = true
            warnIfInsecure()
            connectNow()
        }
    }

    /// Connects once and returns whether the broker resumed the session; throws why the first
    /// attempt failed (refused, unreachable, TLS). Once connected, lost connections are
    /// re-established as the configuration's reconnect policy says.
    @discardableResult
    public func connect() async throws(MQTTClientError) -> Bool {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Bool, MQTTClientError>, Never>) in
            eventLoop.execute { [self] in
                guard !running, !stopping else {
                    continuation.resume(
                        returning: .failure(stopping ? .stopped : .invalidConfiguration("already started"))
                    )
                    return
                }
                running = true
                connectWaiter = { continuation.resume(returning: $0) }
                warnIfInsecure()
                connectNow()
            }
        }
        return try result.get()
    }

    /// Sends DISCONNECT (so the broker drops the will), closes, and stops reconnecting. Requests
    /// still open fail with ``MQTTClientError/stopped``.
    public func disconnect() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            eventLoop.execute { [self] in
                guard !stopping || connection != nil else {
                    continuation.resume()
                    return
                }
                stopping = true
                stopWaiters.append { continuation.resume() }
                if let reconnectTimer { eventLoop.cancelTimer(reconnectTimer) }
                reconnectTimer = nil
                session.disconnect(now: .now(), into: &actions)
                perform()
                if connection == nil { finishStopping() }
            }
        }
    }

    /// Returns once no QoS 1 or 2 message waits for the broker (messages taken back from the
    /// session store included), or once the client is not running (stopped, or gave up after a
    /// failure it does not reconnect from).
    public func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            eventLoop.execute { [self] in
                if session.pendingPublishes == 0 || !running {
                    continuation.resume()
                } else {
                    drainWaiters.append { continuation.resume() }
                }
            }
        }
    }

    // MARK: - Requests

    /// Publishes `message`: returns once the broker has acknowledged it (QoS 1, 2) or it has been
    /// handed to the network (QoS 0). Messages published while disconnected wait for the next
    /// connection.
    public func publish(_ message: Message) async throws(MQTTClientError) {
        let result = await request { session, token, now, actions in
            session.publish(message, token: token, now: now, into: &actions)
        }
        if case .failed(let error) = result { throw error }
    }

    /// Publishes without waiting; `completion`, if given, runs on the event loop. For producers
    /// that publish many messages: call it on the loop to avoid a thread hop per message.
    public func publish(_ message: Message, completion: (@Sendable (Result<Void, MQTTClientError>) -> Void)? = nil) {
        submit { [self] in
            let token = completion.map { completion in
                register { result in
                    if case .failed(let error) = result {
                        completion(.failure(error))
                    } else {
                        completion(.success(()))
                    }
                }
            }
            session.publish(message, token: token, now: .now(), into: &actions)
            perform()
        }
    }

    /// Subscribes; returns the broker's code for each filter (the granted QoS, or why it refused).
    /// The subscriptions are remembered and made again whenever the broker loses the session.
    @discardableResult
    public func subscribe(_ subscriptions: [Subscription]) async throws(MQTTClientError) -> [ReasonCode] {
        let result = await request { session, token, now, actions in
            session.subscribe(subscriptions, token: token, now: now, into: &actions)
        }
        switch result {
        case .subscribed(let codes): return codes
        case .failed(let error): throw error
        default: return []
        }
    }

    /// Subscribes without waiting (the subscriptions are remembered and made whenever the client
    /// is connected); `completion`, if given, runs on the event loop with the broker's codes.
    public func subscribe(
        _ subscriptions: [Subscription],
        completion: (@Sendable (Result<[ReasonCode], MQTTClientError>) -> Void)? = nil
    ) {
        submit { [self] in
            let token = completion.map { completion in
                register { result in
                    switch result {
                    case .subscribed(let codes): completion(.success(codes))
                    case .failed(let error): completion(.failure(error))
                    default: completion(.success([]))
                    }
                }
            }
            session.subscribe(subscriptions, token: token, now: .now(), into: &actions)
            perform()
        }
    }

    /// Unsubscribes; returns the broker's code for each filter.
    @discardableResult
    public func unsubscribe(_ filters: [String]) async throws(MQTTClientError) -> [ReasonCode] {
        let result = await request { session, token, now, actions in
            session.unsubscribe(filters, token: token, now: now, into: &actions)
        }
        switch result {
        case .unsubscribed(let codes): return codes
        case .failed(let error): throw error
        default: return []
        }
    }

    private func request(
        _ body: @escaping @Sendable (inout SessionState, RequestToken, Instant, inout [SessionAction]) -> Void
    ) async -> RequestResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<RequestResult, Never>) in
            submit { [self] in
                guard !stopping else {
                    continuation.resume(returning: .failed(.stopped))
                    return
                }
                let token = register { continuation.resume(returning: $0) }
                body(&session, token, .now(), &actions)
                perform()
            }
        }
    }

    private func register(_ completion: @escaping (RequestResult) -> Void) -> RequestToken {
        let token = nextToken
        nextToken += 1
        completions[token] = completion
        return token
    }

    /// Runs `work` on the loop: at once when already there.
    private func submit(_ work: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { work() } else { eventLoop.execute(work) }
    }

    // MARK: - Connecting

    private func connectNow() {
        reconnectTimer = nil
        attempt += 1
        report(.connecting(attempt: attempt))
        Connection.connect(
            host: configuration.url.host,
            port: configuration.url.port,
            tls: configuration.url.usesTLS ? configuration.tls : nil,
            timeout: configuration.connectTimeout,
            on: eventLoop
        ) { [self] result in
            switch result {
            case .success(let connection):
                guard running, !stopping else {
                    connection.close()
                    return
                }
                self.connection = connection
                decoder = PacketDecoder(
                    version: session.version,
                    maximumPacketSize: Int(configuration.maximumPacketSize)
                )
                connection.delegate = self
                logger.debug("connected to \(connection.remoteAddress); sending CONNECT")
                session.connectionOpened(now: .now(), into: &actions)
                perform()
            case .failure(let error):
                lost(.from(error))
            }
        }
    }

    private func warnIfInsecure() {
        if configuration.url.usesTLS && !configuration.tls.verifyPeer {
            logger.warning(
                "TLS certificate verification is off: the connection can be read and changed by anyone on the path"
            )
        }
    }

    // MARK: - ConnectionDelegate

    /// Decodes what arrived and lets the session act on every packet.
    public func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        guard connection === self.connection else { return }
        decoder.append(bytes)
        let now = Instant.now()
        while self.connection != nil {
            do {
                guard let packet = try decoder.next() else { break }
                if logger.isEnabled(.trace) { logger.trace("received \(packet)") }
                session.received(packet, now: now, into: &actions)
            } catch {
                // An oversized 3.1.1 message is not the broker's fault; the session reports it.
                if error.skippedPublish == nil || session.version != .v311 {
                    logger.error("the broker sent a malformed packet: \(error)")
                }
                session.decodingFailed(error, now: now, into: &actions)
            }
            perform()
        }
    }

    /// Nothing to do: the session only waits for acknowledgements, never for buffer space.
    public func connectionDidDrain(_ connection: Connection) {}

    /// The broker is not reading what we send (acknowledgements pile up): reading stops until it
    /// does, so memory stays bounded however fast it sends.
    public func connectionDidPauseReading(_ connection: Connection) {
        logger.info(
            "the broker is not reading what we send (\(connection.bufferedOutboundBytes) bytes wait); reading paused until it does"
        )
    }

    /// The connection ended without the session asking for it.
    public func connectionDidClose(_ connection: Connection, error: IOError?) {
        guard connection === self.connection else { return }
        self.connection = nil
        lost(error.map(MQTTClientError.from) ?? .connectionLost("closed"))
    }

    // MARK: - Carrying out the session's actions

    private func perform() {
        guard !performing else { return }
        performing = true
        defer { performing = false }
        var index = 0
        while index < actions.count {
            let action = actions[index]
            index += 1
            switch action {
            case .send(let packet):
                encode(packet)
            case .deliver(let message, let acknowledgement):
                if onMessage(message) {
                    if let sessionStore, message.qos == .exactlyOnce, let identifier = message.packet.packetIdentifier {
                        // Kept before PUBREC leaves: after a restart it is not delivered again.
                        sessionStore.record(.received(packetIdentifier: identifier))
                    }
                    if let acknowledgement { encode(acknowledgement) }
                } else {
                    session.declined(message)
                }
            case .store(let change):
                sessionStore?.record(change)
            case .complete(let token, let result):
                completions.removeValue(forKey: token)?(result)
            case .skipped(let skipped):
                skippedMessages += 1
                let topic = String(decoding: skipped.topic, as: UTF8.self)
                // Once per topic (a device sending oversized messages would flood the log), and
                // a bounded set of topics remembered.
                if skippedTopics.count < 1_024, skippedTopics.insert(topic).inserted {
                    logger.warning(
                        "skipped a message of \(skipped.size) bytes on \(topic): over the maximum packet size of \(configuration.maximumPacketSize) (acknowledged, not delivered; said once per topic)"
                    )
                }
            case .connected(let sessionPresent):
                connectedAt = .now
                everConnected = true
                report(.connected(sessionPresent: sessionPresent))
                if let waiter = connectWaiter {
                    connectWaiter = nil
                    waiter(.success(sessionPresent))
                }
            case .close(let reason):
                // Send what the session queued last (a DISCONNECT), then close.
                flushWrites()
                if let connection {
                    self.connection = nil
                    connection.closeAfterFlush()
                }
                lost(reason)
            }
        }
        actions.removeAll(keepingCapacity: true)
        flushWrites()
        scheduleDeadline()
        if !drainWaiters.isEmpty && session.pendingPublishes == 0 { resumeDrainWaiters() }
    }

    private func resumeDrainWaiters() {
        let waiters = drainWaiters
        drainWaiters = []
        for waiter in waiters { waiter() }
    }

    private func encode(_ packet: Packet) {
        guard connection != nil else { return }
        if logger.isEnabled(.trace) { logger.trace("sending \(packet)") }
        do {
            try packet.encode(
                version: session.version,
                into: &writeBuffer,
                maximumPacketSize: session.limits.maximumPacketSize
            )
        } catch {
            logger.error("cannot send \(packet.type): \(error)")
        }
    }

    private func flushWrites() {
        guard let connection, !writeBuffer.isEmpty else {
            writeBuffer.removeAll(keepingCapacity: true)
            return
        }
        connection.write(writeBuffer)
        writeBuffer = []
        connection.flush()
    }

    // MARK: - Timers

    /// Keeps one timer at the session's next deadline. Deadlines mostly move later (each packet
    /// pushes keep alive out), so the timer is only moved earlier; when it fires early the session
    /// does nothing and the timer is set again.
    private func scheduleDeadline() {
        guard let deadline = session.nextDeadline, connection != nil else {
            if let timer = deadlineTimer { eventLoop.cancelTimer(timer.id) }
            deadlineTimer = nil
            return
        }
        if let timer = deadlineTimer {
            if timer.at <= deadline { return }
            eventLoop.cancelTimer(timer.id)
        }
        let id = eventLoop.scheduleTimer(at: .now + (deadline - Instant.now())) { [self] in
            deadlineTimer = nil
            session.tick(now: .now(), into: &actions)
            perform()
        }
        deadlineTimer = (id, deadline)
    }

    // MARK: - Losing the connection

    private func lost(_ error: MQTTClientError) {
        if let connection {
            self.connection = nil
            connection.close()
        }
        if let timer = deadlineTimer {
            eventLoop.cancelTimer(timer.id)
            deadlineTimer = nil
        }
        writeBuffer.removeAll(keepingCapacity: true)
        session.connectionClosed(stopping ? .stopped : error, now: .now(), into: &actions)
        if stopping {
            perform()
            finishStopping()
            return
        }
        if let waiter = connectWaiter {
            // The first attempt of connect() failed: report it and stop.
            connectWaiter = nil
            running = false
            // The caller of connect() gets the error; logging it too would say it twice.
            report(.disconnected(error, retryIn: nil), logLevel: .debug)
            session.failAll(error, into: &actions)
            perform()
            resumeDrainWaiters()
            waiter(.failure(error))
            return
        }
        guard let backoff = configuration.reconnect else {
            running = false
            logger.error("connection lost: \(error)")
            report(.disconnected(error, retryIn: nil))
            session.failAll(error, into: &actions)
            perform()
            resumeDrainWaiters()
            return
        }
        perform()
        if let connectedAt, ContinuousClock.now - connectedAt >= Self.stableConnection { attempt = 1 }
        connectedAt = nil
        let delay = backoff.delay(attempt: max(0, attempt - 1), randomUnit: Double.random(in: 0...1))
        report(.disconnected(error, retryIn: delay))
        reconnectTimer = eventLoop.scheduleTimer(after: delay) { [self] in
            guard running, !stopping else { return }
            connectNow()
        }
    }

    private func finishStopping() {
        running = false
        // Closing the connection in `disconnect()` may already have finished the stop.
        if !reportedStopped {
            reportedStopped = true
            report(.stopped)
            stateContinuation.finish()
        }
        // A connect() still waiting (for the TCP connection, or for CONNACK) ends here too.
        if let waiter = connectWaiter {
            connectWaiter = nil
            waiter(.failure(.stopped))
        }
        let waiters = stopWaiters
        stopWaiters = []
        for waiter in waiters { waiter() }
        resumeDrainWaiters()
    }

    private func report(_ state: ConnectionState, logLevel: LogLevel? = nil) {
        let level: LogLevel =
            switch state {
            case .connected: .info
            case .disconnected: .warning
            case .connecting, .stopped: .debug
            }
        logger.log(logLevel ?? level, "\(state)")
        onStateChange(state)
        stateContinuation.yield(state)
    }
}
