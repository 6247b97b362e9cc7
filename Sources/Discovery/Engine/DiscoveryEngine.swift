public import MQTTCodec
public import MQTTSession

/// Decides which devices exist and whether they are alive, from the messages of the brokers it
/// watches, their connection events, and the time it is told.
///
/// Pure logic: no sockets, no clock, no threads. The driver feeds it messages (``received(…)``),
/// broker connections (``brokerConnected(_:now:into:)``, ``brokerDisconnected(_:now:into:)``) and
/// time (``tick(now:into:)`` at ``nextDeadline``); every change to the set of present devices is
/// appended to the caller's buffer the moment it is decided.
///
/// Devices come from topic entries (the topic itself, or the values of a template's placeholders;
/// entries with the same placeholder names are one device) and from conventions. A device is
/// present while its traffic is fresher than its timeout, or its status says online; an offline
/// status (a will, say) removes it at once; a retained replay is not fresh traffic; an empty
/// payload clears it. Per message the work is a trie walk, a dictionary lookup and a few stores:
/// timers live in one lazy min-heap, so a device costs no timer object and a message costs no heap
/// operation.
public struct DiscoveryEngine: Sendable {
    /// The details the engine was made from.
    public let details: DiscoveryDetails

    enum Route: Sendable {
        case entry(Int32)
        case convention(Int32)
    }

    /// What the device's status topics (or convention) last said. ``cleared`` and ``lapsed``
    /// count as ``unknown`` (traffic decides) and remember why, for the removal reason.
    enum Status: UInt8, Sendable {
        case unknown
        case online
        case offline
        /// An empty payload cleared its retained state.
        case cleared
        /// An online status was not repeated in time.
        case lapsed
    }

    /// Devices that share an identity space: all plain entries; entries with the same placeholder
    /// names; each convention.
    struct Group: Sendable {
        /// Placeholder names in the order ids list their values (empty for plain entries).
        var names: [String]
        /// The entry whose filled-in template is a device's `MQTT_TOPIC` (the first traffic entry).
        var primaryEntry: Int32
        /// That template as text between the places where the id's values go.
        var topicPieces: [TopicPiece] = []
    }

    /// A piece of a device's `MQTT_TOPIC`: text of the template, or one of the id's values.
    enum TopicPiece: Sendable {
        case text(String)
        /// The value of the group's placeholder number n.
        case value(Int)
    }

    /// A topic entry, as the per-message path reads it.
    struct Entry: Sendable {
        var group: Int32
        /// The topic level that is the device id when it is one level, else ``IDLevel/topic`` or
        /// ``IDLevel/joined``: the common cases without touching an inner array.
        var idLevel: Int32
        /// Whether the entry's payloads are statuses rather than traffic.
        var isStatus: Bool
        /// Silence timeout (traffic), or how long an online status holds (status; 0: until
        /// changed).
        var timeout: Int64
    }

    /// A device id's likely group and id level (``Entry/idLevel``).
    struct Guess: Sendable {
        var group: Int32
        var level: Int32
    }

    /// One device's state: 64 bytes, 8-byte fields first, so a lookup touches few cache lines.
    struct Record: Sendable {
        var id: String
        /// The brokers that reported it, as bits.
        var brokers: UInt64 = 0
        var trafficUntil: Int64 = 0
        var statusUntil: Int64 = 0
        var debounceUntil: Int64 = 0
        /// The time of its live entry in the deadline queue (0: none).
        var scheduled: Int64 = 0
        /// Its group; -1 for a free slot.
        var group: Int32
        var firstBroker: UInt8
        var status: Status = .unknown
        var present = false
        var reported = false

        var inUse: Bool { group >= 0 }

        init(id: String, group: Int32, firstBroker: UInt8) {
            self.id = id
            self.group = group
            self.firstBroker = firstBroker
        }
    }

