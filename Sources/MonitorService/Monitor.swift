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
    private var events: EventStreamHub!
    /// The last point's time: InfluxDB keeps one point per series and time, so two messages in
    /// the same nanosecond must not share one.
    private var lastPointTime: Int64 = 0
    /// When this monitor started (milliseconds since 1970): the event stream's generation.
    private let startedAt = Host.wallClockNanoseconds / 1_000_000

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
                sync: upstream.queueSync,
                loop: loop,
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
        events = EventStreamHub(loop: loop, logger: logger)
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
        return server.address
    }

    /// Disconnects both brokers (so no will is published) and closes the server.
    public func stop() async {
        await client?.disconnect()
        await forwarder?.client.disconnect()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute { [self] in
                events?.close()
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
        if events.count > 0 { events.broadcast(event(stored), key: stored.topic) }
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

    /// An event's id is `STARTED-SEQUENCE`: sequences start again in a new run of the monitor,
    /// so the run it came from says whether a reconnecting client's `Last-Event-ID` means anything.
    private func event(_ message: StoredMessage) -> ServerSentEvent {
        ServerSentEvent(id: "\(startedAt)-\(message.sequence)", type: "message", data: message.json)
    }

    // MARK: - HTTP

    private func route(_ request: HTTPRequest) -> HTTPServer.Reply {
        let paths = [
            "/", "/latest", "/history", "/events", "/status", "/metrics", "/healthz", "/readyz", MonitorPage.scriptPath,
            PageStyle.path,
        ]
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
        case "/events": return eventStream(request)
        case "/status": return .response(.json(status() + "\n"))
        case "/metrics":
            return .response(
                HTTPResponse(
                    status: .ok,
                    headers: HTTPHeaders([("Content-Type", PrometheusText.contentType)]),
                    body: Array(metrics().utf8)
                )
            )
        case MonitorPage.scriptPath: return .response(.asset(MonitorPage.script, type: "text/javascript"))
        case PageStyle.path: return .response(.asset(PageStyle.css, type: "text/css"))
        case "/healthz": return .response(.text(.ok, "ok"))
        case "/readyz":
            if case .connected = state, subscribed { return .response(.text(.ok, "ready")) }
            return .response(.text(.serviceUnavailable, "not ready: \(state)"))
        default:
            // Browsers ask for HTML and get the page; curl and programs keep getting the summary.
            if request.headers.values("Accept").contains(where: { $0.contains("text/html") }) {
                return .response(.asset(MonitorPage.html, type: "text/html"))
            }
            return .response(
                .text(
                    .ok,
                    "mqtt-discovery monitor for device \(settings.device)\n"
                        + "GET / (a page, for browsers)  /latest[?topic=T]  /history?topic=T&limit=N  /events[?topic=T]  "
                        + "/status  /metrics  /healthz  /readyz"
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

    /// Server-Sent Events of every message (of `topic`, when given). A browser that reconnects
    /// sends the last id it saw (`Last-Event-ID`): what it missed is sent first, as far as the
    /// history still holds it (after a restart of the monitor, all of it).
    private func eventStream(_ request: HTTPRequest) -> HTTPServer.Reply {
        let topic = request.queryValue("topic")
        // Missed: after the last id seen, if it is of this run; everything held, if of another.
        var missed: UInt64?
        if let id = request.headers["Last-Event-ID"] {
            let parts = id.split(separator: "-")
            missed = parts.count == 2 && parts[0] == "\(startedAt)" ? UInt64(parts[1]) ?? 0 : 0
        }
        return events.reply(filter: topic) { [unowned self] stream in
            stream.write(ServerSentEvent.comment("watching \(settings.device)"))
            // Which run of the monitor this is: sequences start again at 1 in a new one, so a page
            // that reconnects to a restarted monitor knows to stop comparing with the old ones.
            stream.write(ServerSentEvent(type: "hello", data: "{\"started\":\(startedAt)}").bytes)
            if let missed {
                for message in store.history(after: missed, topic: topic) { stream.write(event(message).bytes) }
            }
        }
    }

    /// The device, its broker and topics, and how the connections are: for the page and for people.
    private func status() -> String {
        func quote(_ text: String) -> String { JSONText.quote(text) }
        var text = "{\"device\":\(quote(settings.device)),\"broker\":\(quote(settings.client.url.description)),"
        text += "\"topics\":[\(settings.topics.map(quote).joined(separator: ","))],"
        text += "\"connection\":\(quote("\(state)")),\"connected\":\(isConnected(state)),"
        text += "\"subscribed\":\(subscribed),\"messages\":\(messagesReceived),\"bytes\":\(bytesReceived),"
        text += "\"history\":{\"messages\":\(store.historyCount),\"limit\":\(settings.limits.historyCount)}"
        if let forwarder {
            text += ",\"upstream\":{\"broker\":\(quote(forwarder.client.url.description)),"
            text += "\"connection\":\(quote("\(upstreamState)")),\"connected\":\(isConnected(upstreamState)),"
            text += "\"forwarded\":\(forwarder.forwarded),\"refused\":\(forwarder.refused),"
            text += "\"queueBytes\":\(forwarder.diskQueue.byteCount),\"dropped\":\(forwarder.diskQueue.droppedRecords)}"
        }
        if let influx, let url = settings.influx?.writer.url {
            text += ",\"influxdb\":{\"url\":\(quote(url.description)),\"written\":\(influx.written),"
            text += "\"dropped\":\(influx.dropped)}"
        }
        return text + "}"
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
        text.sample("mqtt_monitor_event_stream_clients", Double(events?.count ?? 0))
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
