public import MQTTSession
import Synchronization

/// Counts the completions of requests (publishes) and reports the first failure.
public final class CompletionTracker: Sendable {
    private struct State {
        var expected = 0
        var completed = 0
        var failure: MQTTClientError?
        var waiter: CheckedContinuation<MQTTClientError?, Never>?
    }

    private let state = Mutex(State())

    /// A tracker expecting nothing yet.
    public init() {}

    /// Expects `count` more completions.
    public func expect(_ count: Int) {
        state.withLock { $0.expected += count }
    }

    /// Notes one completion.
    public func done(_ result: Result<Void, MQTTClientError>) {
        let waiter = state.withLock { state -> CheckedContinuation<MQTTClientError?, Never>? in
            state.completed += 1
            if case .failure(let error) = result, state.failure == nil { state.failure = error }
            guard state.completed >= state.expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: state.withLock { $0.failure })
    }

    /// Waits until every expected completion has come; returns the first failure.
    public func finished() async -> MQTTClientError? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.completed >= state.expected { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume(returning: state.withLock { $0.failure }) }
        }
    }
}
