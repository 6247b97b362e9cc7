#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Facts about the machine the process runs on.
public enum Host {
    /// The host name.
    public static var name: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Raises the soft limit on open descriptors to the hard limit, as servers do (Go since 1.19):
    /// the soft default of 1,024 exists for `select(2)`, which nothing here uses, and every agent
    /// or handler connection costs one. Returns the limit now in effect.
    @discardableResult
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The wall-clock time in milliseconds since 1970 (UTC), for timestamps shown to people and
    /// written to time-series databases; durations use the monotonic clock instead.
    public static var wallClockMilliseconds: Int64 {
        wallClockNanoseconds / 1_000_000
    }

    /// The wall-clock time in nanoseconds since 1970 (UTC).
    public static var wallClockNanoseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The machine's systemd/D-Bus identity (`/etc/machine-id`), stable across reboots and
    /// distinct between machines and containers made from one image; nil where it does not exist.
    public static var machineID: String? {
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            if let text = readSmallFile(path)?.trimmingWhitespace(), !text.isEmpty { return text }
        }
        return nil
    }

    /// The contents of a small text file, or nil.
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Syscall.close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
