public import Protobuf

/// A message of `Proto/`: written in protobuf's encoding, read back as tolerantly as protobuf
/// requires (fields in any order, unknown fields skipped, missing fields at their defaults).
public protocol ProtobufMessage: Hashable, Sendable {
    /// Reads the message's fields.
    init(from reader: inout ProtobufReader) throws(ProtobufError)
    /// Writes the fields that differ from their proto3 defaults.
    func write(to writer: inout ProtobufWriter)
}

extension ProtobufMessage {
    /// Decodes a serialized message.
    public init(serialized bytes: ArraySlice<UInt8>) throws(ProtobufError) {
        var reader = ProtobufReader(bytes)
        try self.init(from: &reader)
    }

    /// The serialized message.
    public var serialized: [UInt8] {
        var writer = ProtobufWriter()
        write(to: &writer)
        return writer.bytes
    }
}

extension ProtobufReader {
    /// Reads an embedded message field.
    mutating func message<Message: ProtobufMessage>(
        _ field: Field,
        as type: Message.Type = Message.self
    ) throws(ProtobufError) -> Message {
        try expect(field, .lengthDelimited)
        var inner = try message()
        return try Message(from: &inner)
    }

    /// Reads a string field.
    mutating func string(_ field: Field) throws(ProtobufError) -> String {
        try expect(field, .lengthDelimited)
        return try string()
    }

    /// Reads a varint field.
    mutating func varint(_ field: Field) throws(ProtobufError) -> UInt64 {
        try expect(field, .varint)
        return try varint()
    }

    /// Reads a map entry (`key = 1`, `value = 2`); a missing key or value is its default, as
    /// encoders that leave defaults out (prost, Akri's) send them.
    mutating func mapEntry<Value>(
        _ field: Field,
        defaultValue: Value,
        value read: (inout ProtobufReader, Field) throws(ProtobufError) -> Value
    ) throws(ProtobufError) -> (key: String, value: Value) {
        try expect(field, .lengthDelimited)
        var entry = try message()
        var key = ""
        var value = defaultValue
        while let inner = try entry.next() {
            switch inner.number {
            case 1: key = try entry.string(inner)
            case 2: value = try read(&entry, inner)
            default: try entry.skip(inner)
            }
        }
        return (key, value)
    }
}

extension ProtobufWriter {
    /// Writes an embedded message field (always, even when empty: presence matters).
    mutating func message<Message: ProtobufMessage>(_ field: Int, _ message: Message) {
        self.message(field) { message.write(to: &$0) }
    }

    /// Writes a map's entries in key order (deterministic bytes), each leaving a default key or
    /// value out as prost does.
    mutating func map<Value>(
        _ field: Int,
        _ map: [String: Value],
        value write: @escaping (inout ProtobufWriter, Value) -> Void
    ) {
        for key in map.keys.sorted() {
            message(field) { entry in
                entry.stringIfSet(1, key)
                write(&entry, map[key]!)
            }
        }
    }
}
