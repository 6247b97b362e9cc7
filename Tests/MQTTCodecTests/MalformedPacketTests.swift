import MQTTCodec
import Testing

/// A malformed input and the exact error it must produce.
struct Malformed: CustomTestStringConvertible, Sendable {
    let name: String
    let version: ProtocolVersion
    let bytes: [UInt8]
    let problem: MQTTCodecError.Problem
    let packet: PacketType?
    let field: String
    /// The normative statement the error cites, or `§section` where the rule has no number.
    let rule: String

    var testDescription: String { "\(version) \(name)" }
}

extension MQTTCodecError {
    /// The statement number, or the section when the rule has none.
    var rule: String {
        reference.statement ?? "§\(reference.section)"
    }
}

@Suite("Malformed input: each violation gives its own error")
struct MalformedPacketTests {
    static let cases: [Malformed] = [
        // MARK: Fixed header
        Malformed(
            name: "packet type 0",
            version: .v5,
            bytes: hex("00 00"),
            problem: .reservedPacketType(0),
            packet: nil,
            field: "Packet Type",
            rule: "§2.1.2"
        ),
        Malformed(
            name: "AUTH does not exist in 3.1.1",
            version: .v311,
            bytes: hex("F0 00"),
            problem: .reservedPacketType(15),
            packet: nil,
            field: "Packet Type",
            rule: "§2.2.1"
        ),
        Malformed(
            name: "SUBSCRIBE with flags 0000",
            version: .v5,
            bytes: hex("80 00"),
            problem: .invalidFlags(0),
            packet: .subscribe,
            field: "Flags",
            rule: "MQTT-2.1.3-1"
        ),
        Malformed(
            name: "PUBREL with flags 0000",
            version: .v311,
            bytes: hex("60 02 00 01"),
            problem: .invalidFlags(0),
            packet: .pubrel,
            field: "Flags",
            rule: "MQTT-2.2.2-1"
        ),
        Malformed(
            name: "PINGREQ with a flag set",
            version: .v5,
            bytes: hex("C1 00"),
            problem: .invalidFlags(1),
            packet: .pingreq,
            field: "Flags",
            rule: "MQTT-2.1.3-1"
        ),
        Malformed(
            name: "remaining length of five bytes",
            version: .v5,
            bytes: hex("30 FF FF FF FF 7F"),
            problem: .variableByteIntegerTooLong,
            packet: .publish,
            field: "Remaining Length",
            rule: "§2.1.4"
        ),
        Malformed(
            name: "remaining length not minimal",
            version: .v5,
            bytes: hex("C0 80 00"),
            problem: .variableByteIntegerNotMinimal,
            packet: .pingreq,
            field: "Remaining Length",
            rule: "MQTT-1.5.5-1"
        ),
        Malformed(
            name: "PUBLISH QoS 3",
            version: .v5,
            bytes: hex("36 05 00 01 74 00 01"),
            problem: .invalidQoS(3),
            packet: .publish,
            field: "QoS",
            rule: "MQTT-3.3.1-4"
        ),
        Malformed(
            name: "DUP on QoS 0",
            version: .v311,
            bytes: hex("38 03 00 01 74"),
            problem: .duplicateFlagWithQoS0,
            packet: .publish,
            field: "DUP",
            rule: "MQTT-3.3.1-2"
        ),

        // MARK: Lengths
        Malformed(
            name: "string longer than the packet",
            version: .v311,
            bytes: hex("30 04 00 0A 61 62"),
            problem: .truncated(needed: 10, available: 2),
            packet: .publish,
            field: "Topic Name",
            rule: "§2.2.3"
        ),
        Malformed(
            name: "PINGREQ with a body",
            version: .v5,
            bytes: hex("C0 01 00"),
            problem: .trailingBytes(1),
            packet: .pingreq,
            field: "Remaining Length",
            rule: "§2.1.4"
        ),
        Malformed(
            name: "PUBACK with a reason code in 3.1.1",
            version: .v311,
            bytes: hex("40 03 00 01 00"),
            problem: .trailingBytes(1),
            packet: .puback,
            field: "Remaining Length",
            rule: "§2.2.3"
        ),
        Malformed(
            name: "property length past the end",
            version: .v5,
            bytes: hex("30 05 00 01 74 09 01"),
            problem: .truncated(needed: 9, available: 1),
            packet: .publish,
            field: "Property Length",
            rule: "§2.1.4"
        ),

        // MARK: Packet identifiers
        Malformed(
            name: "PUBLISH QoS 1 with packet identifier 0",
            version: .v311,
            bytes: hex("32 05 00 01 74 00 00"),
            problem: .zeroPacketIdentifier,
            packet: .publish,
            field: "Packet Identifier",
            rule: "MQTT-2.3.1-1"
        ),
        Malformed(
            name: "PUBLISH QoS 2 with packet identifier 0",
            version: .v5,
            bytes: hex("34 06 00 01 74 00 00 00"),
            problem: .zeroPacketIdentifier,
            packet: .publish,
            field: "Packet Identifier",
            rule: "MQTT-2.2.1-3"
        ),
        Malformed(
            name: "PUBACK with packet identifier 0",
            version: .v5,
            bytes: hex("40 02 00 00"),
            problem: .zeroPacketIdentifier,
            packet: .puback,
            field: "Packet Identifier",
            rule: "MQTT-2.2.1-3"
        ),
        Malformed(
            name: "SUBSCRIBE with packet identifier 0",
            version: .v311,
            bytes: hex("82 06 00 00 00 01 61 00"),
            problem: .zeroPacketIdentifier,
            packet: .subscribe,
            field: "Packet Identifier",
            rule: "MQTT-2.3.1-1"
        ),

        // MARK: UTF-8
        Malformed(
            name: "ill-formed UTF-8 in a topic",
            version: .v5,
            bytes: hex("30 05 00 02 C3 28 00"),
            problem: .invalidUTF8,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-1.5.4-1"
        ),
        Malformed(
            name: "a surrogate code point in a topic",
            version: .v311,
            bytes: hex("30 05 00 03 ED A0 80"),
            problem: .invalidUTF8,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-1.5.3-1"
        ),
        Malformed(
            name: "an overlong encoding of U+0000",
            version: .v311,
            bytes: hex("30 04 00 02 C0 80"),
            problem: .invalidUTF8,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-1.5.3-1"
        ),
        Malformed(
            name: "U+0000 in a topic",
            version: .v311,
            bytes: hex("30 05 00 03 61 00 62"),
            problem: .nullCharacter,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-1.5.3-2"
        ),
        Malformed(
            name: "U+0000 in a client identifier",
            version: .v5,
            bytes: hex("10 0E 00 04 4D 51 54 54 05 02 00 0A 00 00 01 00"),
            problem: .nullCharacter,
            packet: .connect,
            field: "Client Identifier",
            rule: "MQTT-1.5.4-2"
        ),
        Malformed(
            name: "ill-formed UTF-8 in a user property",
            version: .v5,
            bytes: hex("30 0B 00 01 74 07 26 00 01 FF 00 01 76"),
            problem: .invalidUTF8,
            packet: .publish,
            field: "User Property",
            rule: "MQTT-1.5.4-1"
        ),

        // MARK: Topics
        Malformed(
            name: "'+' in a topic name",
            version: .v311,
            bytes: hex("30 05 00 03 61 2F 2B"),
            problem: .wildcardInTopicName,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-3.3.2-2"
        ),
        Malformed(
            name: "'#' in a topic name",
            version: .v5,
            bytes: hex("30 04 00 01 23 00"),
            problem: .wildcardInTopicName,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-3.3.2-2"
        ),
        Malformed(
            name: "empty topic name",
            version: .v311,
            bytes: hex("30 02 00 00"),
            problem: .emptyTopic,
            packet: .publish,
            field: "Topic Name",
            rule: "MQTT-4.7.3-1"
        ),
        Malformed(
            name: "empty topic name without a topic alias",
            version: .v5,
            bytes: hex("30 03 00 00 00"),
            problem: .emptyTopic,
            packet: .publish,
            field: "Topic Name",
            rule: "§3.3.2.3.4"
        ),
        Malformed(
            name: "wildcard in a will topic",
            version: .v311,
            bytes: hex("10 13 00 04 4D 51 54 54 04 06 00 0A 00 01 63 00 01 23 00 01 78"),
            problem: .wildcardInTopicName,
            packet: .connect,
            field: "Will Topic",
            rule: "MQTT-4.7.1-1"
        ),
        Malformed(
            name: "wildcard in a response topic",
            version: .v5,
            bytes: hex("30 08 00 01 74 04 08 00 01 23"),
            problem: .wildcardInTopicName,
            packet: .publish,
            field: "Response Topic",
            rule: "MQTT-3.3.2-14"
        ),
        Malformed(
            name: "'#' in the middle of a filter",
            version: .v311,
            bytes: hex("82 0A 00 01 00 05 61 2F 23 2F 62 00"),
            problem: .invalidTopicFilter("'#' must be the last level and stand alone in it"),
            packet: .subscribe,
            field: "Topic Filter",
            rule: "MQTT-4.7.1-2"
        ),
        Malformed(
            name: "'#' sharing a level",
            version: .v5,
            bytes: hex("82 08 00 01 00 00 02 61 23 00"),
            problem: .invalidTopicFilter("'#' must be the last level and stand alone in it"),
            packet: .subscribe,
            field: "Topic Filter",
            rule: "MQTT-4.7.1-1"
        ),
        Malformed(
            name: "'+' sharing a level",
            version: .v5,
            bytes: hex("82 08 00 01 00 00 02 61 2B 01"),
            problem: .invalidTopicFilter("'+' must occupy a whole level"),
            packet: .subscribe,
            field: "Topic Filter",
            rule: "MQTT-4.7.1-2"
        ),
        Malformed(
            name: "'+' sharing a level in UNSUBSCRIBE",
            version: .v311,
            bytes: hex("A2 06 00 01 00 02 2B 61"),
            problem: .invalidTopicFilter("'+' must occupy a whole level"),
            packet: .unsubscribe,
            field: "Topic Filter",
            rule: "MQTT-4.7.1-3"
        ),
        Malformed(
            name: "shared subscription with an empty share name",
            version: .v5,
            bytes: hex("82 0F 00 01 00 00 09 24 73 68 61 72 65 2F 2F 61 00"),
            problem: .invalidTopicFilter("a shared subscription needs a share name followed by '/' and a filter"),
            packet: .subscribe,
            field: "Topic Filter",
            rule: "MQTT-4.8.2-2"
        ),

        // MARK: SUBSCRIBE and UNSUBSCRIBE payloads
        Malformed(
            name: "SUBSCRIBE without filters",
            version: .v311,
            bytes: hex("82 02 00 01"),
            problem: .noTopicFilters,
            packet: .subscribe,
            field: "Topic Filter",
            rule: "MQTT-3.8.3-3"
        ),
        Malformed(
            name: "UNSUBSCRIBE without filters",
            version: .v5,
            bytes: hex("A2 03 00 01 00"),
            problem: .noTopicFilters,
            packet: .unsubscribe,
            field: "Topic Filter",
            rule: "MQTT-3.10.3-2"
        ),
        Malformed(
            name: "reserved bits in a 3.1.1 requested QoS",
            version: .v311,
            bytes: hex("82 06 00 01 00 01 61 04"),
            problem: .reservedBitsSet(0x04),
            packet: .subscribe,
            field: "Subscription Options",
            rule: "MQTT-3-8.3-4"
        ),
        Malformed(
            name: "reserved bits in 5.0 subscription options",
            version: .v5,
            bytes: hex("82 07 00 01 00 00 01 61 40"),
            problem: .reservedBitsSet(0x40),
            packet: .subscribe,
            field: "Subscription Options",
            rule: "MQTT-3.8.3-5"
        ),
        Malformed(
            name: "requested QoS 3 in 3.1.1",
            version: .v311,
            bytes: hex("82 06 00 01 00 01 61 03"),
            problem: .invalidQoS(3),
            packet: .subscribe,
            field: "Subscription Options",
            rule: "MQTT-3-8.3-4"
        ),
        Malformed(
            name: "requested QoS 3",
            version: .v5,
            bytes: hex("82 07 00 01 00 00 01 61 03"),
            problem: .invalidQoS(3),
            packet: .subscribe,
            field: "Subscription Options",
            rule: "§3.8.3.1"
        ),
        Malformed(
            name: "Retain Handling 3",
            version: .v5,
            bytes: hex("82 07 00 01 00 00 01 61 30"),
            problem: .invalidRetainHandling(3),
            packet: .subscribe,
            field: "Subscription Options",
            rule: "§3.8.3.1"
        ),
        Malformed(
            name: "No Local on a shared subscription",
            version: .v5,
            bytes: hex("82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 04"),
            problem: .noLocalOnSharedSubscription,
            packet: .subscribe,
            field: "Subscription Options",
            rule: "MQTT-3.8.3-4"
        ),

        // MARK: Properties
        Malformed(
            name: "a property given twice",
            version: .v5,
            bytes: hex("30 08 00 01 74 04 01 01 01 01"),
            problem: .duplicateProperty,
            packet: .publish,
            field: "Payload Format Indicator",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "two subscription identifiers in SUBSCRIBE",
            version: .v5,
            bytes: hex("82 0A 00 01 04 0B 01 0B 02 00 01 61 00"),
            problem: .duplicateProperty,
            packet: .subscribe,
            field: "Subscription Identifier",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "a CONNECT property in PUBLISH",
            version: .v5,
            bytes: hex("30 09 00 01 74 05 11 00 00 00 01"),
            problem: .propertyNotAllowed,
            packet: .publish,
            field: "Session Expiry Interval",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Will Delay Interval in CONNECT properties",
            version: .v5,
            bytes: hex("10 12 00 04 4D 51 54 54 05 02 00 0A 05 18 00 00 00 01 00 01 63"),
            problem: .propertyNotAllowed,
            packet: .connect,
            field: "Will Delay Interval",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "an undefined property identifier",
            version: .v5,
            bytes: hex("30 06 00 01 74 02 05 00"),
            problem: .unknownProperty(5),
            packet: .publish,
            field: "Property Identifier",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Receive Maximum 0",
            version: .v5,
            bytes: hex("20 06 00 00 03 21 00 00"),
            problem: .invalidPropertyValue(0),
            packet: .connack,
            field: "Receive Maximum",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Topic Alias 0",
            version: .v5,
            bytes: hex("30 07 00 01 74 03 23 00 00"),
            problem: .invalidPropertyValue(0),
            packet: .publish,
            field: "Topic Alias",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Subscription Identifier 0",
            version: .v5,
            bytes: hex("82 09 00 01 02 0B 00 00 01 61 00"),
            problem: .invalidPropertyValue(0),
            packet: .subscribe,
            field: "Subscription Identifier",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Retain Available 2",
            version: .v5,
            bytes: hex("20 05 00 00 02 25 02"),
            problem: .invalidPropertyValue(2),
            packet: .connack,
            field: "Retain Available",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Maximum QoS 2",
            version: .v5,
            bytes: hex("20 05 00 00 02 24 02"),
            problem: .invalidPropertyValue(2),
            packet: .connack,
            field: "Maximum QoS",
            rule: "§2.2.2.2"
        ),
        Malformed(
            name: "Authentication Data without a method",
            version: .v5,
            bytes: hex("F0 06 18 04 16 00 01 01"),
            problem: .authenticationDataWithoutMethod,
            packet: .auth,
            field: "Authentication Data",
            rule: "§3.1.2.11.10"
        ),

        // MARK: CONNECT
        Malformed(
            name: "CONNECT reserved flag",
            version: .v311,
            bytes: hex("10 0D 00 04 4D 51 54 54 04 01 00 0A 00 01 63"),
            problem: .reservedBitsSet(0x01),
            packet: .connect,
            field: "Connect Flags",
            rule: "MQTT-3.1.2-3"
        ),
        Malformed(
            name: "MQTT 3.1 protocol name",
            version: .v311,
            bytes: hex("10 0F 00 06 4D 51 49 73 64 70 03 02 00 0A 00 01 63"),
            problem: .invalidProtocolName("MQIsdp"),
            packet: .connect,
            field: "Protocol Name",
            rule: "MQTT-3.1.2-1"
        ),
        Malformed(
            name: "protocol level 6",
            version: .v5,
            bytes: hex("10 0D 00 04 4D 51 54 54 06 02 00 0A 00 01 63"),
            problem: .unsupportedProtocolVersion(6),
            packet: .connect,
            field: "Protocol Level",
            rule: "MQTT-3.1.2-2"
        ),
        Malformed(
            name: "Will QoS without a will",
            version: .v311,
            bytes: hex("10 0D 00 04 4D 51 54 54 04 0A 00 0A 00 01 63"),
            problem: .inconsistentFlags("Will QoS is set without a will"),
            packet: .connect,
            field: "Connect Flags",
            rule: "MQTT-3.1.2-13"
        ),
        Malformed(
            name: "Will Retain without a will",
            version: .v5,
            bytes: hex("10 0E 00 04 4D 51 54 54 05 22 00 0A 00 00 01 63"),
            problem: .inconsistentFlags("Will Retain is set without a will"),
            packet: .connect,
            field: "Connect Flags",
            rule: "MQTT-3.1.2-11"
        ),
        Malformed(
            name: "Will QoS 3",
            version: .v311,
            bytes: hex("10 0D 00 04 4D 51 54 54 04 1E 00 0A 00 01 63"),
            problem: .invalidQoS(3),
            packet: .connect,
            field: "Will QoS",
            rule: "MQTT-3.1.2-14"
        ),
        Malformed(
            name: "password without user name in 3.1.1",
            version: .v311,
            bytes: hex("10 10 00 04 4D 51 54 54 04 42 00 0A 00 01 63 00 01 70"),
            problem: .inconsistentFlags("Password Flag is set without User Name Flag"),
            packet: .connect,
            field: "Connect Flags",
            rule: "MQTT-3.1.2-22"
        ),
        Malformed(
            name: "user name flag without a user name",
            version: .v311,
            bytes: hex("10 0D 00 04 4D 51 54 54 04 82 00 0A 00 01 63"),
            problem: .truncated(needed: 2, available: 0),
            packet: .connect,
            field: "User Name",
            rule: "§2.2.3"
        ),

        // MARK: CONNACK
        Malformed(
            name: "CONNACK reserved flag bits",
            version: .v5,
            bytes: hex("20 03 02 00 00"),
            problem: .reservedBitsSet(0x02),
            packet: .connack,
            field: "Connect Acknowledge Flags",
            rule: "MQTT-3.2.2-1"
        ),
        Malformed(
            name: "session present on a refused connection",
            version: .v311,
            bytes: hex("20 02 01 05"),
            problem: .inconsistentFlags("Session Present is set on a refused connection"),
            packet: .connack,
            field: "Connect Acknowledge Flags",
            rule: "MQTT-3.2.2-4"
        ),
        Malformed(
            name: "3.1.1 return code 6",
            version: .v311,
            bytes: hex("20 02 00 06"),
            problem: .invalidReasonCode(6),
            packet: .connack,
            field: "Connect Reason Code",
            rule: "§3.2.2.3"
        ),

        // MARK: Reason codes
        Malformed(
            name: "Malformed Packet is not a PUBACK code",
            version: .v5,
            bytes: hex("40 03 00 01 81"),
            problem: .invalidReasonCode(0x81),
            packet: .puback,
            field: "PUBACK Reason Code",
            rule: "§3.4.2.1"
        ),
        Malformed(
            name: "3.1.1 SUBACK return code 3",
            version: .v311,
            bytes: hex("90 03 00 01 03"),
            problem: .invalidReasonCode(3),
            packet: .suback,
            field: "SUBACK Reason Code",
            rule: "MQTT-3.9.3-2"
        ),
        Malformed(
            name: "SUBACK without reason codes",
            version: .v5,
            bytes: hex("90 03 00 01 00"),
            problem: .truncated(needed: 1, available: 0),
            packet: .suback,
            field: "SUBACK Reason Code",
            rule: "MQTT-3.9.3-2"
        ),
        Malformed(
            name: "a CONNACK-only code in DISCONNECT",
            version: .v5,
            bytes: hex("E0 01 84"),
            problem: .invalidReasonCode(0x84),
            packet: .disconnect,
            field: "Disconnect Reason Code",
            rule: "§3.14.2.1"
        ),
        Malformed(
            name: "an AUTH code that does not exist",
            version: .v5,
            bytes: hex("F0 01 01"),
            problem: .invalidReasonCode(0x01),
            packet: .auth,
            field: "Authenticate Reason Code",
            rule: "§3.15.2.1"
        ),
    ]

