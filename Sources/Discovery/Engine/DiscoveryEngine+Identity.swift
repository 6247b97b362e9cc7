import MQTTClient

/// Device ids and properties.
extension DiscoveryEngine {
    /// The id a message on `topic` gives through `entry`: the topic itself for a plain filter, the
    /// placeholder values (in the group's order, joined with `/`) for a template. Levels are found
    /// in the topic's UTF-8 without splitting it, and ids of up to 15 bytes are small strings, so
    /// this usually allocates nothing.
    func deviceID(entry: Int, topic: String) -> String {
        let captures = entryCaptures[entry]
        guard !captures.isEmpty else { return topic }
        var topic = topic
        return topic.withUTF8 { bytes in
            if captures.count == 1 { return String(decoding: Self.level(captures[0], of: bytes), as: UTF8.self) }
            var id: [UInt8] = []
            for (position, level) in captures.enumerated() {
                if position > 0 { id.append(UInt8(ascii: "/")) }
                id.append(contentsOf: Self.level(level, of: bytes))
            }
            return String(decoding: id, as: UTF8.self)
        }
    }

    /// Level number `number` (from 0) of a topic; the topic matched the entry's filter, so the
    /// level exists. (Levels split at `/` bytes, which never occur inside a UTF-8 sequence.)
    static func level(_ number: Int, of bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var remaining = number
        while remaining > 0 && start < bytes.count {
            if bytes[start] == UInt8(ascii: "/") { remaining -= 1 }
            start += 1
        }
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// The device as reported: id and properties (built only when a change is emitted).
    func device(_ index: Int32) -> Device {
        let record = records[Int(index)]
        let group = groups[Int(record.group)]
        var properties: [String: String] = [:]
        properties.reserveCapacity(4)
        properties[names.brokerURI] = brokerURIs[Int(record.firstBroker)]
        properties[names.deviceID] = record.id
        if let extra = conventionProperties[index] {
            for (key, value) in extra { properties[details.propertyName(key)] = value }
        } else if group.names.isEmpty {
            properties[names.topic] = record.id
        } else {
            let values = Dictionary(
                uniqueKeysWithValues: zip(
                    group.names,
                    record.id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                )
            )
            properties[names.topic] =
                details.topics[Int(group.primaryEntry)].template.filled(with: values)
        }
        return Device(id: record.id, properties: properties)
    }
}
