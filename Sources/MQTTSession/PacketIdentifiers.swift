/// Packet identifiers for our QoS 1/2 publishes, subscribes and unsubscribes: never 0, and never
/// one that is still in use [MQTT-2.2.1-3]. Handed out round-robin, so a just-released identifier
/// is not reused at once (which makes a late duplicate acknowledgement harmless).
struct PacketIdentifiers {
    private var next: UInt16 = 1
    private(set) var inUse: Set<UInt16> = []

    /// A free identifier, or nil when all 65,535 are in use.
    mutating func allocate() -> UInt16? {
        guard inUse.count < Int(UInt16.max) else { return nil }
        while true {
            let candidate = next
            next = next == .max ? 1 : next + 1
            if inUse.insert(candidate).inserted { return candidate }
        }
    }

    /// Marks an identifier as taken (when resuming a session that already uses it).
    mutating func reserve(_ identifier: UInt16) {
        inUse.insert(identifier)
    }

    /// Frees an identifier once its exchange is complete.
    mutating func release(_ identifier: UInt16) {
        inUse.remove(identifier)
    }
}

/// Items kept in the order they were added, removable by key in O(1): the in-flight publishes,
/// which must be re-sent in their original order [MQTT-4.6.0-1] but are acknowledged one by one.
struct OrderedQueue<Value> {
    private var values: [UInt16: Value] = [:]
    private var order: [UInt16] = []
    private var head = 0

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }

    subscript(key: UInt16) -> Value? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { order.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                compactIfSparse()
            }
        }
    }

    /// The values in the order they were added.
    var inOrder: [(UInt16, Value)] {
        order[head...].compactMap { key in values[key].map { (key, $0) } }
    }

    mutating func removeAll() {
        values = [:]
        order = []
        head = 0
    }

    /// Acknowledgements mostly arrive in order: skip removed keys at the front, and rebuild the
    /// order when it is mostly removed keys.
    private mutating func compactIfSparse() {
        while head < order.count, values[order[head]] == nil { head += 1 }
        if order.count - head > 2 * values.count + 64 {
            order = order[head...].filter { values[$0] != nil }
            head = 0
        } else if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
