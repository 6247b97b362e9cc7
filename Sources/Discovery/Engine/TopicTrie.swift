/// Many topic filters, matched against a topic in one walk of its levels: the cost depends on the
/// topic's length and the filters that can match it, not on how many filters there are.
///
/// Each filter carries a value (say, the index of its topic entry); ``matches(_:into:)`` collects
/// the values of every filter that matches. Filters starting with a wildcard do not match topics
/// starting with `$` [MQTT-4.7.2-1], and `a/#` matches `a` as well as everything below it (MQTT 5.0
/// §4.7.1.2).
///
/// The trie is flat: nodes, level text and values live in arrays of plain values, and a literal
/// level is found through one open-addressing table keyed by (parent node, level bytes), so a walk
/// touches no reference counts and allocates nothing.
public struct TopicTrie<Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var parent: Int32
        /// The edge's key: the hash of the parent and the level text (0 for the root and `+` nodes).
        var key: UInt64
        /// The level text, in ``labels``.
        var labelStart: Int32
        var labelCount: Int32
        var plus: Int32 = -1
        /// How many literal children the node has (none: a walk need not look).
        var literals: Int32 = 0
        /// Values of filters ending here, as a list through ``next``.
        var exact = ValueList()
        /// Values of filters ending in `#` here (they match this level and all below).
        var rest = ValueList()
    }

    private struct ValueList: Sendable {
        var head: Int32 = -1
        var tail: Int32 = -1
    }

    private var nodes: [Node] = [Node(parent: -1, key: 0, labelStart: 0, labelCount: 0)]
    private var labels: [UInt8] = []
    /// Literal children: node indexes, -1 for empty, at most half full.
    private var slots = [Int32](repeating: -1, count: 16)
    private var values: [Value] = []
    private var next: [Int32] = []

    /// An empty trie.
    public init() {}

    /// The number of filters added.
    public private(set) var count = 0

    /// Adds `filter` (assumed valid) with `value`.
    public mutating func insert(_ filter: String, _ value: Value) {
        count += 1
        var node: Int32 = 0
        for level in filter.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if level.elementsEqual("#".utf8) {
                append(value, to: node, rest: true)
                return
            }
            if level.elementsEqual("+".utf8) {
                if nodes[Int(node)].plus < 0 {
                    nodes.append(Node(parent: node, key: 0, labelStart: 0, labelCount: 0))
                    nodes[Int(node)].plus = Int32(nodes.count - 1)
                }
                node = nodes[Int(node)].plus
                continue
            }
            let bytes = Array(level)
            let found = bytes.withUnsafeBufferPointer { child(of: node, level: $0) }
            if found >= 0 {
                node = found
            } else {
                let key = bytes.withUnsafeBufferPointer { Self.key(parent: node, level: $0) }
                nodes.append(
                    Node(parent: node, key: key, labelStart: Int32(labels.count), labelCount: Int32(bytes.count))
                )
                labels.append(contentsOf: bytes)
                let created = Int32(nodes.count - 1)
                nodes[Int(node)].literals += 1
                addSlot(created)
                node = created
            }
        }
        append(value, to: node, rest: false)
    }

    /// Appends the values of every filter matching `topic` to `values` (which is not cleared).
    public func matches(_ topic: String, into values: inout [Value]) {
        var topic = topic
        topic.withUTF8 { bytes in
            let isSystem = bytes.first == UInt8(ascii: "$")
            walk(node: 0, bytes: bytes, start: 0, isFirstLevel: true, isSystem: isSystem, into: &values)
        }
    }

    /// The values of every filter matching `topic`.
    public func matches(_ topic: String) -> [Value] {
        var values: [Value] = []
        matches(topic, into: &values)
        return values
    }

    // MARK: - Walking

    private func walk(
        node index: Int32,
        bytes: UnsafeBufferPointer<UInt8>,
        start: Int,
        isFirstLevel: Bool,
        isSystem: Bool,
        into found: inout [Value]
    ) {
        let node = nodes[Int(index)]
        // `#` matches the level it stands for and every level below, including none
        // (`sport/#` matches `sport`), but not a `$` topic from the first level.
        if !(isFirstLevel && isSystem) { collect(node.rest, into: &found) }
        // Where this level ends; `start == bytes.count + 1` means the topic is used up.
        guard start <= bytes.count else {
            collect(node.exact, into: &found)
            return
        }
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
        if node.literals > 0 {
            let literal = child(of: index, level: UnsafeBufferPointer(rebasing: bytes[start..<end]))
            if literal >= 0 {
                walk(node: literal, bytes: bytes, start: end + 1, isFirstLevel: false, isSystem: isSystem, into: &found)
            }
        }
        if node.plus >= 0 && !(isFirstLevel && isSystem) {
            walk(node: node.plus, bytes: bytes, start: end + 1, isFirstLevel: false, isSystem: isSystem, into: &found)
        }
    }

    private func collect(_ list: ValueList, into found: inout [Value]) {
        var item = list.head
        while item >= 0 {
            found.append(values[Int(item)])
            item = next[Int(item)]
        }
    }

    /// The literal child of `parent` for `level`, or -1.
    private func child(of parent: Int32, level: UnsafeBufferPointer<UInt8>) -> Int32 {
        let key = Self.key(parent: parent, level: level)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let candidate = slots[slot]
            if candidate < 0 { return -1 }
            let node = nodes[Int(candidate)]
            if node.key == key && node.parent == parent && Int(node.labelCount) == level.count
                && labelEquals(node, level)
            {
                return candidate
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func labelEquals(_ node: Node, _ level: UnsafeBufferPointer<UInt8>) -> Bool {
        labels.withUnsafeBufferPointer { labels in
            var index = 0
            var offset = Int(node.labelStart)
            while index < level.count {
                if labels[offset] != level[index] { return false }
                index += 1
                offset += 1
            }
            return true
        }
    }

    // MARK: - Building

    private mutating func append(_ value: Value, to node: Int32, rest: Bool) {
        values.append(value)
        next.append(-1)
        let item = Int32(values.count - 1)
        var list = rest ? nodes[Int(node)].rest : nodes[Int(node)].exact
        if list.tail >= 0 { next[Int(list.tail)] = item } else { list.head = item }
        list.tail = item
        if rest { nodes[Int(node)].rest = list } else { nodes[Int(node)].exact = list }
    }

    private mutating func addSlot(_ node: Int32) {
        guard nodes.count * 2 > slots.count else { return place(node) }
        // Keep the table at most half full so probes stay short; rebuild it from the nodes' keys
        // (the new node is among them; `+` nodes have key 0 and no slot).
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for index in nodes.indices where nodes[index].key != 0 { place(Int32(index)) }
    }

    private mutating func place(_ node: Int32) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: nodes[Int(node)].key) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = node
    }

    /// The key of a literal edge: 64-bit FNV-1a over the parent's index and the level's bytes,
    /// finished with a multiply-shift so the low bits (the slot) depend on all of them. Never 0.
    @inline(__always)
    private static func key(parent: Int32, level: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(UInt32(bitPattern: parent))
        for byte in level {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 32
        hash &*= 0x9E37_79B9_7F4A_7C15
        hash ^= hash >> 29
        return hash | 1
    }
}
