/// A gRPC status: the code of the gRPC core's status codes document and a message for a person,
/// carried in the `grpc-status` and `grpc-message` trailers.
public struct GRPCStatus: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code.
    public var code: Code
    /// What went wrong (empty for OK).
    public var message: String

    /// A status.
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    /// OK, with no message.
    public static let ok = GRPCStatus(.ok)

    /// The status codes (an open set: a value this list does not name is kept as it is).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire.
        public let rawValue: Int
        /// A code.
        public init(rawValue: Int) {
            self.rawValue = rawValue
        }

        /// 0.
        public static let ok = Code(rawValue: 0)
        /// 1: the caller cancelled.
        public static let cancelled = Code(rawValue: 1)
        /// 2.
        public static let unknown = Code(rawValue: 2)
        /// 3: the request is wrong whatever the state.
        public static let invalidArgument = Code(rawValue: 3)
        /// 4: the deadline passed first.
        public static let deadlineExceeded = Code(rawValue: 4)
        /// 5.
        public static let notFound = Code(rawValue: 5)
        /// 6.
        public static let alreadyExists = Code(rawValue: 6)
        /// 7.
        public static let permissionDenied = Code(rawValue: 7)
        /// 8: a limit was hit (a message over the receive limit).
        public static let resourceExhausted = Code(rawValue: 8)
        /// 9.
        public static let failedPrecondition = Code(rawValue: 9)
        /// 10.
        public static let aborted = Code(rawValue: 10)
        /// 11.
        public static let outOfRange = Code(rawValue: 11)
        /// 12: no such method, or a feature not supported (compression).
        public static let unimplemented = Code(rawValue: 12)
        /// 13.
        public static let `internal` = Code(rawValue: 13)
        /// 14: try again.
        public static let unavailable = Code(rawValue: 14)
        /// 15.
        public static let dataLoss = Code(rawValue: 15)
        /// 16.
        public static let unauthenticated = Code(rawValue: 16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// E.g. `INVALID_ARGUMENT (3)`.
        public var description: String {
            let name = Self.names.indices.contains(rawValue) ? Self.names[rawValue] : "code"
            return "\(name) (\(rawValue))"
        }
    }

    /// E.g. `INVALID_ARGUMENT (3): 2:9: …`.
    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }

    /// The status an HTTP response that is not 200 stands for (gRPC's "HTTP to gRPC Status Code
    /// Mapping").
    public static func forHTTPStatus(_ status: Int) -> GRPCStatus {
        let code: Code =
            switch status {
            case 400: .internal
            case 401: .unauthenticated
            case 403: .permissionDenied
            case 404: .unimplemented
            case 429, 502, 503, 504: .unavailable
            default: .unknown
            }
        return GRPCStatus(code, "HTTP status \(status)")
    }
}

extension GRPCStatus {
    /// `grpc-message` as sent: percent-encoded UTF-8, every octet outside printable ASCII and `%`
    /// itself as `%XX` (gRPC over HTTP/2, "Responses").
    public static func percentEncoded(_ message: String) -> String {
        var encoded = ""
        for octet in message.utf8 {
            if (0x20...0x7E).contains(octet), octet != 0x25 {
                encoded.unicodeScalars.append(Unicode.Scalar(octet))
            } else {
                encoded += "%"
                encoded += String(octet >> 4, radix: 16, uppercase: true)
                encoded += String(octet & 0xF, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    /// A `grpc-message` decoded; a `%` not followed by two hex digits is kept as it is, as the
    /// specification asks of receivers.
    public static func percentDecoded(_ value: String) -> String {
        let octets = Array(value.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(octets.count)
        var index = 0
        while index < octets.count {
            if octets[index] == 0x25, index + 2 < octets.count,
                let high = hexValue(octets[index + 1]), let low = hexValue(octets[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(octets[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ octet: UInt8) -> UInt8? {
        switch octet {
        case 0x30...0x39: octet - 0x30
        case 0x41...0x46: octet - 0x41 + 10
        case 0x61...0x66: octet - 0x61 + 10
        default: nil
        }
    }
}
