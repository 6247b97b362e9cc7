/// Turns a byte stream into packets, however the stream is cut into reads.
///
/// Feed it each read with ``append(_:)`` and call ``next()`` until it returns `nil`. A packet split
/// across reads at any byte, or many packets in one read, decode the same. Packets that lie wholly
/// inside one appended array are decoded in place and their PUBLISH payloads are slices of that
/// array: no byte is copied. Only a packet that straddles two reads is gathered into a buffer of
/// its own.
///
/// Memory stays bounded: the size in a packet's fixed header is checked against
/// ``maximumPacketSize`` before any of its body is buffered, and an oversized packet is skipped
/// as it arrives, never stored. Under MQTT 3.1.1, of an oversized PUBLISH the decoder keeps just its
/// first bytes (topic and packet identifier, at most 65,539) and reports them with the error
/// (``MQTTCodecError/skippedPublish``): a 3.1.1 broker may send up to 256 MB and the client cannot
/// say it takes less (MQTT 3.1.1 §2.2.3), so the receiver acknowledges such a message and carries
/// on. Under 5.0 the receiver announced its maximum, and a larger packet is a protocol error.
///
/// After an error in a packet's body, or an oversized packet, the decoder resumes at the next
/// packet. After an error in a fixed header (a reserved type, wrong flags, a remaining length
/// longer than four bytes) the stream cannot be resynchronised: the decoder drops what it holds
/// and throws the same error from then on. Either way the specification asks the receiver to
/// close the connection (MQTT 5.0 §4.13); the choice is the caller's.
public struct PacketDecoder: Sendable {
    /// 268,435,460 bytes: the largest packet the protocol can express (a one-byte type, a four-byte
    /// remaining length, and 268,435,455 bytes after them).
    public static let protocolMaximumPacketSize = 1 + 4 + Int(VariableByteInteger.maximum)

    /// The version whose rules apply. Decoding a CONNECT switches it to that packet's version, so a
    /// server-side decoder follows the client.
    public var version: ProtocolVersion
    /// Packets larger than this, fixed header included, are refused (MQTT 5.0 Maximum Packet Size).
    public var maximumPacketSize: Int

    /// The array packets are being decoded from in place, and how far it has been read.
    private var storage: [UInt8] = []
    private var readIndex = 0
    /// The start of a packet that continues beyond `storage`.
    private var pending: [UInt8] = []
    /// Bytes of an oversized packet still to be skipped.
    private var discarding = 0
    /// An oversized PUBLISH whose first bytes (topic, packet identifier) are being read before the
    /// rest is skipped.
    private var skipping: (header: FixedHeader, error: MQTTCodecError, collected: [UInt8])?
    /// Set once the stream cannot be resynchronised.
    private var failure: MQTTCodecError?

    /// A decoder for a stream of `version` packets of at most `maximumPacketSize` bytes.
    public init(version: ProtocolVersion = .v5, maximumPacketSize: Int = Self.protocolMaximumPacketSize) {
        self.version = version
        self.maximumPacketSize = maximumPacketSize
    }

    /// Whether the stream could not be resynchronised after an error in a fixed header: every
    /// further ``next()`` throws that error again.
    public var hasFailed: Bool { failure != nil }

    /// The bytes held but not yet decoded.
    public var bufferedByteCount: Int {
        storage.count - readIndex + pending.count
    }

    /// Adds bytes read from the stream. Passing an array the caller no longer needs lets packets
    /// be decoded from it in place.
    public mutating func append(_ bytes: [UInt8]) {
        guard failure == nil, !bytes.isEmpty else { return }
        if readIndex == storage.count {
            storage = bytes
        } else {
            storage = Array(storage[readIndex...]) + bytes
        }
        readIndex = 0
    }

