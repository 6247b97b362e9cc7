import AgentProtocol
import AgentService
import ArgumentParsing
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession
import Synchronization
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// How long the whole chain takes to report a device: first publish → `added` at a watcher, and
/// death (socket gone, will fired) → `removed`, against the broker alone.
enum LatencyBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench latency",
        abstract:
            "Latency from a device's first publish to ADDED and from its death to REMOVED, against the broker alone.",
        discussion: """
            Starts mosquitto on a free loopback port, then the mqtt handler and a local agent (one process, their
            own event loop, talking over their Unix sockets as `run` does) with no debounce, and a watcher on the
            agent's socket. N devices connect, each on its own TCP connection with a will ("offline" on its
            status topic). One device at a time: it publishes its first telemetry message, and the time until
            the watcher hears ADDED is taken; later, one at a time, its socket is closed without DISCONNECT,
            so mosquitto publishes the will, and the time until REMOVED is taken.
            Reference, same run, same broker: a plain MQTT subscriber's publish → receive round trip, and
            the time from a device's socket closing to its will reaching that subscriber. Prints p50, p99
            and max for each, and p99 minus the reference p99. With --protocol grpc the handler registers
            and streams over gRPC (our HTTP/2): the frames figures are measured in the same run, then
            gRPC's, and the ratio of their p99s printed (target: within 1.25); then the rate of encoding
            a full list of 10,000 devices for each protocol (a frame; a gRPC message in HTTP/2 DATA).
            """,
        arguments: [
            .option("--devices", value: "N", help: "How many devices.", default: "1000"),
            .option(
                "--protocol",
                value: "frames|grpc",
                help: "How the handler and the agent talk; grpc measures frames too, for the ratio.",
                default: "frames"
            ),
        ]
    )

    /// One system under test: a handler and an agent talking `protocol`, on their own loop.
    struct Samples {
        var added: [Duration] = []
        var removed: [Duration] = []
        var willRoundTrip: [Duration] = []
    }

    static func run(_ arguments: ParsedArguments) async throws {
        let count = try arguments.integer("devices", as: Int.self, in: 1...100_000)!
        let protocolName = arguments.value("protocol") ?? "frames"
        guard let chosen = AgentProtocolChoice(rawValue: protocolName), chosen != .auto else {
            throw BenchmarkError("--protocol is frames or grpc, not \(protocolName)")
        }
        let broker = try await Mosquitto(.benchmark)
        let url = "tcp://127.0.0.1:\(broker.port)"
        let benchLoop = try EventLoop(name: "bench")
        defer { benchLoop.shutdown() }
        let arrivals = Arrivals()

        // The reference: a plain subscriber on the same broker.
        let reference = MQTTClient(
            configuration: ClientConfiguration(url: try BrokerURL(url), clientIdentifier: "bench-reference"),
            eventLoop: benchLoop,
            onMessage: { message in
                arrivals.record("message \(message.topic)")
                return true
            }
        )
        try await reference.connect()
        _ = try await reference.subscribe([
            Subscription(topicFilter: "ref/#", qos: .atMostOnce),
            Subscription(topicFilter: "lat/+/status", qos: .atMostOnce),
        ])
        let probe = try await RawDevice.connect(port: broker.port, id: "probe", will: nil, loop: benchLoop)
        print(
            "latency: \(count) devices, mosquitto on loopback, handler + agent in one process, watcher on the agent's socket"
        )
        var referenceRoundTrip: [Duration] = []
        for index in 0..<count {
            let start = ContinuousClock.now
            probe.publish("ref/\(index)", "x")
            guard let end = await arrivals.wait("message ref/\(index)", timeout: .seconds(10)) else {
                throw BenchmarkError("the reference subscriber missed ref/\(index)")
            }
            referenceRoundTrip.append(end - start)
        }
        let protocols: [AgentProtocolChoice] = chosen == .grpc ? [.frames, .grpc] : [.frames]
        var results: [(AgentProtocolChoice, Samples)] = []
        for used in protocols {
            results.append(
                (
                    used,
                    try await measure(
                        used,
                        count: count,
                        url: url,
                        port: broker.port,
                        probe: probe,
                        arrivals: arrivals,
                        loop: benchLoop
                    )
                )
            )
        }

        print("path                                                p50        p99        max")
        func line(_ name: String, _ samples: [Duration]) {
            let sorted = samples.sorted()
            func at(_ fraction: Double) -> String {
                micros(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))])
            }
            print(
                name.padding(47) + at(0.5).leftPadding(11) + at(0.99).leftPadding(11)
                    + micros(sorted.last!).leftPadding(11)
            )
        }
        line("reference: publish → subscriber", referenceRoundTrip)
        line("reference: socket closed → will at subscriber", results[0].1.willRoundTrip)
        for (used, samples) in results {
            line("[\(used.rawValue)] first publish → ADDED at the watcher", samples.added)
            line("[\(used.rawValue)] death (socket closed) → REMOVED", samples.removed)
        }
        func p99(_ samples: [Duration]) -> Duration {
            samples.sorted()[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
        }
        for (used, samples) in results {
            print(
                "[\(used.rawValue)] ADDED p99 − publish reference p99:   \(micros(p99(samples.added) - p99(referenceRoundTrip)))   (target: within 2 ms)"
            )
            print(
                "[\(used.rawValue)] REMOVED p99 − publish reference p99: \(micros(p99(samples.removed) - p99(referenceRoundTrip)))   (target: within 2 ms)"
            )
        }
        if results.count == 2 {
            let frames = results[0].1
            let grpc = results[1].1
            func ratio(_ a: Duration, _ b: Duration) -> String {
                let value =
                    (Double(a.components.attoseconds) + Double(a.components.seconds) * 1e18)
                    / (Double(b.components.attoseconds) + Double(b.components.seconds) * 1e18)
                return twoDecimals(value)
            }
            print(
                "gRPC p99 / frames p99: ADDED \(ratio(p99(grpc.added), p99(frames.added))), REMOVED \(ratio(p99(grpc.removed), p99(frames.removed)))   (target: within 1.25)"
            )
            ListEncodeRate.report(devices: 10_000)
        }
        await reference.disconnect()
        probe.kill()
    }

    /// Starts a handler and an agent talking `protocol`, waits until discovery is live, and
    /// times each device's ADDED and REMOVED; stops them again.
    static func measure(
        _ used: AgentProtocolChoice,
        count: Int,
        url: String,
        port: UInt16,
        probe: RawDevice,
        arrivals: Arrivals,
        loop benchLoop: EventLoop
    ) async throws -> Samples {
        let systemLoop = try EventLoop(name: "discovery")
        defer { systemLoop.shutdown() }
        var template = Array("/tmp/mqtt-discovery-latency-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchmarkError("cannot make a temporary directory") }
        let directory = String(cString: made)
        defer { rmdir(directory) }
        let details = """
            brokers:
              - url: \(url)
            topics:
              - filter: lat/{device}/telemetry
                timeoutSeconds: 3600
              - filter: lat/{device}/status
                online: online
                offline: offline
            """
        let agent = Agent(
            directory: directory,
            configurations: [
                AgentConfiguration(
                    name: "lat",
                    handlerName: "mqtt",
                    request: DiscoverRequest(discoveryDetails: details)
                )
            ],
            eventLoop: systemLoop,
            logger: .disabled
        )
        var options = DiscoveryHandlerServer.Options()
        options.agentProtocol = used
        let handler = DiscoveryHandlerServer(
            directory: directory,
            eventLoop: systemLoop,
            environment: [:],
            logger: .disabled,
            options: options
        )
        try await agent.start()
        try await handler.start()
        let watcher = Mutex<WatchClient?>(nil)
        benchLoop.execute {
            let client = WatchClient.watch(
                socket: agent.socketPath,
                on: benchLoop,
                onEvent: { event in
                    guard let id = event.instance?.device.id else { return }
                    arrivals.record("\(used.rawValue) \(event.kind) \(id)")
                },
                onEnd: { reason in print("warning: the watch ended: \(reason ?? "")") }
            )
            watcher.withLock { $0 = client }
        }
        // Wait until discovery is live: the probe device must appear.
        while true {
            probe.publish("lat/probe/telemetry", "1")
            if await arrivals.wait("\(used.rawValue) added probe", timeout: .milliseconds(200)) != nil { break }
        }
        let prefix = "\(used.rawValue)-dev"
        var devices: [RawDevice] = []
        for index in 0..<count {
            devices.append(
                try await RawDevice.connect(
                    port: port,
                    id: "\(prefix)-\(index)",
                    will: "lat/\(prefix)-\(index)/status",
                    loop: benchLoop
                )
            )
        }
        var samples = Samples()
        for (index, device) in devices.enumerated() {
            let start = ContinuousClock.now
            device.publish("lat/\(prefix)-\(index)/telemetry", "{\"seq\":1}")
            guard let end = await arrivals.wait("\(used.rawValue) added \(prefix)-\(index)", timeout: .seconds(10))
            else {
                throw BenchmarkError("\(prefix)-\(index) was not added")
            }
            samples.added.append(end - start)
        }
        for (index, device) in devices.enumerated() {
            let start = ContinuousClock.now
            device.kill()
            guard let will = await arrivals.wait("message lat/\(prefix)-\(index)/status", timeout: .seconds(10)),
                let end = await arrivals.wait("\(used.rawValue) removed \(prefix)-\(index)", timeout: .seconds(10))
            else { throw BenchmarkError("\(prefix)-\(index) was not removed") }
            samples.willRoundTrip.append(will - start)
            samples.removed.append(end - start)
        }
        watcher.withLock { $0 = nil }
        await handler.stop()
        await agent.stop()
        return samples
    }

    static func micros(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
        return micros >= 1000 ? "\((micros / 10).rounded() / 100) ms" : "\(Int(micros.rounded())) µs"
    }
}

