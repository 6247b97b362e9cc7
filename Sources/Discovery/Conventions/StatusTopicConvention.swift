import MQTTCodec

/// A device announces itself on one retained status topic, `online` on connect and `offline` as
/// its will: Tasmota's `tele/<topic>/LWT` (`Online` / `Offline`, QoS 1, retained) and ESPHome's
/// `<node>/status` (`online` / `offline`, retained). Payloads are compared ignoring ASCII case
/// (both firmwares let users change the words' case); an empty payload, the way retained state is
/// cleared, removes the device; anything else is reported and ignored.
struct StatusTopicConvention: Convention {
    /// The levels before the device's name (may be empty).
    let prefix: String
    /// The level after it.
    let suffix: String
    let online: String
    let offline: String
    /// The property carrying the device's name, e.g. `TASMOTA_TOPIC`.
    let nameProperty: String
    /// Where the device's own data lives, relative to its name: `tele/<name>/#` for Tasmota.
    let dataTopic: @Sendable (String) -> String

    var subscriptions: [Subscription] {
        [Subscription(topicFilter: ConventionSettings.join(prefix, "+/" + suffix), qos: .atLeastOnce)]
    }

    mutating func handle(topic: String, payload: ArraySlice<UInt8>, retain: Bool, context: inout ConventionContext) {
        guard let levels = levels(of: topic, under: prefix), levels.count == 2, levels[1] == suffix else { return }
        let name = String(levels[0])
        let id = ConventionSettings.join(prefix, name)
        if payload.isEmpty {
            context.absent(id)
        } else if Self.equalIgnoringCase(payload, online) {
            context.present(id, properties: ["MQTT_TOPIC": dataTopic(name), nameProperty: name])
        } else if Self.equalIgnoringCase(payload, offline) {
            context.absent(id)
        } else {
            context.problem("\(topic): expected '\(online)' or '\(offline)', got \(describe(payload))")
        }
    }

    static func equalIgnoringCase(_ payload: ArraySlice<UInt8>, _ word: String) -> Bool {
        payload.count == word.utf8.count
            && zip(payload, word.utf8).allSatisfy { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

extension StatusTopicConvention {
    /// Tasmota's last will: `<prefix>/<topic>/LWT` (prefix `tele` by default).
    static func tasmota(prefix: String) -> Self {
        Self(
            prefix: prefix,
            suffix: "LWT",
            online: "Online",
            offline: "Offline",
            nameProperty: "TASMOTA_TOPIC",
            dataTopic: { ConventionSettings.join(prefix, $0 + "/#") }
        )
    }

    /// ESPHome's birth and will: `<node>/status`, under `prefix` when the nodes' `topic_prefix`
    /// puts them below a common level.
    static func esphome(prefix: String) -> Self {
        Self(
            prefix: prefix,
            suffix: "status",
            online: "online",
            offline: "offline",
            nameProperty: "ESPHOME_NODE",
            dataTopic: { ConventionSettings.join(prefix, $0 + "/#") }
        )
    }
}

/// A payload for a message: short text quoted, otherwise its size.
func describe(_ payload: ArraySlice<UInt8>) -> String {
    if payload.count <= 64, let text = String(validating: payload, as: UTF8.self),
        text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
    {
        return "'\(text)'"
    }
    return "\(payload.count) bytes"
}
