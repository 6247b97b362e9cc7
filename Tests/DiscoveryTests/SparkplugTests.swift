import MQTTCodec
import Protobuf
import Testing

@testable import Discovery

/// A Sparkplug B payload as an edge node would send it.
func sparkplugPayload(seq: UInt64? = nil, bdSeq: Int64? = nil, bdSeqType: UInt64 = 4) -> [UInt8] {
    var writer = ProtobufWriter()
    writer.varint(1, 1_700_000_000_000)
    if let bdSeq {
        writer.message(2) { metric in
            metric.string(1, "bdSeq")
            metric.varint(3, 1_700_000_000_000)
            metric.varint(4, bdSeqType)
            metric.varint(11, UInt64(bitPattern: bdSeq))
        }
    }
    if let seq { writer.varint(3, seq) }
    return writer.bytes
}

/// Hex as written in the reference's golden vectors.
private func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

@Suite("Sparkplug B payloads: the reference's golden vectors")
struct SparkplugPayloadTests {
    @Test("NDEATH: bdSeq 3 as Int64, timestamp")
    func death() throws {
        let payload = try SparkplugPayload(
            decoding: hex("08 80 d0 95 ff bc 31 12 12 0a 05 62 64 53 65 71 18 80 d0 95 ff bc 31 20 04 58 03")[...]
        )
        #expect(payload.timestamp == 1_700_000_000_000)
        #expect(payload.seq == nil, "NDEATH carries no seq; absent is not zero")
        #expect(payload.integer(named: "bdSeq") == 3)
    }

    @Test("NBIRTH: seq 0 present, bdSeq, a Boolean, and Int16 −2 as Tahu and pysparkplug encode it")
    func birth() throws {
        let tahu = hex(
            "08 80 d0 95 ff bc 31 12 12 0a 05 62 64 53 65 71 18 80 d0 95 ff bc 31 20 04 58 03 "
                + "12 21 0a 14 4e 6f 64 65 20 43 6f 6e 74 72 6f 6c 2f 52 65 62 69 72 74 68 18 80 d0 95 ff bc 31 20 0b 70 00 "
                + "12 12 0a 01 74 18 80 d0 95 ff bc 31 20 02 50 fe ff ff ff 0f 18 00"
        )
        let payload = try SparkplugPayload(decoding: tahu[...])
        #expect(payload.seq == 0)
        #expect(payload.integer(named: "bdSeq") == 3)
        #expect(payload.metrics.map(\.name) == ["bdSeq", "Node Control/Rebirth", "t"])
        #expect(payload.integer(named: "t") == -2)
        let python = try SparkplugPayload(
            decoding: hex("12 10 0a 01 74 18 80 d0 95 ff bc 31 20 02 50 fe ff 03")[...]
        )
        #expect(python.integer(named: "t") == -2)
    }

    @Test("DDEATH: timestamp and seq only")
    func deviceDeath() throws {
        let payload = try SparkplugPayload(decoding: hex("08 80 d0 95 ff bc 31 18 05")[...])
        #expect(payload.seq == 5)
        #expect(payload.metrics.isEmpty)
    }

    @Test("bdSeq as UInt64 (the spec's own example) and in int_value are read too")
    func bdSeqVariants() throws {
        #expect(
            try SparkplugPayload(decoding: sparkplugPayload(bdSeq: 200, bdSeqType: 8)[...]).integer(named: "bdSeq")
                == 200
        )
        var writer = ProtobufWriter()
        writer.message(2) { metric in
            metric.string(1, "bdSeq")
            metric.varint(4, 7)
            metric.varint(10, 9)
        }
        #expect(try SparkplugPayload(decoding: writer.bytes[...]).integer(named: "bdSeq") == 9)
    }

    @Test("truncated and mistyped payloads are errors, not guesses")
    func malformed() {
        #expect(throws: ProtobufError.self) { try SparkplugPayload(decoding: hex("08 80 d0")[...]) }
        #expect(throws: ProtobufError.self) { try SparkplugPayload(decoding: hex("12 05 0a 01")[...]) }
        #expect(throws: ProtobufError.self) { try SparkplugPayload(decoding: hex("0d 00 00 00 00")[...]) }
    }
}

