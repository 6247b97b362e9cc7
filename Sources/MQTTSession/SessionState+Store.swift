import MQTTCodec

/// Taking back what a ``SessionStore`` kept from an earlier run.
extension SessionState {
    /// Restores the outgoing messages (in the order they were handed over: those that were sent
    /// go back in flight under their packet identifiers, to be sent again with DUP or published
    /// anew as the broker's session says; the rest wait their turn) and the incoming QoS 2
    /// identifiers already delivered. From now on every change is announced for the store.
    package mutating func restore(_ snapshot: SessionSnapshot) {
        persistent = true
        for message in snapshot.outgoingInOrder {
            nextStoreKey = max(nextStoreKey, message.key + 1)
            if let identifier = message.packetIdentifier, !packetIdentifiers.inUse.contains(identifier) {
                packetIdentifiers.reserve(identifier)
                var packet = message.packet
                packet.packetIdentifier = identifier
                inFlight[identifier] = InFlight(
                    packet: packet,
                    token: nil,
                    released: message.released,
                    storeKey: message.key
                )
            } else {
                queued.append(Queued(packet: message.packet, token: nil, storeKey: message.key))
            }
        }
        incomingQoS2 = snapshot.incomingQoS2
    }

    /// Publishes not yet acknowledged (QoS 1, 2) or not yet sent.
    package var pendingPublishes: Int { inFlight.count + queued.count - queuedHead }
}