/// When each awaited thing arrived, for a benchmark to wait on without spinning.
final class Arrivals: Sendable {
    private struct State {
        var times: [String: ContinuousClock.Instant] = [:]
        var waiters: [String: CheckedContinuation<ContinuousClock.Instant?, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Notes that `key` arrived now.
    func record(_ key: String) {
        let now = ContinuousClock.now
        let waiter = state.withLock { state -> CheckedContinuation<ContinuousClock.Instant?, Never>? in
            if let waiter = state.waiters.removeValue(forKey: key) { return waiter }
            state.times[key] = now
            return nil
        }
        waiter?.resume(returning: now)
    }

    /// When `key` arrived (waiting for it), or nil after `timeout`.
    func wait(_ key: String, timeout: Duration) async -> ContinuousClock.Instant? {
        let expiry = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.resume(returning: nil)
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { continuation in
            let arrived = state.withLock { state -> ContinuousClock.Instant? in
                if let time = state.times.removeValue(forKey: key) { return time }
                state.waiters[key] = continuation
                return nil
            }
            if let arrived { continuation.resume(returning: arrived) }
        }
    }
}

/// A device on a bare TCP connection (CONNECT with a will, QoS 0 publishes), so the benchmark can
/// kill its socket the way a device loses power: no DISCONNECT, and the broker fires the will.
///
/// `@unchecked Sendable`: driven on the benchmark's loop only, where its connection and waiters live.
final class RawDevice: ConnectionDelegate, @unchecked Sendable {
    private let connection: Connection
    private let loop: EventLoop
    private var connack: CheckedContinuation<Void, Never>?

