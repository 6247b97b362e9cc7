import HTTP
import HTTPService
public import IO
public import Logging
import MQTTClient
import MQTTCodec
import MQTTSession
import Metrics
import Monitor

/// The monitoring broker of one device: it watches the device's topics over a persistent session,
/// keeps the latest values and a history, serves them over HTTP (JSON, Server-Sent Events,
/// Prometheus metrics), and optionally forwards every message upstream through a disk queue and
/// writes numbers to InfluxDB. Everything runs on one event loop.
///
/// `@unchecked Sendable`: its state lives on its loop; `start` and `stop` hop there before touching it.
public final class Monitor: @unchecked Sendable {
    /// The loop everything runs on.
    public let loop: EventLoop
    private let settings: MonitorSettings
    private let logger: Logger
    private var client: MQTTClient!
    private var server: HTTPServer!
    private var forwarder: Forwarder?
    private var influx: InfluxWriter?
    private var store: MessageStore
    private var sequence: UInt64 = 0
    private var messagesReceived = 0
    private var bytesReceived = 0
    private var declined = 0
    private var state: ConnectionState = .connecting(attempt: 1)
    private var upstreamState: ConnectionState = .connecting(attempt: 1)
    private var subscribed = false
    private var streams: [ObjectIdentifier: (stream: HTTPStream, topic: String?)] = [:]
    private var heartbeat: TimerID?
    /// The last point's time: InfluxDB keeps one point per series and time, so two messages in
    /// the same nanosecond must not share one.
    private var lastPointTime: Int64 = 0

    /// The most a Server-Sent Events client may fall behind before it is disconnected.
    static let maximumStreamBacklog = 1 << 20

    /// A monitor (nothing runs until ``start()``).
    public init(settings: MonitorSettings, loop: EventLoop, logger: Logger) {
        self.settings = settings
        self.loop = loop
        var logger = logger
        logger[metadata: "device"] = settings.device
        self.logger = logger
        store = MessageStore(limits: settings.limits)
    }

    /// Opens the queue, listens, connects and subscribes; returns the HTTP address. Call on the loop.
    public func start() throws(IOError) -> SocketAddress {
        loop.preconditionInEventLoop()
        if let upstream = settings.upstream {
            let queue = try DiskQueue(
                directory: upstream.queueDirectory,
                maximumBytes: upstream.queueMaximumBytes,
                logger: logger
            )
            let upstreamClient = MQTTClient(
                configuration: upstream.client,
                eventLoop: loop,
                logger: logger,
                onStateChange: { [unowned self] state in upstreamChanged(state) }
            )
            forwarder = Forwarder(client: upstreamClient, queue: queue, settings: upstream.forwarding, logger: logger)
            if queue.byteCount > 0 {
                logger.info(
                    "upstream queue holds messages from before; sending them first",
                    ["bytes": "\(queue.byteCount)"]
                )
            }
        }
        if let influx = settings.influx {
            self.influx = InfluxWriter(settings: influx.writer, loop: loop, logger: logger)
        }
        server = try HTTPServer(
            address: settings.listen,
            loop: loop,
            logger: logger,
            maximumConnections: settings.httpMaximumConnections,
            requestTimeout: settings.httpRequestTimeout
        ) { [unowned self] request in
            route(request)
        }
        client = MQTTClient(
            configuration: settings.client,
            eventLoop: loop,
            logger: logger,
            onStateChange: { [unowned self] state in deviceChanged(state) },
            onMessage: { [unowned self] message in received(message) }
        )
        client.start()
        client.subscribe(settings.topics.map { Subscription(topicFilter: $0, qos: .atLeastOnce) }) {
            [unowned self] result in subscribedResult(result)
        }
        forwarder?.start()
        heartbeat = loop.scheduleTimer(after: .seconds(15)) { [unowned self] in beat() }
        return server.address
    }

