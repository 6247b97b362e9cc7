#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Standard input as bytes, exactly as they come: no decoding, so a payload that is not UTF-8
/// arrives unchanged.
public enum StandardInput {
    /// Everything up to the end of input; throws when it is over `limit` bytes.
    public static func readAll(limit: Int) throws(Files.ReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        try chunks { (chunk) throws(Files.ReadError) in
            bytes += chunk
            if bytes.count > limit {
                throw Files.ReadError(path: "standard input", reason: "more than \(limit) bytes")
            }
        }
        return bytes
    }

    /// Calls `body` with each line (without its `\n`; a last line without one too), as lines
    /// arrive.
    public static func lines(_ body: ([UInt8]) -> Void) throws(Files.ReadError) {
        var pending: [UInt8] = []
        try chunks { (chunk) throws(Files.ReadError) in
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                pending += chunk[start..<newline]
                body(pending)
                pending.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            pending += chunk[start...]
        }
        if !pending.isEmpty { body(pending) }
    }

    private static func chunks(_ body: (ArraySlice<UInt8>) throws(Files.ReadError) -> Void) throws(Files.ReadError) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(0, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw Files.ReadError(path: "standard input", reason: String(cString: strerror(errno)))
            }
            if count == 0 { return }
            try body(buffer[..<count])
        }
    }
}
