import JSON
import MQTTCodec

/// Zigbee2MQTT (1.x and 2.x): the bridge's retained device list (`<base>/bridge/devices`), its
/// state (`<base>/bridge/state`, whose will says offline), and each device's availability
/// (`<base>/<friendly name>/availability`, retained, when the feature is on).
///
/// Devices are identified by IEEE address, which survives renames; friendly names may contain
/// `/`, so availability topics are watched by name from the list rather than matched by position.
/// A device is present while it is in the list, not disabled, its bridge is not offline, and its
/// availability (if it has any) is not offline. Payloads are JSON `{"state": "online"}` (2.x) or
/// the bare words (1.x's legacy format).
struct Zigbee2MQTTConvention: Convention {
    /// The base topic, `zigbee2mqtt`.
    let baseTopic: String

    private struct Device: Sendable {
        var friendlyName: String
        var disabled: Bool
        var properties: [String: String]
        /// The last availability state; nil if none was published.
        var available: Bool?
    }

    private var bridgeOnline: Bool?
    /// Devices by IEEE address.
    private var devices: [String: Device] = [:]
    /// IEEE addresses by availability topic.
    private var availabilityTopics: [String: String] = [:]
    /// Topics already watched (a subscription cannot be taken back while the engine runs).
    private var watched: Set<String> = []

    init(baseTopic: String) {
        self.baseTopic = baseTopic
    }

    var subscriptions: [Subscription] {
        [
            Subscription(topicFilter: baseTopic + "/bridge/devices", qos: .atLeastOnce),
            Subscription(topicFilter: baseTopic + "/bridge/state", qos: .atLeastOnce),
        ]
    }

    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext) {
        if topic == baseTopic + "/bridge/devices" {
            list(payload, topic: topic, context: &context)
        } else if topic == baseTopic + "/bridge/state" {
            if payload.isEmpty {
                bridgeOnline = nil
            } else if let online = Self.state(payload) {
                bridgeOnline = online
            } else {
                context.problem("\(topic): expected {\"state\":\"online\"} or {\"state\":\"offline\"}")
                return
            }
            for address in devices.keys.sorted() { report(address, context: &context) }
        } else if let address = availabilityTopics[topic] {
            if payload.isEmpty {
                devices[address]?.available = nil
            } else if let online = Self.state(payload) {
                devices[address]?.available = online
            } else {
                context.problem("\(topic): expected {\"state\":\"online\"} or {\"state\":\"offline\"}")
                return
            }
            report(address, context: &context)
        }
    }

    /// A new device list: devices that left are gone, new ones are present, renamed ones change.
    private mutating func list(_ payload: ArraySlice<UInt8>, topic: String, context: inout ConventionContext) {
        var listed: [String: Device] = [:]
        if !payload.isEmpty {
            guard let items = (try? JSONValue.parse(payload))?.array else {
                context.problem("\(topic): expected a JSON list of devices")
                return
            }
            for item in items where item["type"]?.string != "Coordinator" {
                guard let address = item["ieee_address"]?.string, let name = item["friendly_name"]?.string else {
                    context.problem("\(topic): a device without 'ieee_address' or 'friendly_name' is skipped")
                    continue
                }
                var properties = [
                    "MQTT_TOPIC": baseTopic + "/" + name,
                    "ZIGBEE2MQTT_IEEE_ADDRESS": address,
                    "ZIGBEE2MQTT_FRIENDLY_NAME": name,
                ]
                if let model = item["definition"]?["model"]?.string { properties["ZIGBEE2MQTT_MODEL"] = model }
                if let vendor = item["definition"]?["vendor"]?.string { properties["ZIGBEE2MQTT_VENDOR"] = vendor }
                var device = Device(
                    friendlyName: name,
                    disabled: item["disabled"]?.bool ?? false,
                    properties: properties,
                    available: nil
                )
                // Availability survives a republished list, not a rename (the old topic is cleared).
                if let known = devices[address], known.friendlyName == name { device.available = known.available }
                listed[address] = device
            }
        }
        let gone = devices.keys.filter { listed[$0] == nil }
        for address in gone.sorted() { context.absent(ConventionSettings.join(baseTopic, address)) }
        devices = listed
        availabilityTopics = [:]
        for (address, device) in listed {
            let availability = baseTopic + "/" + device.friendlyName + "/availability"
            availabilityTopics[availability] = address
            if watched.insert(availability).inserted { context.watch(availability) }
        }
        for address in listed.keys.sorted() { report(address, context: &context) }
    }

    private func report(_ address: String, context: inout ConventionContext) {
        let id = ConventionSettings.join(baseTopic, address)
        guard let device = devices[address], !device.disabled, bridgeOnline != false, device.available != false else {
            context.absent(id)
            return
        }
        context.present(id, properties: device.properties)
    }

    /// `{"state":"online"}` / `{"state":"offline"}`, or the bare words: true, false, or nil.
    static func state(_ payload: ArraySlice<UInt8>) -> Bool? {
        let word: String?
        if payload.first == UInt8(ascii: "{") {
            word = (try? JSONValue.parse(payload))?["state"]?.string
        } else {
            word = String(validating: payload, as: UTF8.self)
        }
        switch word {
        case "online": return true
        case "offline": return false
        default: return nil
        }
    }
}
