/// The variable byte integer: seven bits per byte, least significant group first, the top bit set
/// on every byte but the last; at most four bytes (MQTT 3.1.1 §2.2.3, MQTT 5.0 §1.5.5).
enum VariableByteInteger {
    /// 268,435,455: the largest value four bytes hold.
    static let maximum: UInt32 = 268_435_455

    /// The number of bytes `value` encodes to (1 to 4).
    @inline(__always)
    static func size(of value: UInt32) -> Int {
        switch value {
        case 0..<128: 1
        case 128..<16_384: 2
        case 16_384..<2_097_152: 3
        default: 4
        }
    }

    /// The outcome of reading a variable byte integer from the front of a buffer.
    enum Parse: Equatable {
        /// The value and how many bytes it took.
        case value(UInt32, length: Int)
        /// The buffer ends before the last byte of the integer.
        case incomplete
        /// A fifth byte would be needed.
        case tooLong
        /// The value uses more bytes than needed: MQTT 5.0 forbids that [MQTT-1.5.5-1].
        case notMinimal
    }

    /// Reads a variable byte integer from `bytes[start..<end]`. MQTT 3.1.1 does not require the
    /// shortest encoding; 5.0 does, so `requireMinimal` is set for 5.0 streams.
    @inline(__always)
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        requireMinimal: Bool
    ) -> Parse {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        var index = start
        while index < end {
            let byte = bytes[index]
            value |= UInt32(byte & 0x7F) << shift
            index += 1
            if byte & 0x80 == 0 {
                let length = index - start
                // A last byte of zero after a continuation adds nothing: a longer encoding than needed.
                if requireMinimal && length > 1 && byte == 0 { return .notMinimal }
                return .value(value, length: length)
            }
            shift += 7
            if shift == 28 { return .tooLong }
        }
        return .incomplete
    }
}
