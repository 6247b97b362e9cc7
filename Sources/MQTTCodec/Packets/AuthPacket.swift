/// AUTH: a step of extended authentication (MQTT 5.0 §3.15; the type is reserved in 3.1.1).
public struct AuthPacket: Hashable, Sendable {
    /// Success, Continue authentication or Re-authenticate.
    public var reasonCode: ReasonCode
    /// AUTH properties.
    public var properties: AuthProperties

    /// An AUTH; a success with no properties encodes with no body at all.
    public init(reasonCode: ReasonCode = .success, properties: AuthProperties = AuthProperties()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension AuthPacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        var code = ReasonCode.success
        var properties = AuthProperties()
        // MQTT 5.0 §3.15.2.1: no body means Success with no properties.
        if reader.remaining > 0 {
            let raw = try reader.readUInt8(.reasonCode(.auth))
            code = ReasonCode(rawValue: raw)
            guard code.isValid(in: .auth, version: .v5) else {
                throw reader.error(.invalidReasonCode(raw), .reasonCode(.auth))
            }
            if reader.remaining > 0 {
                properties = try reader.readProperties(AuthProperties.self, .packet(.auth))
            }
            if properties.authenticationData != nil && properties.authenticationMethod == nil {
                throw reader.error(
                    .authenticationDataWithoutMethod,
                    PropertyContext.packet(.auth).field(.authenticationData),
                    rule: .authenticationData
                )
            }
        }
        try reader.expectEnd()
        self.init(reasonCode: code, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if reasonCode == .success && properties.isEmpty { return }
        try writer.writeReasonCode(reasonCode)
        try writer.writeProperties(properties, .packet(.auth))
    }
}

/// AUTH properties (MQTT 5.0 §3.15.2.2).
public struct AuthProperties: Hashable, Sendable {
    /// The extended authentication method.
    public var authenticationMethod: String?
    /// Data for the method.
    public var authenticationData: [UInt8]?
    /// A human-readable reason.
    public var reasonString: String?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]

    /// AUTH properties; none unless given.
    public init(
        authenticationMethod: String? = nil,
        authenticationData: [UInt8]? = nil,
        reasonString: String? = nil,
        userProperties: [UserProperty] = []
    ) {
        self.authenticationMethod = authenticationMethod
        self.authenticationData = authenticationData
        self.reasonString = reasonString
        self.userProperties = userProperties
    }
}

extension AuthProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .authenticationMethod(let value): authenticationMethod = value
        case .authenticationData(let value): authenticationData = value
        case .reasonString(let value): reasonString = value
        case .userProperty(let pair): userProperties.append(pair)
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(authenticationMethod, as: Property.authenticationMethod, context)
        try writer.write(authenticationData, as: Property.authenticationData, context)
        try writer.write(reasonString, as: Property.reasonString, context)
        try writer.write(userProperties, context)
    }
}
