import ArgumentParsing
import IO
import MQTTClient
import MQTTCodec
import MQTTSession
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// How fast a subscriber drains a persistent session: ours against mosquitto_sub.
enum DrainBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench drain",
        abstract: "Session drain rate of `mqtt-discovery sub` against `mosquitto_sub`, QoS 0 and 1.",
        discussion: """
            Starts mosquitto on a free loopback port, gives each subscriber a persistent session, and for each
            run queues N messages (100-byte payloads) into both sessions while the subscribers are away.
            Then it times `mqtt-discovery sub -C N` and `mosquitto_sub -C N` draining them, alternating which
            goes first, both over MQTT 5.0 with output to /dev/null. It prints messages per second, CPU
            per message (from wait4), peak RSS (VmHWM), and the ratios ours / mosquitto_sub. Idle RSS is
            read from /proc after each has sat connected for a second.
            """,
        arguments: [
            .option("--messages", value: "N", help: "Messages per run.", default: "60000"),
            .option("--runs", value: "N", help: "Runs per QoS and tool (median is printed).", default: "5"),
            OurBinary.option,
        ]
    )

    static func run(_ arguments: ParsedArguments) async throws {
        let count = try arguments.integer("messages", as: Int.self, in: 1...10_000_000)!
        let runs = try arguments.integer("runs", as: Int.self, in: 1...100)!
        let ours = try OurBinary.path(arguments)
        let mosquittoSub = try Machine.require("mosquitto_sub", package: "mosquitto-clients")
        let broker = try await Mosquitto(.benchmark)
        let loop = try EventLoop(name: "bench")
        defer { loop.shutdown() }

        print(
            "drain: \(format(count)) messages of 100 bytes queued per run, median of \(runs) runs, MQTT 5.0, mosquitto on loopback"
        )
        print("tool             QoS        msgs/s   CPU µs/msg   peak RSS")
        var idle: [String: Int] = [:]
        for qos in [QoS.atMostOnce, .atLeastOnce] {
            let oursID = "bench-ours-q\(qos)"
            let theirsID = "bench-mosq-q\(qos)"
            let filter = "bench/q\(qos)/#"
            // Create both sessions.
            for id in [oursID, theirsID] {
                try await session(broker.url, id: id, filter: filter, qos: qos, loop: loop)
            }
            var results: [String: [Measurement]] = ["ours": [], "mosquitto_sub": []]
            for run in 0..<runs {
                try await queue(count, url: broker.url, topic: "bench/q\(qos)/x", qos: qos, loop: loop)
                let oursRun = {
                    try await Spawn.measure(
                        ours,
                        [
                            "sub", "--url", broker.url, "-i", oursID, "--no-clean", "--session-expiry", "86400", "-q",
                            "\(qos.rawValue)", "-t", filter, "-C", "\(count)",
                        ]
                    )
                }
                let theirsRun = {
                    try await Spawn.measure(
                        mosquittoSub,
                        [
                            "-h", "127.0.0.1", "-p", "\(broker.port)", "-V", "mqttv5", "-i", theirsID, "-c", "-x",
                            "86400", "-q",
                            "\(qos.rawValue)", "-t", filter, "-C", "\(count)",
                        ]
                    )
                }
                let pair: (Measurement, Measurement)
                if run.isMultiple(of: 2) {
                    let o = try await oursRun()
                    pair = (o, try await theirsRun())
                } else {
                    let t = try await theirsRun()
                    pair = (try await oursRun(), t)
                }
                for (name, measurement) in [("ours", pair.0), ("mosquitto_sub", pair.1)] {
                    guard measurement.status == 0 else {
                        throw BenchmarkError("\(name) exited with status \(measurement.status) in run \(run + 1)")
                    }
                    results[name]!.append(measurement)
                }
            }
            var medians: [String: (rate: Double, cpu: Double, rss: Int)] = [:]
            for name in ["ours", "mosquitto_sub"] {
                let samples = results[name]!
                let wall = samples.map(\.wall).sorted()[samples.count / 2]
                let cpu = samples.map(\.cpu).sorted()[samples.count / 2]
                let rss = samples.map(\.peakRSS).sorted()[samples.count / 2]
                medians[name] = (Double(count) / wall, cpu / Double(count), rss)
                print(
                    "\(name.padding(16)) \(qos)  \(format(Int(Double(count) / wall)).leftPadding(12))"
                        + "   \(format(cpu / Double(count) * 1e6, decimals: 2).leftPadding(10))   \(format(rss)) KiB"
                )
            }
            let (o, t) = (medians["ours"]!, medians["mosquitto_sub"]!)
            print(
                "ratio ours/mosquitto_sub, QoS \(qos): rate \(format(o.rate / t.rate, decimals: 2))×, "
                    + "CPU per message \(format(o.cpu / t.cpu, decimals: 2))×, peak RSS \(format(Double(o.rss) / Double(t.rss), decimals: 2))×"
            )
            if idle.isEmpty {
                idle["ours"] = try await idleRSS(
                    ours,
                    ["sub", "--url", broker.url, "-t", "idle/#", "--log-level", "info"],
                    ready: "subscribed"
                )
                // Line-buffered (stdbuf execs it, same process), so its "received SUBACK" shows.
                idle["mosquitto_sub"] = try await idleRSS(
                    try Machine.require("stdbuf", package: "coreutils"),
                    [
                        "-oL", mosquittoSub, "-h", "127.0.0.1", "-p", "\(broker.port)", "-V", "mqttv5", "-t", "idle/#",
                        "-d",
                    ],
                    ready: "SUBACK"
                )
            }
        }
        let (oursIdle, theirsIdle) = (idle["ours"] ?? 0, idle["mosquitto_sub"] ?? 1)
        print(
            "idle RSS (connected, subscribed): ours \(format(oursIdle)) KiB, mosquitto_sub \(format(theirsIdle)) KiB, "
                + "ratio \(format(Double(oursIdle) / Double(theirsIdle), decimals: 2))×"
        )
    }

    /// Creates (or resets the subscription of) a persistent session, then leaves.
    private static func session(_ url: String, id: String, filter: String, qos: QoS, loop: EventLoop) async throws {
        var configuration = ClientConfiguration(url: try BrokerURL(url), clientIdentifier: id)
        configuration.sessionExpiryInterval = 86_400
        configuration.reconnect = nil
        let client = MQTTClient(configuration: configuration, eventLoop: loop)
        try await client.connect()
        try await client.subscribe([Subscription(topicFilter: filter, qos: qos)])
        await client.disconnect()
    }

    /// Publishes `count` 100-byte messages and waits until the broker has them all.
    private static func queue(_ count: Int, url: String, topic: String, qos: QoS, loop: EventLoop) async throws {
        var configuration = ClientConfiguration(url: try BrokerURL(url), clientIdentifier: "bench-publisher")
        configuration.cleanStart = true
        configuration.sessionExpiryInterval = 0
        configuration.reconnect = nil
        let client = MQTTClient(configuration: configuration, eventLoop: loop)
        try await client.connect()
        let payload = ArraySlice((0..<100).map { UInt8(truncatingIfNeeded: 65 + $0 % 26) })
        let message = Message(topic: topic, payload: payload, qos: qos == .atMostOnce ? .atLeastOnce : qos)
        // Publish at QoS 1 either way, so the broker has stored every message before the drain
        // starts; the subscriptions' QoS sets the QoS each subscriber receives at.
        try await withThrowingTaskGroup(of: Void.self) { group in
            let batches = 16
            for batch in 0..<batches {
                group.addTask {
                    for _ in stride(from: batch, to: count, by: batches) { try await client.publish(message) }
                }
            }
            try await group.waitForAll()
        }
        await client.disconnect()
    }

    /// The resident set size of a subscriber once it says it is subscribed.
    private static func idleRSS(_ path: String, _ arguments: [String], ready: String) async throws -> Int {
        let process = try ExternalProcess(path, arguments)
        try await process.waitForLog(containing: ready)
        let rss = Machine.residentKiB(process.pid) ?? 0
        await process.stop()
        return rss
    }
}

extension Mosquitto.Options {
    /// A broker that queues without limit and keeps nothing on disk.
    static var benchmark: Self {
        benchmark(extra: [])
    }

    /// A benchmark broker with `extra` configuration lines (a bridge, say).
    static func benchmark(extra: [String]) -> Self {
        Mosquitto.Options(
            persistence: false,
            extra: [
                "max_queued_messages 0", "max_queued_bytes 0", "queue_qos0_messages true",
                "max_inflight_messages 1000",
            ] + extra
        )
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
