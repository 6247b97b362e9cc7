import JSON

/// What a Home Assistant MQTT discovery config says about liveness: which device the entity
/// belongs to, and its availability topics and mode. Abbreviated keys (`avty_t`, `dev`, `ids`…)
/// are read like the long ones, and `~` at the start or end of a topic stands for the config's
/// base topic, as in Home Assistant.
struct HomeAssistantConfig: Sendable, Equatable {
    /// One availability topic and the payloads that mean available / not available.
    struct Availability: Sendable, Equatable {
        var topic: String
        var available = "online"
        var notAvailable = "offline"
        /// For `{{ value_json.state }}`-style templates: the key path to read from a JSON payload.
        /// Nil compares the raw payload.
        var jsonPath: [String]?
    }

    /// How several availability topics combine (`availability_mode`).
    enum Mode: String, Sendable {
        /// Every topic says available.
        case all
        /// At least one says available.
        case any
        /// The last payload received decides (Home Assistant's default).
        case latest
    }

    /// The device's key: its first `identifiers` entry, else its first `connections` pair, else
    /// the node id, else the object id.
    var deviceKey: String
    var availability: [Availability] = []
    var mode: Mode = .latest
    /// Properties of the device: its data topic, name, manufacturer, model.
    var properties: [String: String] = [:]

    /// Reads a config published on a topic whose node id (if any) and object id are given.
    init(json: JSONValue, nodeID: String?, objectID: String) throws(ConfigError) {
        guard case .object = json else { throw ConfigError("a discovery config must be a JSON object") }
        let base = Self.value(json, "~", "~")?.string
        func topic(_ text: String) -> String {
            guard let base else { return text }
            if text.hasPrefix("~") { return base + text.dropFirst() }
            if text.hasSuffix("~") { return text.dropLast() + base }
            return text
        }
        let device = Self.value(json, "device", "dev")
        if let identifiers = device.flatMap({ Self.value($0, "identifiers", "ids") }),
            let first = identifiers.string ?? identifiers.array?.first?.string
        {
            deviceKey = first
        } else if let connection = device.flatMap({ Self.value($0, "connections", "cns") })?.array?.first?.array,
            let kind = connection.first?.string, let value = connection.last?.string
        {
            deviceKey = kind + "_" + value
        } else {
            deviceKey = nodeID ?? objectID
        }
        if let name = device.flatMap({ Self.value($0, "name", "name") })?.string {
            properties["HOMEASSISTANT_DEVICE_NAME"] = name
        }
        if let manufacturer = device.flatMap({ Self.value($0, "manufacturer", "mf") })?.string {
            properties["HOMEASSISTANT_MANUFACTURER"] = manufacturer
        }
        if let model = device.flatMap({ Self.value($0, "model", "mdl") })?.string {
            properties["HOMEASSISTANT_MODEL"] = model
        }
        var stateTopic = Self.value(json, "state_topic", "stat_t")?.string
        if stateTopic == nil, case .object(let components)? = Self.value(json, "components", "cmps") {
            // Device-based discovery: the first component with a state topic.
            stateTopic = components.lazy.compactMap { Self.value($0.1, "state_topic", "stat_t")?.string }.first
        }
        if let stateTopic { properties["MQTT_TOPIC"] = topic(stateTopic) }

        let available = Self.value(json, "payload_available", "pl_avail")?.string ?? "online"
        let notAvailable = Self.value(json, "payload_not_available", "pl_not_avail")?.string ?? "offline"
        if let single = Self.value(json, "availability_topic", "avty_t")?.string {
            let template = Self.value(json, "availability_template", "avty_tpl")?.string
            availability.append(
                Availability(
                    topic: topic(single),
                    available: available,
                    notAvailable: notAvailable,
                    jsonPath: try template.flatMap(Self.jsonPath)
                )
            )
        }
        if let list = Self.value(json, "availability", "avty") {
            guard let items = list.array else { throw ConfigError("'availability' must be a list") }
            for item in items {
                guard let text = Self.value(item, "topic", "t")?.string else {
                    throw ConfigError("an 'availability' item needs a 'topic'")
                }
                let template = Self.value(item, "value_template", "val_tpl")?.string
                availability.append(
                    Availability(
                        topic: topic(text),
                        available: Self.value(item, "payload_available", "pl_avail")?.string ?? "online",
                        notAvailable: Self.value(item, "payload_not_available", "pl_not_avail")?.string ?? "offline",
                        jsonPath: try template.flatMap(Self.jsonPath)
                    )
                )
            }
        }
        for item in availability where item.topic.isEmpty || item.topic.contains(where: { $0 == "+" || $0 == "#" }) {
            throw ConfigError("availability topic '\(item.topic)' is not a topic name")
        }
        if let text = Self.value(json, "availability_mode", "avty_mode")?.string {
            guard let mode = Mode(rawValue: text) else {
                throw ConfigError("availability_mode must be all, any or latest, not '\(text)'")
            }
            self.mode = mode
        }
    }

    /// A value by its long or abbreviated key.
    private static func value(_ json: JSONValue, _ key: String, _ abbreviation: String) -> JSONValue? {
        json[key] ?? json[abbreviation]
    }

    /// The key path of a `{{ value_json.a.b }}` template (the form Zigbee2MQTT and most devices
    /// use), `[]` for `{{ value }}`. Other Jinja cannot be evaluated here, and says so.
    static func jsonPath(_ template: String) throws(ConfigError) -> [String]? {
        var expression = Substring(template)
        expression.trimSpaces()
        guard expression.hasPrefix("{{"), expression.hasSuffix("}}") else { throw unsupported(template) }
        expression = expression.dropFirst(2).dropLast(2)
        expression.trimSpaces()
        if expression == "value" { return nil }
        guard expression.hasPrefix("value_json.") else { throw unsupported(template) }
        let path = expression.dropFirst("value_json.".count).split(separator: ".", omittingEmptySubsequences: false)
        guard path.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw unsupported(template)
        }
        return path.map(String.init)
    }

    private static func unsupported(_ template: String) -> ConfigError {
        ConfigError("template '\(template)' is not supported (only '{{ value_json.KEY }}' and '{{ value }}')")
    }

    /// Whether `payload` on `item`'s topic means available (true), not available (false), or
    /// neither (nil, ignored).
    static func verdict(_ payload: ArraySlice<UInt8>, for item: Availability) -> Bool? {
        let text: String?
        if let path = item.jsonPath {
            var value = try? JSONValue.parse(payload)
            for key in path { value = value?[key] }
            text = value?.string
        } else {
            text = String(validating: payload, as: UTF8.self)
        }
        if text == item.available { return true }
        if text == item.notAvailable { return false }
        return nil
    }

    /// A config that cannot be used, and why.
    struct ConfigError: Error, Sendable, CustomStringConvertible {
        let description: String

        init(_ description: String) {
            self.description = description
        }
    }
}

extension Substring {
    fileprivate mutating func trimSpaces() {
        while first == " " { removeFirst() }
        while last == " " { removeLast() }
    }
}
