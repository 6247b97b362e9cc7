public import Protobuf

/// `mqtt_discovery.v1.Status`: why a request failed, as a gRPC status code and a message.
public struct Status: ProtobufMessage, Error, CustomStringConvertible {
    /// The gRPC status code.
    public var code: Code
    /// What went wrong, for a person.
    public var message: String

    /// gRPC status codes (an open set: unknown values are kept).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire value.
        public var rawValue: Int32
        /// A code.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// 3: the request is wrong (bad discovery details, say).
        public static let invalidArgument = Code(rawValue: 3)
        /// 4: a deadline passed (a frame left unfinished too long).
        public static let deadlineExceeded = Code(rawValue: 4)
        /// 5: no such thing (no handler of that name).
        public static let notFound = Code(rawValue: 5)
        /// 8: a limit was hit (a frame too large, too many connections).
        public static let resourceExhausted = Code(rawValue: 8)
        /// 9: the request does not fit the state (a frame out of turn).
        public static let failedPrecondition = Code(rawValue: 9)
        /// 12: not supported here (a network endpoint, say).
        public static let unimplemented = Code(rawValue: 12)
        /// 13: a bug or a broken invariant.
        public static let `internal` = Code(rawValue: 13)
        /// 14: try again later.
        public static let unavailable = Code(rawValue: 14)

        /// E.g. `invalid argument (3)`.
        public var description: String {
            let name =
                switch self {
                case .invalidArgument: "invalid argument"
                case .deadlineExceeded: "deadline exceeded"
                case .notFound: "not found"
                case .resourceExhausted: "resource exhausted"
                case .failedPrecondition: "failed precondition"
                case .unimplemented: "unimplemented"
                case .internal: "internal"
                case .unavailable: "unavailable"
                default: "code"
                }
            return "\(name) (\(rawValue))"
        }
    }

    /// A status.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(Code(rawValue: 0), "")
        while let field = try reader.next() {
            switch field.number {
            case 1: code = Code(rawValue: Int32(truncatingIfNeeded: try reader.varint(field)))
            case 2: message = try reader.string(field)
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        if code.rawValue != 0 { writer.int(1, Int64(code.rawValue)) }
        writer.stringIfSet(2, message)
    }

    /// E.g. `invalid argument (3): 3:13: topic filter …`.
    public var description: String { "\(code): \(message)" }
}
