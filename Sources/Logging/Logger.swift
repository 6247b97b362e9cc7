/// Writes log records for one component, through a ``LogHandler``.
///
/// A logger is a cheap value: copy it and add metadata (`logger[metadata: "broker"] = url`) to
/// give a part of the program its own context. Messages are autoclosures, so a record below the
/// logger's level costs only the level comparison.
public struct Logger: Sendable {
    /// The component, e.g. `mqtt-client`.
    public var label: String
    /// Records below this level are dropped.
    public var level: LogLevel
    /// Key-value context added to every record.
    public var metadata: [String: String]
    /// Where records go.
    public let handler: any LogHandler

    /// A logger for `label` writing through `handler`.
    public init(label: String, level: LogLevel = .info, metadata: [String: String] = [:], handler: any LogHandler) {
        self.label = label
        self.level = level
        self.metadata = metadata
        self.handler = handler
    }

    /// A logger that drops everything (for tests and library defaults).
    public static let disabled = Logger(label: "", level: .critical, handler: DiscardingLogHandler())

    /// Reads or sets one metadata value.
    public subscript(metadata key: String) -> String? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Whether a record at `level` would be written.
    @inlinable
    public func isEnabled(_ level: LogLevel) -> Bool {
        level >= self.level
    }

    /// Writes `message` at `level` with the logger's metadata and `extra`.
    @inlinable
    public func log(
        _ level: LogLevel,
        _ message: @autoclosure () -> String,
        _ extra: @autoclosure () -> [String: String] = [:]
    ) {
        guard isEnabled(level) else { return }
        var merged = metadata
        for (key, value) in extra() { merged[key] = value }
        handler.write(LogRecord(level: level, label: label, message: message(), metadata: merged))
    }

    /// Writes at ``LogLevel/trace``.
    @inlinable
    public func trace(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.trace, message(), extra())
    }

    /// Writes at ``LogLevel/debug``.
    @inlinable
    public func debug(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), extra())
    }

    /// Writes at ``LogLevel/info``.
    @inlinable
    public func info(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), extra())
    }

    /// Writes at ``LogLevel/notice``.
    @inlinable
    public func notice(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.notice, message(), extra())
    }

    /// Writes at ``LogLevel/warning``.
    @inlinable
    public func warning(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.warning, message(), extra())
    }

    /// Writes at ``LogLevel/error``.
    @inlinable
    public func error(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), extra())
    }

    /// Writes at ``LogLevel/critical``.
    @inlinable
    public func critical(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [String: String] = [:]) {
        log(.critical, message(), extra())
    }
}

/// One log record as a handler receives it.
public struct LogRecord: Sendable, Equatable {
    /// The severity.
    public let level: LogLevel
    /// The logger's label.
    public let label: String
    /// The message.
    public let message: String
    /// The logger's metadata with the record's own.
    public let metadata: [String: String]

    /// A record.
    public init(level: LogLevel, label: String, message: String, metadata: [String: String]) {
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }
}

/// Where log records go.
public protocol LogHandler: Sendable {
    /// Writes one record. Called from any thread.
    func write(_ record: LogRecord)
}

/// Drops every record.
public struct DiscardingLogHandler: LogHandler {
    /// A handler that drops everything.
    public init() {}

    /// Does nothing.
    public func write(_ record: LogRecord) {}
}
