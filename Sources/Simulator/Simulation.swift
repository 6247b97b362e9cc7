public import IO
public import Logging
public import MQTTClient
public import MQTTCodec
public import MQTTSession

/// Simulated devices, as real as a test needs: each has its own MQTT connection (and client id),
/// publishes `{"seq":N,"temperature":T}` to its telemetry topic every interval, and, with a
/// status topic, keeps a retained will "offline" there and says "online" on every connection, as
/// a Tasmota or ESPHome device does. Killing the process makes the broker publish every will;
/// ``stop()`` says "offline" and disconnects, the clean way.
public final class Simulation: Sendable {
    /// One simulated device: its name, topics and connection settings.
    public struct Device: Sendable {
        /// E.g. `device-3`.
        public let name: String
        /// Where its telemetry goes.
        public let topic: String
        /// Where it says "online" and its will says "offline", if anywhere.
        public let statusTopic: String?
        /// Its connection: the shared settings, its own client id and will.
        public let configuration: ClientConfiguration
    }

    /// What the devices are.
    public struct Plan: Sendable {
        /// How many devices, and the number of the first.
        public var count: Int
        /// The number in the first device's name.
        public var first: Int
        /// Names are the prefix and a number.
        public var namePrefix: String
        /// The telemetry topic; `{device}` stands for the name.
        public var topicTemplate: String
        /// The status topic, if any; `{device}` stands for the name.
        public var statusTemplate: String?
        /// The telemetry's QoS.
        public var qos: QoS
        /// Time between a device's messages.
        public var interval: Duration

        /// A plan.
        public init(
            count: Int,
            first: Int,
            namePrefix: String,
            topicTemplate: String,
            statusTemplate: String?,
            qos: QoS,
            interval: Duration
        ) {
            self.count = count
            self.first = first
            self.namePrefix = namePrefix
            self.topicTemplate = topicTemplate
            self.statusTemplate = statusTemplate
            self.qos = qos
            self.interval = interval
        }
    }

    /// A topic a template makes that is not a valid topic name.
    public struct InvalidTopic: Error, Sendable, CustomStringConvertible {
        /// The topic.
        public let topic: String
        /// What is wrong with it.
        public let reason: String

        /// `topic 'a/+/b': …`.
        public var description: String { "topic '\(topic)': \(reason)" }
    }

    /// The devices, in order.
    public let devices: [Device]
    private let plan: Plan
    private let loop: EventLoop
    private let logger: Logger
    private let clients: [MQTTClient]
    private let publisher: Publisher

    /// The devices of `plan`, each connecting with `base` (its client id and will set per device),
    /// on `loop`. Nothing connects until ``start()``.
    public init(plan: Plan, base: ClientConfiguration, loop: EventLoop, logger: Logger) throws(InvalidTopic) {
        var devices: [Device] = []
        for number in plan.first..<(plan.first + plan.count) {
            let name = "\(plan.namePrefix)\(number)"
            let topic = plan.topicTemplate.replacing("{device}", with: name)
            let status = plan.statusTemplate?.replacing("{device}", with: name)
            for candidate in [topic] + (status.map { [$0] } ?? []) {
                do {
                    try TopicName.validate(candidate, version: base.protocolVersion)
                } catch {
                    throw InvalidTopic(topic: candidate, reason: error.problem.explanation)
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
            devices.append(Device(name: name, topic: topic, statusTopic: status, configuration: configuration))
        }
        self.devices = devices
        self.plan = plan
        self.loop = loop
        self.logger = logger
        clients = devices.map { device in
            let box = ClientBox()
            let client = MQTTClient(configuration: device.configuration, eventLoop: loop, logger: logger) { state in
                // Like a real device, it says "online" on every connection: its will may have said
                // otherwise while it was away.
                guard case .connected = state, let status = device.statusTopic else { return }
                box.client?.publish(
                    Message(topic: status, payload: ArraySlice("online".utf8), qos: .atLeastOnce, retain: true)
                )
            }
            box.client = client
            return client
        }
        publisher = Publisher(devices: devices, clients: clients, qos: plan.qos, interval: plan.interval, loop: loop)
    }

    /// Connects every device, in waves of 64 so a thousand do not knock at once, then starts
    /// publishing. A device that cannot connect stops the simulation: every device is
    /// disconnected and the error thrown.
    public func start() async throws(MQTTClientError) {
        for wave in stride(from: 0, to: clients.count, by: 64) {
            let failures = await withTaskGroup(of: MQTTClientError?.self) { group in
                for client in clients[wave..<min(wave + 64, clients.count)] {
                    group.addTask {
                        do throws(MQTTClientError) {
                            try await client.connect()
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                var failures: [MQTTClientError] = []
                for await case let failure? in group { failures.append(failure) }
                return failures
            }
            if let failure = failures.first {
                for client in clients { await client.disconnect() }
                throw failure
            }
        }
        logger.notice(
            "\(devices.count) devices connected",
            ["broker": devices.first?.configuration.url.description ?? ""]
        )
        loop.execute { [publisher] in publisher.start() }
    }

    /// Stops publishing; each device says "offline" (when it has a status topic) and disconnects.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute { [publisher] in
                publisher.stop()
                continuation.resume()
            }
        }
        // Every device says "offline" at once; a broker that is gone gets `offlineWait` to take
        // them, not forever (a stop must not hang on an unreachable broker).
        await withTaskGroup(of: Bool.self) { group in
            var pending = 0
            for (device, client) in zip(devices, clients) {
                guard let status = device.statusTopic else { continue }
                pending += 1
                group.addTask {
                    try? await client.publish(
                        Message(topic: status, payload: ArraySlice("offline".utf8), qos: .atLeastOnce, retain: true)
                    )
                    return true
                }
            }
            if pending > 0 {
                group.addTask {
                    try? await Task.sleep(for: Self.offlineWait)
                    return false
                }
                // Until every "offline" is acknowledged, or the wait is over.
                for await acknowledged in group {
                    guard acknowledged else { break }
                    pending -= 1
                    if pending == 0 { break }
                }
            }
            // Disconnecting also ends any publish still waiting, so the group can finish.
            for client in clients { await client.disconnect() }
            group.cancelAll()
        }
    }

    /// How long a stop waits for the broker to take the devices' "offline" messages.
    public static let offlineWait: Duration = .seconds(3)
}

/// Publishes every device's telemetry on the loop: a message every interval, devices spread
/// evenly over it.
///
/// `@unchecked Sendable`: created on any thread but started, stopped and fired only on its loop,
/// where all its mutable state (timers, sequence numbers) lives.
private final class Publisher: @unchecked Sendable {
    private let devices: [Simulation.Device]
    private let clients: [MQTTClient]
    private let qos: QoS
    private let interval: Duration
    private let loop: EventLoop
    private var timers: [TimerID?]
    private var sequence: [Int]

    init(devices: [Simulation.Device], clients: [MQTTClient], qos: QoS, interval: Duration, loop: EventLoop) {
        self.devices = devices
        self.clients = clients
        self.qos = qos
        self.interval = interval
        self.loop = loop
        timers = Array(repeating: nil, count: devices.count)
        sequence = Array(repeating: 0, count: devices.count)
    }

    func start() {
        loop.preconditionInEventLoop()
        for index in devices.indices {
            schedule(index, after: interval * (Double(index) / Double(devices.count)))
        }
    }

    func stop() {
        loop.preconditionInEventLoop()
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
///
/// `@unchecked Sendable`: written once, before the client it holds can call back, and only read
/// afterwards (on the client's loop).
private final class ClientBox: @unchecked Sendable {
    var client: MQTTClient?
}
