/// PUBLISH: an application message (MQTT 3.1.1 §3.3, MQTT 5.0 §3.3).
///
/// A decoded packet's topic and payload are slices of the buffer it was read from: no byte is
/// copied and no `String` is made while decoding. Most receivers only match the topic's bytes
/// against filters, so a `String` is made only when ``topicName`` is read.
public struct PublishPacket: Hashable, Sendable {
    /// The topic's UTF-8 bytes, always well-formed: it is set from a `String` or checked while
    /// decoding. Compared byte for byte, as topics are [MQTT-4.7.3-4].
    public private(set) var topicUTF8: ArraySlice<UInt8>
    /// The topic. Under MQTT 5.0 it may be empty when a topic alias stands for it.
    ///
    /// Each read makes a `String` of ``topicUTF8``.
    public var topicName: String {
        get { String(decoding: topicUTF8, as: UTF8.self) }
        set { topicUTF8 = ArraySlice(newValue.utf8) }
    }
    /// The application payload.
    public var payload: ArraySlice<UInt8>
    /// The quality of service.
    public var qos: QoS
    /// Whether the server should retain the message (or, when received, that it was retained).
    public var retain: Bool
    /// Whether this is a re-delivery of an earlier attempt (the DUP flag).
    public var duplicate: Bool
    /// The packet identifier: present exactly when `qos` is above 0.
    public var packetIdentifier: UInt16?
    /// PUBLISH properties (MQTT 5.0).
    public var properties: PublishProperties {
        get { boxedProperties?.value ?? PublishProperties() }
        set { boxedProperties = newValue.isEmpty ? nil : Box(newValue) }
    }

    /// Most messages carry no properties; keeping them out of line (and `nil` when there are none)
    /// keeps the packet small, so it moves through the decoder and the application cheaply.
    private var boxedProperties: Box<PublishProperties>?

    // Fixed header flag bits (MQTT 5.0 §3.3.1).
    enum Flags {
        static let retain: UInt8 = 0x01
        static let qosShift: UInt8 = 1
        static let duplicate: UInt8 = 0x08
    }

    /// The fixed header flags: DUP, QoS and RETAIN.
    var fixedHeaderFlags: UInt8 {
        (duplicate ? Flags.duplicate : 0) | qos.rawValue << Flags.qosShift | (retain ? Flags.retain : 0)
    }
}

// The public initialiser lives in an extension so the struct keeps its implicit memberwise one:
// the decoder builds packets with it, which the optimiser constructs in place, where a packet
// built by an initialiser's assignments was copied and the original destroyed (six reference-count
// operations per message in profiles).
extension PublishPacket {
    /// A PUBLISH.
    public init(
        topicName: String,
        payload: ArraySlice<UInt8> = [],
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        duplicate: Bool = false,
        packetIdentifier: UInt16? = nil,
        properties: PublishProperties = PublishProperties()
    ) {
        self.topicUTF8 = ArraySlice(topicName.utf8)
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.duplicate = duplicate
        self.packetIdentifier = packetIdentifier
        self.boxedProperties = properties.isEmpty ? nil : Box(properties)
    }
}

extension PublishPacket {
    /// Where a PUBLISH's topic and payload are, and its packet identifier: read while the buffer
    /// is borrowed, then the topic and payload are sliced from the storage, so they share it.
    ///
    /// Properties come back apart, boxed, through an `inout`, so this stays a plain value and an
    /// optional properties value is never copied whole.
    struct Head {
        /// Where the topic's bytes are.
        var topic: Range<Int>
        /// Where the payload's bytes are: the rest of the packet.
        var payload: Range<Int>
        var packetIdentifier: UInt16?
    }

    /// Reads a PUBLISH's variable header; `flags` were already checked by ``FixedHeader``.
    static func readHead(
        from reader: inout PacketReader,
        flags: UInt8,
        properties: inout Box<PublishProperties>?
    ) throws(MQTTCodecError) -> Head {
        let qos = QoS(rawValue: (flags >> Flags.qosShift) & 0x03) ?? .atMostOnce
        // MQTT 5.0 allows an empty topic name when a Topic Alias carries the topic.
        let topic = try reader.readTopicNameBytes(
            .topicName,
            rule: .topicNameWildcards,
            allowEmpty: reader.version == .v5
        )
        let packetIdentifier = qos == .atMostOnce ? nil : try reader.readPacketIdentifier()
        if reader.version == .v5 {
            // Most messages have an empty property block: then no properties value is made at all.
            if let read = try reader.readPropertiesIfAny(PublishProperties.self, .packet(.publish)) {
                properties = Box(read)
            }
            if topic.isEmpty && properties?.value.topicAlias == nil {
                throw reader.error(.emptyTopic, .topicName, rule: .topicAliasOrTopic)
            }
        }
        return Head(topic: topic, payload: reader.readRest(), packetIdentifier: packetIdentifier)
    }

    /// The packet whose variable header is `head`, with its topic and payload sliced from `storage`.
    static func decoded(
        _ head: Head,
        properties: consuming Box<PublishProperties>?,
        flags: UInt8,
        storage: [UInt8]
    ) -> PublishPacket {
        PublishPacket(
            topicUTF8: storage[head.topic],
            payload: storage[head.payload],
            qos: QoS(rawValue: (flags >> Flags.qosShift) & 0x03) ?? .atMostOnce,
            retain: flags & Flags.retain != 0,
            duplicate: flags & Flags.duplicate != 0,
            packetIdentifier: head.packetIdentifier,
            boxedProperties: properties
        )
    }

