import MQTTSession

/// Device ids and properties.
extension DiscoveryEngine {
    /// Calls `body` with the UTF-8 of the id a message on `topic` gives through `entry`: the topic
    /// itself for a plain filter, the placeholder values (in the group's order, joined with `/`) for
    /// a template. Levels are found in the topic's bytes without splitting it, and only an id made
    /// of several levels is copied, so on the common paths this allocates nothing.
    @inline(__always)
    static func withDeviceID<Result>(
        level: Int32,
        captures: [Int],
        topic: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        if level == IDLevel.topic { return body(topic) }
        if level >= 0 { return body(TopicLevels.level(Int(level), of: topic)) }
        var id: [UInt8] = []
        for (position, number) in captures.enumerated() {
            if position > 0 { id.append(UInt8(ascii: "/")) }
            id.append(contentsOf: TopicLevels.level(number, of: topic))
        }
        return id.withUnsafeBufferPointer(body)
    }

    /// What ``DiscoveryEngine/Entry/idLevel`` holds for an entry whose id is not one level.
    enum IDLevel {
        /// The id is the whole topic (a plain filter).
        static let topic: Int32 = -1
        /// The id joins several levels (``DiscoveryEngine/entryCaptures``).
        static let joined: Int32 = -2
    }

    /// The device as reported: id and properties (built only when a change is emitted).
    func device(_ index: Int32) -> Device {
        let record = records[Int(index)]
        guard let extra = conventionProperties[index] else {
            let template = propertyTemplates[Int(record.firstBroker)]
            return Device(id: record.id, properties: template.properties(id: record.id, topic: topic(of: record)))
        }
        var properties: [String: String] = Dictionary(minimumCapacity: 4 + extra.count)
        properties[names.brokerURI] = brokerURIs[Int(record.firstBroker)]
        properties[names.deviceID] = record.id
        for (key, value) in extra { properties[details.propertyName(key)] = value }
        return Device(id: record.id, properties: properties)
    }

    /// A device's `MQTT_TOPIC`: its topic for a plain filter, else its group's primary template
    /// with the id's values in place of the placeholders (`factory/press7/telemetry/#`).
    private func topic(of record: Record) -> String {
        let group = groups[Int(record.group)]
        if group.names.isEmpty { return record.id }
        var topic = ""
        topic.reserveCapacity(group.topicPieces.count * 8 + record.id.utf8.count)
        if group.names.count == 1 {
            for piece in group.topicPieces {
                switch piece {
                case .text(let text): topic += text
                case .value: topic += record.id
                }
            }
            return topic
        }
        // Values never contain `/` (each is one topic level), so splitting the id is exact.
        let values = record.id.split(separator: "/", omittingEmptySubsequences: false)
        for piece in group.topicPieces {
            switch piece {
            case .text(let text): topic += text
            case .value(let number): topic += number < values.count ? values[number] : "+"
            }
        }
        return topic
    }

    /// `template` as text between its placeholders, each placeholder given as its position in
    /// `names`.
    static func topicPieces(of template: TopicTemplate, names: [String]) -> [TopicPiece] {
        var pieces: [TopicPiece] = []
        var text = ""
        for (position, level) in template.levels.enumerated() {
            if position > 0 { text += "/" }
            switch level {
            case .literal(let literal): text += literal
            case .singleWildcard: text += "+"
            case .multiWildcard: text += "#"
            case .placeholder(let name):
                if !text.isEmpty { pieces.append(.text(text)) }
                text = ""
                pieces.append(.value(names.firstIndex(of: name) ?? 0))
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }
}
