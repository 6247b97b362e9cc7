/// One property with its typed value: what a property block decodes into before the packet's
/// property set takes it, and what a property set writes out.
enum Property {
    case payloadFormatIndicator(PayloadFormatIndicator)
    case messageExpiryInterval(UInt32)
    case contentType(String)
    case responseTopic(String)
    case correlationData([UInt8])
    case subscriptionIdentifier(UInt32)
    case sessionExpiryInterval(UInt32)
    case assignedClientIdentifier(String)
    case serverKeepAlive(UInt16)
    case authenticationMethod(String)
    case authenticationData([UInt8])
    case requestProblemInformation(Bool)
    case willDelayInterval(UInt32)
    case requestResponseInformation(Bool)
    case responseInformation(String)
    case serverReference(String)
    case reasonString(String)
    case receiveMaximum(UInt16)
    case topicAliasMaximum(UInt16)
    case topicAlias(UInt16)
    case maximumQoS(QoS)
    case retainAvailable(Bool)
    case userProperty(UserProperty)
    case maximumPacketSize(UInt32)
    case wildcardSubscriptionAvailable(Bool)
    case subscriptionIdentifiersAvailable(Bool)
    case sharedSubscriptionAvailable(Bool)
}

/// A packet's property block as a typed value. `set` takes one decoded property and returns
/// `false` for a property this block may not carry; `write` writes every property present.
protocol PropertySet: Hashable, Sendable {
    /// The block with no property set. (A requirement of `init()` is not met by the types'
    /// memberwise initialisers with all-default arguments, hence this.)
    static var none: Self { get }
    /// Whether no property is set: the block encodes as a single zero length byte.
    var isEmpty: Bool { get }
    mutating func set(_ property: Property) -> Bool
    func write<Sink: ByteSink>(to writer: inout PacketWriter<Sink>, context: PropertyContext) throws(MQTTCodecError)
}

extension PropertySet {
    /// Compares with the empty block; the PUBLISH properties, on the hot path, check field by field.
    var isEmpty: Bool { self == Self.none }
}

// MARK: - Reading

extension PacketReader {
    /// Reads a property block (a variable byte integer length, then the properties) into `Set`,
    /// rejecting unknown, repeated, misplaced and out-of-range properties (MQTT 5.0 §2.2.2).
    mutating func readProperties<Set: PropertySet>(
        _: Set.Type,
        _ context: PropertyContext
    ) throws(MQTTCodecError) -> Set {
        try readPropertiesIfAny(Set.self, context) ?? Set.none
    }

    /// Reads a property block; `nil` when it is empty, as it nearly always is.
    mutating func readPropertiesIfAny<Set: PropertySet>(
        _: Set.Type,
        _ context: PropertyContext
    ) throws(MQTTCodecError) -> Set? {
        let length = Int(try readVariableByteInteger(.propertyLength))
        guard length <= remaining else {
            throw error(.truncated(needed: length, available: remaining), .propertyLength, rule: .remainingLength)
        }
        if length == 0 { return nil }
        let outerEnd = end
        end = index + length
        defer { end = outerEnd }

        var properties = Set.none
        var seen: UInt64 = 0
        while index < end {
            let property = try readProperty(context)
            let identifier = property.identifier
            let bit: UInt64 = 1 << identifier.rawValue
            if seen & bit != 0 && !identifier.mayRepeat(in: context) {
                throw error(.duplicateProperty, context.field(identifier), rule: .propertyTable)
            }
            seen |= bit
            guard properties.set(property) else {
                throw error(.propertyNotAllowed, context.field(identifier), rule: .propertyTable)
            }
        }
        return properties
    }

