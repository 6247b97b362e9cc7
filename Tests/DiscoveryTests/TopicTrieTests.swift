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
}
