#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Standard output or standard error, written with `write(2)` until every byte is taken (retrying
/// after signals). One call is one write when the bytes fit the pipe, so concurrent lines do not
/// interleave.
public enum StandardStream: Sendable {
    /// Standard output.
    case output
    /// Standard error.
    case error

    private var descriptor: Int32 {
        self == .output ? STDOUT_FILENO : STDERR_FILENO
    }

    /// Writes the bytes; stops quietly if the stream is closed.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// Writes the text's UTF-8 bytes.
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}
