import Checksum
public import IO
public import Logging
public import MQTTSession

/// The client's side of a persistent session, kept on disk so that a restart loses nothing: the
/// QoS 1 and 2 messages the application handed over until the broker has acknowledged them
/// (sent again with DUP after a restart, or published anew if the broker lost the session), and
/// the identifiers of incoming QoS 2 messages already delivered (not delivered twice when the
/// broker sends them again). MQTT 5.0 §4.1 calls this the client's session state.
///
/// The store is a directory holding `session.log`, an append-only file of changes, each a
/// ``ChecksummedRecord``. A change is written before the packets that depend on it are sent, and
/// reaches the kernel at once, so a process that is killed loses nothing it acknowledged to the
/// application. A power loss is the ``SyncPolicy``'s (`--fsync`): `always` synchronises each change
/// to the device (`fdatasync`) before the packets that depend on it go, `batch` within 100 ms,
/// `never` leaves it to the kernel. Opening reads the file back, stops at a record a crash tore (and says so), and
/// rewrites the file with only what is still live; so does the store whenever the file has grown
/// well past its live content. One process at a time: the file is locked while open.
///
/// Give the store to one ``MQTTClient`` (with a fixed client identifier: the broker keeps the
/// other half of the session under it). It is used on that client's event loop.
///
/// `@unchecked Sendable`: used by one client on its loop only (and opened before the client starts); the file lock
/// keeps other processes out.
public final class SessionStore: @unchecked Sendable {
    /// The directory.
    public let directory: String
    private var file: File
    private var snapshot: SessionSnapshot
    private var fileSize: Int
    /// About how many bytes the live changes take: what compaction would keep.
    private var liveSize = 0
    /// The size of each live message's `accepted` record.
    private var acceptedSizes: [UInt64: Int] = [:]
    private static let smallRecordSize = 24
    private let logger: Logger
    private var failed = false
    /// Makes changes durable, as the policy says.
    private var sync: FileSync?

    /// The largest record body read back (a PUBLISH of the protocol's maximum size, and a key).
    private static let maximumRecordSize = 256 << 20 + 32
    private var path: String { "\(directory)/session.log" }

    /// Opens (creating if needed) the store in `directory`, its changes synchronised as `policy`
    /// says on `loop` (the client's). Throws when the directory cannot be used or another process
    /// has the store open.
    public init(
        directory: String,
        sync policy: SyncPolicy = .never,
        loop: EventLoop? = nil,
        logger: Logger = .disabled
    ) throws(MQTTClientError) {
        self.directory = directory
        self.logger = logger
        let path = "\(directory)/session.log"
        do {
            try FileSystem.makeDirectories(directory)
            file = try File(path: path)
            guard try file.lockExclusively(waitingUpTo: 200) else {
                throw MQTTClientError.invalidConfiguration(
                    "the session store \(directory) is in use by another process"
                )
            }
            (snapshot, fileSize) = try Self.read(file, logger: logger, repair: true)
        } catch let error as MQTTClientError {
            throw error
        } catch {
            throw .invalidConfiguration("the session store \(directory): \(error)")
        }
        compact()
        if let loop {
            sync = FileSync(
                policy: policy,
                loop: loop,
                synchronize: { [unowned self] () throws(IOError) in try file.synchronize() },
                onFailure: { [logger] error in logger.error("cannot synchronise the session store: \(error)") }
            )
        }
    }

    /// Closes the file (and lets another process open the store); later changes are not written.
    public func close() {
        if !failed { try? sync?.flush() }
        failed = true
        file.close()
    }

    /// What the store holds, for the client to take back on start.
    var contents: SessionSnapshot { snapshot }

    /// How many outgoing messages wait for the broker, and how many incoming QoS 2 messages
    /// wait for PUBREL.
    public var pending: (outgoing: Int, incomingQoS2: Int) {
        (snapshot.outgoing.count, snapshot.incomingQoS2.count)
    }

