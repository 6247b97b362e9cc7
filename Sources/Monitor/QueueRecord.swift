import Checksum

/// One message in the disk-backed upstream queue, and its bytes on disk.
///
/// A record is a ``ChecksummedRecord`` whose body is: format version 1 (1 byte), flags (QoS in bits 0–1, retain in bit 2), the
/// receive time in milliseconds (8 bytes), the topic's length (2 bytes) and UTF-8 bytes, and the
/// payload to the end. The checksum lets a reopened queue tell a record torn by a crash (or damaged
/// on disk) from a good one.
public struct QueueRecord: Hashable, Sendable {
    /// The original topic.
    public var topic: String
    /// The payload.
    public var payload: [UInt8]
    /// The QoS it arrived with.
    public var qos: UInt8
    /// Whether it arrived retained.
    public var retain: Bool
    /// When it arrived, in milliseconds since 1970.
    public var receivedAt: Int64

    /// A record of a message.
    public init(topic: String, payload: [UInt8], qos: UInt8, retain: Bool, receivedAt: Int64) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.receivedAt = receivedAt
    }

    /// Bytes before the record's body: length and checksum.
    public static let headerSize = ChecksummedRecord.headerSize
    /// The largest body accepted when reading, so a damaged length cannot demand gigabytes.
    public static let maximumBodySize = 256 << 20 + 65_548

    /// The record's bytes on disk.
    public func encoded() -> [UInt8] {
        let topicBytes = Array(topic.utf8)
        var body: [UInt8] = []
        body.reserveCapacity(12 + topicBytes.count + payload.count)
        body.append(1)
        body.append((qos & 3) | (retain ? 4 : 0))
        for shift in stride(from: 56, through: 0, by: -8) {
            body.append(UInt8(truncatingIfNeeded: receivedAt >> shift))
        }
        body.append(UInt8(topicBytes.count >> 8))
        body.append(UInt8(topicBytes.count & 0xFF))
        body += topicBytes
        body += payload
        return ChecksummedRecord.framing(body)
    }

    /// What is at the start of some bytes read from a queue file.
    public enum Decoded: Hashable, Sendable {
        /// A whole record, `size` bytes long.
        case record(QueueRecord, size: Int)
        /// The bytes end inside a record.
        case incomplete
        /// The bytes are not a record: a damaged length, checksum or field.
        case damaged(String)
    }

    /// Decodes the record at the start of `bytes`.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
        let body: ArraySlice<UInt8>
        let size: Int
        switch ChecksummedRecord.read(bytes, sizes: 12...maximumBodySize) {
        case .record(let recordBody, let recordSize): (body, size) = (recordBody, recordSize)
        case .incomplete: return .incomplete
        case .damaged(let problem): return .damaged(problem)
        }
        let length = body.count
        let base = body.startIndex
        guard body[base] == 1 else { return .damaged("record format version \(body[base])") }
        let flags = body[base + 1]
        var receivedAt: Int64 = 0
        for index in 0..<8 { receivedAt = receivedAt << 8 | Int64(body[base + 2 + index]) }
        let topicLength = Int(body[base + 10]) << 8 | Int(body[base + 11])
        guard 12 + topicLength <= length,
            let topic = String(validating: body[(base + 12)..<(base + 12 + topicLength)], as: UTF8.self)
        else {
            return .damaged("a bad topic")
        }
        let record = QueueRecord(
            topic: topic,
            payload: Array(body[(base + 12 + topicLength)...]),
            qos: flags & 3,
            retain: flags & 4 != 0,
            receivedAt: receivedAt
        )
        return .record(record, size: size)
    }
}
