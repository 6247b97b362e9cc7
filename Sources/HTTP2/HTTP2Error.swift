/// The error codes of RFC 9113 §7, carried by RST_STREAM and GOAWAY.
public struct HTTP2ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code on the wire.
    public let rawValue: UInt32

    /// A code; unknown codes are kept as they are (§7: they "MUST NOT trigger any special behavior").
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Graceful shutdown, or a stream no longer needed.
    public static let noError = HTTP2ErrorCode(rawValue: 0x0)
    /// An unspecific protocol error.
    public static let protocolError = HTTP2ErrorCode(rawValue: 0x1)
    /// An unexpected internal error.
    public static let internalError = HTTP2ErrorCode(rawValue: 0x2)
    /// The peer violated flow control.
    public static let flowControlError = HTTP2ErrorCode(rawValue: 0x3)
    /// SETTINGS were not acknowledged in time.
    public static let settingsTimeout = HTTP2ErrorCode(rawValue: 0x4)
    /// A frame arrived after the stream was half-closed.
    public static let streamClosed = HTTP2ErrorCode(rawValue: 0x5)
    /// A frame of the wrong size.
    public static let frameSizeError = HTTP2ErrorCode(rawValue: 0x6)
    /// The stream was refused before any processing.
    public static let refusedStream = HTTP2ErrorCode(rawValue: 0x7)
    /// The stream is no longer needed.
    public static let cancel = HTTP2ErrorCode(rawValue: 0x8)
    /// The header compression context cannot be maintained.
    public static let compressionError = HTTP2ErrorCode(rawValue: 0x9)
    /// A CONNECT tunnel failed.
    public static let connectError = HTTP2ErrorCode(rawValue: 0xa)
    /// The peer behaves in a way that may be generating excessive load.
    public static let enhanceYourCalm = HTTP2ErrorCode(rawValue: 0xb)
    /// The transport does not meet minimum security requirements.
    public static let inadequateSecurity = HTTP2ErrorCode(rawValue: 0xc)
    /// HTTP/1.1 is required instead.
    public static let http11Required = HTTP2ErrorCode(rawValue: 0xd)

    private static let names: [UInt32: String] = [
        0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
        0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
        0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xa: "CONNECT_ERROR", 0xb: "ENHANCE_YOUR_CALM",
        0xc: "INADEQUATE_SECURITY", 0xd: "HTTP_1_1_REQUIRED",
    ]

    /// The RFC's name, e.g. `FLOW_CONTROL_ERROR`.
    public var description: String { Self.names[rawValue] ?? "error code 0x\(String(rawValue, radix: 16))" }
}

/// Something a peer did that HTTP/2 does not allow: the code to answer with, whether it ends one
/// stream (RST_STREAM) or the whole connection (GOAWAY), and what happened, citing the RFC.
public struct HTTP2Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The code sent to the peer.
    public let code: HTTP2ErrorCode
    /// The stream it ends, or nil for a connection error.
    public let streamID: UInt32?
    /// What happened.
    public let message: String

    /// A connection error (RFC 9113 §5.4.1).
    public static func connection(_ code: HTTP2ErrorCode, _ message: String) -> HTTP2Error {
        HTTP2Error(code: code, streamID: nil, message: message)
    }

    /// A stream error (RFC 9113 §5.4.2).
    public static func stream(_ id: UInt32, _ code: HTTP2ErrorCode, _ message: String) -> HTTP2Error {
        HTTP2Error(code: code, streamID: id, message: message)
    }

    /// `FLOW_CONTROL_ERROR on stream 3: …` or `PROTOCOL_ERROR: …`.
    public var description: String {
        if let streamID { return "\(code) on stream \(streamID): \(message)" }
        return "\(code): \(message)"
    }
}
