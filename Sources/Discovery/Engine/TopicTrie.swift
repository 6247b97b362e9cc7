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
/// touches no reference counts and allocates nothing. A slot holds half of its edge's key next to
/// the node index, and a node holds the first eight bytes of its level text, so finding a level of
/// up to eight bytes costs two dependent loads: the slot, then the node.
public struct TopicTrie<Value: Sendable>: Sendable {
    private struct Node: Sendable {
        /// The edge's key: the hash of the parent and the level text (0 for the root and `+` nodes).
        var key: UInt64
        /// The level text's first eight bytes, zero-padded.
        var head: UInt64
        var parent: Int32
        /// The level text, in ``labels``.
        var labelStart: Int32
        var labelCount: Int32
        var plus: Int32 = -1
        /// How many literal children the node has (none: a walk need not look).
        var literals: Int32 = 0
        /// The first literal child: when it is the only one, a walk compares the level with it
        /// directly instead of hashing.
        var firstLiteral: Int32 = -1
        /// Values of filters ending here: the first item of a list through ``next``.
        var exact: Int32 = -1
        /// Values of filters ending in `#` here (they match this level and all below).
        var rest: Int32 = -1

        init(parent: Int32, key: UInt64 = 0, head: UInt64 = 0, labelStart: Int32 = 0, labelCount: Int32 = 0) {
            self.key = key
            self.head = head
            self.parent = parent
            self.labelStart = labelStart
            self.labelCount = labelCount
        }
    }

