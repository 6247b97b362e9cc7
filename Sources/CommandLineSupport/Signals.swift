import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// SIGINT and SIGTERM as an event: long-running commands stop cleanly on either.
public enum Signals {
    /// Calls `handler` once, on a thread of the signals' own, at the first SIGINT or SIGTERM.
    ///
    /// The signal handlers are installed (`sigaction`) before this returns, so a signal sent a
    /// moment later is never lost. Dispatch signal sources are armed asynchronously, after the
    /// signal has been set to SIG_IGN: a SIGTERM in between was discarded, and a test that signals
    /// as soon as the command has sent CONNECT saw the command ignore it (once in 30 loaded runs).
    @discardableResult
    public static func onTermination(_ handler: @escaping @Sendable () -> Void) -> TerminationHandler {
        let registration = TerminationHandler(handler)
        SignalPipe.shared.add(registration)
        return registration
    }
}

/// One ``Signals/onTermination(_:)`` registration.
public final class TerminationHandler: Sendable {
    private let handler: @Sendable () -> Void
    private let fired = Atomic<Bool>(false)

    init(_ handler: @escaping @Sendable () -> Void) {
        self.handler = handler
    }

    /// Calls the handler, the first time only.
    func fire() {
        if !fired.exchange(true, ordering: .acquiringAndReleasing) { handler() }
    }
}

/// The write end of the self-pipe: set once, before any handler that reads it is installed.
/// `nonisolated(unsafe)`: a signal handler can take no lock; it only reads this after the store.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
/// The read end, for the thread that waits on it; set before that thread starts.
nonisolated(unsafe) private var signalPipeReadEnd: Int32 = -1

/// The self-pipe trick: the handler writes a byte (write(2) is async-signal-safe), and a thread
/// of its own reads it and calls the registrations, outside signal context and off the
/// cooperative pool.
private final class SignalPipe: Sendable {
    static let shared = SignalPipe()
    private let registrations = Mutex<[TerminationHandler]>([])

    private init() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("cannot create the signal pipe: errno \(errno)") }
        // Children are spawned with every descriptor but the standard three closed; close-on-exec
        // as well, for any other way of starting one.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // A full pipe already holds a pending stop: the handler must never block.
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        signalPipeReadEnd = ends[0]
        signalPipeWriteEnd = ends[1]
        var thread = pthread_t()
        let created = pthread_create(
            &thread,
            nil,
            { _ in
                var byte: UInt8 = 0
                while true {
                    let count = read(signalPipeReadEnd, &byte, 1)
                    if count == 1 {
                        for registration in SignalPipe.shared.registrations.withLock({ $0 }) { registration.fire() }
                    } else if count < 0 && errno == EINTR {
                        continue
                    } else {
                        return nil
                    }
                }
            },
            nil
        )
        guard created == 0 else { fatalError("cannot start the signal thread: \(created)") }
        pthread_detach(thread)
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                var byte: UInt8 = 1
                let saved = errno
                _ = write(signalPipeWriteEnd, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    func add(_ registration: TerminationHandler) {
        registrations.withLock { $0.append(registration) }
    }
}
