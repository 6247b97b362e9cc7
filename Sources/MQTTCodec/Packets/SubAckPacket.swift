/// The shape shared by SUBACK and UNSUBACK: a packet identifier and one reason code per topic
/// filter of the request (MQTT 3.1.1 §3.9, §3.11; MQTT 5.0 §3.9, §3.11). The ``Packet`` case says
/// which one it is. An MQTT 3.1.1 UNSUBACK carries no reason codes.
public struct SubAckPacket: Hashable, Sendable {
    /// The identifier of the SUBSCRIBE or UNSUBSCRIBE being acknowledged.
    public var packetIdentifier: UInt16
    /// One code per topic filter, in the request's order: for SUBACK the granted QoS
    /// (``ReasonCode/grantedQoS0``…) or a failure.
    public var reasonCodes: [ReasonCode]
    /// Reason string and user properties (MQTT 5.0).
    public var properties: AckProperties

    /// A SUBACK or UNSUBACK.
    public init(packetIdentifier: UInt16, reasonCodes: [ReasonCode], properties: AckProperties = AckProperties()) {
        self.packetIdentifier = packetIdentifier
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

/// UNSUBACK has the same fields as SUBACK.
public typealias UnsubAckPacket = SubAckPacket

extension SubAckPacket {
    /// Whether a packet of this type and version carries reason codes at all.
    private static func hasReasonCodes(_ type: PacketType, _ version: ProtocolVersion) -> Bool {
        type == .suback || version == .v5
    }

    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let type = reader.packet
        let identifier = try reader.readPacketIdentifier()
        let properties =
            reader.version == .v5 ? try reader.readProperties(AckProperties.self, .packet(type)) : AckProperties()
        var codes: [ReasonCode] = []
        if Self.hasReasonCodes(type, reader.version) {
            // Table 2-5: the payload is required, one code for each filter of the request.
            if reader.remaining == 0 {
                throw reader.error(.truncated(needed: 1, available: 0), .reasonCode(type), rule: .subackReturnCodes)
            }
            codes.reserveCapacity(reader.remaining)
            while reader.remaining > 0 {
                let raw = try reader.readUInt8(.reasonCode(type))
                let code = ReasonCode(rawValue: raw)
                guard code.isValid(in: type, version: reader.version) else {
                    throw reader.error(
                        .invalidReasonCode(raw),
                        .reasonCode(type),
                        rule: type == .suback ? .subackReturnCodes : nil
                    )
                }
                codes.append(code)
            }
        }
        try reader.expectEnd()
        self.init(packetIdentifier: identifier, reasonCodes: codes, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        let type = writer.packet
        try writer.writePacketIdentifier(packetIdentifier)
        try writer.writeProperties(properties, .packet(type))
        guard Self.hasReasonCodes(type, writer.version) else {
            if !reasonCodes.isEmpty { throw writer.error(.notInVersion, .reasonCode(type)) }
            return
        }
        if reasonCodes.isEmpty {
            throw writer.error(.truncated(needed: 1, available: 0), .reasonCode(type), rule: .subackReturnCodes)
        }
        for code in reasonCodes {
            try writer.writeReasonCode(code)
        }
    }
}
