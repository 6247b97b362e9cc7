/// The first two to five bytes of every packet: type, flags and remaining length
/// (MQTT 3.1.1 §2.2, MQTT 5.0 §2.1).
struct FixedHeader: Equatable {
    let type: PacketType
    let flags: UInt8
    /// The number of bytes after the fixed header.
    let remainingLength: Int
    /// The number of bytes of the fixed header itself (2 to 5).
    let length: Int

    /// The number of bytes of the whole packet.
    var totalLength: Int { length + remainingLength }

    enum Parse: Equatable {
        case header(FixedHeader)
        case incomplete
    }

    /// Reads a fixed header from `bytes[start..<end]`.
    ///
    /// The type and flags are checked on the first byte, before the length is known, so garbage is
    /// refused at once. Errors from here leave the stream impossible to resynchronise.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int,
        to end: Int,
        version: ProtocolVersion
    ) throws(MQTTCodecError) -> Parse {
        guard start < end else { return .incomplete }
        let first = bytes[start]
        let rawType = first >> 4
        let flags = first & 0x0F
        guard let type = PacketType(rawValue: rawType), type.exists(in: version) else {
            throw MQTTCodecError(
                .reservedPacketType(rawType),
                packet: nil,
                field: .packetType,
                version: version,
                rule: .packetType
            )
        }
        if let required = type.requiredFlags, flags != required {
            throw MQTTCodecError(
                .invalidFlags(flags),
                packet: type,
                field: .flags,
                version: version,
                rule: .reservedFlags
            )
        }
        switch VariableByteInteger.parse(bytes, from: start + 1, to: end, requireMinimal: version == .v5) {
        case .incomplete:
            return .incomplete
        case .value(let remaining, let length):
            return .header(FixedHeader(type: type, flags: flags, remainingLength: Int(remaining), length: 1 + length))
        case .tooLong:
            throw MQTTCodecError(
                .variableByteIntegerTooLong,
                packet: type,
                field: .remainingLength,
                version: version,
                rule: .remainingLength
            )
        case .notMinimal:
            throw MQTTCodecError(
                .variableByteIntegerNotMinimal,
                packet: type,
                field: .remainingLength,
                version: version,
                rule: .minimalVariableByteInteger
            )
        }
    }

    /// Checks what can be checked before the body is read: the packet size against `maximum`, and
    /// PUBLISH's QoS and DUP bits. After these errors the packet can be skipped.
    func check(maximumPacketSize maximum: Int, version: ProtocolVersion) throws(MQTTCodecError) {
        if totalLength > maximum {
            throw MQTTCodecError(
                .packetTooLarge(size: totalLength, maximum: maximum),
                packet: type,
                field: .packet,
                version: version
            )
        }
        guard type == .publish else { return }
        let qos = (flags >> PublishPacket.Flags.qosShift) & 0x03
        if qos == 3 {
            throw MQTTCodecError(.invalidQoS(qos), packet: type, field: .qos, version: version, rule: .publishQoS)
        }
        if qos == 0 && flags & PublishPacket.Flags.duplicate != 0 {
            throw MQTTCodecError(.duplicateFlagWithQoS0, packet: type, field: .dup, version: version, rule: .publishDUP)
        }
    }
}
