import Foundation

/// A real mosquitto broker for a test: started on free loopback ports, with persistence in its
/// own directory, and optionally TLS listeners and a password file. Stopped when released.
public final class Mosquitto: @unchecked Sendable {
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
    private let configurationPath: String
    private var process: ExternalProcess?

    /// Users and passwords to require, instead of anonymous access.
    public struct Options: Sendable {
        /// TLS certificates for the TLS listeners; nil runs plain TCP only.
        public var certificates: Certificates?
        /// `user: password` pairs; when set, anonymous clients are refused.
        public var users: [String: String]
        /// Extra configuration lines.
        public var extra: [String]

        /// Options.
        public init(certificates: Certificates? = nil, users: [String: String] = [:], extra: [String] = []) {
            self.certificates = certificates
            self.users = users
            self.extra = extra
        }
    }

    /// Starts mosquitto and waits until it accepts connections.
    public init(_ options: Options = Options()) async throws {
        guard let executable = Machine.which("mosquitto") else {
            throw TestSupportError("mosquitto is not installed (Scripts/install-dependencies installs it)")
        }
        directory = try TemporaryDirectory(prefix: "mosquitto")
        port = try Machine.freePort()
        var lines = [
            "user root",
            "persistence true",
            "persistence_location \(directory.path)/",
            "log_dest stdout",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            // Enough room for the benchmarks' queued messages, which the default (1000) would drop.
            "max_queued_messages 1000000",
            "per_listener_settings false",
        ]
        if options.users.isEmpty {
            lines.append("allow_anonymous true")
        } else {
            lines.append("allow_anonymous false")
            let passwords = directory.file("passwords")
            _ = FileManager.default.createFile(atPath: passwords, contents: nil)
            for (user, password) in options.users {
                let tool = try ExternalProcess(
                    Machine.which("mosquitto_passwd") ?? "/usr/bin/mosquitto_passwd",
                    ["-b", passwords, user, password]
                )
                guard tool.waitForExit() == 0 else { throw TestSupportError("mosquitto_passwd failed: \(tool.log)") }
            }
            lines.append("password_file \(passwords)")
        }
        lines.append("listener \(port) 127.0.0.1")
        if let certificates = options.certificates {
            let tls = try Machine.freePort()
            let mutual = try Machine.freePort()
            let wrong = try Machine.freePort()
            tlsPort = tls
            mutualTLSPort = mutual
            wrongHostTLSPort = wrong
            lines += [
                "listener \(tls) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.serverCertificate)", "keyfile \(certificates.serverKey)",
                "listener \(mutual) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.serverCertificate)", "keyfile \(certificates.serverKey)",
                "require_certificate true",
                "listener \(wrong) 127.0.0.1", "cafile \(certificates.caFile)",
                "certfile \(certificates.wrongHostCertificate)", "keyfile \(certificates.wrongHostKey)",
            ]
        } else {
            tlsPort = nil
            mutualTLSPort = nil
            wrongHostTLSPort = nil
        }
        lines += options.extra
        configurationPath = try directory.write("mosquitto.conf", lines.joined(separator: "\n") + "\n")
        self.executable = executable
        try await start()
    }

    private let executable: String

    deinit {
        process?.stop()
    }

    /// The plain TCP URL, e.g. `tcp://127.0.0.1:41883`.
    public var url: String { "tcp://127.0.0.1:\(port)" }

    /// What mosquitto has logged (since it was last started).
    public var log: String { process?.log ?? "" }

    /// Waits until mosquitto has logged `text`.
    public func waitForLog(containing text: String, timeout: Duration = .seconds(10)) async throws {
        guard let process else { throw TestSupportError("mosquitto is not running") }
        try await process.waitForLog(containing: text, timeout: timeout)
    }

    /// Starts (or restarts) the broker on the same ports with the same persistence.
    public func start() async throws {
        // Line-buffered, so tests can wait for what the broker logs (a client timing out, say).
        let process = try ExternalProcess(
            Machine.which("stdbuf") ?? "/usr/bin/stdbuf",
            ["-oL", executable, "-c", configurationPath]
        )
        self.process = process
        do {
            try await Machine.waitForPort(port)
        } catch {
            throw TestSupportError("mosquitto did not start: \(process.log)")
        }
    }

    /// Stops the broker cleanly (it saves its persistence file).
    public func stop() {
        process?.stop()
        process = nil
    }

    /// Stops and starts the broker; sessions and queued messages survive.
    public func restart() async throws {
        stop()
        try await start()
    }

    /// Kills the broker (SIGKILL) and starts it again, as after a crash: it says goodbye to
    /// nobody (no wills) and keeps only what it had saved.
    public func crashAndRestart() async throws {
        process?.stop(signal: 9)
        process = nil
        try await start()
    }

    /// Freezes the broker (SIGSTOP): its sockets stay open but nothing answers.
    public func freeze() {
        process?.send(19)  // SIGSTOP
    }

    /// Thaws a frozen broker (SIGCONT).
    public func thaw() {
        process?.send(18)  // SIGCONT
    }
}
