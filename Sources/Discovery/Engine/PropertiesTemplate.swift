/// The properties every device reported through one broker starts from: its broker URI, with
/// the id and topic still to fill in.
///
/// A device's properties are a fresh copy with two values replaced through indices found once.
/// A copy of a dictionary keeps its layout, so the indices hold for it, and no key is hashed per
/// device: building the dictionary key by key hashed three strings for every device reported.
struct PropertiesTemplate: Sendable {
    private let base: [String: String]
    private let deviceID: Dictionary<String, String>.Index
    private let topic: Dictionary<String, String>.Index

    init(names: (brokerURI: String, deviceID: String, topic: String), brokerURI: String) {
        let base = [names.brokerURI: brokerURI, names.deviceID: "", names.topic: ""]
        self.base = base
        deviceID = base.index(forKey: names.deviceID)!
        topic = base.index(forKey: names.topic)!
    }

    /// The properties of the device `id` whose `MQTT_TOPIC` is `topic`.
    func properties(id: String, topic value: String) -> [String: String] {
        var properties = base
        properties.values[deviceID] = id
        properties.values[topic] = value
        return properties
    }
}
