import Discovery
import MQTTSession

/// An engine with a hand-driven clock: publish messages, move time, see the changes.
struct EngineHarness {
    var engine: DiscoveryEngine
    /// The clock; starts at an arbitrary non-zero time so nothing depends on zero.
    var now = Instant(nanoseconds: 1_000_000_000_000)
    /// Every change so far, in order.
    var changes: [DeviceChange] = []

    init(_ yaml: String) throws {
        engine = DiscoveryEngine(details: try DiscoveryDetails.parse(yaml).details)
    }

    /// A message arrives; returns the changes it caused (`added x`, `removed y`…).
    @discardableResult
    mutating func publish(_ topic: String, _ payload: String, retain: Bool = false, broker: Int = 0) -> [String] {
        publish(topic, Array(payload.utf8), retain: retain, broker: broker)
    }

    /// Messages go in as a decoded PUBLISH gives them, the topic's bytes a slice of a larger
    /// buffer (`byString` passes the topic as a `String` instead).
    @discardableResult
    mutating func publish(
        _ topic: String,
        _ payload: [UInt8],
        retain: Bool = false,
        broker: Int = 0,
        byString: Bool = false
    ) -> [String] {
        var new: [DeviceChange] = []
        if byString {
            engine.received(topic: topic, payload: payload[...], retain: retain, from: broker, now: now, into: &new)
        } else {
            let buffer = Array(("<<" + topic + ">>").utf8)
            let bytes = buffer[2..<(buffer.count - 2)]
            engine.received(topicUTF8: bytes, payload: payload[...], retain: retain, from: broker, now: now, into: &new)
        }
        changes += new
        return new.map(\.description)
    }

    /// Time passes, with the engine woken at every deadline on the way, as a driver would.
    @discardableResult
    mutating func advance(_ seconds: Double) -> [String] {
        let target = now + .milliseconds(Int64(seconds * 1_000))
        var new: [DeviceChange] = []
        while let deadline = engine.nextDeadline, deadline <= target {
            now = max(now, deadline)
            engine.tick(now: now, into: &new)
        }
        now = target
        engine.tick(now: now, into: &new)
        changes += new
        return new.map(\.description)
    }

    @discardableResult
    mutating func disconnect(_ broker: Int = 0) -> [String] {
        var new: [DeviceChange] = []
        engine.brokerDisconnected(broker, now: now, into: &new)
        changes += new
        return new.map(\.description)
    }

    @discardableResult
    mutating func reconnect(_ broker: Int = 0) -> [String] {
        var new: [DeviceChange] = []
        engine.brokerConnected(broker, now: now, into: &new)
        changes += new
        return new.map(\.description)
    }

    /// The ids of the devices present.
    var present: [String] { engine.devices.map(\.id) }

    /// A present device's properties.
    func properties(_ id: String) -> [String: String]? {
        engine.devices.first { $0.id == id }?.properties
    }
}
