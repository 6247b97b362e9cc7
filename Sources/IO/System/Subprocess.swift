import CShims

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// A shell command run as a child process on an event loop: started in a process group of its
/// own, watched until it exits, and stopped politely (SIGTERM to the group, SIGKILL after a grace
/// period). Lives on its loop.
///
/// `@unchecked Sendable`: created, polled and stopped on its loop only.
public final class Subprocess: @unchecked Sendable {
    /// The child's process id (also its process group id).
    public let pid: Int32
    /// The loop that watches it.
    public let eventLoop: EventLoop
    private var onExit: ((Status) -> Void)?
    private var poll: TimerID?
    private var kill: TimerID?
    /// How it ended, once it has.
    public private(set) var status: Status?

    /// How a child ended.
    public enum Status: Hashable, Sendable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signalled(Int32)

        /// E.g. `exited with status 3`, `killed by signal 15`.
        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    private init(pid: Int32, eventLoop: EventLoop, onExit: @escaping (Status) -> Void) {
        self.pid = pid
        self.eventLoop = eventLoop
        self.onExit = onExit
    }

    /// Runs `/bin/sh -c command` with exactly `environment`; `onExit` is called on the loop when
    /// it ends. Call on `loop`.
    public static func spawn(
        shellCommand command: String,
        environment: [String: String],
        on loop: EventLoop,
        onExit: @escaping (Status) -> Void
    ) throws(IOError) -> Subprocess {
        loop.preconditionInEventLoop()
        let entries = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
        defer { for entry in entries { free(entry) } }
        var envp: [UnsafeMutablePointer<CChar>?] = entries + [nil]
        var pid: pid_t = 0
        let result = envp.withUnsafeMutableBufferPointer { envp in
            cshims_spawn_shell(command, envp.baseAddress, &pid)
        }
        guard result == 0 else { throw .system(Errno(result, function: "posix_spawn")) }
        let process = Subprocess(pid: pid, eventLoop: loop, onExit: onExit)
        process.watch()
        return process
    }

    /// Sends SIGTERM to the child's process group, and SIGKILL if it is still there after
    /// `grace`. Call on the loop.
    public func terminate(grace: Duration = .seconds(10)) {
        eventLoop.preconditionInEventLoop()
        guard status == nil, kill == nil else { return }
        Glibc.kill(-pid, SIGTERM)
        kill = eventLoop.scheduleTimer(after: grace) { [weak self] in
            guard let self, status == nil else { return }
            Glibc.kill(-pid, SIGKILL)
        }
    }

    // Children are few (one per instance), so polling waitpid is cheaper to get right than a
    // SIGCHLD handler shared with whatever else the process runs.
    private func watch() {
        poll = eventLoop.scheduleTimer(after: .milliseconds(100)) { [weak self] in
            guard let self else { return }
            poll = nil
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            guard reaped == pid else {
                if reaped < 0 && errno == ECHILD { finish(.exited(-1)) } else { watch() }
                return
            }
            // The wait status layout: low 7 bits the signal, bits 8–15 the exit status.
            let signal = raw & 0x7F
            finish(signal == 0 ? .exited((raw >> 8) & 0xFF) : .signalled(signal))
        }
    }

    private func finish(_ status: Status) {
        self.status = status
        if let kill { eventLoop.cancelTimer(kill) }
        kill = nil
        let onExit = self.onExit
        self.onExit = nil
        onExit?(status)
    }
}
