import Protobuf

extension DiscoverResponse {
    /// A serialized `v0.DiscoverResponse` of devices already serialized (each a `v0.Device`), after
    /// a header `header` writes given the response's length: a frame's length and field tag, or
    /// a gRPC message prefix. The bytes are written once into a buffer of the right size, since
    /// a handler sends the full list on every change (Akri semantics) and lists are long.
    /// `extensions` (fields 100–102, see ``extensions(changes:removed:more:)``) follow the devices.
    public static func serialize<Devices: Collection<[UInt8]>>(
        devices: Devices,
        extensions: [UInt8] = [],
        header: (_ responseLength: Int, _ bytes: inout [UInt8]) -> Void
    ) -> [UInt8] {
        let responseLength = serializedLength(devices: devices) + extensions.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + responseLength)
        header(responseLength, &bytes)
        for device in devices {
            bytes.append(1 << 3 | WireType.lengthDelimited.rawValue)
            Varint.append(device.count, to: &bytes)
            bytes.append(contentsOf: device)
        }
        bytes.append(contentsOf: extensions)
        return bytes
    }

    /// The length of the `v0.DiscoverResponse` of devices already serialized.
    public static func serializedLength<Devices: Collection<[UInt8]>>(devices: Devices) -> Int {
        devices.reduce(0) { $0 + serializedLength(device: $1) }
    }

    /// What one serialized device adds to a `v0.DiscoverResponse`: its tag, length and bytes.
    public static func serializedLength(device: [UInt8]) -> Int {
        1 + Varint.size(device.count) + device.count
    }

    /// The list as one gRPC message (a 5-octet prefix, uncompressed, then the response), and the
    /// response's length.
    public static func grpcMessage<Devices: Collection<[UInt8]>>(
        devices: Devices,
        extensions: [UInt8] = []
    ) -> (bytes: [UInt8], length: Int) {
        var length = 0
        let bytes = serialize(devices: devices, extensions: extensions) { responseLength, bytes in
            length = responseLength
            bytes.append(0)
            for shift in [24, 16, 8, 0] { bytes.append(UInt8(truncatingIfNeeded: responseLength >> shift)) }
        }
        return (bytes, length)
    }
}

/// Protobuf's base-128 varints, for writing lengths ahead of what they measure.
enum Varint {
    /// How many octets `value` takes.
    static func size(_ value: Int) -> Int {
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// Appends `value`.
    static func append(_ value: Int, to bytes: inout [UInt8]) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
