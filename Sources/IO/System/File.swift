#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// An open regular file, for logs and queues kept on disk: appends, positioned reads and writes.
///
/// Writes go to the kernel straight away (no user-space buffering), so what a write returned for
/// survives the process being killed; ``synchronize()`` also makes it survive a power loss.
/// A file is used from one thread at a time.
///
/// `@unchecked Sendable`: one owner at a time uses it (a queue or store on one loop); the descriptor itself is
/// thread-safe for the calls made.
public final class File: @unchecked Sendable {
    /// The path it was opened at.
    public let path: String
    private var descriptor: Int32

    /// Opens `path` for reading and writing, creating it (mode 0600) when `create` is set.
    public init(path: String, create: Bool = true) throws(IOError) {
        self.path = path
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let descriptor = open(path, flags, 0o600)
        guard descriptor >= 0 else {
            throw .fileOperation(path: path, operation: "open", reason: Errno(errno, function: "open").message)
        }
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { Syscall.close(descriptor) }
    }

    /// The file's size in bytes.
    public func size() throws(IOError) -> Int {
        var information = stat()
        guard fstat(descriptor, &information) == 0 else { throw failure("inspect", "fstat") }
        return Int(information.st_size)
    }

    /// Writes all of `bytes` at the end of the file.
    public func append(_ bytes: [UInt8]) throws(IOError) {
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else { throw failure("seek in", "lseek") }
        try write(bytes, at: Int(end))
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int) throws(IOError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("write to", "pwrite")
            }
            written += count
        }
    }

    /// Up to `count` bytes from `offset`; fewer at the end of the file.
    public func read(at offset: Int, count: Int) throws(IOError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + total, count - total, off_t(offset + total))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("read", "pread")
            }
            if got == 0 { break }
            total += got
        }
        bytes.removeLast(count - total)
        return bytes
    }

    /// Cuts the file to `size` bytes.
    public func truncate(to size: Int) throws(IOError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw failure("truncate", "ftruncate") }
    }

    /// Waits until the file's data is on the storage device (`fdatasync`).
    public func synchronize() throws(IOError) {
        guard fdatasync(descriptor) == 0 else { throw failure("synchronize", "fdatasync") }
    }

    /// Takes an exclusive advisory lock on the file (`flock`), so that a second process using the
    /// same file is refused instead of corrupting it; false when another process holds it. The
    /// lock goes with the file's descriptor, so it ends when the file is closed or the process dies.
    public func lockExclusively() throws(IOError) -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw failure("lock", "flock")
        }
        return true
    }

    /// As ``lockExclusively()``, trying again every 10 ms for up to `milliseconds` while another
    /// descriptor holds the lock. A lock can be held for a moment by nobody who wants it: a child
    /// process another thread is starting inherits every open descriptor until it executes its
    /// program (close-on-exec closes them only then), and with them the lock.
    public func lockExclusively(waitingUpTo milliseconds: Int) throws(IOError) -> Bool {
        var waited = 0
        while try !lockExclusively() {
            guard waited < milliseconds else { return false }
            usleep(10_000)
            waited += 10
        }
        return true
    }

    /// Closes the file; later calls fail.
    public func close() {
        if descriptor >= 0 { Syscall.close(descriptor) }
        descriptor = -1
    }

    private func failure(_ operation: String, _ function: String) -> IOError {
        .fileOperation(path: path, operation: operation, reason: Errno(errno, function: function).message)
    }
}

extension FileSystem {
    /// Creates `path` and any missing parents (mode 0700); fine if it exists.
    public static func makeDirectories(_ path: String) throws(IOError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .fileOperation(path: prefix, operation: "create", reason: Errno(errno, function: "mkdir").message)
            }
        }
        guard isDirectory(path) else {
            throw .fileOperation(path: path, operation: "use", reason: "not a directory")
        }
    }

    /// The names in a directory, without `.` and `..`.
    public static func contents(ofDirectory path: String) throws(IOError) -> [String] {
        guard let directory = opendir(path) else {
            throw .fileOperation(path: path, operation: "list", reason: Errno(errno, function: "opendir").message)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Renames `source` to `destination`, replacing it atomically (`rename`).
    public static func rename(_ source: String, to destination: String) throws(IOError) {
        guard renameFile(source, destination) == 0 else {
            throw .fileOperation(path: source, operation: "rename", reason: Errno(errno, function: "rename").message)
        }
    }

    /// Removes a file; false when it was not there.
    @discardableResult
    public static func removeFile(_ path: String) -> Bool {
        unlink(path) == 0
    }
}

/// `rename(2)`, under a name a `rename` method does not shadow.
private func renameFile(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}
