/// Where encoded bytes go. The encoder writes each packet twice through the same generic code:
/// once into a ``ByteCounter`` to learn the remaining length, then into the output array, so the
/// fixed header is written first and nothing is moved afterwards.
protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func write<Bytes: Collection<UInt8>>(bytes: Bytes)
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    mutating func write<Bytes: Collection<UInt8>>(bytes: Bytes) {
        append(contentsOf: bytes)
    }
}

/// A sink that only counts.
struct ByteCounter: ByteSink {
    var count = 0

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        count += 1
    }

    @inline(__always)
    mutating func write<Bytes: Collection<UInt8>>(bytes: Bytes) {
        count += bytes.count
    }
}

/// Writes the fields of one packet body, refusing values the specification forbids.
struct PacketWriter<Sink: ByteSink> {
    var sink: Sink
    let packet: PacketType
    let version: ProtocolVersion

    func error(_ problem: MQTTCodecError.Problem, _ field: Field, rule: Rule? = nil) -> MQTTCodecError {
        MQTTCodecError(problem, packet: packet, field: field, version: version, rule: rule)
    }

    @inline(__always)
    mutating func writeUInt8(_ value: UInt8) {
        sink.append(value)
    }

    @inline(__always)
    mutating func writeUInt16(_ value: UInt16) {
        sink.append(UInt8(truncatingIfNeeded: value >> 8))
        sink.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            sink.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    /// A variable byte integer; values above 268,435,455 cannot be encoded.
    mutating func writeVariableByteInteger(_ value: UInt32, _ field: Field) throws(MQTTCodecError) {
        guard value <= VariableByteInteger.maximum else {
            throw error(
                .valueTooLarge(UInt64(value), maximum: UInt64(VariableByteInteger.maximum)),
                field,
                rule: .variableByteInteger
            )
        }
        var rest = value
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest > 0 { byte |= 0x80 }
            sink.append(byte)
        } while rest > 0
    }

    /// A packet identifier; 0 is reserved [MQTT-2.2.1-3].
    mutating func writePacketIdentifier(_ identifier: UInt16) throws(MQTTCodecError) {
        guard identifier != 0 else {
            throw error(.zeroPacketIdentifier, .packetIdentifier, rule: .nonZeroPacketIdentifier)
        }
        writeUInt16(identifier)
    }

    /// A UTF-8 encoded string: at most 65,535 bytes and no U+0000 [MQTT-1.5.4-2]. A Swift
    /// `String` is always well-formed, so only those two rules need checking.
    mutating func writeString(_ string: String, _ field: Field) throws(MQTTCodecError) {
        try writeString(utf8: string.utf8, field)
    }

    /// A string given as its UTF-8, which the caller guarantees is well-formed.
    mutating func writeString(utf8: some Collection<UInt8>, _ field: Field) throws(MQTTCodecError) {
        guard utf8.count <= Int(UInt16.max) else {
            throw error(.stringTooLong(utf8.count), field, rule: .stringLength)
        }
        guard !utf8.contains(0) else {
            throw error(.nullCharacter, field, rule: .utf8NoNull)
        }
        writeUInt16(UInt16(utf8.count))
        sink.write(bytes: utf8)
    }

    /// Binary data with a two-byte length: at most 65,535 bytes.
    mutating func writeBinary<Bytes: Collection<UInt8>>(_ bytes: Bytes, _ field: Field) throws(MQTTCodecError) {
        guard bytes.count <= Int(UInt16.max) else {
            throw error(.stringTooLong(bytes.count), field, rule: .binaryLength)
        }
        writeUInt16(UInt16(bytes.count))
        sink.write(bytes: bytes)
    }

    /// A topic name: not empty (unless `allowEmpty`) and without wildcards.
    mutating func writeTopicName(
        _ topic: String,
        _ field: Field,
        rule: Rule,
        allowEmpty: Bool = false
    ) throws(MQTTCodecError) {
        try writeTopicName(utf8: topic.utf8, field, rule: rule, allowEmpty: allowEmpty)
    }

    /// A topic name given as its UTF-8, which the caller guarantees is well-formed.
    mutating func writeTopicName(
        utf8: some Collection<UInt8>,
        _ field: Field,
        rule: Rule,
        allowEmpty: Bool = false
    ) throws(MQTTCodecError) {
        if let problem = TopicName.problem(inUTF8: utf8, allowEmpty: allowEmpty) {
            throw error(problem, field, rule: problem == .emptyTopic ? .topicNotEmpty : rule)
        }
        try writeString(utf8: utf8, field)
    }

    /// A topic filter, checked against the wildcard rules.
    mutating func writeTopicFilter(_ filter: String, _ field: Field) throws(MQTTCodecError) {
        if let (problem, rule) = TopicFilter.problem(in: filter, version: version) {
            throw error(problem, field, rule: rule)
        }
        try writeString(filter, field)
    }

    /// A reason code, which must be one the packet allows.
    mutating func writeReasonCode(_ code: ReasonCode) throws(MQTTCodecError) {
        guard code.isValid(in: packet, version: version) else {
            throw error(.invalidReasonCode(code.rawValue), .reasonCode(packet))
        }
        sink.append(code.rawValue)
    }
}
