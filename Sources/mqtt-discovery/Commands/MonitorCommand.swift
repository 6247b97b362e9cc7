import ArgumentParsing
import HTTP
import IO
import Logging
import MQTTClient
import MQTTCodec
import MQTTSession
import Monitor
import MonitorService

/// `mqtt-discovery monitor`: the monitoring broker of one discovered device.
enum MonitorCommand: Command {
    static let spec = CommandSpec(
        name: "mqtt-discovery monitor",
        abstract: "Keep watch on one device: latest values, history, events and metrics over HTTP; forward upstream.",
        discussion: """
            The per-device workload Akri starts for each discovered instance. It reads the device from the
            environment as Akri hands it over: MQTT_BROKER_URI, MQTT_TOPIC and MQTT_DEVICE_ID, each with the
            configuration's propertiesPrefix and "_" in front when it has one (set --properties-prefix, or
            the prefix is found from the one variable ending in _MQTT_BROKER_URI). Options override them.

            It subscribes at QoS 1 with a persistent session whose client id is derived from the broker and
            device, so a restarted monitor resumes where it stopped. HTTP endpoints: GET /latest[?topic=T],
            /history?topic=T&limit=N, /events[?topic=T] (Server-Sent Events), /metrics (Prometheus),
            /healthz, /readyz (200 once connected and subscribed).

            With --upstream every message is written to a disk queue (--queue-dir) before it is
            acknowledged, and leaves it once the upstream broker has acknowledged it: nothing accepted is
            lost to an outage, a restart or kill -9. When the queue is over --queue-max-bytes the oldest
            messages are dropped and counted. With --influxdb, numbers in payloads (a plain number, or a
            flat JSON object's numbers) are written in line protocol with tags device and topic.

            SIGINT or SIGTERM disconnects and exits 0. Exits 64 for bad options, 1 when the address cannot
            be bound or the queue cannot be opened.
            """,
        arguments: [
            .option("--url", value: "URL", help: "The device's broker (default: $MQTT_BROKER_URI)."),
            .option(
                "-t",
                "--topic",
                value: "FILTER",
                help: "Topic filter to watch; repeatable (default: $MQTT_TOPIC).",
                repeatable: true
            ),
            .option("--device", value: "ID", help: "The device's id (default: $MQTT_DEVICE_ID, else the topic)."),
            .option(
                "--properties-prefix",
                value: "PREFIX",
                help: "The configuration's propertiesPrefix: read PREFIX_MQTT_BROKER_URI and so on.",
                environment: "MONITOR_PROPERTIES_PREFIX"
            ),
            .option("-i", "--id", value: "CLIENT_ID", help: "Client id (default: derived from broker and device)."),
            .option(
                "--session-expiry",
                value: "SECONDS",
                help: "How long the broker keeps the session while we are away (5.0).",
                environment: "MONITOR_SESSION_EXPIRY",
                default: "86400"
            ),
            .option("--protocol", value: "3.1.1|5", help: "MQTT protocol version.", default: "5"),
            .option("-k", "--keepalive", value: "SECONDS", help: "Keep-alive interval; 0 turns it off.", default: "60"),
            .option("--username", value: "USER", help: "User name.", environment: "MQTT_USERNAME"),
            .option(
                "--password-file",
                value: "FILE",
                help: "Read the password from FILE (its first line); or set MQTT_PASSWORD.",
                environment: "MQTT_PASSWORD_FILE"
            ),
            .option("--cafile", value: "FILE", help: "Trust these CA certificates (PEM).", environment: "MQTT_CA_FILE"),
            .option("--cert", value: "FILE", help: "Client certificate (PEM).", environment: "MQTT_CERT_FILE"),
            .option("--key", value: "FILE", help: "Client private key (PEM).", environment: "MQTT_KEY_FILE"),
            .flag("--insecure", help: "Do not verify the broker's certificate (logs a warning)."),
            .option(
                "--listen",
                value: "HOST:PORT",
                help: "HTTP address (an IP literal; port 0 picks a free one).",
                environment: "MONITOR_LISTEN",
                default: "0.0.0.0:8080"
            ),
            .option(
                "--history",
                value: "N",
                help: "Messages kept in the history.",
                environment: "MONITOR_HISTORY",
                default: "1000"
            ),
            .option(
                "--history-bytes",
                value: "N",
                help: "Bytes of messages kept in the history.",
                environment: "MONITOR_HISTORY_BYTES",
                default: "16777216"
            ),
            .option(
                "--upstream",
                value: "URL",
                help: "Forward every message to this broker.",
                environment: "MONITOR_UPSTREAM"
            ),
            .option(
                "--upstream-topic",
                value: "TEMPLATE",
                help: "Upstream topic; {device} and {topic} expand.",
                environment: "MONITOR_UPSTREAM_TOPIC",
                default: "{topic}"
            ),
            .option(
                "--upstream-qos",
                value: "QOS",
                help: "Upstream QoS.",
                environment: "MONITOR_UPSTREAM_QOS",
                default: "1"
            ),
            .option(
                "--upstream-username",
                value: "USER",
                help: "Upstream user name.",
                environment: "MONITOR_UPSTREAM_USERNAME"
            ),
            .option(
                "--upstream-password-file",
                value: "FILE",
                help: "Read the upstream password from FILE.",
                environment: "MONITOR_UPSTREAM_PASSWORD_FILE"
            ),
            .option(
                "--upstream-cafile",
                value: "FILE",
                help: "Upstream CA certificates (PEM).",
                environment: "MONITOR_UPSTREAM_CA_FILE"
            ),
            .option(
                "--queue-dir",
                value: "DIR",
                help: "Disk queue directory (default: /var/lib/mqtt-discovery/queue/CLIENT_ID).",
                environment: "MONITOR_QUEUE_DIR"
            ),
            .option(
                "--queue-max-bytes",
                value: "N",
                help: "Disk queue bound; the oldest messages are dropped past it.",
                environment: "MONITOR_QUEUE_MAX_BYTES",
                default: "268435456"
            ),
            .option(
                "--influxdb",
                value: "URL",
                help: "InfluxDB write endpoint, e.g. http://127.0.0.1:8086/write?db=telemetry.",
                environment: "MONITOR_INFLUXDB"
            ),
            .option(
                "--measurement",
                value: "NAME",
                help: "InfluxDB measurement.",
                environment: "MONITOR_MEASUREMENT",
                default: "mqtt"
            ),
        ] + LoggingOptions.arguments(defaultLevel: .info)
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try LoggingOptions.logger(arguments, label: "monitor")
        let settings = try settings(arguments, environment: environment)
        let loop = try EventLoop(name: "monitor")
        defer { loop.shutdown() }
        let monitor = Monitor(settings: settings, loop: loop, logger: logger)
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        let started = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<SocketAddress, IOError>, Never>) in
            loop.execute {
                do throws(IOError) {
                    continuation.resume(returning: .success(try monitor.start()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        switch started {
        case .success(let address):
            logger.info(
                "monitoring",
                [
                    "broker": settings.client.url.description, "topics": settings.topics.joined(separator: " "),
                    "http": "http://\(address)",
                ]
            )
        case .failure(let error):
            Console.error("error: \(error)")
            await monitor.stop()
            return .failure
        }
        for await _ in finished { break }
        logger.info("stopping")
        await monitor.stop()
        return .success
    }

    /// The settings the options and the environment describe.
    static func settings(_ arguments: ParsedArguments, environment: [String: String]) throws -> MonitorSettings {
        let command = arguments.command
        let prefix = try propertiesPrefix(arguments, environment: environment)
        func property(_ name: String) -> String? {
            environment[prefix + name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let urlText = arguments.value("url") ?? property("MQTT_BROKER_URI") else {
            throw UsageError("no broker: set --url or \(prefix)MQTT_BROKER_URI", command: command)
        }
        let url = try BrokerURL(urlText)
        var topics = arguments.values("topic")
        if topics.isEmpty, let topic = property("MQTT_TOPIC") { topics = [topic] }
        guard !topics.isEmpty else {
            throw UsageError("no topic: set -t or \(prefix)MQTT_TOPIC", command: command)
        }
        let protocolVersion: ProtocolVersion =
            try arguments.choice("protocol", as: ConnectionOptions.ProtocolChoice.self) == .v311 ? .v311 : .v5
        for topic in topics {
            do {
                try TopicFilter.validate(topic, version: protocolVersion)
            } catch {
                throw UsageError("topic '\(topic)': \(error.problem.explanation)", command: command)
            }
        }
        let device = arguments.value("device") ?? property("MQTT_DEVICE_ID") ?? topics[0]
        let identifier =
            arguments.value("id") ?? ClientIdentifier.stable(for: "monitor|\(url)|\(device)", prefix: "mqttm")
        var client = ClientConfiguration(url: url, clientIdentifier: identifier)
        client.protocolVersion = protocolVersion
        client.cleanStart = false
        client.sessionExpiryInterval = try arguments.integer("session-expiry", as: UInt32.self) ?? 86_400
        client.keepAlive = try arguments.integer("keepalive", as: UInt16.self) ?? 60
        client.userName = arguments.value("username")
        client.password = try ConnectionOptions.password(
            file: arguments.value("password-file"),
            variable: environment["MQTT_PASSWORD"]
        )
        if (arguments.value("cert") == nil) != (arguments.value("key") == nil) {
            throw UsageError("--cert and --key go together", command: command)
        }
        client.tls = TLSConfiguration(
            caFile: arguments.value("cafile"),
            certificateFile: arguments.value("cert"),
            privateKeyFile: arguments.value("key"),
            verifyPeer: !arguments.flag("insecure")
        )
        let listen = try listenAddress(arguments.value("listen") ?? "0.0.0.0:8080", command: command)
        let limits = MessageStore.Limits(
            historyCount: try arguments.integer("history", as: Int.self, in: 0...10_000_000) ?? 1_000,
            historyBytes: try arguments.integer("history-bytes", as: Int.self, in: 1_024...Int.max) ?? 16 << 20
        )
        var settings = MonitorSettings(client: client, device: device, topics: topics, listen: listen, limits: limits)

        if let upstreamText = arguments.value("upstream") {
            let upstreamURL = try BrokerURL(upstreamText)
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
            upstream.userName = arguments.value("upstream-username")
            upstream.password = try ConnectionOptions.password(
                file: arguments.value("upstream-password-file"),
                variable: nil
            )
            upstream.tls = TLSConfiguration(caFile: arguments.value("upstream-cafile"))
            let qos =
                QoS(rawValue: try arguments.integer("upstream-qos", as: UInt8.self, in: 0...2) ?? 1) ?? .atLeastOnce
            let template = arguments.value("upstream-topic") ?? "{topic}"
            guard !template.isEmpty, !template.contains("+"), !template.contains("#") else {
                throw UsageError("--upstream-topic '\(template)' must be a topic name", command: command)
            }
            settings.upstream = MonitorSettings.Upstream(
                client: upstream,
                forwarding: Forwarder.Settings(topic: TopicTemplate(template), qos: qos, device: device),
                queueDirectory: arguments.value("queue-dir") ?? "/var/lib/mqtt-discovery/queue/\(identifier)",
                queueMaximumBytes: try arguments.integer("queue-max-bytes", as: Int.self, in: 4_096...Int.max)
                    ?? 256 << 20
            )
        }
        if let influxText = arguments.value("influxdb") {
            let influxURL: HTTPURL
            do {
                influxURL = try HTTPURL(influxText)
            } catch {
                throw UsageError("--influxdb: \(error.message)", command: command)
            }
            let measurement = arguments.value("measurement") ?? "mqtt"
            guard !measurement.isEmpty else { throw UsageError("--measurement must not be empty", command: command) }
            settings.influx = MonitorSettings.Influx(
                writer: InfluxWriter.Settings(url: influxURL),
                measurement: measurement
            )
        }
        return settings
    }

    /// `PREFIX_` from the option, or found from the one `*_MQTT_BROKER_URI` variable; "" for none.
    private static func propertiesPrefix(_ arguments: ParsedArguments, environment: [String: String]) throws -> String {
        if let prefix = arguments.value("properties-prefix") { return prefix.isEmpty ? "" : prefix + "_" }
        if environment["MQTT_BROKER_URI"] != nil || arguments.value("url") != nil { return "" }
        let candidates = environment.keys.filter { $0.hasSuffix("_MQTT_BROKER_URI") }.sorted()
        guard candidates.count <= 1 else {
            throw UsageError(
                "several properties prefixes in the environment (\(candidates.joined(separator: ", "))): set --properties-prefix",
                command: arguments.command
            )
        }
        return candidates.first.map { String($0.dropLast("MQTT_BROKER_URI".count)) } ?? ""
    }

    /// `HOST:PORT` with an IP literal host (`[::1]:8080` for IPv6).
    static func listenAddress(_ text: String, command: String) throws -> SocketAddress {
        var host = Substring(text)
        var portText: Substring = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText), SocketAddress.isIPLiteral(String(host)) else {
            throw UsageError("--listen '\(text)' must be IP:PORT, e.g. 0.0.0.0:8080 or [::1]:8080", command: command)
        }
        return .ip(String(host), port: port)
    }
}