    @Test("whole input gives the specific error", arguments: cases)
    func wholeInput(_ malformed: Malformed) {
        var decoder = PacketDecoder(version: malformed.version)
        decoder.append(malformed.bytes)
        expect(malformed) { () throws(MQTTCodecError) in _ = try decoder.next() }
    }

    @Test("byte-by-byte input gives the same error", arguments: cases)
    func byteByByte(_ malformed: Malformed) {
        var decoder = PacketDecoder(version: malformed.version)
        expect(malformed) { () throws(MQTTCodecError) in
            for byte in malformed.bytes {
                decoder.append([byte])
                if try decoder.next() != nil {
                    Issue.record("decoded a packet from malformed input")
                }
            }
        }
    }

    @Test("every error names packet, field and rule in its message", arguments: cases)
    func message(_ malformed: Malformed) {
        var decoder = PacketDecoder(version: malformed.version)
        decoder.append(malformed.bytes)
        do {
            _ = try decoder.next()
            Issue.record("no error")
        } catch {
            let text = error.description
            #expect(text.contains(malformed.field))
            #expect(text.contains("MQTT \(malformed.version)"))
            if let packet = malformed.packet { #expect(text.hasPrefix("\(packet) ")) }
        }
    }

    private func expect(
        _ malformed: Malformed,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(MQTTCodecError) -> Void
    ) {
        do {
            try body()
            Issue.record("no error for \(malformed.name)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.problem == malformed.problem, sourceLocation: sourceLocation)
            #expect(error.packet == malformed.packet, sourceLocation: sourceLocation)
            #expect(error.field.name == malformed.field, sourceLocation: sourceLocation)
            #expect(error.rule == malformed.rule, sourceLocation: sourceLocation)
            #expect(error.reference.version == malformed.version, sourceLocation: sourceLocation)
        }
    }

    @Test("reason codes a receiver reports")
    func reasonCodes() {
        func code(_ bytes: [UInt8], _ version: ProtocolVersion = .v5, maximum: Int = 1_000) -> ReasonCode? {
            var decoder = PacketDecoder(version: version, maximumPacketSize: maximum)
            decoder.append(bytes)
            do {
                _ = try decoder.next()
                return nil
            } catch {
                return error.reasonCode
            }
        }
        #expect(code(hex("36 05 00 01 74 00 01")) == .malformedPacket)
        #expect(code(hex("30 08 00 01 74 04 01 01 01 01")) == .protocolError)
        #expect(code(hex("30 05 00 03 61 2F 2B")) == .topicNameInvalid)
        #expect(code(hex("82 08 00 01 00 00 02 61 2B 01")) == .topicFilterInvalid)
        #expect(code(hex("10 0D 00 04 4D 51 54 54 06 02 00 0A 00 01 63")) == .unsupportedProtocolVersion)
        #expect(code(hex("30 14"), maximum: 10) == .packetTooLarge)
    }
}
