/// Decodes header blocks (RFC 7541), keeping the dynamic table from one block to the next as a
/// connection's decoder must.
///
/// Bounded: the dynamic table holds at most what we announced (SETTINGS_HEADER_TABLE_SIZE), a
/// string at most ``maximumStringLength`` octets, and a block at most ``maximumHeaderListSize``
/// (SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 §6.5.2 says) — checked as the block is
/// decoded, before anything bigger is kept.
public struct HPACKDecoder: Sendable {
    private var table: HeaderTable
    /// The dynamic table size we allow the peer's encoder (our SETTINGS_HEADER_TABLE_SIZE).
    public var maximumTableSize: Int {
        didSet { if table.maximumSize > maximumTableSize { table.resize(to: maximumTableSize) } }
    }
    /// The largest header list accepted, in RFC 9113's accounting (octets plus 32 per field).
    public var maximumHeaderListSize: Int
    /// The longest name or value accepted, decoded.
    public let maximumStringLength: Int

    /// A decoder with these limits; the table starts at `maximumTableSize` (4,096 by default, the
    /// size HTTP/2 starts every connection with).
    public init(maximumTableSize: Int = 4_096, maximumHeaderListSize: Int = 16_384, maximumStringLength: Int = 16_384) {
        table = HeaderTable(maximumSize: maximumTableSize)
        self.maximumTableSize = maximumTableSize
        self.maximumHeaderListSize = maximumHeaderListSize
        self.maximumStringLength = maximumStringLength
    }

    /// The dynamic table's size now (for tests).
    public var dynamicTableSize: Int { table.size }

    /// The fields of one complete header block.
    public mutating func decode(_ block: ArraySlice<UInt8>) throws(HPACKError) -> [HeaderField] {
        var reader = Reader(bytes: block)
        var fields: [HeaderField] = []
        var listSize = 0
        var sizeUpdatesAllowed = true
        while !reader.isAtEnd {
            let start = reader.offset
            let first = reader.peek
            if first & 0x80 != 0 {
                // §6.1 Indexed Header Field.
                let index = try reader.integer(prefix: 7)
                guard index != 0 else { throw HPACKError("index 0 is not a header field (RFC 7541 §6.1)", at: start) }
                guard let entry = table.entry(index) else { throw outOfRange(index, at: start) }
                try append(HeaderField(entry.name, entry.value), to: &fields, size: &listSize, at: start)
            } else if first & 0xE0 == 0x20 {
                // §6.3 Dynamic Table Size Update: only at the start of a block (§4.2).
                guard sizeUpdatesAllowed else {
                    throw HPACKError("a dynamic table size update after a header field (RFC 7541 §4.2)", at: start)
                }
                let newSize = try reader.integer(prefix: 5)
                guard newSize <= maximumTableSize else {
                    throw HPACKError(
                        "a dynamic table size of \(newSize) is over the \(maximumTableSize) allowed (RFC 7541 §6.3)",
                        at: start
                    )
                }
                table.resize(to: newSize)
                continue
            } else {
                // §6.2: literals, with incremental indexing (01), without (0000), never indexed (0001).
                let incremental = first & 0xC0 == 0x40
                let neverIndexed = first & 0xF0 == 0x10
                let nameIndex = try reader.integer(prefix: incremental ? 6 : 4)
                let name: String
                if nameIndex == 0 {
                    name = try reader.string(limit: maximumStringLength)
                } else {
                    guard let entry = table.entry(nameIndex) else { throw outOfRange(nameIndex, at: start) }
                    name = entry.name
                }
                let value = try reader.string(limit: maximumStringLength)
                if incremental { table.add(name: name, value: value) }
                try append(
                    HeaderField(name, value, neverIndexed: neverIndexed),
                    to: &fields,
                    size: &listSize,
                    at: start
                )
            }
            sizeUpdatesAllowed = false
        }
        return fields
    }

    private func outOfRange(_ index: Int, at offset: Int) -> HPACKError {
        HPACKError(
            "index \(index) is past the end of the table (61 static + \(table.dynamicCount) dynamic entries)",
            at: offset
        )
    }

    private func append(
        _ field: HeaderField,
        to fields: inout [HeaderField],
        size: inout Int,
        at offset: Int
    ) throws(HPACKError) {
        size += field.size
        guard size <= maximumHeaderListSize else {
            throw HPACKError("the header list is over \(maximumHeaderListSize) octets", at: offset)
        }
        fields.append(field)
    }
}

/// Reads HPACK's primitives (RFC 7541 §5) from a block.
private struct Reader {
    let bytes: ArraySlice<UInt8>
    var offset: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    var isAtEnd: Bool { offset >= bytes.endIndex }
    var peek: UInt8 { bytes[offset] }

    /// §5.1: an integer in an N-bit prefix, continued 7 bits at a time. Refuses values past 2^30
    /// (no size or index here comes near), so a run of continuation octets cannot overflow.
    mutating func integer(prefix: Int) throws(HPACKError) -> Int {
        let start = offset
        guard offset < bytes.endIndex else { throw HPACKError("the block ends inside an integer", at: start) }
        let mask = (1 << prefix) - 1
        var value = Int(bytes[offset]) & mask
        offset += 1
        guard value == mask else { return value }
        var shift = 0
        while true {
            guard offset < bytes.endIndex else { throw HPACKError("the block ends inside an integer", at: start) }
            let byte = bytes[offset]
            offset += 1
            // Five continuation octets carry 35 bits, past 2^30 already: a longer run (zeros, say)
            // would shift past Int's width and wrap negative.
            guard shift <= 28 else { throw HPACKError("an integer over 2^30 (RFC 7541 §5.1)", at: start) }
            value += Int(byte & 0x7F) << shift
            shift += 7
            guard value < 1 << 30 else { throw HPACKError("an integer over 2^30 (RFC 7541 §5.1)", at: start) }
            if byte & 0x80 == 0 { return value }
        }
    }

    /// §5.2: a string literal, Huffman-coded or not.
    mutating func string(limit: Int) throws(HPACKError) -> String {
        let start = offset
        guard offset < bytes.endIndex else { throw HPACKError("the block ends before a string", at: start) }
        let huffman = bytes[offset] & 0x80 != 0
        let length = try integer(prefix: 7)
        guard length <= bytes.endIndex - offset else {
            throw HPACKError("a string of \(length) octets runs past the end of the block", at: start)
        }
        let raw = bytes[offset..<(offset + length)]
        offset += length
        if huffman {
            switch HuffmanCode.decode(raw, limit: limit) {
            case .success(let decoded): return String(decoding: decoded, as: UTF8.self)
            case .failure(let failure): throw HPACKError(failure.description, at: start)
            }
        }
        guard length <= limit else { throw HPACKError("a string of \(length) octets is over \(limit)", at: start) }
        return String(decoding: raw, as: UTF8.self)
    }
}
