package import MQTTCodec

/// A change to the part of the session the client keeps on disk when it has a
/// ``SessionStore``: its outgoing QoS 1 and 2 messages until the broker has them, and the
/// identifiers of incoming QoS 2 messages already delivered (MQTT 5.0 §4.1: the client's session
/// state). The session state machine announces each change before the packets that depend on it,
/// so the store is written ahead of the network.
package enum SessionStoreChange: Hashable, Sendable {
    /// The application handed over a QoS 1 or 2 message; `key` numbers it in order.
    case accepted(key: UInt64, PublishPacket)
    /// The message was sent with this packet identifier.
    case sent(key: UInt64, packetIdentifier: UInt16)
    /// PUBREC came for the QoS 2 message: only PUBREL and PUBCOMP remain [MQTT-4.3.3-3].
    case released(key: UInt64)
    /// The broker acknowledged the message, or refused it for good: nothing more to send.
    case finished(key: UInt64)
    /// An incoming QoS 2 message was delivered; until PUBREL, its identifier is not delivered again.
    case received(packetIdentifier: UInt16)
    /// PUBREL came for an incoming QoS 2 message.
    case receivedReleased(packetIdentifier: UInt16)
    /// The broker lost the session: no incoming QoS 2 exchange survives it.
    case receivedCleared
}

/// What a ``SessionStore`` holds: the live part of the session, rebuilt from its changes.
package struct SessionSnapshot: Hashable, Sendable {
    /// An outgoing message the broker does not have yet.
    package struct Outgoing: Hashable, Sendable {
        package var key: UInt64
        package var packet: PublishPacket
        /// The identifier it was last sent with, if it was sent.
        package var packetIdentifier: UInt16?
        package var released = false
    }

    /// An empty snapshot.
    package init() {}

    package private(set) var outgoing: [UInt64: Outgoing] = [:]
    package private(set) var incomingQoS2: Set<UInt16> = []

    /// The outgoing messages in the order the application handed them over.
    package var outgoingInOrder: [Outgoing] {
        outgoing.values.sorted { $0.key < $1.key }
    }

    /// Whether nothing is kept.
    package var isEmpty: Bool { outgoing.isEmpty && incomingQoS2.isEmpty }

    package mutating func apply(_ change: SessionStoreChange) {
        switch change {
        case .accepted(let key, let packet):
            outgoing[key] = Outgoing(key: key, packet: packet)
        case .sent(let key, let identifier):
            outgoing[key]?.packetIdentifier = identifier
            outgoing[key]?.released = false
        case .released(let key):
            outgoing[key]?.released = true
        case .finished(let key):
            outgoing[key] = nil
        case .received(let identifier):
            incomingQoS2.insert(identifier)
        case .receivedReleased(let identifier):
            incomingQoS2.remove(identifier)
        case .receivedCleared:
            incomingQoS2 = []
        }
    }

    /// The changes that rebuild this snapshot from nothing (what compaction writes).
    package var changes: [SessionStoreChange] {
        var changes: [SessionStoreChange] = []
        for message in outgoingInOrder {
            changes.append(.accepted(key: message.key, message.packet))
            if let identifier = message.packetIdentifier {
                changes.append(.sent(key: message.key, packetIdentifier: identifier))
            }
            if message.released { changes.append(.released(key: message.key)) }
        }
        for identifier in incomingQoS2.sorted() { changes.append(.received(packetIdentifier: identifier)) }
        return changes
    }
}

extension SessionStoreChange {
    /// The change as a record body: a kind byte, then its fields, big-endian; an accepted
    /// message is kept as its MQTT 5.0 PUBLISH packet, so every property survives.
    package func encoded() throws(MQTTCodecError) -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ key: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: key >> shift)) }
        }
        func append(identifier: UInt16) {
            bytes += [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
        }
        switch self {
        case .accepted(let key, let packet):
            bytes.append(1)
            append(key)
            var packet = packet
            packet.packetIdentifier = packet.qos == .atMostOnce ? nil : 1
            packet.duplicate = false
            bytes += try Packet.publish(packet).encoded(version: .v5)
        case .sent(let key, let identifier):
            bytes.append(2)
            append(key)
            append(identifier: identifier)
        case .released(let key):
            bytes.append(3)
            append(key)
        case .finished(let key):
            bytes.append(4)
            append(key)
        case .received(let identifier):
            bytes.append(5)
            append(identifier: identifier)
        case .receivedReleased(let identifier):
            bytes.append(6)
            append(identifier: identifier)
        case .receivedCleared:
            bytes.append(7)
        }
        return bytes
    }

    /// Reads a record body written by ``encoded()``; nil when it is not one.
    package init?(record body: ArraySlice<UInt8>) {
        guard let kind = body.first else { return nil }
        let fields = body.dropFirst()
        func key() -> UInt64? {
            guard fields.count >= 8 else { return nil }
            return fields.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        func identifier(at offset: Int) -> UInt16? {
            guard fields.count == offset + 2 else { return nil }
            let start = fields.startIndex + offset
            return UInt16(fields[start]) << 8 | UInt16(fields[start + 1])
        }
        switch kind {
        case 1:
            guard let key = key() else { return nil }
            var decoder = PacketDecoder(version: .v5)
            decoder.append(contentsOf: fields.dropFirst(8))
            guard case .publish(var packet)? = try? decoder.next(), decoder.bufferedByteCount == 0 else { return nil }
            packet.packetIdentifier = nil
            self = .accepted(key: key, packet)
        case 2:
            guard let key = key(), let identifier = identifier(at: 8), identifier != 0 else { return nil }
            self = .sent(key: key, packetIdentifier: identifier)
        case 3:
            guard fields.count == 8, let key = key() else { return nil }
            self = .released(key: key)
        case 4:
            guard fields.count == 8, let key = key() else { return nil }
            self = .finished(key: key)
        case 5:
            guard let identifier = identifier(at: 0), identifier != 0 else { return nil }
            self = .received(packetIdentifier: identifier)
        case 6:
            guard let identifier = identifier(at: 0), identifier != 0 else { return nil }
            self = .receivedReleased(packetIdentifier: identifier)
        case 7:
            guard fields.isEmpty else { return nil }
            self = .receivedCleared
        default:
            return nil
        }
    }
}
