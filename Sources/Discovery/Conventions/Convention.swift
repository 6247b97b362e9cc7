import MQTTCodec

/// An ecosystem's way of saying which devices exist and whether they are alive, read from the
/// messages on its topics. A convention keeps what it has learned (Sparkplug sessions, Home
/// Assistant availability topics…) and tells the engine its conclusions through a
/// ``ConventionContext``; the engine owns presence, timing and reporting.
///
/// Conclusions are restated whenever the convention hears from a device, so the engine can rebuild
/// a device it dropped (after a broker outage outlasted the grace period) from the next message.
protocol Convention: Sendable {
    /// The filters that carry the convention's messages.
    var subscriptions: [Subscription] { get }

    /// A message on one of the convention's topics (or on a topic it asked to watch).
    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext)
}

/// What a convention concluded from one message.
enum ConventionIntent: Hashable, Sendable {
    /// The device is alive, with these properties (besides the engine's `MQTT_BROKER_URI` and
    /// `MQTT_DEVICE_ID`).
    case present(String, properties: [String: String])
    /// The device is offline, or gone.
    case absent(String)
    /// Messages on this filter should reach the convention from now on.
    case watch(String)
    /// A message that breaks the convention, and how (the message is otherwise ignored).
    case problem(String)
}

/// Collects a convention's conclusions about one message.
struct ConventionContext: Sendable {
    /// The broker the message came from (its index in the details).
    let broker: Int
    /// The conclusions, in order.
    private(set) var intents: [ConventionIntent] = []

    init(broker: Int) {
        self.broker = broker
    }

    mutating func present(_ id: String, properties: [String: String]) {
        intents.append(.present(id, properties: properties))
    }

    mutating func absent(_ id: String) {
        intents.append(.absent(id))
    }

    mutating func watch(_ filter: String) {
        intents.append(.watch(filter))
    }

    mutating func problem(_ message: String) {
        intents.append(.problem(message))
    }
}

extension ConventionSettings {
    /// The convention these settings enable.
    func makeConvention() -> any Convention {
        switch name {
        case .sparkplug: SparkplugConvention(namespace: prefix)
        case .homie: HomieConvention(domain: prefix)
        case .homeassistant: HomeAssistantConvention(prefix: prefix)
        case .tasmota: StatusTopicConvention.tasmota(prefix: prefix)
        case .esphome: StatusTopicConvention.esphome(prefix: prefix)
        case .zigbee2mqtt: Zigbee2MQTTConvention(baseTopic: prefix)
        }
    }
}

extension ConventionSettings {
    /// `prefix/rest`, or `rest` when the prefix is empty (ESPHome's default).
    static func join(_ prefix: String, _ rest: String) -> String {
        prefix.isEmpty ? rest : prefix + "/" + rest
    }
}

/// The topic's levels after `prefix`, or nil if it is not under it.
func levels(of topic: String, under prefix: String) -> [Substring]? {
    let all = topic.split(separator: "/", omittingEmptySubsequences: false)
    guard !prefix.isEmpty else { return all }
    let head = prefix.split(separator: "/", omittingEmptySubsequences: false)
    guard all.count > head.count, all.starts(with: head) else { return nil }
    return Array(all.dropFirst(head.count))
}
