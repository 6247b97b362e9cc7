/// CONNECT: the first packet a client sends (MQTT 3.1.1 §3.1, MQTT 5.0 §3.1).
///
/// The packet carries its own protocol version, so a server learns the version from it.
public struct ConnectPacket: Hashable, Sendable {
    /// The protocol version the client speaks (the CONNECT protocol level).
    public var protocolVersion: ProtocolVersion
    /// The client identifier; may be empty, in which case the server assigns one.
    public var clientIdentifier: String
    /// Clean Start (5.0) / Clean Session (3.1.1): discard any existing session.
    public var cleanStart: Bool
    /// The keep alive in seconds; 0 turns the mechanism off.
    public var keepAlive: UInt16
    /// The user name, if any.
    public var userName: String?
    /// The password, if any. MQTT 3.1.1 allows one only with a user name [MQTT-3.1.2-22].
    public var password: [UInt8]?
    /// The will message the server publishes if the connection ends abnormally.
    public var will: Will?
    /// CONNECT properties (MQTT 5.0).
    public var properties: ConnectProperties

    /// A CONNECT; the defaults ask for a persistent session with a one-minute keep alive.
    public init(
        protocolVersion: ProtocolVersion = .v5,
        clientIdentifier: String,
        cleanStart: Bool = false,
        keepAlive: UInt16 = 60,
        userName: String? = nil,
        password: [UInt8]? = nil,
        will: Will? = nil,
        properties: ConnectProperties = ConnectProperties()
    ) {
        self.protocolVersion = protocolVersion
        self.clientIdentifier = clientIdentifier
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.userName = userName
        self.password = password
        self.will = will
        self.properties = properties
    }

    /// The will: a message the server publishes for the client when its connection ends without
    /// a normal DISCONNECT (MQTT 5.0 §3.1.2.5).
    public struct Will: Hashable, Sendable {
        /// The topic to publish to.
        public var topic: String
        /// The message.
        public var payload: [UInt8]
        /// The QoS to publish it at.
        public var qos: QoS
        /// Whether to publish it retained.
        public var retain: Bool
        /// Will properties (MQTT 5.0 §3.1.3.2).
        public var properties: WillProperties

        /// A will message.
        public init(
            topic: String,
            payload: [UInt8],
            qos: QoS = .atMostOnce,
            retain: Bool = false,
            properties: WillProperties = WillProperties()
        ) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
            self.properties = properties
        }
    }

    // Connect Flags bits (MQTT 5.0 §3.1.2.3).
    private enum Flags {
        static let reserved: UInt8 = 0x01
        static let cleanStart: UInt8 = 0x02
        static let will: UInt8 = 0x04
        static let willQoSShift: UInt8 = 3
        static let willRetain: UInt8 = 0x20
        static let password: UInt8 = 0x40
        static let userName: UInt8 = 0x80
    }

    private static let protocolName = "MQTT"
}

