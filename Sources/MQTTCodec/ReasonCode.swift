/// A one-byte result code (MQTT 5.0 §2.4). Values below 0x80 report success, 0x80 and above
/// failure.
///
/// Several names share a value (0x00 is *Success*, *Normal disconnection* and *Granted QoS 0*),
/// so this is a struct of named constants rather than an enum. MQTT 3.1.1 CONNACK return codes and
/// SUBACK return codes are mapped onto the 5.0 codes that mean the same thing, so callers handle
/// one vocabulary whatever the connection's version.
public struct ReasonCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire (for MQTT 3.1.1 CONNACK, the equivalent 5.0 code).
    public let rawValue: UInt8

    /// Wraps a byte; whether it is valid depends on the packet it appears in.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Whether the code reports a failure (0x80 or above).
    public var isFailure: Bool { rawValue >= 0x80 }

    // MARK: - Codes (MQTT 5.0 Table 2-6)

    /// 0x00 in CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK and AUTH.
    public static let success = ReasonCode(rawValue: 0x00)
    /// 0x00 in DISCONNECT.
    public static let normalDisconnection = ReasonCode(rawValue: 0x00)
    /// 0x00 in SUBACK.
    public static let grantedQoS0 = ReasonCode(rawValue: 0x00)
    /// 0x01 in SUBACK.
    public static let grantedQoS1 = ReasonCode(rawValue: 0x01)
    /// 0x02 in SUBACK.
    public static let grantedQoS2 = ReasonCode(rawValue: 0x02)
    /// 0x04: disconnect, but publish the will.
    public static let disconnectWithWillMessage = ReasonCode(rawValue: 0x04)
    /// 0x10: accepted, but nobody is subscribed.
    public static let noMatchingSubscribers = ReasonCode(rawValue: 0x10)
    /// 0x11: there was no such subscription to remove.
    public static let noSubscriptionExisted = ReasonCode(rawValue: 0x11)
    /// 0x18: authentication goes on.
    public static let continueAuthentication = ReasonCode(rawValue: 0x18)
    /// 0x19: start re-authentication.
    public static let reAuthenticate = ReasonCode(rawValue: 0x19)
    /// 0x80: a failure the sender does not describe further.
    public static let unspecifiedError = ReasonCode(rawValue: 0x80)
    /// 0x81: a packet could not be parsed.
    public static let malformedPacket = ReasonCode(rawValue: 0x81)
    /// 0x82: a packet broke the protocol.
    public static let protocolError = ReasonCode(rawValue: 0x82)
    /// 0x83: valid, but refused by this implementation.
    public static let implementationSpecificError = ReasonCode(rawValue: 0x83)
    /// 0x84: the server does not speak the client's protocol version.
    public static let unsupportedProtocolVersion = ReasonCode(rawValue: 0x84)
    /// 0x85: the client identifier is valid UTF-8 but not allowed.
    public static let clientIdentifierNotValid = ReasonCode(rawValue: 0x85)
    /// 0x86: the user name or password was not accepted.
    public static let badUserNameOrPassword = ReasonCode(rawValue: 0x86)
    /// 0x87: the client is not authorised for this.
    public static let notAuthorized = ReasonCode(rawValue: 0x87)
    /// 0x88: the server is not available.
    public static let serverUnavailable = ReasonCode(rawValue: 0x88)
    /// 0x89: the server is busy; try again later.
    public static let serverBusy = ReasonCode(rawValue: 0x89)
    /// 0x8A: the client has been banned.
    public static let banned = ReasonCode(rawValue: 0x8A)
    /// 0x8B: the server is shutting down.
    public static let serverShuttingDown = ReasonCode(rawValue: 0x8B)
    /// 0x8C: the authentication method is not supported or does not match.
    public static let badAuthenticationMethod = ReasonCode(rawValue: 0x8C)
    /// 0x8D: no packet arrived within 1.5 times the keep alive.
    public static let keepAliveTimeout = ReasonCode(rawValue: 0x8D)
    /// 0x8E: another connection with the same client identifier took over the session.
    public static let sessionTakenOver = ReasonCode(rawValue: 0x8E)
    /// 0x8F: the topic filter is well formed but not accepted.
    public static let topicFilterInvalid = ReasonCode(rawValue: 0x8F)
    /// 0x90: the topic name is well formed but not accepted.
    public static let topicNameInvalid = ReasonCode(rawValue: 0x90)
    /// 0x91: the packet identifier is already in use.
    public static let packetIdentifierInUse = ReasonCode(rawValue: 0x91)
    /// 0x92: the packet identifier is not known.
    public static let packetIdentifierNotFound = ReasonCode(rawValue: 0x92)
    /// 0x93: more QoS 1 and 2 publications in flight than Receive Maximum allows.
    public static let receiveMaximumExceeded = ReasonCode(rawValue: 0x93)
    /// 0x94: the topic alias is not valid.
    public static let topicAliasInvalid = ReasonCode(rawValue: 0x94)
    /// 0x95: the packet exceeded the maximum packet size.
    public static let packetTooLarge = ReasonCode(rawValue: 0x95)
    /// 0x96: the message rate is too high.
    public static let messageRateTooHigh = ReasonCode(rawValue: 0x96)
    /// 0x97: an implementation or administrative quota was exceeded.
    public static let quotaExceeded = ReasonCode(rawValue: 0x97)
    /// 0x98: the connection is closed by an administrator.
    public static let administrativeAction = ReasonCode(rawValue: 0x98)
    /// 0x99: the payload does not match the payload format indicator.
    public static let payloadFormatInvalid = ReasonCode(rawValue: 0x99)
    /// 0x9A: the server does not support retained messages.
    public static let retainNotSupported = ReasonCode(rawValue: 0x9A)
    /// 0x9B: the QoS is more than the server supports.
    public static let qosNotSupported = ReasonCode(rawValue: 0x9B)
    /// 0x9C: the client should temporarily use another server.
    public static let useAnotherServer = ReasonCode(rawValue: 0x9C)
    /// 0x9D: the client should permanently use another server.
    public static let serverMoved = ReasonCode(rawValue: 0x9D)
    /// 0x9E: the server does not support shared subscriptions.
    public static let sharedSubscriptionsNotSupported = ReasonCode(rawValue: 0x9E)
    /// 0x9F: the connection rate limit has been exceeded.
    public static let connectionRateExceeded = ReasonCode(rawValue: 0x9F)
    /// 0xA0: the maximum connection time has been exceeded.
    public static let maximumConnectTime = ReasonCode(rawValue: 0xA0)
    /// 0xA1: the server does not support subscription identifiers.
    public static let subscriptionIdentifiersNotSupported = ReasonCode(rawValue: 0xA1)
    /// 0xA2: the server does not support wildcard subscriptions.
    public static let wildcardSubscriptionsNotSupported = ReasonCode(rawValue: 0xA2)

    // MARK: - Where each code may appear

    /// Whether this code is one the specification allows in a packet of `type` under `version`
    /// (MQTT 5.0 Table 2-6 and each packet's reason code table; MQTT 3.1.1 Table 3.1 for CONNACK
    /// return codes and §3.9.3 for SUBACK return codes).
    public func isValid(in type: PacketType, version: ProtocolVersion) -> Bool {
        switch version {
        case .v311:
            switch type {
            case .connack: v311ConnectReturnCode != nil
            case .suback: [0x00, 0x01, 0x02, 0x80].contains(rawValue)
            default: rawValue == 0
            }
        case .v5:
            Self.packetMask(rawValue) & (1 << type.rawValue) != 0
        }
    }

    /// A bit per packet type (bit n for type n) in which the code may appear: MQTT 5.0 Table 2-6.
    private static func packetMask(_ code: UInt8) -> UInt16 {
        func mask(_ types: PacketType...) -> UInt16 {
            types.reduce(0) { $0 | 1 << $1.rawValue }
        }
        switch code {
        case 0x00: return mask(.connack, .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .disconnect, .auth)
        case 0x01, 0x02: return mask(.suback)
        case 0x04: return mask(.disconnect)
        case 0x10: return mask(.puback, .pubrec)
        case 0x11: return mask(.unsuback)
        case 0x18, 0x19: return mask(.auth)
        case 0x80, 0x83, 0x87: return mask(.connack, .puback, .pubrec, .suback, .unsuback, .disconnect)
        case 0x81, 0x82, 0x89, 0x8C, 0x95, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F: return mask(.connack, .disconnect)
        case 0x84, 0x85, 0x86, 0x88, 0x8A: return mask(.connack)
        case 0x8B, 0x8D, 0x8E, 0x93, 0x94, 0x96, 0x98, 0xA0: return mask(.disconnect)
        case 0x8F: return mask(.suback, .unsuback, .disconnect)
        case 0x90, 0x99: return mask(.connack, .puback, .pubrec, .disconnect)
        case 0x91: return mask(.puback, .pubrec, .suback, .unsuback)
        case 0x92: return mask(.pubrel, .pubcomp)
        case 0x97: return mask(.connack, .puback, .pubrec, .suback, .disconnect)
        case 0x9E, 0xA1, 0xA2: return mask(.suback, .disconnect)
        default: return 0
        }
    }

    // MARK: - MQTT 3.1.1 CONNACK return codes (MQTT 3.1.1 §3.2.2.3, Table 3.1)

    /// Maps an MQTT 3.1.1 CONNACK return code (0–5) to the 5.0 reason code with the same meaning.
    public init?(v311ConnectReturnCode code: UInt8) {
        switch code {
        case 0: self = .success
        case 1: self = .unsupportedProtocolVersion
        case 2: self = .clientIdentifierNotValid
        case 3: self = .serverUnavailable
        case 4: self = .badUserNameOrPassword
        case 5: self = .notAuthorized
        default: return nil
        }
    }

    /// The MQTT 3.1.1 CONNACK return code with this meaning, or `nil` when 3.1.1 has none.
    public var v311ConnectReturnCode: UInt8? {
        switch self {
        case .success: 0
        case .unsupportedProtocolVersion: 1
        case .clientIdentifierNotValid: 2
        case .serverUnavailable: 3
        case .badUserNameOrPassword: 4
        case .notAuthorized: 5
        default: nil
        }
    }

    // MARK: - Names

    /// The specification's name for the code as it appears in a packet of `type`.
    public func name(in type: PacketType) -> String {
        switch rawValue {
        case 0x00:
            switch type {
            case .disconnect: return "Normal disconnection"
            case .suback: return "Granted QoS 0"
            default: return "Success"
            }
        case 0x01: return "Granted QoS 1"
        case 0x02: return "Granted QoS 2"
        default: return Self.names[rawValue] ?? "Unknown reason code"
        }
    }

    /// The code in hexadecimal with its name, e.g. `0x87 (Not authorized)`.
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        // 0x01 and 0x02 exist only in SUBACK; every other code reads the same in CONNACK.
        let name = name(in: rawValue == 1 || rawValue == 2 ? .suback : .connack)
        return "0x\(hex.count == 1 ? "0" + hex : hex) (\(name))"
    }

    private static let names: [UInt8: String] = [
        0x04: "Disconnect with Will Message", 0x10: "No matching subscribers",
        0x11: "No subscription existed", 0x18: "Continue authentication", 0x19: "Re-authenticate",
        0x80: "Unspecified error", 0x81: "Malformed Packet", 0x82: "Protocol Error",
        0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version",
        0x85: "Client Identifier not valid", 0x86: "Bad User Name or Password",
        0x87: "Not authorized", 0x88: "Server unavailable", 0x89: "Server busy", 0x8A: "Banned",
        0x8B: "Server shutting down", 0x8C: "Bad authentication method",
        0x8D: "Keep Alive timeout", 0x8E: "Session taken over", 0x8F: "Topic Filter invalid",
        0x90: "Topic Name invalid", 0x91: "Packet Identifier in use",
        0x92: "Packet Identifier not found", 0x93: "Receive Maximum exceeded",
        0x94: "Topic Alias invalid", 0x95: "Packet too large", 0x96: "Message rate too high",
        0x97: "Quota exceeded", 0x98: "Administrative action", 0x99: "Payload format invalid",
        0x9A: "Retain not supported", 0x9B: "QoS not supported", 0x9C: "Use another server",
        0x9D: "Server moved", 0x9E: "Shared Subscriptions not supported",
        0x9F: "Connection rate exceeded", 0xA0: "Maximum connect time",
        0xA1: "Subscription Identifiers not supported",
        0xA2: "Wildcard Subscriptions not supported",
    ]
}
