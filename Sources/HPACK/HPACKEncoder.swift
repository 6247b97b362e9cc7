/// Encodes header blocks (RFC 7541). It never adds to the peer's dynamic table: a field is an
/// index of the static table when name and value are both there, else a literal without indexing
/// (§6.2.2) naming a static name by index when it can, with each string Huffman-coded when that is
/// shorter. So the encoder keeps no state a peer's SETTINGS could invalidate, and a field marked
/// ``HeaderField/neverIndexed`` is sent as never indexed (§6.2.3).
public struct HPACKEncoder: Sendable {
    /// An encoder.
    public init() {}

    /// The block for `fields`.
    public func encode(_ fields: [HeaderField]) -> [UInt8] {
        var output: [UInt8] = []
        for field in fields { encode(field, into: &output) }
        return output
    }

    private static let staticIndex: [String: (nameIndex: Int, values: [String: Int])] = {
        var index: [String: (nameIndex: Int, values: [String: Int])] = [:]
        for (position, entry) in HeaderTable.staticEntries.enumerated() {
            let number = position + 1
            index[entry.name, default: (number, [:])].values[entry.value] = number
        }
        return index
    }()

    private func encode(_ field: HeaderField, into output: inout [UInt8]) {
        let known = Self.staticIndex[field.name]
        if !field.neverIndexed, let index = known?.values[field.value] {
            Self.integer(index, prefix: 7, flags: 0x80, into: &output)
            return
        }
        let flags: UInt8 = field.neverIndexed ? 0x10 : 0x00
        if let nameIndex = known?.nameIndex {
            Self.integer(nameIndex, prefix: 4, flags: flags, into: &output)
        } else {
            Self.integer(0, prefix: 4, flags: flags, into: &output)
            Self.string(field.name, into: &output)
        }
        Self.string(field.value, into: &output)
    }

    /// §5.1.
    static func integer(_ value: Int, prefix: Int, flags: UInt8, into output: inout [UInt8]) {
        let mask = (1 << prefix) - 1
        guard value >= mask else {
            output.append(flags | UInt8(value))
            return
        }
        output.append(flags | UInt8(mask))
        var rest = value - mask
        while rest >= 0x80 {
            output.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(rest))
    }

    /// §5.2: Huffman-coded when that is shorter.
    static func string(_ text: String, into output: inout [UInt8]) {
        let bytes = Array(text.utf8)
        let huffmanLength = HuffmanCode.encodedLength(bytes)
        if huffmanLength < bytes.count {
            integer(huffmanLength, prefix: 7, flags: 0x80, into: &output)
            HuffmanCode.encode(bytes, into: &output)
        } else {
            integer(bytes.count, prefix: 7, flags: 0x00, into: &output)
            output += bytes
        }
    }
}
