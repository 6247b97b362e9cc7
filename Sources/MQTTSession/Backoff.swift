/// Exponential backoff with jitter for reconnecting: the n-th retry waits a random time between
/// half and all of `min(maximum, initial × 2ⁿ)`, so clients that lost a broker together do not
/// come back in lockstep.
public struct Backoff: Hashable, Sendable {
    /// The delay before the first retry (before jitter).
    public var initial: Duration
    /// The most any retry waits.
    public var maximum: Duration

    /// A backoff from `initial` doubling up to `maximum`.
    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before retry number `attempt` (0 for the first), with `randomUnit` in `0...1`
    /// choosing the jitter.
    public func delay(attempt: Int, randomUnit: Double) -> Duration {
        let exponent = min(attempt, 30)
        let full = min(maximum, initial * (1 << exponent))
        return full * (0.5 + 0.5 * min(max(randomUnit, 0), 1))
    }
}
