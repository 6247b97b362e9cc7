import ArgumentParsing
import MQTTCodec

/// Decodes a large buffer of PUBLISH packets and compares the rate with copying the same bytes.
enum CodecBenchmark {
    static let spec = CommandSpec(
        name: "mqtt-discovery-bench codec",
        abstract: "PUBLISH decode rate (packets/s, MB/s) against memcpy of the same buffer.",
        discussion: """
            Builds a buffer of PUBLISH packets like a discovery handler receives (QoS 1, a packet identifier,
            topics of four levels over 100,000 devices), then times, on one core:
              reference  copying the whole buffer with memcpy
              decode     PacketDecoder over the buffer in one piece, and in 64 KiB reads as a socket
                         delivers them (the split reads are prepared before timing)
            Every decoded topic and payload is touched so nothing is optimised away. The median of the
            runs is printed.
            """,
        arguments: [
            .option("--packets", value: "N", help: "Packets in the buffer.", default: "1000000"),
            .option("--payload", value: "BYTES", help: "Payload size of each packet.", default: "64"),
            .option("--runs", value: "N", help: "Timed runs of each measurement.", default: "7"),
            .option("--protocol", value: "3.1.1|5", help: "Protocol version.", default: "5"),
        ]
    )

    static func run(_ arguments: ParsedArguments) throws {
        let count = try arguments.integer("packets", as: Int.self, in: 1...50_000_000)!
        let payloadSize = try arguments.integer("payload", as: Int.self, in: 0...1_000_000)!
        let runs = try arguments.integer("runs", as: Int.self, in: 1...1_000)!
        let version: ProtocolVersion = arguments.value("protocol") == "3.1.1" ? .v311 : .v5

        let buffer = try makeBuffer(packets: count, payloadSize: payloadSize, version: version)
        let megabytes = Double(buffer.count) / 1_000_000
        let chunks = stride(from: 0, to: buffer.count, by: 65_536).map {
            Array(buffer[$0..<min(buffer.count, $0 + 65_536)])
        }

        let copy = median(runs) { memcpyPass(buffer) }
        let whole = median(runs) { decodePass([buffer], version: version, expected: count) }
        let split = median(runs) { decodePass(chunks, version: version, expected: count) }

        print(
            "codec: \(format(count)) PUBLISH packets (QoS 1, MQTT \(version), \(payloadSize)-byte payloads), "
                + "\(format(megabytes, decimals: 1)) MB, median of \(runs) runs, one core"
        )
        let copyRate = megabytes / copy
        print(row("reference", "memcpy of the same buffer", packets: Double(count) / copy, megabytes: copyRate))
        for (label, seconds) in [("whole buffer", whole), ("64 KiB reads", split)] {
            let rate = megabytes / seconds
            print(
                row("decode", label, packets: Double(count) / seconds, megabytes: rate)
                    + "   \(format(rate / copyRate, decimals: 3)) × memcpy"
            )
        }
    }

    private static func makeBuffer(packets: Int, payloadSize: Int, version: ProtocolVersion) throws -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(packets * (payloadSize + 48))
        let payload = ArraySlice((0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        for index in 0..<packets {
            let device = index % 100_000
            let publish = PublishPacket(
                topicName: "factory/line\(device % 100)/device\(device)/telemetry",
                payload: payload,
                qos: .atLeastOnce,
                packetIdentifier: UInt16(index % 65_535 + 1)
            )
            try Packet.publish(publish).encode(version: version, into: &buffer)
        }
        return buffer
    }

    /// Copies the buffer once with memcpy; returns the seconds taken.
    private static func memcpyPass(_ buffer: [UInt8]) -> Double {
        var target = [UInt8](repeating: 0, count: buffer.count)
        let start = ContinuousClock.now
        target.withUnsafeMutableBytes { destination in
            buffer.withUnsafeBytes { source in destination.copyMemory(from: source) }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        blackHole(Int(target[target.count / 2]))
        return elapsed
    }

    /// Decodes every packet from `chunks`; returns the seconds taken.
    private static func decodePass(_ chunks: [[UInt8]], version: ProtocolVersion, expected: Int) -> Double {
        var decoder = PacketDecoder(version: version)
        var decoded = 0
        var checksum = 0
        let start = ContinuousClock.now
        do {
            for chunk in chunks {
                decoder.append(chunk)
                while let packet = try decoder.next() {
                    if case .publish(let publish) = packet {
                        checksum &+= publish.topicUTF8.count &+ publish.payload.count
                    }
                    decoded += 1
                }
            }
        } catch {
            fatalError("benchmark buffer failed to decode: \(error)")
        }
        let elapsed = seconds(ContinuousClock.now - start)
        precondition(decoded == expected, "decoded \(decoded) of \(expected) packets")
        blackHole(checksum)
        return elapsed
    }
}

// MARK: - Measurement helpers

func median(_ runs: Int, _ measure: () -> Double) -> Double {
    let samples = (0..<runs).map { _ in measure() }.sorted()
    return samples[samples.count / 2]
}

func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@inline(never)
func blackHole(_ value: Int) {
    if value == 0x7FFF_FFFF_FFFF_FFF1 { print("") }
}

func format(_ value: Int) -> String {
    var digits = String(value)
    var result = ""
    while digits.count > 3 {
        result = "," + digits.suffix(3) + result
        digits.removeLast(3)
    }
    return digits + result
}

func format(_ value: Double, decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let fraction = text[text.index(after: dot)...]
        if fraction.count < decimals { text += String(repeating: "0", count: decimals - fraction.count) }
    } else if decimals > 0 {
        text += "." + String(repeating: "0", count: decimals)
    }
    return text
}

func row(_ kind: String, _ label: String, packets: Double, megabytes: Double) -> String {
    let kindColumn = kind.padding(10)
    let labelColumn = label.padding(28)
    let packetColumn = (format(packets / 1e6, decimals: 2) + " M packets/s").leftPadding(18)
    let byteColumn = (format(megabytes, decimals: 1) + " MB/s").leftPadding(14)
    return "\(kindColumn) \(labelColumn) \(packetColumn) \(byteColumn)"
}

extension String {
    func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }

    func leftPadding(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
