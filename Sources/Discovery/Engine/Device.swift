/// A discovered device as the agent sees it: an id and the properties its workload gets as
/// environment variables.
public struct Device: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The device id: the topic for a plain filter, the placeholder values for a template, the
    /// device's base topic for a convention.
    public let id: String
    /// Properties: `MQTT_BROKER_URI`, `MQTT_TOPIC`, `MQTT_DEVICE_ID`, and what conventions add.
    public let properties: [String: String]

    /// A device.
    public init(id: String, properties: [String: String]) {
        self.id = id
        self.properties = properties
    }

    /// Orders devices by id.
    public static func < (lhs: Device, rhs: Device) -> Bool {
        lhs.id < rhs.id
    }

    /// The id.
    public var description: String { id }
}

/// A change to the set of present devices, emitted as soon as it is decided.
public enum DeviceChange: Hashable, Sendable, CustomStringConvertible {
    /// A device became present.
    case added(Device)
    /// A present device's properties changed.
    case updated(Device)
    /// A device is gone, and why.
    case removed(Device, RemovalReason)

    /// The device concerned.
    public var device: Device {
        switch self {
        case .added(let device), .updated(let device), .removed(let device, _): device
        }
    }

    /// Why the device went, for a removal.
    public var removalReason: RemovalReason? {
        guard case .removed(_, let reason) = self else { return nil }
        return reason
    }

    /// E.g. `added factory/press7`.
    public var description: String {
        switch self {
        case .added(let device): "added \(device.id)"
        case .updated(let device): "updated \(device.id)"
        case .removed(let device, _): "removed \(device.id)"
        }
    }
}

/// Why the engine stopped counting a device as present.
public enum RemovalReason: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No traffic within its silence timeout.
    case silence
    /// An offline status: on a status topic, or a convention's death message (Sparkplug NDEATH,
    /// Homie `lost`, Home Assistant or Tasmota availability). MQTT does not tell a subscriber
    /// whether the broker published it as the device's will or the device said it itself.
    case offline
    /// Its online status was not repeated within the status entry's timeout.
    case statusExpired
    /// Its retained state was cleared (an empty payload on its topic).
    case cleared
    /// Every broker that reported it was unreachable for longer than the grace period.
    case brokerLost

    /// A short phrase for people, e.g. `silent past its timeout`.
    public var description: String {
        switch self {
        case .silence: "silent past its timeout"
        case .offline: "offline status, from its will or itself"
        case .statusExpired: "online status not repeated in time"
        case .cleared: "retained state cleared"
        case .brokerLost: "broker unreachable past the grace period"
        }
    }

    /// The name on the wire and in JSON, e.g. `silence`.
    public var name: String {
        switch self {
        case .silence: "silence"
        case .offline: "offline"
        case .statusExpired: "status-expired"
        case .cleared: "cleared"
        case .brokerLost: "broker-lost"
        }
    }

    /// The reason called `name`, if there is one.
    public init?(name: String) {
        guard let reason = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = reason
    }
}
