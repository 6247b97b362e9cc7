public import Discovery
public import IO
public import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// Runs discovery live: one MQTT client per broker of the details (shared through a
/// ``BrokerPool`` with other discoverers on the loop), feeding a ``DiscoveryEngine`` with their
/// messages, their connection states and the time.
///
/// Everything happens on the loop's thread, in the order the network delivered it: a broker's
/// `connected` reaches the engine before the messages it queued for our session (wills
/// included), so grace periods and queued deaths are decided as the engine's rules say. The
/// engine's next deadline is kept armed as one loop timer. Changes are handed to `onChanges` on
/// the loop's thread as soon as they are decided, so it must return quickly.
///
/// `@unchecked Sendable`: its engine and bookkeeping live on its loop; the public methods hop there with `execute`.
public final class Discoverer: @unchecked Sendable {
    /// The loop everything runs on.
    public let eventLoop: EventLoop
    /// The details being discovered.
    public let details: DiscoveryDetails

    // Loop-thread state.
    private var engine: DiscoveryEngine
    private var memberships: [BrokerPool.Membership] = []
    private var started = false
    private var timer: (id: TimerID, at: Instant)?
    private var changes: [DeviceChange] = []
    private var stopped = false
    /// Brokers that have acknowledged the initial subscriptions, and who waits for all of them.
    private var subscribedBrokers: Set<Int> = []
    private var subscribedWaiters: [CheckedContinuation<Void, Never>] = []

    private let configurations: [ClientConfiguration]
    private let pool: BrokerPool
    private let logger: Logger
    private let onChanges: @Sendable ([DeviceChange]) -> Void

    /// Discovery for `details`. `identity` (a configuration's name, say) keeps the MQTT client
    /// identifiers, and so the persistent sessions, of different configurations apart. Fails if a
    /// broker's secrets cannot be read. Nothing connects until ``start()``. Discoverers given the
    /// same `pool` share a client (and a session) per broker, client identifier and credentials.
    public init(
        details: DiscoveryDetails,
        identity: String,
        environment: [String: String] = [:],
        eventLoop: EventLoop,
        pool: BrokerPool? = nil,
        logger: Logger = .disabled,
        onChanges: @escaping @Sendable ([DeviceChange]) -> Void
    ) throws(DiscoveryServiceError) {
        precondition(pool == nil || pool!.eventLoop === eventLoop, "the pool must run on the discoverer's loop")
        self.details = details
        self.eventLoop = eventLoop
        self.pool = pool ?? BrokerPool(eventLoop: eventLoop, logger: logger)
        self.logger = logger
        self.onChanges = onChanges
        engine = DiscoveryEngine(details: details)
        var configurations: [ClientConfiguration] = []
        for broker in details.brokers {
            configurations.append(try broker.clientConfiguration(identity: identity, environment: environment))
        }
        self.configurations = configurations
    }

    /// Connects to every broker and subscribes; keeps reconnecting until ``stop()``.
    public func start() {
        eventLoop.execute { [self] in
            guard !started, !stopped else { return }
            started = true
            let subscriptions = engine.subscriptions
            for (index, configuration) in configurations.enumerated() {
                let membership = pool.attach(
                    configuration,
                    subscriptions: subscriptions,
                    onState: { [self] state in connection(state, broker: index) },
                    onMessage: { [self] message in received(message, broker: index) },
                    acknowledged: { [self] in
                        eventLoop.execute { [self] in subscribed(broker: index) }
                    }
                )
                memberships.append(membership)
            }
            logger.info(
                "discovering",
                [
                    "brokers": configurations.map(\.url.description).joined(separator: " "),
                    "subscriptions": subscriptions.map(\.topicFilter).joined(separator: " "),
                ]
            )
        }
    }

    /// Leaves every broker (disconnecting those no other discoverer uses, so none fires our
    /// session's will) and stops the timer.
    public func stop() async {
        let clients = await withCheckedContinuation { (continuation: CheckedContinuation<[MQTTClient], Never>) in
            eventLoop.execute { [self] in
                stopped = true
                if let timer { eventLoop.cancelTimer(timer.id) }
                timer = nil
                let clients = memberships.compactMap { pool.detach($0) }
                memberships = []
                let waiters = subscribedWaiters
                subscribedWaiters = []
                for waiter in waiters { waiter.resume() }
                continuation.resume(returning: clients)
            }
        }
        for client in clients { await client.disconnect() }
    }

    /// The devices present now. Call on the loop's thread.
    public var currentDevices: [Device] {
        eventLoop.preconditionInEventLoop()
        return engine.devices
    }

    /// Returns once every broker has acknowledged the subscriptions (at once if they all have):
    /// from then on nothing published to a subscribed topic is missed. Waits as long as a broker
    /// stays unreachable (or until ``stop()``).
    public func waitUntilSubscribed() async {
        await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in
                if subscribedBrokers.count == configurations.count || stopped {
                    continuation.resume()
                } else {
                    subscribedWaiters.append(continuation)
                }
            }
        }
    }

    /// The devices present now.
    public func devices() async -> [Device] {
        await withCheckedContinuation { continuation in
            eventLoop.execute { [self] in continuation.resume(returning: engine.devices) }
        }
    }

    // MARK: - Loop thread

    private func received(_ message: Message, broker: Int) {
        guard !stopped else { return }
        engine.received(message, from: broker, now: .now(), into: &changes)
        settle()
    }

    private func subscribed(broker: Int) {
        guard !stopped, subscribedBrokers.insert(broker).inserted else { return }
        logger.info("subscribed", ["broker": configurations[broker].url.description])
        guard subscribedBrokers.count == configurations.count else { return }
        let waiters = subscribedWaiters
        subscribedWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func connection(_ state: ConnectionState, broker: Int) {
        guard !stopped else { return }
        // The client logs the state itself, with the broker in its metadata.
        switch state {
        case .connected:
            engine.brokerConnected(broker, now: .now(), into: &changes)
        case .disconnected:
            engine.brokerDisconnected(broker, now: .now(), into: &changes)
        case .connecting, .stopped:
            return
        }
        settle()
    }

    /// After every event: hand over the changes, subscribe to what conventions asked for, log
    /// what broke a convention, and keep the timer on the engine's next deadline.
    private func settle() {
        if !changes.isEmpty {
            let decided = changes
            changes.removeAll(keepingCapacity: true)
            onChanges(decided)
        }
        let subscriptions = engine.takeNewSubscriptions()
        if !subscriptions.isEmpty {
            for membership in memberships { pool.subscribe(membership, subscriptions) }
        }
        for problem in engine.takeProblems() { logger.warning(problem) }
        armTimer()
    }

    private func armTimer() {
        guard let deadline = engine.nextDeadline else { return }
        if let timer {
            guard deadline < timer.at else { return }
            eventLoop.cancelTimer(timer.id)
        }
        let delay = deadline - Instant.now()
        let id = eventLoop.scheduleTimer(after: max(delay, .zero)) { [self] in
            timer = nil
            guard !stopped else { return }
            engine.tick(now: .now(), into: &changes)
            settle()
        }
        timer = (id, deadline)
    }
}
