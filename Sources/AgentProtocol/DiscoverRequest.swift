public import Protobuf

/// `v0.DiscoverRequest`: the agent asks a handler to discover for one Configuration.
public struct DiscoverRequest: ProtobufMessage {
    /// The Configuration's `discoveryDetails`, as written.
    public var discoveryDetails: String
    /// Its `discoveryProperties`, resolved by the agent: name → bytes (nil: present without a
    /// value, as Akri's `ByteData { vec: None }`).
    public var discoveryProperties: [String: [UInt8]?]
    /// Field 100 (`DiscoverRequestAdditions` in `local_socket.proto`), which Akri's handlers skip
    /// as unknown: the agent reads change responses (``DiscoverResponse/changes``), so a change to
    /// a long list costs the change, and removals carry their reason.
    public var acceptsChanges: Bool

    /// A request.
    public init(
        discoveryDetails: String,
        discoveryProperties: [String: [UInt8]?] = [:],
        acceptsChanges: Bool = false
    ) {
        self.discoveryDetails = discoveryDetails
        self.discoveryProperties = discoveryProperties
        self.acceptsChanges = acceptsChanges
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(discoveryDetails: "")
        while let field = try reader.next() {
            switch field.number {
            case 1:
                discoveryDetails = try reader.string(field)
            case 2:
                let (key, value) = try reader.mapEntry(field, defaultValue: ByteData()) {
                    (entry, field) throws(ProtobufError) in try entry.message(field, as: ByteData.self)
                }
                discoveryProperties[key] = .some(value.vec)
            case 100:
                acceptsChanges = try reader.varint(field) != 0
            default:
                try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        writer.stringIfSet(1, discoveryDetails)
        writer.map(2, discoveryProperties) { entry, value in
            // ByteData { vec: None } is the default value, which prost leaves out.
            if let vec = value { entry.message(2, ByteData(vec: vec)) }
        }
        writer.boolIfSet(100, acceptsChanges)
    }
}

/// `v0.ByteData`: bytes with explicit presence.
public struct ByteData: ProtobufMessage {
    /// The bytes, or nil when absent.
    public var vec: [UInt8]?

    /// A value.
    public init(vec: [UInt8]? = nil) {
        self.vec = vec
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init()
        while let field = try reader.next() {
            switch field.number {
            case 1:
                try reader.expect(field, .lengthDelimited)
                vec = Array(try reader.lengthDelimited())
            default:
                try reader.skip(field)
            }
        }
    }

    /// Writes the message (`vec` whenever present, even empty: it is `optional`).
    public func write(to writer: inout ProtobufWriter) {
        if let vec { writer.bytes(1, vec) }
    }
}