extension ConnectPacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let name = try reader.readString(.protocolName)
        guard name == Self.protocolName else {
            throw reader.error(.invalidProtocolName(name), .protocolName, rule: .protocolName)
        }
        let level = try reader.readUInt8(.protocolLevel)
        guard let version = ProtocolVersion(rawValue: level) else {
            throw reader.error(.unsupportedProtocolVersion(level), .protocolLevel, rule: .protocolLevel)
        }
        // From here on the packet's own version decides the layout and the rules.
        reader = PacketReader(
            buffer: reader.buffer,
            body: reader.index..<reader.end,
            packet: .connect,
            version: version
        )

        let flags = try reader.readUInt8(.connectFlags)
        if flags & Flags.reserved != 0 {
            throw reader.error(.reservedBitsSet(Flags.reserved), .connectFlags, rule: .connectReservedFlag)
        }
        let hasWill = flags & Flags.will != 0
        let willQoSBits = (flags >> Flags.willQoSShift) & 0x03
        let willRetain = flags & Flags.willRetain != 0
        guard let willQoS = QoS(rawValue: willQoSBits) else {
            throw reader.error(.invalidQoS(willQoSBits), .willQoS, rule: .willQoS)
        }
        if !hasWill && willQoS != .atMostOnce {
            throw reader.error(
                .inconsistentFlags("Will QoS is set without a will"),
                .connectFlags,
                rule: .willQoSWithoutWill
            )
        }
        if !hasWill && willRetain {
            throw reader.error(
                .inconsistentFlags("Will Retain is set without a will"),
                .connectFlags,
                rule: .willRetainWithoutWill
            )
        }
        let hasUserName = flags & Flags.userName != 0
        let hasPassword = flags & Flags.password != 0
        if version == .v311 && hasPassword && !hasUserName {
            throw reader.error(
                .inconsistentFlags("Password Flag is set without User Name Flag"),
                .connectFlags,
                rule: .passwordWithoutUserName
            )
        }

        let keepAlive = try reader.readUInt16(.keepAlive)
        let properties =
            version == .v5 ? try reader.readProperties(ConnectProperties.self, .packet(.connect)) : ConnectProperties()
        if properties.authenticationData != nil && properties.authenticationMethod == nil {
            throw reader.error(
                .authenticationDataWithoutMethod,
                PropertyContext.packet(.connect).field(.authenticationData),
                rule: .authenticationData
            )
        }

        let clientIdentifier = try reader.readString(.clientIdentifier)
        var will: Will?
        if hasWill {
            let willProperties =
                version == .v5 ? try reader.readProperties(WillProperties.self, .will) : WillProperties()
            let topic = try reader.readTopicName(.willTopic, rule: .willTopicWildcards)
            let payload = try reader.readBinary(.willPayload)
            will = Will(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        let userName = hasUserName ? try reader.readString(.userName) : nil
        let password = hasPassword ? try reader.readBinary(.password) : nil
        try reader.expectEnd()

        self.init(
            protocolVersion: version,
            clientIdentifier: clientIdentifier,
            cleanStart: flags & Flags.cleanStart != 0,
            keepAlive: keepAlive,
            userName: userName,
            password: password,
            will: will,
            properties: properties
        )
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if protocolVersion == .v311 && password != nil && userName == nil {
            throw writer.error(
                .inconsistentFlags("a password needs a user name"),
                .password,
                rule: .passwordWithoutUserName
            )
        }
        try writer.writeString(Self.protocolName, .protocolName)
        writer.writeUInt8(protocolVersion.rawValue)
        var flags: UInt8 = 0
        if cleanStart { flags |= Flags.cleanStart }
        if let will {
            flags |= Flags.will | will.qos.rawValue << Flags.willQoSShift
            if will.retain { flags |= Flags.willRetain }
        }
        if userName != nil { flags |= Flags.userName }
        if password != nil { flags |= Flags.password }
        writer.writeUInt8(flags)
        writer.writeUInt16(keepAlive)
        try writer.writeProperties(properties, .packet(.connect))
        try writer.writeString(clientIdentifier, .clientIdentifier)
        if let will {
            try writer.writeProperties(will.properties, .will)
            try writer.writeTopicName(will.topic, .willTopic, rule: .willTopicWildcards)
            try writer.writeBinary(will.payload, .willPayload)
        }
        if let userName { try writer.writeString(userName, .userName) }
        if let password { try writer.writeBinary(password, .password) }
    }
}

/// CONNECT properties (MQTT 5.0 §3.1.2.11).
public struct ConnectProperties: Hashable, Sendable {
    /// Seconds the session outlives the connection; absent means 0, `UInt32.max` never expires.
    public var sessionExpiryInterval: UInt32?
    /// How many QoS 1 and 2 publications the client accepts at once (not 0).
    public var receiveMaximum: UInt16?
    /// The largest packet the client accepts (not 0).
    public var maximumPacketSize: UInt32?
    /// The highest topic alias the client accepts from the server.
    public var topicAliasMaximum: UInt16?
    /// Ask the server for Response Information in CONNACK.
    public var requestResponseInformation: Bool?
    /// Whether the server may send reason strings and user properties on failures.
    public var requestProblemInformation: Bool?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]
    /// The extended authentication method.
    public var authenticationMethod: String?
    /// Data for the extended authentication method.
    public var authenticationData: [UInt8]?

    /// CONNECT properties; every one is absent unless given.
    public init(
        sessionExpiryInterval: UInt32? = nil,
        receiveMaximum: UInt16? = nil,
        maximumPacketSize: UInt32? = nil,
        topicAliasMaximum: UInt16? = nil,
        requestResponseInformation: Bool? = nil,
        requestProblemInformation: Bool? = nil,
        userProperties: [UserProperty] = [],
        authenticationMethod: String? = nil,
        authenticationData: [UInt8]? = nil
    ) {
        self.sessionExpiryInterval = sessionExpiryInterval
        self.receiveMaximum = receiveMaximum
        self.maximumPacketSize = maximumPacketSize
        self.topicAliasMaximum = topicAliasMaximum
        self.requestResponseInformation = requestResponseInformation
        self.requestProblemInformation = requestProblemInformation
        self.userProperties = userProperties
        self.authenticationMethod = authenticationMethod
        self.authenticationData = authenticationData
    }
}

