/// The MQTT 5.0 property identifiers (MQTT 5.0 §2.2.2.2, Table 2-4).
public enum PropertyIdentifier: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Byte; PUBLISH and will.
    case payloadFormatIndicator = 0x01
    /// Four-byte integer; PUBLISH and will.
    case messageExpiryInterval = 0x02
    /// UTF-8 string; PUBLISH and will.
    case contentType = 0x03
    /// UTF-8 string; PUBLISH and will.
    case responseTopic = 0x08
    /// Binary data; PUBLISH and will.
    case correlationData = 0x09
    /// Variable byte integer; PUBLISH and SUBSCRIBE.
    case subscriptionIdentifier = 0x0B
    /// Four-byte integer; CONNECT, CONNACK and DISCONNECT.
    case sessionExpiryInterval = 0x11
    /// UTF-8 string; CONNACK.
    case assignedClientIdentifier = 0x12
    /// Two-byte integer; CONNACK.
    case serverKeepAlive = 0x13
    /// UTF-8 string; CONNECT, CONNACK and AUTH.
    case authenticationMethod = 0x15
    /// Binary data; CONNECT, CONNACK and AUTH.
    case authenticationData = 0x16
    /// Byte; CONNECT.
    case requestProblemInformation = 0x17
    /// Four-byte integer; will.
    case willDelayInterval = 0x18
    /// Byte; CONNECT.
    case requestResponseInformation = 0x19
    /// UTF-8 string; CONNACK.
    case responseInformation = 0x1A
    /// UTF-8 string; CONNACK and DISCONNECT.
    case serverReference = 0x1C
    /// UTF-8 string; every acknowledgement, DISCONNECT and AUTH.
    case reasonString = 0x1F
    /// Two-byte integer; CONNECT and CONNACK.
    case receiveMaximum = 0x21
    /// Two-byte integer; CONNECT and CONNACK.
    case topicAliasMaximum = 0x22
    /// Two-byte integer; PUBLISH.
    case topicAlias = 0x23
    /// Byte; CONNACK.
    case maximumQoS = 0x24
    /// Byte; CONNACK.
    case retainAvailable = 0x25
    /// UTF-8 string pair; every packet that has properties.
    case userProperty = 0x26
    /// Four-byte integer; CONNECT and CONNACK.
    case maximumPacketSize = 0x27
    /// Byte; CONNACK.
    case wildcardSubscriptionAvailable = 0x28
    /// Byte; CONNACK.
    case subscriptionIdentifiersAvailable = 0x29
    /// Byte; CONNACK.
    case sharedSubscriptionAvailable = 0x2A

    /// Whether the property may appear more than once in one block: only User Property, and
    /// Subscription Identifier in a PUBLISH from the server (MQTT 5.0 §3.3.4).
    func mayRepeat(in context: PropertyContext) -> Bool {
        switch self {
        case .userProperty: true
        case .subscriptionIdentifier: context.packet == .publish
        default: false
        }
    }

    /// The specification's name, e.g. `Receive Maximum`.
    public var description: String {
        switch self {
        case .payloadFormatIndicator: "Payload Format Indicator"
        case .messageExpiryInterval: "Message Expiry Interval"
        case .contentType: "Content Type"
        case .responseTopic: "Response Topic"
        case .correlationData: "Correlation Data"
        case .subscriptionIdentifier: "Subscription Identifier"
        case .sessionExpiryInterval: "Session Expiry Interval"
        case .assignedClientIdentifier: "Assigned Client Identifier"
        case .serverKeepAlive: "Server Keep Alive"
        case .authenticationMethod: "Authentication Method"
        case .authenticationData: "Authentication Data"
        case .requestProblemInformation: "Request Problem Information"
        case .willDelayInterval: "Will Delay Interval"
        case .requestResponseInformation: "Request Response Information"
        case .responseInformation: "Response Information"
        case .serverReference: "Server Reference"
        case .reasonString: "Reason String"
        case .receiveMaximum: "Receive Maximum"
        case .topicAliasMaximum: "Topic Alias Maximum"
        case .topicAlias: "Topic Alias"
        case .maximumQoS: "Maximum QoS"
        case .retainAvailable: "Retain Available"
        case .userProperty: "User Property"
        case .maximumPacketSize: "Maximum Packet Size"
        case .wildcardSubscriptionAvailable: "Wildcard Subscription Available"
        case .subscriptionIdentifiersAvailable: "Subscription Identifier Available"
        case .sharedSubscriptionAvailable: "Shared Subscription Available"
        }
    }
}

/// A User Property: a name and value pair the application defines (MQTT 5.0 §3.1.2.11.8). Order
/// and repeats are significant, so these are kept in an array.
public struct UserProperty: Hashable, Sendable {
    /// The name.
    public var name: String
    /// The value.
    public var value: String

    /// A name and value pair.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Whether a payload is unspecified bytes or UTF-8 text (MQTT 5.0 §3.3.2.3.2).
public enum PayloadFormatIndicator: UInt8, Sendable, Hashable {
    /// 0: unspecified bytes.
    case unspecified = 0
    /// 1: UTF-8 encoded character data.
    case utf8 = 1
}

/// The property blocks of MQTT 5.0, each of which allows its own properties.
enum PropertyContext: Sendable {
    case packet(PacketType)
    case will

    /// The packet the block belongs to.
    var packet: PacketType {
        switch self {
        case .packet(let type): type
        case .will: .connect
        }
    }

    /// The field a property error in this block points at: the property's name and the section
    /// that lists the block's properties.
    func field(_ identifier: PropertyIdentifier?) -> Field {
        Field(identifier?.description ?? "Property Identifier", v311: "2.2", v5: section)
    }

    private var section: String {
        switch self {
        case .will: "3.1.3.2"
        case .packet(let type):
            switch type {
            case .connect: "3.1.2.11"
            case .connack: "3.2.2.3"
            case .publish: "3.3.2.3"
            case .puback: "3.4.2.2"
            case .pubrec: "3.5.2.2"
            case .pubrel: "3.6.2.2"
            case .pubcomp: "3.7.2.2"
            case .subscribe: "3.8.2.1"
            case .suback: "3.9.2.1"
            case .unsubscribe: "3.10.2.1"
            case .unsuback: "3.11.2.1"
            case .disconnect: "3.14.2.2"
            case .auth: "3.15.2.2"
            case .pingreq, .pingresp: "2.2.2"
            }
        }
    }
}
