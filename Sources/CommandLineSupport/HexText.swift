/// Bytes written as hexadecimal digits, as people paste packets: `30 08 00 03 61 2F`.
public enum HexText {
    /// Text that is not an even number of hexadecimal digits (whitespace aside).
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        /// What is wrong and where.
        public let description: String
    }

    /// The bytes `text` spells; whitespace anywhere is ignored.
    public static func bytes(_ text: String) -> Result<[UInt8], Malformed> {
        var bytes: [UInt8] = []
        var high: UInt8?
        for (offset, character) in text.enumerated() where !character.isWhitespace {
            guard let digit = character.hexDigitValue else {
                return .failure(
                    Malformed(description: "'\(character)' at character \(offset + 1) is not a hexadecimal digit")
                )
            }
            if let first = high {
                bytes.append(first << 4 | UInt8(digit))
                high = nil
            } else {
                high = UInt8(digit)
            }
        }
        if high != nil { return .failure(Malformed(description: "odd number of hexadecimal digits")) }
        return .success(bytes)
    }
}
