import ArgumentParsing
import MQTTCodec

/// `mqtt-discovery decode`: reads MQTT packets as hexadecimal and prints what they hold, or the
/// exact rule each malformed one breaks.
enum DecodeCommand: Command {
    enum ProtocolChoice: String, CaseIterable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

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
        arguments: [
            .option(
                "--protocol",
                value: "3.1.1|5",
                help: "Protocol version of the stream (a CONNECT in it switches to its own).",
                default: "5"
            ),
            .option("--max-packet-size", value: "BYTES", help: "Refuse packets larger than this."),
            .positional("hex", value: "HEX", help: "Packet bytes in hexadecimal.", repeatable: true),
        ]
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let version: ProtocolVersion = try arguments.choice("protocol", as: ProtocolChoice.self) == .v311 ? .v311 : .v5
        let maximum =
            try arguments.integer("max-packet-size", as: Int.self, in: 2...PacketDecoder.protocolMaximumPacketSize)
            ?? PacketDecoder.protocolMaximumPacketSize

        var text = arguments.values("hex").joined(separator: " ")
        if arguments.values("hex").isEmpty {
            while let line = readLine(strippingNewline: false) { text += line }
        }
        let bytes: [UInt8]
        switch parseHex(text) {
        case .success(let parsed): bytes = parsed
        case .failure(let message):
            Console.error("error: \(message)")
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

    enum HexParse {
        case success([UInt8])
        case failure(String)
    }

    static func parseHex(_ text: String) -> HexParse {
        var bytes: [UInt8] = []
        var high: UInt8?
        for (offset, character) in text.enumerated() where !character.isWhitespace {
            guard let digit = character.hexDigitValue else {
                return .failure("'\(character)' at character \(offset + 1) is not a hexadecimal digit")
            }
            if let first = high {
                bytes.append(first << 4 | UInt8(digit))
                high = nil
            } else {
                high = UInt8(digit)
            }
        }
        if high != nil { return .failure("odd number of hexadecimal digits") }
        return .success(bytes)
    }
}
