import Checksum
public import IO
public import Logging
public import Monitor

/// A queue of messages on disk, in order, bounded by bytes: the monitor's store-and-forward buffer
/// for the upstream broker.
///
/// Records are appended to segment files (`DIR/<20-digit id>.seg`) with plain `write(2)`, so a
/// record is safe from a `kill -9` as soon as ``append(_:)`` returns; the message is only then
/// acknowledged to the device's broker. The position of the oldest record not yet confirmed by the
/// upstream, the head, is kept in `DIR/head` (segment id, offset and a checksum in one small
/// positioned write). Reopening resumes from the head, so records sent but not confirmed before a
/// crash are sent again (at least once, in order). Segments wholly before the head are deleted.
///
/// Durability beyond a `kill -9` is the ``SyncPolicy``'s (`--fsync`): with `always` a record is
/// on the device (`fdatasync`) before ``append(_:)`` returns, with `batch` within 100 ms.
///
/// When the queue is over its byte bound the oldest records are dropped (and counted), whether or
/// not they were sent. A record torn by a crash at the end of the last segment is cut off when the
/// queue is opened; a damaged record elsewhere ends its segment, with an error naming the file and
/// byte.
///
/// `@unchecked Sendable`: used on the monitor's loop only (opened before the loop uses it).
public final class DiskQueue: @unchecked Sendable {
    /// A place in the queue: a segment and a byte offset in it.
    public struct Position: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// The segment's id.
        public var segment: UInt64
        /// The offset in the segment.
        public var offset: Int

        /// Orders by segment, then offset.
        public static func < (lhs: Position, rhs: Position) -> Bool {
            (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
        }

        /// `segment:offset`.
        public var description: String { "\(segment):\(offset)" }
    }

    /// The directory holding the queue.
    public let directory: String
    /// The most bytes of records kept.
    public let maximumBytes: Int
    private let segmentSize: Int
    private let logger: Logger
    /// Segment ids and sizes, oldest first; the last is appended to.
    private var segments: [(id: UInt64, size: Int)] = []
    private var writer: File
    private let headFile: File
    /// The oldest record not yet confirmed.
    public private(set) var head: Position
    /// The next record to hand out for sending.
    private var readPosition: Position
    private var reader: (id: UInt64, file: File)?
    private var readBuffer: [UInt8] = []
    private var readBufferStart = 0
    /// Records dropped because the queue was full or damaged.
    public private(set) var droppedRecords = 0
    /// Records appended since opening.
    public private(set) var appendedRecords = 0
    /// Makes appended records durable, as the policy says.
    private var sync: FileSync?

    /// Opens (or creates) the queue in `directory`.
    public init(
        directory: String,
        maximumBytes: Int,
        segmentSize: Int? = nil,
        sync policy: SyncPolicy = .never,
        loop: EventLoop? = nil,
        logger: Logger = .disabled
    ) throws(IOError) {
        self.directory = directory
        self.maximumBytes = max(maximumBytes, 1_024)
        self.segmentSize = segmentSize ?? min(max(self.maximumBytes / 8, 4_096), 8 << 20)
        self.logger = logger
        try FileSystem.makeDirectories(directory)
        var ids = try FileSystem.contents(ofDirectory: directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(".seg"), name.utf8.count == 24 else { return nil }
            return UInt64(name.dropLast(4))
        }.sorted()
        if ids.isEmpty { ids = [1] }
        headFile = try File(path: directory + "/head")
        var head = Position(segment: ids[0], offset: 0)
        if let saved = Self.decodeHead(try headFile.read(at: 0, count: 20)), saved.segment >= ids[0],
            ids.contains(saved.segment)
        {
            head = saved
        }
        for id in ids where id < head.segment {
            FileSystem.removeFile(Self.path(directory, id))
        }
        ids.removeAll { $0 < head.segment }
        for id in ids {
            let file = try File(path: Self.path(directory, id))
            segments.append((id, try file.size()))
        }
        head.offset = min(head.offset, segments[0].size)
        self.head = head
        readPosition = head
        writer = try File(path: Self.path(directory, ids.last!))
        try repairTail()
        try saveHead()
        if let loop {
            sync = FileSync(
                policy: policy,
                loop: loop,
                synchronize: { [unowned self] () throws(IOError) in try writer.synchronize() },
                onFailure: { [logger] error in logger.error("cannot synchronise the upstream queue: \(error)") }
            )
        }
    }

