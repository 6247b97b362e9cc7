import Foundation
import Synchronization

/// A real mosquitto broker for a test or a benchmark: on loopback ports held for it alone, with
/// persistence in its own directory, and optionally TLS listeners and a password file. Stopped
/// when released.
public final class Mosquitto: Sendable {
    /// The plain TCP port.
    public let port: UInt16
    /// The TLS port (server certificate only), when TLS was asked for.
    public let tlsPort: UInt16?
    /// A TLS port that requires a client certificate.
    public let mutualTLSPort: UInt16?
    /// A TLS port whose certificate names another host.
    public let wrongHostTLSPort: UInt16?
    /// The directory holding the configuration, the persistence file and the log.
    public let directory: TemporaryDirectory
    private let heldPorts: [HeldPort]
    private let configurationPath: String
    private let executable: String
    private let process = Mutex<ExternalProcess?>(nil)

    /// What the broker is started with.
    public struct Options: Sendable {
        /// TLS certificates for the TLS listeners; nil runs plain TCP only.
        public var certificates: Certificates?
        /// `user: password` pairs; when set, anonymous clients are refused.
        public var users: [String: String]
        /// Whether the broker saves sessions and messages (when it stops, and every
        /// `autosave_interval`).
        public var persistence: Bool
        /// Extra configuration lines (they come last, so they override the defaults).
        public var extra: [String]

        /// Options.
        public init(
            certificates: Certificates? = nil,
            users: [String: String] = [:],
            persistence: Bool = true,
            extra: [String] = []
        ) {
            self.certificates = certificates
            self.users = users
            self.persistence = persistence
            self.extra = extra
        }
    }

    /// Starts mosquitto and returns once it says it is running, every listener open.
    ///
    /// Should a port still be reported in use (a server from outside the test suite that does
    /// not set `SO_REUSEADDR` took it), it starts again on other ports.
    public init(_ options: Options = Options()) async throws {
        executable = try Machine.require("mosquitto")
        directory = try TemporaryDirectory(prefix: "mosquitto")
        let passwords = try await Self.passwordFile(options.users, in: directory)
        var attempt = 1
        while true {
            let ports = try (0..<(options.certificates == nil ? 1 : 4)).map { _ in try HeldPort() }
            let path = try directory.write(
                "mosquitto.conf",
                Self.configuration(options, ports: ports.map(\.port), passwords: passwords, directory: directory)
            )
            do {
                process.withLock { $0 = nil }
                let started = try await Self.start(executable, configuration: path)
                process.withLock { $0 = started }
            } catch is AddressInUse where attempt < 3 {
                attempt += 1
                continue
            }
            heldPorts = ports
            configurationPath = path
            port = ports[0].port
            tlsPort = ports.count > 1 ? ports[1].port : nil
            mutualTLSPort = ports.count > 2 ? ports[2].port : nil
            wrongHostTLSPort = ports.count > 3 ? ports[3].port : nil
            return
        }
    }

    /// The plain TCP URL, e.g. `tcp://127.0.0.1:41883`.
    public var url: String { "tcp://127.0.0.1:\(port)" }

    /// The broker's process ID, while it runs.
    public var pid: Int32? { process.withLock { $0?.pid } }

    /// What mosquitto has logged since it was last started.
    public var log: String { process.withLock { $0 }?.log ?? "" }

    /// Waits until mosquitto has logged `text`.
    public func waitForLog(containing text: String, timeout: Duration = .seconds(20)) async throws {
        guard let running = process.withLock({ $0 }) else { throw TestSupportError("mosquitto is not running") }
        try await running.waitForLog(containing: text, timeout: timeout)
    }

    /// Starts the broker again on the same ports with the same persistence (after ``stop()`` or
    /// ``kill()``).
    public func start() async throws {
        let started = try await Self.start(executable, configuration: configurationPath)
        process.withLock { $0 = started }
    }

    /// Stops the broker cleanly (it saves its persistence file) and waits until it has exited.
    public func stop() async {
        await process.withLock { running in
            defer { running = nil }
            return running
        }?.stop()
    }

    /// Kills the broker with SIGKILL, as a crash would: no will is published, and only what was
    /// last saved survives. Returns once it is gone.
    public func kill() async {
        await process.withLock { running in
            defer { running = nil }
            return running
        }?.stop(signal: SIGKILL)
    }

    /// Stops and starts the broker; sessions and queued messages survive.
    public func restart() async throws {
        await stop()
        try await start()
    }

    /// Kills the broker and starts it again, as after a crash.
    public func crashAndRestart() async throws {
        await kill()
        try await start()
    }

    /// Freezes the broker (SIGSTOP): its sockets stay open but nothing answers.
    public func freeze() {
        process.withLock { $0 }?.send(SIGSTOP)
    }

    /// Thaws a frozen broker (SIGCONT).
    public func thaw() {
        process.withLock { $0 }?.send(SIGCONT)
    }

    private struct AddressInUse: Error {}

    /// Starts mosquitto and waits for its own word that it runs: it logs "running" once every
    /// listener is open, and "Error: Address already in use" and exits when a port is taken.
    private static func start(_ executable: String, configuration: String) async throws -> ExternalProcess {
        // Line-buffered, so what the broker logs can be waited for.
        let process = try ExternalProcess(
            try Machine.require("stdbuf", package: "coreutils"),
            ["-oL", executable, "-c", configuration]
        )
        do {
            try await process.waitForLog("mosquitto's 'running'") {
                $0.contains(" running") || $0.contains("Address already in use")
            }
        } catch {
            await process.stop(signal: SIGKILL)
            throw TestSupportError("mosquitto did not start: \(error)")
        }
        if process.log.contains("Address already in use") {
            await process.stop(signal: SIGKILL)
            throw AddressInUse()
        }
        return process
    }

    private static func passwordFile(
        _ users: [String: String],
        in directory: TemporaryDirectory
    ) async throws
        -> String?
    {
        guard !users.isEmpty else { return nil }
        let passwords = try directory.write("passwords", "")
        let tool = try Machine.require("mosquitto_passwd", package: "mosquitto")
        for (user, password) in users {
            let process = try ExternalProcess(tool, ["-b", passwords, user, password])
            guard await process.waitForExit() == 0 else {
                throw TestSupportError("mosquitto_passwd failed: \(process.log)")
            }
        }
        return passwords
    }

    private static func configuration(
        _ options: Options,
        ports: [UInt16],
        passwords: String?,
        directory: TemporaryDirectory
    ) -> String {
        var lines = [
            "user root",
            "persistence \(options.persistence)",
            "persistence_location \(directory.path)/",
            "log_dest stdout",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            // Enough room for the benchmarks' queued messages, which the default (1000) would drop.
            "max_queued_messages 1000000",
            "per_listener_settings false",
        ]
        if let passwords {
            lines += ["allow_anonymous false", "password_file \(passwords)"]
        } else {
            lines.append("allow_anonymous true")
        }
        lines.append("listener \(ports[0]) 127.0.0.1")
        if let certificates = options.certificates {
            lines += [
                "listener \(ports[1]) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.serverCertificate)", "keyfile \(certificates.serverKey)",
                "listener \(ports[2]) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.serverCertificate)", "keyfile \(certificates.serverKey)",
                "require_certificate true",
                "listener \(ports[3]) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.wrongHostCertificate)", "keyfile \(certificates.wrongHostKey)",
            ]
        }
        return (lines + options.extra).joined(separator: "\n") + "\n"
    }
}