    /// The packet with `topic` (well-formed UTF-8) as its topic: how a receiver puts back the topic
    /// a Topic Alias stood for (MQTT 5.0 §3.3.2.3.4).
    package func withTopic(utf8 topic: ArraySlice<UInt8>) -> PublishPacket {
        var packet = self
        packet.topicUTF8 = topic
        return packet
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        if duplicate && qos == .atMostOnce {
            throw writer.error(.duplicateFlagWithQoS0, .dup, rule: .publishDUP)
        }
        let allowEmpty = writer.version == .v5 && boxedProperties?.value.topicAlias != nil
        try writer.writeTopicName(utf8: topicUTF8, .topicName, rule: .topicNameWildcards, allowEmpty: allowEmpty)
        switch (qos, packetIdentifier) {
        case (.atMostOnce, nil): break
        case (.atMostOnce, .some):
            throw writer.error(.unexpectedPacketIdentifier, .packetIdentifier, rule: .noPacketIdentifierAtQoS0)
        case (_, nil):
            throw writer.error(.missingPacketIdentifier, .packetIdentifier, rule: .nonZeroPacketIdentifier)
        case (_, let identifier?):
            try writer.writePacketIdentifier(identifier)
        }
        if let boxedProperties {
            try writer.writeProperties(boxedProperties.value, .packet(.publish))
        } else if writer.version == .v5 {
            writer.writeUInt8(0)
        }
        writer.sink.write(bytes: payload)
    }
}

/// An immutable box that compares and hashes by its value.
final class Box<Value: Hashable & Sendable>: Hashable, Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    static func == (lhs: Box, rhs: Box) -> Bool {
        lhs === rhs || lhs.value == rhs.value
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}

/// PUBLISH properties (MQTT 5.0 §3.3.2.3).
public struct PublishProperties: Hashable, Sendable {
    /// Whether the payload is UTF-8 text.
    public var payloadFormatIndicator: PayloadFormatIndicator?
    /// Lifetime of the message in seconds.
    public var messageExpiryInterval: UInt32?
    /// A number standing for the topic on this connection (not 0).
    public var topicAlias: UInt16?
    /// The topic for a response.
    public var responseTopic: String?
    /// Data that correlates a response with this message.
    public var correlationData: [UInt8]?
    /// Application-defined pairs, in order.
    public var userProperties: [UserProperty]
    /// The identifiers of the subscriptions that matched (server to client only).
    public var subscriptionIdentifiers: [UInt32]
    /// A MIME-like description of the payload.
    public var contentType: String?

    /// PUBLISH properties; every one is absent unless given.
    public init(
        payloadFormatIndicator: PayloadFormatIndicator? = nil,
        messageExpiryInterval: UInt32? = nil,
        topicAlias: UInt16? = nil,
        responseTopic: String? = nil,
        correlationData: [UInt8]? = nil,
        userProperties: [UserProperty] = [],
        subscriptionIdentifiers: [UInt32] = [],
        contentType: String? = nil
    ) {
        self.payloadFormatIndicator = payloadFormatIndicator
        self.messageExpiryInterval = messageExpiryInterval
        self.topicAlias = topicAlias
        self.responseTopic = responseTopic
        self.correlationData = correlationData
        self.userProperties = userProperties
        self.subscriptionIdentifiers = subscriptionIdentifiers
        self.contentType = contentType
    }
}

extension PublishProperties: PropertySet {
    static var none: Self { Self() }

    var isEmpty: Bool {
        payloadFormatIndicator == nil && messageExpiryInterval == nil && topicAlias == nil && responseTopic == nil
            && correlationData == nil && userProperties.isEmpty && subscriptionIdentifiers.isEmpty
            && contentType == nil
    }

    mutating func set(_ property: Property) -> Bool {
        switch property {
        case .payloadFormatIndicator(let value): payloadFormatIndicator = value
        case .messageExpiryInterval(let value): messageExpiryInterval = value
        case .topicAlias(let value): topicAlias = value
        case .responseTopic(let value): responseTopic = value
        case .correlationData(let value): correlationData = value
        case .userProperty(let pair): userProperties.append(pair)
        case .subscriptionIdentifier(let value): subscriptionIdentifiers.append(value)
        case .contentType(let value): contentType = value
        default: return false
        }
        return true
    }

    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError) {
        try writer.write(payloadFormatIndicator, as: Property.payloadFormatIndicator, context)
        try writer.write(messageExpiryInterval, as: Property.messageExpiryInterval, context)
        try writer.write(topicAlias, as: Property.topicAlias, context)
        try writer.write(responseTopic, as: Property.responseTopic, context)
        try writer.write(correlationData, as: Property.correlationData, context)
        try writer.write(userProperties, context)
        for identifier in subscriptionIdentifiers {
            try writer.write(.subscriptionIdentifier(identifier), context)
        }
        try writer.write(contentType, as: Property.contentType, context)
    }
}
