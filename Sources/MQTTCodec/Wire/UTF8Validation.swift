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
        // byte with the top bit set, eight bytes at a time, then the standard library builds the
        // string without validating again. Anything else takes the full validation.
        var asciiAndNoNull = true
        var index = 0
        let count = bytes.count
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                // High bit set anywhere, or a zero byte (the classic "has zero byte" trick).
                let highBits = word & 0x8080_8080_8080_8080
                let zeroBytes = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
                if highBits | zeroBytes != 0 {
                    asciiAndNoNull = false
                    break
                }
                index += 8
            }
        }
        if asciiAndNoNull {
            while index < count {
                let byte = bytes[index]
                if byte == 0 || byte >= 0x80 {
                    asciiAndNoNull = false
                    break
                }
                index += 1
            }
        }
        if asciiAndNoNull {
            return .valid(String(decoding: bytes, as: UTF8.self))
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { return .invalid }
        // Validation succeeded, so a zero byte can only be U+0000 itself.
        if bytes.contains(0) { return .containsNull }
        return .valid(string)
    }
}
