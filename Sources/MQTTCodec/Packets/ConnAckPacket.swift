/// CONNACK: the server's answer to CONNECT (MQTT 3.1.1 §3.2, MQTT 5.0 §3.2).
public struct ConnAckPacket: Hashable, Sendable {
    /// Whether the server resumed a session it held for this client identifier.
    public var sessionPresent: Bool
    /// The result. For MQTT 3.1.1 the return code is mapped to the 5.0 code of the same meaning
    /// (see ``ReasonCode/init(v311ConnectReturnCode:)``).
    public var reasonCode: ReasonCode
    /// CONNACK properties (MQTT 5.0).
    public var properties: ConnAckProperties

    /// A CONNACK.
    public init(
        sessionPresent: Bool = false,
        reasonCode: ReasonCode = .success,
        properties: ConnAckProperties = ConnAckProperties()
    ) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }

    private static let sessionPresentFlag: UInt8 = 0x01
}

extension ConnAckPacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let flags = try reader.readUInt8(.connectAcknowledgeFlags)
        if flags & ~Self.sessionPresentFlag != 0 {
            throw reader.error(
                .reservedBitsSet(flags & ~Self.sessionPresentFlag),
                .connectAcknowledgeFlags,
                rule: .connackReservedFlags
            )
        }
        let rawCode = try reader.readUInt8(.reasonCode(.connack))
        let code: ReasonCode
        switch reader.version {
        case .v311:
            guard let mapped = ReasonCode(v311ConnectReturnCode: rawCode) else {
                throw reader.error(.invalidReasonCode(rawCode), .reasonCode(.connack))
            }
            code = mapped
        case .v5:
            code = ReasonCode(rawValue: rawCode)
            guard code.isValid(in: .connack, version: .v5) else {
                throw reader.error(.invalidReasonCode(rawCode), .reasonCode(.connack))
            }
        }
        let sessionPresent = flags & Self.sessionPresentFlag != 0
        if sessionPresent && code != .success {
            throw reader.error(
                .inconsistentFlags("Session Present is set on a refused connection"),
                .connectAcknowledgeFlags,
                rule: .sessionPresentOnFailure
            )
        }
        let properties =
            reader.version == .v5
            ? try reader.readProperties(ConnAckProperties.self, .packet(.connack)) : ConnAckProperties()
        if properties.authenticationData != nil && properties.authenticationMethod == nil {
            throw reader.error(
                .authenticationDataWithoutMethod,
                PropertyContext.packet(.connack).field(.authenticationData),
                rule: .authenticationData
            )
        }
        try reader.expectEnd()
        self.init(sessionPresent: sessionPresent, reasonCode: code, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if sessionPresent && reasonCode != .success {
            throw writer.error(
                .inconsistentFlags("Session Present is set on a refused connection"),
                .connectAcknowledgeFlags,
                rule: .sessionPresentOnFailure
            )
        }
        writer.writeUInt8(sessionPresent ? Self.sessionPresentFlag : 0)
        switch writer.version {
        case .v311:
            guard let code = reasonCode.v311ConnectReturnCode else {
                throw writer.error(.invalidReasonCode(reasonCode.rawValue), .reasonCode(.connack))
            }
            writer.writeUInt8(code)
        case .v5:
            try writer.writeReasonCode(reasonCode)
        }
        try writer.writeProperties(properties, .packet(.connack))
    }
}