@Suite("Sparkplug B: nodes and devices")
struct SparkplugConventionTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        conventions: [sparkplug]
        gracePeriodSeconds: 60
        """

    @Test("NBIRTH and DBIRTH add; the node's properties name group and edge node")
    func births() throws {
        var harness = try EngineHarness(Self.details)
        #expect(
            harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 3)) == [
                "added spBv1.0/plant/edge1"
            ]
        )
        #expect(
            harness.publish("spBv1.0/plant/DBIRTH/edge1/pump", sparkplugPayload(seq: 1)) == [
                "added spBv1.0/plant/edge1/pump"
            ]
        )
        #expect(
            harness.properties("spBv1.0/plant/edge1") == [
                "MQTT_BROKER_URI": "tcp://broker:1883",
                "MQTT_DEVICE_ID": "spBv1.0/plant/edge1",
                "MQTT_TOPIC": "spBv1.0/plant/+/edge1/#",
                "SPARKPLUG_GROUP_ID": "plant",
                "SPARKPLUG_EDGE_NODE_ID": "edge1",
            ]
        )
        #expect(harness.properties("spBv1.0/plant/edge1/pump")?["SPARKPLUG_DEVICE_ID"] == "pump")
        #expect(harness.properties("spBv1.0/plant/edge1/pump")?["MQTT_TOPIC"] == "spBv1.0/plant/+/edge1/pump")
        #expect(harness.engine.subscriptions.map(\.topicFilter) == ["spBv1.0/#"])
    }

    @Test("silence never times a Sparkplug node out")
    func noSilenceTimeout() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 3))
        #expect(harness.advance(86_400).isEmpty)
        #expect(harness.present == ["spBv1.0/plant/edge1"])
    }

    @Test("NDEATH with the birth's bdSeq takes the node and all its devices")
    func death() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 3))
        harness.publish("spBv1.0/plant/DBIRTH/edge1/pump", sparkplugPayload(seq: 1))
        harness.publish("spBv1.0/plant/DBIRTH/edge1/valve", sparkplugPayload(seq: 2))
        harness.publish("spBv1.0/plant/NBIRTH/edge2", sparkplugPayload(seq: 0, bdSeq: 0))
        let removed = harness.publish("spBv1.0/plant/NDEATH/edge1", sparkplugPayload(bdSeq: 3))
        #expect(
            removed.sorted() == [
                "removed spBv1.0/plant/edge1", "removed spBv1.0/plant/edge1/pump", "removed spBv1.0/plant/edge1/valve",
            ]
        )
        #expect(harness.present == ["spBv1.0/plant/edge2"])
        // The second NDEATH of a clean shutdown (explicit, then the will) changes nothing.
        #expect(harness.publish("spBv1.0/plant/NDEATH/edge1", sparkplugPayload(bdSeq: 3)).isEmpty)
    }

    @Test("a late will from an older session (bdSeq mismatch) is ignored")
    func staleWill() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 4))
        #expect(harness.publish("spBv1.0/plant/NDEATH/edge1", sparkplugPayload(bdSeq: 3)).isEmpty)
        #expect(harness.present == ["spBv1.0/plant/edge1"])
        #expect(
            harness.publish("spBv1.0/plant/NDEATH/edge1", sparkplugPayload(bdSeq: 4)) == ["removed spBv1.0/plant/edge1"]
        )
    }

    @Test("DDEATH takes only its device")
    func deviceDeath() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 1))
        harness.publish("spBv1.0/plant/DBIRTH/edge1/pump", sparkplugPayload(seq: 1))
        #expect(
            harness.publish("spBv1.0/plant/DDEATH/edge1/pump", sparkplugPayload(seq: 2)) == [
                "removed spBv1.0/plant/edge1/pump"
            ]
        )
        #expect(harness.present == ["spBv1.0/plant/edge1"])
    }

    @Test("data from a node or device we never saw born: it is in a live session, so it is alive")
    func lateJoiner() throws {
        var harness = try EngineHarness(Self.details)
        #expect(
            harness.publish("spBv1.0/plant/NDATA/edge9", sparkplugPayload(seq: 17)) == ["added spBv1.0/plant/edge9"]
        )
        #expect(
            harness.publish("spBv1.0/plant/DDATA/edge9/m1", sparkplugPayload(seq: 18)) == [
                "added spBv1.0/plant/edge9/m1"
            ]
        )
        #expect(harness.publish("spBv1.0/plant/DDATA/edge9/m1", sparkplugPayload(seq: 19)).isEmpty)
        // Its bdSeq is unknown, so any death is its death.
        #expect(harness.publish("spBv1.0/plant/NDEATH/edge9", sparkplugPayload(bdSeq: 42)).count == 2)
    }

    @Test("a rebirth in the same session keeps the devices; a new session's devices wait for their DBIRTH")
    func rebirth() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 1))
        harness.publish("spBv1.0/plant/DBIRTH/edge1/pump", sparkplugPayload(seq: 1))
        #expect(harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 1)).isEmpty)
        #expect(harness.present.count == 2)
        // A new connection (bdSeq 2) whose predecessor's death we missed.
        #expect(
            harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 2)) == [
                "removed spBv1.0/plant/edge1/pump"
            ]
        )
        #expect(
            harness.publish("spBv1.0/plant/DBIRTH/edge1/pump", sparkplugPayload(seq: 1)) == [
                "added spBv1.0/plant/edge1/pump"
            ]
        )
    }

    @Test("retained copies, host STATE, commands and unknown verbs say nothing about liveness")
    func ignored() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 1), retain: true).isEmpty)
        #expect(harness.publish("spBv1.0/STATE/scada", #"{"online":true,"timestamp":1}"#).isEmpty)
        #expect(harness.publish("spBv1.0/plant/NCMD/edge1", sparkplugPayload()).isEmpty)
        #expect(harness.publish("spBv1.0/plant/DCMD/edge1/pump", sparkplugPayload()).isEmpty)
        #expect(harness.publish("spBv1.0/plant/NREBIRTH/edge1", sparkplugPayload()).isEmpty)
        #expect(harness.publish("spBv1.0/plant/NDATA/edge1/extra/levels", sparkplugPayload()).isEmpty)
        #expect(harness.engine.trackedCount == 0)
    }

    @Test("a birth or death that cannot be read is reported, naming its topic")
    func problems() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", [0x08, 0x80])
        harness.publish("spBv1.0/plant/NBIRTH/edge2", sparkplugPayload(seq: 0))
        #expect(
            harness.engine.takeProblems() == [
                "spBv1.0/plant/NBIRTH/edge1: not a Sparkplug B payload: protobuf: the message ends inside a field (byte 1)",
                "spBv1.0/plant/NBIRTH/edge2: no bdSeq metric",
            ]
        )
        #expect(harness.engine.takeProblems().isEmpty)
        // Both nodes are still alive: a birth is a birth.
        #expect(harness.present == ["spBv1.0/plant/edge1", "spBv1.0/plant/edge2"])
    }

    @Test("after an outage longer than the grace period, a node still in its session comes back on reconnect")
    func outage() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("spBv1.0/plant/NBIRTH/edge1", sparkplugPayload(seq: 0, bdSeq: 1))
        harness.disconnect()
        #expect(harness.advance(61) == ["removed spBv1.0/plant/edge1"])
        #expect(harness.reconnect() == ["added spBv1.0/plant/edge1"])
        // Its will, queued in our session while we were away, then arrives.
        #expect(
            harness.publish("spBv1.0/plant/NDEATH/edge1", sparkplugPayload(bdSeq: 1)) == ["removed spBv1.0/plant/edge1"]
        )
    }
}
