import IO
import Logging
import Monitor
import MonitorService
import TestSupport
import Testing

@Suite("disk queue")
struct DiskQueueTests {
    static func record(_ index: Int, size: Int = 10) -> QueueRecord {
        QueueRecord(
            topic: "t/\(index)",
            payload: Array(repeating: UInt8(index & 0xFF), count: size),
            qos: 1,
            retain: false,
            receivedAt: Int64(index)
        )
    }

    static func drain(_ queue: DiskQueue) throws -> [(QueueRecord, DiskQueue.Position)] {
        var out: [(QueueRecord, DiskQueue.Position)] = []
        while let next = try queue.next() { out.append(next) }
        return out
    }

    @Test("records come out in order across segments; confirmed ones are gone after reopening")
    func orderAndResume() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, segmentSize: 200)
            for index in 1...50 { try queue.append(Self.record(index)) }
            let all = try Self.drain(queue)
            #expect(all.map(\.0.topic) == (1...50).map { "t/\($0)" })
            #expect(try FileSystem.contents(ofDirectory: directory.path).filter { $0.hasSuffix(".seg") }.count > 5)
            // The upstream confirmed the first 20; the rest were sent but not confirmed.
            try queue.confirm(upTo: all[19].1)
            #expect(try queue.next() == nil)
        }
        let reopened = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, segmentSize: 200)
        #expect(try Self.drain(reopened).map(\.0.topic) == (21...50).map { "t/\($0)" })
        // Segments wholly confirmed were deleted.
        let segments = try FileSystem.contents(ofDirectory: directory.path).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.first != "00000000000000000001.seg")
    }

    @Test("rewind hands out unconfirmed records again")
    func rewind() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20)
        for index in 1...3 { try queue.append(Self.record(index)) }
        let first = try Self.drain(queue)
        try queue.confirm(upTo: first[0].1)
        queue.rewind()
        #expect(try Self.drain(queue).map(\.0.topic) == ["t/2", "t/3"])
    }

    @Test("over its bound the queue drops the oldest and counts them")
    func bounded() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        let queue = try DiskQueue(directory: directory.path, maximumBytes: 2_000, segmentSize: 500)
        for index in 1...100 { try queue.append(Self.record(index, size: 50)) }
        #expect(queue.byteCount <= 2_000)
        #expect(queue.droppedRecords > 0)
        let left = try Self.drain(queue)
        #expect(left.count + queue.droppedRecords == 100)
        #expect(left.last?.0.topic == "t/100")
        #expect(left.map(\.0.receivedAt) == left.map(\.0.receivedAt).sorted())
    }

    @Test("a record torn by a crash is cut off when the queue reopens; what came before survives")
    func tornTail() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20)
            for index in 1...3 { try queue.append(Self.record(index)) }
        }
        let segment = directory.file("00000000000000000001.seg")
        let file = try File(path: segment, create: false)
        let size = try file.size()
        try file.append(Array(Self.record(4).encoded().prefix(15)))
        let log = InMemoryLog()
        let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, logger: log.logger)
        #expect(try file.size() == size)
        #expect(log.text.contains("cut a torn record off the end (a record cut short)"))
        try queue.append(Self.record(5))
        #expect(try Self.drain(queue).map(\.0.topic) == ["t/1", "t/2", "t/3", "t/5"])
    }

    @Test("a damaged record in the middle ends its segment, with an error naming file and byte")
    func damagedMiddle() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        do {
            let queue = try DiskQueue(directory: directory.path, maximumBytes: 1 << 20, segmentSize: 100)
            for index in 1...6 { try queue.append(Self.record(index)) }
        }
        // Damage the second record of the first segment (each record is 33 bytes).
        let file = try File(path: directory.file("00000000000000000001.seg"), create: false)
        try file.write([0xEE], at: 33 + 20)
        let log = InMemoryLog()
        let queue = try DiskQueue(
            directory: directory.path,
            maximumBytes: 1 << 20,
            segmentSize: 100,
            logger: log.logger
        )
        let topics = try Self.drain(queue).map(\.0.topic)
        #expect(topics.first == "t/1")
        #expect(!topics.contains("t/2"))
        #expect(topics.last == "t/6")
        #expect(log.text.contains("damaged record (a checksum mismatch)"))
        #expect(log.text.contains("00000000000000000001.seg"))
        #expect(log.text.contains("byte=33"))
    }
}

/// A logger whose records the test reads back as `message key=value` lines.
final class InMemoryLog: Sendable {
    let handler = InMemoryLogHandler()
    var logger: Logger { Logger(label: "test", level: .debug, handler: handler) }
    var text: String {
        handler.all.map { record in
            ([record.message] + record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
                .joined(separator: " ")
        }.joined(separator: "\n")
    }
}
