import Protobuf
import Testing

@Suite("Protobuf reader and writer")
struct ProtobufTests {
    /// The protobuf documentation's own examples: field 1 = 150 is `08 96 01`; field 2 = "testing"
    /// is `12 07 74 65 73 74 69 6e 67`.
    @Test("the encoding guide's examples")
    func documentationExamples() throws {
        var writer = ProtobufWriter()
        writer.varint(1, 150)
        writer.string(2, "testing")
        #expect(writer.bytes == [0x08, 0x96, 0x01, 0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        var reader = ProtobufReader(writer.bytes)
        #expect(try reader.next() == .init(number: 1, wireType: .varint))
        #expect(try reader.varint() == 150)
        #expect(try reader.next() == .init(number: 2, wireType: .lengthDelimited))
        #expect(try reader.string() == "testing")
        #expect(try reader.next() == nil)
    }

    @Test("unknown fields of every wire type are skipped, groups included")
    func skipping() throws {
        // field 9 varint 300; field 10 fixed64; field 11 fixed32; field 12 bytes; field 13 group
        // containing field 1 varint; then the field we want: 1 = 7.
        let bytes: [UInt8] = [
            0x48, 0xAC, 0x02, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5D, 1, 2, 3, 4, 0x62, 0x02, 0xAA, 0xBB,
            0x6B, 0x08, 0x01, 0x6C, 0x08, 0x07,
        ]
        var reader = ProtobufReader(bytes)
        var found: UInt64?
        while let field = try reader.next() {
            if field.number == 1 { found = try reader.varint() } else { try reader.skip(field) }
        }
        #expect(found == 7)
    }

    @Test("signed values: zigzag and ten-byte negative varints")
    func signed() throws {
        var writer = ProtobufWriter()
        writer.int(1, -1)
        #expect(writer.bytes == [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        var reader = ProtobufReader(writer.bytes)
        _ = try reader.next()
        #expect(Int64(bitPattern: try reader.varint()) == -1)
        var zigzag = ProtobufReader([0x03])
        #expect(try zigzag.signedVarint() == -2)
    }

    @Test("fixed-width values are little-endian")
    func fixed() throws {
        var writer = ProtobufWriter()
        writer.fixed32(1, 0x0102_0304)
        writer.fixed64(2, 0x0102_0304_0506_0708)
        #expect(writer.bytes == [0x0D, 4, 3, 2, 1, 0x11, 8, 7, 6, 5, 4, 3, 2, 1])
        var reader = ProtobufReader(writer.bytes)
        _ = try reader.next()
        #expect(try reader.fixed32() == 0x0102_0304)
        _ = try reader.next()
        #expect(try reader.fixed64() == 0x0102_0304_0506_0708)
    }

    @Test("embedded messages read with their own reader")
    func embedded() throws {
        var writer = ProtobufWriter()
        writer.message(3) { $0.string(1, "inner") }
        var reader = ProtobufReader(writer.bytes)
        _ = try reader.next()
        var inner = try reader.message()
        _ = try inner.next()
        #expect(try inner.string() == "inner")
    }

    @Test(
        "malformed messages are refused with the problem and its offset",
        arguments: [
            ([0x08], ProtobufError(.truncated, at: 1)),
            ([0x12, 0x05, 0x61], ProtobufError(.truncated, at: 1)),
            ([0x0E], ProtobufError(.invalidWireType(6), at: 0)),
            ([0x00], ProtobufError(.invalidFieldNumber(0), at: 0)),
            ([0x0C], ProtobufError(.unbalancedGroup, at: 1)),
            ([0x0B, 0x08, 0x01], ProtobufError(.unbalancedGroup, at: 3)),
            ([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], ProtobufError(.malformedVarint, at: 1)),
        ] as [([UInt8], ProtobufError)]
    )
    func malformed(_ bytes: [UInt8], _ expected: ProtobufError) {
        var reader = ProtobufReader(bytes)
        do {
            while let field = try reader.next() { try reader.skip(field) }
            Issue.record("accepted \(bytes)")
        } catch {
            #expect(error == expected)
        }
    }

    @Test("a string that is not UTF-8 is refused")
    func invalidUTF8() {
        var reader = ProtobufReader([0x0A, 0x02, 0xC3, 0x28])
        #expect(throws: ProtobufError(.invalidUTF8, at: 1)) {
            _ = try reader.next()
            _ = try reader.string()
        }
    }

    @Test("deep nesting is refused rather than exhausting the stack")
    func depth() throws {
        var bytes: [UInt8] = []
        for _ in 0..<100 {
            bytes = [0x0A] + varint(bytes.count) + bytes
        }
        var reader = ProtobufReader(bytes)
        var level = 0
        do {
            while true {
                guard try reader.next() != nil else { break }
                reader = try reader.message()
                level += 1
            }
            Issue.record("read \(level) levels")
        } catch {
            #expect(error.problem == .tooDeep)
            #expect(level == ProtobufReader.maximumDepth)
        }
    }

    private func varint(_ value: Int) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.varint(UInt64(value))
        return writer.bytes
    }
}
