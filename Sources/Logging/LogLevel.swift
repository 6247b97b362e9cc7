/// How severe a log record is, from the most detailed to the most serious.
public enum LogLevel: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Every packet and state change: for debugging the protocol itself.
    case trace
    /// Detail that helps a developer follow what happens.
    case debug
    /// Normal operation worth seeing: connections made, devices found.
    case info
    /// Something unusual that is handled: a reconnect, an unknown configuration key.
    case notice
    /// Something that may need attention: an insecure option, a refused connection.
    case warning
    /// An operation failed.
    case error
    /// The process cannot go on.
    case critical

    /// Orders levels by severity.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The level's name as written on the command line and in logs: `info`, `warning`, ...
    public var description: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    /// Parses a level name, as `--log-level` takes it.
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.description == name.lowercased() }) else {
            return nil
        }
        self = level
    }
}
