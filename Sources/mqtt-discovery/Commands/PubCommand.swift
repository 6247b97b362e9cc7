import ArgumentParsing
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession
import Synchronization

/// `mqtt-discovery pub`: publish a message, each line of standard input, or many copies.
enum PubCommand: Command {
    static let spec = CommandSpec(
        name: "mqtt-discovery pub",
        abstract: "Publish a message (or each line of standard input) to a topic.",
        discussion: """
            Exits 0 only once every QoS 1 and 2 message has been acknowledged by the broker. With --repeat N
            the message is sent N times, as fast as the broker's flow control allows (the load for
            benchmarks). With --session-store DIR, messages not acknowledged when pub stops or is killed are
            kept in DIR and sent first by the next pub with the same DIR (and the same client id: use
            --no-clean or -i so the broker keeps its half of the session).
            """,
        arguments: ConnectionOptions.arguments + [
            .option("-t", "--topic", value: "TOPIC", help: "Topic to publish to.", required: true),
            .option("-m", "--message", value: "TEXT", help: "The message."),
            .flag("-l", "--lines", help: "Send each line of standard input as a message."),
            .option("-q", "--qos", value: "QOS", help: "QoS.", default: "0"),
            .flag("-r", "--retain", help: "Ask the broker to retain the message."),
            .option("--repeat", value: "N", help: "Send the message N times.", default: "1"),
            ConnectionOptions.sessionStoreArgument,
        ] + LoggingOptions.arguments(defaultLevel: .warning)
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try LoggingOptions.logger(arguments, label: "pub")
        let topic = try arguments.required("topic")
        let qos = QoS(rawValue: try arguments.integer("qos", as: UInt8.self, in: 0...2) ?? 0) ?? .atMostOnce
        let retain = arguments.flag("retain")
        let repeatCount = try arguments.integer("repeat", as: Int.self, in: 1...100_000_000) ?? 1
        let fromLines = arguments.flag("lines")
        let text = arguments.value("message")
        guard fromLines != (text != nil) else {
            throw UsageError("give exactly one of -m MESSAGE and -l", command: arguments.command)
        }
        var configuration = try ConnectionOptions.configuration(
            arguments,
            identity: "pub|\(topic)",
            environment: environment
        )
        configuration.reconnect = nil
        do {
            try TopicName.validate(topic, version: configuration.protocolVersion)
        } catch {
            throw UsageError("-t '\(topic)': \(error.problem.explanation)", command: arguments.command)
        }

        let loop = try EventLoop(name: "mqtt")
        defer { loop.shutdown() }
        let store: SessionStore?
        do {
            store = try ConnectionOptions.sessionStore(arguments, logger: logger)
        } catch {
            Console.error("error: \(error)")
            return .cannotCreate
        }
        let client = MQTTClient(configuration: configuration, eventLoop: loop, logger: logger, sessionStore: store)
        do {
            try await client.connect()
        } catch {
            Console.error("error: \(error)")
            return ConnectionOptions.status(for: error)
        }
        let tracker = Tracker()
        if let text {
            let message = Message(topic: topic, payload: ArraySlice(text.utf8), qos: qos, retain: retain)
            tracker.expect(repeatCount)
            loop.execute {
                for _ in 0..<repeatCount { client.publish(message) { tracker.done($0) } }
            }
        } else {
            while let line = readLine() {
                tracker.expect(1)
                client.publish(Message(topic: topic, payload: ArraySlice(line.utf8), qos: qos, retain: retain)) {
                    tracker.done($0)
                }
            }
        }
        let failure = await tracker.finished()
        // Messages a session store gave back are acknowledged too before we go.
        await client.drain()
        await client.disconnect()
        if let failure {
            Console.error("error: \(failure)")
            return ConnectionOptions.status(for: failure)
        }
        return .success
    }
}

/// Counts completions and reports the first failure.
final class Tracker: Sendable {
    private struct State {
        var expected = 0
        var completed = 0
        var failure: MQTTClientError?
        var waiter: CheckedContinuation<MQTTClientError?, Never>?
    }

    private let state = Mutex(State())

    func expect(_ count: Int) {
        state.withLock { $0.expected += count }
    }

    func done(_ result: Result<Void, MQTTClientError>) {
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
    func finished() async -> MQTTClientError? {
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
