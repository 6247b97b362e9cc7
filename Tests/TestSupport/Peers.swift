import Foundation

/// The independent peers written with other people's code: `Tests/Peers/akri_grpc.py` (grpcio,
/// with stubs generated from `Proto/discovery.proto` by grpcio-tools) and `Tests/Peers/h2_peer.py`
/// (the `h2` library), run by the Python of `.build/peers`, which `Scripts/install-dependencies`
/// makes.
public enum Peers {
    /// The package's root directory.
    public static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The Python with grpcio, grpcio-tools and h2.
    public static var python: String { "\(root)/.build/peers/bin/python" }

    /// Starts `Tests/Peers/<script>` with `arguments`; its standard output is one JSON object per
    /// line (see the script).
    public static func start(
        _ script: String,
        _ arguments: [String],
        environment: [String: String]? = nil
    ) throws -> ExternalProcess {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestSupportError("\(python) is missing: run Scripts/install-dependencies")
        }
        return try ExternalProcess(
            python,
            ["-u", "\(root)/Tests/Peers/\(script)"] + arguments,
            environment: environment,
            separateStandardError: true
        )
    }

    /// Runs `Tests/Peers/<script>` to completion and returns its output lines, parsed.
    public static func run(
        _ script: String,
        _ arguments: [String],
        timeout: Duration = .seconds(60)
    ) async throws
        -> [[String: Any]]
    {
        let process = try start(script, arguments)
        guard let status = await process.waitForExit(timeout: timeout) else {
            await process.stop()
            throw TestSupportError("\(script) \(arguments) did not finish within \(timeout): \(process.errorLog)")
        }
        guard status == 0 else {
            throw TestSupportError("\(script) \(arguments) exited \(status): \(process.errorLog)")
        }
        return events(process.log)
    }

    /// The JSON objects of a peer's output, one per line.
    public static func events(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}

extension ExternalProcess {
    /// The JSON events a peer printed (``Peers``).
    public var events: [[String: Any]] { Peers.events(log) }

    /// Waits for the `count`-th event named `name` (`"event": name`) and returns it.
    @discardableResult
    public func waitForEvent(
        _ name: String,
        count: Int = 1,
        timeout: Duration = .seconds(30),
        where condition: @escaping ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        var found: [String: Any]?
        try await waitForLog(timeout: timeout, "event '\(name)' #\(count)") { log in
            let matching = Peers.events(log).filter { $0["event"] as? String == name && condition($0) }
            guard matching.count >= count else { return false }
            found = matching[count - 1]
            return true
        }
        return try found ?? { throw TestSupportError("event \(name) vanished") }()
    }
}
