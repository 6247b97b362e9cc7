import ArgumentParsing
import IO
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

/// How fast `mqtt-discovery monitor --upstream` forwards, against a mosquitto bridge.
enum ForwardBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench forward",
        abstract:
            "Messages/s forwarded monitor → upstream at QoS 1 against a mosquitto bridge; backlog drain after an outage.",
        discussion: """
            Starts three mosquittos on loopback: the upstream, a device broker for the monitor, and a device
            broker with a bridge to the upstream (`topic bench/bridge/# out 1`, the usual way to do this).
            One `mqtt-discovery monitor` watches bench/ours/# on its device broker and forwards to the
            upstream at QoS 1 through its disk queue. A counting subscriber on the upstream times each run:
            N messages of 100 bytes published at QoS 1 to a device broker, from the first publish to the
            last arrival upstream. Runs alternate between the two paths; medians are printed.
            Then the backlog: the upstream is stopped, N messages are published, the upstream is started
            again, and the time from its restart to the last arrival (reconnect delay included) and the
            drain rate (first to last arrival) are printed for each path.
            Last, what durability costs: a monitor for each --fsync policy (never, batch, always) in turn,
            each timed over the same N messages, next to `never`.
            """,
        arguments: [
            .option("--messages", value: "N", help: "Messages per run.", default: "50000"),
            .option("--runs", value: "N", help: "Runs per path (median is printed).", default: "3"),
            OurBinary.option,
        ]
    )

    static func run(_ arguments: ParsedArguments) async throws {
        let count = try arguments.integer("messages", as: Int.self, in: 1...10_000_000)!
        let runs = try arguments.integer("runs", as: Int.self, in: 1...100)!
        let ours = try OurBinary.path(arguments)
        let upstream = try await Mosquitto(.benchmark)
        let device = try await Mosquitto(.benchmark)
        let bridged = try await Mosquitto(
            .benchmark(extra: [
                "connection upstream",
                "address 127.0.0.1:\(upstream.port)",
                "topic bench/bridge/# out 1",
                "cleansession false",
                "restart_timeout 1",
                "max_queued_messages 0",
            ])
        )
        let monitor = try Monitor(ours, device: device, upstream: upstream, filter: "bench/ours/#")
        defer { monitor.process.terminate() }
        let loop = try EventLoop(name: "bench")
        defer { loop.shutdown() }

        let counter = try await Counter.start(upstream.url, loop: loop)
        // Both paths are up once one message makes it through each.
        for (broker, topic) in [(device, "bench/ours/x"), (bridged, "bench/bridge/x")] {
            try await waitForPath(counter: counter, broker: broker, topic: topic, loop: loop)
        }

        print(
            "forward: \(format(count)) messages of 100 bytes at QoS 1 per run, median of \(runs) runs, mosquitto on loopback"
        )
        var rates: [String: [Double]] = ["monitor": [], "mosquitto bridge": []]
        for run in 0..<runs {
            let order = run.isMultiple(of: 2) ? ["monitor", "mosquitto bridge"] : ["mosquitto bridge", "monitor"]
            for path in order {
                let (broker, topic) = path == "monitor" ? (device, "bench/ours/x") : (bridged, "bench/bridge/x")
                counter.reset(expect: count, prefix: topic)
                let started = ContinuousClock.now
                try await publish(count, url: broker.url, topic: topic, loop: loop)
                let last = try await counter.waitForAll(timeout: .seconds(120))
                rates[path]!.append(Double(count) / seconds(last - started))
            }
        }
        for path in ["monitor", "mosquitto bridge"] {
            print("\(path.padding(18)) \(format(Int(median(rates[path]!))).leftPadding(10)) msgs/s forwarded")
        }
        print(
            "ratio monitor / mosquitto bridge: \(format(median(rates["monitor"]!) / median(rates["mosquitto bridge"]!), decimals: 2))×"
        )

        print("backlog: upstream stopped, \(format(count)) messages published, upstream started again")
        var drains: [String: (total: Double, rate: Double)] = [:]
        for path in ["monitor", "mosquitto bridge"] {
            let (broker, topic) = path == "monitor" ? (device, "bench/ours/x") : (bridged, "bench/bridge/x")
            await counter.stop()
            await upstream.kill()
            try await publish(count, url: broker.url, topic: topic, loop: loop)
            // Let the path take in everything it was sent before the upstream returns.
            try await Task.sleep(for: .seconds(2))
            try await upstream.start()
            let restarted = ContinuousClock.now
            let fresh = try await Counter.start(upstream.url, loop: loop)
            fresh.reset(expect: count, prefix: topic)
            let last = try await fresh.waitForAll(timeout: .seconds(300))
            let first = fresh.firstArrival ?? restarted
            drains[path] = (seconds(last - restarted), Double(count) / max(seconds(last - first), 1e-6))
            await fresh.stop()
        }
        for path in ["monitor", "mosquitto bridge"] {
            let drain = drains[path]!
            print(
                "\(path.padding(18)) all delivered \(format(drain.total, decimals: 2)) s after the upstream restart; "
                    + "drain \(format(Int(drain.rate))) msgs/s"
            )
        }
        print(
            "ratio monitor / mosquitto bridge: drain rate \(format(drains["monitor"]!.rate / drains["mosquitto bridge"]!.rate, decimals: 2))×, "
                + "time to deliver \(format(drains["monitor"]!.total / drains["mosquitto bridge"]!.total, decimals: 2))×"
        )
        try await syncCost(count, runs: runs, ours: ours, device: device, upstream: upstream, loop: loop)
    }

    /// The forwarding rate under each `--fsync` policy, each against `never`.
    private static func syncCost(
        _ count: Int,
        runs: Int,
        ours: String,
        device: Mosquitto,
        upstream: Mosquitto,
        loop: EventLoop
    ) async throws {
        print("--fsync: the monitor's disk queue synchronised never, every 100 ms (batch, the default), or per message")
        let counter = try await Counter.start(upstream.url, loop: loop)
        var rates: [String: Double] = [:]
        for policy in ["never", "batch", "always"] {
            let monitor = try Monitor(
                ours,
                device: device,
                upstream: upstream,
                filter: "bench/sync-\(policy)/#",
                extra: ["--fsync", policy]
            )
            defer { monitor.process.terminate() }
            let topic = "bench/sync-\(policy)/x"
            try await waitForPath(counter: counter, broker: device, topic: topic, loop: loop)
            var samples: [Double] = []
            for _ in 0..<runs {
                counter.reset(expect: count, prefix: topic)
                let started = ContinuousClock.now
                try await publish(count, url: device.url, topic: topic, loop: loop)
                let last = try await counter.waitForAll(timeout: .seconds(600))
                samples.append(Double(count) / seconds(last - started))
            }
            rates[policy] = median(samples)
            print(
                "\(("--fsync " + policy).padding(18)) \(format(Int(rates[policy]!)).leftPadding(10)) msgs/s forwarded   "
                    + "(\(format(rates[policy]! / rates["never"]!, decimals: 2))× never)"
            )
        }
        await counter.stop()
    }

    /// `mqtt-discovery monitor` watching `filter` on `device`, forwarding to `upstream` through a
    /// disk queue of its own.
    private struct Monitor {
        let process: ExternalProcess
        private let queue: TemporaryDirectory
        private let listen: HeldPort

        init(_ binary: String, device: Mosquitto, upstream: Mosquitto, filter: String, extra: [String] = []) throws {
            queue = try TemporaryDirectory(prefix: "mqtt-discovery-bench-queue")
            listen = try HeldPort()
            process = try ExternalProcess(
                binary,
                [
                    "monitor", "--url", device.url, "-t", filter, "--device", "bench", "--listen",
                    "127.0.0.1:\(listen.port)", "--upstream", upstream.url, "--queue-dir", queue.path,
                    "--history", "1000", "--log-level", "error",
                ] + extra
            )
        }
    }

    private static func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    private static func waitForPath(counter: Counter, broker: Mosquitto, topic: String, loop: EventLoop) async throws {
        counter.reset(expect: 1, prefix: topic)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            try await publish(1, url: broker.url, topic: topic, loop: loop)
            if (try? await counter.waitForAll(timeout: .seconds(1))) != nil { return }
        }
        throw BenchmarkError("nothing arrived upstream from \(topic)")
    }

    /// Publishes `count` 100-byte QoS 1 messages, 64 in flight at a time.
    private static func publish(_ count: Int, url: String, topic: String, loop: EventLoop) async throws {
        var configuration = ClientConfiguration(url: try BrokerURL(url), clientIdentifier: ClientIdentifier.random())
        configuration.reconnect = nil
        let client = MQTTClient(configuration: configuration, eventLoop: loop)
        try await client.connect()
        let payload = ArraySlice((0..<100).map { UInt8(truncatingIfNeeded: 65 + $0 % 26) })
        let message = Message(topic: topic, payload: payload, qos: .atLeastOnce)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let lanes = 64
            for lane in 0..<lanes {
                group.addTask {
                    for _ in stride(from: lane, to: count, by: lanes) { try await client.publish(message) }
                }
            }
            try await group.waitForAll()
        }
        await client.disconnect()
    }
}

