public import IO
public import Logging
public import MQTTClient
public import MQTTCodec
public import MQTTSession

/// MQTT clients shared by the discoverers on one event loop: one client, and so one persistent
/// session, per broker and client identifier. Several Discover streams (several Configurations,
/// or the same one asked for twice, as Akri's agent does after a handler registers again) then
/// share a session instead of taking it from each other.
///
/// Every member hears every message of its client (each engine keeps what matches its own
/// filters) and every change of its connection state. A client subscribes to the union of its
/// members' filters and unsubscribes a filter when its last member leaves. Use it on the loop's
/// thread only.
///
/// `@unchecked Sendable`: used on its loop only (checked by `preconditionInEventLoop`).
public final class BrokerPool: @unchecked Sendable {
    /// The loop the clients run on.
    public let eventLoop: EventLoop
    private let logger: Logger
    private var entries: [Key: Entry] = [:]
    private var nextToken = 0

    /// A member's place in the pool, to subscribe with and to leave.
    public struct Membership: Hashable, Sendable {
        fileprivate let key: Key
        fileprivate let token: Int
    }

    /// What makes two configurations one session: the broker, the client identifier and the
    /// credentials (different credentials may see different topics).
    fileprivate struct Key: Hashable, Sendable {
        let url: String
        let clientIdentifier: String
        let userName: String?
        let password: [UInt8]?
    }

    /// Loop-confined; `@unchecked Sendable` so the client's callbacks (which run on the loop)
    /// can hold it.
    private final class Entry: @unchecked Sendable {
        var client: MQTTClient?
        var members: [Int: Member] = [:]
        /// How many members subscribed to each filter.
        var filterUsers: [String: Int] = [:]
        var state: ConnectionState = .connecting(attempt: 1)
        /// For ``BrokerStatus``.
        var since = ContinuousClock.now
        var wallSince = Host.wallClockMilliseconds
        var connects = 0
        var disconnects = 0
        var lastError: String?
        var messages = 0
        var bytes = 0
        var subscribed = false
        var everSubscribed = false
    }

    private struct Member {
        let onState: (ConnectionState) -> Void
        let onMessage: (Message) -> Void
        var filters: Set<String> = []
    }

