import Foundation
import HPACK
import HTTP2
import TestSupport
import Testing

/// Our frame and HPACK codecs against the `h2` project's (hyperframe and hpack, Python): what
/// they encode we read, what we encode they read.
@Suite("HTTP/2 codec against h2's hyperframe and hpack")
struct HTTP2InteropTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("Every frame type hyperframe writes reads back and re-encodes to the same octets")
    func theirFrames() async throws {
        let directory = try TemporaryDirectory(prefix: "h2")
        let path = directory.file("vectors.json")
        _ = try await Peers.run("h2_peer.py", ["vectors", path])
        let vectors = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        )
        let frames = try #require(vectors["frames"] as? [[String: String]])
        #expect(frames.count == 14)
        var kinds: Set<String> = []
        for item in frames {
            let wire = Self.bytes(try #require(item["hex"]))
            var reader = HTTP2FrameReader(maximumFrameSize: 1 << 24)
            reader.append(wire)
            let frame = try #require(try reader.next(), "\(item)")
            if wire[3] == 1, wire[4] & 0x8 != 0 {
                // HEADERS padding is dropped on reading (it carries nothing): the block is what counts.
                #expect(frame.payload == .headers([0x84], endStream: false, endHeaders: false))
            } else {
                #expect(frame.encoded == wire, "\(item["name"] ?? ""): \(frame)")
            }
            kinds.insert(String(describing: frame.payload).prefix { $0 != "(" }.description)
        }
        #expect(kinds.count >= 10, "\(kinds)")
    }

    @Test("hpack's header blocks decode, Huffman-coded or not, through a small table that evicts")
    func theirBlocks() async throws {
        let directory = try TemporaryDirectory(prefix: "h2")
        let path = directory.file("vectors.json")
        _ = try await Peers.run("h2_peer.py", ["vectors", path])
        let vectors = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        )
        let blocks = try #require(vectors["blocks"] as? [[String: Any]])
        var decoders: [Bool: HPACKDecoder] = [true: HPACKDecoder(), false: HPACKDecoder()]
        for block in blocks {
            let huffman = try #require(block["huffman"] as? Bool)
            let expected = try #require(block["headers"] as? [[String]]).map { HeaderField($0[0], $0[1]) }
            let decoded = try decoders[huffman]!.decode(Self.bytes(try #require(block["hex"] as? String))[...])
            #expect(decoded == expected)
        }
        #expect(decoders[true]!.dynamicTableSize <= 256, "evicted down to the 256 octets hpack announced")
        #expect(decoders[true]!.dynamicTableSize > 0)
    }

    @Test("hyperframe and hpack read every frame type and every block we write")
    func ourEncodings() async throws {
        let frames: [HTTP2Frame] = [
            HTTP2Frame(streamID: 1, payload: .data([1, 2, 3], endStream: true)),
            HTTP2Frame(streamID: 3, payload: .data([9], endStream: false, padding: 4)),
            HTTP2Frame(streamID: 5, payload: .headers([0x82], endStream: false, endHeaders: true)),
            HTTP2Frame(
                streamID: 7,
                payload: .headers(
                    [0x82],
                    endStream: true,
                    endHeaders: false,
                    priority: .init(exclusive: true, dependency: 3, weight: 200)
                )
            ),
            HTTP2Frame(streamID: 9, payload: .priority(.init(exclusive: false, dependency: 1, weight: 15))),
            HTTP2Frame(streamID: 11, payload: .rstStream(.cancel)),
            HTTP2Frame(streamID: 0, payload: .settings([HTTP2Setting(4, 1 << 20)])),
            HTTP2Frame(streamID: 0, payload: .settingsAcknowledgement),
            HTTP2Frame(streamID: 2, payload: .pushPromise(promisedStreamID: 4, [0x82], endHeaders: true)),
            HTTP2Frame(streamID: 0, payload: .ping(42, ack: true)),
            HTTP2Frame(
                streamID: 0,
                payload: .goAway(lastStreamID: 13, .enhanceYourCalm, debugData: Array("calm".utf8)[...])
            ),
            HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 65_535)),
            HTTP2Frame(streamID: 7, payload: .continuation([0x84], endHeaders: true)),
        ]
        let lists: [[HeaderField]] = [
            [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")],
            [
                HeaderField("grpc-status", "3"), HeaderField("grpc-message", "2:12: na%C3%AFve"),
                HeaderField("x-long", String(repeating: "v", count: 300)),
            ],
            [HeaderField("secret", "s3cret", neverIndexed: true), HeaderField("te", "trailers")],
        ]
        let encoder = HPACKEncoder()
        let input: [String: Any] = [
            "frames": frames.map { Self.hex($0.encoded) },
            "blocks": lists.map { Self.hex(encoder.encode($0)) },
        ]
        let directory = try TemporaryDirectory(prefix: "h2")
        let path = directory.file("ours.json")
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: path))
        let result = try #require(try await Peers.run("h2_peer.py", ["read-ours", path]).first)
        let read = try #require(result["frames"] as? [[String: Any]])
        #expect(
            read.compactMap { $0["name"] as? String } == [
                "DataFrame", "DataFrame", "HeadersFrame", "HeadersFrame", "PriorityFrame", "RstStreamFrame",
                "SettingsFrame", "SettingsFrame", "PushPromiseFrame", "PingFrame", "GoAwayFrame",
                "WindowUpdateFrame", "ContinuationFrame",
            ]
        )
        #expect(read[1]["flags"] as? [String] == ["PADDED"])
        #expect(read[3]["flags"] as? [String] == ["END_STREAM", "PRIORITY"])
        let blocks = try #require(result["blocks"] as? [[[String]]])
        #expect(blocks == lists.map { $0.map { [$0.name, $0.value] } })
    }
}
