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

    /// `path` made absolute against the current directory (socket endpoints are dialled by
    /// other processes, so they must not depend on our working directory).
    public static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return relative == "." ? directory : (directory == "/" ? "" : directory) + "/" + relative
    }

    /// Whether a directory exists at `path`.
    public static func isDirectory(_ path: String) -> Bool {
        var information = stat()
        return stat(path, &information) == 0 && (information.st_mode & S_IFMT) == S_IFDIR
    }

    /// Which file `path` names now (device and inode), or nil when nothing is there: a socket
    /// bound again by a restarted server is a new file at the same path.
    public static func identity(of path: String) -> FileIdentity? {
        var information = stat()
        guard stat(path, &information) == 0 else { return nil }
        return FileIdentity(device: UInt64(information.st_dev), inode: UInt64(information.st_ino))
    }

    /// A new private (mode 0700) directory `DIR/PREFIX.XXXXXX`, DIR being `$TMPDIR` or `/tmp`.
    public static func makeTemporaryDirectory(prefix: String, environment: [String: String]) throws(IOError) -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw .file(path: base, reason: Errno(errno, function: "mkdtemp").message)
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes an empty directory; false if it is not there or not empty.
    @discardableResult
    public static func removeDirectory(_ path: String) -> Bool {
        rmdir(path) == 0
    }
}

/// A file as the kernel knows it: device and inode.
public struct FileIdentity: Hashable, Sendable {
    /// The device.
    public let device: UInt64
    /// The inode.
    public let inode: UInt64
}

private func readBytes(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
