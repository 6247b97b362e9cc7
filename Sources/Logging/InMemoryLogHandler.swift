import Synchronization

/// Keeps every record in memory, for tests that check what was logged.
public final class InMemoryLogHandler: LogHandler {
    private let records = Mutex<[LogRecord]>([])

    /// An empty handler.
    public init() {}

    /// Keeps the record.
    public func write(_ record: LogRecord) {
        records.withLock { $0.append(record) }
    }

    /// Every record so far, oldest first.
    public var all: [LogRecord] {
        records.withLock { $0 }
    }
}