    var trie = TopicTrie<Route>()
    var groups: [Group] = []
    /// What every message on each topic entry needs, in one place.
    var entries: [Entry] = []
    /// For each entry, the topic level holding each of its group's placeholders, in the group's
    /// order (empty for plain filters).
    var entryCaptures: [[Int]] = []
    /// Status payloads as bytes, so matching them allocates nothing.
    var onlinePayloads: [[[UInt8]]] = []
    var offlinePayloads: [[[UInt8]]] = []
    var records: [Record] = []
    /// Records by (group, id).
    var table = DeviceTable()
    var freeSlots: [Int32] = []
    var queue = DeadlineQueue()
    var connected: UInt64 = 0
    var downSince: [Int64]
    var matched: [Route] = []
    /// How the last message counted as traffic named its device: the next one most likely names
    /// its own the same way (a fleet publishing under one template), so its table slot can be
    /// fetched from memory while its topic is being matched.
    var guess = Guess(group: -1, level: IDLevel.joined)
    /// The guess the current message's slot was prefetched for, and the hash it took, which the
    /// lookup reuses when the guess was right.
    var prefetched = Guess(group: -1, level: IDLevel.joined)
    var prefetchedHash: UInt32 = 0
    /// The names of the properties every device has, with the prefix applied.
    let names: (brokerURI: String, deviceID: String, topic: String)
    /// Each broker's URL without credentials.
    let brokerURIs: [String]
    /// Each broker's devices' properties, before their id and topic.
    let propertyTemplates: [PropertiesTemplate]
    let defaultTimeout: Int64
    let grace: Int64
    let debounce: Int64
    var conventions: [any Convention] = []
    /// The group of each convention's devices.
    var conventionGroups: [Int32] = []
    /// Topics each convention asked to watch, so a topic is routed to it once.
    var watched: Set<Watch> = []
    /// The properties conventions give their devices, by record index.
    var conventionProperties: [Int32: [String: String]] = [:]
    /// Filters conventions want subscribed since ``takeNewSubscriptions()`` was last called.
    var newSubscriptions: [Subscription] = []
    /// Messages that broke a convention since ``takeProblems()`` was last called.
    var problems: [String] = []
    /// How many problems were not kept because ``maximumProblems`` were already waiting.
    public internal(set) var droppedProblems = 0

    struct Watch: Hashable, Sendable {
        var convention: Int32
        var filter: String
    }

    /// An engine for `details`; brokers count as connected until told otherwise. At most
    /// ``DiscoveryDetails/maximumBrokers`` brokers (the parser refuses more).
    public init(details: DiscoveryDetails) {
        precondition(details.brokers.count <= DiscoveryDetails.maximumBrokers, "too many brokers")
        self.details = details
        names = (
            details.propertyName("MQTT_BROKER_URI"), details.propertyName("MQTT_DEVICE_ID"),
            details.propertyName("MQTT_TOPIC")
        )
        brokerURIs = details.brokers.map(\.url.description)
        propertyTemplates = brokerURIs.map { [names] in PropertiesTemplate(names: names, brokerURI: $0) }
        defaultTimeout = Self.nanoseconds(details.timeout)
        grace = Self.nanoseconds(details.gracePeriod)
        debounce = Self.nanoseconds(details.debounce)
        downSince = Array(repeating: 0, count: details.brokers.count)
        connected = details.brokers.count == 64 ? .max : (1 << UInt64(details.brokers.count)) - 1
        groups.append(Group(names: [], primaryEntry: -1))
        for (index, entry) in details.topics.enumerated() {
            let names = entry.template.placeholders
            var group: Int32 = 0
            if !names.isEmpty {
                if let existing = groups.firstIndex(where: { Set($0.names) == Set(names) && !$0.names.isEmpty }) {
                    group = Int32(existing)
                } else {
                    groups.append(Group(names: names, primaryEntry: -1))
                    group = Int32(groups.count - 1)
                }
            }
            if groups[Int(group)].primaryEntry < 0
                || (!entry.isStatus && details.topics[Int(groups[Int(group)].primaryEntry)].isStatus)
            {
                groups[Int(group)].primaryEntry = Int32(index)
            }
            let captures = groups[Int(group)].names.map { name in
                entry.template.levels.firstIndex(of: .placeholder(name))!
            }
            entryCaptures.append(captures)
            entries.append(
                Entry(
                    group: group,
                    idLevel: captures.isEmpty
                        ? IDLevel.topic : captures.count == 1 ? Int32(captures[0]) : IDLevel.joined,
                    isStatus: entry.isStatus,
                    timeout: entry.timeout.map(Self.nanoseconds) ?? (entry.isStatus ? 0 : defaultTimeout)
                )
            )
            onlinePayloads.append(entry.online.map { Array($0.utf8) })
            offlinePayloads.append(entry.offline.map { Array($0.utf8) })
            trie.insert(entry.template.filter, .entry(Int32(index)))
        }
        for group in groups.indices where !groups[group].names.isEmpty {
            let template = details.topics[Int(groups[group].primaryEntry)].template
            groups[group].topicPieces = Self.topicPieces(of: template, names: groups[group].names)
        }
        for settings in details.conventions {
            groups.append(Group(names: [], primaryEntry: -1))
            conventionGroups.append(Int32(groups.count - 1))
            let convention = settings.makeConvention()
            for subscription in convention.subscriptions {
                trie.insert(subscription.topicFilter, .convention(Int32(conventions.count)))
            }
            conventions.append(convention)
        }
    }

