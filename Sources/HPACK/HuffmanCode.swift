/// The static Huffman code of HPACK string literals (RFC 7541 §5.2, Appendix B).
///
/// The code is canonical: codes of one length are consecutive, in symbol order, and each length's
/// first code follows on from the last of the length before. So the appendix is kept here as what
/// determines it, the length of each symbol's code, and the codes are computed from the lengths;
/// a mistyped length shows up as a code that is not the appendix's (the tests decode the
/// appendix's own examples, and `h2` and `nghttp2` encode for us), and the construction checks
/// that EOS comes out as thirty 1 bits, as Appendix B says.
enum HuffmanCode {
    /// The length in bits of the code of each symbol, 0 to 255 and EOS (256), from Appendix B.
    static let lengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ]

    /// Symbol 256: End Of String. Never in a string; its first bits pad the last octet.
    static let endOfString = 256

    /// Each symbol's code, right-aligned, and its length.
    static let codes: [(code: UInt32, length: UInt8)] = {
        var codes = [(code: UInt32, length: UInt8)](repeating: (0, 0), count: lengths.count)
        var next: UInt32 = 0
        var length: UInt8 = 0
        for symbol in symbolsInCodeOrder {
            next <<= UInt32(lengths[symbol] - length)
            length = lengths[symbol]
            codes[symbol] = (next, length)
            next += 1
        }
        precondition(codes[endOfString] == (0x3FFF_FFFF, 30), "RFC 7541 Appendix B: EOS is 30 one bits")
        return codes
    }()

    /// Symbols ordered by code: by length, then by symbol.
    private static let symbolsInCodeOrder: [Int] = lengths.indices.sorted {
        (lengths[$0], $0) < (lengths[$1], $1)
    }

    /// For canonical decoding, per code length: the first code of that length, how many codes
    /// have it, and where its symbols start in ``symbolsInCodeOrder``.
    private static let firstCode: [UInt32] = decodingTables.first
    private static let countOfLength: [Int] = decodingTables.count
    private static let startOfLength: [Int] = decodingTables.start
    private static let decodingTables: (first: [UInt32], count: [Int], start: [Int]) = {
        var first = [UInt32](repeating: 0, count: 31)
        var count = [Int](repeating: 0, count: 31)
        var start = [Int](repeating: 0, count: 31)
        for (position, symbol) in symbolsInCodeOrder.enumerated() {
            let length = Int(lengths[symbol])
            if count[length] == 0 {
                first[length] = codes[symbol].code
                start[length] = position
            }
            count[length] += 1
        }
        return (first, count, start)
    }()

    /// The number of octets `bytes` takes Huffman-coded (RFC 7541 §5.2), padding included.
    static func encodedLength(_ bytes: some Sequence<UInt8>) -> Int {
        let bits = bytes.reduce(0) { $0 + Int(codes[Int($1)].length) }
        return (bits + 7) / 8
    }

    /// Appends `bytes` Huffman-coded to `output`, padded with the high bits of EOS (all ones).
    static func encode(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) {
        var accumulator: UInt64 = 0
        var bits = 0
        for byte in bytes {
            let (code, length) = codes[Int(byte)]
            accumulator = accumulator << UInt64(length) | UInt64(code)
            bits += Int(length)
            while bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(bits)))
            }
        }
        if bits > 0 {
            output.append(UInt8(truncatingIfNeeded: accumulator << UInt64(8 - bits) | (0xFF >> UInt64(bits))))
        }
    }

    /// Decodes a Huffman-coded string (RFC 7541 §5.2): an EOS in it, or padding longer than
    /// seven bits or not all ones, is an error. Refuses to produce more than `limit` octets.
    static func decode(_ bytes: ArraySlice<UInt8>, limit: Int) -> Result<[UInt8], DecodingFailure> {
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, bytes.count * 8 / 5))
        var code: UInt32 = 0
        var length = 0
        var pendingOnes = true
        for byte in bytes {
            for shift in stride(from: 7, through: 0, by: -1) {
                let bit = UInt32(byte >> UInt8(shift) & 1)
                code = code << 1 | bit
                length += 1
                pendingOnes = pendingOnes && bit == 1
                // Canonical: the code of this length is valid if it falls in the length's range.
                if countOfLength[length] > 0, code >= firstCode[length],
                    code - firstCode[length] < UInt32(countOfLength[length])
                {
                    let symbol = symbolsInCodeOrder[startOfLength[length] + Int(code - firstCode[length])]
                    if symbol == endOfString { return .failure(.endOfStringInString) }
                    guard output.count < limit else { return .failure(.tooLong) }
                    output.append(UInt8(symbol))
                    code = 0
                    length = 0
                    pendingOnes = true
                } else if length >= 30 {
                    return .failure(.invalidCode)
                }
            }
        }
        // What is left must be a prefix of EOS: at most seven bits, all ones.
        guard length <= 7 else { return .failure(.paddingTooLong) }
        guard pendingOnes else { return .failure(.paddingNotEOS) }
        return .success(output)
    }

    /// Why a Huffman-coded string does not decode.
    enum DecodingFailure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The EOS symbol appears in the string.
        case endOfStringInString
        /// More than seven bits of padding.
        case paddingTooLong
        /// Padding that is not the high bits of EOS (ones).
        case paddingNotEOS
        /// Thirty bits that are no code.
        case invalidCode
        /// The decoded string would be longer than allowed.
        case tooLong

        var description: String {
            switch self {
            case .endOfStringInString: "the Huffman-coded string contains EOS (RFC 7541 §5.2)"
            case .paddingTooLong: "the Huffman code's padding is longer than 7 bits (RFC 7541 §5.2)"
            case .paddingNotEOS: "the Huffman code's padding is not the high bits of EOS (RFC 7541 §5.2)"
            case .invalidCode: "a Huffman code that is not in the table"
            case .tooLong: "the decoded string is longer than allowed"
            }
        }
    }
}
