import DiscoveryService
import IO
import Logging
import MQTTSession
import Metrics

extension DiscoveryHandlerServer {
    /// How long a broker may be down before the handler stops calling itself ready: long enough
    /// for a broker restart, short enough that a broker gone for good is noticed.
    public static let brokerDownAllowance: Duration = .seconds(60)

    /// What `--metrics-listen` reports for the handler. Call on the loop.
    public func operationsReport() -> OperationsServer.Report {
        OperationsServer.Report(
            metrics: { [weak self] in self?.metricsText() ?? "" },
            readiness: { [weak self] in self?.readiness() ?? (false, "stopping") },
            status: { [weak self] in self?.statusJSON() ?? "{}" }
        )
    }

    private func readiness() -> (ready: Bool, reason: String) {
        guard let registrar = currentRegistrar, registrar.isRegistered else {
            return (false, "not registered with the agent at \(registrationSocket)")
        }
        for broker in pool.statuses() where !broker.isConnected && broker.stateAge > Self.brokerDownAllowance {
            return (false, "broker \(broker.url) down for over \(Self.brokerDownAllowance): \(broker.state)")
        }
        return (true, "")
    }

    private func metricsText() -> String {
        var text = PrometheusText()
        let brokers = pool.statuses()
        func brokerFamily(_ name: String, _ type: String, _ help: String, _ value: (BrokerStatus) -> Double) {
            text.family(name, type: type, help: help)
            for broker in brokers {
                text.sample(
                    name,
                    labels: [("broker", broker.url), ("client_id", broker.clientIdentifier)],
                    value(broker)
                )
            }
        }
        brokerFamily("mqtt_discovery_broker_connected", "gauge", "1 while connected to the broker.") {
            $0.isConnected ? 1 : 0
        }
        brokerFamily("mqtt_discovery_broker_subscribed", "gauge", "1 once the broker answered the subscriptions.") {
            $0.subscribed ? 1 : 0
        }
        brokerFamily("mqtt_discovery_broker_connects_total", "counter", "Connections made.") { Double($0.connects) }
        brokerFamily("mqtt_discovery_broker_disconnects_total", "counter", "Connections lost or refused.") {
            Double($0.disconnects)
        }
        brokerFamily("mqtt_discovery_broker_messages_total", "counter", "Messages received.") { Double($0.messages) }
        brokerFamily("mqtt_discovery_broker_bytes_total", "counter", "Payload bytes received.") { Double($0.bytes) }
        brokerFamily("mqtt_discovery_broker_subscriptions", "gauge", "Topic filters subscribed.") {
            Double($0.subscriptions)
        }
        let streams = Array(sessions.values)
        text.family("mqtt_discovery_discover_streams", type: "gauge", help: "Discover streams open, by protocol.")
        for name in ["grpc", "frames"] {
            text.sample(
                "mqtt_discovery_discover_streams",
                labels: [("protocol", name)],
                Double(streams.count { $0.protocolName == name })
            )
        }
        text.family("mqtt_discovery_devices", type: "gauge", help: "Devices present, summed over the streams.")
        text.sample("mqtt_discovery_devices", Double(streams.reduce(0) { $0 + $1.deviceCount }))
        text.family(
            "mqtt_discovery_devices_added_total",
            type: "counter",
            help: "Devices added, over the open streams."
        )
        text.sample("mqtt_discovery_devices_added_total", Double(streams.reduce(0) { $0 + $1.added }))
        text.family(
            "mqtt_discovery_devices_removed_total",
            type: "counter",
            help: "Devices removed, over the open streams."
        )
        text.sample("mqtt_discovery_devices_removed_total", Double(streams.reduce(0) { $0 + $1.removed }))
        text.family(
            "mqtt_discovery_lists_sent_total",
            type: "counter",
            help: "Full device lists sent, over the open streams."
        )
        text.sample("mqtt_discovery_lists_sent_total", Double(streams.reduce(0) { $0 + $1.listsSent }))
        text.family(
            "mqtt_discovery_lists_held_back",
            type: "gauge",
            help: "Streams whose newest list is over the agent's gRPC message limit."
        )
        text.sample("mqtt_discovery_lists_held_back", Double(streams.count { $0.isOverLimit }))
        text.family("mqtt_discovery_registered", type: "gauge", help: "1 while registered with the agent.")
        text.sample(
            "mqtt_discovery_registered",
            labels: [("protocol", currentRegistrar?.protocolName ?? "unknown")],
            currentRegistrar?.isRegistered == true ? 1 : 0
        )
        text.family("mqtt_discovery_registrations_total", type: "counter", help: "Registrations the agent accepted.")
        text.sample("mqtt_discovery_registrations_total", Double(currentRegistrar?.registrations ?? 0))
        return text.text
    }

    /// Each broker with EnMasse-style conditions (`Connected`, `Subscribed`: status, reason,
    /// message, last transition), and the registration.
    private func statusJSON() -> String {
        let brokers = pool.statuses().map { broker -> String in
            let since = JSONText.quote(Self.timestamp(broker.stateSinceMilliseconds))
            let connected = broker.isConnected
            let reason: String =
                switch broker.state {
                case .connected: "Connected"
                case .connecting: "Connecting"
                case .disconnected: "Disconnected"
                case .stopped: "Stopped"
                }
            let message = connected ? "\(broker.state)" : (broker.lastError ?? "\(broker.state)")
            let conditions = [
                "{\"type\":\"Connected\",\"status\":\"\(connected ? "True" : "False")\",\"reason\":\"\(reason)\","
                    + "\"message\":\(JSONText.quote(message)),\"lastTransitionTime\":\(since)}",
                "{\"type\":\"Subscribed\",\"status\":\"\(broker.subscribed ? "True" : "False")\","
                    + "\"reason\":\"\(broker.subscribed ? "Acknowledged" : "NotAcknowledged")\","
                    + "\"message\":\"\(broker.subscriptions) topic filters\",\"lastTransitionTime\":\(since)}",
            ]
            return "{\"url\":\(JSONText.quote(broker.url)),\"clientId\":\(JSONText.quote(broker.clientIdentifier)),"
                + "\"conditions\":[\(conditions.joined(separator: ","))]}"
        }
        let registered = currentRegistrar?.isRegistered == true
        return "{\"registered\":\(registered),\"protocol\":\"\(currentRegistrar?.protocolName ?? "unknown")\","
            + "\"streams\":\(sessions.count),\"brokers\":[\(brokers.joined(separator: ","))]}"
    }

    /// RFC 3339 in UTC, to the millisecond.
    static func timestamp(_ milliseconds: Int64) -> String {
        RFC3339.format(seconds: milliseconds / 1_000, milliseconds: Int(milliseconds % 1_000))
    }
}
