/// The quality of service of an application message (MQTT 3.1.1 §4.3, MQTT 5.0 §4.3).
public enum QoS: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// QoS 0: delivered at most once, with no acknowledgement.
    case atMostOnce = 0
    /// QoS 1: delivered at least once; acknowledged with PUBACK.
    case atLeastOnce = 1
    /// QoS 2: delivered exactly once; PUBREC, PUBREL and PUBCOMP complete the exchange.
    case exactlyOnce = 2

    /// Orders the levels by the guarantee they give.
    public static func < (lhs: QoS, rhs: QoS) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// `0`, `1` or `2`.
    public var description: String {
        String(rawValue)
    }
}
