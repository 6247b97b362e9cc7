import ArgumentParsing
import CommandLineSupport
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// `mqtt-discovery pub`: publish a message, each line of standard input, or many copies.
enum PubCommand: Command {
    static let topic = Option<String?>.text(
        "-t",
        "--topic",
        value: "TOPIC",
        help: "Topic to publish to.",
        required: true
    )
    static let message = Option<String?>.text("-m", "--message", value: "TEXT", help: "The message, as text.")
    static let file = Option<String?>.text("-f", "--file", value: "FILE", help: "Send the file's bytes as the message.")
    static let stdin = Option<Bool>.flag("-s", "--stdin", help: "Send all of standard input, as bytes, as one message.")
    static let lines = Option<Bool>.flag(
        "-l",
        "--lines",
        help: "Send each line of standard input (bytes) as a message."
    )
    static let userProperties = Option<[(String, String)]>.pairs(
        "-D",
        "--user-property",
        values: "KEY VALUE",
        help: "A user property on each message (MQTT 5.0); repeatable."
    )
    static let qos = Option<UInt8>.integer("-q", "--qos", value: "QOS", help: "QoS.", in: 0...2, default: 0)
    static let retain = Option<Bool>.flag("-r", "--retain", help: "Ask the broker to retain the message.")
    static let repeatCount = Option<Int>.integer(
        "--repeat",
        value: "N",
        help: "Send the message N times.",
        in: 1...100_000_000,
        default: 1
    )
    static let numbered = Option<Bool>.flag(
        "--numbered",
        help: "With --repeat N: {n} in the topic becomes the message's number, 0 to N-1 (one topic per device)."
    )
    static let logging = LoggingOptions(defaultLevel: .warning)

    static let spec = CommandSpec(
        name: "mqtt-discovery pub",
        abstract: "Publish a message (or each line of standard input) to a topic.",
        discussion: """
            The message is -m TEXT (UTF-8), the bytes of -f FILE, all of standard input with -s, or each line
            of standard input with -l (bytes as they are: -f, -s and -l are binary-safe). -D KEY VALUE adds
            an MQTT 5.0 user property to every message.
            Exits 0 only once every QoS 1 and 2 message has been acknowledged by the broker. With --repeat N
            the message is sent N times, as fast as the broker's flow control allows (the load for
            benchmarks); add --numbered to send each to its own topic (-t 'sensors/dev{n}/t' --repeat 1000000
            --numbered: a million devices, one message each). With --session-store DIR, messages not acknowledged when pub stops or is killed are
            kept in DIR and sent first by the next pub with the same DIR (and the same client id: use
            --no-clean or -i so the broker keeps its half of the session).
            """,
        arguments: ConnectionOptions.arguments + [
            topic.spec, message.spec, file.spec, stdin.spec, lines.spec, qos.spec, retain.spec, repeatCount.spec,
            numbered.spec, userProperties.spec,
            ConnectionOptions.sessionStore.spec, ConnectionOptions.fsync.spec,
        ] + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "pub")
        let topic = try arguments(topic) ?? ""
        let qos = QoS(rawValue: try arguments(qos)) ?? .atMostOnce
        let retain = try arguments(retain)
        let repeatCount = try arguments(repeatCount)
        let isNumbered = try arguments(numbered)
        let fromLines = try arguments(lines)
        let text = try arguments(message)
        let path = try arguments(file)
        let fromStandardInput = try arguments(stdin)
        guard [text != nil, path != nil, fromStandardInput, fromLines].count(where: { $0 }) == 1 else {
            throw UsageError("give exactly one of -m TEXT, -f FILE, -s and -l", command: arguments.command)
        }
        let properties = PublishProperties(
            userProperties: try arguments(userProperties).map { UserProperty($0.0, $0.1) }
        )
        // Read before connecting: a file that cannot be read fails the command at once.
        let payload: [UInt8]? =
            if let text { Array(text.utf8) } else if let path {
                try Files.read(path, limit: PacketDecoder.protocolMaximumPacketSize)
            } else if fromStandardInput {
                try StandardInput.readAll(limit: PacketDecoder.protocolMaximumPacketSize)
            } else { nil }
        let connection = try ConnectionOptions(arguments)
        var configuration = try connection.configuration(identity: "pub|\(topic)", environment: environment)
        configuration.reconnect = nil
        // Numbered topics differ in {n} only, so the first one stands for them all.
        let pieces = topic.split(separator: "{n}", omittingEmptySubsequences: false).map(String.init)
        if isNumbered {
            guard payload != nil, pieces.count > 1 else {
                throw UsageError("--numbered needs a message to repeat and {n} in -t", command: arguments.command)
            }
        }
        do {
            try TopicName.validate(
                isNumbered ? pieces.joined(separator: "0") : topic,
                version: configuration.protocolVersion
            )
        } catch {
            throw UsageError("-t '\(topic)': \(error.problem.explanation)", command: arguments.command)
        }

        let loop = try EventLoop(name: "mqtt")
        defer { loop.shutdown() }
        let store: SessionStore?
        do {
            store = try connection.sessionStore(loop: loop, logger: logger)
        } catch {
            Console.error("error: \(error)")
            return .cannotCreate
        }
        let client = MQTTClient(configuration: configuration, eventLoop: loop, logger: logger, sessionStore: store)
        do {
            try await client.connect()
        } catch {
            Console.error("error: \(error)")
            return ExitStatus(error)
        }
        let tracker = CompletionTracker()
        if let payload {
            let message = Message(
                topic: topic,
                payload: payload[...],
                qos: qos,
                retain: retain,
                properties: properties
            )
            tracker.expect(repeatCount)
            loop.execute {
                for number in 0..<repeatCount {
                    let each =
                        isNumbered
                        ? Message(
                            topic: pieces.joined(separator: String(number)),
                            payload: message.payload,
                            qos: qos,
                            retain: retain,
                            properties: properties
                        ) : message
                    client.publish(each) { tracker.done($0) }
                }
            }
        } else {
            try StandardInput.lines { line in
                tracker.expect(1)
                let message = Message(
                    topic: topic,
                    payload: line[...],
                    qos: qos,
                    retain: retain,
                    properties: properties
                )
                client.publish(message) { tracker.done($0) }
            }
        }
        let failure = await tracker.finished()
        // Messages a session store gave back are acknowledged too before we go.
        await client.drain()
        await client.disconnect()
        if let failure {
            Console.error("error: \(failure)")
            return ExitStatus(failure)
        }
        return .success
    }
}
