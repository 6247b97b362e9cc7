import ArgumentParsing
import CommandLineSupport
import MQTTCodec

/// `mqtt-discovery decode`: reads MQTT packets as hexadecimal and prints what they hold, or the
/// exact rule each malformed one breaks.
enum DecodeCommand: Command {
    static let protocolVersion = Option<ConnectionOptions.ProtocolChoice>.choice(
        "--protocol",
        help: "Protocol version of the stream (a CONNECT in it switches to its own).",
        default: .v5
    )
    static let maximumPacketSize = Option<Int>.integer(
        "--max-packet-size",
        value: "BYTES",
        help: "Refuse packets larger than this.",
        in: 2...PacketDecoder.protocolMaximumPacketSize,
        default: PacketDecoder.protocolMaximumPacketSize
    )
    static let hex = Option<[String]>.positionals("hex", value: "HEX", help: "Packet bytes in hexadecimal.")

    static let spec = CommandSpec(
        name: "mqtt-discovery decode",
        abstract: "Decode MQTT packets given in hexadecimal and explain any that are malformed.",
        discussion: """
            Reads hex digits (whitespace ignored) from the arguments, or from standard input when there are
            none, and prints one line per packet. A malformed packet is reported with the specification rule
            it breaks, and decoding goes on with the next packet where the stream allows.

            EXAMPLES: mqtt-discovery decode 30 08 00 03 61 2F 62 00 68 69
                      mqtt-discovery decode --protocol 3.1.1 30 07 00 03 61 2F 62 68 69
            """,
        arguments: [protocolVersion.spec, maximumPacketSize.spec, hex.spec]
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let version = try arguments(protocolVersion).version
        let maximum = try arguments(maximumPacketSize)
        var text = try arguments(hex).joined(separator: " ")
        if text.isEmpty {
            while let line = readLine(strippingNewline: false) { text += line }
        }
        let bytes: [UInt8]
        switch HexText.bytes(text) {
        case .success(let parsed): bytes = parsed
        case .failure(let error):
            Console.error("error: \(error)")
            return .dataError
        }

        var decoder = PacketDecoder(version: version, maximumPacketSize: maximum)
        decoder.append(bytes)
        var clean = true
        while true {
            do {
                guard let packet = try decoder.next() else { break }
                Console.out(packet.description)
            } catch {
                Console.error("error: \(error)")
                clean = false
                // After a broken fixed header the stream cannot be followed any further.
                if decoder.hasFailed { break }
            }
        }
        if decoder.bufferedByteCount > 0 {
            Console.error("error: the input ends inside a packet (\(decoder.bufferedByteCount) bytes left over)")
            clean = false
        }
        return clean ? .success : .dataError
    }
}
