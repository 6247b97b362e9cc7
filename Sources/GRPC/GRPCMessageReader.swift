/// Cuts a stream's DATA into gRPC messages: each a 1-octet compressed flag, a 4-octet big-endian
/// length and that many octets (gRPC over HTTP/2, "Length-Prefixed-Message").
///
/// A length over ``maximumMessageSize`` is refused as soon as its prefix is in (RESOURCE_EXHAUSTED),
/// and so is a compressed message (UNIMPLEMENTED: we announce no `grpc-accept-encoding`), so
/// nothing beyond one message within the limit is ever buffered.
public struct GRPCMessageReader: Sendable {
    /// The largest message accepted.
    public let maximumMessageSize: Int
    private var buffer: [UInt8] = []
    private var offset = 0

    /// A reader of messages up to `maximumMessageSize` octets (4 MiB by default, gRPC's).
    public init(maximumMessageSize: Int = GRPCMessageReader.defaultMaximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    /// 4 MiB, the receive limit of gRPC's implementations (tonic, grpcio) by default.
    public static let defaultMaximumMessageSize = 4 << 20

    /// Octets of an unfinished message held.
    public var bufferedByteCount: Int { buffer.count - offset }

    /// Adds DATA.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if offset > 0, offset == buffer.count || offset >= 65_536 {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil when more DATA is needed.
    public mutating func next() throws(GRPCStatus) -> ArraySlice<UInt8>? {
        guard bufferedByteCount >= 5 else { return nil }
        let flag = buffer[offset]
        let length =
            Int(buffer[offset + 1]) << 24 | Int(buffer[offset + 2]) << 16 | Int(buffer[offset + 3]) << 8
            | Int(buffer[offset + 4])
        guard flag == 0 else {
            throw GRPCStatus(
                .unimplemented,
                flag == 1
                    ? "compressed messages are not supported (only identity encoding)"
                    : "a message prefix flag of \(flag)"
            )
        }
        guard length <= maximumMessageSize else {
            throw GRPCStatus(
                .resourceExhausted,
                "a message of \(length) octets is over the receive limit of \(maximumMessageSize)"
            )
        }
        guard bufferedByteCount >= 5 + length else { return nil }
        defer { offset += 5 + length }
        return buffer[(offset + 5)..<(offset + 5 + length)]
    }

    /// The prefixed form of `message`, as DATA carries it (never compressed).
    public static func framed(_ message: some Collection<UInt8>) -> [UInt8] {
        var framed: [UInt8] = []
        framed.reserveCapacity(5 + message.count)
        appendPrefix(length: message.count, to: &framed)
        framed.append(contentsOf: message)
        return framed
    }

    /// Appends the 5-octet prefix of an uncompressed message of `length` octets.
    public static func appendPrefix(length: Int, to bytes: inout [UInt8]) {
        bytes.append(0)
        bytes.append(UInt8(truncatingIfNeeded: length >> 24))
        bytes.append(UInt8(truncatingIfNeeded: length >> 16))
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
    }
}