    /// A pool whose clients log through `logger` (with the broker in their metadata).
    public init(eventLoop: EventLoop, logger: Logger = .disabled) {
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Joins the client for `configuration` (starting it if it is the first member) and subscribes
    /// to `subscriptions`; `acknowledged` runs once the broker has answered them. A member that
    /// joins a connected client hears `connected` at once.
    public func attach(
        _ configuration: ClientConfiguration,
        subscriptions: [Subscription],
        onState: @escaping (ConnectionState) -> Void,
        onMessage: @escaping (Message) -> Void,
        acknowledged: @escaping @Sendable () -> Void
    ) -> Membership {
        eventLoop.preconditionInEventLoop()
        let key = Key(
            url: configuration.url.description,
            clientIdentifier: configuration.clientIdentifier,
            userName: configuration.userName,
            password: configuration.password
        )
        let entry = entries[key] ?? makeEntry(configuration, key: key)
        nextToken += 1
        entry.members[nextToken] = Member(onState: onState, onMessage: onMessage)
        let membership = Membership(key: key, token: nextToken)
        if case .connected = entry.state { onState(entry.state) }
        subscribe(membership, subscriptions, acknowledged: acknowledged)
        return membership
    }

    /// Subscribes a member to more filters. A filter another member already has is subscribed
    /// again all the same, so the broker sends its retained messages to the newcomer too.
    public func subscribe(
        _ membership: Membership,
        _ subscriptions: [Subscription],
        acknowledged: (@Sendable () -> Void)? = nil
    ) {
        eventLoop.preconditionInEventLoop()
        guard let entry = entries[membership.key], entry.members[membership.token] != nil else { return }
        for subscription in subscriptions
        where entry.members[membership.token]!.filters.insert(subscription.topicFilter).inserted {
            entry.filterUsers[subscription.topicFilter, default: 0] += 1
        }
        let logger = logger
        entry.client?.subscribe(subscriptions) { [weak entry] result in
            switch result {
            case .success(let codes):
                entry?.subscribed = true
                entry?.everSubscribed = true
                for (subscription, code) in zip(subscriptions, codes) where code.isFailure {
                    logger.error("the broker refused the subscription to '\(subscription.topicFilter)': \(code)")
                }
                acknowledged?()
            case .failure(.stopped):
                break
            case .failure(let error):
                logger.warning("subscribing failed: \(error)")
            }
        }
    }

    /// Leaves the pool: filters no other member uses are unsubscribed. Returns the client when
    /// this was its last member, for the caller to disconnect (and await).
    public func detach(_ membership: Membership) -> MQTTClient? {
        eventLoop.preconditionInEventLoop()
        guard let entry = entries[membership.key],
            let member = entry.members.removeValue(forKey: membership.token)
        else { return nil }
        if entry.members.isEmpty {
            entries[membership.key] = nil
            return entry.client
        }
        var unused: [String] = []
        for filter in member.filters {
            entry.filterUsers[filter, default: 1] -= 1
            if entry.filterUsers[filter] == 0 {
                entry.filterUsers[filter] = nil
                unused.append(filter)
            }
        }
        if !unused.isEmpty, let client = entry.client {
            let logger = logger
            Task {
                do {
                    try await client.unsubscribe(unused.sorted())
                } catch {
                    logger.debug("unsubscribing failed: \(error)")
                }
            }
        }
        return nil
    }

    private func makeEntry(_ configuration: ClientConfiguration, key: Key) -> Entry {
        var clientLogger = logger
        clientLogger.metadata["broker"] = configuration.url.description
        let entry = Entry()
        let client = MQTTClient(
            configuration: configuration,
            eventLoop: eventLoop,
            logger: clientLogger,
            onStateChange: { [weak self, weak entry] state in
                guard let self, let entry, entries[key] === entry else { return }
                if Self.kind(of: entry.state) != Self.kind(of: state) {
                    entry.since = ContinuousClock.now
                    entry.wallSince = Host.wallClockMilliseconds
                }
                switch state {
                case .connected:
                    entry.connects += 1
                    // The client subscribes again itself when the broker lost the session.
                    entry.subscribed = entry.everSubscribed
                case .disconnected(let error, _):
                    entry.disconnects += 1
                    entry.lastError = "\(error)"
                    entry.subscribed = false
                default: break
                }
                entry.state = state
                for member in entry.members.values { member.onState(state) }
            },
            onMessage: { [weak self, weak entry] message in
                guard let self, let entry, entries[key] === entry else { return false }
                entry.messages += 1
                entry.bytes += message.payload.count
                for member in entry.members.values { member.onMessage(message) }
                return true
            }
        )
        entry.client = client
        entries[key] = entry
        client.start()
        return entry
    }

    /// What each broker's client is doing, for metrics and status pages.
    public func statuses() -> [BrokerStatus] {
        eventLoop.preconditionInEventLoop()
        let now = ContinuousClock.now
        return entries.map { key, entry in
            BrokerStatus(
                url: key.url,
                clientIdentifier: key.clientIdentifier,
                state: entry.state,
                stateAge: now - entry.since,
                stateSinceMilliseconds: entry.wallSince,
                connects: entry.connects,
                disconnects: entry.disconnects,
                lastError: entry.lastError,
                messages: entry.messages,
                bytes: entry.bytes,
                subscriptions: entry.filterUsers.count,
                subscribed: entry.subscribed,
                members: entry.members.count
            )
        }.sorted { ($0.url, $0.clientIdentifier) < ($1.url, $1.clientIdentifier) }
    }

    /// Connected, connecting, down or stopped: a change of kind is a transition.
    private static func kind(of state: ConnectionState) -> Int {
        switch state {
        case .connecting: 0
        case .connected: 1
        case .disconnected: 2
        case .stopped: 3
        }
    }
}

/// One broker's client in a ``BrokerPool``, as metrics and status pages show it.
public struct BrokerStatus: Sendable {
    /// The broker's URL.
    public var url: String
    /// The client identifier (one session).
    public var clientIdentifier: String
    /// The connection's state.
    public var state: ConnectionState
    /// How long it has been in this kind of state (connected, connecting, down).
    public var stateAge: Duration
    /// When it entered it, wall clock, milliseconds since 1970.
    public var stateSinceMilliseconds: Int64
    /// Connections made (CONNACK received).
    public var connects: Int
    /// Connections lost or refused.
    public var disconnects: Int
    /// Why the last one was lost.
    public var lastError: String?
    /// Messages received.
    public var messages: Int
    /// Payload bytes received.
    public var bytes: Int
    /// Topic filters subscribed.
    public var subscriptions: Int
    /// Whether the broker has answered the subscriptions since the last connection.
    public var subscribed: Bool
    /// Discover streams sharing this client.
    public var members: Int

    /// Whether the client is connected.
    public var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }
}
