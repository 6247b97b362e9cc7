/// An MQTT control packet of either version, in either direction.
public enum Packet: Hashable, Sendable {
    // CONNECT and CONNACK are large and rare: boxing them keeps every `Packet` small, which
    // matters for the PUBLISH packets that make up nearly all traffic.

    /// CONNECT (client to server).
    indirect case connect(ConnectPacket)
    /// CONNACK (server to client).
    indirect case connack(ConnAckPacket)
    /// PUBLISH (both ways).
    case publish(PublishPacket)
    /// PUBACK: QoS 1 acknowledgement.
    case puback(PubAckPacket)
    /// PUBREC: QoS 2, first acknowledgement.
    case pubrec(PubAckPacket)
    /// PUBREL: QoS 2 release.
    case pubrel(PubAckPacket)
    /// PUBCOMP: QoS 2, final acknowledgement.
    case pubcomp(PubAckPacket)
    /// SUBSCRIBE (client to server).
    case subscribe(SubscribePacket)
    /// SUBACK (server to client).
    case suback(SubAckPacket)
    /// UNSUBSCRIBE (client to server).
    case unsubscribe(UnsubscribePacket)
    /// UNSUBACK (server to client).
    case unsuback(UnsubAckPacket)
    /// PINGREQ (client to server).
    case pingreq
    /// PINGRESP (server to client).
    case pingresp
    /// DISCONNECT (client to server; also server to client in 5.0).
    case disconnect(DisconnectPacket)
    /// AUTH (MQTT 5.0, both ways).
    case auth(AuthPacket)

    /// The packet's type.
    public var type: PacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        case .auth: .auth
        }
    }
}

// MARK: - Encoding

extension Packet {
    /// Appends the packet's bytes to `buffer`.
    ///
    /// The packet is checked as the decoder would check it, so nothing a strict peer would
    /// reject is written. CONNECT is always written in its own ``ConnectPacket/protocolVersion``.
    ///
    /// - Parameters:
    ///   - version: The protocol version of the connection.
    ///   - buffer: Where the bytes go; on error it is left as it was.
    ///   - maximumPacketSize: The largest packet the peer accepts (MQTT 5.0 Maximum Packet Size).
    /// - Throws: ``MQTTCodecError`` naming the field and rule the packet breaks, or
    ///   ``MQTTCodecError/Problem/packetTooLarge(size:maximum:)``.
    public func encode(
        version: ProtocolVersion,
        into buffer: inout [UInt8],
        maximumPacketSize: Int = PacketDecoder.protocolMaximumPacketSize
    ) throws(MQTTCodecError) {
        let type = self.type
        let version: ProtocolVersion =
            if case .connect(let connect) = self { connect.protocolVersion } else { version }
        guard type.exists(in: version) else {
            throw MQTTCodecError(.notInVersion, packet: type, field: .packetType, version: version, rule: .packetType)
        }

        var counter = PacketWriter(sink: ByteCounter(), packet: type, version: version)
        try writeBody(to: &counter)
        let remaining = counter.sink.count
        let total = 1 + VariableByteInteger.size(of: UInt32(clamping: remaining)) + remaining
        guard remaining <= VariableByteInteger.maximum, total <= maximumPacketSize else {
            throw MQTTCodecError(
                .packetTooLarge(size: total, maximum: min(maximumPacketSize, PacketDecoder.protocolMaximumPacketSize)),
                packet: type,
                field: .packet,
                version: version
            )
        }

        let start = buffer.count
        var writer = PacketWriter(sink: [UInt8](), packet: type, version: version)
        swap(&writer.sink, &buffer)
        defer { swap(&writer.sink, &buffer) }
        // Grow geometrically: reserving exactly what each packet needs would reallocate on every
        // append and make encoding many packets into one buffer quadratic.
        if writer.sink.capacity < start + total {
            writer.sink.reserveCapacity(max(start + total, writer.sink.capacity * 2))
        }
        do {
            writer.writeUInt8(type.rawValue << 4 | fixedHeaderFlags)
            try writer.writeVariableByteInteger(UInt32(remaining), .remainingLength)
            try writeBody(to: &writer)
        } catch {
            // Unreachable in practice: the counting pass ran the same checks.
            writer.sink.removeSubrange(start...)
            throw error
        }
    }

