import CShims
import Foundation
import Synchronization

/// A real process started by a test or a benchmark (mosquitto, openssl, curl, our own binary),
/// stopped when it is let go of.
///
/// Spawned with `posix_spawn`, with no descriptor inherited but standard input, output and error
/// (a listening socket of another test, held by a child, would keep its port taken for as long as
/// the child lives). A thread of its own waits for the exit, so nothing here blocks a thread of
/// Swift concurrency's pool: waiting for an exit is asynchronous. Standard output and error go to
/// log files, which ``log`` and ``errorLog`` read.
public final class ExternalProcess: Sendable {
    /// The program that runs.
    public let executable: String
    /// The process ID.
    public let pid: Int32
    private let logPath: String
    private let errorPath: String?
    private let exit: ExitWatch

    /// Starts `executable` with `arguments`; `environment` replaces the test's own if given.
    /// Standard output goes to ``log`` (or nowhere, with `discardingOutput`: a flood of it is of no
    /// interest); standard error too, unless `separateStandardError` sends it to ``errorLog``.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardInput: String = "/dev/null",
        separateStandardError: Bool = false,
        discardingOutput: Bool = false
    ) throws {
        self.executable = executable
        let base = "\(FileManager.default.temporaryDirectory.path)/process-\(UUID().uuidString.prefix(8))"
        logPath = discardingOutput ? "/dev/null" : base + ".log"
        errorPath = separateStandardError || discardingOutput ? base + ".err" : nil
        pid = try Spawner.spawn(
            executable,
            arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            standardInput: standardInput,
            standardOutput: logPath,
            standardError: errorPath
        )
        exit = ExitWatch(pid: pid)
    }

    deinit {
        exit.terminate()
        if logPath != "/dev/null" { unlink(logPath) }
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

    /// Waits until the output contains `text`, or throws after `timeout` (a bound against hanging,
    /// not part of what is tested).
    public func waitForLog(containing text: String, timeout: Duration = .seconds(20)) async throws {
        try await waitForLog(timeout: timeout, "'\(text)'") { $0.contains(text) }
    }

    /// Waits until `condition` holds for the output (standard output and error together), or
    /// throws after `timeout`, naming `what` was awaited.
    public func waitForLog(
        timeout: Duration = .seconds(20),
        _ what: String,
        _ condition: (String) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = log + errorLog
            if condition(output) { return }
            if let status = exitStatus {
                throw TestSupportError("\(what) never appeared: \(name) exited with \(status): \(output)")
            }
            guard ContinuousClock.now < deadline else {
                throw TestSupportError("\(what) did not appear within \(timeout) in the output of \(name): \(output)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The exit status once the process has ended (128 + signal if a signal ended it).
    public var exitStatus: Int32? { exit.status }

    /// Whether the process is still running.
    public var isRunning: Bool { exit.status == nil }

    /// Waits for the process to exit by itself and returns its status; nil if it is still running
    /// after `timeout` (a bound against hanging: a test treats nil as a failure).
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = exit.status { return status }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Sends `signal` (default 15, SIGTERM) and waits for the process to end; after `grace` it is
    /// killed, so a stuck process cannot hang a test. Returns the exit status. The grace is a bound
    /// against hanging, not a speed requirement: with every core busy (`Scripts/test-repeat`) a
    /// clean exit once took over 5 s, and a test that checks for a clean exit must not fail then.
    @discardableResult
    public func stop(signal: Int32 = 15, grace: Duration = .seconds(30)) async -> Int32 {
        exit.signal(signal)
        if let status = await waitForExit(timeout: grace) { return status }
        exit.signal(SIGKILL)
        return await waitForExit(timeout: .seconds(60)) ?? -1
    }

    /// Asks the process to end (SIGTERM, then SIGKILL five seconds later if it has not) without
    /// waiting: for `defer`, where a test cannot wait. Releasing the value does the same.
    public func terminate() {
        exit.terminate()
    }

    /// Sends `signal` without waiting (e.g. SIGSTOP to freeze a broker). Nothing is sent once the
    /// process has exited, so a reused process ID is never signalled.
    public func send(_ signal: Int32) {
        exit.signal(signal)
    }

    private var name: String { (executable as NSString).lastPathComponent }
}

/// Every child still running, so none outlives the test process: when it exits (tests done, or a
/// test failed half-way and the last SIGKILL escalation never ran), the children are killed.
private enum LiveChildren {
    static let pids = Mutex<Set<Int32>>([])
    /// Registers the exit hook once, on first use.
    static let hook: Void = {
        atexit {
            let remaining = LiveChildren.pids.withLock { $0 }
            for pid in remaining { kill(pid, SIGKILL) }
        }
    }()

    static func add(_ pid: Int32) {
        _ = hook
        pids.withLock { _ = $0.insert(pid) }
    }

    static func remove(_ pid: Int32) {
        pids.withLock { _ = $0.remove(pid) }
    }
}

/// Waits for one child's exit on a thread of its own and keeps the status.
///
/// The child is reaped only after its exit has been recorded under the lock that ``signal(_:)``
/// takes, so a signal can never reach another process that was given the same ID.
private final class ExitWatch: Sendable {
    private let pid: Int32
    private let state = Mutex<Int32?>(nil)

    init(pid: Int32) {
        self.pid = pid
        LiveChildren.add(pid)
        Thread.detachNewThread { [self] in
            let code = cshims_wait_exited_no_reap(pid)
            state.withLock { $0 = code < 0 ? -1 : code }
            LiveChildren.remove(pid)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    var status: Int32? { state.withLock { $0 } }

    func signal(_ signal: Int32) {
        state.withLock { status in
            if status == nil { kill(pid, signal) }
        }
    }

    /// SIGTERM now and SIGKILL five seconds later if it is still running, without waiting: for a
    /// process let go of (a test that failed half-way, say).
    func terminate() {
        guard status == nil else { return }
        signal(SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [self] in signal(SIGKILL) }
    }
}

/// `posix_spawn` with what every child here needs.
public enum Spawner {
    /// Starts `executable` with `arguments` and exactly `environment`; standard input from
    /// `standardInput`, output to the file `standardOutput` (created or truncated), standard error
    /// to `standardError` or with the output. Returns the process ID.
    ///
    /// The child starts with no signal blocked or ignored (this process ignores SIGPIPE, and test
    /// threads may block signals) and with no descriptor but the three standard ones.
    public static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        standardInput: String = "/dev/null",
        standardOutput: String = "/dev/null",
        standardError: String? = "/dev/null"
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let standardError {
            posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let closing = cshims_spawn_file_actions_addclosefrom(&actions, 3)
        guard closing == 0 else {
            throw TestSupportError("cannot start \(executable): closefrom: \(String(cString: strerror(closing)))")
        }

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
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in variables { free(pointer) } }

        var pid: Int32 = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, variables)
        guard result == 0 else {
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
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
