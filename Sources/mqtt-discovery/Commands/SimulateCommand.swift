import ArgumentParsing
import CommandLineSupport
import IO
import Logging
import MQTTCodec
import Simulator

/// `mqtt-discovery simulate`: simulated devices, each with its own MQTT connection.
enum SimulateCommand: Command {
    static let devices = Option<Int>.integer(
        "--devices",
        value: "N",
        help: "How many devices.",
        in: 1...100_000,
        default: 1
    )
    static let first = Option<Int>.integer(
        "--first",
        value: "K",
        help: "The number of the first device.",
        in: 0...Int(Int32.max),
        default: 1
    )
    static let idPrefix = Option<String>.text(
        "--id-prefix",
        value: "PREFIX",
        help: "Device names are PREFIX plus a number.",
        default: "device-"
    )
    static let topic = Option<String>.text(
        "-t",
        "--topic",
        value: "TEMPLATE",
        help: "Telemetry topic of each device.",
        default: "devices/{device}/telemetry"
    )
    static let interval = Option<Duration>.seconds(
        "--interval",
        help: "Time between a device's messages (decimals allowed).",
        in: 0.001...86_400,
        default: .seconds(5)
    )
    static let qos = Option<UInt8>.integer(
        "-q",
        "--qos",
        value: "QOS",
        help: "QoS of the telemetry.",
        in: 0...2,
        default: 0
    )
    static let will = Option<String?>.text(
        "--will",
        value: "TEMPLATE",
        help: "Status topic of each device: will \"offline\", \"online\" once connected."
    )
    static let logging = LoggingOptions(defaultLevel: .warning)

    static let spec = CommandSpec(
        name: "mqtt-discovery simulate",
        abstract: "Simulate devices publishing telemetry, each with its own MQTT connection (and will).",
        discussion: """
            Device names are ID-PREFIX followed by a number counting from --first (device-1, device-2, ...);
            {device} in the templates stands for the name. Every device connects with its own client id
            (simulate-NAME), then publishes {"seq":N,"temperature":T} to its telemetry topic every --interval
            seconds (devices are spread evenly over the interval). With --will TEMPLATE each device also
            sets a retained will "offline" on that topic and publishes "online" there, retained, once
            connected: killing the process (kill -9) makes the broker publish every device's will. SIGINT
            or SIGTERM stops every device the clean way: "offline" published (with --will), then DISCONNECT;
            exit 0. Connections lost later are re-established with backoff. Exits 69 when the broker cannot
            be reached at the start, 77 when it refuses the devices.
            """,
        // Each device has its own client id and will: the per-connection options do not apply.
        arguments: ConnectionOptions.arguments.filter {
            !$0.key.hasPrefix("will") && $0.key != "id" && $0.key != "no-clean" && $0.key != "session-expiry"
        } + [devices.spec, first.spec, idPrefix.spec, topic.spec, interval.spec, qos.spec, will.spec]
            + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "simulate")
        let base = try ConnectionOptions(arguments).configuration(identity: "simulate", environment: environment)
        let plan = Simulation.Plan(
            count: try arguments(devices),
            first: try arguments(first),
            namePrefix: try arguments(idPrefix),
            topicTemplate: try arguments(topic),
            statusTemplate: try arguments(will),
            qos: QoS(rawValue: try arguments(qos)) ?? .atMostOnce,
            interval: try arguments(interval)
        )
        let loop = try EventLoop(name: "devices")
        defer { loop.shutdown() }
        let simulation: Simulation
        do {
            simulation = try Simulation(plan: plan, base: base, loop: loop, logger: logger)
        } catch {
            throw UsageError("\(error)", command: arguments.command)
        }
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        do {
            try await simulation.start()
        } catch {
            Console.error("error: \(error)")
            return ExitStatus(error)
        }
        for await _ in finished { break }
        await simulation.stop()
        return .success
    }
}
