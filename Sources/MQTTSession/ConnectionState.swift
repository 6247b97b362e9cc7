/// Where a client's connection to its broker stands. Every change is reported, with its reason,
/// so a daemon can tell users why a broker is not connected.
public enum ConnectionState: Hashable, Sendable, CustomStringConvertible {
    /// Connecting: attempt 1 is the first.
    case connecting(attempt: Int)
    /// Connected; `sessionPresent` says whether the broker resumed the session.
    case connected(sessionPresent: Bool)
    /// The connection failed or was lost; a retry follows after `retryIn` (nil: no retry).
    case disconnected(MQTTClientError, retryIn: Duration?)
    /// Stopped for good.
    case stopped

    /// E.g. `disconnected (cannot reach the broker: …), retrying in 2.1 s`.
    public var description: String {
        switch self {
        case .connecting(let attempt): attempt == 1 ? "connecting" : "connecting (attempt \(attempt))"
        case .connected(let present): present ? "connected (session resumed)" : "connected (new session)"
        case .disconnected(let error, let retry):
            "disconnected (\(error))" + (retry.map { ", retrying in \(Self.seconds($0))" } ?? "")
        case .stopped: "stopped"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = (attoseconds / 100_000_000_000_000_000) % 10
        return "\(seconds).\(tenths) s"
    }
}
