import IO

/// Reading small files named on the command line (passwords, configurations).
public enum Files {
    /// A file that could not be read, with the reason.
    public struct ReadError: Error, CustomStringConvertible {
        /// The file.
        public let path: String
        /// Why, e.g. `No such file or directory`.
        public let reason: String
        /// `cannot read PATH: REASON`.
        public var description: String { "cannot read \(path): \(reason)" }
    }

    /// The whole file.
    public static func read(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> [UInt8] {
        do {
            return try FileSystem.read(path, limit: limit)
        } catch {
            if case .file(_, let reason) = error { throw ReadError(path: path, reason: reason) }
            throw ReadError(path: path, reason: "\(error)")
        }
    }

    /// The whole file as text.
    public static func readText(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> String {
        let bytes = try read(path, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(path: path, reason: "not UTF-8 text")
        }
        return text
    }
}
