/// A header block that cannot be decoded (RFC 7541 §2.3.3, §5, §6): HTTP/2 treats every one as a
/// connection error of type COMPRESSION_ERROR (RFC 9113 §4.3). Says what was wrong and where.
public struct HPACKError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `index 70 is past the end of the table (61 static + 2 dynamic entries)`.
    public let message: String
    /// The offset in the header block where the faulty representation starts.
    public let offset: Int

    /// An error at `offset`.
    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// `header block byte N: message`.
    public var description: String { "header block byte \(offset): \(message)" }
}
