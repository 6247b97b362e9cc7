import Foundation
import Synchronization

/// A real process started by a test (mosquitto, openssl, our own binary), stopped when the test
/// lets go of it.
///
/// Spawned with `posix_spawn` and reaped with `waitpid`, not Foundation's `Process`, whose exit
/// monitoring can stall inside Swift concurrency's threads. Standard output and error go to a log
/// file, which ``log`` reads.
public final class ExternalProcess: @unchecked Sendable {
    /// The program that runs.
    public let executable: String
    /// The process ID.
    public let pid: Int32
    private let logPath: String
    private let errorPath: String?
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`; `environment` replaces the test's own if given.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardInput: String = "/dev/null",
        separateStandardError: Bool = false
    ) throws {
        self.executable = executable
        let base = "\(FileManager.default.temporaryDirectory.path)/process-\(UUID().uuidString.prefix(8))"
        logPath = base + ".log"
        errorPath = separateStandardError ? base + ".err" : nil

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        // A child inherits the spawning thread's signal mask and ignored signals (this process
        // ignores SIGPIPE, and test threads may block SIGTERM): start it with neither.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables =
            (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
            + [nil]
        defer { for pointer in variables { free(pointer) } }

        var pid: Int32 = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, variables)
        guard result == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    deinit {
        stop()
        unlink(logPath)
        if let errorPath { unlink(errorPath) }
    }

    /// What the process has written so far: standard output, and standard error too unless it
    /// was kept separate.
    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Standard output as bytes (for binary output).
    public var output: [UInt8] {
        (FileManager.default.contents(atPath: logPath)).map { Array($0) } ?? []
    }

    /// What the process has written to standard error, when kept separate.
    public var errorLog: String {
        errorPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    }

    /// Waits until the log contains `text`, or throws after `timeout`.
    public func waitForLog(containing text: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(text) || errorLog.contains(text) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestSupportError("'\(text)' did not appear in the output of \(executable): \(log)\(errorLog)")
    }

    /// Whether the process is still running.
    public var isRunning: Bool {
        reap(block: false) == nil
    }

    /// Sends `signal` (default SIGTERM) and waits for the process to end; after five seconds it
    /// is killed, so a stuck process cannot hang a test.
    public func stop(signal: Int32 = 15) {  // SIGTERM
        guard isRunning else { return }
        kill(pid, signal)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if reap(block: false) != nil { return }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        _ = reap(block: true)
    }

    /// Sends `signal` without waiting (e.g. SIGSTOP to freeze a broker).
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to exit by itself and returns its exit status (128 + signal if a
    /// signal ended it).
    public func waitForExit() -> Int32 {
        reap(block: true) ?? -1
    }

    /// Waits without blocking a thread, up to `timeout`; nil if it is still running then.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = reap(block: false) { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return reap(block: false)
    }

    private func reap(block: Bool) -> Int32? {
        if let status = exitStatus.withLock({ $0 }) { return status }
        var status: Int32 = 0
        let result = waitpid(pid, &status, block ? 0 : WNOHANG)
        guard result == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; decode the status word by hand.
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        exitStatus.withLock { $0 = code }
        return code
    }
}

/// Finding what tests need on the machine.
public enum Machine {
    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Waits until something accepts TCP connections on `127.0.0.1:port`.
    public static func waitForPort(_ port: UInt16, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(descriptor)
            if connected { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("nothing listened on port \(port) within \(timeout)")
    }

    /// The full path of a program on PATH (or in the sbin directories), or nil.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A test set-up failure, with what went wrong.
public struct TestSupportError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}
