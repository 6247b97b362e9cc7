/// How records are laid out in files that must notice damage (the monitor's disk queue, the MQTT
/// client's session store): `length` (4 bytes, big-endian, of the body), `crc32` (4 bytes, of the
/// body), then the body. A reader can tell a record torn by a crash, or damaged on disk, from a
/// good one, and stops there.
public enum ChecksummedRecord {
    /// Bytes before a record's body: length and checksum.
    public static let headerSize = 8

    /// The record of `body`, ready to append to a file.
    public static func framing(_ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + body.count)
        appendUInt32(UInt32(body.count), to: &bytes)
        appendUInt32(CRC32.checksum(body), to: &bytes)
        bytes += body
        return bytes
    }

    /// What is at the start of some bytes read from a file of records.
    public enum Read: Hashable, Sendable {
        /// A whole record whose checksum matches: its body, and the record's size with the header.
        case record(body: ArraySlice<UInt8>, size: Int)
        /// The bytes end inside a record.
        case incomplete
        /// The bytes are not a record: a length out of range or a checksum mismatch.
        case damaged(String)
    }

    /// Reads the record at the start of `bytes`; bodies outside `sizes` are damage (so a damaged
    /// length cannot demand gigabytes).
    public static func read(_ bytes: ArraySlice<UInt8>, sizes: ClosedRange<Int>) -> Read {
        guard bytes.count >= headerSize else { return .incomplete }
        let start = bytes.startIndex
        let length = Int(readUInt32(bytes, at: start))
        guard sizes.contains(length) else { return .damaged("a record length of \(length) bytes") }
        guard bytes.count >= headerSize + length else { return .incomplete }
        let body = bytes[(start + headerSize)..<(start + headerSize + length)]
        guard CRC32.checksum(body) == readUInt32(bytes, at: start + 4) else { return .damaged("a checksum mismatch") }
        return .record(body: body, size: headerSize + length)
    }

    private static func appendUInt32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func readUInt32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
            | UInt32(bytes[index + 3])
    }
}