    /// Disconnects both brokers (so no will is published) and closes the server.
    public func stop() async {
        await client?.disconnect()
        await forwarder?.client.disconnect()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute { [self] in
                if let heartbeat { loop.cancelTimer(heartbeat) }
                server?.close()
                continuation.resume()
            }
        }
    }

    // MARK: - The device's messages

    private func received(_ message: Message) -> Bool {
        let nanoseconds = Host.wallClockNanoseconds
        let now = nanoseconds / 1_000_000
        let payload = Array(message.payload)
        if let forwarder {
            let record = QueueRecord(
                topic: message.topic,
                payload: payload,
                qos: message.qos.rawValue,
                retain: message.retain,
                receivedAt: now
            )
            do {
                try forwarder.enqueue(record)
            } catch {
                // Not acknowledged: the broker keeps it in the session and sends it again.
                declined += 1
                logger.error("cannot queue a message for the upstream; leaving it with the broker: \(error)")
                return false
            }
        }
        sequence += 1
        messagesReceived += 1
        bytesReceived += message.payload.count
        let stored = StoredMessage(
            sequence: sequence,
            topic: message.topic,
            payload: payload,
            qos: message.qos.rawValue,
            retain: message.retain,
            receivedAt: now
        )
        store.add(stored)
        if !streams.isEmpty { broadcast(stored) }
        if let influx, let measurement = settings.influx?.measurement {
            lastPointTime = max(nanoseconds, lastPointTime + 1)
            if let line = LineProtocol.line(
                measurement: measurement,
                tags: [("device", settings.device), ("topic", message.topic)],
                fields: NumericFields.extract(message.payload),
                timestampNanoseconds: lastPointTime
            ) {
                influx.add(line)
            }
        }
        return true
    }

    // The clients log their own state changes, with the broker's URL.
    private func deviceChanged(_ state: ConnectionState) {
        self.state = state
    }

    private func upstreamChanged(_ state: ConnectionState) {
        upstreamState = state
    }

    private func subscribedResult(_ result: Result<[ReasonCode], MQTTClientError>) {
        switch result {
        case .success(let codes):
            if let (filter, code) = zip(settings.topics, codes).first(where: { $0.1.isFailure }) {
                logger.error("the broker refused the subscription to '\(filter)': \(code)")
            } else {
                subscribed = true
                logger.info("watching", ["topics": "\(settings.topics.joined(separator: " "))"])
            }
        case .failure(let error):
            logger.error("subscribing failed: \(error)")
        }
    }

    // MARK: - Server-Sent Events

    private func broadcast(_ message: StoredMessage) {
        let event = Array("id: \(message.sequence)\nevent: message\ndata: \(message.json)\n\n".utf8)
        for (key, entry) in streams where entry.topic == nil || entry.topic == message.topic {
            if entry.stream.bufferedBytes > Self.maximumStreamBacklog {
                logger.warning("disconnecting an event-stream client that fell behind")
                streams[key] = nil
                entry.stream.close()
                continue
            }
            entry.stream.write(event)
        }
    }

    private func beat() {
        for entry in streams.values { entry.stream.write(Array(": keep-alive\n\n".utf8)) }
        heartbeat = loop.scheduleTimer(after: .seconds(15)) { [unowned self] in beat() }
    }

    // MARK: - HTTP

    private func route(_ request: HTTPRequest) -> HTTPServer.Reply {
        let paths = ["/", "/latest", "/history", "/events", "/metrics", "/healthz", "/readyz"]
        guard paths.contains(request.path) else {
            return .response(.text(.notFound, "no such endpoint: \(request.path)"))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text(.methodNotAllowed, "\(request.method) is not allowed; use GET")
            response.headers.add("Allow", "GET, HEAD")
            return .response(response)
        }
        switch request.path {
        case "/latest": return .response(latest(request))
        case "/history": return .response(history(request))
        case "/events": return events(request)
        case "/metrics":
            return .response(
                HTTPResponse(
                    status: .ok,
                    headers: HTTPHeaders([("Content-Type", PrometheusText.contentType)]),
                    body: Array(metrics().utf8)
                )
            )
        case "/healthz": return .response(.text(.ok, "ok"))
        case "/readyz":
            if case .connected = state, subscribed { return .response(.text(.ok, "ready")) }
            return .response(.text(.serviceUnavailable, "not ready: \(state)"))
        default:
            return .response(
                .text(
                    .ok,
                    "mqtt-discovery monitor for device \(settings.device)\n"
                        + "GET /latest[?topic=T]  /history?topic=T&limit=N  /events[?topic=T]  /metrics  /healthz  /readyz"
                )
            )
        }
    }

    private func latest(_ request: HTTPRequest) -> HTTPResponse {
        if let topic = request.queryValue("topic") {
            guard let message = store.latest[topic] else { return .text(.notFound, "nothing received on '\(topic)'") }
            return .json(message.json + "\n")
        }
        return .json("[" + store.latestMessages().map(\.json).joined(separator: ",") + "]\n")
    }

    private func history(_ request: HTTPRequest) -> HTTPResponse {
        var limit = 100
        if let text = request.queryValue("limit") {
            guard let value = Int(text), value > 0 else {
                return .text(.badRequest, "limit must be a positive whole number, not '\(text)'")
            }
            limit = value
        }
        let messages = store.history(topic: request.queryValue("topic"), limit: limit)
        return .json("[" + messages.map(\.json).joined(separator: ",") + "]\n")
    }

    private func events(_ request: HTTPRequest) -> HTTPServer.Reply {
        let topic = request.queryValue("topic")
        let head = HTTPResponse.streamHead(
            headers: HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        )
        return .stream(head: head) { [unowned self] stream in
            let key = ObjectIdentifier(stream)
            streams[key] = (stream, topic)
            stream.onClose = { [unowned self] in streams[key] = nil }
            stream.write(Array(": watching \(settings.device)\n\n".utf8))
        }
    }

    private func metrics() -> String {
        var text = PrometheusText()
        text.family("mqtt_monitor_messages_received_total", type: "counter", help: "Messages received from the device.")
        text.sample("mqtt_monitor_messages_received_total", Double(messagesReceived))
        text.family(
            "mqtt_monitor_bytes_received_total",
            type: "counter",
            help: "Payload bytes received from the device."
        )
        text.sample("mqtt_monitor_bytes_received_total", Double(bytesReceived))
        text.family(
            "mqtt_monitor_messages_declined_total",
            type: "counter",
            help: "Messages left with the broker because they could not be queued for the upstream."
        )
        text.sample("mqtt_monitor_messages_declined_total", Double(declined))
        text.family("mqtt_monitor_connected", type: "gauge", help: "1 when connected to the device's broker.")
        text.sample(
            "mqtt_monitor_connected",
            labels: [("broker", settings.client.url.description)],
            isConnected(state) ? 1 : 0
        )
        let latest = store.latestMessages()
        text.family(
            "mqtt_monitor_topic_last_seen_timestamp_seconds",
            type: "gauge",
            help: "When a message last arrived on the topic (seconds since 1970)."
        )
        for message in latest {
            text.sample(
                "mqtt_monitor_topic_last_seen_timestamp_seconds",
                labels: [("topic", message.topic)],
                Double(message.receivedAt) / 1_000
            )
        }
        text.family(
            "mqtt_monitor_value",
            type: "gauge",
            help:
                "The latest numbers of each topic: a plain-number payload (field \"value\") or a flat JSON object's numbers."
        )
        for message in latest {
            for field in NumericFields.extract(message.payload) {
                text.sample(
                    "mqtt_monitor_value",
                    labels: [("topic", message.topic), ("field", field.name)],
                    field.value
                )
            }
        }
        text.family("mqtt_monitor_event_stream_clients", type: "gauge", help: "Server-Sent Events clients connected.")
        text.sample("mqtt_monitor_event_stream_clients", Double(streams.count))
        if let server {
            text.family(
                "mqtt_monitor_http_accept_pauses_total",
                type: "counter",
                help: "Times accepting HTTP connections paused because file descriptors ran out."
            )
            text.sample("mqtt_monitor_http_accept_pauses_total", Double(server.acceptPauses))
        }
        if let forwarder {
            text.family(
                "mqtt_monitor_upstream_connected",
                type: "gauge",
                help: "1 when connected to the upstream broker."
            )
            text.sample(
                "mqtt_monitor_upstream_connected",
                labels: [("broker", forwarder.client.url.description)],
                isConnected(upstreamState) ? 1 : 0
            )
            text.family(
                "mqtt_monitor_upstream_forwarded_total",
                type: "counter",
                help: "Messages the upstream acknowledged."
            )
            text.sample("mqtt_monitor_upstream_forwarded_total", Double(forwarder.forwarded))
            text.family("mqtt_monitor_upstream_refused_total", type: "counter", help: "Messages the upstream refused.")
            text.sample("mqtt_monitor_upstream_refused_total", Double(forwarder.refused))
            text.family("mqtt_monitor_upstream_queue_bytes", type: "gauge", help: "Bytes waiting in the disk queue.")
            text.sample("mqtt_monitor_upstream_queue_bytes", Double(forwarder.diskQueue.byteCount))
            text.family(
                "mqtt_monitor_upstream_queue_dropped_total",
                type: "counter",
                help: "Messages dropped from the disk queue because it was full (or damaged)."
            )
            text.sample("mqtt_monitor_upstream_queue_dropped_total", Double(forwarder.diskQueue.droppedRecords))
        }
        if let influx {
            text.family(
                "mqtt_monitor_influxdb_points_written_total",
                type: "counter",
                help: "Points InfluxDB accepted."
            )
            text.sample("mqtt_monitor_influxdb_points_written_total", Double(influx.written))
            text.family(
                "mqtt_monitor_influxdb_points_dropped_total",
                type: "counter",
                help: "Points dropped: refused by InfluxDB, or over the bound while it was unreachable."
            )
            text.sample("mqtt_monitor_influxdb_points_dropped_total", Double(influx.dropped))
        }
        return text.text
    }

    private func isConnected(_ state: ConnectionState) -> Bool {
        if case .connected = state { return true }
        return false
    }
}
