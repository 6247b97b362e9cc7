/// Checks the UTF-8 rules every MQTT string follows: well-formed UTF-8 with no surrogate code
/// points [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2] (3.1.1: [MQTT-1.5.3-1], [MQTT-1.5.3-2]).
/// A byte order mark is kept as U+FEFF, never stripped [MQTT-1.5.4-3].
enum UTF8Validation {
    /// The outcome of reading a string field.
    enum Result {
        case valid(String)
        case invalid
        case containsNull
    }

    /// Validates `bytes` and makes a `String` of them.
    @inline(__always)
    static func string(from bytes: UnsafeBufferPointer<UInt8>) -> Result {
        // Topic names and identifiers are nearly always ASCII: one pass looks for NUL and for any
        // byte with the top bit set, then the standard library builds the string without checking
        // again. Anything else takes the full validation.
        if scan(bytes, forWildcards: false) == .plain {
            return .valid(String(decoding: bytes, as: UTF8.self))
        }
        return validate(bytes)
    }

    /// The full check, for strings that are not plain ASCII.
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        guard let string = String(validating: bytes, as: UTF8.self) else { return .invalid }
        // Validation succeeded, so a zero byte can only be U+0000 itself.
        if bytes.contains(0) { return .containsNull }
        return .valid(string)
    }

    enum Scan {
        /// ASCII without NUL (and, if asked, without `+` and `#`).
        case plain
        /// Something needs a closer look.
        case special
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` is zero (exact for the question "is there one").
    @inline(__always)
    private static func hasZeroByte(_ word: UInt64) -> Bool {
        (word &- ones) & ~word & highBits != 0
    }

    /// Looks at eight bytes at a time for a byte with the top bit set, a zero byte, and optionally
    /// `+` or `#`.
    @inline(__always)
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, forWildcards: Bool) -> Scan {
        let count = bytes.count
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                if word & highBits != 0 || hasZeroByte(word) { return .special }
                if forWildcards
                    && (hasZeroByte(word ^ (ones &* 0x2B)) || hasZeroByte(word ^ (ones &* 0x23)))
                {
                    return .special
                }
                index += 8
            }
        }
        while index < count {
            let byte = bytes[index]
            if byte == 0 || byte >= 0x80 || (forWildcards && (byte == 0x2B || byte == 0x23)) { return .special }
            index += 1
        }
        return .plain
    }
}