/// CONNACK properties (MQTT 5.0 §3.2.2.3): what the server allows the client.
public struct ConnAckProperties: Hashable, Sendable {
    /// The session expiry interval the server will use instead of the client's.
    public var sessionExpiryInterval: UInt32?
    /// How many QoS 1 and 2 publications the server accepts at once (not 0; absent means 65,535).
    public var receiveMaximum: UInt16?
    /// The highest QoS the server supports (0 or 1; absent means 2).
    public var maximumQoS: QoS?
    /// Whether the server supports retained messages (absent means yes).
    public var retainAvailable: Bool?
    /// The largest packet the server accepts (not 0).
    public var maximumPacketSize: UInt32?
    /// The client identifier the server assigned, when the client sent an empty one.
    public var assignedClientIdentifier: String?
    /// The highest topic alias the server accepts from the client.
    public var topicAliasMaximum: UInt16?
    /// A human-readable reason for the result.
    public var reasonString: String?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]
    /// Whether the server supports wildcard subscriptions (absent means yes).
    public var wildcardSubscriptionAvailable: Bool?
    /// Whether the server supports subscription identifiers (absent means yes).
    public var subscriptionIdentifiersAvailable: Bool?
    /// Whether the server supports shared subscriptions (absent means yes).
    public var sharedSubscriptionAvailable: Bool?
    /// The keep alive the client must use instead of its own.
    public var serverKeepAlive: UInt16?
    /// The basis for response topics, when the client asked for it.
    public var responseInformation: String?
    /// Another server the client may use.
    public var serverReference: String?
    /// The extended authentication method.
    public var authenticationMethod: String?
    /// Data for the extended authentication method.
    public var authenticationData: [UInt8]?

    /// CONNACK properties; every one is absent unless given.
    public init(
        sessionExpiryInterval: UInt32? = nil,
        receiveMaximum: UInt16? = nil,
        maximumQoS: QoS? = nil,
        retainAvailable: Bool? = nil,
        maximumPacketSize: UInt32? = nil,
        assignedClientIdentifier: String? = nil,
        topicAliasMaximum: UInt16? = nil,
        reasonString: String? = nil,
        userProperties: [UserProperty] = [],
        wildcardSubscriptionAvailable: Bool? = nil,
        subscriptionIdentifiersAvailable: Bool? = nil,
        sharedSubscriptionAvailable: Bool? = nil,
        serverKeepAlive: UInt16? = nil,
        responseInformation: String? = nil,
        serverReference: String? = nil,
        authenticationMethod: String? = nil,
        authenticationData: [UInt8]? = nil
    ) {
        self.sessionExpiryInterval = sessionExpiryInterval
        self.receiveMaximum = receiveMaximum
        self.maximumQoS = maximumQoS
        self.retainAvailable = retainAvailable
        self.maximumPacketSize = maximumPacketSize
        self.assignedClientIdentifier = assignedClientIdentifier
        self.topicAliasMaximum = topicAliasMaximum
        self.reasonString = reasonString
        self.userProperties = userProperties
        self.wildcardSubscriptionAvailable = wildcardSubscriptionAvailable
        self.subscriptionIdentifiersAvailable = subscriptionIdentifiersAvailable
        self.sharedSubscriptionAvailable = sharedSubscriptionAvailable
        self.serverKeepAlive = serverKeepAlive
        self.responseInformation = responseInformation
        self.serverReference = serverReference
        self.authenticationMethod = authenticationMethod
        self.authenticationData = authenticationData
    }
}

extension ConnAckProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .sessionExpiryInterval(let value): sessionExpiryInterval = value
        case .receiveMaximum(let value): receiveMaximum = value
        case .maximumQoS(let value): maximumQoS = value
        case .retainAvailable(let value): retainAvailable = value
        case .maximumPacketSize(let value): maximumPacketSize = value
        case .assignedClientIdentifier(let value): assignedClientIdentifier = value
        case .topicAliasMaximum(let value): topicAliasMaximum = value
        case .reasonString(let value): reasonString = value
        case .userProperty(let pair): userProperties.append(pair)
        case .wildcardSubscriptionAvailable(let value): wildcardSubscriptionAvailable = value
        case .subscriptionIdentifiersAvailable(let value): subscriptionIdentifiersAvailable = value
        case .sharedSubscriptionAvailable(let value): sharedSubscriptionAvailable = value
        case .serverKeepAlive(let value): serverKeepAlive = value
        case .responseInformation(let value): responseInformation = value
        case .serverReference(let value): serverReference = value
        case .authenticationMethod(let value): authenticationMethod = value
        case .authenticationData(let value): authenticationData = value
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(sessionExpiryInterval, as: Property.sessionExpiryInterval, context)
        try writer.write(receiveMaximum, as: Property.receiveMaximum, context)
        try writer.write(maximumQoS, as: Property.maximumQoS, context)
        try writer.write(retainAvailable, as: Property.retainAvailable, context)
        try writer.write(maximumPacketSize, as: Property.maximumPacketSize, context)
        try writer.write(assignedClientIdentifier, as: Property.assignedClientIdentifier, context)
        try writer.write(topicAliasMaximum, as: Property.topicAliasMaximum, context)
        try writer.write(reasonString, as: Property.reasonString, context)
        try writer.write(userProperties, context)
        try writer.write(wildcardSubscriptionAvailable, as: Property.wildcardSubscriptionAvailable, context)
        try writer.write(subscriptionIdentifiersAvailable, as: Property.subscriptionIdentifiersAvailable, context)
        try writer.write(sharedSubscriptionAvailable, as: Property.sharedSubscriptionAvailable, context)
        try writer.write(serverKeepAlive, as: Property.serverKeepAlive, context)
        try writer.write(responseInformation, as: Property.responseInformation, context)
        try writer.write(serverReference, as: Property.serverReference, context)
        try writer.write(authenticationMethod, as: Property.authenticationMethod, context)
        try writer.write(authenticationData, as: Property.authenticationData, context)
    }
}