    private var nodes: [Node] = [Node(parent: -1)]
    private var labels: [UInt8] = []
    /// Literal children: `key >> 32 << 32 | (node + 1)`, 0 for empty, at most half full.
    private var slots = [UInt64](repeating: 0, count: 16)
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
                    nodes.append(Node(parent: node))
                    nodes[Int(node)].plus = Int32(nodes.count - 1)
                }
                node = nodes[Int(node)].plus
                continue
            }
            let bytes = Array(level)
            let (key, head) = bytes.withUnsafeBufferPointer { Self.key(parent: node, level: $0, readable: $0.count) }
            let found = bytes.withUnsafeBufferPointer { child(of: node, key: key, head: head, level: $0) }
            if found >= 0 {
                node = found
            } else {
                nodes.append(
                    Node(
                        parent: node,
                        key: key,
                        head: head,
                        labelStart: Int32(labels.count),
                        labelCount: Int32(bytes.count)
                    )
                )
                labels.append(contentsOf: bytes)
                let created = Int32(nodes.count - 1)
                nodes[Int(node)].literals += 1
                if nodes[Int(node)].firstLiteral < 0 { nodes[Int(node)].firstLiteral = created }
                addSlot(created)
                node = created
            }
        }
        append(value, to: node, rest: false)
    }

    /// Appends the values of every filter matching `topic` to `values` (which is not cleared).
    public func matches(_ topic: String, into values: inout [Value]) {
        var topic = topic
        topic.withUTF8 { matches(utf8: $0, into: &values) }
    }

    /// Appends the values of every filter matching the topic whose UTF-8 is `bytes` to `values`
    /// (which is not cleared).
    public func matches(utf8 bytes: UnsafeBufferPointer<UInt8>, into values: inout [Value]) {
        let isSystem = bytes.first == UInt8(ascii: "$")
        walk(from: 0, bytes: bytes, start: 0, isFirstLevel: true, isSystem: isSystem, into: &values)
    }

    /// The values of every filter matching `topic`.
    public func matches(_ topic: String) -> [Value] {
        var values: [Value] = []
        matches(topic, into: &values)
        return values
    }

    // MARK: - Walking

    /// Follows the topic from node `index` at byte `start`: a loop down the trie, recursing only
    /// where a level can go two ways (a literal child and a `+`).
    private func walk(
        from index: Int32,
        bytes: UnsafeBufferPointer<UInt8>,
        start: Int,
        isFirstLevel: Bool,
        isSystem: Bool,
        into found: inout [Value]
    ) {
        var index = index
        var start = start
        // Wildcards do not match a `$` topic's first level.
        var wildcardsMatch = !(isFirstLevel && isSystem)
        while true {
            let node = nodes[Int(index)]
            // `#` matches the level it stands for and every level below, including none
            // (`sport/#` matches `sport`).
            if wildcardsMatch && node.rest >= 0 { collect(node.rest, into: &found) }
            // `start == bytes.count + 1` means the topic is used up.
            guard start <= bytes.count else {
                if node.exact >= 0 { collect(node.exact, into: &found) }
                return
            }
            let end = TopicLevels.end(bytes, from: start)
            var literal: Int32 = -1
            if node.literals == 1 {
                let level = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let only = nodes[Int(node.firstLiteral)]
                if Int(only.labelCount) == level.count
                    && only.head == Self.head(of: level, readable: bytes.count - start)
                    && (level.count <= 8 || tailEquals(only, level))
                {
                    literal = node.firstLiteral
                }
            } else if node.literals > 1 {
                let level = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let (key, head) = Self.key(parent: index, level: level, readable: bytes.count - start)
                literal = child(of: index, key: key, head: head, level: level)
            }
            let plus = wildcardsMatch ? node.plus : -1
            if literal >= 0 && plus >= 0 {
                walk(from: literal, bytes: bytes, start: end + 1, isFirstLevel: false, isSystem: isSystem, into: &found)
                index = plus
            } else if literal >= 0 {
                index = literal
            } else if plus >= 0 {
                index = plus
            } else {
                return
            }
            start = end + 1
            wildcardsMatch = true
        }
    }

    private func collect(_ first: Int32, into found: inout [Value]) {
        var item = first
        while item >= 0 {
            found.append(values[Int(item)])
            item = next[Int(item)]
        }
    }

    /// The literal child of `parent` for `level` (whose edge key is `key` and first eight bytes
    /// `head`), or -1.
    @inline(__always)
    private func child(of parent: Int32, key: UInt64, head: UInt64, level: UnsafeBufferPointer<UInt8>) -> Int32 {
        let mask = slots.count - 1
        let tag = key >> 32
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return -1 }
            if entry >> 32 == tag {
                let candidate = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                let node = nodes[Int(candidate)]
                if node.key == key && node.head == head && node.parent == parent
                    && Int(node.labelCount) == level.count && (level.count <= 8 || tailEquals(node, level))
                {
                    return candidate
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Whether the level text past the first eight bytes is the node's.
    private func tailEquals(_ node: Node, _ level: UnsafeBufferPointer<UInt8>) -> Bool {
        labels.withUnsafeBufferPointer { labels in
            var offset = 8
            while offset < level.count {
                if labels[Int(node.labelStart) + offset] != level[offset] { return false }
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
        // Values keep the order they were added in: walk to the end of the list (building is rare).
        var last = rest ? nodes[Int(node)].rest : nodes[Int(node)].exact
        if last < 0 {
            if rest { nodes[Int(node)].rest = item } else { nodes[Int(node)].exact = item }
            return
        }
        while next[Int(last)] >= 0 { last = next[Int(last)] }
        next[Int(last)] = item
    }

    private mutating func addSlot(_ node: Int32) {
        guard nodes.count * 2 > slots.count else { return place(node) }
        // Keep the table at most half full so probes stay short; rebuild it from the nodes' keys
        // (the new node is among them; `+` nodes have key 0 and no slot).
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        for index in nodes.indices where nodes[index].key != 0 { place(Int32(index)) }
    }

    private mutating func place(_ node: Int32) {
        let mask = slots.count - 1
        let key = nodes[Int(node)].key
        var slot = Int(truncatingIfNeeded: key) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (key >> 32) << 32 | UInt64(UInt32(bitPattern: node + 1))
    }

    /// The key of a literal edge, and the level's first eight bytes (zero-padded). The key folds
    /// the parent's index and the level's bytes in eight at a time, each word with a 128-bit
    /// multiply (the construction of wyhash), so a level of up to eight bytes costs one load and
    /// one multiply. `readable` bytes from the level's start may be read (the level and whatever
    /// follows it in the topic), which lets the last partial word be one load, masked. Never 0.
    @inline(__always)
    static func key(
        parent: Int32,
        level: UnsafeBufferPointer<UInt8>,
        readable: Int
    ) -> (key: UInt64, head: UInt64) {
        let count = level.count
        var state = (UInt64(UInt32(bitPattern: parent)) &+ 0x9E37_79B9_7F4A_7C15) ^ (UInt64(count) << 32)
        guard let base = level.baseAddress, count > 0 else { return (fold(state, 0xA076_1D64_78BD_642F) | 1, 0) }
        let raw = UnsafeRawPointer(base)
        var head: UInt64 = 0
        var offset = 0
        while offset + 8 <= count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            if offset == 0 { head = word }
            state = fold(state ^ word, 0xE703_7ED1_A0B4_28DB)
            offset += 8
        }
        let tail = count - offset
        if tail > 0 {
            var word: UInt64 = 0
            if offset + 8 <= readable {
                // Little-endian: the level's bytes are the word's low bytes.
                word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                word &= (1 << UInt64(tail * 8)) &- 1
            } else {
                for index in 0..<tail { word |= UInt64(base[offset + index]) << UInt64(index * 8) }
            }
            if offset == 0 { head = word }
            state = fold(state ^ word, 0x8EBC_6AF0_9C88_C6E3)
        }
        return (fold(state, 0xA076_1D64_78BD_642F) | 1, head)
    }

    /// The level's first eight bytes, zero-padded, read as in ``key(parent:level:readable:)``.
    @inline(__always)
    static func head(of level: UnsafeBufferPointer<UInt8>, readable: Int) -> UInt64 {
        guard let base = level.baseAddress, !level.isEmpty else { return 0 }
        let count = min(level.count, 8)
        if readable >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(base).loadUnaligned(as: UInt64.self))
            return count == 8 ? word : word & ((1 << UInt64(count * 8)) &- 1)
        }
        var word: UInt64 = 0
        for index in 0..<count { word |= UInt64(base[index]) << UInt64(index * 8) }
        return word
    }

    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }
}
