public import Protobuf

/// `mqtt_discovery.v1.Instance`: one discovered device of one Configuration, as Akri's Instance
/// resource describes it.
public struct Instance: ProtobufMessage {
    /// `<configuration>-<6 hex digits>`, as Akri names instances.
    public var name: String
    /// The Configuration's name.
    public var configuration: String
    /// The device, with the properties its workload gets.
    public var device: DiscoverResponse.Device
    /// Whether the device can be used from several nodes.
    public var shared: Bool
    /// The nodes that can see the device.
    public var nodes: [String]
    /// How many workloads may use the device at once: the Configuration's `spec.capacity`.
    public var capacity: Int

    /// An instance.
    public init(
        name: String,
        configuration: String,
        device: DiscoverResponse.Device,
        shared: Bool,
        nodes: [String],
        capacity: Int = 1
    ) {
        self.name = name
        self.configuration = configuration
        self.device = device
        self.shared = shared
        self.nodes = nodes
        self.capacity = capacity
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(
            name: "",
            configuration: "",
            device: DiscoverResponse.Device(id: ""),
            shared: false,
            nodes: [],
            capacity: 0
        )
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: configuration = try reader.string(field)
            case 3: device = try reader.message(field)
            case 4: shared = try reader.varint(field) != 0
            case 5: nodes.append(try reader.string(field))
            case 6: capacity = Int(Int32(truncatingIfNeeded: try reader.varint(field)))
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        writer.stringIfSet(1, name)
        writer.stringIfSet(2, configuration)
        writer.message(3, device)
        writer.boolIfSet(4, shared)
        for node in nodes { writer.string(5, node) }
        if capacity != 0 { writer.int(6, Int64(capacity)) }
    }
}

/// `mqtt_discovery.v1.InstanceEvent`: what happened to an instance, for watchers.
public struct InstanceEvent: ProtobufMessage {
    /// What happened.
    public var kind: Kind
    /// The instance (for ``Kind/synced``, empty).
    public var instance: Instance?
    /// Why, when known: for a removal, what the agent saw (the handler stopped reporting the
    /// device, no Discover stream past the offline grace, the Configuration refused). Empty otherwise.
    public var reason: String = ""

    /// `InstanceEvent.Kind`, an open enum.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire value.
        public var rawValue: Int32
        /// A kind.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// The instance appeared.
        public static let added = Kind(rawValue: 0)
        /// Its device's properties changed.
        public static let updated = Kind(rawValue: 1)
        /// The instance is gone.
        public static let removed = Kind(rawValue: 2)
        /// Every current instance has been sent; live events follow.
        public static let synced = Kind(rawValue: 3)

        /// `added`, `updated`, `removed`, `synced`, or the number.
        public var description: String {
            switch self {
            case .added: "added"
            case .updated: "updated"
            case .removed: "removed"
            case .synced: "synced"
            default: "\(rawValue)"
            }
        }
    }

    /// An event.
    public init(_ kind: Kind, _ instance: Instance?, reason: String = "") {
        self.kind = kind
        self.instance = instance
        self.reason = reason
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(.added, nil)
        while let field = try reader.next() {
            switch field.number {
            case 1: kind = Kind(rawValue: Int32(truncatingIfNeeded: try reader.varint(field)))
            case 2: instance = try reader.message(field)
            case 3: reason = try reader.string(field)
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        if kind != .added { writer.int(1, Int64(kind.rawValue)) }
        if let instance { writer.message(2, instance) }
        writer.stringIfSet(3, reason)
    }
}

/// `mqtt_discovery.v1.WatchRequest`: stream instance events.
public struct WatchRequest: ProtobufMessage {
    /// The Configuration to watch; empty for all.
    public var configuration: String

    /// A request.
    public init(configuration: String = "") {
        self.configuration = configuration
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init()
        while let field = try reader.next() {
            switch field.number {
            case 1: configuration = try reader.string(field)
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        writer.stringIfSet(1, configuration)
    }
}