    /// What to subscribe to on every broker: each entry's filter at its QoS, and each
    /// convention's topics (a filter given twice is subscribed once, at the highest QoS).
    public var subscriptions: [Subscription] {
        var byFilter: [String: QoS] = [:]
        var order: [String] = []
        let all =
            details.topics.map { Subscription(topicFilter: $0.template.filter, qos: $0.qos) }
            + conventions.flatMap(\.subscriptions)
        for subscription in all {
            if let existing = byFilter[subscription.topicFilter] {
                byFilter[subscription.topicFilter] = max(existing, subscription.qos)
            } else {
                byFilter[subscription.topicFilter] = subscription.qos
                order.append(subscription.topicFilter)
            }
        }
        return order.map { Subscription(topicFilter: $0, qos: byFilter[$0]!) }
    }

    /// Topics conventions asked to watch since the last call (Home Assistant availability topics
    /// named in discovery configs); the driver subscribes to them on every broker.
    public mutating func takeNewSubscriptions() -> [Subscription] {
        defer { newSubscriptions = [] }
        return newSubscriptions
    }

    /// Messages that broke a convention's rules since the last call (a Sparkplug death without
    /// `bdSeq`, a Home Assistant config that is not JSON…), each naming its topic; the driver logs
    /// them. At most ``maximumProblems`` wait; the rest are counted in ``droppedProblems``.
    public mutating func takeProblems() -> [String] {
        defer { problems = [] }
        return problems
    }

    /// How many problems wait for ``takeProblems()`` before more are dropped (memory stays
    /// bounded however much bad traffic arrives).
    public static let maximumProblems = 1_000

    /// The devices present now, by id.
    public var devices: [Device] {
        records.indices.filter { records[$0].inUse && records[$0].reported }.map { device(Int32($0)) }.sorted()
    }

    /// The number of devices the engine is tracking (present, or pending a decision).
    public var trackedCount: Int { records.count - freeSlots.count }

    /// When ``tick(now:into:)`` should next run, or nil if nothing is timed.
    public var nextDeadline: Instant? {
        queue.earliest.map { Instant(nanoseconds: $0) }
    }

    // MARK: - Events

    /// A message arrived from broker number `broker` (its index in the details).
    public mutating func received(
        _ message: Message,
        from broker: Int,
        now: Instant,
        into changes: inout [DeviceChange]
    ) {
        received(
            topicUTF8: message.topicUTF8,
            payload: message.payload,
            retain: message.retain,
            from: broker,
            now: now,
            into: &changes
        )
    }

    /// A message on `topic` arrived from broker number `broker` (its index in the details).
    public mutating func received(
        topic: String,
        payload: ArraySlice<UInt8>,
        retain: Bool,
        from broker: Int,
        now: Instant,
        into changes: inout [DeviceChange]
    ) {
        topic.withUTF8Bytes { bytes in
            received(
                topic: topic,
                utf8: bytes,
                payload: payload,
                retain: retain,
                from: broker,
                now: now,
                into: &changes
            )
        }
    }

