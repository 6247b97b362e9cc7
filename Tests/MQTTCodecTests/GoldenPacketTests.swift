import MQTTCodec
import Testing

@Suite("Golden bytes from the specification tables")
struct GoldenPacketTests {
    @Test("every golden packet decodes to its value", arguments: GoldenPackets.all)
    func decodes(_ golden: Golden) throws {
        var decoder = PacketDecoder(version: golden.version)
        decoder.append(golden.bytes)
        let packet = try #require(try decoder.next())
        #expect(packet == golden.packet)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("every golden packet encodes to exactly its bytes", arguments: GoldenPackets.all)
    func encodes(_ golden: Golden) throws {
        #expect(try golden.packet.encoded(version: golden.version) == golden.bytes)
    }

    @Test("encodedSize agrees with the golden bytes", arguments: GoldenPackets.all)
    func encodedSize(_ golden: Golden) throws {
        #expect(try golden.packet.encodedSize(version: golden.version) == golden.bytes.count)
    }

    @Test("the goldens cover every packet type of each version")
    func coverage() {
        let v311Types = Set(GoldenPackets.v311.map(\.packet.type))
        let v5Types = Set(GoldenPackets.v5.map(\.packet.type))
        #expect(v311Types == Set(PacketType.allCases).subtracting([.auth]))
        #expect(v5Types == Set(PacketType.allCases))
    }

    @Test("properties decode in any order")
    func propertiesInAnyOrder() throws {
        // The CONNACK golden's properties, reversed: Topic Alias Maximum, Assigned Client
        // Identifier, Receive Maximum.
        var decoder = PacketDecoder(version: .v5)
        decoder.append(hex("20 0D  00 00  0A 22 00 0A 12 00 01 61 21 00 14"))
        let expected = GoldenPackets.v5.first { $0.name == "CONNACK with properties" }!.packet
        #expect(try decoder.next() == expected)
    }

    @Test("a PUBACK with an empty property block decodes like the short form")
    func emptyPropertyBlock() throws {
        var decoder = PacketDecoder(version: .v5)
        decoder.append(hex("40 04 00 0A 00 00"))
        #expect(try decoder.next() == .puback(PubAckPacket(packetIdentifier: 10)))
    }

    @Test("a UTF-8 byte order mark is kept, not stripped [MQTT-1.5.4-3]")
    func byteOrderMarkKept() throws {
        var decoder = PacketDecoder(version: .v311)
        decoder.append(hex("30 07  00 05 EF BB BF 61 62"))
        guard case .publish(let publish) = try decoder.next() else {
            Issue.record("expected a PUBLISH")
            return
        }
        #expect(Array(publish.topicName.utf8) == [0xEF, 0xBB, 0xBF, 0x61, 0x62])
    }

    @Test("a non-minimal remaining length is accepted under 3.1.1, which does not forbid it")
    func nonMinimalLengthIn311() throws {
        var decoder = PacketDecoder(version: .v311)
        decoder.append(hex("C0 80 00"))
        #expect(try decoder.next() == .pingreq)
    }

    @Test("decoding CONNECT switches the decoder to the client's version")
    func connectSetsVersion() throws {
        var decoder = PacketDecoder(version: .v5)
        decoder.append(GoldenPackets.v311[1].bytes)
        _ = try decoder.next()
        #expect(decoder.version == .v311)
    }
}
