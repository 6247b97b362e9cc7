/// Writes a protobuf message field by field. Proto3 leaves fields at their default value out;
/// the `…IfSet` helpers do that, the plain ones always write.
public struct ProtobufWriter: Sendable {
    /// The message so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty message.
    public init() {}

    /// Writes a field tag.
    public mutating func tag(_ field: Int, _ wireType: WireType) {
        varint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes a varint value (no tag).
    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A varint field (uint64, uint32, enum, bool as 0/1).
    public mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    /// A varint field, left out when 0 (proto3 default).
    public mutating func varintIfSet(_ field: Int, _ value: UInt64) {
        if value != 0 { varint(field, value) }
    }

    /// A signed int32/int64 field: negative values take ten bytes, as protobuf specifies.
    public mutating func int(_ field: Int, _ value: Int64) {
        varint(field, UInt64(bitPattern: value))
    }

    /// A bool field, left out when false (proto3 default).
    public mutating func boolIfSet(_ field: Int, _ value: Bool) {
        if value { varint(field, 1) }
    }

    /// A fixed32 field (little-endian).
    public mutating func fixed32(_ field: Int, _ value: UInt32) {
        tag(field, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// A fixed64 field (little-endian).
    public mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A bytes field.
    public mutating func bytes<Bytes: Collection<UInt8>>(_ field: Int, _ value: Bytes) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A string field.
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, value.utf8)
    }

    /// A string field, left out when empty (proto3 default).
    public mutating func stringIfSet(_ field: Int, _ value: String) {
        if !value.isEmpty { string(field, value) }
    }

    /// An embedded message field, written by `body`.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        bytes(field, inner.bytes)
    }

    /// Fields already encoded (by another writer), appended as they are: a message's fields may
    /// come in any order and be written in parts.
    public mutating func append(fields: [UInt8]) {
        bytes.append(contentsOf: fields)
    }
}
