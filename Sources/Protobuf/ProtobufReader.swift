/// Reads a protobuf message field by field, as tolerant as protobuf requires: fields in any order,
/// repeated fields, unknown fields skipped by their wire type, and missing fields left at their
/// defaults by the caller.
///
/// ```swift
/// var reader = ProtobufReader(bytes)
/// while let field = try reader.next() {
///     switch field.number {
///     case 1: name = try reader.string()
///     default: try reader.skip(field)
///     }
/// }
/// ```
public struct ProtobufReader: Sendable {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    private let depth: Int
    /// How deeply messages may nest before the reader refuses (protects the stack).
    public static let maximumDepth = 64

    /// A reader over `bytes`.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.init(bytes, depth: 0)
    }

    /// A reader over `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...], depth: 0)
    }

    private init(_ bytes: ArraySlice<UInt8>, depth: Int) {
        self.bytes = bytes
        self.index = bytes.startIndex
        self.depth = depth
    }

    /// The offset of the next byte from the start of the message.
    public var offset: Int { index - bytes.startIndex }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { index >= bytes.endIndex }

    /// A field's number and wire type.
    public struct Field: Hashable, Sendable {
        /// The field number.
        public let number: Int
        /// How its value is encoded.
        public let wireType: WireType

        /// A field tag.
        public init(number: Int, wireType: WireType) {
            self.number = number
            self.wireType = wireType
        }
    }

    /// The next field's tag, or nil at the end of the message.
    public mutating func next() throws(ProtobufError) -> Field? {
        guard !isAtEnd else { return nil }
        let start = offset
        let tag = try varint()
        guard let wireType = WireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufError(.invalidWireType(UInt8(tag & 7)), at: start)
        }
        let number = tag >> 3
        guard number >= 1, number <= 536_870_911 else {
            throw ProtobufError(.invalidFieldNumber(number), at: start)
        }
        return Field(number: Int(number), wireType: wireType)
    }

    // MARK: - Values

    /// A varint (int32, int64, uint32, uint64, bool, enum).
    public mutating func varint() throws(ProtobufError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard index < bytes.endIndex else { throw ProtobufError(.truncated, at: start) }
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw ProtobufError(.malformedVarint, at: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw ProtobufError(.malformedVarint, at: start) }
        }
    }

    /// A zigzag-encoded signed varint (sint32, sint64).
    public mutating func signedVarint() throws(ProtobufError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A bool (varint 0 or not).
    public mutating func bool() throws(ProtobufError) -> Bool {
        try varint() != 0
    }

    /// Four little-endian bytes (fixed32, sfixed32, float).
    public mutating func fixed32() throws(ProtobufError) -> UInt32 {
        let range = try take(4)
        var value: UInt32 = 0
        for (shift, byte) in zip(stride(from: 0, to: 32, by: 8), bytes[range]) {
            value |= UInt32(byte) << UInt32(shift)
        }
        return value
    }

    /// Eight little-endian bytes (fixed64, sfixed64, double).
    public mutating func fixed64() throws(ProtobufError) -> UInt64 {
        let range = try take(8)
        var value: UInt64 = 0
        for (shift, byte) in zip(stride(from: 0, to: 64, by: 8), bytes[range]) {
            value |= UInt64(byte) << UInt64(shift)
        }
        return value
    }

    /// A length-delimited value's bytes (bytes, or a message to read with ``message(_:)``).
    public mutating func lengthDelimited() throws(ProtobufError) -> ArraySlice<UInt8> {
        let start = offset
        let length = try varint()
        guard length <= UInt64(bytes.endIndex - index) else { throw ProtobufError(.truncated, at: start) }
        return bytes[try take(Int(length))]
    }

    /// A string field (UTF-8).
    public mutating func string() throws(ProtobufError) -> String {
        let start = offset
        let data = try lengthDelimited()
        let text = data.withUnsafeBufferPointer { buffer -> String? in
            // Nearly every string here is ASCII: one cheap pass proves it, and the standard
            // library's generic validation (which is slow to reach) is left for the rest.
            Self.isASCII(buffer) ? String(decoding: buffer, as: UTF8.self) : String(validating: buffer, as: UTF8.self)
        }
        guard let text else { throw ProtobufError(.invalidUTF8, at: start) }
        return text
    }

    /// Whether every byte is below 0x80, looked at eight at a time.
    private static func isASCII(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = UnsafeRawBufferPointer(buffer)
        var offset = 0
        var bits: UInt64 = 0
        while offset + 8 <= raw.count {
            bits |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < raw.count {
            bits |= UInt64(raw[offset])
            offset += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// A reader for an embedded message, one level deeper.
    public mutating func message() throws(ProtobufError) -> ProtobufReader {
        guard depth < Self.maximumDepth else { throw ProtobufError(.tooDeep, at: offset) }
        return ProtobufReader(try lengthDelimited(), depth: depth + 1)
    }

    /// Skips a field's value by its wire type (how unknown fields are ignored).
    public mutating func skip(_ field: Field) throws(ProtobufError) {
        switch field.wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try take(8)
        case .fixed32: _ = try take(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup: try skipGroup(field.number, depth: depth + 1)
        case .endGroup: throw ProtobufError(.unbalancedGroup, at: offset)
        }
    }

    /// Fails unless `field` has the wire type the schema says it has.
    public func expect(_ field: Field, _ wireType: WireType) throws(ProtobufError) {
        guard field.wireType == wireType else {
            throw ProtobufError(.unexpectedWireType(field: field.number, field.wireType), at: offset)
        }
    }

    private mutating func skipGroup(_ number: Int, depth: Int) throws(ProtobufError) {
        guard depth <= Self.maximumDepth else { throw ProtobufError(.tooDeep, at: offset) }
        while let inner = try next() {
            if inner.wireType == .endGroup {
                guard inner.number == number else { throw ProtobufError(.unbalancedGroup, at: offset) }
                return
            }
            if inner.wireType == .startGroup {
                try skipGroup(inner.number, depth: depth + 1)
            } else {
                try skip(inner)
            }
        }
        throw ProtobufError(.unbalancedGroup, at: offset)
    }

    private mutating func take(_ count: Int) throws(ProtobufError) -> Range<Int> {
        guard count <= bytes.endIndex - index else { throw ProtobufError(.truncated, at: offset) }
        defer { index += count }
        return index..<(index + count)
    }
}
