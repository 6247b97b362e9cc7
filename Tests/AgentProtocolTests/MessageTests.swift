import AgentProtocol
import Protobuf
import Testing

/// Hex as written in the reference's golden vectors.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

@Suite("Akri's messages: byte-compatible with Akri's encoder")
struct AkriMessageTests {
    @Test("RegisterDiscoveryHandlerRequest: the golden bytes, both ways")
    func register() throws {
        let request = RegisterDiscoveryHandlerRequest(
            name: "mqtt",
            endpoint: "/var/lib/akri/mqtt.sock",
            endpointType: .uds,
            shared: true
        )
        let golden = hex("0a046d71747412172f7661722f6c69622f616b72692f6d7174742e736f636b2001")
        #expect(request.serialized == golden)
        #expect(try RegisterDiscoveryHandlerRequest(serialized: golden[...]) == request)
        let network = RegisterDiscoveryHandlerRequest(name: "m", endpoint: "e", endpointType: .network, shared: false)
        #expect(network.serialized == hex("0a016d120165 1801"))
    }

    @Test("DiscoverRequest: the golden bytes; a property without a value, as prost sends it")
    func discover() throws {
        let golden = hex("0a0d746f706963733a205b612f235d121b0a146d7174745f62726f6b65725f757365726e616d6512030a0175")
        let request = DiscoverRequest(
            discoveryDetails: "topics: [a/#]",
            discoveryProperties: ["mqtt_broker_username": Array("u".utf8)]
        )
        #expect(request.serialized == golden)
        #expect(try DiscoverRequest(serialized: golden[...]) == request)
        // {"flag": ByteData{vec: None}}: prost leaves the default value out of the entry.
        let valueless = hex("12 06 0a04666c6167")
        let decoded = try DiscoverRequest(serialized: valueless[...])
        #expect(decoded.discoveryProperties.count == 1)
        #expect(decoded.discoveryProperties["flag"] == .some(nil))
        #expect(DiscoverRequest(discoveryDetails: "", discoveryProperties: ["flag": nil]).serialized == valueless)
        // Present but empty is not absent: ByteData{vec: Some([])}.
        let empty = DiscoverRequest(discoveryDetails: "", discoveryProperties: ["flag": []])
        #expect(try DiscoverRequest(serialized: empty.serialized[...]).discoveryProperties["flag"] == .some([]))
    }

    @Test("DiscoverResponse: the golden bytes, both ways")
    func response() throws {
        let golden = hex("0a180a03612f6212110a0a4d5154545f544f5049431203612f62")
        let response = DiscoverResponse(devices: [.init(id: "a/b", properties: ["MQTT_TOPIC": "a/b"])])
        #expect(response.serialized == golden)
        #expect(try DiscoverResponse(serialized: golden[...]) == response)
        #expect(DiscoverResponse(devices: []).serialized.isEmpty)
    }

    @Test("tolerant reading: fields in any order, unknown fields of every wire type, map entries without a key")
    func tolerant() throws {
        var writer = ProtobufWriter()
        writer.varint(99, 7)  // unknown varint
        writer.boolIfSet(4, true)
        writer.fixed32(98, 1)  // unknown fixed32
        writer.string(2, "/sock")
        writer.fixed64(97, 2)  // unknown fixed64
        writer.string(1, "mqtt")
        writer.bytes(96, [1, 2, 3])  // unknown bytes
        let request = try RegisterDiscoveryHandlerRequest(serialized: writer.bytes[...])
        #expect(request == RegisterDiscoveryHandlerRequest(name: "mqtt", endpoint: "/sock", shared: true))

        // A map entry whose key is the default ("") and one whose value is; a repeated field
        // split around others; the last of a repeated scalar wins.
        var device = ProtobufWriter()
        device.message(2) { $0.string(2, "no key") }
        device.string(1, "first")
        device.message(2) { $0.string(1, "EMPTY") }
        device.message(3) { $0.string(1, "/c") }
        device.string(1, "d1")
        device.message(3) { $0.string(2, "/h") }
        let decoded = try DiscoverResponse.Device(serialized: device.bytes[...])
        #expect(decoded.id == "d1")
        #expect(decoded.properties == ["": "no key", "EMPTY": ""])
        #expect(decoded.mounts.map(\.containerPath) == ["/c", ""])
        #expect(decoded.mounts.map(\.hostPath) == ["", "/h"])
    }

    @Test("wrong wire types and truncation are errors with their offset")
    func errors() {
        #expect(throws: ProtobufError(.unexpectedWireType(field: 1, .varint), at: 1)) {
            try RegisterDiscoveryHandlerRequest(serialized: hex("0801")[...])
        }
        #expect(throws: ProtobufError(.truncated, at: 1)) {
            try RegisterDiscoveryHandlerRequest(serialized: hex("0a05 6d71")[...])
        }
    }
}
