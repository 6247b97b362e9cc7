import JSON
import MQTTCodec

/// Home Assistant MQTT discovery (`homeassistant/<component>/[<node>/]<object>/config`, and
/// device-based `homeassistant/device/<id>/config`).
///
/// Each config is an entity; entities name their device (`device.identifiers`), and a device is
/// present while at least one of its entities is available. An entity without availability topics
/// is always available; with them, it follows Home Assistant's rules: each topic starts
/// unavailable, `availability_mode` combines them (`latest`, the default: the last recognised
/// payload decides; `all`; `any`), and payloads that are neither available nor not-available are
/// ignored. An empty config removes the entity. Availability topics are watched as configs name
/// them (the engine subscribes to them), and the last payload of each is kept so a later entity
/// sharing the topic starts from it.
struct HomeAssistantConvention: Convention {
    /// The discovery prefix, `homeassistant`.
    let prefix: String

    private struct Entity: Sendable {
        var config: HomeAssistantConfig
        /// Each availability topic's verdict so far (nil: nothing recognised yet).
        var verdicts: [Bool?]
        /// The last recognised verdict on any of its topics, for mode `latest`.
        var latest: Bool?

        var isAvailable: Bool {
            guard !config.availability.isEmpty else { return true }
            switch config.mode {
            case .all: return verdicts.allSatisfy { $0 == true }
            case .any: return verdicts.contains { $0 == true }
            case .latest: return latest == true
            }
        }
    }

    /// Entities by config topic.
    private var entities: [String: Entity] = [:]
    /// Config topics of each device's entities in the order they were configured, by device key.
    private var devices: [String: [String]] = [:]
    /// Config topics of the entities watching each availability topic.
    private var watchers: [String: Set<String>] = [:]
    /// The last payload seen on each watched availability topic.
    private var lastPayload: [String: [UInt8]] = [:]

    init(prefix: String) {
        self.prefix = prefix
    }

    var subscriptions: [Subscription] {
        [
            Subscription(topicFilter: ConventionSettings.join(prefix, "+/+/config"), qos: .atLeastOnce),
            Subscription(topicFilter: ConventionSettings.join(prefix, "+/+/+/config"), qos: .atLeastOnce),
        ]
    }

    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext) {
        if let levels = levels(of: topic, under: prefix), levels.count == 3 || levels.count == 4,
            levels.last == "config"
        {
            configure(
                topic,
                nodeID: levels.count == 4 ? String(levels[1]) : nil,
                objectID: String(levels[levels.count - 2]),
                payload: payload,
                context: &context
            )
        }
        if watchers[topic] != nil { availability(topic, payload: payload, context: &context) }
    }

    private mutating func configure(
        _ topic: String,
        nodeID: String?,
        objectID: String,
        payload: ArraySlice<UInt8>,
        context: inout ConventionContext
    ) {
        let previous = entities[topic]
        var affected: Set<String> = []
        defer { for key in affected.sorted() { report(key, context: &context) } }
        // An empty config removes the entity.
        guard !payload.isEmpty else {
            if let previous {
                forget(topic, previous)
                affected.insert(previous.config.deviceKey)
            }
            return
        }
        let config: HomeAssistantConfig
        do throws(HomeAssistantConfig.ConfigError) {
            let json: JSONValue
            do { json = try JSONValue.parse(payload) } catch {
                throw HomeAssistantConfig.ConfigError(error.description)
            }
            config = try HomeAssistantConfig(json: json, nodeID: nodeID, objectID: objectID)
        } catch {
            // The entity keeps its last good config.
            context.problem("\(topic): \(error)")
            return
        }
        var entity = Entity(config: config, verdicts: Array(repeating: nil, count: config.availability.count))
        for (index, item) in config.availability.enumerated() {
            if watchers[item.topic] == nil { context.watch(item.topic) }
            watchers[item.topic, default: []].insert(topic)
            if let last = lastPayload[item.topic], let verdict = HomeAssistantConfig.verdict(last[...], for: item) {
                entity.verdicts[index] = verdict
                entity.latest = verdict
            }
        }
        if let previous {
            // A republished config (devices resend them when Home Assistant restarts) keeps what
            // its availability topics said, and its place among its device's entities.
            if previous.config.availability == config.availability {
                entity.verdicts = previous.verdicts
                entity.latest = previous.latest
            }
            for item in previous.config.availability
            where !config.availability.contains(where: { $0.topic == item.topic }) {
                unwatch(item.topic, by: topic)
            }
            if previous.config.deviceKey != config.deviceKey {
                removeEntity(topic, from: previous.config.deviceKey)
                affected.insert(previous.config.deviceKey)
                devices[config.deviceKey, default: []].append(topic)
            }
        } else {
            devices[config.deviceKey, default: []].append(topic)
        }
        entities[topic] = entity
        affected.insert(config.deviceKey)
    }

    /// Drops an entity from the indexes.
    private mutating func forget(_ topic: String, _ entity: Entity) {
        entities[topic] = nil
        removeEntity(topic, from: entity.config.deviceKey)
        for item in entity.config.availability { unwatch(item.topic, by: topic) }
    }

    private mutating func removeEntity(_ topic: String, from device: String) {
        devices[device]?.removeAll { $0 == topic }
        if devices[device]?.isEmpty == true { devices[device] = nil }
    }

    /// The entity no longer watches `availability`; the last payload goes with the last watcher.
    private mutating func unwatch(_ availability: String, by topic: String) {
        watchers[availability]?.remove(topic)
        if watchers[availability]?.isEmpty == true {
            watchers[availability] = nil
            lastPayload[availability] = nil
        }
    }

    private mutating func availability(_ topic: String, payload: ArraySlice<UInt8>, context: inout ConventionContext) {
        lastPayload[topic] = Array(payload)
        var affected = Set<String>()
        for configTopic in watchers[topic] ?? [] {
            guard var entity = entities[configTopic] else { continue }
            for (index, item) in entity.config.availability.enumerated() where item.topic == topic {
                guard let verdict = HomeAssistantConfig.verdict(payload, for: item) else { continue }
                entity.verdicts[index] = verdict
                entity.latest = verdict
            }
            entities[configTopic] = entity
            affected.insert(entity.config.deviceKey)
        }
        for key in affected.sorted() { report(key, context: &context) }
    }

    /// States whether the device is present: one of its entities is available.
    private func report(_ key: String, context: inout ConventionContext) {
        let id = ConventionSettings.join(prefix, key)
        let topics = devices[key] ?? []
        guard topics.contains(where: { entities[$0]?.isAvailable == true }) else {
            context.absent(id)
            return
        }
        // Properties from the entities in the order they were configured, so a device's
        // properties do not change when it gains an entity.
        var properties: [String: String] = ["HOMEASSISTANT_DEVICE_KEY": key]
        for topic in topics {
            properties.merge(entities[topic]?.config.properties ?? [:]) { current, _ in current }
        }
        if properties["MQTT_TOPIC"] == nil { properties["MQTT_TOPIC"] = topics[0] }
        context.present(id, properties: properties)
    }
}
