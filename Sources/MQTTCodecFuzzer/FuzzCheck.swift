import MQTTCodec

/// What the fuzzer checks for each input, beyond "does not crash or leak":
/// 1. decoding the input in one piece and one byte at a time gives the same packets and the same
///    errors, in both protocol versions;
/// 2. every packet decoded re-encodes, and the bytes decode to the same packet.
/// A violation stops the process with a message, which libFuzzer reports as a crash.
enum FuzzCheck {
    /// One step of decoding: a packet or an error.
    enum Outcome: Equatable {
        case packet(Packet)
        case error(MQTTCodecError)
    }

    static func check(_ bytes: [UInt8]) {
        for version in ProtocolVersion.allCases {
            let whole = decode([bytes], version: version)
            let byteByByte = decode(bytes.map { [$0] }, version: version)
            precondition(whole == byteByByte, "split input decoded differently (\(version))")
            var streamVersion = version
            for outcome in whole {
                guard case .packet(let packet) = outcome else { continue }
                if case .connect(let connect) = packet { streamVersion = connect.protocolVersion }
                roundTrip(packet, version: streamVersion)
            }
        }
    }

    /// Decodes until the input is used up or the stream cannot go on.
    static func decode(_ chunks: [[UInt8]], version: ProtocolVersion) -> [Outcome] {
        var decoder = PacketDecoder(version: version, maximumPacketSize: 1 << 20)
        var outcomes: [Outcome] = []
        for chunk in chunks {
            decoder.append(chunk)
            while true {
                do {
                    guard let packet = try decoder.next() else { break }
                    outcomes.append(.packet(packet))
                } catch {
                    outcomes.append(.error(error))
                    if decoder.hasFailed { return outcomes }
                }
            }
        }
        return outcomes
    }

    static func roundTrip(_ packet: Packet, version: ProtocolVersion) {
        let bytes: [UInt8]
        do {
            bytes = try packet.encoded(version: version)
        } catch {
            preconditionFailure("a decoded packet does not encode: \(error)\n\(packet)")
        }
        var decoder = PacketDecoder(version: version)
        decoder.append(bytes)
        do {
            let again = try decoder.next()
            precondition(again == packet, "round trip changed the packet:\n\(packet)\n\(String(describing: again))")
        } catch {
            preconditionFailure("re-encoded packet does not decode: \(error)\n\(packet)")
        }
    }
}
