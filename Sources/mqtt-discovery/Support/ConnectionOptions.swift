import ArgumentParsing
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession

/// The options every command that talks to a broker shares.
enum ConnectionOptions {
    enum ProtocolChoice: String, CaseIterable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    static let arguments: [ArgumentSpec] = [
        .option(
            "--url",
            value: "URL",
            help: "The broker: tcp://, mqtt://, ssl:// or mqtts:// host[:port].",
            required: true
        ),
        .option(
            "-i",
            "--id",
            value: "CLIENT_ID",
            help: "Client identifier (default: stable for this host and command with --no-clean, else random)."
        ),
        .flag("--no-clean", help: "Keep a persistent session: clean session off (3.1.1), clean start off (5.0)."),
        .option(
            "--session-expiry",
            value: "SECONDS",
            help: "How long the broker keeps the session after disconnecting (5.0; default 3600 with --no-clean)."
        ),
        .option("--protocol", value: "3.1.1|5", help: "MQTT protocol version.", default: "5"),
        .option("-k", "--keepalive", value: "SECONDS", help: "Keep-alive interval; 0 turns it off.", default: "60"),
        .option("--connect-timeout", value: "SECONDS", help: "Time allowed for TCP, TLS and CONNACK.", default: "10"),
        .option("--username", value: "USER", help: "User name.", environment: "MQTT_USERNAME"),
        .option(
            "--password-file",
            value: "FILE",
            help: "Read the password from FILE (its first line); or set MQTT_PASSWORD.",
            environment: "MQTT_PASSWORD_FILE"
        ),
        .option("--cafile", value: "FILE", help: "Trust these CA certificates (PEM) instead of the system's."),
        .option("--cert", value: "FILE", help: "Client certificate (PEM), for mutual TLS."),
        .option("--key", value: "FILE", help: "Client private key (PEM), for mutual TLS."),
        .flag("--insecure", help: "Do not verify the broker's certificate or host name (logs a warning)."),
        .option("--will-topic", value: "TOPIC", help: "Will topic: published by the broker if we vanish."),
        .option("--will-payload", value: "TEXT", help: "Will payload (default: empty)."),
        .option("--will-qos", value: "QOS", help: "Will QoS.", default: "0"),
        .flag("--will-retain", help: "Publish the will retained."),
        .option(
            "--will-delay",
            value: "SECONDS",
            help: "MQTT 5.0: wait this long after a loss before publishing the will."
        ),
    ]

    /// For commands whose client can keep its half of the session on disk.
    static let sessionStoreArgument = ArgumentSpec.option(
        "--session-store",
        value: "DIR",
        help: "Keep unacknowledged QoS 1/2 messages (and QoS 2 receipts) in DIR, so a restart loses none."
    )

    /// Opens the store `--session-store` names, if it does.
    static func sessionStore(_ arguments: ParsedArguments, logger: Logger) throws(MQTTClientError) -> SessionStore? {
        guard let directory = arguments.value("session-store") else { return nil }
        return try SessionStore(directory: directory, logger: logger)
    }

    /// The configuration the options describe. `identity` distinguishes this use (command and
    /// topics) in the default client identifier of a persistent session.
    static func configuration(
        _ arguments: ParsedArguments,
        identity: String,
        environment: [String: String]
    ) throws -> ClientConfiguration {
        let url = try BrokerURL(try arguments.required("url"))
        let persistent = arguments.flag("no-clean")
        let identifier =
            arguments.value("id")
            ?? (persistent ? ClientIdentifier.stable(for: "\(url)|\(identity)") : ClientIdentifier.random())
        var configuration = ClientConfiguration(url: url, clientIdentifier: identifier)
        configuration.protocolVersion = try arguments.choice("protocol", as: ProtocolChoice.self) == .v311 ? .v311 : .v5
        configuration.cleanStart = !persistent
        configuration.sessionExpiryInterval =
            try arguments.integer("session-expiry", as: UInt32.self) ?? (persistent ? 3_600 : 0)
        configuration.keepAlive = try arguments.integer("keepalive", as: UInt16.self) ?? 60
        let timeout = try arguments.integer("connect-timeout", as: Int.self, in: 1...3_600) ?? 10
        configuration.connectTimeout = .seconds(timeout)
        configuration.userName = arguments.value("username")
        configuration.password = try password(
            file: arguments.value("password-file"),
            variable: environment["MQTT_PASSWORD"]
        )
        configuration.tls = TLSConfiguration(
            caFile: arguments.value("cafile"),
            certificateFile: arguments.value("cert"),
            privateKeyFile: arguments.value("key"),
            verifyPeer: !arguments.flag("insecure")
        )
        if (arguments.value("cert") == nil) != (arguments.value("key") == nil) {
            throw UsageError("--cert and --key go together", command: arguments.command)
        }
        if let topic = arguments.value("will-topic") {
            try TopicName.validate(topic, version: configuration.protocolVersion)
            let qos = QoS(rawValue: try arguments.integer("will-qos", as: UInt8.self, in: 0...2) ?? 0) ?? .atMostOnce
            configuration.will = ConnectPacket.Will(
                topic: topic,
                payload: Array((arguments.value("will-payload") ?? "").utf8),
                qos: qos,
                retain: arguments.flag("will-retain"),
                properties: WillProperties(willDelayInterval: try arguments.integer("will-delay", as: UInt32.self))
            )
        }
        return configuration
    }

    /// The password: the first line of `file` when given, else `variable`'s value, else none.
    static func password(file: String?, variable: String?) throws -> [UInt8]? {
        if let file {
            let text = try Files.readText(file)
            return Array((text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "").utf8)
        }
        return variable.map { Array($0.utf8) }
    }

    /// The exit status for a client error.
    static func status(for error: MQTTClientError) -> ExitStatus {
        switch error {
        case .refused(let code, _)
        where [.badUserNameOrPassword, .notAuthorized, .banned, .badAuthenticationMethod].contains(code):
            .notPermitted
        case .rejected(let code, _) where code == .notAuthorized:
            .notPermitted
        case .unreachable, .tls, .connectionLost, .keepAliveTimeout, .disconnectedByServer, .refused:
            .unavailable
        case .protocolViolation:
            .protocolError
        case .invalidURL, .invalidConfiguration:
            .usage
        case .rejected, .invalidPacket, .stopped:
            .failure
        }
    }
}
