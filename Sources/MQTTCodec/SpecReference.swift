/// Where in a specification a rule is written: the version, the section and, where the rule is a
/// numbered normative statement, its number.
public struct SpecReference: Hashable, Sendable, CustomStringConvertible {
    /// The specification the reference points into.
    public let version: ProtocolVersion
    /// The section number, e.g. `3.3.2.1`.
    public let section: String
    /// The normative statement, e.g. `MQTT-3.3.2-2`, when the rule is one.
    public let statement: String?

    /// Points at a section, and optionally a normative statement, of one version's specification.
    public init(version: ProtocolVersion, section: String, statement: String? = nil) {
        self.version = version
        self.section = section
        self.statement = statement
    }

    /// E.g. `MQTT 5.0 §3.3.2.1 [MQTT-3.3.2-2]`.
    public var description: String {
        let base = "MQTT \(version) §\(section)"
        guard let statement else { return base }
        return "\(base) [\(statement)]"
    }
}

/// A rule whose section (and statement number) differs between the two specifications.
struct Rule: Sendable {
    let v311: (section: String, statement: String?)
    let v5: (section: String, statement: String?)

    func reference(_ version: ProtocolVersion) -> SpecReference {
        let (section, statement) = version == .v5 ? v5 : v311
        return SpecReference(version: version, section: section, statement: statement)
    }

