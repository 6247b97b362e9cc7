public import Protobuf

/// `v0.DiscoverResponse`: every device present now; each response replaces the previous list.
///
/// mqtt-discovery adds fields 100–102 (`DiscoverResponseAdditions` in `local_socket.proto`), sent
/// only to an agent that asked for them (``DiscoverRequest/acceptsChanges``) and skipped as
/// unknown by Akri's: a response can be a change (the devices added or updated, and those removed
/// with why), and a list can continue in the next response (``more``), so no response has to
/// hold a million devices.
public struct DiscoverResponse: ProtobufMessage {
    /// The devices: the whole list, or with ``changes`` the devices added or updated.
    public var devices: [Device]
    /// Field 100: this response changes the previous list rather than replacing it.
    public var changes: Bool
    /// Field 101, with ``changes``: the devices that went, and why.
    public var removed: [Removal]
    /// Field 102: the list continues in the next response; a list in pieces replaces the
    /// previous one when its last piece has arrived.
    public var more: Bool

    /// A response.
    public init(devices: [Device], changes: Bool = false, removed: [Removal] = [], more: Bool = false) {
        self.devices = devices
        self.changes = changes
        self.removed = removed
        self.more = more
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(devices: [])
        while let field = try reader.next() {
            switch field.number {
            case 1: devices.append(try reader.message(field))
            case 100: changes = try reader.varint(field) != 0
            case 101: removed.append(try reader.message(field))
            case 102: more = try reader.varint(field) != 0
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        for device in devices { writer.message(1, device) }
        writer.append(fields: extensions)
    }

    /// Fields 100–102 as bytes, written after the devices.
    public var extensions: [UInt8] {
        Self.extensions(changes: changes, removed: removed, more: more)
    }

    /// Fields 100–102 as bytes.
    public static func extensions(changes: Bool, removed: some Collection<Removal>, more: Bool) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.boolIfSet(100, changes)
        for removal in removed { writer.message(101, removal) }
        writer.boolIfSet(102, more)
        return writer.bytes
    }

    /// `mqtt_discovery.v1.Removal` (field 101): a device that went, and why.
    public struct Removal: ProtobufMessage {
        /// The device id.
        public var id: String
        /// Why, as the handler's engine names it (`silence`, `offline`, `status-expired`,
        /// `cleared`, `broker-lost`); empty when not known.
        public var reason: String

        /// A removal.
        public init(id: String, reason: String = "") {
            self.id = id
            self.reason = reason
        }

        /// Reads the message.
        public init(from reader: inout ProtobufReader) throws(ProtobufError) {
            self.init(id: "")
            while let field = try reader.next() {
                switch field.number {
                case 1: id = try reader.string(field)
                case 2: reason = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }

        /// Writes the message.
        public func write(to writer: inout ProtobufWriter) {
            writer.stringIfSet(1, id)
            writer.stringIfSet(2, reason)
        }
    }

    /// `v0.Device`: one discovered device.
    public struct Device: ProtobufMessage {
        /// The device id, unique within the handler's list.
        public var id: String
        /// Given to the device's workload as environment variables.
        public var properties: [String: String]
        /// Host paths to mount into the workload (unused for MQTT devices).
        public var mounts: [Mount]
        /// Device nodes to give the workload (unused for MQTT devices).
        public var deviceSpecs: [DeviceSpec]

        /// A device.
        public init(
            id: String,
            properties: [String: String] = [:],
            mounts: [Mount] = [],
            deviceSpecs: [DeviceSpec] = []
        ) {
            self.id = id
            self.properties = properties
            self.mounts = mounts
            self.deviceSpecs = deviceSpecs
        }

        /// Reads the message.
        public init(from reader: inout ProtobufReader) throws(ProtobufError) {
            self.init(id: "")
            while let field = try reader.next() {
                switch field.number {
                case 1:
                    id = try reader.string(field)
                case 2:
                    let (key, value) = try reader.mapEntry(field, defaultValue: "") {
                        (entry, field) throws(ProtobufError) in try entry.string(field)
                    }
                    properties[key] = value
                case 3:
                    mounts.append(try reader.message(field))
                case 4:
                    deviceSpecs.append(try reader.message(field))
                default:
                    try reader.skip(field)
                }
            }
        }

        /// Writes the message.
        public func write(to writer: inout ProtobufWriter) {
            writer.stringIfSet(1, id)
            writer.map(2, properties) { entry, value in entry.stringIfSet(2, value) }
            for mount in mounts { writer.message(3, mount) }
            for spec in deviceSpecs { writer.message(4, spec) }
        }
    }

    /// `v0.Mount`.
    public struct Mount: ProtobufMessage {
        /// The path inside the container.
        public var containerPath: String
        /// The path on the host.
        public var hostPath: String
        /// Whether the mount is read-only.
        public var readOnly: Bool

        /// A mount.
        public init(containerPath: String, hostPath: String, readOnly: Bool) {
            self.containerPath = containerPath
            self.hostPath = hostPath
            self.readOnly = readOnly
        }

        /// Reads the message.
        public init(from reader: inout ProtobufReader) throws(ProtobufError) {
            self.init(containerPath: "", hostPath: "", readOnly: false)
            while let field = try reader.next() {
                switch field.number {
                case 1: containerPath = try reader.string(field)
                case 2: hostPath = try reader.string(field)
                case 3: readOnly = try reader.varint(field) != 0
                default: try reader.skip(field)
                }
            }
        }

        /// Writes the message.
        public func write(to writer: inout ProtobufWriter) {
            writer.stringIfSet(1, containerPath)
            writer.stringIfSet(2, hostPath)
            writer.boolIfSet(3, readOnly)
        }
    }

    /// `v0.DeviceSpec`.
    public struct DeviceSpec: ProtobufMessage {
        /// The path inside the container.
        public var containerPath: String
        /// The device node on the host.
        public var hostPath: String
        /// Any of `r`, `w`, `m`.
        public var permissions: String

        /// A device spec.
        public init(containerPath: String, hostPath: String, permissions: String) {
            self.containerPath = containerPath
            self.hostPath = hostPath
            self.permissions = permissions
        }

        /// Reads the message.
        public init(from reader: inout ProtobufReader) throws(ProtobufError) {
            self.init(containerPath: "", hostPath: "", permissions: "")
            while let field = try reader.next() {
                switch field.number {
                case 1: containerPath = try reader.string(field)
                case 2: hostPath = try reader.string(field)
                case 3: permissions = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }

        /// Writes the message.
        public func write(to writer: inout ProtobufWriter) {
            writer.stringIfSet(1, containerPath)
            writer.stringIfSet(2, hostPath)
            writer.stringIfSet(3, permissions)
        }
    }
}
