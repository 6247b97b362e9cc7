public import Dispatch
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// SIGINT and SIGTERM as an event: long-running commands stop cleanly on either.
public enum Signals {
    /// Calls `handler` once, on a Dispatch queue, at the first SIGINT or SIGTERM.
    public static func onTermination(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        let once = Once()
        return [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { if once.first() { handler() } }
            source.resume()
            return source
        }
    }
}

/// True exactly once, whichever thread asks first.
private final class Once: Sendable {
    private let fired = Atomic<Bool>(false)

    func first() -> Bool {
        !fired.exchange(true, ordering: .acquiringAndReleasing)
    }
}