    static let utf8WellFormed = Rule(v311: ("1.5.3", "MQTT-1.5.3-1"), v5: ("1.5.4", "MQTT-1.5.4-1"))
    static let utf8NoNull = Rule(v311: ("1.5.3", "MQTT-1.5.3-2"), v5: ("1.5.4", "MQTT-1.5.4-2"))
    static let stringLength = Rule(v311: ("1.5.3", nil), v5: ("1.5.4", nil))
    static let binaryLength = Rule(v311: ("1.5.3", nil), v5: ("1.5.6", nil))
    static let remainingLength = Rule(v311: ("2.2.3", nil), v5: ("2.1.4", nil))
    static let variableByteInteger = Rule(v311: ("2.2.3", nil), v5: ("1.5.5", nil))
    static let minimalVariableByteInteger = Rule(v311: ("2.2.3", nil), v5: ("1.5.5", "MQTT-1.5.5-1"))
    static let packetType = Rule(v311: ("2.2.1", nil), v5: ("2.1.2", nil))
    static let reservedFlags = Rule(v311: ("2.2.2", "MQTT-2.2.2-1"), v5: ("2.1.3", "MQTT-2.1.3-1"))
    static let nonZeroPacketIdentifier = Rule(v311: ("2.3.1", "MQTT-2.3.1-1"), v5: ("2.2.1", "MQTT-2.2.1-3"))
    static let noPacketIdentifierAtQoS0 = Rule(v311: ("2.3.1", "MQTT-2.3.1-5"), v5: ("2.2.1", "MQTT-2.2.1-2"))
    static let publishQoS = Rule(v311: ("3.3.1.2", "MQTT-3.3.1-4"), v5: ("3.3.1.2", "MQTT-3.3.1-4"))
    static let publishDUP = Rule(v311: ("3.3.1.1", "MQTT-3.3.1-2"), v5: ("3.3.1.1", "MQTT-3.3.1-2"))
    static let topicNameWildcards = Rule(v311: ("3.3.2.1", "MQTT-3.3.2-2"), v5: ("3.3.2.1", "MQTT-3.3.2-2"))
    static let willTopicWildcards = Rule(v311: ("4.7.1", "MQTT-4.7.1-1"), v5: ("4.7.1", "MQTT-4.7.0-1"))
    static let responseTopicWildcards = Rule(v311: ("4.7.1", nil), v5: ("3.3.2.3.5", "MQTT-3.3.2-14"))
    static let topicNotEmpty = Rule(v311: ("4.7.3", "MQTT-4.7.3-1"), v5: ("4.7.3", "MQTT-4.7.3-1"))
    static let multiLevelWildcard = Rule(v311: ("4.7.1.2", "MQTT-4.7.1-2"), v5: ("4.7.1.2", "MQTT-4.7.1-1"))
    static let singleLevelWildcard = Rule(v311: ("4.7.1.3", "MQTT-4.7.1-3"), v5: ("4.7.1.3", "MQTT-4.7.1-2"))
    static let sharedSubscription = Rule(v311: ("4.7", nil), v5: ("4.8.2", "MQTT-4.8.2-2"))
    static let protocolName = Rule(v311: ("3.1.2.1", "MQTT-3.1.2-1"), v5: ("3.1.2.1", "MQTT-3.1.2-1"))
    static let protocolLevel = Rule(v311: ("3.1.2.2", "MQTT-3.1.2-2"), v5: ("3.1.2.2", "MQTT-3.1.2-2"))
    static let connectReservedFlag = Rule(v311: ("3.1.2.3", "MQTT-3.1.2-3"), v5: ("3.1.2.3", "MQTT-3.1.2-3"))
    static let willQoSWithoutWill = Rule(v311: ("3.1.2.6", "MQTT-3.1.2-13"), v5: ("3.1.2.6", "MQTT-3.1.2-11"))
    static let willRetainWithoutWill = Rule(v311: ("3.1.2.7", "MQTT-3.1.2-15"), v5: ("3.1.2.7", "MQTT-3.1.2-11"))
    static let willQoS = Rule(v311: ("3.1.2.6", "MQTT-3.1.2-14"), v5: ("3.1.2.6", "MQTT-3.1.2-12"))
    static let passwordWithoutUserName = Rule(v311: ("3.1.2.9", "MQTT-3.1.2-22"), v5: ("3.1.2.9", nil))
    static let connackReservedFlags = Rule(v311: ("3.2.2.1", nil), v5: ("3.2.2.1", "MQTT-3.2.2-1"))
    static let sessionPresentOnFailure = Rule(v311: ("3.2.2.2", "MQTT-3.2.2-4"), v5: ("3.2.2.1.1", "MQTT-3.2.2-6"))
    static let subscribeNotEmpty = Rule(v311: ("3.8.3", "MQTT-3.8.3-3"), v5: ("3.8.3", "MQTT-3.8.3-2"))
    static let subscriptionOptionsReserved = Rule(v311: ("3.8.3.1", "MQTT-3-8.3-4"), v5: ("3.8.3.1", "MQTT-3.8.3-5"))
    static let requestedQoS = Rule(v311: ("3.8.3.1", "MQTT-3-8.3-4"), v5: ("3.8.3.1", nil))
    static let topicLength = Rule(v311: ("4.7.3", "MQTT-4.7.3-3"), v5: ("4.7.3", "MQTT-4.7.3-3"))
    static let topicNoNull = Rule(v311: ("4.7.3", "MQTT-4.7.3-2"), v5: ("4.7.3", "MQTT-4.7.3-2"))
    static let noLocalOnShared = Rule(v311: ("3.8.3.1", nil), v5: ("3.8.3.1", "MQTT-3.8.3-4"))
    static let retainHandling = Rule(v311: ("3.8.3.1", nil), v5: ("3.8.3.1", nil))
    static let subackReturnCodes = Rule(v311: ("3.9.3", "MQTT-3.9.3-2"), v5: ("3.9.3", "MQTT-3.9.3-2"))
    static let unsubscribeNotEmpty = Rule(v311: ("3.10.3", "MQTT-3.10.3-2"), v5: ("3.10.3", "MQTT-3.10.3-2"))
    static let propertyTable = Rule(v311: ("2.2", nil), v5: ("2.2.2.2", nil))
    static let authenticationData = Rule(v311: ("2.2", nil), v5: ("3.1.2.11.10", nil))
    static let topicAliasOrTopic = Rule(v311: ("3.3.2.1", nil), v5: ("3.3.2.3.4", nil))
}
