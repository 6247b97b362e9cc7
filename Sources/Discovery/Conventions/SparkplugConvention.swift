import MQTTCodec

/// Sparkplug B 3.0 (`spBv1.0/<group>/<verb>/<edge node>[/<device>]`), as a host application
/// that only listens.
///
/// An edge node is alive from its NBIRTH until the NDEATH whose `bdSeq` matches that birth's
/// (§5.2: the broker may deliver the will of an older session late, and it must be ignored); its
/// devices from their DBIRTH until their DDEATH or their node's death. A node or device heard from
/// (NDATA, DDATA, DBIRTH) without a birth we saw is in a live session we joined late, so it is
/// alive too. Sparkplug reports by exception, so silence never times out: the session and its
/// will give liveness. Births and data are never retained (§6.4), so a retained copy is stale and
/// ignored; commands come from hosts and say nothing about the node.
struct SparkplugConvention: Convention {
    /// The first topic level, `spBv1.0`.
    let namespace: String

    private struct Node: Sendable {
        var online = false
        /// The `bdSeq` of the session we saw born; nil if we joined it late.
        var bdSeq: Int64?
        /// Names of the node's devices that are alive.
        var devices: Set<String> = []
    }

    /// Edge nodes by `group/edge`.
    private var nodes: [String: Node] = [:]

    init(namespace: String) {
        self.namespace = namespace
    }

    var subscriptions: [Subscription] {
        // QoS 1, so the NDEATH wills (QoS 1) queue in our session while we are away.
        [Subscription(topicFilter: ConventionSettings.join(namespace, "#"), qos: .atLeastOnce)]
    }

    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext) {
        guard !retain, let levels = levels(of: topic, under: namespace), levels.count == 3 || levels.count == 4,
            levels[0] != "STATE"
        else { return }
        let group = String(levels[0])
        let edge = String(levels[2])
        let key = group + "/" + edge
        let device = levels.count == 4 ? String(levels[3]) : nil
        switch (levels[1], device) {
        case ("NBIRTH", nil):
            let bdSeq = sequence(topic, payload, context: &context)
            var node = nodes[key] ?? Node()
            // A rebirth in the same session keeps the bdSeq and the devices; a new session's
            // devices are alive only once they are born again.
            if !(node.online && node.bdSeq != nil && node.bdSeq == bdSeq) {
                for name in node.devices { context.absent(deviceID(group, edge, name)) }
                node.devices = []
            }
            node.online = true
            node.bdSeq = bdSeq
            nodes[key] = node
            context.present(nodeID(group, edge), properties: nodeProperties(group, edge))
        case ("NDEATH", nil):
            let bdSeq = sequence(topic, payload, context: &context)
            guard var node = nodes[key], node.online else { return }
            if let known = node.bdSeq, let bdSeq, known != bdSeq { return }
            for name in node.devices { context.absent(deviceID(group, edge, name)) }
            node = Node()
            nodes[key] = node
            context.absent(nodeID(group, edge))
        case ("NDATA", nil):
            alive(group, edge, key: key, context: &context)
        case ("DBIRTH", let name?), ("DDATA", let name?):
            alive(group, edge, key: key, context: &context)
            nodes[key]?.devices.insert(name)
            context.present(deviceID(group, edge, name), properties: deviceProperties(group, edge, name))
        case ("DDEATH", let name?):
            nodes[key]?.devices.remove(name)
            context.absent(deviceID(group, edge, name))
        default:
            // Commands, STATE, and verbs of later versions say nothing about liveness.
            return
        }
    }

    /// Marks the node alive (in a session we may not have seen born).
    private mutating func alive(_ group: String, _ edge: String, key: String, context: inout ConventionContext) {
        nodes[key, default: Node()].online = true
        context.present(nodeID(group, edge), properties: nodeProperties(group, edge))
    }

    /// The birth or death's `bdSeq` metric; nil, with a problem reported, if it cannot be read.
    private func sequence(_ topic: String, _ payload: ArraySlice<UInt8>, context: inout ConventionContext) -> Int64? {
        do {
            let decoded = try SparkplugPayload(decoding: payload)
            if let bdSeq = decoded.integer(named: "bdSeq") { return bdSeq }
            context.problem("\(topic): no bdSeq metric")
        } catch {
            context.problem("\(topic): not a Sparkplug B payload: \(error)")
        }
        return nil
    }

    private func nodeID(_ group: String, _ edge: String) -> String {
        ConventionSettings.join(namespace, group + "/" + edge)
    }

    private func deviceID(_ group: String, _ edge: String, _ device: String) -> String {
        ConventionSettings.join(namespace, group + "/" + edge + "/" + device)
    }

    private func nodeProperties(_ group: String, _ edge: String) -> [String: String] {
        [
            // Every message of the node and its devices: `#` also matches the node's own level.
            "MQTT_TOPIC": ConventionSettings.join(namespace, group + "/+/" + edge + "/#"),
            "SPARKPLUG_GROUP_ID": group,
            "SPARKPLUG_EDGE_NODE_ID": edge,
        ]
    }

    private func deviceProperties(_ group: String, _ edge: String, _ device: String) -> [String: String] {
        [
            "MQTT_TOPIC": ConventionSettings.join(namespace, group + "/+/" + edge + "/" + device),
            "SPARKPLUG_GROUP_ID": group,
            "SPARKPLUG_EDGE_NODE_ID": edge,
            "SPARKPLUG_DEVICE_ID": device,
        ]
    }
}
