/// Finding the levels of a topic in its UTF-8 bytes, without splitting it.
///
/// Levels are separated by `/` bytes, which never occur inside a multi-byte UTF-8 sequence, so a
/// byte scan is exact.
enum TopicLevels {
    /// Where the level starting at `start` ends: the index of the next `/`, or the topic's length.
    ///
    /// Eight bytes at a time: a `/` is a zero byte of the word xor `////////`, and the lowest zero
    /// byte the borrow trick finds is exact (only bytes above a real zero can be false positives).
    @inline(__always)
    static func end(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = bytes.count
        var end = start
        guard let base = bytes.baseAddress else { return end }
        let raw = UnsafeRawPointer(base)
        while end + 8 <= count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: end, as: UInt64.self))
            let slashes = word ^ 0x2F2F_2F2F_2F2F_2F2F
            let zero = (slashes &- 0x0101_0101_0101_0101) & ~slashes & 0x8080_8080_8080_8080
            if zero != 0 { return end + zero.trailingZeroBitCount >> 3 }
            end += 8
        }
        while end < count && base[end] != UInt8(ascii: "/") { end += 1 }
        return end
    }

    /// Level number `number` (from 0) of a topic, or an empty buffer at the end if it has fewer.
    @inline(__always)
    static func level(_ number: Int, of bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var remaining = number
        while remaining > 0 && start < bytes.count {
            start = end(bytes, from: start) + 1
            remaining -= 1
        }
        start = min(start, bytes.count)
        return UnsafeBufferPointer(rebasing: bytes[start..<end(bytes, from: start)])
    }
}
