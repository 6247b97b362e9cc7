import Foundation

/// A private InfluxDB 1.x (Debian's `influxdb`) on a free loopback port, with its data in a
/// temporary directory; stopped when released.
public final class InfluxDB: @unchecked Sendable {
    /// The HTTP API port.
    public let port: UInt16
    private let directory: TemporaryDirectory
    private let executable: String
    private let configuration: String
    private var process: ExternalProcess?

    /// Starts influxd and waits until it answers `/ping`.
    public init() async throws {
        guard let executable = Machine.which("influxd") else {
            throw TestSupportError("influxd is not installed (Scripts/install-dependencies installs influxdb)")
        }
        self.executable = executable
        directory = try TemporaryDirectory(prefix: "influxdb")
        port = try Machine.freePort()
        let rpcPort = try Machine.freePort()
        configuration = try directory.write(
            "influxdb.conf",
            """
            reporting-enabled = false
            bind-address = "127.0.0.1:\(rpcPort)"
            [meta]
              dir = "\(directory.path)/meta"
            [data]
              dir = "\(directory.path)/data"
              wal-dir = "\(directory.path)/wal"
              query-log-enabled = false
            [monitor]
              store-enabled = false
            [http]
              bind-address = "127.0.0.1:\(port)"
              log-enabled = false
            [logging]
              level = "warn"
            """
        )
        try await start()
    }

    deinit {
        process?.stop()
    }

    /// Starts influxd (again) on the same port with the same data.
    public func start() async throws {
        let process = try ExternalProcess(executable, ["-config", configuration])
        self.process = process
        do {
            try await Curl.waitFor("http://127.0.0.1:\(port)/ping", timeout: .seconds(30)) { $0.status == 204 }
        } catch {
            process.stop()
            throw TestSupportError("influxd did not start: \(process.log)")
        }
    }

    /// Stops influxd; its data stays.
    public func stop() {
        process?.stop()
        _ = process?.waitForExit()
        process = nil
    }

    /// The base URL, e.g. `http://127.0.0.1:48086`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Runs an InfluxQL statement (against `database` when given) and returns the JSON answer.
    public func query(_ statement: String, database: String? = nil) throws -> String {
        var options = ["-XPOST", "--data-urlencode", "q=\(statement)"]
        if let database { options += ["--data-urlencode", "db=\(database)"] }
        let response = try Curl.request("\(url)/query", options)
        guard response.status == 200 else {
            throw TestSupportError("InfluxDB query failed: \(response.status) \(response.body)")
        }
        return response.body
    }
}
