/// A point on a monotonic clock, in nanoseconds from an arbitrary origin. The session state
/// machine is handed instants rather than reading a clock, so tests drive time by hand.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public let nanoseconds: Int64

    /// An instant `nanoseconds` after the origin.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The instant `seconds` after the origin (convenient in tests).
    public static func seconds(_ seconds: Double) -> Instant {
        Instant(nanoseconds: Int64(seconds * 1e9))
    }

    private static let origin = ContinuousClock.now

    /// Now, on the process's continuous clock.
    public static func now() -> Instant {
        let (seconds, attoseconds) = (ContinuousClock.now - origin).components
        return Instant(nanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Orders instants in time.
    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `duration` later.
    public static func + (lhs: Instant, rhs: Duration) -> Instant {
        let (seconds, attoseconds) = rhs.components
        return Instant(nanoseconds: lhs.nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: Instant, rhs: Instant) -> Duration {
        .nanoseconds(lhs.nanoseconds - rhs.nanoseconds)
    }

    /// Seconds since the origin, e.g. `12.5s`.
    public var description: String {
        "\(Double(nanoseconds) / 1e9)s"
    }
}
