/// `grpc-timeout`: at most eight ASCII digits and a unit, H M S m u n (gRPC over HTTP/2,
/// "Requests").
public enum GRPCTimeout {
    /// The duration a header value stands for, or nil when it is not a valid timeout.
    public static func parse(_ value: String) -> Duration? {
        let octets = Array(value.utf8)
        guard (2...9).contains(octets.count), let unit = octets.last else { return nil }
        let digits = octets.dropLast()
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let amount = digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        switch unit {
        case UInt8(ascii: "H"): return .seconds(amount * 3_600)
        case UInt8(ascii: "M"): return .seconds(amount * 60)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }

    /// The header value for `duration`, in the finest unit that fits eight digits.
    public static func encode(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        for (unit, perUnit) in [("n", Int64(1)), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000)] {
            let amount = (nanoseconds + perUnit - 1) / perUnit
            if amount < 100_000_000 { return "\(amount)\(unit)" }
        }
        return "\(min(99_999_999, (nanoseconds / 1_000_000_000 + 3_599) / 3_600))H"
    }
}
