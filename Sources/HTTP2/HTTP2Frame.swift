/// One HTTP/2 frame (RFC 9113 §4.1, §6): the stream it belongs to and what it carries. Frames of
/// types this implementation does not know are kept as ``Payload/unknown(type:flags:payload:)``,
/// to be ignored as §4.1 and §5.5 require.
public struct HTTP2Frame: Hashable, Sendable {
    /// The stream, 0 for the connection.
    public var streamID: UInt32
    /// What the frame carries.
    public var payload: Payload

    /// A frame.
    public init(streamID: UInt32, payload: Payload) {
        self.streamID = streamID
        self.payload = payload
    }

    /// The frame header's length of 9 octets (§4.1).
    public static let headerSize = 9

    /// What a frame carries, one case per frame type.
    public enum Payload: Hashable, Sendable {
        /// DATA (§6.1). `padding` counts the octets of padding including the Pad Length field:
        /// they count against flow control like the data.
        case data(ArraySlice<UInt8>, endStream: Bool, padding: Int = 0)
        /// HEADERS (§6.2): the start of a field block; `priority` when the PRIORITY flag was set.
        case headers(ArraySlice<UInt8>, endStream: Bool, endHeaders: Bool, priority: Priority? = nil)
        /// PRIORITY (§6.3): parsed for its errors, otherwise ignored (RFC 9113 deprecates the scheme).
        case priority(Priority)
        /// RST_STREAM (§6.4).
        case rstStream(HTTP2ErrorCode)
        /// SETTINGS (§6.5), the parameters in the order sent.
        case settings([HTTP2Setting])
        /// SETTINGS with the ACK flag (§6.5).
        case settingsAcknowledgement
        /// PUSH_PROMISE (§6.6).
        case pushPromise(promisedStreamID: UInt32, ArraySlice<UInt8>, endHeaders: Bool)
        /// PING (§6.7): its 8 octets of opaque data.
        case ping(UInt64, ack: Bool)
        /// GOAWAY (§6.8).
        case goAway(lastStreamID: UInt32, HTTP2ErrorCode, debugData: ArraySlice<UInt8>)
        /// WINDOW_UPDATE (§6.9).
        case windowUpdate(increment: UInt32)
        /// CONTINUATION (§6.10).
        case continuation(ArraySlice<UInt8>, endHeaders: Bool)
        /// A frame type without a meaning here.
        case unknown(type: UInt8, flags: UInt8, payload: ArraySlice<UInt8>)
    }

    /// A stream dependency (§5.3.1 of RFC 7540, kept by RFC 9113 only as syntax).
    public struct Priority: Hashable, Sendable {
        /// Whether the dependency is exclusive.
        public var exclusive: Bool
        /// The stream depended on.
        public var dependency: UInt32
        /// The weight minus one, as sent.
        public var weight: UInt8

        /// A priority.
        public init(exclusive: Bool, dependency: UInt32, weight: UInt8) {
            self.exclusive = exclusive
            self.dependency = dependency
            self.weight = weight
        }
    }

    /// The frame types of RFC 9113 §6.
    public enum Kind: UInt8, Sendable {
        case data = 0x0
        case headers = 0x1
        case priority = 0x2
        case rstStream = 0x3
        case settings = 0x4
        case pushPromise = 0x5
        case ping = 0x6
        case goAway = 0x7
        case windowUpdate = 0x8
        case continuation = 0x9
    }

    /// The flags RFC 9113 defines.
    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    /// The octets flow control counts for this frame: a DATA frame's whole payload (§6.9.1).
    public var flowControlledLength: Int {
        guard case .data(let bytes, _, let padding) = payload else { return 0 }
        return bytes.count + padding
    }
}

