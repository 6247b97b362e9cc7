import Discovery
import MQTTSession

/// What the conventions fuzzer checks: the payloads of Sparkplug B (protobuf), Home Assistant
/// discovery (JSON), Homie, Tasmota, ESPHome and Zigbee2MQTT, fed through the discovery engine as
/// a broker would deliver them. The input is a sequence of messages, each a topic selector byte,
/// a one-byte length and that many payload bytes, so conventions' state (births, availability
/// topics, bridge device lists) builds up across messages.
/// 1. No crash, no unbounded growth (every change is one message's doing).
/// 2. The changes agree with the present set: a device added is present until removed; a device
///    removed is not present; `devices` never lists an id twice.
/// 3. The same messages through a fresh engine give the same changes (no hidden state).
enum ConventionsFuzzCheck {
    static let details: DiscoveryDetails = {
        let yaml = """
            mqttBrokerUri: tcp://broker:1883
            conventions: [sparkplug, homie, homeassistant, tasmota, esphome, zigbee2mqtt]
            """
        return try! DiscoveryDetails.parse(yaml).details
    }()

    /// Topics the messages go to: each convention's own, with a few device names.
    static let topics = [
        "spBv1.0/plant/NBIRTH/edge1", "spBv1.0/plant/NDEATH/edge1", "spBv1.0/plant/DBIRTH/edge1/pump",
        "spBv1.0/plant/DDEATH/edge1/pump", "spBv1.0/plant/NDATA/edge1", "spBv1.0/plant/DDATA/edge1/pump",
        "STATE/host", "spBv1.0/STATE/host",
        "homie/lamp/$state", "homie/lamp/$name", "homie/5/kitchen/$state",
        "homeassistant/sensor/kitchen/temp/config", "homeassistant/binary_sensor/door/config",
        "kitchen/availability", "tele/tasmota_1/LWT", "tasmota/discovery/ABC123/config",
        "esphome/node1/status", "zigbee2mqtt/bridge/devices", "zigbee2mqtt/bridge/state",
        "zigbee2mqtt/lamp/availability", "zigbee2mqtt/lamp",
    ]

    static func check(_ bytes: [UInt8]) {
        let messages = split(bytes)
        let first = run(messages)
        let second = run(messages)
        precondition(first == second, "the same messages through a fresh engine gave different changes")
    }

    static func split(_ bytes: [UInt8]) -> [(topic: String, payload: [UInt8], retain: Bool)] {
        var messages: [(String, [UInt8], Bool)] = []
        var index = 0
        while index + 2 <= bytes.count {
            let selector = Int(bytes[index])
            let length = Int(bytes[index + 1])
            let payload = Array(bytes[(index + 2)..<min(index + 2 + length, bytes.count)])
            messages.append((topics[selector % topics.count], payload, selector >= 128))
            index += 2 + length
        }
        return messages
    }

    static func run(_ messages: [(topic: String, payload: [UInt8], retain: Bool)]) -> [String] {
        var engine = DiscoveryEngine(details: details)
        var now = Instant(nanoseconds: 1_000_000_000)
        var present: Set<String> = []
        var log: [String] = []
        for message in messages {
            var changes: [DeviceChange] = []
            engine.received(
                topic: message.topic,
                payload: message.payload[...],
                retain: message.retain,
                from: 0,
                now: now,
                into: &changes
            )
            now = now + .milliseconds(10)
            engine.tick(now: now, into: &changes)
            for change in changes {
                switch change {
                case .added(let device): precondition(present.insert(device.id).inserted, "added twice: \(device.id)")
                case .updated(let device):
                    precondition(present.contains(device.id), "updated while absent: \(device.id)")
                case .removed(let device, _):
                    precondition(present.remove(device.id) != nil, "removed while absent: \(device.id)")
                }
                log.append(change.description)
            }
            let listed = engine.devices.map(\.id)
            precondition(Set(listed).count == listed.count, "an id listed twice")
            precondition(Set(listed) == present, "the devices listed are not the ones reported")
            _ = engine.takeProblems()
        }
        return log
    }
}
