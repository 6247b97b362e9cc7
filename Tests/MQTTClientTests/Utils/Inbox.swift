import MQTTClient
import Synchronization

/// Collects the messages a client receives, for a test to wait on.
final class Inbox: Sendable {
    private let messages = Mutex<[Message]>([])

    /// The handler to give the client: keeps every message.
    var handler: @Sendable (Message) -> Bool {
        { [self] message in
            messages.withLock { $0.append(message) }
            return true
        }
    }

    var all: [Message] { messages.withLock { $0 } }

    /// Waits until at least `count` messages have arrived, or fails after `timeout`.
    func wait(for count: Int, timeout: Duration = .seconds(10)) async throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = all
            if current.count >= count { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimedOut(description: "\(all.count) of \(count) messages arrived")
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Waits for a client's state stream to report a state matching `predicate`.
func waitForState(
    _ client: MQTTClient,
    timeout: Duration = .seconds(10),
    _ predicate: @escaping @Sendable (ConnectionState) -> Bool
) async throws -> ConnectionState {
    try await withThrowingTaskGroup(of: ConnectionState?.self) { group in
        group.addTask {
            for await state in client.states where predicate(state) { return state }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let state = try await group.next() ?? nil else { throw TimedOut(description: "no matching state") }
        return state
    }
}
