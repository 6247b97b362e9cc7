import JSON
import MQTTCodec

/// The Homie convention, versions 4 (`homie/<device>/$state`) and 5 (`homie/5/<device>/$state`).
///
/// A device exists once it sets a `$state`; `ready` (and v4's `alert`, "online but needs a
/// human") make it present; `disconnected`, `sleeping` and the will's `lost` make it absent; an
/// empty retained `$state` deletes it. `init`, "connected, not ready yet", changes nothing. In v5
/// a bridge's child devices name their `root` in `$description`, and only the root carries the
/// will, so a root that is `lost` takes its children with it.
struct HomieConvention: Convention {
    /// The first topic level, `homie` unless the devices use another domain.
    let domain: String

    private struct DeviceState: Sendable {
        var state = ""
        var root: String?
    }

    /// What each device said, keyed by its id (`homie/5/<device>`, or `homie/<device>` for v4).
    private var devices: [String: DeviceState] = [:]
    /// Children by the id of their root (v5).
    private var children: [String: Set<String>] = [:]

    init(domain: String) {
        self.domain = domain
    }

    var subscriptions: [Subscription] {
        [
            Subscription(topicFilter: ConventionSettings.join(domain, "+/$state"), qos: .atLeastOnce),
            Subscription(topicFilter: ConventionSettings.join(domain, "5/+/$state"), qos: .atLeastOnce),
            Subscription(topicFilter: ConventionSettings.join(domain, "5/+/$description"), qos: .atLeastOnce),
        ]
    }

    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext) {
        guard let levels = levels(of: topic, under: domain) else { return }
        switch (levels.count, levels.last) {
        case (2, "$state"):
            setState(of: String(levels[0]), version: 4, payload: payload, topic: topic, context: &context)
        case (3, "$state") where levels[0] == "5":
            setState(of: String(levels[1]), version: 5, payload: payload, topic: topic, context: &context)
        case (3, "$description") where levels[0] == "5":
            describe(String(levels[1]), payload: payload, topic: topic, context: &context)
        default:
            return
        }
    }

    private func id(_ device: String, version: Int) -> String {
        ConventionSettings.join(domain, version == 5 ? "5/" + device : device)
    }

    private mutating func setState(
        of device: String,
        version: Int,
        payload: ArraySlice<UInt8>,
        topic: String,
        context: inout ConventionContext
    ) {
        let id = id(device, version: version)
        guard !payload.isEmpty else {
            // Zero-length retained `$state`: the device ceases to exist.
            devices[id] = nil
            context.absent(id)
            return
        }
        guard let text = String(validating: payload, as: UTF8.self),
            ["init", "ready", "alert", "disconnected", "sleeping", "lost"].contains(text)
        else {
            context.problem("\(topic): not a Homie state: \(Discovery.describe(payload))")
            return
        }
        devices[id, default: DeviceState()].state = text
        guard text != "init" else { return }
        report(id, device: device, version: version, context: &context)
        // A root's state decides its children's.
        for child in children[id] ?? [] {
            let name = String(child.split(separator: "/").last ?? "")
            report(child, device: name, version: 5, context: &context)
        }
    }

    /// Reads a v5 `$description` for the device's root.
    private mutating func describe(
        _ device: String,
        payload: ArraySlice<UInt8>,
        topic: String,
        context: inout ConventionContext
    ) {
        let id = id(device, version: 5)
        var root: String?
        if !payload.isEmpty {
            do {
                let description = try JSONValue.parse(payload)
                root = description["root"]?.string.map { self.id($0, version: 5) }
            } catch {
                context.problem("\(topic): \(error)")
                return
            }
        }
        let previous = devices[id]?.root
        guard root != previous else { return }
        if let previous { children[previous]?.remove(id) }
        if let root, root != id { children[root, default: []].insert(id) }
        devices[id, default: DeviceState()].root = root == id ? nil : root
        if devices[id]?.state.isEmpty == false { report(id, device: device, version: 5, context: &context) }
    }

    /// States the device's effective presence: its own state, unless its root is lost.
    private func report(_ id: String, device: String, version: Int, context: inout ConventionContext) {
        guard let state = devices[id]?.state, !state.isEmpty, state != "init" else { return }
        let rootLost = devices[id]?.root.flatMap { devices[$0]?.state } == "lost"
        if (state == "ready" || state == "alert") && !rootLost {
            context.present(
                id,
                properties: [
                    "MQTT_TOPIC": id + "/#",
                    "HOMIE_DEVICE_ID": device,
                    "HOMIE_VERSION": String(version),
                ]
            )
        } else {
            context.absent(id)
        }
    }
}
