extension String {
    /// Calls `body` with the string's UTF-8, in place for a native string (no copy, unlike the
    /// mutating `withUTF8`, which needs a variable), else from a copy.
    @inline(__always)
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(utf8).withUnsafeBufferPointer(body)
    }
}
