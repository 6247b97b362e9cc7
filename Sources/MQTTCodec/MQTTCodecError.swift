/// A packet, or a value meant for one, that breaks the MQTT specification: what is wrong, in which
/// packet and field, and the rule it breaks.
///
/// The decoder throws one for every malformed input; the encoder throws one rather than write bytes
/// a strict peer would reject. ``reasonCode`` is the MQTT 5.0 code a receiver reports for it
/// (MQTT 5.0 §4.13).
public struct MQTTCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Hashable, Sendable {
        /// Packet type 0, or AUTH (15) under MQTT 3.1.1: reserved values.
        case reservedPacketType(UInt8)
        /// The flag nibble is not the value the packet type requires.
        case invalidFlags(UInt8)
        /// A variable byte integer (e.g. the remaining length) runs past four bytes.
        case variableByteIntegerTooLong
        /// A variable byte integer uses more bytes than its value needs (MQTT 5.0 only).
        case variableByteIntegerNotMinimal
        /// A number does not fit the field (e.g. a variable byte integer above 268,435,455).
        case valueTooLarge(UInt64, maximum: UInt64)
        /// The packet is larger than the maximum packet size in force.
        case packetTooLarge(size: Int, maximum: Int)
        /// A field needs more bytes than the packet has left.
        case truncated(needed: Int, available: Int)
        /// Bytes are left over after the last field of the packet.
        case trailingBytes(Int)
        /// A QoS of 3.
        case invalidQoS(UInt8)
        /// DUP is set on a QoS 0 PUBLISH.
        case duplicateFlagWithQoS0
        /// A packet identifier of 0 where a non-zero one is required.
        case zeroPacketIdentifier
        /// A QoS 1 or 2 PUBLISH to encode has no packet identifier.
        case missingPacketIdentifier
        /// A QoS 0 PUBLISH to encode has a packet identifier.
        case unexpectedPacketIdentifier
        /// A string is not well-formed UTF-8 (or encodes a surrogate).
        case invalidUTF8
        /// A string contains U+0000.
        case nullCharacter
        /// A string or binary field is longer than 65,535 bytes.
        case stringTooLong(Int)
        /// A topic name contains `+` or `#`.
        case wildcardInTopicName
        /// A topic name or filter is empty.
        case emptyTopic
        /// A topic filter breaks the wildcard rules; the text says how.
        case invalidTopicFilter(String)
        /// A SUBSCRIBE or UNSUBSCRIBE carries no topic filter.
        case noTopicFilters
        /// CONNECT's protocol name is not `MQTT`.
        case invalidProtocolName(String)
        /// CONNECT's protocol level is neither 4 (3.1.1) nor 5 (5.0).
        case unsupportedProtocolVersion(UInt8)
        /// Reserved bits (the mask given) are set.
        case reservedBitsSet(UInt8)
        /// Flags contradict each other; the text says which.
        case inconsistentFlags(String)
        /// A property identifier the specification does not define.
        case unknownProperty(UInt32)
        /// A property that may appear once appears again.
        case duplicateProperty
        /// A property that this packet may not carry.
        case propertyNotAllowed
        /// A property value the specification forbids (e.g. Receive Maximum 0).
        case invalidPropertyValue(UInt32)
        /// A reason code this packet may not carry.
        case invalidReasonCode(UInt8)
        /// Retain Handling 3 in subscription options.
        case invalidRetainHandling(UInt8)
        /// No Local set on a shared subscription.
        case noLocalOnSharedSubscription
        /// Authentication Data without an Authentication Method.
        case authenticationDataWithoutMethod
        /// The packet type or field does not exist in this protocol version.
        case notInVersion
    }

    /// What is wrong.
    public let problem: Problem
    /// The packet it is in; `nil` when the packet type itself could not be read.
    public let packet: PacketType?
    /// The field it is in.
    public let field: Field
    /// The rule it breaks.
    public let reference: SpecReference
    /// For a PUBLISH over the maximum packet size: what it was (its topic, QoS and identifier,
    /// read from its first bytes while the rest was skipped), so a receiver can still acknowledge
    /// it. Nil for every other error.
    public internal(set) var skippedPublish: SkippedPublish?

    /// Describes a violation; `rule` overrides the field's own section when a specific normative
    /// statement applies.
    init(_ problem: Problem, packet: PacketType?, field: Field, version: ProtocolVersion, rule: Rule? = nil) {
        self.problem = problem
        self.packet = packet
        self.field = field
        self.reference =
            rule?.reference(version) ?? SpecReference(version: version, section: field.section(in: version))
    }

    /// A PUBLISH that was skipped because it is larger than the maximum packet size.
    public struct SkippedPublish: Hashable, Sendable {
        /// The topic name's bytes, as sent (an alias-only MQTT 5.0 topic is empty).
        public let topic: [UInt8]
        /// The QoS it was sent at.
        public let qos: QoS
        /// Its packet identifier (QoS 1 and 2).
        public let packetIdentifier: UInt16?
        /// The size of the whole packet.
        public let size: Int

        /// What a skipped PUBLISH was.
        public init(topic: [UInt8], qos: QoS, packetIdentifier: UInt16?, size: Int) {
            self.topic = topic
            self.qos = qos
            self.packetIdentifier = packetIdentifier
            self.size = size
        }
    }

    /// The MQTT 5.0 reason code a receiver reports for this error in DISCONNECT or CONNACK.
    public var reasonCode: ReasonCode {
        switch problem {
        case .packetTooLarge: .packetTooLarge
        case .unsupportedProtocolVersion: .unsupportedProtocolVersion
        case .wildcardInTopicName, .emptyTopic: packet == .publish ? .topicNameInvalid : .protocolError
        case .invalidTopicFilter: .topicFilterInvalid
        case .zeroPacketIdentifier, .missingPacketIdentifier, .unexpectedPacketIdentifier, .noTopicFilters,
            .duplicateProperty, .propertyNotAllowed, .invalidPropertyValue, .invalidReasonCode,
            .invalidRetainHandling, .noLocalOnSharedSubscription, .authenticationDataWithoutMethod,
            .notInVersion:
            .protocolError
        default: .malformedPacket
        }
    }

    /// One line: the packet and field, what is wrong, and the rule, e.g.
    /// `PUBLISH Topic Name: contains a wildcard ('+' or '#') (MQTT 5.0 §3.3.2.1 [MQTT-3.3.2-2])`.
    public var description: String {
        let place = packet.map { "\($0) \(field)" } ?? field.name
        return "\(place): \(problem.explanation) (\(reference))"
    }
}

