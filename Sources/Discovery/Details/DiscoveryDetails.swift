public import MQTTCodec
public import MQTTSession
public import YAML

/// What a discovery handler is asked to do: which brokers to watch, which topics make devices,
/// how long silence may last, which conventions to understand. Parsed from the YAML of an Akri
/// Configuration's `discoveryDetails`, in any of three forms:
///
/// 1. the Akri MQTT proposal's: `serverUrls: [...]`, `topics: [...]`;
/// 2. the later proposal's, used by the Rust reference handler: `mqttBrokerUri`, `topics`,
///    `timeoutSeconds`, `propertiesPrefix`;
/// 3. ours, a superset: `brokers` with options each, topics as strings or objects, liveness
///    defaults, `conventions`, `gracePeriodSeconds`, `debounceSeconds`.
public struct DiscoveryDetails: Hashable, Sendable {
    /// The name the handler registers under and Configurations name it by.
    public static let handlerName = "mqtt"

    /// The brokers to connect to.
    public var brokers: [BrokerSettings]
    /// The topic entries that make devices.
    public var topics: [TopicEntry]
    /// The conventions to understand, each with its topic namespace.
    public var conventions: [ConventionSettings]
    /// Silence after which a device seen only through traffic is gone.
    public var timeout: Duration
    /// How long devices of a broker that cannot be reached are kept.
    public var gracePeriod: Duration
    /// Changes within this window are coalesced (zero: every change is reported at once).
    public var debounce: Duration
    /// Prepended (upper-cased, with `_`) to every property name.
    public var propertiesPrefix: String?

    /// The default silence timeout when the details give none: five minutes, the telemetry
    /// period of common firmware (Tasmota's TelePeriod is 300 s).
    public static let defaultTimeout = Duration.seconds(300)
    /// The most brokers one configuration may watch (the engine keeps a device's brokers in a
    /// 64-bit mask; more would be a fleet better split over several configurations).
    public static let maximumBrokers = 64
    /// The default grace period for a broker that cannot be reached.
    public static let defaultGracePeriod = Duration.seconds(60)

    /// Details with defaults for everything but `brokers` and `topics`.
    public init(
        brokers: [BrokerSettings],
        topics: [TopicEntry],
        conventions: [ConventionSettings] = [],
        timeout: Duration = Self.defaultTimeout,
        gracePeriod: Duration = Self.defaultGracePeriod,
        debounce: Duration = .zero,
        propertiesPrefix: String? = nil
    ) {
        self.brokers = brokers
        self.topics = topics
        self.conventions = conventions
        self.timeout = timeout
        self.gracePeriod = gracePeriod
        self.debounce = debounce
        self.propertiesPrefix = propertiesPrefix
    }

    /// A property name with the prefix applied: `MQTT_TOPIC` becomes `PRESS_MQTT_TOPIC` for prefix
    /// `press` (as the Rust reference handler does: upper-cased, `_` added when missing).
    public func propertyName(_ name: String) -> String {
        guard let prefix = propertiesPrefix, !prefix.isEmpty else { return name }
        let upper = prefix.uppercased()
        return (upper.hasSuffix("_") ? upper : upper + "_") + name
    }
}

/// One broker and how to connect to it. Secrets are only referenced (files, environment
/// variables, discovery properties), never stored in the details, and never printed.
public struct BrokerSettings: Hashable, Sendable, CustomStringConvertible {
    /// The broker.
    public var url: BrokerURL
    /// The client identifier; by default one derived from the host and these details.
    public var clientIdentifier: String?
    /// The protocol version.
    public var protocolVersion: ProtocolVersion
    /// The keep alive in seconds.
    public var keepAlive: UInt16
    /// The session expiry in seconds (MQTT 5.0).
    public var sessionExpiry: UInt32
    /// The user name.
    public var userName: String?
    /// Where the password comes from.
    public var password: Secret?
    /// The CAs to trust (PEM); nil trusts the system's.
    public var ca: Secret?
    /// The client certificate chain (PEM), for mutual TLS.
    public var certificate: Secret?
    /// The client key (PEM).
    public var key: Secret?
    /// Skip TLS verification (logged as a warning when used).
    public var insecureSkipVerify: Bool

    /// Settings for `url` with defaults: MQTT 5.0, keep alive 60 s, session kept for a day.
    public init(url: BrokerURL) {
        self.url = url
        clientIdentifier = nil
        protocolVersion = .v5
        keepAlive = 60
        sessionExpiry = 86_400
        userName = url.userName
        password = url.password.map { .inline(Array($0.utf8)) }
        ca = nil
        certificate = nil
        key = nil
        insecureSkipVerify = false
    }

    /// The URL without credentials.
    public var description: String { url.description }
}

/// Where a secret comes from.
public enum Secret: Hashable, Sendable, CustomStringConvertible {
    /// Read from a file (its first line, for a password).
    case file(String)
    /// Read from an environment variable.
    case environment(String)
    /// Given directly (in a URL, or an Akri discovery property).
    case inline([UInt8])

    /// Where it comes from, never the secret itself.
    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        case .inline: "(given inline)"
        }
    }
}

/// One topic entry: a filter (with optional placeholders) and how its traffic counts.
public struct TopicEntry: Hashable, Sendable {
    /// The filter.
    public var template: TopicTemplate
    /// The QoS to subscribe at.
    public var qos: QoS
    /// This entry's silence timeout, replacing the default; nil: the default (or none, for a
    /// status entry).
    public var timeout: Duration?
    /// Payloads that mean the device is online (a status entry); empty for a traffic entry.
    public var online: [String]
    /// Payloads that mean the device is offline.
    public var offline: [String]
    /// Where the entry is in the details.
    public var mark: Mark

    /// Whether payloads set the device's state rather than count as traffic.
    public var isStatus: Bool { !online.isEmpty || !offline.isEmpty }

    /// An entry.
    public init(
        template: TopicTemplate,
        qos: QoS = .atLeastOnce,
        timeout: Duration? = nil,
        online: [String] = [],
        offline: [String] = [],
        mark: Mark = Mark(line: 1, column: 1)
    ) {
        self.template = template
        self.qos = qos
        self.timeout = timeout
        self.online = online
        self.offline = offline
        self.mark = mark
    }
}

/// An ecosystem convention and the namespace it lives under.
public struct ConventionSettings: Hashable, Sendable {
    /// The conventions the handler understands.
    public enum Name: String, Hashable, Sendable, CaseIterable {
        /// Eclipse Sparkplug B 3.0 (`spBv1.0/…`).
        case sparkplug
        /// Homie 4 and 5 (`homie/…`).
        case homie
        /// Home Assistant MQTT discovery (`homeassistant/…`).
        case homeassistant
        /// Tasmota (`tele/+/LWT`).
        case tasmota
        /// ESPHome (`+/status`).
        case esphome
        /// Zigbee2MQTT (`zigbee2mqtt/…`).
        case zigbee2mqtt

        /// The namespace the convention uses unless told otherwise.
        public var defaultPrefix: String {
            switch self {
            case .sparkplug: "spBv1.0"
            case .homie: "homie"
            case .homeassistant: "homeassistant"
            case .tasmota: "tele"
            case .esphome: ""
            case .zigbee2mqtt: "zigbee2mqtt"
            }
        }
    }

    /// Which convention.
    public var name: Name
    /// Its namespace (the first topic level(s)).
    public var prefix: String

    /// A convention under its usual namespace, or `prefix`.
    public init(_ name: Name, prefix: String? = nil) {
        self.name = name
        self.prefix = prefix ?? name.defaultPrefix
    }
}
