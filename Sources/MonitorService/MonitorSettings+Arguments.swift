public import ArgumentParsing
import HTTP
import IO
import MQTTClient
import MQTTCodec
import MQTTSession
import Monitor

/// The monitor's options, each with the environment variable that sets it when Akri starts the
/// monitor as a broker pod, and the defaults, declared once.
extension MonitorSettings {
    /// The protocol versions `--protocol` takes.
    public enum ProtocolChoice: String, CaseIterable, Sendable {
        /// MQTT 3.1.1.
        case v311 = "3.1.1"
        /// MQTT 5.0.
        case v5 = "5"
    }

    static let url = Option<String?>.text(
        "--url",
        value: "URL",
        help: "The device's broker (default: $MQTT_BROKER_URI)."
    )
    static let topics = Option<[String]>.list(
        "-t",
        "--topic",
        value: "FILTER",
        help: "Topic filter to watch; repeatable (default: $MQTT_TOPIC)."
    )
    static let device = Option<String?>.text(
        "--device",
        value: "ID",
        help: "The device's id (default: $MQTT_DEVICE_ID, else the topic)."
    )
    static let propertiesPrefix = Option<String?>.text(
        "--properties-prefix",
        value: "PREFIX",
        help: "The configuration's propertiesPrefix: read PREFIX_MQTT_BROKER_URI and so on.",
        environment: "MONITOR_PROPERTIES_PREFIX"
    )
    static let clientID = Option<String?>.text(
        "-i",
        "--id",
        value: "CLIENT_ID",
        help: "Client id (default: derived from broker and device)."
    )
    static let sessionExpiry = Option<UInt32>.integer(
        "--session-expiry",
        value: "SECONDS",
        help: "How long the broker keeps the session while we are away (5.0).",
        environment: "MONITOR_SESSION_EXPIRY",
        default: 86_400
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
        help: "Trust these CA certificates (PEM).",
        environment: "MQTT_CA_FILE"
    )
    static let certificate = Option<String?>.text(
        "--cert",
        value: "FILE",
        help: "Client certificate (PEM).",
        environment: "MQTT_CERT_FILE"
    )
    static let key = Option<String?>.text(
        "--key",
        value: "FILE",
        help: "Client private key (PEM).",
        environment: "MQTT_KEY_FILE"
    )
    static let insecure = Option<Bool>.flag(
        "--insecure",
        help: "Do not verify the broker's certificate (logs a warning)."
    )
    static let listen = Option<String>.text(
        "--listen",
        value: "HOST:PORT",
        help: "HTTP address (an IP literal; port 0 picks a free one).",
        environment: "MONITOR_LISTEN",
        default: "0.0.0.0:8080"
    )
    static let httpMaximumConnections = Option<Int>.integer(
        "--http-max-connections",
        value: "N",
        help: "HTTP connections kept at most; past it the least active makes room.",
        in: 1...100_000,
        environment: "MONITOR_HTTP_MAX_CONNECTIONS",
        default: 512
    )
    static let httpRequestTimeout = Option<Duration>.seconds(
        "--http-request-timeout",
        help: "How long an HTTP request may take to arrive, from its first byte (then 408).",
        in: 0.001...3_600,
        environment: "MONITOR_HTTP_REQUEST_TIMEOUT",
        default: .seconds(10)
    )
    static let history = Option<Int>.integer(
        "--history",
        value: "N",
        help: "Messages kept in the history.",
        in: 0...10_000_000,
        environment: "MONITOR_HISTORY",
        default: MessageStore.Limits().historyCount
    )
    static let historyBytes = Option<Int>.integer(
        "--history-bytes",
        value: "N",
        help: "Bytes of messages kept in the history.",
        in: 1_024...Int.max,
        environment: "MONITOR_HISTORY_BYTES",
        default: MessageStore.Limits().historyBytes
    )
    static let upstream = Option<String?>.text(
        "--upstream",
        value: "URL",
        help: "Forward every message to this broker.",
        environment: "MONITOR_UPSTREAM"
    )
    static let upstreamTopic = Option<String>.text(
        "--upstream-topic",
        value: "TEMPLATE",
        help: "Upstream topic; {device} and {topic} expand.",
        environment: "MONITOR_UPSTREAM_TOPIC",
        default: "{topic}"
    )
    static let upstreamQoS = Option<UInt8>.integer(
        "--upstream-qos",
        value: "QOS",
        help: "Upstream QoS.",
        in: 0...2,
        environment: "MONITOR_UPSTREAM_QOS",
        default: 1
    )
    static let upstreamUsername = Option<String?>.text(
        "--upstream-username",
        value: "USER",
        help: "Upstream user name.",
        environment: "MONITOR_UPSTREAM_USERNAME"
    )
    static let upstreamPasswordFile = Option<String?>.text(
        "--upstream-password-file",
        value: "FILE",
        help: "Read the upstream password from FILE.",
        environment: "MONITOR_UPSTREAM_PASSWORD_FILE"
    )
    static let upstreamCAFile = Option<String?>.text(
        "--upstream-cafile",
        value: "FILE",
        help: "Upstream CA certificates (PEM).",
        environment: "MONITOR_UPSTREAM_CA_FILE"
    )
    static let queueDirectory = Option<String?>.text(
        "--queue-dir",
        value: "DIR",
        help: "Disk queue directory (default: /var/lib/mqtt-discovery/queue/CLIENT_ID).",
        environment: "MONITOR_QUEUE_DIR"
    )
    static let queueMaximumBytes = Option<Int>.integer(
        "--queue-max-bytes",
        value: "N",
        help: "Disk queue bound; the oldest messages are dropped past it.",
        in: 4_096...Int.max,
        environment: "MONITOR_QUEUE_MAX_BYTES",
        default: 256 << 20
    )
    static let fsync = Option<SyncPolicy>.choice(
        "--fsync",
        help:
            "When queued messages are synchronised to the device: never, batch (within 100 ms) or always (before the message is acknowledged to its broker).",
        environment: "MONITOR_FSYNC",
        default: .batch
    )
    static let influxDB = Option<String?>.text(
        "--influxdb",
        value: "URL",
        help: "InfluxDB write endpoint, e.g. http://127.0.0.1:8086/write?db=telemetry.",
        environment: "MONITOR_INFLUXDB"
    )
    static let measurement = Option<String>.text(
        "--measurement",
        value: "NAME",
        help: "InfluxDB measurement.",
        environment: "MONITOR_MEASUREMENT",
        default: "mqtt"
    )

