#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Reading the small files a daemon is pointed at: configurations, passwords, certificates.
public enum FileSystem {
    /// The whole file, refused if larger than `limit` bytes (a path pointed at the wrong file
    /// must not exhaust memory).
    public static func read(_ path: String, limit: Int = 16 << 20) throws(IOError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .file(path: path, reason: Errno(errno, function: "read").message) }
        defer { Syscall.close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = readBytes(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .file(path: path, reason: Errno(errno, function: "read").message)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > limit { throw .file(path: path, reason: "larger than \(limit) bytes") }
        }
    }
}

private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
