import Protobuf

/// `mqtt_discovery.v1.Frame`: the one message type on the local sockets. Each frame carries
/// exactly one message.
public enum Frame: Hashable, Sendable {
    /// Handler → agent: register this handler.
    case register(RegisterDiscoveryHandlerRequest)
    /// Agent → handler: registration accepted (`v0.Empty`).
    case registered
    /// Agent → handler: start a discovery stream for one Configuration.
    case discover(DiscoverRequest)
    /// Handler → agent: the full current device list.
    case devices(DiscoverResponse)
    /// The request failed; the sender closes the connection after this frame.
    case error(Status)
    /// Watcher → agent: stream instance events.
    case watch(WatchRequest)
    /// Agent → watcher: an instance event.
    case event(InstanceEvent)

    /// The name of the `oneof` case, for messages about frames out of turn.
    public var name: String {
        switch self {
        case .register: "register"
        case .registered: "registered"
        case .discover: "discover"
        case .devices: "devices"
        case .error: "error"
        case .watch: "watch"
        case .event: "event"
        }
    }

    /// Decodes a serialized frame (without its length prefix). As protobuf says for a `oneof`,
    /// when several of its fields are present the last one wins; unknown fields are skipped.
    public init(serialized bytes: ArraySlice<UInt8>) throws(AgentProtocolError) {
        var reader = ProtobufReader(bytes)
        var frame: Frame?
        do {
            while let field = try reader.next() {
                switch field.number {
                case 1: frame = .register(try reader.message(field))
                case 2:
                    try reader.expect(field, .lengthDelimited)
                    _ = try reader.lengthDelimited()  // v0.Empty: its fields, if any, are unknown ones
                    frame = .registered
                case 3: frame = .discover(try reader.message(field))
                case 4: frame = .devices(try reader.message(field))
                case 5: frame = .error(try reader.message(field))
                case 6: frame = .watch(try reader.message(field))
                case 7: frame = .event(try reader.message(field))
                default: try reader.skip(field)
                }
            }
        } catch {
            throw .malformedFrame(error)
        }
        guard let frame else { throw .emptyFrame }
        self = frame
    }

    /// The serialized `v0.DiscoverResponse` of a `devices` frame, without decoding it, so that a
    /// ``DeviceList`` can read only what changed; nil for any other frame, and for the unusual
    /// frame with more than one of `Frame`'s fields (decode those whole, as protobuf says).
    public static func devicesResponse(in bytes: ArraySlice<UInt8>) throws(AgentProtocolError) -> ArraySlice<UInt8>? {
        var reader = ProtobufReader(bytes)
        var response: ArraySlice<UInt8>?
        var messages = 0
        do {
            while let field = try reader.next() {
                if (1...7).contains(field.number) { messages += 1 }
                guard field.number == 4 else {
                    try reader.skip(field)
                    continue
                }
                try reader.expect(field, .lengthDelimited)
                response = try reader.lengthDelimited()
            }
        } catch {
            throw .malformedFrame(error)
        }
        return messages == 1 ? response : nil
    }

    /// The serialized frame, without its length prefix.
    public var serialized: [UInt8] {
        var writer = ProtobufWriter()
        switch self {
        case .register(let request): writer.message(1, request)
        case .registered: writer.bytes(2, [])
        case .discover(let request): writer.message(3, request)
        case .devices(let response): writer.message(4, response)
        case .error(let status): writer.message(5, status)
        case .watch(let request): writer.message(6, request)
        case .event(let event): writer.message(7, event)
        }
        return writer.bytes
    }

    /// The frame as it goes on the wire: a 4-byte big-endian length, then the serialized frame.
    public var framed: [UInt8] {
        Self.framed(serialized)
    }

    /// A `devices` frame, on the wire, from devices already serialized (each a `v0.Device`, as
    /// ``ProtobufMessage/serialized`` gives it): the same bytes as `Frame.devices(…).framed`,
    /// without encoding again the devices that did not change. A handler sends the full list on
    /// every change (Akri semantics), so this keeps a change's cost to copying bytes.
    public static func framedDevices<Devices: Collection<[UInt8]>>(
        _ devices: Devices,
        extensions: [UInt8] = []
    ) -> [UInt8] {
        DiscoverResponse.serialize(devices: devices, extensions: extensions) { responseLength, bytes in
            let length = UInt32(truncatingIfNeeded: 1 + Varint.size(responseLength) + responseLength)
            for shift in [24, 16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: length >> shift)) }
            bytes.append(4 << 3 | WireType.lengthDelimited.rawValue)
            Varint.append(responseLength, to: &bytes)
        }
    }

    private static func framed(_ body: [UInt8]) -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: body.count)
        var bytes: [UInt8] = [
            UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
        bytes.reserveCapacity(4 + body.count)
        bytes.append(contentsOf: body)
        return bytes
    }
}
