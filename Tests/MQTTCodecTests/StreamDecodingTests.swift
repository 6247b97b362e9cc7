import MQTTCodec
import Testing

@Suite("Decoding a stream however it is cut")
struct StreamDecodingTests {
    static let streams: [(ProtocolVersion, [Golden])] = [(.v311, GoldenPackets.v311), (.v5, GoldenPackets.v5)]

    /// Feeds `chunks` one at a time, draining the decoder after each.
    private func decode(_ chunks: [[UInt8]], version: ProtocolVersion) throws -> [Packet] {
        var decoder = PacketDecoder(version: version)
        var packets: [Packet] = []
        for chunk in chunks {
            decoder.append(chunk)
            while let packet = try decoder.next() { packets.append(packet) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return packets
    }

    @Test("all packets of a version in one buffer", arguments: [ProtocolVersion.v311, .v5])
    func oneBuffer(_ version: ProtocolVersion) throws {
        let goldens = version == .v5 ? GoldenPackets.v5 : GoldenPackets.v311
        let bytes = goldens.flatMap(\.bytes)
        #expect(try decode([bytes], version: version) == goldens.map(\.packet))
    }

    @Test("one byte at a time", arguments: [ProtocolVersion.v311, .v5])
    func byteByByte(_ version: ProtocolVersion) throws {
        let goldens = version == .v5 ? GoldenPackets.v5 : GoldenPackets.v311
        let chunks = goldens.flatMap(\.bytes).map { [$0] }
        #expect(try decode(chunks, version: version) == goldens.map(\.packet))
    }

    @Test("split into two at every byte", arguments: [ProtocolVersion.v311, .v5])
    func everySplit(_ version: ProtocolVersion) throws {
        let goldens = version == .v5 ? GoldenPackets.v5 : GoldenPackets.v311
        let bytes = goldens.flatMap(\.bytes)
        let expected = goldens.map(\.packet)
        for split in 0...bytes.count {
            let chunks = [Array(bytes[..<split]), Array(bytes[split...])]
            #expect(try decode(chunks, version: version) == expected, "split at \(split)")
        }
    }

    @Test("random chunk sizes", arguments: [ProtocolVersion.v311, .v5])
    func randomChunks(_ version: ProtocolVersion) throws {
        let goldens = version == .v5 ? GoldenPackets.v5 : GoldenPackets.v311
        let bytes = goldens.flatMap(\.bytes)
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<200 {
            var chunks: [[UInt8]] = []
            var start = 0
            while start < bytes.count {
                let length = Int(random.next() % 40) + 1
                let end = min(bytes.count, start + length)
                chunks.append(Array(bytes[start..<end]))
                start = end
            }
            #expect(try decode(chunks, version: version) == goldens.map(\.packet))
        }
    }

    @Test("appending twice before draining keeps every byte")
    func appendTwice() throws {
        var decoder = PacketDecoder(version: .v5)
        decoder.append(hex("C0 00 D0"))
        decoder.append(hex("00 C0 00"))
        var packets: [Packet] = []
        while let packet = try decoder.next() { packets.append(packet) }
        #expect(packets == [.pingreq, .pingresp, .pingreq])
    }

    @Test("payloads are slices of the appended buffer, not copies")
    func zeroCopyPayloads() throws {
        var buffer: [UInt8] = []
        for index in 0..<100 {
            let publish = PublishPacket(
                topicName: "t/\(index)",
                payload: ArraySlice(repeating: UInt8(index), count: 64)
            )
            try Packet.publish(publish).encode(version: .v5, into: &buffer)
        }
        let range = buffer.withUnsafeBufferPointer {
            UInt(bitPattern: $0.baseAddress!)..<UInt(bitPattern: $0.baseAddress! + $0.count)
        }
        var decoder = PacketDecoder(version: .v5)
        decoder.append(buffer)
        var count = 0
        while case .publish(let publish)? = try decoder.next() {
            let address = publish.payload.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress!) }
            #expect(range.contains(address))
            #expect(publish.payload.allSatisfy { $0 == UInt8(count) })
            count += 1
        }
        #expect(count == 100)
    }
}

/// A small deterministic random number generator, so a failing split can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