    /// What the store in `directory` holds, read without opening it for writing (another process
    /// may have it open): for tools and tests that watch a client's backlog.
    public static func pending(
        inDirectory directory: String
    ) throws(MQTTClientError) -> (
        outgoing: Int, incomingQoS2: Int
    ) {
        do {
            let file = try File(path: "\(directory)/session.log", create: false)
            let (snapshot, _) = try read(file, logger: .disabled, repair: false)
            return (snapshot.outgoing.count, snapshot.incomingQoS2.count)
        } catch {
            throw .invalidConfiguration("the session store \(directory): \(error)")
        }
    }

    /// Writes a change.
    func record(_ change: SessionStoreChange) {
        snapshot.apply(change)
        guard !failed else { return }
        do {
            let bytes = ChecksummedRecord.framing(try change.encoded())
            try file.append(bytes)
            fileSize += bytes.count
            account(change, size: bytes.count)
            try sync?.wrote()
        } catch {
            // A full disk, say: the session goes on in memory, as it would without a store.
            failed = true
            logger.error("cannot write to the session store; messages are kept in memory only: \(error)")
            return
        }
        if fileSize > max(1 << 20, 4 * liveSize) { compact() }
    }

    private func account(_ change: SessionStoreChange, size: Int) {
        switch change {
        case .accepted(let key, _):
            acceptedSizes[key] = size
            liveSize += size + Self.smallRecordSize
        case .finished(let key):
            liveSize -= (acceptedSizes.removeValue(forKey: key) ?? 0) + Self.smallRecordSize
        case .received:
            liveSize += Self.smallRecordSize
        case .receivedReleased:
            liveSize -= Self.smallRecordSize
        case .sent, .released, .receivedCleared:
            break
        }
        liveSize = max(liveSize, 0)
    }

    /// Rewrites the file with only the live changes: into a new file, then renamed over the old
    /// one, so a crash in between leaves one or the other whole.
    private func compact() {
        let temporary = path + ".new"
        do {
            let next = try File(path: temporary)
            try next.truncate(to: 0)
            var bytes: [UInt8] = []
            acceptedSizes = [:]
            liveSize = 0
            for change in snapshot.changes {
                let record = ChecksummedRecord.framing(try change.encoded())
                account(change, size: record.count)
                bytes += record
            }
            try next.append(bytes)
            try next.synchronize()
            guard try next.lockExclusively() else {
                throw IOError.fileOperation(path: temporary, operation: "lock", reason: "in use")
            }
            try FileSystem.rename(temporary, to: path)
            file.close()
            file = next
            fileSize = bytes.count
        } catch {
            FileSystem.removeFile(temporary)
            logger.warning("cannot compact the session store: \(error)")
            // Try again only once as much again has been written.
            liveSize = max(liveSize, fileSize / 4)
        }
    }

    /// Replays the file; a torn or damaged record ends it (and, to `repair`, the rest is cut off).
    private static func read(_ file: File, logger: Logger, repair: Bool) throws(IOError) -> (SessionSnapshot, Int) {
        let size = try file.size()
        let bytes = try file.read(at: 0, count: size)
        var snapshot = SessionSnapshot()
        var offset = 0
        while offset < bytes.count {
            switch ChecksummedRecord.read(bytes[offset...], sizes: 1...maximumRecordSize) {
            case .record(let body, let recordSize):
                guard let change = SessionStoreChange(record: body) else {
                    logger.warning(
                        "the session store \(file.path) has an unreadable record at byte \(offset); ignoring the rest"
                    )
                    if repair { try file.truncate(to: offset) }
                    return (snapshot, offset)
                }
                snapshot.apply(change)
                offset += recordSize
            case .incomplete:
                logger.warning(
                    "the session store \(file.path) ends in a torn record at byte \(offset) (a crash while writing); it is cut off"
                )
                if repair { try file.truncate(to: offset) }
                return (snapshot, offset)
            case .damaged(let problem):
                logger.warning(
                    "the session store \(file.path) is damaged at byte \(offset) (\(problem)); ignoring the rest"
                )
                if repair { try file.truncate(to: offset) }
                return (snapshot, offset)
            }
        }
        return (snapshot, offset)
    }
}
