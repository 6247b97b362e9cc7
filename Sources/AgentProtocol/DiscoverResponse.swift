public import Protobuf

/// `v0.DiscoverResponse`: every device present now; each response replaces the previous list.
public struct DiscoverResponse: ProtobufMessage {
    /// The devices.
    public var devices: [Device]

    /// A response.
    public init(devices: [Device]) {
        self.devices = devices
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(devices: [])
        while let field = try reader.next() {
            switch field.number {
            case 1: devices.append(try reader.message(field))
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        for device in devices { writer.message(1, device) }
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
