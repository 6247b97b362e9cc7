import Discovery
import MQTTCodec
import Testing

@Suite("Topic trie")
struct TopicTrieTests {
    static let filters = [
        "sport/tennis/player1/#", "sport/#", "#", "sport/tennis/+", "sport/+", "+/+", "/+", "+", "+/tennis/#",
        "a//b", "a/+/b", "$SYS/#", "$SYS/monitor/+", "+/monitor/Clients", "a/b", "a/b/",
    ]

    static let topics = [
        "sport", "sport/", "sport/tennis", "sport/tennis/player1", "sport/tennis/player1/ranking",
        "sport/tennis/player1/score/wimbledon", "/finance", "finance", "a//b", "a/x/b", "a/b", "a/b/",
        "$SYS/broker/uptime", "$SYS/monitor/Clients", "$", "", "/", "//", "a/$b",
    ]

    @Test("every topic matches exactly the filters TopicFilter.matches accepts", arguments: topics)
    func agreesWithFilterMatching(_ topic: String) {
        var trie = TopicTrie<Int>()
        for (index, filter) in Self.filters.enumerated() { trie.insert(filter, index) }
        let expected = Self.filters.indices.filter { TopicFilter.matches(Self.filters[$0], topic: topic) }
        #expect(trie.matches(topic).sorted() == expected, "\(topic)")
    }

    @Test("the same filter twice gives both values; values accumulate in the buffer")
    func duplicates() {
        var trie = TopicTrie<String>()
        trie.insert("a/+", "first")
        trie.insert("a/+", "second")
        var values = ["kept"]
        trie.matches("a/x", into: &values)
        #expect(values == ["kept", "first", "second"])
        #expect(trie.count == 2)
    }

    @Test("thousands of filters: matching still finds exactly the right ones")
    func many() {
        var trie = TopicTrie<Int>()
        for index in 0..<5_000 { trie.insert("plant/line\(index)/+/telemetry", index) }
        trie.insert("plant/#", -1)
        #expect(trie.matches("plant/line4321/press/telemetry").sorted() == [-1, 4321])
        #expect(trie.matches("plant/line5000/press/telemetry") == [-1])
    }

    @Test("random filters and topics with long, similar and empty levels agree with TopicFilter.matches")
    func randomAgreement() {
        // Levels that share prefixes and straddle the eight-byte words the trie compares, so the
        // head word, the hashed tail and the single-child shortcut are all exercised.
        let words = [
            "", "a", "ab", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghX", "abcdefghijklmnop",
            "abcdefghijklmnopq", "abcdefghijklmnopQ", "telemetry", "telemetrx", "ü", "$x",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            var trie = TopicTrie<Int>()
            var filters: [String] = []
            for _ in 0..<Int.random(in: 1...30, using: &generator) {
                var levels = (0..<Int.random(in: 1...4, using: &generator)).map { _ -> String in
                    switch Int.random(in: 0..<10, using: &generator) {
                    case 0: "+"
                    default: words.randomElement(using: &generator)!
                    }
                }
                if Int.random(in: 0..<5, using: &generator) == 0 { levels.append("#") }
                let filter = levels.joined(separator: "/")
                // An empty filter or topic is invalid [MQTT-4.7.3-1]; neither reaches the trie.
                guard !filter.isEmpty else { continue }
                filters.append(filter)
                trie.insert(filter, filters.count - 1)
            }
            for _ in 0..<200 {
                let topic = (0..<Int.random(in: 1...5, using: &generator))
                    .map { _ in words.randomElement(using: &generator)! }
                    .joined(separator: "/")
                guard !topic.isEmpty else { continue }
                // The topic's bytes are followed by more bytes, as a topic inside a packet is.
                var padded = Array(topic.utf8) + Array("/more/levels/here".utf8)
                var found: [Int] = []
                padded.withUnsafeMutableBufferPointer { buffer in
                    trie.matches(utf8: UnsafeBufferPointer(rebasing: buffer[..<topic.utf8.count]), into: &found)
                }
                let expected = filters.indices.filter { TopicFilter.matches(filters[$0], topic: topic) }
                #expect(found.sorted() == expected, "\(topic) against \(filters)")
                #expect(trie.matches(topic).sorted() == expected, "\(topic) against \(filters)")
            }
        }
    }
}