    /// Bytes of records from the head to the end.
    public var byteCount: Int {
        segments.reduce(0) { $0 + $1.size } - head.offset
    }

    /// Whether records wait to be handed out by ``next()``.
    public var hasUnsent: Bool {
        readPosition < end
    }

    private var end: Position {
        Position(segment: segments[segments.count - 1].id, offset: segments[segments.count - 1].size)
    }

    /// Appends a record; when that takes the queue over its bound, the oldest records are dropped.
    public func append(_ record: QueueRecord) throws(IOError) {
        let bytes = record.encoded()
        if segments[segments.count - 1].size >= segmentSize {
            // What the full segment got since the last synchronisation goes down before it is left.
            try sync?.flush()
            let id = segments[segments.count - 1].id + 1
            writer = try File(path: Self.path(directory, id))
            try writer.truncate(to: 0)
            segments.append((id, 0))
        }
        try writer.write(bytes, at: segments[segments.count - 1].size)
        segments[segments.count - 1].size += bytes.count
        appendedRecords += 1
        try sync?.wrote()
        if byteCount > maximumBytes { try dropOldest() }
    }

    /// The next record not yet handed out, with the position after it (to confirm it by); nil
    /// when all have been handed out.
    public func next() throws(IOError) -> (record: QueueRecord, end: Position)? {
        if readPosition < head { moveReader(to: head) }
        while readPosition < end {
            let segment = segments.first { $0.id == readPosition.segment }!
            if readPosition.offset >= segment.size {
                guard let following = segments.first(where: { $0.id > readPosition.segment }) else { return nil }
                moveReader(to: Position(segment: following.id, offset: 0))
                continue
            }
            switch try decodeAtReader(segmentSize: segment.size) {
            case .record(let record, let size):
                readPosition.offset += size
                return (record, readPosition)
            case .incomplete, .damaged:
                // `decodeAtReader` only returns these after logging; skip the rest of the segment.
                moveReader(to: Position(segment: readPosition.segment, offset: segment.size))
            }
        }
        return nil
    }

    /// Sends every record handed out but not confirmed again from the head (after the upstream
    /// session was lost).
    public func rewind() {
        moveReader(to: head)
    }

    /// Confirms everything before `position`: the head moves there (it never moves back), is saved,
    /// and segments wholly before it are deleted.
    public func confirm(upTo position: Position) throws(IOError) {
        guard position > head else { return }
        advanceHead(to: position)
        try saveHead()
    }

    // MARK: - Internals

    private func advanceHead(to position: Position) {
        head = position
        // A head at the end of a segment that has a successor is that successor's start.
        while let index = segments.firstIndex(where: { $0.id == head.segment }), index + 1 < segments.count,
            head.offset >= segments[index].size
        {
            head = Position(segment: segments[index + 1].id, offset: 0)
        }
        while segments.count > 1, segments[0].id < head.segment {
            FileSystem.removeFile(Self.path(directory, segments[0].id))
            if reader?.id == segments[0].id { reader = nil }
            segments.removeFirst()
        }
    }

    private func dropOldest() throws(IOError) {
        var dropped = 0
        while byteCount > maximumBytes, head < end {
            if head.offset >= segments[0].size {
                // Only the last segment can be used up; then head == end and the loop is over.
                advanceHead(to: Position(segment: segments[1].id, offset: 0))
                continue
            }
            let header = try file(for: head.segment).read(at: head.offset, count: QueueRecord.headerSize)
            guard header.count == QueueRecord.headerSize else { break }
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            var next = head
            next.offset = min(head.offset + QueueRecord.headerSize + length, segments[0].size)
            advanceHead(to: next)
            dropped += 1
        }
        droppedRecords += dropped
        try saveHead()
        if dropped > 0 {
            logger.warning(
                "upstream queue full: dropped the oldest messages",
                ["dropped": "\(dropped)", "limit_bytes": "\(maximumBytes)"]
            )
        }
    }

