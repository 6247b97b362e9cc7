import MQTTClient

/// Device ids and properties.
extension DiscoveryEngine {
    /// The id a message on `topic` gives through `entry`: the topic itself for a plain filter, the
    /// placeholder values (in the group's order, joined with `/`) for a template.
    func deviceID(entry: Int, topic: String) -> String {
        let group = groups[Int(entryGroups[entry])]
        guard !group.names.isEmpty else { return topic }
        let levels = details.topics[entry].template.levels
        var values: [Substring] = []
        values.reserveCapacity(group.names.count)
        var captured: [String: Substring] = [:]
        for (level, part) in zip(levels, topic.split(separator: "/", omittingEmptySubsequences: false)) {
            if case .placeholder(let name) = level { captured[name] = part }
        }
        for name in group.names { values.append(captured[name] ?? "") }
        return values.count == 1 ? String(values[0]) : values.joined(separator: "/")
    }

    /// The device as reported: id and properties (built only when a change is emitted).
    func device(_ index: Int32) -> Device {
        let record = records[Int(index)]
        let group = groups[Int(record.group)]
        var properties: [String: String] = [:]
        let broker = details.brokers[Int(record.firstBroker)]
        properties[details.propertyName("MQTT_BROKER_URI")] = broker.url.description
        properties[details.propertyName("MQTT_DEVICE_ID")] = record.id
        if let extra = conventionProperties[index] {
            for (key, value) in extra { properties[details.propertyName(key)] = value }
        } else if group.names.isEmpty {
            properties[details.propertyName("MQTT_TOPIC")] = record.id
        } else {
            let values = Dictionary(
                uniqueKeysWithValues: zip(
                    group.names,
                    record.id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                )
            )
            properties[details.propertyName("MQTT_TOPIC")] =
                details.topics[Int(group.primaryEntry)].template.filled(with: values)
        }
        return Device(id: record.id, properties: properties)
    }
}