    /// The number of bytes the packet encodes to, fixed header included, after the same checks
    /// ``encode(version:into:maximumPacketSize:)`` makes; nothing is written.
    public func encodedSize(version: ProtocolVersion) throws(MQTTCodecError) -> Int {
        let version: ProtocolVersion =
            if case .connect(let connect) = self { connect.protocolVersion } else { version }
        var counter = PacketWriter(sink: ByteCounter(), packet: type, version: version)
        try writeBody(to: &counter)
        let remaining = counter.sink.count
        return 1 + VariableByteInteger.size(of: UInt32(clamping: remaining)) + remaining
    }

    /// The packet's bytes. See ``encode(version:into:maximumPacketSize:)``.
    public func encoded(version: ProtocolVersion) throws(MQTTCodecError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(version: version, into: &bytes)
        return bytes
    }

    private var fixedHeaderFlags: UInt8 {
        if case .publish(let publish) = self { return publish.fixedHeaderFlags }
        return type.requiredFlags ?? 0
    }

    private func writeBody<Sink: ByteSink>(to writer: inout PacketWriter<Sink>) throws(MQTTCodecError) {
        switch self {
        case .connect(let packet): try packet.write(to: &writer)
        case .connack(let packet): try packet.write(to: &writer)
        case .publish(let packet): try packet.write(to: &writer)
        case .puback(let packet), .pubrec(let packet), .pubrel(let packet), .pubcomp(let packet):
            try packet.write(to: &writer)
        case .subscribe(let packet): try packet.write(to: &writer)
        case .suback(let packet), .unsuback(let packet): try packet.write(to: &writer)
        case .unsubscribe(let packet): try packet.write(to: &writer)
        case .pingreq, .pingresp: break
        case .disconnect(let packet): try packet.write(to: &writer)
        case .auth(let packet): try packet.write(to: &writer)
        }
    }
}

// MARK: - Decoding

extension Packet {
    /// Decodes the body `storage[body]` of a packet whose fixed header was already checked.
    /// A PUBLISH, the packet nearly every read holds: its topic and payload are sliced from the
    /// storage here, outside the closure, so they share it rather than copying it.
    private static func decodePublish(
        _ header: FixedHeader,
        from storage: [UInt8],
        body: Range<Int>,
        version: ProtocolVersion
    ) throws(MQTTCodecError) -> Packet {
        var properties: Box<PublishProperties>?
        let head = try storage.withUnsafeBufferPointer { (buffer) throws(MQTTCodecError) in
            var reader = PacketReader(buffer: buffer, body: body, packet: .publish, version: version)
            return try PublishPacket.readHead(from: &reader, flags: header.flags, properties: &properties)
        }
        return .publish(PublishPacket.decoded(head, properties: properties, flags: header.flags, storage: storage))
    }

    static func decode(
        _ header: FixedHeader,
        from storage: [UInt8],
        body: Range<Int>,
        version: ProtocolVersion
    ) throws(MQTTCodecError) -> Packet {
        if header.type == .publish {
            return try decodePublish(header, from: storage, body: body, version: version)
        }
        return try storage.withUnsafeBufferPointer { (buffer) throws(MQTTCodecError) -> Packet in
            var reader = PacketReader(buffer: buffer, body: body, packet: header.type, version: version)
            switch header.type {
            case .connect: return .connect(try ConnectPacket(from: &reader))
            case .connack: return .connack(try ConnAckPacket(from: &reader))
            case .publish: preconditionFailure("PUBLISH is decoded above")
            case .puback: return .puback(try PubAckPacket(from: &reader))
            case .pubrec: return .pubrec(try PubAckPacket(from: &reader))
            case .pubrel: return .pubrel(try PubAckPacket(from: &reader))
            case .pubcomp: return .pubcomp(try PubAckPacket(from: &reader))
            case .subscribe: return .subscribe(try SubscribePacket(from: &reader))
            case .suback: return .suback(try SubAckPacket(from: &reader))
            case .unsubscribe: return .unsubscribe(try UnsubscribePacket(from: &reader))
            case .unsuback: return .unsuback(try SubAckPacket(from: &reader))
            case .pingreq:
                try reader.expectEnd()
                return .pingreq
            case .pingresp:
                try reader.expectEnd()
                return .pingresp
            case .disconnect: return .disconnect(try DisconnectPacket(from: &reader))
            case .auth: return .auth(try AuthPacket(from: &reader))
            }
        }
    }
}
