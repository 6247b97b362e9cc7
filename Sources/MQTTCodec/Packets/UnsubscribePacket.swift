/// UNSUBSCRIBE: a request to remove subscriptions (MQTT 3.1.1 §3.10, MQTT 5.0 §3.10).
public struct UnsubscribePacket: Hashable, Sendable {
    /// The packet identifier the UNSUBACK will echo.
    public var packetIdentifier: UInt16
    /// The filters to remove, exactly as they were subscribed; at least one.
    public var topicFilters: [String]
    /// UNSUBSCRIBE properties (MQTT 5.0).
    public var properties: UnsubscribeProperties

    /// An UNSUBSCRIBE.
    public init(
        packetIdentifier: UInt16,
        topicFilters: [String],
        properties: UnsubscribeProperties = UnsubscribeProperties()
    ) {
        self.packetIdentifier = packetIdentifier
        self.topicFilters = topicFilters
        self.properties = properties
    }
}

extension UnsubscribePacket {
    init(from reader: inout PacketReader) throws(MQTTCodecError) {
        let identifier = try reader.readPacketIdentifier()
        let properties =
            reader.version == .v5
            ? try reader.readProperties(UnsubscribeProperties.self, .packet(.unsubscribe)) : UnsubscribeProperties()
        var filters: [String] = []
        while reader.remaining > 0 {
            filters.append(try reader.readTopicFilter(.unsubscribeTopicFilter))
        }
        if filters.isEmpty {
            throw reader.error(.noTopicFilters, .unsubscribeTopicFilter, rule: .unsubscribeNotEmpty)
        }
        self.init(packetIdentifier: identifier, topicFilters: filters, properties: properties)
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if topicFilters.isEmpty {
            throw writer.error(.noTopicFilters, .unsubscribeTopicFilter, rule: .unsubscribeNotEmpty)
        }
        try writer.writePacketIdentifier(packetIdentifier)
        try writer.writeProperties(properties, .packet(.unsubscribe))
        for filter in topicFilters {
            try writer.writeTopicFilter(filter, .unsubscribeTopicFilter)
        }
    }
}

/// UNSUBSCRIBE properties (MQTT 5.0 §3.10.2.1).
public struct UnsubscribeProperties: Hashable, Sendable {
    /// Application-defined pairs.
    public var userProperties: [UserProperty]

    /// UNSUBSCRIBE properties; none unless given.
    public init(userProperties: [UserProperty] = []) {
        self.userProperties = userProperties
    }
}

extension UnsubscribeProperties: PropertySet {
    static var none: Self { Self() }

    mutating func set(_ property: Property) -> Bool {
        guard case .userProperty(let pair) = property else { return false }
        userProperties.append(pair)
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(userProperties, context)
    }
}
