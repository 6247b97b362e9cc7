/// DISCONNECT: the end of a connection, sent by the client (and, in MQTT 5.0, by the server)
/// (MQTT 3.1.1 §3.14, MQTT 5.0 §3.14).
public struct DisconnectPacket: Hashable, Sendable {
    /// Why the connection ends (MQTT 5.0; always a normal disconnection under 3.1.1).
    public var reasonCode: ReasonCode
    /// DISCONNECT properties (MQTT 5.0).
    public var properties: DisconnectProperties

    /// A DISCONNECT; by default a normal one, which encodes with no body at all.
    public init(
        reasonCode: ReasonCode = .normalDisconnection,
        properties: DisconnectProperties = DisconnectProperties()
    ) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension DisconnectPacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        var code = ReasonCode.normalDisconnection
        var properties = DisconnectProperties()
        // MQTT 5.0 §3.14.2.1: no body means Normal disconnection; a one-byte body has no properties.
        if reader.version == .v5 && reader.remaining > 0 {
            let raw = try reader.readUInt8(.reasonCode(.disconnect))
            code = ReasonCode(rawValue: raw)
            guard code.isValid(in: .disconnect, version: .v5) else {
                throw reader.error(.invalidReasonCode(raw), .reasonCode(.disconnect))
            }
            if reader.remaining > 0 {
                properties = try reader.readProperties(DisconnectProperties.self, .packet(.disconnect))
            }
        }
        try reader.expectEnd()
        self.init(reasonCode: code, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if reasonCode == .normalDisconnection && properties.isEmpty { return }
        guard writer.version == .v5 else {
            throw writer.error(.notInVersion, .reasonCode(.disconnect))
        }
        try writer.writeReasonCode(reasonCode)
        if !properties.isEmpty {
            try writer.writeProperties(properties, .packet(.disconnect))
        }
    }
}

/// DISCONNECT properties (MQTT 5.0 §3.14.2.2).
public struct DisconnectProperties: Hashable, Sendable {
    /// A new session expiry interval (client only).
    public var sessionExpiryInterval: UInt32?
    /// A human-readable reason.
    public var reasonString: String?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]
    /// Another server the client may use.
    public var serverReference: String?

    /// DISCONNECT properties; none unless given.
    public init(
        sessionExpiryInterval: UInt32? = nil,
        reasonString: String? = nil,
        userProperties: [UserProperty] = [],
        serverReference: String? = nil
    ) {
        self.sessionExpiryInterval = sessionExpiryInterval
        self.reasonString = reasonString
        self.userProperties = userProperties
        self.serverReference = serverReference
    }
}

extension DisconnectProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .sessionExpiryInterval(let value): sessionExpiryInterval = value
        case .reasonString(let value): reasonString = value
        case .userProperty(let pair): userProperties.append(pair)
        case .serverReference(let value): serverReference = value
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(sessionExpiryInterval, as: Property.sessionExpiryInterval, context)
        try writer.write(reasonString, as: Property.reasonString, context)
        try writer.write(userProperties, context)
        try writer.write(serverReference, as: Property.serverReference, context)
    }
}
