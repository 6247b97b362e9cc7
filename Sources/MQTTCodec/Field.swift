/// A field of an MQTT packet, named as the specifications name it, with the section that defines
/// it in each version. Errors carry one so a message can say exactly where a packet went wrong.
public struct Field: Hashable, Sendable, CustomStringConvertible {
    /// The specification's name, e.g. `Topic Name`.
    public let name: String
    let v311Section: String
    let v5Section: String

    init(_ name: String, v311 v311Section: String, v5 v5Section: String) {
        self.name = name
        self.v311Section = v311Section
        self.v5Section = v5Section
    }

    init(_ name: String, section: String) {
        self.init(name, v311: section, v5: section)
    }

    /// The section that defines the field in `version`.
    public func section(in version: ProtocolVersion) -> String {
        version == .v5 ? v5Section : v311Section
    }

    /// The field's name.
    public var description: String { name }

    // MARK: - Fixed header and shared fields

    /// The packet type nibble.
    public static let packetType = Field("Packet Type", v311: "2.2.1", v5: "2.1.2")
    /// The flag nibble of the first byte.
    public static let flags = Field("Flags", v311: "2.2.2", v5: "2.1.3")
    /// The length of the rest of the packet.
    public static let remainingLength = Field("Remaining Length", v311: "2.2.3", v5: "2.1.4")
    /// The whole packet, for limits on its size.
    public static let packet = Field("Packet", v311: "2.2.3", v5: "3.1.2.11.4")
    /// The packet identifier of an acknowledged exchange.
    public static let packetIdentifier = Field("Packet Identifier", v311: "2.3.1", v5: "2.2.1")
    /// The length of a property block.
    public static let propertyLength = Field("Property Length", v311: "2.2", v5: "2.2.2.1")

    // MARK: - CONNECT

    /// CONNECT's protocol name, `MQTT`.
    public static let protocolName = Field("Protocol Name", section: "3.1.2.1")
    /// CONNECT's protocol level (3.1.1) or version (5.0).
    public static let protocolLevel = Field("Protocol Level", section: "3.1.2.2")
    /// CONNECT's flag byte.
    public static let connectFlags = Field("Connect Flags", section: "3.1.2.3")
    /// CONNECT's will QoS bits.
    public static let willQoS = Field("Will QoS", section: "3.1.2.6")
    /// CONNECT's keep alive.
    public static let keepAlive = Field("Keep Alive", section: "3.1.2.10")
    /// CONNECT's client identifier.
    public static let clientIdentifier = Field("Client Identifier", section: "3.1.3.1")
    /// CONNECT's will topic.
    public static let willTopic = Field("Will Topic", v311: "3.1.3.2", v5: "3.1.3.3")
    /// CONNECT's will payload ("Will Message" in 3.1.1).
    public static let willPayload = Field("Will Payload", v311: "3.1.3.3", v5: "3.1.3.4")
    /// CONNECT's user name.
    public static let userName = Field("User Name", v311: "3.1.3.4", v5: "3.1.3.5")
    /// CONNECT's password.
    public static let password = Field("Password", v311: "3.1.3.5", v5: "3.1.3.6")

    // MARK: - CONNACK

    /// CONNACK's acknowledge flags byte.
    public static let connectAcknowledgeFlags = Field("Connect Acknowledge Flags", section: "3.2.2.1")

    // MARK: - PUBLISH

    /// PUBLISH's QoS bits.
    public static let qos = Field("QoS", section: "3.3.1.2")
    /// PUBLISH's DUP flag.
    public static let dup = Field("DUP", section: "3.3.1.1")
    /// PUBLISH's topic name.
    public static let topicName = Field("Topic Name", section: "3.3.2.1")
    /// PUBLISH's application payload.
    public static let payload = Field("Payload", section: "3.3.3")

    // MARK: - SUBSCRIBE and UNSUBSCRIBE

    /// A topic filter of SUBSCRIBE.
    public static let topicFilter = Field("Topic Filter", section: "3.8.3")
    /// A topic filter of UNSUBSCRIBE.
    public static let unsubscribeTopicFilter = Field("Topic Filter", section: "3.10.3")
    /// The options byte after a SUBSCRIBE topic filter ("Requested QoS" in 3.1.1).
    public static let subscriptionOptions = Field("Subscription Options", v311: "3.8.3", v5: "3.8.3.1")

    // MARK: - Packet-dependent fields

    /// The reason code (3.1.1: return code) of a packet of `type`.
    public static func reasonCode(_ type: PacketType) -> Field {
        switch type {
        case .connack: Field("Connect Reason Code", v311: "3.2.2.3", v5: "3.2.2.2")
        case .puback: Field("PUBACK Reason Code", v311: "3.4.2", v5: "3.4.2.1")
        case .pubrec: Field("PUBREC Reason Code", v311: "3.5.2", v5: "3.5.2.1")
        case .pubrel: Field("PUBREL Reason Code", v311: "3.6.2", v5: "3.6.2.1")
        case .pubcomp: Field("PUBCOMP Reason Code", v311: "3.7.2", v5: "3.7.2.1")
        case .suback: Field("SUBACK Reason Code", v311: "3.9.3", v5: "3.9.3")
        case .unsuback: Field("UNSUBACK Reason Code", v311: "3.11.3", v5: "3.11.3")
        case .disconnect: Field("Disconnect Reason Code", v311: "3.14", v5: "3.14.2.1")
        case .auth: Field("Authenticate Reason Code", v311: "2.2.1", v5: "3.15.2.1")
        default: Field("Reason Code", v311: "2.2", v5: "2.4")
        }
    }
}
