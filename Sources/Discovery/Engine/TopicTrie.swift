/// Many topic filters, matched against a topic in one walk of its levels: the cost depends on the
/// topic's length and the filters that can match it, not on how many filters there are.
///
/// Each filter carries a value (say, the index of its topic entry); ``matches(_:into:)`` collects
/// the values of every filter that matches. Literal levels are found by a hash of their bytes, so
/// matching allocates nothing. Filters starting with a wildcard do not match topics starting with
/// `$` [MQTT-4.7.2-1], and `a/#` matches `a` as well as everything below it (MQTT 5.0 §4.7.1.2).
public struct TopicTrie<Value: Sendable>: Sendable {
    private struct Node: Sendable {
        /// Literal children by the FNV-1a hash of their level, with the level text to confirm.
        var literals: [UInt64: [(level: [UInt8], node: Int32)]] = [:]
        var plus: Int32 = -1
        /// Values of filters ending here.
        var exact: [Value] = []
        /// Values of filters ending in `#` here (they match this level and all below).
        var rest: [Value] = []
    }

    private var nodes: [Node] = [Node()]

    /// An empty trie.
    public init() {}

    /// The number of filters added.
    public private(set) var count = 0

    /// Adds `filter` (assumed valid) with `value`.
    public mutating func insert(_ filter: String, _ value: Value) {
        count += 1
        var node: Int32 = 0
        let levels = filter.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for level in levels {
            if level.count == 1 && level.first == UInt8(ascii: "#") {
                nodes[Int(node)].rest.append(value)
                return
            }
            if level.count == 1 && level.first == UInt8(ascii: "+") {
                if nodes[Int(node)].plus < 0 {
                    nodes.append(Node())
                    nodes[Int(node)].plus = Int32(nodes.count - 1)
                }
                node = nodes[Int(node)].plus
                continue
            }
            let bytes = Array(level)
            let hash = Self.hash(bytes[...])
            if let existing = nodes[Int(node)].literals[hash]?.first(where: { $0.level == bytes }) {
                node = existing.node
            } else {
                nodes.append(Node())
                let child = Int32(nodes.count - 1)
                nodes[Int(node)].literals[hash, default: []].append((bytes, child))
                node = child
            }
        }
        nodes[Int(node)].exact.append(value)
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

    private func walk(
        node index: Int32,
        bytes: UnsafeBufferPointer<UInt8>,
        start: Int,
        isFirstLevel: Bool,
        isSystem: Bool,
        into values: inout [Value]
    ) {
        let node = nodes[Int(index)]
        // `#` matches the level it stands for and every level below, including none
        // (`sport/#` matches `sport`), but not a `$` topic from the first level.
        if !(isFirstLevel && isSystem) { values.append(contentsOf: node.rest) }
        // Where this level ends; `start == bytes.count + 1` means the topic is used up.
        guard start <= bytes.count else {
            values.append(contentsOf: node.exact)
            return
        }
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
        let next = end + 1
        if !node.literals.isEmpty {
            let level = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if let candidates = node.literals[Self.hash(level)] {
                for candidate in candidates where candidate.level.elementsEqual(level) {
                    walk(
                        node: candidate.node,
                        bytes: bytes,
                        start: next,
                        isFirstLevel: false,
                        isSystem: isSystem,
                        into: &values
                    )
                }
            }
        }
        if node.plus >= 0 && !(isFirstLevel && isSystem) {
            walk(node: node.plus, bytes: bytes, start: next, isFirstLevel: false, isSystem: isSystem, into: &values)
        }
    }

    /// 64-bit FNV-1a of a level's bytes.
    @inline(__always)
    private static func hash<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
