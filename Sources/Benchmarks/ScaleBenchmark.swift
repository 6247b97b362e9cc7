import AgentProtocol
import AgentService
import ArgumentParsing
import Foundation
import IO
import Synchronization
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// How long a fleet of N devices takes to be known, and what it costs: ours against the broker's
/// own delivery of the same messages.
enum ScaleBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench scale",
        abstract: "Time until N devices are instances, and handler and agent memory, against mosquitto_sub.",
        discussion: """
            Starts mosquitto on a loopback port. For each N: the reference first, `mosquitto_sub -q 1 -C N`
            subscribed to r<N>/+/t, timed from the first publish until it has received N messages; then ours,
            `mqtt-discovery handler` and `mqtt-discovery agent` (separate processes, talking gRPC over their
            Unix sockets, as they choose by default) with a Configuration for s<N>/{device}/t and a watcher on the agent's socket, timed from
            the first publish until the watcher has N instances. The publisher is the same both times:
            `mqtt-discovery pub --numbered --repeat N -q 1`, one message per device. Then the handler's and the
            agent's resident memory, and the bytes per device over both processes beyond their idle size.
            Last, every device goes silent: the time from the last device's deadline (its instance's arrival
            plus the timeout) until the watcher has seen every removal. Target: ours within 1.5x of the
            reference at every N; under 600 bytes per device; every removal within 2 s of the deadline.
            """,
        arguments: [
            .option(
                "--devices",
                value: "N,N,...",
                help: "Fleet sizes, comma-separated.",
                default: "10000,100000,1000000"
            ),
            .option(
                "--timeout",
                value: "SECONDS",
                help: "The devices' silence timeout (longer than the fleet takes to arrive, or the first go early).",
                default: "120"
            ),
            OurBinary.option,
        ]
    )

    static func run(_ arguments: ParsedArguments) async throws {
        let sizes = try (arguments.value("devices") ?? "").split(separator: ",").map { text in
            guard let size = Int(text), (1...10_000_000).contains(size) else {
                throw BenchmarkError("--devices takes sizes from 1 to 10,000,000, not \(text)")
            }
            return size
        }
        let timeout = try arguments.integer("timeout", as: Int.self, in: 1...3_600)!
        let ours = try OurBinary.path(arguments)
        let mosquittoSub = try Machine.require("mosquitto_sub", package: "mosquitto-clients")
        let broker = try await Mosquitto(.benchmark(extra: ["log_type subscribe"]))
        let loop = try EventLoop(name: "bench")
        defer { loop.shutdown() }

        print("scale: one QoS 1 message per device from `mqtt-discovery pub --numbered`, mosquitto on loopback")
        print(
            "devices     reference   ours       ratio  handler RSS  agent RSS   B/device  removals after deadline"
        )
        for size in sizes {
            let reference = try await referenceTime(size, broker: broker, mosquittoSub: mosquittoSub, ours: ours)
            let result = try await oursRun(size, timeout: timeout, broker: broker, binary: ours, loop: loop)
            let ratio = seconds(result.converged) / seconds(reference)
            let line =
                pad(format(size), 10) + "  " + pad(String(format: "%.2f s", seconds(reference)), 10)
                + "  " + pad(String(format: "%.2f s", seconds(result.converged)), 9) + "  "
                + pad(String(format: "%.2f", ratio), 5) + "  " + pad(mebibytes(result.handlerKiB), 11) + "  "
                + pad(mebibytes(result.agentKiB), 10) + "  " + pad("\(result.bytesPerDevice)", 8) + "  "
                + String(format: "%.2f s", seconds(result.removalLag))
            print(line)
        }
        print(
            "targets: ratio ≤ 1.5 at every N; under 600 B per device at 1,000,000; removals within 2 s of the deadline"
        )
        await broker.stop()
    }

    /// The broker's own delivery: from the first publish until mosquitto_sub has N messages.
    private static func referenceTime(
        _ size: Int,
        broker: Mosquitto,
        mosquittoSub: String,
        ours: String
    ) async throws -> Duration {
        let filter = "r\(size)/+/t"
        let subscriber = Task {
            try await Spawn.measure(
                mosquittoSub,
                [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-i", "bench-ref-\(size)", "-q", "1", "-t", filter, "-C",
                    "\(size)",
                ]
            )
        }
        try await broker.waitForLog(containing: " \(filter)")
        let start = ContinuousClock.now
        try await publish(size, topic: "r\(size)/dev{n}/t", broker: broker, binary: ours)
        let received = try await subscriber.value
        guard received.status == 0 else { throw BenchmarkError("mosquitto_sub exited \(received.status)") }
        return received.ended - start
    }

    struct Result {
        var converged: Duration
        var handlerKiB: Int
        var agentKiB: Int
        var bytesPerDevice: Int
        var removalLag: Duration
    }

    /// Ours: from the first publish until a watcher has N instances; then every device's silence.
    private static func oursRun(
        _ size: Int,
        timeout: Int,
        broker: Mosquitto,
        binary: String,
        loop: EventLoop
    ) async throws -> Result {
        let directory = try TemporaryDirectory(prefix: "scale")
        let configuration = try directory.writeConfiguration(
            "scale.yaml",
            name: "scale-\(size)",
            details: """
                mqttBrokerUri: \(broker.url)
                topics:
                  - {filter: "s\(size)/{device}/t", timeoutSeconds: \(timeout)}
                """
        )
        let handler = try ExternalProcess(
            binary,
            ["handler", "--directory", directory.path, "--log-level", "info"],
            separateStandardError: true
        )
        let agent = try ExternalProcess(
            binary,
            ["agent", "--directory", directory.path, "-c", configuration, "--log-level", "warning"],
            separateStandardError: true
        )
        defer {
            agent.terminate()
            handler.terminate()
        }
        try await handler.waitForLog(containing: "subscribed broker=", timeout: .seconds(60))
        let tally = Tally()
        let watcher = WatchClient.watch(
            socket: "\(directory.path)/agent-registration.sock",
            on: loop,
            onEvent: { tally.record($0.kind) },
            onEnd: { _ in tally.ended() }
        )
        defer { loop.execute { watcher.close() } }
        guard await tally.wait(until: { $0.synced }, timeout: .seconds(60)) != nil else {
            throw BenchmarkError("the agent did not sync a watcher")
        }
        let idle = (Machine.residentKiB(handler.pid) ?? 0, Machine.residentKiB(agent.pid) ?? 0)
        let start = ContinuousClock.now
        try await publish(size, topic: "s\(size)/dev{n}/t", broker: broker, binary: binary)
        guard let converged = await tally.wait(until: { $0.added >= size }, timeout: .seconds(600)) else {
            throw BenchmarkError("only \(tally.live) of \(size) instances after 10 minutes")
        }
        guard tally.live == size else {
            throw BenchmarkError("devices timed out before the last arrived: raise --timeout (\(timeout) s)")
        }
        let handlerKiB = Machine.residentKiB(handler.pid) ?? 0
        let agentKiB = Machine.residentKiB(agent.pid) ?? 0
        let perDevice = max(0, (handlerKiB - idle.0) + (agentKiB - idle.1)) * 1_024 / size
        // The last device's deadline: its instance's arrival plus the timeout (its message reached
        // the handler a little before: this errs against us).
        let deadline = converged + .seconds(timeout)
        guard let gone = await tally.wait(until: { $0.live == 0 }, timeout: .seconds(timeout + 600)) else {
            throw BenchmarkError("\(tally.live) instances left \(timeout + 600) s after their last message")
        }
        return Result(
            converged: converged - start,
            handlerKiB: handlerKiB,
            agentKiB: agentKiB,
            bytesPerDevice: perDevice,
            removalLag: gone - deadline
        )
    }

    /// `mqtt-discovery pub`: one QoS 1 message on each of N numbered topics, acknowledged.
    private static func publish(_ size: Int, topic: String, broker: Mosquitto, binary: String) async throws {
        let published = try await Spawn.measure(
            binary,
            ["pub", "--url", broker.url, "-t", topic, "-m", "1", "-q", "1", "--repeat", "\(size)", "--numbered"]
        )
        guard published.status == 0 else { throw BenchmarkError("pub exited \(published.status)") }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func mebibytes(_ kibibytes: Int) -> String {
        String(format: "%.1f MiB", Double(kibibytes) / 1_024)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// A watcher's count of live instances, and waiting for it to reach a state.
final class Tally: Sendable {
    struct State {
        var live = 0
        /// Every ADDED so far.
        var added = 0
        var synced = false
        var over = false
        var waiters:
            [(until: @Sendable (State) -> Bool, continuation: CheckedContinuation<ContinuousClock.Instant?, Never>)] =
                []
    }

    private let state = Mutex(State())

    var live: Int { state.withLock { $0.live } }

    /// An event from the agent.
    func record(_ kind: InstanceEvent.Kind) {
        update { state in
            switch kind {
            case .added:
                state.live += 1
                state.added += 1
            case .removed: state.live -= 1
            case .synced: state.synced = true
            default: break
            }
        }
    }

    /// The watch ended: every waiter gives up.
    func ended() {
        update { $0.over = true }
    }

    private func update(_ change: (inout State) -> Void) {
        let now = ContinuousClock.now
        let ready = state.withLock { state -> [CheckedContinuation<ContinuousClock.Instant?, Never>] in
            change(&state)
            let snapshot = state
            let (done, waiting) = (
                state.waiters.filter { snapshot.over || $0.until(snapshot) },
                state.waiters.filter { !snapshot.over && !$0.until(snapshot) }
            )
            state.waiters = waiting
            return done.map(\.continuation)
        }
        let over = state.withLock { $0.over }
        for continuation in ready { continuation.resume(returning: over ? nil : now) }
    }

    /// When the count first satisfied `until` (now, if it already does), or nil after `timeout`
    /// or when the watch ends.
    func wait(until: @escaping @Sendable (State) -> Bool, timeout: Duration) async -> ContinuousClock.Instant? {
        let expiry = Task {
            try await Task.sleep(for: timeout)
            self.ended()
        }
        defer { expiry.cancel() }
        return await withCheckedContinuation { continuation in
            let now = ContinuousClock.now
            let immediate = state.withLock { state -> ContinuousClock.Instant?? in
                if state.over { return .some(nil) }
                if until(state) { return .some(now) }
                state.waiters.append((until, continuation))
                return .none
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }
}
