import ArgumentParsing
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// `mqtt-discovery simulate`: simulated devices, each with its own MQTT connection.
enum SimulateCommand: Command {
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
        arguments: ConnectionOptions.arguments.filter {
            !$0.key.hasPrefix("will") && $0.key != "id" && $0.key != "no-clean" && $0.key != "session-expiry"
        }
            + [
                .option("--devices", value: "N", help: "How many devices.", default: "1"),
                .option("--first", value: "K", help: "The number of the first device.", default: "1"),
                .option(
                    "--id-prefix",
                    value: "PREFIX",
                    help: "Device names are PREFIX plus a number.",
                    default: "device-"
                ),
                .option(
                    "-t",
                    "--topic",
                    value: "TEMPLATE",
                    help: "Telemetry topic of each device.",
                    default: "devices/{device}/telemetry"
                ),
                .option(
                    "--interval",
                    value: "SECONDS",
                    help: "Time between a device's messages (decimals allowed).",
                    default: "5"
                ),
                .option("-q", "--qos", value: "QOS", help: "QoS of the telemetry.", default: "0"),
                .option(
                    "--will",
                    value: "TEMPLATE",
                    help: "Status topic of each device: will \"offline\", \"online\" once connected."
                ),
            ] + LoggingOptions.arguments(defaultLevel: .warning)
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try LoggingOptions.logger(arguments, label: "simulate")
        let count = try arguments.integer("devices", as: Int.self, in: 1...100_000) ?? 1
        let first = try arguments.integer("first", as: Int.self, in: 0...Int(Int32.max)) ?? 1
        let prefix = arguments.value("id-prefix") ?? "device-"
        let topicTemplate = arguments.value("topic") ?? "devices/{device}/telemetry"
        let willTemplate = arguments.value("will")
        let qos = QoS(rawValue: try arguments.integer("qos", as: UInt8.self, in: 0...2) ?? 0) ?? .atMostOnce
        let intervalText = arguments.value("interval") ?? "5"
        guard let seconds = Double(intervalText), seconds >= 0.001, seconds <= 86_400 else {
            throw UsageError(
                "--interval must be a number of seconds from 0.001 to 86400, not '\(intervalText)'",
                command: arguments.command
            )
        }
        let interval = Duration.milliseconds(Int64(seconds * 1000))
        let base = try ConnectionOptions.configuration(arguments, identity: "simulate", environment: environment)

        var devices: [SimulatedDevice] = []
        for number in first..<(first + count) {
            let name = "\(prefix)\(number)"
            let topic = topicTemplate.replacing("{device}", with: name)
            let status = willTemplate?.replacing("{device}", with: name)
            for candidate in [topic] + (status.map { [$0] } ?? []) {
                do {
                    try TopicName.validate(candidate, version: base.protocolVersion)
                } catch {
                    throw UsageError("topic '\(candidate)': \(error.problem.explanation)", command: arguments.command)
                }
            }
            var configuration = base
            configuration.clientIdentifier = "simulate-\(name)"
            if let status {
                configuration.will = ConnectPacket.Will(
                    topic: status,
                    payload: Array("offline".utf8),
                    qos: .atLeastOnce,
                    retain: true,
                    properties: WillProperties()
                )
            }
            devices.append(SimulatedDevice(name: name, topic: topic, statusTopic: status, configuration: configuration))
        }

        let loop = try EventLoop(name: "devices")
        defer { loop.shutdown() }
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        // Connect in waves, so a thousand devices do not all knock at once.
        var clients: [MQTTClient] = []
        for wave in stride(from: 0, to: devices.count, by: 64) {
            let batch = devices[wave..<min(wave + 64, devices.count)]
            let connected = await withTaskGroup(of: (MQTTClient, MQTTClientError?).self) { group in
                for device in batch {
                    // Like a real device (Tasmota, say), it says "online" on every connection: its
                    // will may have said otherwise while it was away.
                    let box = ClientBox()
                    let client = MQTTClient(configuration: device.configuration, eventLoop: loop, logger: logger) {
                        state in
                        guard case .connected = state, let status = device.statusTopic else { return }
                        box.client?.publish(
                            Message(topic: status, payload: ArraySlice("online".utf8), qos: .atLeastOnce, retain: true)
                        )
                    }
                    box.client = client
                    group.addTask { () async -> (MQTTClient, MQTTClientError?) in
                        do throws(MQTTClientError) {
                            try await client.connect()
                            return (client, nil)
                        } catch {
                            return (client, error)
                        }
                    }
                }
                var results: [(MQTTClient, MQTTClientError?)] = []
                for await result in group { results.append(result) }
                return results
            }
            clients += connected.map(\.0)
            if let failure = connected.compactMap(\.1).first {
                Console.error("error: \(failure)")
                for client in clients { await client.disconnect() }
                return ConnectionOptions.status(for: failure)
            }
        }
        logger.notice("\(devices.count) devices connected to \(base.url)")
        let publisher = Publisher(devices: devices, clients: clients, qos: qos, interval: interval, loop: loop)
        loop.execute { publisher.start() }
        for await _ in finished { break }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                publisher.stop()
                continuation.resume()
            }
        }
        for (device, client) in zip(devices, clients) {
            if let status = device.statusTopic {
                try? await client.publish(
                    Message(topic: status, payload: ArraySlice("offline".utf8), qos: .atLeastOnce, retain: true)
                )
            }
            await client.disconnect()
        }
        return .success
    }
}

/// One simulated device: its name, topics and connection settings.
struct SimulatedDevice: Sendable {
    let name: String
    let topic: String
    let statusTopic: String?
    let configuration: ClientConfiguration
}

/// Publishes every device's telemetry on the loop: a message every interval, devices spread
/// evenly over it.
final class Publisher: @unchecked Sendable {
    private let devices: [SimulatedDevice]
    private let clients: [MQTTClient]
    private let qos: QoS
    private let interval: Duration
    private let loop: EventLoop
    private var timers: [TimerID?]
    private var sequence: [Int]

    init(devices: [SimulatedDevice], clients: [MQTTClient], qos: QoS, interval: Duration, loop: EventLoop) {
        self.devices = devices
        self.clients = clients
        self.qos = qos
        self.interval = interval
        self.loop = loop
        timers = Array(repeating: nil, count: devices.count)
        sequence = Array(repeating: 0, count: devices.count)
    }

    func start() {
        for index in devices.indices {
            let offset = interval * (Double(index) / Double(devices.count))
            schedule(index, after: offset)
        }
    }

    func stop() {
        for case let timer? in timers { loop.cancelTimer(timer) }
        timers = Array(repeating: nil, count: devices.count)
    }

    private func schedule(_ index: Int, after delay: Duration) {
        timers[index] = loop.scheduleTimer(after: delay) { [self] in
            sequence[index] += 1
            let temperature = 20 + Double((sequence[index] * 7 + index * 13) % 100) / 10
            let payload = "{\"seq\":\(sequence[index]),\"temperature\":\(temperature)}"
            clients[index].publish(Message(topic: devices[index].topic, payload: ArraySlice(payload.utf8), qos: qos))
            schedule(index, after: interval)
        }
    }
}

/// Lets a client's state callback reach the client it belongs to (made after the callback).
final class ClientBox: @unchecked Sendable {
    var client: MQTTClient?
}