    private func decodeAtReader(segmentSize: Int) throws(IOError) -> QueueRecord.Decoded {
        while true {
            let available = readBuffer[readBufferStart...]
            let decoded = QueueRecord.decode(available)
            switch decoded {
            case .record(_, let size):
                readBufferStart += size
                return decoded
            case .incomplete:
                let offset = readPosition.offset
                if offset + available.count >= segmentSize {
                    logger.error(
                        "upstream queue: a record is cut short; skipping the rest of the segment",
                        ["file": "\(Self.path(directory, readPosition.segment))", "byte": "\(offset)"]
                    )
                    droppedRecords += 1
                    return decoded
                }
                let wanted = max(262_144, needed(available))
                readBuffer = try file(for: readPosition.segment).read(at: offset, count: wanted)
                readBufferStart = 0
            case .damaged(let reason):
                logger.error(
                    "upstream queue: damaged record (\(reason)); skipping the rest of the segment",
                    ["file": "\(Self.path(directory, readPosition.segment))", "byte": "\(readPosition.offset)"]
                )
                droppedRecords += 1
                return decoded
            }
        }
    }

    private func needed(_ bytes: ArraySlice<UInt8>) -> Int {
        guard bytes.count >= 4 else { return QueueRecord.headerSize }
        let start = bytes.startIndex
        let length =
            Int(bytes[start]) << 24 | Int(bytes[start + 1]) << 16 | Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
        return QueueRecord.headerSize + min(length, QueueRecord.maximumBodySize)
    }

    private func moveReader(to position: Position) {
        readPosition = position
        readBuffer = []
        readBufferStart = 0
    }

    private func file(for id: UInt64) throws(IOError) -> File {
        if id == segments[segments.count - 1].id { return writer }
        if let reader, reader.id == id { return reader.file }
        let file = try File(path: Self.path(directory, id), create: false)
        reader = (id, file)
        return file
    }

    /// Cuts a record torn by a crash (or damaged) off the end of the last segment.
    private func repairTail() throws(IOError) {
        let last = segments[segments.count - 1]
        var offset = last.id == head.segment ? head.offset : 0
        while offset < last.size {
            let chunk = try writer.read(at: offset, count: min(last.size - offset, 1 << 20))
            var index = 0
            var stop: String?
            scan: while index < chunk.count {
                switch QueueRecord.decode(chunk[index...]) {
                case .record(_, let size): index += size
                case .incomplete:
                    if offset + chunk.count >= last.size { stop = "a record cut short" }
                    break scan
                case .damaged(let reason):
                    stop = reason
                    break scan
                }
            }
            if let stop {
                let good = offset + index
                logger.warning(
                    "upstream queue: cut a torn record off the end (\(stop))",
                    [
                        "file": "\(Self.path(directory, last.id))", "byte": "\(good)",
                        "discarded_bytes": "\(last.size - good)",
                    ]
                )
                try writer.truncate(to: good)
                segments[segments.count - 1].size = good
                return
            }
            guard index > 0 else { return }
            offset += index
        }
    }

    private func saveHead() throws(IOError) {
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: head.segment >> shift))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: head.offset >> shift))
        }
        let checksum = CRC32.checksum(bytes)
        bytes += [
            UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF),
        ]
        try headFile.write(bytes, at: 0)
    }

    private static func decodeHead(_ bytes: [UInt8]) -> Position? {
        guard bytes.count == 20 else { return nil }
        let checksum = UInt32(bytes[16]) << 24 | UInt32(bytes[17]) << 16 | UInt32(bytes[18]) << 8 | UInt32(bytes[19])
        guard CRC32.checksum(bytes[..<16]) == checksum else { return nil }
        let segment = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let offset = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Position(segment: segment, offset: Int(offset))
    }

    private static func path(_ directory: String, _ id: UInt64) -> String {
        let digits = String(id)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }
}