extension MQTTCodecError.Problem {
    /// A short English explanation of the problem.
    public var explanation: String {
        switch self {
        case .reservedPacketType(let type): "packet type \(type) is reserved"
        case .invalidFlags(let flags): "flags 0b\(binary(flags, width: 4)) are not the ones this packet type requires"
        case .variableByteIntegerTooLong: "variable byte integer is longer than four bytes"
        case .variableByteIntegerNotMinimal: "variable byte integer does not use the fewest bytes possible"
        case .valueTooLarge(let value, let maximum): "value \(value) is more than the maximum \(maximum)"
        case .packetTooLarge(let size, let maximum): "packet of \(size) bytes exceeds the maximum of \(maximum)"
        case .truncated(let needed, let available):
            "needs \(needed) bytes but only \(available) remain in the packet"
        case .trailingBytes(let count): "\(count) unexpected bytes after the last field"
        case .invalidQoS(let qos): "QoS \(qos) is not 0, 1 or 2"
        case .duplicateFlagWithQoS0: "DUP is set on a QoS 0 message"
        case .zeroPacketIdentifier: "packet identifier is 0"
        case .missingPacketIdentifier: "a QoS 1 or 2 message needs a packet identifier"
        case .unexpectedPacketIdentifier: "a QoS 0 message must not have a packet identifier"
        case .invalidUTF8: "is not well-formed UTF-8"
        case .nullCharacter: "contains the null character U+0000"
        case .stringTooLong(let length): "is \(length) bytes long; the limit is 65535"
        case .wildcardInTopicName: "contains a wildcard ('+' or '#')"
        case .emptyTopic: "is empty"
        case .invalidTopicFilter(let reason): reason
        case .noTopicFilters: "contains no topic filter"
        case .invalidProtocolName(let name): "is \"\(name)\", not \"MQTT\""
        case .unsupportedProtocolVersion(let level): "protocol level \(level) is not 4 (3.1.1) or 5 (5.0)"
        case .reservedBitsSet(let mask): "reserved bits 0b\(binary(mask, width: 8)) are set"
        case .inconsistentFlags(let reason): reason
        case .unknownProperty(let identifier): "property identifier \(identifier) is not defined"
        case .duplicateProperty: "appears more than once"
        case .propertyNotAllowed: "is not allowed in this packet"
        case .invalidPropertyValue(let value): "value \(value) is not allowed"
        case .invalidReasonCode(let code): "reason code \(ReasonCode(rawValue: code)) is not allowed in this packet"
        case .invalidRetainHandling(let value): "Retain Handling \(value) is not 0, 1 or 2"
        case .noLocalOnSharedSubscription: "No Local is set on a shared subscription"
        case .authenticationDataWithoutMethod: "Authentication Data is present without an Authentication Method"
        case .notInVersion: "does not exist in this protocol version"
        }
    }
}

private func binary(_ value: UInt8, width: Int) -> String {
    let digits = String(value, radix: 2)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
