import Dispatch

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// SIGINT and SIGTERM as an event: long-running commands stop cleanly on either.
enum Signals {
    /// Calls `handler` once, on a Dispatch queue, at the first SIGINT or SIGTERM.
    static func onTermination(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
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

/// True exactly once.
final class Once: @unchecked Sendable {
    private var fired = false
    private let lock = DispatchQueue(label: "once")

    func first() -> Bool {
        lock.sync {
            defer { fired = true }
            return !fired
        }
    }
}