    private mutating func readProperty(_ context: PropertyContext) throws(MQTTCodecError) -> Property {
        let rawIdentifier = try readVariableByteInteger(context.field(nil))
        guard rawIdentifier <= UInt8.max, let identifier = PropertyIdentifier(rawValue: UInt8(rawIdentifier)) else {
            throw error(.unknownProperty(rawIdentifier), context.field(nil), rule: .propertyTable)
        }
        let field = context.field(identifier)

        func flag() throws(MQTTCodecError) -> Bool {
            let value = try readUInt8(field)
            guard value <= 1 else { throw error(.invalidPropertyValue(UInt32(value)), field, rule: .propertyTable) }
            return value == 1
        }

        let property: Property
        switch identifier {
        case .payloadFormatIndicator:
            let value = try readUInt8(field)
            guard let format = PayloadFormatIndicator(rawValue: value) else {
                throw error(.invalidPropertyValue(UInt32(value)), field, rule: .propertyTable)
            }
            property = .payloadFormatIndicator(format)
        case .messageExpiryInterval: property = .messageExpiryInterval(try readUInt32(field))
        case .contentType: property = .contentType(try readString(field))
        case .responseTopic: property = .responseTopic(try readString(field))
        case .correlationData: property = .correlationData(try readBinary(field))
        case .subscriptionIdentifier: property = .subscriptionIdentifier(try readVariableByteInteger(field))
        case .sessionExpiryInterval: property = .sessionExpiryInterval(try readUInt32(field))
        case .assignedClientIdentifier: property = .assignedClientIdentifier(try readString(field))
        case .serverKeepAlive: property = .serverKeepAlive(try readUInt16(field))
        case .authenticationMethod: property = .authenticationMethod(try readString(field))
        case .authenticationData: property = .authenticationData(try readBinary(field))
        case .requestProblemInformation: property = .requestProblemInformation(try flag())
        case .willDelayInterval: property = .willDelayInterval(try readUInt32(field))
        case .requestResponseInformation: property = .requestResponseInformation(try flag())
        case .responseInformation: property = .responseInformation(try readString(field))
        case .serverReference: property = .serverReference(try readString(field))
        case .reasonString: property = .reasonString(try readString(field))
        case .receiveMaximum: property = .receiveMaximum(try readUInt16(field))
        case .topicAliasMaximum: property = .topicAliasMaximum(try readUInt16(field))
        case .topicAlias: property = .topicAlias(try readUInt16(field))
        case .maximumQoS: property = .maximumQoS(try flag() ? .atLeastOnce : .atMostOnce)
        case .retainAvailable: property = .retainAvailable(try flag())
        case .userProperty:
            let name = try readString(field)
            property = .userProperty(UserProperty(name, try readString(field)))
        case .maximumPacketSize: property = .maximumPacketSize(try readUInt32(field))
        case .wildcardSubscriptionAvailable: property = .wildcardSubscriptionAvailable(try flag())
        case .subscriptionIdentifiersAvailable: property = .subscriptionIdentifiersAvailable(try flag())
        case .sharedSubscriptionAvailable: property = .sharedSubscriptionAvailable(try flag())
        }
        if let problem = property.problem {
            throw error(problem, field, rule: identifier == .responseTopic ? .responseTopicWildcards : .propertyTable)
        }
        return property
    }
}

// MARK: - Writing

extension PacketWriter {
    /// Writes a property block: its length, then the properties. Under MQTT 3.1.1, which has no
    /// properties, it writes nothing, and fails if any property is set.
    mutating func writeProperties<Set: PropertySet>(
        _ properties: Set,
        _ context: PropertyContext
    ) throws(MQTTCodecError) {
        guard version == .v5 else {
            guard properties.isEmpty else { throw error(.notInVersion, Field("Properties", v311: "2.2", v5: "2.2.2")) }
            return
        }
        var counter = PacketWriter<ByteCounter>(sink: ByteCounter(), packet: packet, version: version)
        try properties.write(to: &counter, context: context)
        try writeVariableByteInteger(UInt32(clamping: counter.sink.count), .propertyLength)
        try properties.write(to: &self, context: context)
    }

