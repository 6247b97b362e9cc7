public import Protobuf

/// `v0.RegisterDiscoveryHandlerRequest`: a discovery handler announces itself to the agent.
public struct RegisterDiscoveryHandlerRequest: ProtobufMessage {
    /// The handler's name, as Configurations use it (`mqtt`).
    public var name: String
    /// Where the handler serves Discover: the absolute path of its socket, for UDS.
    public var endpoint: String
    /// How to reach the endpoint.
    public var endpointType: EndpointType
    /// Whether a device can be used from several nodes.
    public var shared: Bool

    /// `v0.RegisterDiscoveryHandlerRequest.EndpointType`; an open enum, as proto3 enums are.
    public struct EndpointType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire value.
        public var rawValue: Int32
        /// A value.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// A Unix domain socket path.
        public static let uds = EndpointType(rawValue: 0)
        /// A network address.
        public static let network = EndpointType(rawValue: 1)

        /// `UDS`, `NETWORK`, or the number.
        public var description: String {
            switch self {
            case .uds: "UDS"
            case .network: "NETWORK"
            default: "\(rawValue)"
            }
        }
    }

    /// A request.
    public init(name: String, endpoint: String, endpointType: EndpointType = .uds, shared: Bool) {
        self.name = name
        self.endpoint = endpoint
        self.endpointType = endpointType
        self.shared = shared
    }

    /// Reads the message.
    public init(from reader: inout ProtobufReader) throws(ProtobufError) {
        self.init(name: "", endpoint: "", shared: false)
        while let field = try reader.next() {
            switch field.number {
            case 1: name = try reader.string(field)
            case 2: endpoint = try reader.string(field)
            case 3: endpointType = EndpointType(rawValue: Int32(truncatingIfNeeded: try reader.varint(field)))
            case 4: shared = try reader.varint(field) != 0
            default: try reader.skip(field)
            }
        }
    }

    /// Writes the message.
    public func write(to writer: inout ProtobufWriter) {
        writer.stringIfSet(1, name)
        writer.stringIfSet(2, endpoint)
        if endpointType != .uds { writer.int(3, Int64(endpointType.rawValue)) }
        writer.boolIfSet(4, shared)
    }
}
