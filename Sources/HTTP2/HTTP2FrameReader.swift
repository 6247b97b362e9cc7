/// Cuts a byte stream into frames (RFC 9113 §4.1) and checks what can be checked of one frame on
/// its own: its size against SETTINGS_MAX_FRAME_SIZE (§4.2), the stream it may be sent on, the
/// fixed sizes of §6, and padding. What depends on the connection's state is the
/// ``HTTP2Connection``'s to check.
///
/// Nothing larger than one frame is ever buffered: a frame header announcing more than the limit
/// is refused as soon as its nine octets are in.
public struct HTTP2FrameReader: Sendable {
    private var buffer: [UInt8] = []
    private var offset = 0
    /// The largest payload accepted: our SETTINGS_MAX_FRAME_SIZE.
    public var maximumFrameSize: Int

    /// A reader accepting payloads of at most `maximumFrameSize` octets.
    public init(maximumFrameSize: Int = 16_384) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Octets received and not yet part of a frame handed out.
    public var bufferedByteCount: Int { buffer.count - offset }

    /// Adds received octets.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if offset > 0, offset == buffer.count || offset >= 65_536 {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Removes and returns the first `count` octets (the connection preface).
    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard bufferedByteCount >= count else { return nil }
        defer { offset += count }
        return buffer[offset..<offset + count]
    }

    /// The octets not yet consumed, without consuming them.
    var unread: ArraySlice<UInt8> { buffer[offset...] }

    /// The next complete frame, or nil when more octets are needed.
    public mutating func next() throws(HTTP2Error) -> HTTP2Frame? {
        guard bufferedByteCount >= HTTP2Frame.headerSize else { return nil }
        let start = offset
        let length = Int(buffer[start]) << 16 | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2])
        let type = buffer[start + 3]
        let flags = buffer[start + 4]
        let streamID = Self.read32(buffer[...], at: start + 5) & 0x7FFF_FFFF
        guard length <= maximumFrameSize else {
            // §4.2: a frame over the limit is a FRAME_SIZE_ERROR; as a connection error for every
            // type, since the connection cannot stay in step without reading it.
            throw .connection(
                .frameSizeError,
                "a frame of \(length) octets is over SETTINGS_MAX_FRAME_SIZE \(maximumFrameSize) (RFC 9113 §4.2)"
            )
        }
        guard bufferedByteCount >= HTTP2Frame.headerSize + length else { return nil }
        let body = buffer[(start + HTTP2Frame.headerSize)..<(start + HTTP2Frame.headerSize + length)]
        offset = start + HTTP2Frame.headerSize + length
        let payload = try Self.payload(type: type, flags: flags, stream: streamID, body: body)
        return HTTP2Frame(streamID: streamID, payload: payload)
    }

    private static func payload(
        type: UInt8,
        flags: UInt8,
        stream: UInt32,
        body: ArraySlice<UInt8>
    ) throws(HTTP2Error) -> HTTP2Frame.Payload {
        typealias Flag = HTTP2Frame.Flag
        guard let kind = HTTP2Frame.Kind(rawValue: type) else {
            return .unknown(type: type, flags: flags, payload: body)
        }
        switch kind {
        case .data:
            try requireStream(stream, "DATA", section: "6.1")
            let (content, padding) = try unpadded(body, flags: flags, kind: "DATA", section: "6.1")
            return .data(content, endStream: flags & Flag.endStream != 0, padding: padding)
        case .headers:
            try requireStream(stream, "HEADERS", section: "6.2")
            var (content, _) = try unpadded(body, flags: flags, kind: "HEADERS", section: "6.2")
            var priority: HTTP2Frame.Priority?
            if flags & Flag.priority != 0 {
                guard content.count >= 5 else {
                    throw .connection(.frameSizeError, "HEADERS too short for its priority fields (RFC 9113 §6.2)")
                }
                priority = Self.priority(content.prefix(5))
                // A dependency on itself is checked once the block is decoded: the block must
                // still reach the decoder to keep its table in step with the peer's.
                content = content.dropFirst(5)
            }
            return .headers(
                content,
                endStream: flags & Flag.endStream != 0,
                endHeaders: flags & Flag.endHeaders != 0,
                priority: priority
            )
        case .priority:
            try requireStream(stream, "PRIORITY", section: "6.3")
            guard body.count == 5 else {
                throw .stream(stream, .frameSizeError, "PRIORITY of \(body.count) octets, not 5 (RFC 9113 §6.3)")
            }
            let priority = Self.priority(body)
            if priority.dependency == stream {
                throw .stream(stream, .protocolError, "a stream cannot depend on itself (RFC 9113 §5.3.1)")
            }
            return .priority(priority)
        case .rstStream:
            try requireStream(stream, "RST_STREAM", section: "6.4")
            guard body.count == 4 else {
                throw .connection(.frameSizeError, "RST_STREAM of \(body.count) octets, not 4 (RFC 9113 §6.4)")
            }
            return .rstStream(HTTP2ErrorCode(rawValue: read32(body, at: body.startIndex)))
        case .settings:
            try requireConnection(stream, "SETTINGS", section: "6.5")
            if flags & Flag.ack != 0 {
                guard body.isEmpty else {
                    throw .connection(.frameSizeError, "a SETTINGS acknowledgement with a payload (RFC 9113 §6.5)")
                }
                return .settingsAcknowledgement
            }
            guard body.count % 6 == 0 else {
                throw .connection(
                    .frameSizeError,
                    "SETTINGS of \(body.count) octets, not a multiple of 6 (RFC 9113 §6.5)"
                )
            }
            var settings: [HTTP2Setting] = []
            settings.reserveCapacity(body.count / 6)
            var index = body.startIndex
            while index < body.endIndex {
                let identifier = UInt16(body[index]) << 8 | UInt16(body[index + 1])
                settings.append(HTTP2Setting(identifier, read32(body, at: index + 2)))
                index += 6
            }
            return .settings(settings)
        case .pushPromise:
            try requireStream(stream, "PUSH_PROMISE", section: "6.6")
            let (content, _) = try unpadded(body, flags: flags, kind: "PUSH_PROMISE", section: "6.6")
            guard content.count >= 4 else {
                throw .connection(.frameSizeError, "PUSH_PROMISE too short for its stream identifier (RFC 9113 §6.6)")
            }
            return .pushPromise(
                promisedStreamID: read32(content, at: content.startIndex) & 0x7FFF_FFFF,
                content.dropFirst(4),
                endHeaders: flags & Flag.endHeaders != 0
            )
        case .ping:
            try requireConnection(stream, "PING", section: "6.7")
            guard body.count == 8 else {
                throw .connection(.frameSizeError, "PING of \(body.count) octets, not 8 (RFC 9113 §6.7)")
            }
            let data = UInt64(read32(body, at: body.startIndex)) << 32 | UInt64(read32(body, at: body.startIndex + 4))
            return .ping(data, ack: flags & Flag.ack != 0)
        case .goAway:
            try requireConnection(stream, "GOAWAY", section: "6.8")
            guard body.count >= 8 else {
                throw .connection(.frameSizeError, "GOAWAY of \(body.count) octets, under 8 (RFC 9113 §6.8)")
            }
            return .goAway(
                lastStreamID: read32(body, at: body.startIndex) & 0x7FFF_FFFF,
                HTTP2ErrorCode(rawValue: read32(body, at: body.startIndex + 4)),
                debugData: body.dropFirst(8)
            )
        case .windowUpdate:
            guard body.count == 4 else {
                throw .connection(.frameSizeError, "WINDOW_UPDATE of \(body.count) octets, not 4 (RFC 9113 §6.9)")
            }
            let increment = read32(body, at: body.startIndex) & 0x7FFF_FFFF
            guard increment > 0 else {
                let message = "a WINDOW_UPDATE of 0 (RFC 9113 §6.9)"
                throw stream == 0 ? .connection(.protocolError, message) : .stream(stream, .protocolError, message)
            }
            return .windowUpdate(increment: increment)
        case .continuation:
            try requireStream(stream, "CONTINUATION", section: "6.10")
            return .continuation(body, endHeaders: flags & Flag.endHeaders != 0)
        }
    }

    private static func requireStream(_ stream: UInt32, _ kind: String, section: String) throws(HTTP2Error) {
        guard stream != 0 else {
            throw .connection(.protocolError, "\(kind) on stream 0 (RFC 9113 §\(section))")
        }
    }

    private static func requireConnection(_ stream: UInt32, _ kind: String, section: String) throws(HTTP2Error) {
        guard stream == 0 else {
            throw .connection(.protocolError, "\(kind) on stream \(stream), not 0 (RFC 9113 §\(section))")
        }
    }

    /// The payload without its padding, and how many octets the padding took (Pad Length
    /// included), when the PADDED flag is set.
    private static func unpadded(
        _ body: ArraySlice<UInt8>,
        flags: UInt8,
        kind: String,
        section: String
    ) throws(HTTP2Error) -> (ArraySlice<UInt8>, Int) {
        guard flags & HTTP2Frame.Flag.padded != 0 else { return (body, 0) }
        guard let padLength = body.first.map(Int.init), padLength < body.count else {
            throw .connection(
                .protocolError,
                "\(kind) padding as long as the frame or longer (RFC 9113 §\(section))"
            )
        }
        return (body.dropFirst().dropLast(padLength), padLength + 1)
    }

    private static func priority(_ bytes: ArraySlice<UInt8>) -> HTTP2Frame.Priority {
        let word = read32(bytes, at: bytes.startIndex)
        return HTTP2Frame.Priority(
            exclusive: word & 0x8000_0000 != 0,
            dependency: word & 0x7FFF_FFFF,
            weight: bytes[bytes.startIndex + 4]
        )
    }

    private static func read32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
            | UInt32(bytes[index + 3])
    }
}
