import Foundation

/// A directory under the system's temporary directory, removed when the value is released.
///
/// `@unchecked Sendable`: only immutable state (the path); the file system is the shared part.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's path.
    public let path: String

    /// Creates a fresh directory whose name starts with `prefix`.
    public init(prefix: String = "mqtt-discovery-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String {
        "\(path)/\(name)"
    }

    /// Writes `contents` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let target = file(name)
        try contents.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}

extension TemporaryDirectory {
    /// Writes `file`: an Akri Configuration named `name` for the mqtt handler, with `details`
    /// (YAML, unindented) as its `discoveryDetails` and `spec` (YAML at the spec's level, unindented,
    /// e.g. `brokerProperties:` and its entries) after them. Returns its path.
    public func writeConfiguration(_ file: String, name: String, details: String, spec: String = "") throws -> String {
        func indented(_ text: String, by spaces: Int) -> String {
            text.split(separator: "\n").map { String(repeating: " ", count: spaces) + $0 }.joined(separator: "\n")
        }
        return try write(
            file,
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: \(name)
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
            \(indented(details, by: 6))
            \(indented(spec, by: 2))

            """
        )
    }
}
