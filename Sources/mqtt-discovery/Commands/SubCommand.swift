import ArgumentParsing
import CommandLineSupport
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// `mqtt-discovery sub`: subscribe and print what arrives, one line per message.
enum SubCommand: Command {
    static let topics = Option<[String]>.list(
        "-t",
        "--topic",
        value: "FILTER",
        help: "Topic filter to subscribe to.",
        required: true
    )
    static let qos = Option<UInt8>.integer(
        "-q",
        "--qos",
        value: "QOS",
        help: "Maximum QoS to receive at.",
        in: 0...2,
        default: 0
    )
    static let count = Option<Int?>.integer(
        "-C",
        "--count",
        value: "COUNT",
        help: "Exit after COUNT messages.",
        in: 1...Int.max
    )
    static let output = Option<MessagePrinter.Output>.choice("--output", help: "Output format.", default: .text)
    static let logging = LoggingOptions(defaultLevel: .warning)

    static let spec = CommandSpec(
        name: "mqtt-discovery sub",
        abstract: "Subscribe to topic filters and print each message that arrives.",
        discussion: """
            Text output is "TOPIC PAYLOAD" per line (a payload that is not UTF-8 is shown in base64 after
            "base64:"). JSON output is one object per line: {"topic", "payload", "qos", "retain"}, with
            "encoding": "base64" when the payload is not UTF-8, and "userProperties": [{"name", "value"}] when
            the message carries MQTT 5.0 user properties. With -C the command exits 0 after COUNT
            messages; any message past COUNT is left unacknowledged, so a persistent session loses nothing.
            The connection is re-established if it is lost. SIGINT or SIGTERM disconnects and exits 0.
            """,
        arguments: ConnectionOptions.arguments + [
            topics.spec, qos.spec, count.spec, output.spec, ConnectionOptions.sessionStore.spec,
            ConnectionOptions.fsync.spec,
        ] + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "sub")
        let filters = try arguments(topics)
        let qos = QoS(rawValue: try arguments(qos)) ?? .atMostOnce
        let connection = try ConnectionOptions(arguments)
        let configuration = try connection.configuration(
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
        let printer = MessagePrinter(loop: loop, output: try arguments(output), limit: try arguments(count)) {
            finish.yield()
        }
        let store: SessionStore?
        do {
            store = try connection.sessionStore(loop: loop, logger: logger)
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
        // SIGINT, SIGTERM or the count reached: stop, whatever the client is doing then (a broker
        // that never answers CONNECT or SUBSCRIBE must not keep us waiting).
        let stopped = Task {
            for await _ in finished { break }
            await client.disconnect()
        }
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
                [
                    "filters": filters.joined(separator: " "),
                    "granted": codes.map(\.description).joined(separator: " "),
                ]
            )
        } catch .stopped {
            // Stopped before the subscription was in place: a clean exit all the same.
        } catch {
            Console.error("error: \(error)")
            return ExitStatus(error)
        }
        await stopped.value
        await withCheckedContinuation { continuation in
            loop.execute {
                printer.flush()
                continuation.resume()
            }
        }
        return .success
    }
}