/// Counts the messages that arrive upstream on one topic, on the loop's thread.
private final class Counter: Sendable {
    private struct State {
        var prefix = ""
        var expected = 0
        var seen = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let client: Mutex<MQTTClient?> = Mutex(nil)

    static func start(_ url: String, loop: EventLoop) async throws -> Counter {
        let counter = Counter()
        var configuration = ClientConfiguration(url: try BrokerURL(url), clientIdentifier: ClientIdentifier.random())
        configuration.reconnect = nil
        let client = MQTTClient(
            configuration: configuration,
            eventLoop: loop,
            onMessage: { [counter] message in
                counter.arrived(message.topic)
                return true
            }
        )
        try await client.connect()
        try await client.subscribe([Subscription(topicFilter: "bench/#", qos: .atLeastOnce)])
        counter.client.withLock { $0 = client }
        return counter
    }

    func reset(expect count: Int, prefix: String) {
        state.withLock { $0 = State(prefix: prefix, expected: count) }
    }

    var firstArrival: ContinuousClock.Instant? { state.withLock { $0.first } }

    private func arrived(_ topic: String) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard topic == state.prefix else { return }
            state.seen += 1
            if state.first == nil { state.first = now }
            if state.seen == state.expected { state.last = now }
        }
    }

    func waitForAll(timeout: Duration) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let last = state.withLock({ $0.last }) { return last }
            try await Task.sleep(for: .milliseconds(5))
        }
        let (seen, expected) = state.withLock { ($0.seen, $0.expected) }
        throw BenchmarkError("only \(seen) of \(expected) messages arrived upstream within \(timeout)")
    }

    func stop() async {
        let client = self.client.withLock { $0 }
        await client?.disconnect()
    }
}
