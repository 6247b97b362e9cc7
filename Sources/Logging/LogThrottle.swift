/// Keeps a kind of log line from flooding the log: at most `burst` lines per `interval` are let
/// through, and the rest are counted, so one summary line can say how many were held back. The
/// detail stays available one level down (the caller logs every event at debug).
///
/// A value type; the caller owns it (on one loop, say) and asks before each line.
public struct LogThrottle: Sendable {
    /// Lines let through per interval.
    public let burst: Int
    /// The window `burst` is counted in.
    public let interval: Duration
    private var windowStart: ContinuousClock.Instant?
    private var admitted = 0
    private var suppressed = 0

    /// A throttle letting `burst` lines through per `interval`.
    public init(burst: Int = 10, interval: Duration = .seconds(1)) {
        self.burst = burst
        self.interval = interval
    }

    /// Whether a line may be logged at `now`; when it may not, it is counted as held back.
    public mutating func admit(now: ContinuousClock.Instant = .now) -> Bool {
        if let start = windowStart, now - start < interval {
            guard admitted < burst else {
                suppressed += 1
                return false
            }
        } else {
            windowStart = now
            admitted = 0
        }
        admitted += 1
        return true
    }

    /// How many lines were held back since the last call (then zero again).
    public mutating func takeSuppressed() -> Int {
        defer { suppressed = 0 }
        return suppressed
    }
}