    /// A message on the topic whose UTF-8 is `topicUTF8` (well-formed, as a decoded topic is)
    /// arrived from broker number `broker`.
    ///
    /// The topic is matched and identified in its bytes: a `String` of it is made only for a
    /// device seen for the first time or a convention that reads it.
    public mutating func received(
        topicUTF8: ArraySlice<UInt8>,
        payload: ArraySlice<UInt8>,
        retain: Bool,
        from broker: Int,
        now: Instant,
        into changes: inout [DeviceChange]
    ) {
        topicUTF8.withUnsafeBufferPointer { bytes in
            received(
                topic: nil,
                utf8: bytes,
                payload: payload,
                retain: retain,
                from: broker,
                now: now,
                into: &changes
            )
        }
    }

    /// `topic` is the `String` of `bytes` when the caller has one.
    private mutating func received(
        topic: String?,
        utf8 bytes: UnsafeBufferPointer<UInt8>,
        payload: ArraySlice<UInt8>,
        retain: Bool,
        from broker: Int,
        now: Instant,
        into changes: inout [DeviceChange]
    ) {
        prefetchGuessedSlot(bytes)
        match(bytes)
        // Routes are read by position: handling one never changes `matched`, and not copying the
        // array keeps its buffer's reference count out of the path.
        var position = 0
        while position < matched.count {
            switch matched[position] {
            case .entry(let entry):
                applyEntry(
                    Int(entry),
                    topic: topic,
                    utf8: bytes,
                    payload: payload,
                    retain: retain,
                    broker: broker,
                    now: now.nanoseconds,
                    into: &changes
                )
            case .convention(let index):
                var context = ConventionContext(broker: broker)
                conventions[Int(index)].handle(
                    topic: topic ?? String(decoding: bytes, as: UTF8.self),
                    payload: payload,
                    retain: retain,
                    context: &context
                )
                apply(context.intents, of: index, broker: broker, now: now.nanoseconds, into: &changes)
            }
            position += 1
        }
    }

    /// With many devices, looking one up in the table is a miss to memory on nearly every message,
    /// as long as the trie walk. Guessing the id the way the last message's was found overlaps the
    /// two; a wrong guess costs one hash and a wasted hint.
    @inline(__always)
    mutating func prefetchGuessedSlot(_ bytes: UnsafeBufferPointer<UInt8>) {
        prefetched = guess
        if guess.level >= 0 {
            prefetchedHash = table.hash(group: guess.group, utf8: TopicLevels.level(Int(guess.level), of: bytes))
        } else if guess.level == IDLevel.topic {
            prefetchedHash = table.hash(group: guess.group, utf8: bytes)
        } else {
            return
        }
        table.prefetch(prefetchedHash)
    }

    /// The table hash of `id`, the device id found at `level` of the current message's topic: the
    /// prefetch's when it guessed this group and level.
    @inline(__always)
    func hash(group: Int32, level: Int32, id: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if prefetched.group == group && prefetched.level == level && level != IDLevel.joined {
            return prefetchedHash
        }
        return table.hash(group: group, utf8: id)
    }

    /// Sets ``matched`` to the routes of the topic whose UTF-8 is `bytes`.
    @inline(__always)
    mutating func match(_ bytes: UnsafeBufferPointer<UInt8>) {
        // The buffer is swapped out while the trie is walked: with `matched` borrowed for writing
        // and the trie read in the same access to `self`, the compiler would copy the trie (and
        // retain every array in it) on each call.
        var found: [Route] = []
        swap(&found, &matched)
        found.removeAll(keepingCapacity: true)
        trie.matches(utf8: bytes, into: &found)
        swap(&found, &matched)
    }

    /// Time has passed: devices whose timeout, grace period or debounce window ended are decided.
    public mutating func tick(now: Instant, into changes: inout [DeviceChange]) {
        while let (time, index) = queue.popDue(now.nanoseconds) {
            guard records[Int(index)].inUse, records[Int(index)].scheduled == time else { continue }
            records[Int(index)].scheduled = 0
            evaluate(index, now: now.nanoseconds, into: &changes)
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
