/// One open stream's state (RFC 9113 §5.1): which sides have ended it, the flow-control windows
/// both ways, and what is queued to send while the peer's window is closed.
struct HTTP2Stream: Sendable {
    /// Credit the peer gave us to send DATA (§6.9); negative after the peer shrinks
    /// SETTINGS_INITIAL_WINDOW_SIZE (§6.9.2).
    var sendWindow: Int
    /// Credit we gave the peer and it has not used yet.
    var receiveWindow: Int
    /// Octets received since we last gave credit back.
    var unacknowledged = 0
    /// We sent END_STREAM.
    var localEnded = false
    /// The peer sent END_STREAM.
    var remoteEnded = false
    /// A field section arrived (the next one can only be trailers).
    var receivedHeaders = false
    /// DATA waiting for the peer's window, from `queueStart` on.
    var queue: [UInt8] = []
    var queueStart = 0
    /// END_STREAM goes out after the queue: on the last DATA, or on `trailers`.
    var endQueued = false
    var trailers: [UInt8]?

    /// Octets of DATA queued.
    var queuedBytes: Int { queue.count - queueStart }

    /// Whether the stream has queued DATA, trailers or an END_STREAM not sent yet.
    var hasPendingOutput: Bool { queuedBytes > 0 || endQueued && !localEnded }
}

/// How a stream that is no longer open ended, remembered for a while so late frames can be
/// told apart (§5.1 "closed"): ignored after our RST_STREAM, errors after the peer ended it.
enum ClosedStream: Sendable {
    /// Both sides sent END_STREAM.
    case ended
    /// We reset it: the peer may not know yet, so what it still sends is ignored.
    case resetLocally
    /// The peer reset it.
    case resetRemotely
}

/// The most recently closed streams, at most `capacity` of them.
struct ClosedStreams: Sendable {
    private var states: [UInt32: ClosedStream] = [:]
    private var order: [UInt32] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(id: UInt32) -> ClosedStream? { states[id] }

    mutating func insert(_ id: UInt32, _ state: ClosedStream) {
        if order.count < capacity {
            order.append(id)
        } else {
            states[order[next]] = nil
            order[next] = id
            next = (next + 1) % capacity
        }
        states[id] = state
    }
}

/// A token bucket for streams the peer resets (CVE-2023-44487, "rapid reset"): `burst` at once,
/// then `perSecond`. The clock is the caller's, as a duration since any fixed start.
struct ResetBudget: Sendable {
    let burst: Double
    let perSecond: Double
    private var tokens: Double
    private var last: Duration?

    init(burst: Int, perSecond: Int) {
        self.burst = Double(burst)
        self.perSecond = Double(perSecond)
        tokens = Double(burst)
    }

    /// Takes one token at `now`; false when none is left.
    mutating func take(at now: Duration) -> Bool {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            tokens = min(burst, tokens + max(0, seconds) * perSecond)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
