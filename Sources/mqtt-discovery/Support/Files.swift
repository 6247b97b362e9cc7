import IO

/// Reading small files named on the command line (passwords, configurations).
enum Files {
    /// A file that could not be read, with the reason.
    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    /// The whole file.
    static func read(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> [UInt8] {
        do {
            return try FileSystem.read(path, limit: limit)
        } catch {
            if case .file(_, let reason) = error { throw ReadError(path: path, reason: reason) }
            throw ReadError(path: path, reason: "\(error)")
        }
    }

    /// The whole file as text.
    static func readText(_ path: String, limit: Int = 16 << 20) throws(ReadError) -> String {
        let bytes = try read(path, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(path: path, reason: "not UTF-8 text")
        }
        return text
    }
}
