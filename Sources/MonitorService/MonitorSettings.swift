import HTTP
import HTTPService
public import IO
public import MQTTClient
import MQTTCodec
import MQTTSession
public import Monitor

/// Everything one monitor needs: the device, the HTTP address, the bounds, and the optional
/// outputs.
public struct MonitorSettings: Sendable {
    /// The device's broker: URL, client id (derived from the device), credentials, TLS.
    public var client: ClientConfiguration
    /// The device's id.
    public var device: String
    /// The topic filters to watch (the device's `MQTT_TOPIC`, and more if given).
    public var topics: [String]
    /// Where the HTTP server listens.
    public var listen: SocketAddress
    /// History and latest-value bounds.
    public var limits: MessageStore.Limits
    /// HTTP connections kept at most (see ``HTTPServer``).
    public var httpMaximumConnections = 512
    /// How long an HTTP request may take to arrive, from its first byte.
    public var httpRequestTimeout: Duration = .seconds(10)
    /// Forwarding to an upstream broker, if wanted.
    public var upstream: Upstream?
    /// Writing numbers to InfluxDB, if wanted.
    public var influx: Influx?

    /// The upstream broker and the disk queue in front of it.
    public struct Upstream: Sendable {
        /// The upstream broker's client configuration.
        public var client: ClientConfiguration
        /// Topic template, QoS, window.
        public var forwarding: Forwarder.Settings
        /// The queue's directory.
        public var queueDirectory: String
        /// The queue's bound in bytes.
        public var queueMaximumBytes: Int
        /// When queued messages are synchronised to the device (`--fsync`).
        public var queueSync: SyncPolicy

        /// An upstream.
        public init(
            client: ClientConfiguration,
            forwarding: Forwarder.Settings,
            queueDirectory: String,
            queueMaximumBytes: Int,
            queueSync: SyncPolicy = .batch
        ) {
            self.client = client
            self.forwarding = forwarding
            self.queueDirectory = queueDirectory
            self.queueMaximumBytes = queueMaximumBytes
            self.queueSync = queueSync
        }
    }

    /// The InfluxDB output.
    public struct Influx: Sendable {
        /// Endpoint and batching.
        public var writer: InfluxWriter.Settings
        /// The measurement name.
        public var measurement: String

        /// An InfluxDB output.
        public init(writer: InfluxWriter.Settings, measurement: String) {
            self.writer = writer
            self.measurement = measurement
        }
    }

    /// Settings without outputs.
    public init(
        client: ClientConfiguration,
        device: String,
        topics: [String],
        listen: SocketAddress,
        limits: MessageStore.Limits = .init()
    ) {
        self.client = client
        self.device = device
        self.topics = topics
        self.listen = listen
        self.limits = limits
    }
}
