/// The MQTT protocol versions this codec speaks, identified by the protocol level a client sends in
/// CONNECT (MQTT 3.1.1 §3.1.2.2, MQTT 5.0 §3.1.2.2).
public enum ProtocolVersion: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// MQTT 3.1.1 (OASIS Standard, 29 October 2014): protocol level 4.
    case v311 = 4
    /// MQTT 5.0 (OASIS Standard, 7 March 2019): protocol level 5.
    case v5 = 5

    /// The version as people write it: `3.1.1` or `5.0`.
    public var description: String {
        switch self {
        case .v311: "3.1.1"
        case .v5: "5.0"
        }
    }
}
