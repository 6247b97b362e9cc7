import Foundation
import Synchronization

/// A private InfluxDB 1.x (Debian's `influxdb`) on loopback ports held for it, with its data in a
/// temporary directory; stopped when released.
public final class InfluxDB: Sendable {
    /// The HTTP API port.
    public let port: UInt16
    private let ports: [HeldPort]
    private let directory: TemporaryDirectory
    private let executable: String
    private let configuration: String
    private let process = Mutex<ExternalProcess?>(nil)

    /// Starts influxd and waits until it answers `/ping`.
    public init() async throws {
        executable = try Machine.require("influxd", package: "influxdb")
        directory = try TemporaryDirectory(prefix: "influxdb")
        // influxd (Go) sets SO_REUSEADDR on its listeners, so it can bind ports we hold.
        ports = [try HeldPort(), try HeldPort()]
        port = ports[0].port
        let rpcPort = ports[1].port
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

    /// Starts influxd (again) on the same port with the same data, and returns once it answers
    /// `/ping`.
    public func start() async throws {
        let started = try ExternalProcess(executable, ["-config", configuration])
        process.withLock { $0 = started }
        do {
            try await Curl.waitFor("http://127.0.0.1:\(port)/ping", timeout: .seconds(30)) { $0.status == 204 }
        } catch {
            await started.stop()
            throw TestSupportError("influxd did not start: \(error) \(started.log)")
        }
    }

    /// Stops influxd and waits until it has exited; its data stays.
    public func stop() async {
        await process.withLock { running in
            defer { running = nil }
            return running
        }?.stop()
    }

    /// The base URL, e.g. `http://127.0.0.1:48086`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Runs an InfluxQL statement (against `database` when given) and returns the JSON answer.
    public func query(_ statement: String, database: String? = nil) async throws -> String {
        var options = ["-XPOST", "--data-urlencode", "q=\(statement)"]
        if let database { options += ["--data-urlencode", "db=\(database)"] }
        let response = try await Curl.request("\(url)/query", options)
        guard response.status == 200 else {
            throw TestSupportError("InfluxDB query failed: \(response.status) \(response.body)")
        }
        return response.body
    }
}