    private init(connection: Connection, loop: EventLoop) {
        self.connection = connection
        self.loop = loop
    }

    static func connect(port: UInt16, id: String, will: String?, loop: EventLoop) async throws -> RawDevice {
        let connection = try await withCheckedThrowingContinuation { continuation in
            Connection.connect(host: "127.0.0.1", port: port, timeout: .seconds(5), on: loop) {
                continuation.resume(with: $0)
            }
        }
        let device = RawDevice(connection: connection, loop: loop)
        let packet = Packet.connect(
            ConnectPacket(
                clientIdentifier: "bench-\(id)",
                cleanStart: true,
                keepAlive: 0,
                will: will.map { ConnectPacket.Will(topic: $0, payload: Array("offline".utf8)) }
            )
        )
        let bytes = try packet.encoded(version: .v5)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                device.connack = continuation
                connection.delegate = device
                connection.write(bytes)
                connection.flush()
            }
        }
        return device
    }

    func publish(_ topic: String, _ payload: String) {
        guard
            let bytes = try? Packet.publish(PublishPacket(topicName: topic, payload: ArraySlice(payload.utf8))).encoded(
                version: .v5
            )
        else { return }
        loop.execute { [connection] in
            connection.write(bytes)
            connection.flush()
        }
    }

    /// Closes the socket without DISCONNECT.
    func kill() {
        loop.execute { [connection] in connection.close() }
    }

    func connection(_ connection: Connection, didReceive bytes: [UInt8]) {
        let waiter = connack
        connack = nil
        waiter?.resume()
    }

    func connectionDidDrain(_ connection: Connection) {}

    func connectionDidClose(_ connection: Connection, error: IOError?) {
        let waiter = connack
        connack = nil
        waiter?.resume()
    }
}
