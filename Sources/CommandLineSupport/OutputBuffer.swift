public import Logging

/// Standard output for a stream of results, written in large chunks: lines collect in a buffer
/// that is written when it passes 64 KiB and whenever the owner flushes (once per batch of
/// messages), so a fast stream costs few system calls. Used from one thread.
public final class OutputBuffer {
    private var bytes: [UInt8] = []
    private let stream: StandardStream

    /// A buffer in front of `stream`.
    public init(_ stream: StandardStream = .output) {
        self.stream = stream
        bytes.reserveCapacity(1 << 16)
    }

    /// Adds `line` and a newline.
    public func append(_ line: String) {
        var line = line
        line.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= 1 << 16 { flush() }
    }

    /// Adds raw bytes and a newline.
    public func append<Bytes: Collection<UInt8>>(bytes line: Bytes) {
        bytes.append(contentsOf: line)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= 1 << 16 { flush() }
    }

    /// Writes everything buffered.
    public func flush() {
        bytes.withUnsafeBytes { stream.write($0) }
        bytes.removeAll(keepingCapacity: true)
    }
}
