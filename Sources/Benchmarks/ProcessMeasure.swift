#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// What one run of a command cost, from `wait4`'s resource usage.
struct Measurement {
    var wall: Double
    var cpu: Double
    /// Peak resident set size in KiB.
    var peakRSS: Int
    var status: Int32
}

/// Runs programs for benchmarks: spawned directly (no shell), standard output discarded.
enum Spawn {
    /// Starts `path` with `arguments`; returns its process ID.
    static func start(_ path: String, _ arguments: [String], output: String = "/dev/null") -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        precondition(result == 0, "cannot start \(path): \(String(cString: strerror(result)))")
        return pid
    }

    /// Runs to completion and measures. Peak RSS is the child's own high-water mark (`VmHWM`,
    /// which starts afresh at exec), read every millisecond while it runs: `ru_maxrss` from
    /// wait4 would include the parent's memory, which a spawned child starts out sharing.
    static func measure(_ path: String, _ arguments: [String]) -> Measurement {
        let started = ContinuousClock.now
        let pid = start(path, arguments)
        var status: Int32 = 0
        var usage = rusage()
        var peak = 0
        while true {
            if let highWater = statusField(pid, "VmHWM:") { peak = max(peak, highWater) }
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 && errno != EINTR { break }
            usleep(1_000)
        }
        let wall = seconds(ContinuousClock.now - started)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
        return Measurement(wall: wall, cpu: cpu, peakRSS: peak, status: (status >> 8) & 0xFF)
    }

    /// The resident set size of a running process, in KiB (VmRSS).
    static func residentKiB(_ pid: pid_t) -> Int? {
        statusField(pid, "VmRSS:")
    }

    /// A KiB figure from /proc/PID/status.
    static func statusField(_ pid: pid_t, _ field: String) -> Int? {
        let descriptor = open("/proc/\(pid)/status", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 8_192)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// The full path of a program on PATH.
    static func which(_ program: String) -> String? {
        let path = String(cString: getenv("PATH") ?? strdup("/usr/bin:/bin"))
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
