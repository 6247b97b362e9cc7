import ArgumentParsing
import IO
import JSON
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// `mqtt-discovery sub`: subscribe and print what arrives, one line per message.
enum SubCommand: Command {
    enum Output: String, CaseIterable {
        case text, json
    }

    static let spec = CommandSpec(
        name: "mqtt-discovery sub",
        abstract: "Subscribe to topic filters and print each message that arrives.",
        discussion: """
            Text output is "TOPIC PAYLOAD" per line (a payload that is not UTF-8 is shown in base64 after
            "base64:"). JSON output is one object per line: {"topic", "payload", "qos", "retain"}, with
            "encoding": "base64" when the payload is not UTF-8. With -C the command exits 0 after COUNT
            messages; any message past COUNT is left unacknowledged, so a persistent session loses nothing.
            The connection is re-established if it is lost. SIGINT or SIGTERM disconnects and exits 0.
            """,
        arguments: ConnectionOptions.arguments + [
            .option(
                "-t",
                "--topic",
                value: "FILTER",
                help: "Topic filter to subscribe to.",
                repeatable: true,
                required: true
            ),
            .option("-q", "--qos", value: "QOS", help: "Maximum QoS to receive at.", default: "0"),
            .option("-C", "--count", value: "COUNT", help: "Exit after COUNT messages."),
            .option("--output", value: "text|json", help: "Output format.", default: "text"),
            ConnectionOptions.sessionStoreArgument,
        ] + LoggingOptions.arguments(defaultLevel: .warning)
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try LoggingOptions.logger(arguments, label: "sub")
        let filters = arguments.values("topic")
        let qos = QoS(rawValue: try arguments.integer("qos", as: UInt8.self, in: 0...2) ?? 0) ?? .atMostOnce
        let count = try arguments.integer("count", as: Int.self, in: 1...Int.max)
        let output = try arguments.choice("output", as: Output.self) ?? .text
        let configuration = try ConnectionOptions.configuration(
            arguments,
            identity: "sub|" + filters.joined(separator: ","),
            environment: environment
        )
        for filter in filters {
            do {
                try TopicFilter.validate(filter, version: configuration.protocolVersion)
            } catch {
                throw UsageError("-t '\(filter)': \(error.problem.explanation)", command: arguments.command)
            }
        }

        let loop = try EventLoop(name: "mqtt")
        defer { loop.shutdown() }
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let printer = MessagePrinter(loop: loop, output: output, limit: count) { finish.yield() }
        let store: SessionStore?
        do {
            store = try ConnectionOptions.sessionStore(arguments, logger: logger)
        } catch {
            Console.error("error: \(error)")
            return .cannotCreate
        }
        let client = MQTTClient(
            configuration: configuration,
            eventLoop: loop,
            logger: logger,
            sessionStore: store,
            onMessage: printer.handle
        )
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }

        do {
            try await client.connect()
            let codes = try await client.subscribe(filters.map { Subscription(topicFilter: $0, qos: qos) })
            if let (filter, code) = zip(filters, codes).first(where: { $0.1.isFailure }) {
                Console.error("error: the broker refused the subscription to '\(filter)': \(code)")
                await client.disconnect()
                return code == .notAuthorized ? .notPermitted : .failure
            }
            // Said once the broker has acknowledged: from here on, nothing published is missed.
            logger.info(
                "subscribed",
                ["filters": filters.joined(separator: " "), "granted": codes.map(\.description).joined(separator: " ")]
            )
        } catch {
            Console.error("error: \(error)")
            return ConnectionOptions.status(for: error)
        }
        for await _ in finished { break }
        await client.disconnect()
        await withCheckedContinuation { continuation in
            loop.execute {
                printer.flush()
                continuation.resume()
            }
        }
        return .success
    }
}

/// Formats messages onto standard output, on the client's event loop.
final class MessagePrinter: @unchecked Sendable {
    private let loop: EventLoop
    private let output: SubCommand.Output
    private var remaining: Int?
    private let reachedLimit: @Sendable () -> Void
    private let buffer = OutputBuffer()
    private var flushScheduled = false

    init(loop: EventLoop, output: SubCommand.Output, limit: Int?, reachedLimit: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.output = output
        self.remaining = limit
        self.reachedLimit = reachedLimit
    }

    /// Prints a message; past the limit, declines it (so it stays with the broker).
    func handle(_ message: Message) -> Bool {
        if let remaining, remaining <= 0 { return false }
        format(message)
        if let left = remaining {
            remaining = left - 1
            if left == 1 {
                flush()
                reachedLimit()
                return true
            }
        }
        if !flushScheduled {
            // Flushed once the loop has handled this batch of reads.
            flushScheduled = true
            loop.execute { [self] in
                flushScheduled = false
                buffer.flush()
            }
        }
        return true
    }

    func flush() {
        buffer.flush()
    }

    private func format(_ message: Message) {
        let text = String(validating: message.payload, as: UTF8.self)
        switch output {
        case .text:
            buffer.append(message.topic + " " + (text ?? "base64:" + Base64.encode(message.payload)))
        case .json:
            var line = "{\"topic\":\(JSONText.quote(message.topic)),\"payload\":"
            if let text {
                line += JSONText.quote(text)
            } else {
                line += "\"\(Base64.encode(message.payload))\",\"encoding\":\"base64\""
            }
            line += ",\"qos\":\(message.qos.rawValue),\"retain\":\(message.retain)}"
            buffer.append(line)
        }
    }
}