    /// Every option of `mqtt-discovery monitor`, in the order `--help` shows them.
    public static var arguments: [ArgumentSpec] {
        [
            url.spec, topics.spec, device.spec, propertiesPrefix.spec, clientID.spec, sessionExpiry.spec,
            protocolVersion.spec, keepAlive.spec, username.spec, passwordFile.spec, caFile.spec, certificate.spec,
            key.spec, insecure.spec, listen.spec, httpMaximumConnections.spec, httpRequestTimeout.spec, history.spec,
            historyBytes.spec, upstream.spec, upstreamTopic.spec,
            upstreamQoS.spec, upstreamUsername.spec, upstreamPasswordFile.spec, upstreamCAFile.spec,
            queueDirectory.spec, queueMaximumBytes.spec, fsync.spec, influxDB.spec, measurement.spec,
        ]
    }

    /// The settings the options and the environment describe, as Akri hands a device to its
    /// broker pod: `MQTT_BROKER_URI`, `MQTT_TOPIC` and `MQTT_DEVICE_ID`, with the Configuration's
    /// `propertiesPrefix` and `_` in front when it has one (given, or found from the one variable
    /// ending in `_MQTT_BROKER_URI`); `MQTT_PASSWORD` is the password when no file is named.
    /// Options override the environment. Anything unusable is a ``UsageError``; a password file
    /// that cannot be read, an `IOError`.
    public init(_ arguments: ParsedArguments, environment: [String: String]) throws {
        let command = arguments.command
        func fail(_ message: String) -> UsageError { UsageError(message, command: command) }
        let prefix = try Self.propertiesPrefix(arguments, environment: environment)
        func property(_ name: String) -> String? {
            environment[prefix + name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let urlText = try arguments(Self.url) ?? property("MQTT_BROKER_URI") else {
            throw fail("no broker: set --url or \(prefix)MQTT_BROKER_URI")
        }
        let url = try Self.brokerURL(urlText, command: command)
        var topics = try arguments(Self.topics)
        if topics.isEmpty, let topic = property("MQTT_TOPIC") { topics = [topic] }
        guard !topics.isEmpty else { throw fail("no topic: set -t or \(prefix)MQTT_TOPIC") }
        let protocolVersion: ProtocolVersion = try arguments(Self.protocolVersion) == .v311 ? .v311 : .v5
        for topic in topics {
            do {
                try TopicFilter.validate(topic, version: protocolVersion)
            } catch {
                throw fail("topic '\(topic)': \(error.problem.explanation)")
            }
        }
        let device = try arguments(Self.device) ?? property("MQTT_DEVICE_ID") ?? topics[0]
        let identifier =
            try arguments(Self.clientID) ?? ClientIdentifier.stable(for: "monitor|\(url)|\(device)", prefix: "mqttm")
        var client = ClientConfiguration(url: url, clientIdentifier: identifier)
        client.protocolVersion = protocolVersion
        client.cleanStart = false
        client.sessionExpiryInterval = try arguments(Self.sessionExpiry)
        client.keepAlive = try arguments(Self.keepAlive)
        client.userName = try arguments(Self.username)
        client.password = try ClientConfiguration.password(
            file: try arguments(Self.passwordFile),
            variable: environment["MQTT_PASSWORD"]
        )
        let certificate = try arguments(Self.certificate)
        let key = try arguments(Self.key)
        if (certificate == nil) != (key == nil) { throw fail("--cert and --key go together") }
        client.tls = TLSConfiguration(
            caFile: try arguments(Self.caFile),
            certificateFile: certificate,
            privateKeyFile: key,
            verifyPeer: !(try arguments(Self.insecure))
        )
        let limits = MessageStore.Limits(
            historyCount: try arguments(Self.history),
            historyBytes: try arguments(Self.historyBytes)
        )
        self.init(
            client: client,
            device: device,
            topics: topics,
            listen: try Self.listenAddress(try arguments(Self.listen), command: command),
            limits: limits
        )
        // Read whether or not there is an upstream, so a bad value is refused either way.
        let queueSync = try arguments(Self.fsync)
        httpMaximumConnections = try arguments(Self.httpMaximumConnections)
        httpRequestTimeout = try arguments(Self.httpRequestTimeout)
        if let upstreamText = try arguments(Self.upstream) {
            let upstreamURL = try Self.brokerURL(upstreamText, command: command)
            var upstream = ClientConfiguration(
                url: upstreamURL,
                clientIdentifier: ClientIdentifier.stable(
                    for: "monitor-upstream|\(upstreamURL)|\(device)",
                    prefix: "mqttu"
                )
            )
            upstream.protocolVersion = protocolVersion
            upstream.cleanStart = false
            upstream.sessionExpiryInterval = client.sessionExpiryInterval
            upstream.userName = try arguments(Self.upstreamUsername)
            upstream.password = try ClientConfiguration.password(
                file: try arguments(Self.upstreamPasswordFile),
                variable: nil
            )
            upstream.tls = TLSConfiguration(caFile: try arguments(Self.upstreamCAFile))
            let template = try arguments(Self.upstreamTopic)
            guard !template.isEmpty, !template.contains("+"), !template.contains("#") else {
                throw fail("--upstream-topic '\(template)' must be a topic name")
            }
            self.upstream = Upstream(
                client: upstream,
                forwarding: Forwarder.Settings(
                    topic: TopicTemplate(template),
                    qos: QoS(rawValue: try arguments(Self.upstreamQoS)) ?? .atLeastOnce,
                    device: device
                ),
                queueDirectory: try arguments(Self.queueDirectory) ?? "/var/lib/mqtt-discovery/queue/\(identifier)",
                queueMaximumBytes: try arguments(Self.queueMaximumBytes),
                queueSync: queueSync
            )
        }
        if let influxText = try arguments(Self.influxDB) {
            let influxURL: HTTPURL
            do {
                influxURL = try HTTPURL(influxText)
            } catch {
                throw fail("--influxdb: \(error.message)")
            }
            let measurement = try arguments(Self.measurement)
            guard !measurement.isEmpty else { throw fail("--measurement must not be empty") }
            influx = Influx(writer: InfluxWriter.Settings(url: influxURL), measurement: measurement)
        }
    }

    /// `PREFIX_` from the option, or found from the one `*_MQTT_BROKER_URI` variable; "" for none.
    private static func propertiesPrefix(
        _ arguments: ParsedArguments,
        environment: [String: String]
    ) throws(UsageError) -> String {
        if let prefix = try arguments(propertiesPrefix) { return prefix.isEmpty ? "" : prefix + "_" }
        let url = try arguments(url)
        if environment["MQTT_BROKER_URI"] != nil || url != nil { return "" }
        let candidates = environment.keys.filter { $0.hasSuffix("_MQTT_BROKER_URI") }.sorted()
        guard candidates.count <= 1 else {
            throw UsageError(
                "several properties prefixes in the environment (\(candidates.joined(separator: ", "))): set --properties-prefix",
                command: arguments.command
            )
        }
        return candidates.first.map { String($0.dropLast("MQTT_BROKER_URI".count)) } ?? ""
    }

    /// `HOST:PORT` with an IP literal host (`[::1]:8080` for IPv6; `localhost` is 127.0.0.1).
    static func listenAddress(_ text: String, command: String) throws(UsageError) -> SocketAddress {
        guard let address = SocketAddress(listening: text) else {
            throw UsageError("--listen '\(text)' must be IP:PORT, e.g. 0.0.0.0:8080 or [::1]:8080", command: command)
        }
        return address
    }

    private static func brokerURL(_ text: String, command: String) throws(UsageError) -> BrokerURL {
        do {
            return try BrokerURL(text)
        } catch {
            throw UsageError("\(error)", command: command)
        }
    }
}
