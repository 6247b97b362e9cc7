package import MQTTCodec

/// The client side of an MQTT session as a state machine: no sockets, no clock, no threads.
///
/// The driver tells it what happened (a connection opened or closed, a packet arrived, the
/// application asked for something, time passed) and carries out the actions it appends, in
/// order. Actions go into a buffer the driver reuses, so handling a message allocates nothing
/// here. Everything the protocol requires of a client lives in this type and its extensions, so it
/// is all tested with handmade packets and instants.
package struct SessionState {
    /// The configuration; the client identifier changes if the broker assigns one.
    package private(set) var configuration: SessionConfiguration

    enum Phase: Equatable {
        /// No connection.
        case idle
        /// CONNECT sent; CONNACK expected by the deadline.
        case awaitingConnAck(deadline: Instant)
        /// The session is up.
        case connected
        /// DISCONNECT sent; the connection is closing for good.
        case stopping
    }

    var phase: Phase = .idle

    /// What the broker allows, from CONNACK (MQTT 5.0 §3.2.2.3).
    package struct BrokerLimits: Equatable {
        package var receiveMaximum: UInt16 = .max
        package var maximumPacketSize = PacketDecoder.protocolMaximumPacketSize
        package var maximumQoS: QoS = .exactlyOnce
        package var retainAvailable = true
        package var keepAlive: UInt16
    }

    package private(set) var limits: BrokerLimits

    // Outgoing QoS 1 and 2.
    struct InFlight {
        var packet: PublishPacket
        let token: RequestToken?
        /// QoS 2 after PUBREC: PUBREL sent, PUBCOMP awaited.
        var released = false
        /// Its key in the session store; 0 when there is none.
        var storeKey: UInt64 = 0
    }

    /// A publish not yet sent.
    struct Queued {
        var packet: PublishPacket
        var token: RequestToken?
        /// Its key in the session store; 0 when there is none.
        var storeKey: UInt64 = 0
    }

    var packetIdentifiers = PacketIdentifiers()
    var inFlight = OrderedQueue<InFlight>()
    /// Publishes waiting for the connection or for send quota (the broker's Receive Maximum).
    var queued: [Queued] = []
    var queuedHead = 0
    /// How many more QoS 1/2 publishes may be sent before acknowledgements come back [MQTT-4.9.0-2].
    var sendQuota = Int(UInt16.max)

    /// Whether the session is kept in a ``SessionStore``: then every change to what must survive
    /// a restart is announced with a ``SessionAction/store(_:)`` action.
    var persistent = false
    /// The next key for a message kept in the store.
    var nextStoreKey: UInt64 = 1

    // Incoming QoS 2: identifiers whose PUBLISH was delivered and whose PUBREL has not come yet.
    var incomingQoS2: Set<UInt16> = []
    /// Topic aliases the broker set on this connection [MQTT-3.3.2-7: not carried over].
    var inboundAliases: [UInt16: [UInt8]] = [:]

    // Subscriptions.
    var desired: [String: Subscription] = [:]
    var desiredOrder: [String] = []
    /// Filters the broker acknowledged, in this process, within its current session.
    var confirmed: Set<String> = []
    var pendingSubscribes: [UInt16: [String]] = [:]
    var pendingUnsubscribes: [UInt16: [String]] = [:]
    /// Filters to remove from a session the broker may still hold (unsubscribed while offline).
    var toUnsubscribe: Set<String> = []
    /// The latest acknowledgement per filter, for completing requests.
    var subscribeResults: [String: ReasonCode] = [:]
    var unsubscribeResults: [String: ReasonCode] = [:]
    var subscribeWaiters: [(filters: [String], token: RequestToken)] = []
    var unsubscribeWaiters: [(filters: [String], token: RequestToken)] = []

    // Keep alive.
    var lastSent = Instant(nanoseconds: 0)
    var lastReceived = Instant(nanoseconds: 0)
    var pingOutstanding = false

    package init(configuration: SessionConfiguration) {
        self.configuration = configuration
        limits = BrokerLimits(keepAlive: configuration.keepAlive)
    }

    package var version: ProtocolVersion { configuration.protocolVersion }

    // MARK: - Connection lifecycle

    /// The network connection is open: send CONNECT.
    package mutating func connectionOpened(now: Instant, into actions: inout [SessionAction]) {
        phase = .awaitingConnAck(deadline: now + configuration.connectTimeout)
        lastReceived = now
        pingOutstanding = false
        inboundAliases = [:]
        limits = BrokerLimits(keepAlive: configuration.keepAlive)
        send(.connect(configuration.connectPacket), now: now, into: &actions)
    }

    /// The network connection is gone. In-flight messages stay for the next connection; nothing
    /// is delivered twice and nothing is lost.
    package mutating func connectionClosed(_ error: MQTTClientError, now: Instant, into actions: inout [SessionAction])
    {
        let stopping = phase == .stopping
        phase = .idle
        pingOutstanding = false
        inboundAliases = [:]
        // Subscribe and unsubscribe requests in flight are sent again after reconnecting.
        for (identifier, _) in pendingSubscribes { packetIdentifiers.release(identifier) }
        for (identifier, filters) in pendingUnsubscribes {
            packetIdentifiers.release(identifier)
            toUnsubscribe.formUnion(filters)
        }
        pendingSubscribes = [:]
        pendingUnsubscribes = [:]
        if stopping { failAll(.stopped, into: &actions) }
    }

    /// Ends the session on purpose: DISCONNECT, then close. Requests still open fail with
    /// ``MQTTClientError/stopped``.
    package mutating func disconnect(now: Instant, into actions: inout [SessionAction]) {
        switch phase {
        case .connected:
            // A normal DISCONNECT: the broker discards the will [MQTT-3.14.4-3].
            send(.disconnect(DisconnectPacket()), now: now, into: &actions)
            phase = .stopping
            actions.append(.close(.stopped))
        case .awaitingConnAck:
            phase = .stopping
            actions.append(.close(.stopped))
        case .idle, .stopping:
            phase = .stopping
            failAll(.stopped, into: &actions)
        }
    }

    /// Fails every open request (when the client stops, or will not reconnect). Messages kept in
    /// a session store stay there: the next client with that store sends them.
    package mutating func failAll(_ error: MQTTClientError, into actions: inout [SessionAction]) {
        for (identifier, entry) in inFlight.inOrder {
            packetIdentifiers.release(identifier)
            if let token = entry.token { actions.append(.complete(token, .failed(error))) }
        }
        inFlight.removeAll()
        for entry in queued[queuedHead...] {
            if let token = entry.token { actions.append(.complete(token, .failed(error))) }
        }
        queued = []
        queuedHead = 0
        for waiter in subscribeWaiters { actions.append(.complete(waiter.token, .failed(error))) }
        for waiter in unsubscribeWaiters { actions.append(.complete(waiter.token, .failed(error))) }
        subscribeWaiters = []
        unsubscribeWaiters = []
    }

    // MARK: - Packets from the broker

    /// Handles a packet from the broker.
    package mutating func received(_ packet: Packet, now: Instant, into actions: inout [SessionAction]) {
        lastReceived = now
        switch packet {
        case .connack(let connack):
            receivedConnAck(connack, now: now, into: &actions)
            return
        default:
            break
        }
        guard phase == .connected else {
            // Before CONNACK the broker may send nothing else [MQTT-3.2.0-1].
            if case .awaitingConnAck = phase {
                violation("\(packet.type) before CONNACK", code: .protocolError, now: now, into: &actions)
            }
            return
        }
        switch packet {
        case .publish(let publish): receivedPublish(publish, now: now, into: &actions)
        case .puback(let ack): receivedPubAck(ack, now: now, into: &actions)
        case .pubrec(let ack): receivedPubRec(ack, now: now, into: &actions)
        case .pubrel(let ack): receivedPubRel(ack, now: now, into: &actions)
        case .pubcomp(let ack): receivedPubComp(ack, now: now, into: &actions)
        case .suback(let ack): receivedSubAck(ack, now: now, into: &actions)
        case .unsuback(let ack): receivedUnsubAck(ack, now: now, into: &actions)
        case .pingresp: pingOutstanding = false
        case .disconnect(let disconnect):
            actions.append(
                .close(.disconnectedByServer(disconnect.reasonCode, reasonString: disconnect.properties.reasonString))
            )
        case .auth:
            // We never offer an authentication method, so AUTH is not allowed [MQTT-4.12.0-6].
            violation("AUTH without an authentication method", code: .protocolError, now: now, into: &actions)
        case .connect, .subscribe, .unsubscribe, .pingreq, .connack:
            violation("a \(packet.type) from the server", code: .protocolError, now: now, into: &actions)
        }
    }

    /// The stream from the broker could not be decoded.
    package mutating func decodingFailed(_ error: MQTTCodecError, now: Instant, into actions: inout [SessionAction]) {
        if version == .v311, let skipped = error.skippedPublish {
            let identifier = skipped.packetIdentifier ?? 0
            // MQTT 3.1.1 §2.2.3 allows a broker 256 MB per packet, and a 3.1.1 client has no way
            // to ask for less: an oversized message is legal. Closing the connection would bring it
            // back (a persistent session redelivers it) and stop everything behind it, for good.
            // So it is acknowledged, never delivered, and reported.
            switch skipped.qos {
            case .atMostOnce:
                break
            case .atLeastOnce:
                send(.puback(PubAckPacket(packetIdentifier: identifier)), now: now, into: &actions)
            case .exactlyOnce:
                // PUBREL will be answered like any other; a repeat before it is acknowledged again.
                incomingQoS2.insert(identifier)
                send(.pubrec(PubAckPacket(packetIdentifier: identifier)), now: now, into: &actions)
            }
            actions.append(.skipped(skipped))
            return
        }
        violation(error.description, code: error.reasonCode, now: now, into: &actions)
    }

    private mutating func receivedConnAck(_ connack: ConnAckPacket, now: Instant, into actions: inout [SessionAction]) {
        guard case .awaitingConnAck = phase else {
            violation("a second CONNACK", code: .protocolError, now: now, into: &actions)
            return
        }
        guard !connack.reasonCode.isFailure else {
            phase = .idle
            actions.append(.close(.refused(connack.reasonCode, reasonString: connack.properties.reasonString)))
            return
        }
        let properties = connack.properties
        limits = BrokerLimits(
            receiveMaximum: properties.receiveMaximum ?? .max,
            maximumPacketSize: properties.maximumPacketSize.map(Int.init) ?? PacketDecoder.protocolMaximumPacketSize,
            maximumQoS: properties.maximumQoS ?? .exactlyOnce,
            retainAvailable: properties.retainAvailable ?? true,
            keepAlive: properties.serverKeepAlive ?? configuration.keepAlive
        )
        if let assigned = properties.assignedClientIdentifier {
            // Later connections must use the identifier the session was stored under.
            configuration.clientIdentifier = assigned
        }
        phase = .connected
        actions.append(.connected(sessionPresent: connack.sessionPresent))
        resumeSession(present: connack.sessionPresent, now: now, into: &actions)
    }

    /// Either re-sends what was in flight (the broker kept the session) or starts over (it did
    /// not): then subscriptions are made again and unacknowledged messages published anew.
    private mutating func resumeSession(present: Bool, now: Instant, into actions: inout [SessionAction]) {
        sendQuota = Int(limits.receiveMaximum)
        if present {
            // [MQTT-4.4.0-1]: re-send unacknowledged PUBLISH (with DUP) and PUBREL, in order.
            for (identifier, entry) in inFlight.inOrder {
                if entry.released {
                    send(.pubrel(PubAckPacket(packetIdentifier: identifier)), now: now, into: &actions)
                } else {
                    var packet = entry.packet
                    packet.duplicate = true
                    send(.publish(packet), now: now, into: &actions)
                }
                sendQuota -= 1
            }
        } else {
            // The broker lost the session [MQTT-3.2.2-5]: its QoS 2 state is gone, and so are our
            // subscriptions. Messages it never acknowledged are published again as new ones, so
            // nothing is lost; a message whose PUBREC came back was already stored by the broker.
            if persistent && !incomingQoS2.isEmpty { actions.append(.store(.receivedCleared)) }
            incomingQoS2 = []
            confirmed = []
            toUnsubscribe = []
            var republish: [Queued] = []
            for (identifier, entry) in inFlight.inOrder {
                packetIdentifiers.release(identifier)
                if entry.released {
                    if entry.storeKey != 0 { actions.append(.store(.finished(key: entry.storeKey))) }
                    if let token = entry.token { actions.append(.complete(token, .published)) }
                } else {
                    var packet = entry.packet
                    packet.duplicate = false
                    packet.packetIdentifier = nil
                    republish.append(Queued(packet: packet, token: entry.token, storeKey: entry.storeKey))
                }
            }
            inFlight.removeAll()
            queued = republish + queued[queuedHead...]
            queuedHead = 0
            completeUnsubscribeWaitersForLostSession(into: &actions)
        }
        sendMissingSubscriptions(now: now, into: &actions)
        sendPendingUnsubscribes(now: now, into: &actions)
        sendQueued(now: now, into: &actions)
    }

    // MARK: - Sending and protocol errors

    /// Appends a send and notes the time for keep alive.
    mutating func send(_ packet: Packet, now: Instant, into actions: inout [SessionAction]) {
        lastSent = now
        actions.append(.send(packet))
    }

    /// The broker broke the protocol: tell it why (MQTT 5.0) and close [MQTT-4.13.1-1].
    mutating func violation(_ reason: String, code: ReasonCode, now: Instant, into actions: inout [SessionAction]) {
        if version == .v5, phase == .connected {
            let disconnectCode = code.isValid(in: .disconnect, version: .v5) ? code : .protocolError
            send(.disconnect(DisconnectPacket(reasonCode: disconnectCode)), now: now, into: &actions)
        }
        actions.append(.close(.protocolViolation(reason)))
    }
}
