/// When appended data is made to survive a power loss (`fdatasync`), not only the process being
/// killed (which the kernel's page cache already survives).
public enum SyncPolicy: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Never: the kernel writes back when it likes (about 30 s on Linux). Fastest.
    case never
    /// At most every ``FileSync/batchInterval`` (100 ms) while there are writes: a power loss
    /// loses at most that much. The default.
    case batch
    /// After every write, before it is acknowledged to whoever handed it over. Slowest.
    case always

    /// The name, as `--fsync` takes it.
    public var description: String { rawValue }
}

/// Applies a ``SyncPolicy`` to one file's writes: told of each write, it synchronises at once
/// (`always`), within ``batchInterval`` on the loop (`batch`), or not at all (`never`). The owner
/// gives the synchronising itself (the file it currently writes may change, a queue's segments
/// roll over) and hears of failures, which are not thrown from a timer.
///
/// `@unchecked Sendable`: used on its loop only, like the file it serves (``flush()`` also where
/// its owner closes the file); its batch timer holds it weakly, so it may go away off the loop.
public final class FileSync: @unchecked Sendable {
    /// How long a batch gathers writes before they are synchronised.
    public static let batchInterval = Duration.milliseconds(100)

    /// The policy.
    public let policy: SyncPolicy
    private let loop: EventLoop
    private let synchronize: () throws(IOError) -> Void
    private let onFailure: (IOError) -> Void
    private var timer: TimerID?
    /// Writes not yet synchronised.
    public private(set) var isDirty = false
    /// Synchronisations done: for tests and metrics.
    public private(set) var count = 0

    /// A syncer for writes made on `loop`; `synchronize` makes them durable.
    public init(
        policy: SyncPolicy,
        loop: EventLoop,
        synchronize: @escaping () throws(IOError) -> Void,
        onFailure: @escaping (IOError) -> Void
    ) {
        self.policy = policy
        self.loop = loop
        self.synchronize = synchronize
        self.onFailure = onFailure
    }

    /// Data was written. With `always` it is synchronised before this returns (and a failure is
    /// thrown, so the write is not acknowledged); with `batch` within ``batchInterval``.
    public func wrote() throws(IOError) {
        switch policy {
        case .never:
            return
        case .always:
            isDirty = true
            try flush()
        case .batch:
            isDirty = true
            guard timer == nil else { return }
            timer = loop.scheduleTimer(after: Self.batchInterval) { [weak self] in
                guard let self else { return }
                timer = nil
                do throws(IOError) {
                    try flush()
                } catch {
                    onFailure(error)
                }
            }
        }
    }

    /// Synchronises now if anything was written since the last time (before a file is closed or
    /// replaced, say). Does nothing under `never`. A batch timer still pending finds nothing to
    /// do, or the writes made after this.
    public func flush() throws(IOError) {
        guard isDirty, policy != .never else { return }
        isDirty = false
        count += 1
        try synchronize()
    }
}
