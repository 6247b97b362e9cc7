/// The MQTT control packet types: the high nibble of a packet's first byte
/// (MQTT 3.1.1 §2.2.1, MQTT 5.0 §2.1.2).
public enum PacketType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Client request to connect to the server.
    case connect = 1
    /// Connect acknowledgement.
    case connack = 2
    /// Publish message.
    case publish = 3
    /// Publish acknowledgement (QoS 1).
    case puback = 4
    /// Publish received (QoS 2, part 1).
    case pubrec = 5
    /// Publish release (QoS 2, part 2).
    case pubrel = 6
    /// Publish complete (QoS 2, part 3).
    case pubcomp = 7
    /// Subscribe request.
    case subscribe = 8
    /// Subscribe acknowledgement.
    case suback = 9
    /// Unsubscribe request.
    case unsubscribe = 10
    /// Unsubscribe acknowledgement.
    case unsuback = 11
    /// Ping request.
    case pingreq = 12
    /// Ping response.
    case pingresp = 13
    /// Disconnect notification.
    case disconnect = 14
    /// Authentication exchange (MQTT 5.0 only; reserved in 3.1.1).
    case auth = 15

    /// The name the specifications use, e.g. `PUBLISH`.
    public var description: String {
        switch self {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsuback: "UNSUBACK"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }

    /// The flag bits (the low nibble of the first byte) this packet type must carry; `nil` for
    /// PUBLISH, whose flags are DUP, QoS and RETAIN (MQTT 3.1.1 Table 2.2, MQTT 5.0 Table 2-2).
    var requiredFlags: UInt8? {
        switch self {
        case .publish: nil
        case .pubrel, .subscribe, .unsubscribe: 0b0010
        default: 0
        }
    }

    /// Whether a packet of this type exists in `version`.
    func exists(in version: ProtocolVersion) -> Bool {
        self != .auth || version == .v5
    }
}
