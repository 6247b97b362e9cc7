public import ArgumentParsing
public import IO
public import Logging
public import MQTTClient
public import MQTTCodec
public import MQTTSession

/// The options of every command that talks to a broker as a client (`sub`, `pub`, `simulate`),
/// declared once and read into a ``ClientConfiguration``.
public struct ConnectionOptions: OptionGroup {
    /// The protocol versions `--protocol` takes.
    public enum ProtocolChoice: String, CaseIterable, Sendable {
        /// MQTT 3.1.1.
        case v311 = "3.1.1"
        /// MQTT 5.0.
        case v5 = "5"

        /// The codec's version.
        public var version: ProtocolVersion { self == .v311 ? .v311 : .v5 }
    }

    static let url = Option<String?>.text(
        "--url",
        value: "URL",
        help: "The broker: tcp://, mqtt://, ssl:// or mqtts:// host[:port].",
        required: true
    )
    static let id = Option<String?>.text(
        "-i",
        "--id",
        value: "CLIENT_ID",
        help: "Client identifier (default: stable for this host and command with --no-clean, else random)."
    )
    static let noClean = Option<Bool>.flag(
        "--no-clean",
        help: "Keep a persistent session: clean session off (3.1.1), clean start off (5.0)."
    )
    static let sessionExpiry = Option<UInt32?>.integer(
        "--session-expiry",
        value: "SECONDS",
        help: "How long the broker keeps the session after disconnecting (5.0; default 3600 with --no-clean)."
    )
    static let protocolVersion = Option<ProtocolChoice>.choice(
        "--protocol",
        help: "MQTT protocol version.",
        default: .v5
    )
    static let keepAlive = Option<UInt16>.integer(
        "-k",
        "--keepalive",
        value: "SECONDS",
        help: "Keep-alive interval; 0 turns it off.",
        default: 60
    )
    static let connectTimeout = Option<Duration>.seconds(
        "--connect-timeout",
        help: "Time allowed for TCP, TLS and CONNACK.",
        in: 0.001...3_600,
        default: .seconds(10)
    )
    static let username = Option<String?>.text(
        "--username",
        value: "USER",
        help: "User name.",
        environment: "MQTT_USERNAME"
    )
    static let passwordFile = Option<String?>.text(
        "--password-file",
        value: "FILE",
        help: "Read the password from FILE (its first line); or set MQTT_PASSWORD.",
        environment: "MQTT_PASSWORD_FILE"
    )
    static let caFile = Option<String?>.text(
        "--cafile",
        value: "FILE",
        help: "Trust these CA certificates (PEM) instead of the system's."
    )
    static let certificate = Option<String?>.text(
        "--cert",
        value: "FILE",
        help: "Client certificate (PEM), for mutual TLS."
    )
    static let key = Option<String?>.text("--key", value: "FILE", help: "Client private key (PEM), for mutual TLS.")
    static let insecure = Option<Bool>.flag(
        "--insecure",
        help: "Do not verify the broker's certificate or host name (logs a warning)."
    )
    static let willTopic = Option<String?>.text(
        "--will-topic",
        value: "TOPIC",
        help: "Will topic: published by the broker if we vanish."
    )
    static let willPayload = Option<String>.text(
        "--will-payload",
        value: "TEXT",
        help: "Will payload.",
        default: ""
    )
    static let willQoS = Option<UInt8>.integer("--will-qos", value: "QOS", help: "Will QoS.", in: 0...2, default: 0)
    static let willRetain = Option<Bool>.flag("--will-retain", help: "Publish the will retained.")
    static let willDelay = Option<UInt32?>.integer(
        "--will-delay",
        value: "SECONDS",
        help: "MQTT 5.0: wait this long after a loss before publishing the will."
    )

    /// For commands whose client can keep its half of the session on disk.
    public static let sessionStore = Option<String?>.text(
        "--session-store",
        value: "DIR",
        help: "Keep unacknowledged QoS 1/2 messages (and QoS 2 receipts) in DIR, so a restart loses none."
    )

    /// For commands with `--session-store`: when its changes are synchronised to the device.
    public static let fsync = Option<SyncPolicy>.choice(
        "--fsync",
        help:
            "When the session store's changes reach the device: never, batch (within 100 ms) or always (before the packets that depend on them).",
        default: .batch
    )

    /// Every connection option, in the order `--help` shows them.
    public static var arguments: [ArgumentSpec] {
        [
            url.spec, id.spec, noClean.spec, sessionExpiry.spec, protocolVersion.spec, keepAlive.spec,
            connectTimeout.spec, username.spec, passwordFile.spec, caFile.spec, certificate.spec, key.spec,
            insecure.spec, willTopic.spec, willPayload.spec, willQoS.spec, willRetain.spec, willDelay.spec,
        ]
    }

