import Testing

@testable import HPACK

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter(\.isHexDigit))
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func fields(_ pairs: [(String, String)]) -> [HeaderField] {
    pairs.map { HeaderField($0.0, $0.1) }
}

@Suite("HPACK: RFC 7541 Appendix C, byte for byte")
struct AppendixCTests {
    @Test("C.1: integers in 5- and 8-bit prefixes")
    func integers() {
        var ten: [UInt8] = []
        HPACKEncoder.integer(10, prefix: 5, flags: 0, into: &ten)
        #expect(ten == [0b0000_1010])
        var big: [UInt8] = []
        HPACKEncoder.integer(1337, prefix: 5, flags: 0, into: &big)
        #expect(big == [0b0001_1111, 0b1001_1010, 0b0000_1010])
        var octet: [UInt8] = []
        HPACKEncoder.integer(42, prefix: 8, flags: 0, into: &octet)
        #expect(octet == [42])
    }

    @Test("C.2: a literal with indexing, without, never indexed, and an indexed field")
    func representations() throws {
        var decoder = HPACKDecoder()
        #expect(
            try decoder.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")[...])
                == fields([("custom-key", "custom-header")])
        )
        #expect(decoder.dynamicTableSize == 55)
        var without = HPACKDecoder()
        #expect(
            try without.decode(hex("040c 2f73 616d 706c 652f 7061 7468")[...]) == fields([(":path", "/sample/path")])
        )
        #expect(without.dynamicTableSize == 0)
        var never = HPACKDecoder()
        let secret = try never.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")[...])
        #expect(secret == [HeaderField("password", "secret", neverIndexed: true)])
        #expect(never.dynamicTableSize == 0)
        var indexed = HPACKDecoder()
        #expect(try indexed.decode(hex("82")[...]) == fields([(":method", "GET")]))
    }

    static let requests: [(plain: String, huffman: String, headers: [(String, String)], size: Int)] = [
        (
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")], 57
        ),
        (
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8286 84be 5886 a8eb 1064 9cbf",
            [
                (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"),
                ("cache-control", "no-cache"),
            ], 110
        ),
        (
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            [
                (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"),
                ("custom-key", "custom-value"),
            ], 164
        ),
    ]

    @Test("C.3 and C.4: three requests on one connection, the dynamic table carried over, plain and Huffman-coded")
    func requests() throws {
        for huffman in [false, true] {
            var decoder = HPACKDecoder()
            for request in Self.requests {
                let block = hex(huffman ? request.huffman : request.plain)
                #expect(try decoder.decode(block[...]) == fields(request.headers))
                #expect(decoder.dynamicTableSize == request.size)
            }
        }
    }

    static let date1 = "Mon, 21 Oct 2013 20:13:21 GMT"
    static let date2 = "Mon, 21 Oct 2013 20:13:22 GMT"
    static let cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
    static let responses: [(plain: String, huffman: String, headers: [(String, String)], size: Int)] = [
        (
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120"
                + "474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718"
                + "63c7 8f0b 97c8 e9ae 82ae 43d3",
            [
                (":status", "302"), ("cache-control", "private"), ("date", date1),
                ("location", "https://www.example.com"),
            ], 222
        ),
        (
            "4803 3330 37c1 c0bf",
            "4883 640e ffc1 c0bf",
            [
                (":status", "307"), ("cache-control", "private"), ("date", date1),
                ("location", "https://www.example.com"),
            ], 222
        ),
        (
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738"
                + "666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765"
                + "3d33 3630 303b 2076 6572 7369 6f6e 3d31",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7"
                + "b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
            [
                (":status", "200"), ("cache-control", "private"), ("date", date2),
                ("location", "https://www.example.com"), ("content-encoding", "gzip"), ("set-cookie", cookie),
            ], 215
        ),
    ]

    @Test("C.5 and C.6: three responses in a 256-octet table, entries evicted, plain and Huffman-coded")
    func responses() throws {
        for huffman in [false, true] {
            var decoder = HPACKDecoder(maximumTableSize: 256)
            for response in Self.responses {
                let block = hex(huffman ? response.huffman : response.plain)
                #expect(try decoder.decode(block[...]) == fields(response.headers))
                #expect(decoder.dynamicTableSize == response.size)
            }
        }
    }

    @Test("Huffman: the appendix's strings encode to its bytes")
    func huffmanEncoding() {
        var output: [UInt8] = []
        HuffmanCode.encode(Array("www.example.com".utf8), into: &output)
        #expect(output == hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"))
        output = []
        HuffmanCode.encode(Array("no-cache".utf8), into: &output)
        #expect(output == hex("a8eb 1064 9cbf"))
    }
}

@Suite("HPACK: bad blocks are refused with where and why")
struct HPACKErrorTests {
    static func error(_ block: [UInt8], _ decoder: HPACKDecoder = HPACKDecoder()) -> HPACKError? {
        var decoder = decoder
        do {
            _ = try decoder.decode(block[...])
            return nil
        } catch {
            return error
        }
    }

    @Test("an index past the table, and index 0")
    func indices() {
        #expect(Self.error([0xBE])?.message == "index 62 is past the end of the table (61 static + 0 dynamic entries)")
        #expect(Self.error([0x80])?.message == "index 0 is not a header field (RFC 7541 §6.1)")
        #expect(Self.error([0x40 | 0x3F, 0x7F])?.message.hasPrefix("index 190 is past the end") == true)
    }

    @Test("a dynamic table size above the setting, or after a field")
    func sizeUpdates() {
        let decoder = HPACKDecoder(maximumTableSize: 100)
        // 0x3F 0x46 = 31 + 70 = 101.
        #expect(
            Self.error([0x3F, 0x46], decoder)?.message
                == "a dynamic table size of 101 is over the 100 allowed (RFC 7541 §6.3)"
        )
        #expect(Self.error([0x3F, 0x45], decoder) == nil)
        #expect(
            Self.error([0x82, 0x20])?.message == "a dynamic table size update after a header field (RFC 7541 §4.2)"
        )
        #expect(Self.error([0x20, 0x3F, 0xE1, 0x1F, 0x82]) == nil, "two updates at the start are allowed")
    }

    @Test("Huffman: EOS in a string, padding over 7 bits, padding that is not EOS")
    func huffman() {
        // A literal value of 4 octets that are all ones: EOS (30 ones) in the string.
        #expect(Self.error([0x00, 0x01, 0x61, 0x84, 0xFF, 0xFF, 0xFF, 0xFF])?.message.contains("contains EOS") == true)
        // 'a' is 00011 (5 bits); "a" then a whole octet of ones: 11 bits of padding.
        #expect(Self.error([0x00, 0x01, 0x61, 0x82, 0x1F, 0xFF])?.message.contains("longer than 7 bits") == true)
        // 'a' then 000: padding that is not ones.
        #expect(Self.error([0x00, 0x01, 0x61, 0x81, 0x18])?.message.contains("not the high bits of EOS") == true)
    }

    @Test("limits: a string, a header list, an integer, a block that ends early")
    func limits() {
        let small = HPACKDecoder(maximumHeaderListSize: 40, maximumStringLength: 10)
        #expect(
            Self.error([0x00, 0x01, 0x61, 0x0B] + [UInt8](repeating: 0x62, count: 11), small)?.message
                == "a string of 11 octets is over 10"
        )
        #expect(Self.error([0x82, 0x82], small)?.message == "the header list is over 40 octets")
        #expect(Self.error([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])?.message == "an integer over 2^30 (RFC 7541 §5.1)")
        #expect(Self.error([0x00, 0x05, 0x61])?.message == "a string of 5 octets runs past the end of the block")
        #expect(Self.error([0xFF])?.message == "the block ends inside an integer")
        // Found by Scripts/fuzz: zero continuation octets kept the value under 2^30 while the
        // shift grew past Int's width; the next octet wrapped it negative, and a string of
        // negative length crashed the decoder.
        let zeros = [0x00, 0x7F] + [UInt8](repeating: 0x80, count: 9) + [0x7F]
        #expect(Self.error(zeros)?.message == "an integer over 2^30 (RFC 7541 §5.1)")
    }
}

@Suite("HPACK encoder")
struct HPACKEncoderTests {
    @Test("what it encodes decodes to the same fields, through a table that keeps changing")
    func roundTrip() throws {
        let encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let lists: [[HeaderField]] = [
            fields([(":method", "POST"), (":scheme", "http"), (":path", "/v0.DiscoveryHandler/Discover")]),
            fields([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0")]),
            [HeaderField("authorization", "Bearer x", neverIndexed: true), HeaderField("x-binary", "\u{01}\u{FF}é")],
            fields([("te", "trailers"), ("grpc-message", String(repeating: "é", count: 300))]),
        ]
        for list in lists {
            #expect(try decoder.decode(encoder.encode(list)[...]) == list)
        }
        #expect(encoder.encode(fields([(":method", "GET")])) == [0x82])
    }
}