extension HTTP2Frame {
    /// Appends the frame's wire form to `output`.
    public func encode(into output: inout [UInt8]) {
        switch payload {
        case .data(let bytes, let endStream, let padding):
            let flags = (endStream ? Flag.endStream : 0) | (padding > 0 ? Flag.padded : 0)
            Self.header(length: bytes.count + padding, kind: .data, flags: flags, stream: streamID, into: &output)
            if padding > 0 { output.append(UInt8(padding - 1)) }
            output += bytes
            if padding > 1 { output += repeatElement(0, count: padding - 1) }
        case .headers(let block, let endStream, let endHeaders, let priority):
            let flags =
                (endStream ? Flag.endStream : 0) | (endHeaders ? Flag.endHeaders : 0)
                | (priority != nil ? Flag.priority : 0)
            Self.header(
                length: block.count + (priority != nil ? 5 : 0),
                kind: .headers,
                flags: flags,
                stream: streamID,
                into: &output
            )
            if let priority { Self.append(priority, into: &output) }
            output += block
        case .priority(let priority):
            Self.header(length: 5, kind: .priority, flags: 0, stream: streamID, into: &output)
            Self.append(priority, into: &output)
        case .rstStream(let code):
            Self.header(length: 4, kind: .rstStream, flags: 0, stream: streamID, into: &output)
            Self.append32(code.rawValue, into: &output)
        case .settings(let settings):
            Self.header(length: settings.count * 6, kind: .settings, flags: 0, stream: streamID, into: &output)
            for setting in settings {
                output.append(UInt8(truncatingIfNeeded: setting.identifier >> 8))
                output.append(UInt8(truncatingIfNeeded: setting.identifier))
                Self.append32(setting.value, into: &output)
            }
        case .settingsAcknowledgement:
            Self.header(length: 0, kind: .settings, flags: Flag.ack, stream: streamID, into: &output)
        case .pushPromise(let promised, let block, let endHeaders):
            Self.header(
                length: block.count + 4,
                kind: .pushPromise,
                flags: endHeaders ? Flag.endHeaders : 0,
                stream: streamID,
                into: &output
            )
            Self.append32(promised, into: &output)
            output += block
        case .ping(let data, let ack):
            Self.header(length: 8, kind: .ping, flags: ack ? Flag.ack : 0, stream: streamID, into: &output)
            Self.append32(UInt32(truncatingIfNeeded: data >> 32), into: &output)
            Self.append32(UInt32(truncatingIfNeeded: data), into: &output)
        case .goAway(let lastStreamID, let code, let debugData):
            Self.header(length: 8 + debugData.count, kind: .goAway, flags: 0, stream: streamID, into: &output)
            Self.append32(lastStreamID, into: &output)
            Self.append32(code.rawValue, into: &output)
            output += debugData
        case .windowUpdate(let increment):
            Self.header(length: 4, kind: .windowUpdate, flags: 0, stream: streamID, into: &output)
            Self.append32(increment, into: &output)
        case .continuation(let block, let endHeaders):
            Self.header(
                length: block.count,
                kind: .continuation,
                flags: endHeaders ? Flag.endHeaders : 0,
                stream: streamID,
                into: &output
            )
            output += block
        case .unknown(let type, let flags, let bytes):
            Self.header(length: bytes.count, rawKind: type, flags: flags, stream: streamID, into: &output)
            output += bytes
        }
    }

    /// The frame's wire form.
    public var encoded: [UInt8] {
        var output: [UInt8] = []
        encode(into: &output)
        return output
    }

    private static func header(length: Int, kind: Kind, flags: UInt8, stream: UInt32, into output: inout [UInt8]) {
        header(length: length, rawKind: kind.rawValue, flags: flags, stream: stream, into: &output)
    }

    private static func header(length: Int, rawKind: UInt8, flags: UInt8, stream: UInt32, into output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: length >> 16))
        output.append(UInt8(truncatingIfNeeded: length >> 8))
        output.append(UInt8(truncatingIfNeeded: length))
        output.append(rawKind)
        output.append(flags)
        append32(stream & 0x7FFF_FFFF, into: &output)
    }

    private static func append(_ priority: Priority, into output: inout [UInt8]) {
        append32((priority.exclusive ? 0x8000_0000 : 0) | priority.dependency & 0x7FFF_FFFF, into: &output)
        output.append(priority.weight)
    }

    static func append32(_ value: UInt32, into output: inout [UInt8]) {
        output.append(UInt8(truncatingIfNeeded: value >> 24))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value))
    }
}