    /// The broker URL as given.
    public let url: String
    /// The protocol version.
    public let protocolVersion: ProtocolVersion
    private let id: String?
    private let persistent: Bool
    private let sessionExpiry: UInt32?
    private let keepAlive: UInt16
    private let connectTimeout: Duration
    private let username: String?
    private let passwordFile: String?
    private let tls: TLSConfiguration
    private let will: (topic: String, payload: String, qos: QoS, retain: Bool, delay: UInt32?)?
    private let sessionStoreDirectory: String?
    private let sessionStoreSync: SyncPolicy

    /// Reads the options.
    public init(_ arguments: ParsedArguments) throws(UsageError) {
        url = try arguments(Self.url) ?? ""
        protocolVersion = try arguments(Self.protocolVersion).version
        id = try arguments(Self.id)
        persistent = try arguments(Self.noClean)
        sessionExpiry = try arguments(Self.sessionExpiry)
        keepAlive = try arguments(Self.keepAlive)
        connectTimeout = try arguments(Self.connectTimeout)
        username = try arguments(Self.username)
        passwordFile = try arguments(Self.passwordFile)
        let certificate = try arguments(Self.certificate)
        let key = try arguments(Self.key)
        if (certificate == nil) != (key == nil) {
            throw UsageError("--cert and --key go together", command: arguments.command)
        }
        tls = TLSConfiguration(
            caFile: try arguments(Self.caFile),
            certificateFile: certificate,
            privateKeyFile: key,
            verifyPeer: !(try arguments(Self.insecure))
        )
        if let topic = try arguments(Self.willTopic) {
            will = (
                topic, try arguments(Self.willPayload), QoS(rawValue: try arguments(Self.willQoS)) ?? .atMostOnce,
                try arguments(Self.willRetain), try arguments(Self.willDelay)
            )
        } else {
            will = nil
        }
        sessionStoreDirectory = arguments.values(Self.sessionStore.spec.key).last
        sessionStoreSync = arguments.values(Self.fsync.spec.key).isEmpty ? .batch : try arguments(Self.fsync)
    }

    /// The configuration the options describe. `identity` distinguishes this use (command and
    /// topics) in the default client identifier of a persistent session; `MQTT_PASSWORD` in
    /// `environment` is the password when no file is named.
    public func configuration(identity: String, environment: [String: String]) throws -> ClientConfiguration {
        let url = try BrokerURL(url)
        let identifier =
            id ?? (persistent ? ClientIdentifier.stable(for: "\(url)|\(identity)") : ClientIdentifier.random())
        var configuration = ClientConfiguration(url: url, clientIdentifier: identifier)
        configuration.protocolVersion = protocolVersion
        configuration.cleanStart = !persistent
        configuration.sessionExpiryInterval = sessionExpiry ?? (persistent ? 3_600 : 0)
        configuration.keepAlive = keepAlive
        configuration.connectTimeout = connectTimeout
        configuration.userName = username
        configuration.password = try ClientConfiguration.password(
            file: passwordFile,
            variable: environment["MQTT_PASSWORD"]
        )
        configuration.tls = tls
        if let will {
            try TopicName.validate(will.topic, version: protocolVersion)
            configuration.will = ConnectPacket.Will(
                topic: will.topic,
                payload: Array(will.payload.utf8),
                qos: will.qos,
                retain: will.retain,
                properties: WillProperties(willDelayInterval: will.delay)
            )
        }
        return configuration
    }

    /// Opens the store `--session-store` names, if it does (and the command declared it),
    /// synchronised on `loop` (the client's) as `--fsync` says.
    public func sessionStore(loop: EventLoop, logger: Logger) throws(MQTTClientError) -> SessionStore? {
        guard let sessionStoreDirectory else { return nil }
        return try SessionStore(directory: sessionStoreDirectory, sync: sessionStoreSync, loop: loop, logger: logger)
    }
}

extension ExitStatus {
    /// The status a command exits with when its client fails with `error`.
    public init(_ error: MQTTClientError) {
        switch error {
        case .refused(let code, _)
        where [.badUserNameOrPassword, .notAuthorized, .banned, .badAuthenticationMethod].contains(code):
            self = .notPermitted
        case .rejected(let code, _) where code == .notAuthorized:
            self = .notPermitted
        case .unreachable, .tls, .connectionLost, .keepAliveTimeout, .disconnectedByServer, .refused:
            self = .unavailable
        case .protocolViolation:
            self = .protocolError
        case .invalidURL, .invalidConfiguration:
            self = .usage
        case .rejected, .invalidPacket, .stopped:
            self = .failure
        }
    }
}