    /// Writes one property, refusing values the specification forbids.
    mutating func write(_ property: Property, _ context: PropertyContext) throws(MQTTCodecError) {
        let identifier = property.identifier
        let field = context.field(identifier)
        if let problem = property.problem {
            throw error(problem, field, rule: identifier == .responseTopic ? .responseTopicWildcards : .propertyTable)
        }
        writeUInt8(identifier.rawValue)
        switch property {
        case .payloadFormatIndicator(let value): writeUInt8(value.rawValue)
        case .messageExpiryInterval(let value), .sessionExpiryInterval(let value), .willDelayInterval(let value),
            .maximumPacketSize(let value):
            writeUInt32(value)
        case .contentType(let value), .responseTopic(let value), .assignedClientIdentifier(let value),
            .authenticationMethod(let value), .responseInformation(let value), .serverReference(let value),
            .reasonString(let value):
            try writeString(value, field)
        case .correlationData(let value), .authenticationData(let value): try writeBinary(value, field)
        case .subscriptionIdentifier(let value): try writeVariableByteInteger(value, field)
        case .serverKeepAlive(let value), .receiveMaximum(let value), .topicAliasMaximum(let value),
            .topicAlias(let value):
            writeUInt16(value)
        case .requestProblemInformation(let value), .requestResponseInformation(let value),
            .retainAvailable(let value), .wildcardSubscriptionAvailable(let value),
            .subscriptionIdentifiersAvailable(let value), .sharedSubscriptionAvailable(let value):
            writeUInt8(value ? 1 : 0)
        case .maximumQoS(let value): writeUInt8(value.rawValue)
        case .userProperty(let pair):
            try writeString(pair.name, field)
            try writeString(pair.value, field)
        }
    }

    /// Writes the property if `value` is present.
    mutating func write<Value>(
        _ value: Value?,
        as property: (Value) -> Property,
        _ context: PropertyContext
    ) throws(MQTTCodecError) {
        if let value { try write(property(value), context) }
    }

    /// Writes each user property in order.
    mutating func write(_ pairs: [UserProperty], _ context: PropertyContext) throws(MQTTCodecError) {
        for pair in pairs { try write(.userProperty(pair), context) }
    }
}

// MARK: - Value rules

extension Property {
    var identifier: PropertyIdentifier {
        switch self {
        case .payloadFormatIndicator: .payloadFormatIndicator
        case .messageExpiryInterval: .messageExpiryInterval
        case .contentType: .contentType
        case .responseTopic: .responseTopic
        case .correlationData: .correlationData
        case .subscriptionIdentifier: .subscriptionIdentifier
        case .sessionExpiryInterval: .sessionExpiryInterval
        case .assignedClientIdentifier: .assignedClientIdentifier
        case .serverKeepAlive: .serverKeepAlive
        case .authenticationMethod: .authenticationMethod
        case .authenticationData: .authenticationData
        case .requestProblemInformation: .requestProblemInformation
        case .willDelayInterval: .willDelayInterval
        case .requestResponseInformation: .requestResponseInformation
        case .responseInformation: .responseInformation
        case .serverReference: .serverReference
        case .reasonString: .reasonString
        case .receiveMaximum: .receiveMaximum
        case .topicAliasMaximum: .topicAliasMaximum
        case .topicAlias: .topicAlias
        case .maximumQoS: .maximumQoS
        case .retainAvailable: .retainAvailable
        case .userProperty: .userProperty
        case .maximumPacketSize: .maximumPacketSize
        case .wildcardSubscriptionAvailable: .wildcardSubscriptionAvailable
        case .subscriptionIdentifiersAvailable: .subscriptionIdentifiersAvailable
        case .sharedSubscriptionAvailable: .sharedSubscriptionAvailable
        }
    }

    /// What is wrong with the value, if anything. "It is a Protocol Error" for Receive Maximum,
    /// Maximum Packet Size, Topic Alias or Subscription Identifier to be 0, and a Response Topic
    /// must be a topic name without wildcards [MQTT-3.3.2-14].
    var problem: MQTTCodecError.Problem? {
        switch self {
        case .receiveMaximum(0), .topicAlias(0): .invalidPropertyValue(0)
        case .maximumPacketSize(0): .invalidPropertyValue(0)
        case .subscriptionIdentifier(let value) where value == 0 || value > VariableByteInteger.maximum:
            .invalidPropertyValue(value)
        case .maximumQoS(.exactlyOnce): .invalidPropertyValue(2)
        case .responseTopic(let topic): TopicName.problem(inUTF8: topic.utf8, allowEmpty: false)
        default: nil
        }
    }
}
