import MQTTCodec
import Testing

@Suite("Topic names, topic filters and matching")
struct TopicTests {
    /// The examples of MQTT 5.0 §4.7.1 and §4.7.2, and the edge cases around them.
    static let matches: [(filter: String, topic: String, matches: Bool)] = [
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        ("sport/#", "sport", true),
        ("sport/tennis/#", "sport/tennis", true),
        ("sport/tennis/#", "sport/tennisplayer1", false),
        ("#", "sport/tennis/player1", true),
        ("#", "/", true),
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player2", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        ("+", "finance", true),
        ("+/tennis/#", "sport/tennis/player1", true),
        ("a//b", "a//b", true),
        ("a/+/b", "a//b", true),
        ("a/b", "a/b/", false),
        ("a/b/", "a/b", false),
        ("ACCOUNTS", "Accounts", false),
        ("Accounts payable", "Accounts payable", true),
        // §4.7.2: a leading wildcard does not match topics that begin with '$'.
        ("#", "$SYS/broker/uptime", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/broker/uptime", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("a/#", "a/$b", true),
        ("+", "$", false),
    ]

    @Test("matching follows the specification's examples", arguments: matches)
    func matching(_ example: (filter: String, topic: String, matches: Bool)) {
        #expect(TopicFilter.matches(example.filter, topic: example.topic) == example.matches)
    }

    @Test(
        "valid filters",
        arguments: ["#", "+", "sport/#", "+/tennis/#", "sport/+/player1", "/", "a//b", "+/+", "$share/g/a/#", "$SYS/#"]
    )
    func validFilter(_ filter: String) throws {
        try TopicFilter.validate(filter)
        try TopicFilter.validate(filter, version: .v311)
    }

    @Test(
        "invalid filters",
        arguments: [
            ("", "MQTT-4.7.3-1"), ("sport/tennis#", "MQTT-4.7.1-1"), ("sport/tennis/#/ranking", "MQTT-4.7.1-1"),
            ("#/a", "MQTT-4.7.1-1"), ("sport+", "MQTT-4.7.1-2"), ("a/+b/c", "MQTT-4.7.1-2"),
            ("$share/g", "MQTT-4.8.2-2"), ("$share//a", "MQTT-4.8.2-2"), ("$share/g+/a", "MQTT-4.8.2-2"),
            ("$share/g/", "MQTT-4.8.2-2"), ("a\u{0}b", "MQTT-4.7.3-2"),
        ]
    )
    func invalidFilter(_ filter: String, _ statement: String) {
        do {
            try TopicFilter.validate(filter)
            Issue.record("\(filter) accepted")
        } catch {
            #expect(error.reference.statement == statement)
        }
    }

    @Test("under 3.1.1 '$share/…' is an ordinary filter")
    func sharePrefixIn311() throws {
        try TopicFilter.validate("$share/g", version: .v311)
    }

    @Test(
        "topic names",
        arguments: [("a/b", true), ("$SYS/x", true), ("/", true), ("", false), ("a/+", false), ("#", false)]
    )
    func topicNames(_ topic: String, _ valid: Bool) {
        #expect(((try? TopicName.validate(topic)) != nil) == valid)
    }
}
