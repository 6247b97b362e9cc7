/// Reads the fields of one packet body, checking each against the specification.
///
/// A reader borrows `buffer` from `storage.withUnsafeBufferPointer`, so it never outlives that
/// closure. It holds no reference to the storage: a PUBLISH payload is sliced from the storage
/// by the caller, from the range ``readRest()`` returns, once the closure returns.
struct PacketReader {
    let buffer: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    var index: Int
    /// One past the last byte of the current region (the packet, or a property block inside it).
    var end: Int
    let packet: PacketType
    let version: ProtocolVersion

    init(
        buffer: UnsafeBufferPointer<UInt8>,
        body: Range<Int>,
        packet: PacketType,
        version: ProtocolVersion
    ) {
        self.buffer = buffer
        self.index = body.lowerBound
        self.end = body.upperBound
        self.packet = packet
        self.version = version
    }

    /// Bytes left in the current region.
    var remaining: Int { end - index }

    /// An error in this packet.
    func error(_ problem: MQTTCodecError.Problem, _ field: Field, rule: Rule? = nil) -> MQTTCodecError {
        MQTTCodecError(problem, packet: packet, field: field, version: version, rule: rule)
    }

    @inline(__always)
    mutating func take(_ count: Int, _ field: Field) throws(MQTTCodecError) -> Range<Int> {
        guard count <= remaining else {
            throw error(.truncated(needed: count, available: remaining), field, rule: .remainingLength)
        }
        defer { index += count }
        return index..<(index + count)
    }

    // MARK: - Integers (MQTT 5.0 §1.5.2, §1.5.3)

    @inline(__always)
    mutating func readUInt8(_ field: Field) throws(MQTTCodecError) -> UInt8 {
        let range = try take(1, field)
        return buffer[range.lowerBound]
    }

    @inline(__always)
    mutating func readUInt16(_ field: Field) throws(MQTTCodecError) -> UInt16 {
        let range = try take(2, field)
        return UInt16(buffer[range.lowerBound]) << 8 | UInt16(buffer[range.lowerBound + 1])
    }

    mutating func readUInt32(_ field: Field) throws(MQTTCodecError) -> UInt32 {
        let start = try take(4, field).lowerBound
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 8 | UInt32(buffer[start + offset])
        }
        return value
    }

    /// A variable byte integer (MQTT 5.0 §1.5.5).
    mutating func readVariableByteInteger(_ field: Field) throws(MQTTCodecError) -> UInt32 {
        switch VariableByteInteger.parse(buffer, from: index, to: end, requireMinimal: version == .v5) {
        case .value(let value, let length):
            index += length
            return value
        case .incomplete:
            throw error(.truncated(needed: remaining + 1, available: remaining), field, rule: .variableByteInteger)
        case .tooLong:
            throw error(.variableByteIntegerTooLong, field, rule: .variableByteInteger)
        case .notMinimal:
            throw error(.variableByteIntegerNotMinimal, field, rule: .minimalVariableByteInteger)
        }
    }

    /// A packet identifier, which must not be 0 [MQTT-2.2.1-3] (3.1.1: [MQTT-2.3.1-1]).
    mutating func readPacketIdentifier() throws(MQTTCodecError) -> UInt16 {
        let identifier = try readUInt16(.packetIdentifier)
        guard identifier != 0 else {
            throw error(.zeroPacketIdentifier, .packetIdentifier, rule: .nonZeroPacketIdentifier)
        }
        return identifier
    }

    // MARK: - Strings and binary data (MQTT 5.0 §1.5.4, §1.5.6)

    /// A UTF-8 encoded string with its two-byte length.
    mutating func readString(_ field: Field) throws(MQTTCodecError) -> String {
        let length = Int(try readUInt16(field))
        let range = try take(length, field)
        switch UTF8Validation.string(from: UnsafeBufferPointer(rebasing: buffer[range])) {
        case .valid(let string): return string
        case .invalid: throw error(.invalidUTF8, field, rule: .utf8WellFormed)
        case .containsNull: throw error(.nullCharacter, field, rule: .utf8NoNull)
        }
    }

    /// Binary data with its two-byte length, copied out of the buffer.
    mutating func readBinary(_ field: Field) throws(MQTTCodecError) -> [UInt8] {
        let length = Int(try readUInt16(field))
        let range = try take(length, field)
        return Array(buffer[range])
    }

    /// The rest of the current region, to be sliced from the storage without a copy.
    mutating func readRest() -> Range<Int> {
        defer { index = end }
        return index..<end
    }

    // MARK: - Topics (MQTT 5.0 §4.7)

    /// A topic name: a string without wildcards [MQTT-3.3.2-2].
    mutating func readTopicName(
        _ field: Field,
        rule: Rule,
        allowEmpty: Bool = false
    ) throws(MQTTCodecError) -> String {
        let range = try readTopicNameBytes(field, rule: rule, allowEmpty: allowEmpty)
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// A topic name's place in the buffer, its bytes checked but not made into a `String`: a
    /// PUBLISH keeps its topic as a slice of the storage, like its payload.
    ///
    /// This is the hot path of every PUBLISH: one scan of the raw bytes checks for NUL, non-ASCII
    /// and wildcards together, and only unusual names take the slower checks.
    mutating func readTopicNameBytes(
        _ field: Field,
        rule: Rule,
        allowEmpty: Bool = false
    ) throws(MQTTCodecError) -> Range<Int> {
        let length = Int(try readUInt16(field))
        let range = try take(length, field)
        if length == 0 && !allowEmpty {
            throw error(.emptyTopic, field, rule: .topicNotEmpty)
        }
        let bytes = UnsafeBufferPointer(rebasing: buffer[range])
        if UTF8Validation.scan(bytes, forWildcards: true) == .plain {
            return range
        }
        switch UTF8Validation.validate(bytes) {
        case .valid: break
        case .invalid: throw error(.invalidUTF8, field, rule: .utf8WellFormed)
        case .containsNull: throw error(.nullCharacter, field, rule: .utf8NoNull)
        }
        if let problem = TopicName.problem(inUTF8: bytes, allowEmpty: allowEmpty) {
            throw error(problem, field, rule: rule)
        }
        return range
    }

    /// A topic filter, checked against the wildcard rules.
    mutating func readTopicFilter(_ field: Field) throws(MQTTCodecError) -> String {
        let filter = try readString(field)
        if let (problem, rule) = TopicFilter.problem(in: filter, version: version) {
            throw error(problem, field, rule: rule)
        }
        return filter
    }

    // MARK: - End of packet

    /// Fails unless every byte of the packet was read.
    func expectEnd() throws(MQTTCodecError) {
        guard remaining == 0 else {
            throw error(.trailingBytes(remaining), .remainingLength, rule: .remainingLength)
        }
    }
}
