/// Bytes from a hex string such as `"10 1F 00 04"`; whitespace is ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    precondition(digits.count.isMultiple(of: 2), "odd number of hex digits in \(text)")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else {
            preconditionFailure("bad hex \(digits[index..<next]) in \(text)")
        }
        bytes.append(byte)
        index = next
    }
    return bytes
}

/// The UTF-8 bytes of `text`.
func utf8(_ text: String) -> ArraySlice<UInt8> {
    ArraySlice(text.utf8)
}
