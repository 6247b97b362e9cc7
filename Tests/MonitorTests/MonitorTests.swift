import Checksum
import JSON
import Metrics
import Monitor
import Testing

@Suite("monitor: store, numbers, metrics text, line protocol, queue records")
struct MonitorTests {
    static func message(_ sequence: UInt64, _ topic: String, _ payload: String) -> StoredMessage {
        StoredMessage(
            sequence: sequence,
            topic: topic,
            payload: Array(payload.utf8),
            qos: 1,
            retain: false,
            receivedAt: 1_795_442_911_483
        )
    }

    @Test("the history keeps the newest by count and by bytes; latest keeps one per topic")
    func storeBounds() {
        var store = MessageStore(limits: .init(historyCount: 3, historyBytes: 1_000_000, topics: 2))
        for index in 1...5 { store.add(Self.message(UInt64(index), index % 2 == 0 ? "even" : "odd", "\(index)")) }
        #expect(store.history(limit: 10).map(\.sequence) == [3, 4, 5])
        #expect(store.history(topic: "odd", limit: 10).map(\.sequence) == [3, 5])
        #expect(store.history(topic: "odd", limit: 1).map(\.sequence) == [5])
        #expect(store.latestMessages().map(\.sequence) == [4, 5])
        // A third topic evicts the one heard from least recently.
        store.add(Self.message(6, "third", "6"))
        #expect(store.latestMessages().map(\.topic) == ["odd", "third"])

        var small = MessageStore(limits: .init(historyCount: 1_000, historyBytes: 300))
        for index in 1...200 { small.add(Self.message(UInt64(index), "t", String(repeating: "x", count: 50))) }
        #expect(small.historyBytes <= 300)
        #expect(small.historyCount == 2)
        #expect(small.history(limit: 5).map(\.sequence) == [199, 200])
        #expect(small.history(after: 199).map(\.sequence) == [200], "what a client that saw 199 missed")
        #expect(small.history(after: 10).map(\.sequence) == [199, 200], "as far as the history holds it")
        #expect(small.history(after: 200).isEmpty)
    }

    @Test("messages as JSON: text payloads as strings, others in base64, RFC 3339 times, the sequence and numbers")
    func json() throws {
        let text = Self.message(1, "a/b", "say \"hi\"")
        #expect(
            text.json
                == #"{"topic":"a/b","payload":"say \"hi\"","qos":1,"retain":false,"received":"2026-11-23T14:08:31.483Z","sequence":1}"#
        )
        let reading = Self.message(7, "a/b", #"{"temperature": 21.5, "unit": "C", "far": 1e999}"#)
        #expect(
            reading.json.hasSuffix(#","sequence":7,"numbers":{"temperature":21.5}}"#),
            "no infinity: \(reading.json)"
        )
        #expect(throws: Never.self) { try JSONValue.parse(reading.json) }
        var binary = text
        binary.payload = [0x01, 0xFF]
        let parsed = try JSONValue.parse(binary.json)
        #expect(parsed["payload"]?.string == "Af8=")
        #expect(parsed["encoding"]?.string == "base64")
    }

    @Test("numbers: a plain number, a flat object's numbers, nothing else")
    func numbers() {
        func names(_ text: String) -> [String] {
            NumericFields.extract(Array(text.utf8)).map { "\($0.name)=\($0.value)" }
        }
        #expect(names(" 21.5\n") == ["value=21.5"])
        #expect(names("-3e2") == ["value=-300.0"])
        #expect(names(#"{"t": 1, "ok": true, "s": "x", "n": {"a": 1}, "h": 40.5, "t": 2}"#) == ["h=40.5", "t=2.0"])
        #expect(names("on").isEmpty)
        #expect(names("[1, 2]").isEmpty)
        #expect(names("12abc").isEmpty)
        #expect(names("").isEmpty)
    }

    @Test("Prometheus text: families, escaped labels, number formats")
    func prometheus() {
        var text = PrometheusText()
        text.family("m", type: "gauge", help: "Help with \\ and\nnewline.")
        text.sample("m", labels: [("topic", "a\"b\\c\nd")], 2)
        text.sample("m", 0.5)
        text.sample("m", .infinity)
        #expect(
            text.text
                == "# HELP m Help with \\\\ and\\nnewline.\n# TYPE m gauge\nm{topic=\"a\\\"b\\\\c\\nd\"} 2\nm 0.5\nm +Inf\n"
        )
    }

    @Test("line protocol escapes measurement, tags and fields; no fields, no line")
    func lineProtocol() {
        let line = LineProtocol.line(
            measurement: "my data,x",
            tags: [("device", "press 7"), ("topic", "a=b,c"), ("empty", "")],
            fields: [("temp c", 21.5), ("n", 3)],
            timestampNanoseconds: 1_000
        )
        #expect(line == #"my\ data\,x,device=press\ 7,topic=a\=b\,c temp\ c=21.5,n=3.0 1000"#)
        #expect(LineProtocol.line(measurement: "m", tags: [], fields: [], timestampNanoseconds: 1) == nil)
    }

    @Test("topic templates expand {device} and {topic}")
    func templates() {
        #expect(TopicTemplate().expand(topic: "a/b", device: "d") == "a/b")
        #expect(TopicTemplate("edge/{device}/{topic}").expand(topic: "a/b", device: "d7") == "edge/d7/a/b")
    }

    @Test("queue records round-trip; cut and damaged ones are told apart")
    func queueRecords() {
        let record = QueueRecord(topic: "a/b", payload: [0, 1, 2, 255], qos: 1, retain: true, receivedAt: -5)
        let bytes = record.encoded()
        #expect(QueueRecord.decode(bytes[...]) == .record(record, size: bytes.count))
        #expect(QueueRecord.decode((bytes + [9, 9])[...]) == .record(record, size: bytes.count))
        for cut in 0..<bytes.count {
            #expect(QueueRecord.decode(bytes[..<cut]) == .incomplete)
        }
        var flipped = bytes
        flipped[bytes.count - 1] ^= 1
        #expect(QueueRecord.decode(flipped[...]) == .damaged("a checksum mismatch"))
        var huge = bytes
        huge[0] = 0x7F
        #expect(QueueRecord.decode(huge[...]) == .damaged("a record length of 2130706451 bytes"))
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
