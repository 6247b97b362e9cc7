import MQTTCodec
import Testing

@Suite("PacketDecoder: limits, recovery and failure")
struct PacketDecoderTests {
    @Test("the maximum packet size is enforced from the fixed header alone")
    func sizeCheckedBeforeBody() {
        var decoder = PacketDecoder(version: .v5, maximumPacketSize: 100)
        // Remaining length 16,383: only the fixed header has arrived.
        decoder.append(hex("30 FF 7F"))
        #expect(throws: MQTTCodecError.self) { try decoder.next() }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("the size error reports the packet's full size and the limit")
    func sizeErrorDetails() {
        var decoder = PacketDecoder(version: .v5, maximumPacketSize: 10)
        decoder.append(hex("30 FF FF FF 7F"))
        do {
            _ = try decoder.next()
            Issue.record("no error")
        } catch {
            #expect(error.problem == .packetTooLarge(size: 268_435_460, maximum: 10))
            #expect(error.reasonCode == .packetTooLarge)
        }
    }

    @Test(
        "3.1.1: an oversized PUBLISH is skipped as it arrives, its topic and identifier kept for the acknowledgement",
        arguments: [1, 3, 4_096]
    )
    func oversizedPublishUnder311(_ chunk: Int) throws {
        var decoder = PacketDecoder(version: .v311, maximumPacketSize: 100)
        // QoS 1 PUBLISH to "big/t", identifier 7, 16,383 bytes after the fixed header; then a PINGRESP.
        let body = hex("00 05 62 69 67 2F 74 00 07") + [UInt8](repeating: 7, count: 16_383 - 9)
        var stream = hex("32 FF 7F") + body + hex("D0 00")
        var errors: [MQTTCodecError] = []
        var packets: [Packet] = []
        while !stream.isEmpty {
            decoder.append(Array(stream.prefix(chunk)))
            stream.removeFirst(min(chunk, stream.count))
            while true {
                do {
                    guard let packet = try decoder.next() else { break }
                    packets.append(packet)
                } catch {
                    errors.append(error)
                }
            }
            #expect(decoder.bufferedByteCount <= 4_096 + 2)
        }
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.problem == .packetTooLarge(size: 16_386, maximum: 100))
        #expect(
            error.skippedPublish
                == MQTTCodecError.SkippedPublish(
                    topic: Array("big/t".utf8),
                    qos: .atLeastOnce,
                    packetIdentifier: 7,
                    size: 16_386
                )
        )
        #expect(packets == [.pingresp])
    }

    @Test("an oversized packet is skipped as it arrives, and the next one decodes")
    func oversizedPacketSkipped() throws {
        var decoder = PacketDecoder(version: .v5, maximumPacketSize: 100)
        var body = hex("00 01 74 00") + [UInt8](repeating: 7, count: 16_383 - 4)
        decoder.append(hex("30 FF 7F") + body.prefix(1_000))
        #expect(throws: MQTTCodecError.self) { try decoder.next() }
        body.removeFirst(1_000)
        while body.count > 4_096 {
            decoder.append(Array(body.prefix(4_096)))
            body.removeFirst(4_096)
            #expect(try decoder.next() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
        decoder.append(body + hex("C0 00"))
        #expect(try decoder.next() == .pingreq)
    }

    @Test("an oversized packet whose header straddles two reads is refused")
    func oversizedStraddlingHeader() throws {
        var decoder = PacketDecoder(version: .v5, maximumPacketSize: 100)
        decoder.append(hex("30"))
        #expect(try decoder.next() == nil)
        decoder.append(hex("FF 7F"))
        #expect(throws: MQTTCodecError.self) { try decoder.next() }
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("after an error in a packet body, decoding resumes with the next packet")
    func resumesAfterBodyError() throws {
        var decoder = PacketDecoder(version: .v311)
        decoder.append(hex("30 05 00 03 61 2F 2B  C0 00"))
        #expect(throws: MQTTCodecError.self) { try decoder.next() }
        #expect(!decoder.hasFailed)
        #expect(try decoder.next() == .pingreq)
    }

    @Test("after an error in a fixed header, the decoder stays failed and holds nothing")
    func failsForGoodAfterHeaderError() throws {
        var decoder = PacketDecoder(version: .v5)
        decoder.append(hex("00 00 C0 00"))
        var first: MQTTCodecError?
        do { _ = try decoder.next() } catch { first = error }
        #expect(first?.problem == .reservedPacketType(0))
        #expect(decoder.hasFailed)
        decoder.append(hex("C0 00"))
        #expect(decoder.bufferedByteCount == 0)
        do {
            _ = try decoder.next()
            Issue.record("decoded after a fatal error")
        } catch {
            #expect(error == first)
        }
    }

    @Test("garbage is refused at its first byte, without waiting for a length")
    func garbageRefusedEarly() {
        var decoder = PacketDecoder(version: .v5)
        decoder.append(Array("GET / HTTP/1.1\r\n".utf8))
        do {
            _ = try decoder.next()
            Issue.record("no error")
        } catch {
            #expect(error.problem == .invalidFlags(0x07))
            #expect(error.packet == .puback)
        }
    }

    @Test(
        "a decoded PUBLISH's topic is its bytes in the read, and reads back as the same String",
        arguments: [
            "factory/line7/device-12345/telemetry", "ü/温度/🙂", "a",
        ]
    )
    func topicKeptAsBytes(topic: String) throws {
        let sent = PublishPacket(topicName: topic, payload: [1, 2, 3], qos: .atLeastOnce, packetIdentifier: 9)
        let bytes = try Packet.publish(sent).encoded(version: .v5)
        var decoder = PacketDecoder(version: .v5)
        // Two packets in one read: the first one's topic must end where its own bytes do.
        decoder.append(bytes + bytes)
        guard case .publish(let received)? = try decoder.next() else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(Array(received.topicUTF8) == Array(topic.utf8))
        #expect(received.topicUTF8.startIndex == 4)
        #expect(received.topicName == topic)
        #expect(received == sent)
        guard case .publish(let second)? = try decoder.next() else {
            Issue.record("no second PUBLISH")
            return
        }
        #expect(second.topicUTF8.startIndex == bytes.count + 4)
        #expect(second.topicName == topic)
    }
}
