import MQTTClient
import MQTTSession
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
    func wait(for count: Int, timeout: Duration = .seconds(20)) async throws -> [Message] {
        try await wait("\(count) messages", timeout: timeout) { $0.count >= count }
    }

    /// Waits until a message on `topic` has arrived and returns every message so far.
    func wait(forTopic topic: String, timeout: Duration = .seconds(20)) async throws -> [Message] {
        try await wait("a message on \(topic)", timeout: timeout) { $0.contains { $0.topic == topic } }
    }

    private func wait(
        _ what: String,
        timeout: Duration,
        until condition: ([Message]) -> Bool
    ) async throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = all
            if condition(current) { return current }
            guard ContinuousClock.now < deadline else {
                throw TimedOut(description: "\(what) did not arrive within \(timeout): \(current.count) messages")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
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
