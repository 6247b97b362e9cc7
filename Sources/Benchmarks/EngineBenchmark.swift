import ArgumentParsing
import CShims
import Discovery
import MQTTClient
import MQTTCodec
import MQTTSession
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// The discovery engine's throughput and memory: decode → match → identity → liveness.
enum EngineBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench engine",
        abstract: "Discovery engine rate (messages/s, bytes per device) against codec-only decode, and RSS.",
        discussion: """
            Records a stream of PUBLISH packets (QoS 1, 64-byte payloads) from 100,000 devices whose topics
            match one of 100 topic templates (factory/lineN/{device}/telemetry), then times, on one core:
              reference  decoding the stream with PacketDecoder alone
              engine     decoding it and feeding every message to the engine: trie match, device id from
                         the placeholder, silence timeout (devices time out 30 s after their last message;
                         the clock advances 1 µs per message and the engine is ticked every 10,000)
            and prints both rates with their ratio, the median of the runs, and the heap bytes per tracked
            device (glibc mallinfo2 before and after). Then it tracks --devices devices with ids of 24
            bytes and prints the process's resident memory (VmRSS) before and after.
            """,
        arguments: [
            .option("--messages", value: "N", help: "Messages in the recorded stream.", default: "2000000"),
            .option("--stream-devices", value: "N", help: "Devices in the recorded stream.", default: "100000"),
            .option("--devices", value: "N", help: "Devices to track for the memory figure.", default: "1000000"),
            .option("--runs", value: "N", help: "Timed runs of each measurement.", default: "5"),
        ]
    )

    static let details = """
        mqttBrokerUri: tcp://127.0.0.1:1883
        timeoutSeconds: 30
        topics:
        \((0..<100).map { "  - factory/line\($0)/{device}/telemetry" }.joined(separator: "\n"))
        """

    static func run(_ arguments: ParsedArguments) throws {
        let count = try arguments.integer("messages", as: Int.self, in: 1...50_000_000)!
        let deviceCount = try arguments.integer("devices", as: Int.self, in: 1...20_000_000)!
        let runs = try arguments.integer("runs", as: Int.self, in: 1...1_000)!
        let deviceSpread = try arguments.integer("stream-devices", as: Int.self, in: 100...10_000_000)!
        // Memory first, in a process that has done nothing else yet.
        try measureMemory(devices: deviceCount)
        let parsed = try DiscoveryDetails.parse(details).details

        var buffer: [UInt8] = []
        buffer.reserveCapacity(count * 80)
        let payload = ArraySlice((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        for index in 0..<count {
            let device = (index &* 7_919) % deviceSpread
            let publish = PublishPacket(
                topicName: "factory/line\(device % 100)/device-\(device)/telemetry",
                payload: payload,
                qos: .atLeastOnce,
                packetIdentifier: UInt16(index % 65_535 + 1)
            )
            try Packet.publish(publish).encode(version: .v5, into: &buffer)
        }

        let decodeOnly = median(runs) { decodePass(buffer, expected: count) }
        var tracked = 0
        var bytesPerDevice = 0.0
        let engine = median(runs) {
            let before = heapBytes()
            let (seconds, engine) = enginePass(buffer, details: parsed, expected: count)
            bytesPerDevice = Double(heapBytes() - before) / Double(engine.trackedCount)
            tracked = engine.trackedCount
            return seconds
        }
        print(
            "engine: \(format(count)) PUBLISH packets (QoS 1, MQTT 5.0, 64-byte payloads) from \(format(deviceSpread)) devices, "
                + "100 topic templates, median of \(runs) runs, one core"
        )
        let reference = Double(count) / decodeOnly
        let rate = Double(count) / engine
        print(
            "reference  decode only                 "
                + (format(reference / 1e6, decimals: 2) + " M msgs/s").leftPadding(16)
        )
        print(
            "engine     decode+match+id+liveness    " + (format(rate / 1e6, decimals: 2) + " M msgs/s").leftPadding(16)
                + "   \(format(rate / reference, decimals: 2)) × decode only"
        )
        print("           \(format(tracked)) devices tracked, \(format(Int(bytesPerDevice))) heap bytes per device")
    }

    /// Tracks `devices` devices with ids of 24 bytes and prints the resident memory before and after.
    private static func measureMemory(devices deviceCount: Int) throws {
        // Memory with many devices, ids of 24 bytes.
        let baseline = residentKiB()
        var big = DiscoveryEngine(
            details: try DiscoveryDetails.parse(
                "mqttBrokerUri: tcp://127.0.0.1:1883\ntopics: [\"fleet/+/up\"]\n"
            ).details
        )
        var changes: [DeviceChange] = []
        var now = Instant(nanoseconds: 1_000_000_000)
        let payloadBytes: [UInt8] = [1]
        for index in 0..<deviceCount {
            // "fleet/" + 24-character id + "/up"
            let id = "dev-" + String(index).leftPadding(20).replacing(" ", with: "0")
            big.received(
                topic: "fleet/\(id)/up",
                payload: payloadBytes[...],
                retain: false,
                from: 0,
                now: now,
                into: &changes
            )
            changes.removeAll(keepingCapacity: true)
            now = Instant(nanoseconds: now.nanoseconds + 100)
        }
        let loaded = residentKiB()
        precondition(big.trackedCount == deviceCount)
        print(
            "memory     \(format(deviceCount)) devices (24-byte ids): RSS \(format(Double(baseline) / 1024, decimals: 1)) MiB "
                + "→ \(format(Double(loaded) / 1024, decimals: 1)) MiB, "
                + "\(format(Int(Double(loaded - baseline) * 1024 / Double(deviceCount)))) bytes per device"
        )
        blackHole(big.trackedCount)
    }

    private static func decodePass(_ buffer: [UInt8], expected: Int) -> Double {
        var decoder = PacketDecoder(version: .v5)
        var decoded = 0
        var checksum = 0
        let start = ContinuousClock.now
        decoder.append(buffer)
        while case .publish(let publish)? = try? decoder.next() {
            checksum &+= publish.topicUTF8.count &+ publish.payload.count
            decoded += 1
        }
        let elapsed = seconds(ContinuousClock.now - start)
        precondition(decoded == expected, "decoded \(decoded) of \(expected)")
        blackHole(checksum)
        return elapsed
    }

    private static func enginePass(
        _ buffer: [UInt8],
        details: DiscoveryDetails,
        expected: Int
    ) -> (Double, DiscoveryEngine) {
        var engine = DiscoveryEngine(details: details)
        var decoder = PacketDecoder(version: .v5)
        var changes: [DeviceChange] = []
        changes.reserveCapacity(100_000)
        var now = Instant(nanoseconds: 1_000_000_000)
        var decoded = 0
        var added = 0
        let start = ContinuousClock.now
        decoder.append(buffer)
        while case .publish(let publish)? = try? decoder.next() {
            engine.received(
                topicUTF8: publish.topicUTF8,
                payload: publish.payload,
                retain: publish.retain,
                from: 0,
                now: now,
                into: &changes
            )
            decoded += 1
            now = Instant(nanoseconds: now.nanoseconds + 1_000)
            if decoded % 10_000 == 0 {
                engine.tick(now: now, into: &changes)
                added += changes.count
                changes.removeAll(keepingCapacity: true)
            }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        precondition(decoded == expected, "decoded \(decoded) of \(expected)")
        blackHole(added + changes.count)
        return (elapsed, engine)
    }

    private static func heapBytes() -> Int {
        Int(cshims_heap_bytes_in_use())
    }

    private static func residentKiB() -> Int {
        Machine.residentKiB(getpid()) ?? 0
    }
}
