/// SUBSCRIBE: a request for the messages matching one or more topic filters
/// (MQTT 3.1.1 §3.8, MQTT 5.0 §3.8).
public struct SubscribePacket: Hashable, Sendable {
    /// The packet identifier the SUBACK will echo.
    public var packetIdentifier: UInt16
    /// The filters with their options; at least one.
    public var subscriptions: [Subscription]
    /// SUBSCRIBE properties (MQTT 5.0).
    public var properties: SubscribeProperties

    /// A SUBSCRIBE.
    public init(
        packetIdentifier: UInt16,
        subscriptions: [Subscription],
        properties: SubscribeProperties = SubscribeProperties()
    ) {
        self.packetIdentifier = packetIdentifier
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

/// One topic filter of a SUBSCRIBE with its options (MQTT 5.0 §3.8.3.1).
public struct Subscription: Hashable, Sendable {
    /// The topic filter.
    public var topicFilter: String
    /// The highest QoS the client wants messages delivered at.
    public var qos: QoS
    /// Do not deliver messages this client published itself (MQTT 5.0).
    public var noLocal: Bool
    /// Keep the RETAIN flag of forwarded messages as published (MQTT 5.0).
    public var retainAsPublished: Bool
    /// When the server sends retained messages for this subscription (MQTT 5.0).
    public var retainHandling: RetainHandling

    /// A subscription; the options beyond QoS default to the MQTT 3.1.1 behaviour.
    public init(
        topicFilter: String,
        qos: QoS = .atLeastOnce,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe
    ) {
        self.topicFilter = topicFilter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }

    /// When the server sends retained messages for a new subscription (MQTT 5.0 §3.8.3.1).
    public enum RetainHandling: UInt8, Hashable, Sendable {
        /// 0: send retained messages whenever the subscription is made.
        case sendOnSubscribe = 0
        /// 1: send them only if the subscription did not exist before.
        case sendOnNewSubscription = 1
        /// 2: never send them at subscribe time.
        case doNotSend = 2
    }

    // Subscription Options bits (MQTT 5.0 §3.8.3.1).
    fileprivate enum Options {
        static let qosMask: UInt8 = 0x03
        static let noLocal: UInt8 = 0x04
        static let retainAsPublished: UInt8 = 0x08
        static let retainHandlingShift: UInt8 = 4
        static let reservedV5: UInt8 = 0xC0
        static let reservedV311: UInt8 = 0xFC
    }
}

extension SubscribePacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let identifier = try reader.readPacketIdentifier()
        let properties =
            reader.version == .v5
            ? try reader.readProperties(SubscribeProperties.self, .packet(.subscribe)) : SubscribeProperties()
        var subscriptions: [Subscription] = []
        while reader.remaining > 0 {
            subscriptions.append(try Subscription(from: &reader))
        }
        if subscriptions.isEmpty {
            throw reader.error(.noTopicFilters, .topicFilter, rule: .subscribeNotEmpty)
        }
        self.init(packetIdentifier: identifier, subscriptions: subscriptions, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if subscriptions.isEmpty {
            throw writer.error(.noTopicFilters, .topicFilter, rule: .subscribeNotEmpty)
        }
        try writer.writePacketIdentifier(packetIdentifier)
        try writer.writeProperties(properties, .packet(.subscribe))
        for subscription in subscriptions {
            try subscription.write(to: &writer)
        }
    }
}

extension Subscription {
    fileprivate init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let filter = try reader.readTopicFilter(.topicFilter)
        let options = try reader.readUInt8(.subscriptionOptions)
        let reserved = options & (reader.version == .v5 ? Options.reservedV5 : Options.reservedV311)
        if reserved != 0 {
            throw reader.error(.reservedBitsSet(reserved), .subscriptionOptions, rule: .subscriptionOptionsReserved)
        }
        guard let qos = QoS(rawValue: options & Options.qosMask) else {
            throw reader.error(
                .invalidQoS(options & Options.qosMask),
                .subscriptionOptions,
                rule: .requestedQoS
            )
        }
        let handlingBits = (options >> Options.retainHandlingShift) & 0x03
        guard let handling = RetainHandling(rawValue: handlingBits) else {
            throw reader.error(.invalidRetainHandling(handlingBits), .subscriptionOptions, rule: .retainHandling)
        }
        let noLocal = options & Options.noLocal != 0
        if noLocal && TopicFilter.isShared(filter) {
            throw reader.error(.noLocalOnSharedSubscription, .subscriptionOptions, rule: .noLocalOnShared)
        }
        self.init(
            topicFilter: filter,
            qos: qos,
            noLocal: noLocal,
            retainAsPublished: options & Options.retainAsPublished != 0,
            retainHandling: handling
        )
    }

    fileprivate func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        try writer.writeTopicFilter(topicFilter, .topicFilter)
        var options = qos.rawValue
        if noLocal { options |= Options.noLocal }
        if retainAsPublished { options |= Options.retainAsPublished }
        options |= retainHandling.rawValue << Options.retainHandlingShift
        if writer.version == .v311 && options & Options.reservedV311 != 0 {
            throw writer.error(.notInVersion, .subscriptionOptions, rule: .subscriptionOptionsReserved)
        }
        if noLocal && writer.version == .v5 && TopicFilter.isShared(topicFilter) {
            throw writer.error(.noLocalOnSharedSubscription, .subscriptionOptions, rule: .noLocalOnShared)
        }
        writer.writeUInt8(options)
    }
}

/// SUBSCRIBE properties (MQTT 5.0 §3.8.2.1).
public struct SubscribeProperties: Hashable, Sendable {
    /// A number (1 to 268,435,455) the server puts on every message these subscriptions match.
    public var subscriptionIdentifier: UInt32?
    /// Application-defined pairs.
    public var userProperties: [UserProperty]

    /// SUBSCRIBE properties; none unless given.
    public init(subscriptionIdentifier: UInt32? = nil, userProperties: [UserProperty] = []) {
        self.subscriptionIdentifier = subscriptionIdentifier
        self.userProperties = userProperties
    }
}

extension SubscribeProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .subscriptionIdentifier(let value): subscriptionIdentifier = value
        case .userProperty(let pair): userProperties.append(pair)
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(subscriptionIdentifier, as: Property.subscriptionIdentifier, context)
        try writer.write(userProperties, context)
    }
}