extension ConnectProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .sessionExpiryInterval(let value): sessionExpiryInterval = value
        case .receiveMaximum(let value): receiveMaximum = value
        case .maximumPacketSize(let value): maximumPacketSize = value
        case .topicAliasMaximum(let value): topicAliasMaximum = value
        case .requestResponseInformation(let value): requestResponseInformation = value
        case .requestProblemInformation(let value): requestProblemInformation = value
        case .userProperty(let pair): userProperties.append(pair)
        case .authenticationMethod(let value): authenticationMethod = value
        case .authenticationData(let value): authenticationData = value
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(sessionExpiryInterval, as: Property.sessionExpiryInterval, context)
        try writer.write(receiveMaximum, as: Property.receiveMaximum, context)
        try writer.write(maximumPacketSize, as: Property.maximumPacketSize, context)
        try writer.write(topicAliasMaximum, as: Property.topicAliasMaximum, context)
        try writer.write(requestResponseInformation, as: Property.requestResponseInformation, context)
        try writer.write(requestProblemInformation, as: Property.requestProblemInformation, context)
        try writer.write(userProperties, context)
        try writer.write(authenticationMethod, as: Property.authenticationMethod, context)
        try writer.write(authenticationData, as: Property.authenticationData, context)
    }
}

/// Will properties (MQTT 5.0 §3.1.3.2).
public struct WillProperties: Hashable, Sendable {
    /// Seconds the server waits after the connection ends before publishing the will.
    public var willDelayInterval: UInt32?
    /// Whether the will payload is UTF-8 text.
    public var payloadFormatIndicator: PayloadFormatIndicator?
    /// Lifetime of the will message in seconds.
    public var messageExpiryInterval: UInt32?
    /// A MIME-like description of the payload.
    public var contentType: String?
    /// The topic for a response to the will.
    public var responseTopic: String?
    /// Data that correlates a response with this message.
    public var correlationData: [UInt8]?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]

    /// Will properties; every one is absent unless given.
    public init(
        willDelayInterval: UInt32? = nil,
        payloadFormatIndicator: PayloadFormatIndicator? = nil,
        messageExpiryInterval: UInt32? = nil,
        contentType: String? = nil,
        responseTopic: String? = nil,
        correlationData: [UInt8]? = nil,
        userProperties: [UserProperty] = []
    ) {
        self.willDelayInterval = willDelayInterval
        self.payloadFormatIndicator = payloadFormatIndicator
        self.messageExpiryInterval = messageExpiryInterval
        self.contentType = contentType
        self.responseTopic = responseTopic
        self.correlationData = correlationData
        self.userProperties = userProperties
    }
}

extension WillProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .willDelayInterval(let value): willDelayInterval = value
        case .payloadFormatIndicator(let value): payloadFormatIndicator = value
        case .messageExpiryInterval(let value): messageExpiryInterval = value
        case .contentType(let value): contentType = value
        case .responseTopic(let value): responseTopic = value
        case .correlationData(let value): correlationData = value
        case .userProperty(let pair): userProperties.append(pair)
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(willDelayInterval, as: Property.willDelayInterval, context)
        try writer.write(payloadFormatIndicator, as: Property.payloadFormatIndicator, context)
        try writer.write(messageExpiryInterval, as: Property.messageExpiryInterval, context)
        try writer.write(contentType, as: Property.contentType, context)
        try writer.write(responseTopic, as: Property.responseTopic, context)
        try writer.write(correlationData, as: Property.correlationData, context)
        try writer.write(userProperties, context)
    }
}
