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
        guard bufferedBytes >= 4 else { return nil }
        var length = 0
        for byte in buffer[start..<(start + 4)] { length = length << 8 | Int(byte) }
        guard length <= maximumFrameSize else { throw .frameTooLarge(length: length, limit: maximumFrameSize) }
        guard bufferedBytes >= 4 + length else { return nil }
        let body = buffer[(start + 4)..<(start + 4 + length)]
        start += 4 + length
        if start == buffer.count {
            defer {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 16)
                start = 0
            }
            return try Frame(serialized: body)
        }
        return try Frame(serialized: body)
    }
}