    /// Adds bytes read from the stream, copying them.
    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        append(Array(bytes))
    }

    /// The next complete packet, or `nil` when more bytes are needed.
    ///
    /// - Throws: ``MQTTCodecError`` for a packet that breaks the specification.
    public mutating func next() throws(MQTTCodecError) -> Packet? {
        if let failure { throw failure }
        defer {
            // Let go of a fully read array; payload slices keep what they need of it.
            if readIndex == storage.count && !storage.isEmpty {
                storage = []
                readIndex = 0
            }
        }
        if skipping != nil { return try continueSkipping() }
        if discarding > 0 && !skipDiscarded() { return nil }
        if !pending.isEmpty {
            return try completePending()
        }
        guard readIndex < storage.count else { return nil }

        let header = try parseHeader(in: storage, from: readIndex)
        guard let header else {
            moveRestToPending()
            return nil
        }
        do {
            try header.check(maximumPacketSize: maximumPacketSize, version: version)
        } catch {
            if case .packetTooLarge = error.problem, header.type == .publish, version == .v311 {
                readIndex += header.length
                skipping = (header, error, [])
                return try continueSkipping()
            }
            discarding = header.totalLength
            _ = skipDiscarded()
            throw error
        }
        guard header.totalLength <= storage.count - readIndex else {
            moveRestToPending()
            return nil
        }
        let start = readIndex
        readIndex += header.totalLength
        return try decode(header, from: storage, at: start)
    }

    /// Adds bytes from `storage` to the straddling packet in `pending` and decodes it once whole.
    private mutating func completePending() throws(MQTTCodecError) -> Packet? {
        // The header is at most five bytes: take them one at a time so no byte of the next packet
        // is taken by mistake.
        var header = try parseHeader(in: pending, from: 0)
        while header == nil {
            guard readIndex < storage.count else { return nil }
            pending.append(storage[readIndex])
            readIndex += 1
            header = try parseHeader(in: pending, from: 0)
        }
        guard let header else { return nil }
        do {
            try header.check(maximumPacketSize: maximumPacketSize, version: version)
        } catch {
            if case .packetTooLarge = error.problem, header.type == .publish, version == .v311 {
                skipping = (header, error, Array(pending[header.length...]))
                pending = []
                return try continueSkipping()
            }
            discarding = header.totalLength - pending.count
            pending = []
            throw error
        }
        // `pending` grows only by bytes that have arrived: reserving the size the header declares
        // would let a peer claim memory it never sends.
        let wanted = min(header.totalLength - pending.count, storage.count - readIndex)
        if wanted > 0 {
            pending.append(contentsOf: storage[readIndex..<(readIndex + wanted)])
            readIndex += wanted
        }
        guard pending.count == header.totalLength else { return nil }
        let bytes = pending
        pending = []
        return try decode(header, from: bytes, at: 0)
    }

    /// Reads an oversized PUBLISH's topic and packet identifier as they arrive, then throws its
    /// error with them and skips the rest of the packet.
    private mutating func continueSkipping() throws(MQTTCodecError) -> Packet? {
        guard let (header, skippedError, alreadyCollected) = skipping else { return nil }
        var error = skippedError
        var collected = alreadyCollected
        let bodyLength = header.totalLength - header.length
        let qos = QoS(rawValue: (header.flags >> PublishPacket.Flags.qosShift) & 0x03) ?? .atMostOnce
        // Topic length (2), topic, and the packet identifier (2) when QoS > 0.
        func needed() -> Int {
            guard collected.count >= 2 else { return 2 }
            return 2 + (Int(collected[0]) << 8 | Int(collected[1])) + (qos == .atMostOnce ? 0 : 2)
        }
        while collected.count < min(needed(), bodyLength) {
            guard readIndex < storage.count else {
                skipping = (header, error, collected)
                return nil
            }
            let take = min(min(needed(), bodyLength) - collected.count, storage.count - readIndex)
            collected.append(contentsOf: storage[readIndex..<(readIndex + take)])
            readIndex += take
        }
        skipping = nil
        discarding = bodyLength - collected.count
        _ = skipDiscarded()
        if collected.count >= needed() {
            let topicEnd = needed() - (qos == .atMostOnce ? 0 : 2)
            error.skippedPublish = MQTTCodecError.SkippedPublish(
                topic: Array(collected[2..<topicEnd]),
                qos: qos,
                packetIdentifier: qos == .atMostOnce
                    ? nil : UInt16(collected[topicEnd]) << 8 | UInt16(collected[topicEnd + 1]),
                size: header.totalLength
            )
        }
        throw error
    }

    private mutating func moveRestToPending() {
        pending.append(contentsOf: storage[readIndex...])
        readIndex = storage.count
    }

    /// Drops the bytes of an oversized packet that have arrived; whether all of it is gone.
    private mutating func skipDiscarded() -> Bool {
        let skipped = min(discarding, storage.count - readIndex)
        readIndex += skipped
        discarding -= skipped
        return discarding == 0
    }

    /// The fixed header at `bytes[start...]`, `nil` if incomplete. An error here is final.
    private mutating func parseHeader(in bytes: [UInt8], from start: Int) throws(MQTTCodecError) -> FixedHeader? {
        let version = self.version
        do {
            let parse = try bytes.withUnsafeBufferPointer { (buffer) throws(MQTTCodecError) in
                try FixedHeader.parse(buffer, from: start, to: buffer.count, version: version)
            }
            guard case .header(let header) = parse else { return nil }
            return header
        } catch {
            failure = error
            storage = []
            readIndex = 0
            pending = []
            throw error
        }
    }

    private mutating func decode(
        _ header: FixedHeader,
        from bytes: [UInt8],
        at start: Int
    ) throws(MQTTCodecError) -> Packet {
        let body = (start + header.length)..<(start + header.totalLength)
        let packet = try Packet.decode(header, from: bytes, body: body, version: version)
        if case .connect(let connect) = packet {
            version = connect.protocolVersion
        }
        return packet
    }
}
