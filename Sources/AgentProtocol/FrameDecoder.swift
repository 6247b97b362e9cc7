/// Splits a byte stream into frames, however it was cut into reads: each frame is a 4-byte
/// big-endian length, then that many bytes of a serialized ``Frame``.
///
/// A length over ``maximumFrameSize`` is refused as soon as its four bytes arrive, so a peer that
/// claims a huge frame never makes the decoder reserve or buffer it. After an error the stream
/// cannot be resynchronised; the connection is to be closed (after an `error` frame).
public struct FrameDecoder: Sendable {
    /// The default limit: 16 MiB.
    public static let defaultMaximumFrameSize = 16 << 20

    /// The largest frame accepted, in bytes (without the length prefix).
    public let maximumFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    /// A decoder refusing frames over `maximumFrameSize` bytes.
    public init(maximumFrameSize: Int = defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Bytes received but not yet decoded.
    public var bufferedBytes: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    public mutating func next() throws(AgentProtocolError) -> Frame? {
        guard let body = try nextSerialized() else { return nil }
        return try Frame(serialized: body)
    }

    /// The next complete frame's bytes (without the length prefix), not yet decoded, or nil
    /// until more bytes arrive.
    public mutating func nextSerialized() throws(AgentProtocolError) -> ArraySlice<UInt8>? {
        guard bufferedBytes >= 4 else { return nil }
        var length = 0
        for byte in buffer[start..<(start + 4)] { length = length << 8 | Int(byte) }
        guard length <= maximumFrameSize else { throw .frameTooLarge(length: length, limit: maximumFrameSize) }
        guard bufferedBytes >= 4 + length else { return nil }
        let body = buffer[(start + 4)..<(start + 4 + length)]
        start += 4 + length
        if start == buffer.count {
            // The slice keeps the old storage alive while it is read; the buffer starts afresh.
            buffer = []
            start = 0
        }
        return body
    }
}
