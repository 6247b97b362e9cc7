/// The latest message per topic and a bounded history of all of them, in memory.
///
/// Both are bounded so a chatty device or a wildcard that matches without end cannot exhaust
/// memory: the history by a count and by bytes (oldest dropped first), the latest values by a
/// number of topics (the topic heard from least recently is forgotten first).
public struct MessageStore: Sendable {
    /// The bounds.
    public struct Limits: Hashable, Sendable {
        /// Messages kept in the history.
        public var historyCount: Int
        /// Bytes of messages kept in the history (topic, payload and bookkeeping).
        public var historyBytes: Int
        /// Topics whose latest message is kept.
        public var topics: Int

        /// Limits; the defaults keep 1,000 messages within 16 MiB and 10,000 topics.
        public init(historyCount: Int = 1_000, historyBytes: Int = 16 << 20, topics: Int = 10_000) {
            self.historyCount = historyCount
            self.historyBytes = historyBytes
            self.topics = topics
        }
    }

    /// The bounds applied.
    public let limits: Limits
    /// The latest message of each topic.
    public private(set) var latest: [String: StoredMessage] = [:]
    private var history: [StoredMessage] = []
    /// Index in `history` of its oldest message (a ring grown by appending and trimmed in bulk).
    private var historyStart = 0
    /// Bytes of the messages in the history.
    public private(set) var historyBytes = 0

    /// An empty store with these limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Messages in the history.
    public var historyCount: Int { history.count - historyStart }

    /// Keeps `message` as its topic's latest and in the history.
    public mutating func add(_ message: StoredMessage) {
        if latest.updateValue(message, forKey: message.topic) == nil, latest.count > limits.topics {
            // Forget the topic heard from least recently (rare: only past the topic bound).
            if let stalest = latest.min(by: { $0.value.sequence < $1.value.sequence })?.key {
                latest[stalest] = nil
            }
        }
        guard limits.historyCount > 0 else { return }
        history.append(message)
        historyBytes += message.footprint
        while historyCount > limits.historyCount || (historyBytes > limits.historyBytes && historyCount > 1) {
            historyBytes -= history[historyStart].footprint
            historyStart += 1
        }
        // Drop the dead prefix once it is as large as the live part, so appends stay amortised O(1).
        if historyStart > 64, historyStart * 2 >= history.count {
            history.removeFirst(historyStart)
            historyStart = 0
        }
    }

    /// The latest messages, ordered by topic.
    public func latestMessages() -> [StoredMessage] {
        latest.values.sorted { $0.topic < $1.topic }
    }

    /// Up to `limit` of the newest messages in the history, of `topic` only when given, oldest first.
    public func history(topic: String? = nil, limit: Int) -> [StoredMessage] {
        var result: [StoredMessage] = []
        var index = history.count - 1
        while index >= historyStart, result.count < limit {
            if topic == nil || history[index].topic == topic { result.append(history[index]) }
            index -= 1
        }
        return result.reversed()
    }

    /// The messages in the history that came after `sequence`, of `topic` only when given,
    /// oldest first: what a client that saw `sequence` last has missed (as far as the history
    /// still holds it).
    public func history(after sequence: UInt64, topic: String? = nil) -> [StoredMessage] {
        var result: [StoredMessage] = []
        var index = history.count - 1
        while index >= historyStart, history[index].sequence > sequence {
            if topic == nil || history[index].topic == topic { result.append(history[index]) }
            index -= 1
        }
        return result.reversed()
    }
}
