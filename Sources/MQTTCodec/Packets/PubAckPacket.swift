/// The shape shared by the four publish-flow acknowledgements: PUBACK, PUBREC, PUBREL and PUBCOMP
/// (MQTT 3.1.1 §3.4–3.7, MQTT 5.0 §3.4–3.7). The ``Packet`` case says which one it is.
public struct PubAckPacket: Hashable, Sendable {
    /// The identifier of the PUBLISH being acknowledged.
    public var packetIdentifier: UInt16
    /// The result (MQTT 5.0; always success under 3.1.1).
    public var reasonCode: ReasonCode
    /// Reason string and user properties (MQTT 5.0).
    public var properties: AckProperties

    /// An acknowledgement; by default a success with no properties, which encodes in its two-byte
    /// short form.
    public init(
        packetIdentifier: UInt16,
        reasonCode: ReasonCode = .success,
        properties: AckProperties = AckProperties()
    ) {
        self.packetIdentifier = packetIdentifier
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension PubAckPacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let identifier = try reader.readPacketIdentifier()
        var code = ReasonCode.success
        var properties = AckProperties()
        // MQTT 5.0 §3.4.2.1: the reason code may be left out when it is Success and there are no
        // properties; the property length may be left out when there are none.
        if reader.version == .v5 && reader.remaining > 0 {
            let raw = try reader.readUInt8(.reasonCode(reader.packet))
            code = ReasonCode(rawValue: raw)
            guard code.isValid(in: reader.packet, version: .v5) else {
                throw reader.error(.invalidReasonCode(raw), .reasonCode(reader.packet))
            }
            if reader.remaining > 0 {
                properties = try reader.readProperties(AckProperties.self, .packet(reader.packet))
            }
        }
        try reader.expectEnd()
        self.init(packetIdentifier: identifier, reasonCode: code, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        try writer.writePacketIdentifier(packetIdentifier)
        // Acknowledgements carry nothing more unless needed: strict brokers reject anything else.
        if reasonCode == .success && properties.isEmpty { return }
        guard writer.version == .v5 else {
            throw writer.error(.invalidReasonCode(reasonCode.rawValue), .reasonCode(writer.packet))
        }
        try writer.writeReasonCode(reasonCode)
        if !properties.isEmpty {
            try writer.writeProperties(properties, .packet(writer.packet))
        }
    }
}

/// The properties of acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK):
/// a reason string and user properties (MQTT 5.0 §3.4.2.2).
public struct AckProperties: Hashable, Sendable {
    /// A human-readable reason for the result.
    public var reasonString: String?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]

    /// Acknowledgement properties; none unless given.
    public init(reasonString: String? = nil, userProperties: [UserProperty] = []) {
        self.reasonString = reasonString
        self.userProperties = userProperties
    }
}

extension AckProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .reasonString(let value): reasonString = value
        case .userProperty(let pair): userProperties.append(pair)
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(reasonString, as: Property.reasonString, context)
        try writer.write(userProperties, context)
    }
}
