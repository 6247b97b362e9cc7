/// How a protobuf field's value is encoded (Protocol Buffers encoding guide, "Message Structure").
public enum WireType: UInt8, Sendable, Hashable {
    /// int32, int64, uint32, uint64, sint32, sint64, bool, enum.
    case varint = 0
    /// fixed64, sfixed64, double.
    case fixed64 = 1
    /// string, bytes, embedded messages, packed repeated fields.
    case lengthDelimited = 2
    /// A group's start (deprecated; only skipped).
    case startGroup = 3
    /// A group's end (deprecated; only skipped).
    case endGroup = 4
    /// fixed32, sfixed32, float.
    case fixed32 = 5
}

/// Bytes that are not a valid protobuf message, with where the problem is.
public struct ProtobufError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Hashable, Sendable {
        /// The message ends inside a field.
        case truncated
        /// A varint longer than ten bytes.
        case malformedVarint
        /// A wire type of 6 or 7.
        case invalidWireType(UInt8)
        /// Field number 0, or above 536,870,911.
        case invalidFieldNumber(UInt64)
        /// A string field that is not UTF-8.
        case invalidUTF8
        /// An end-group tag without its start, or a group that does not end.
        case unbalancedGroup
        /// Messages or groups nested deeper than the reader allows.
        case tooDeep
        /// A field of the right number but the wrong wire type.
        case unexpectedWireType(field: Int, WireType)
    }

    /// What is wrong.
    public let problem: Problem
    /// The byte offset in the message where it was found.
    public let offset: Int

    /// An error at `offset`.
    public init(_ problem: Problem, at offset: Int) {
        self.problem = problem
        self.offset = offset
    }

    /// E.g. `protobuf: truncated at byte 12`.
    public var description: String {
        let what: String =
            switch problem {
            case .truncated: "the message ends inside a field"
            case .malformedVarint: "a varint is longer than 10 bytes"
            case .invalidWireType(let type): "wire type \(type) does not exist"
            case .invalidFieldNumber(let number): "field number \(number) is out of range"
            case .invalidUTF8: "a string field is not UTF-8"
            case .unbalancedGroup: "a group does not start or end properly"
            case .tooDeep: "messages are nested too deeply"
            case .unexpectedWireType(let field, let type): "field \(field) has wire type \(type.rawValue)"
            }
        return "protobuf: \(what) (byte \(offset))"
    }
}
