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
    /// A device is gone.
    case removed(Device)

    /// The device concerned.
    public var device: Device {
        switch self {
        case .added(let device), .updated(let device), .removed(let device): device
        }
    }

    /// E.g. `added factory/press7`.
    public var description: String {
        switch self {
        case .added(let device): "added \(device.id)"
        case .updated(let device): "updated \(device.id)"
        case .removed(let device): "removed \(device.id)"
        }
    }
}
