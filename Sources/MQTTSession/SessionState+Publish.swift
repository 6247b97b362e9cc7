import MQTTCodec

/// Outgoing messages: QoS 0, 1 and 2 flows, packet identifiers, and the send quota that keeps
/// in-flight messages within the broker's Receive Maximum (MQTT 5.0 §4.9).
extension SessionState {
    /// The application publishes a message. It is sent now if the session is up and the quota
    /// allows, else queued; QoS 1 and 2 complete on acknowledgement, QoS 0 once handed over.
    package mutating func publish(
        _ message: Message,
        token: RequestToken?,
        now: Instant,
        into actions: inout [SessionAction]
    ) {
        var packet = message.packet
        packet.packetIdentifier = nil
        packet.duplicate = false
        if let problem = check(packet) {
            if let token { actions.append(.complete(token, .failed(problem))) }
            return
        }
        var storeKey: UInt64 = 0
        if persistent && packet.qos != .atMostOnce {
            // Kept before anything is sent, so a restart at any point finds it.
            storeKey = nextStoreKey
            nextStoreKey += 1
            actions.append(.store(.accepted(key: storeKey, packet)))
        }
        let entry = Queued(packet: packet, token: token, storeKey: storeKey)
        if phase == .connected && queuedHead == queued.count && (packet.qos == .atMostOnce || sendQuota > 0) {
            sendNow(entry, now: now, into: &actions)
        } else {
            queued.append(entry)
        }
    }

    /// Why the broker would not accept this publish, if it would not: a wildcard in the topic,
    /// a QoS or RETAIN above what it allows, or a size above its maximum packet size.
    private func check(_ packet: PublishPacket) -> MQTTClientError? {
        if phase == .connected {
            if packet.qos > limits.maximumQoS {
                return .invalidPacket("QoS \(packet.qos) is above the broker's maximum QoS \(limits.maximumQoS)")
            }
            if packet.retain && !limits.retainAvailable {
                return .invalidPacket("the broker does not support retained messages")
            }
        }
        var sized = packet
        if sized.qos != .atMostOnce { sized.packetIdentifier = 1 }
        do {
            let size = try Packet.publish(sized).encodedSize(version: version)
            if phase == .connected && size > limits.maximumPacketSize {
                return .invalidPacket(
                    "the message is \(size) bytes; the broker's maximum packet size is \(limits.maximumPacketSize)"
                )
            }
        } catch {
            return .invalidPacket(error.description)
        }
        return nil
    }

    private mutating func sendNow(_ entry: Queued, now: Instant, into actions: inout [SessionAction]) {
        var packet = entry.packet
        guard packet.qos != .atMostOnce else {
            send(.publish(packet), now: now, into: &actions)
            if let token = entry.token { actions.append(.complete(token, .published)) }
            return
        }
        guard let identifier = packetIdentifiers.allocate() else {
            queued.append(entry)
            return
        }
        packet.packetIdentifier = identifier
        inFlight[identifier] = InFlight(packet: packet, token: entry.token, storeKey: entry.storeKey)
        sendQuota -= 1
        if entry.storeKey != 0 { actions.append(.store(.sent(key: entry.storeKey, packetIdentifier: identifier))) }
        send(.publish(packet), now: now, into: &actions)
    }

    /// Sends queued publishes as far as the quota (and the connection) allows, in order.
    mutating func sendQueued(now: Instant, into actions: inout [SessionAction]) {
        guard phase == .connected else { return }
        while queuedHead < queued.count {
            let next = queued[queuedHead]
            if next.packet.qos != .atMostOnce && sendQuota <= 0 { break }
            if let problem = check(next.packet) {
                // Refused for good (the broker's limits): a restart would not make it acceptable.
                if next.storeKey != 0 { actions.append(.store(.finished(key: next.storeKey))) }
                if let token = next.token { actions.append(.complete(token, .failed(problem))) }
            } else {
                sendNow(next, now: now, into: &actions)
            }
            queuedHead += 1
        }
        if queuedHead == queued.count {
            queued.removeAll(keepingCapacity: true)
            queuedHead = 0
        } else if queuedHead > 4_096 && queuedHead * 2 > queued.count {
            queued.removeFirst(queuedHead)
            queuedHead = 0
        }
    }

    /// Ends an outgoing exchange: frees its identifier and quota, completes its request.
    private mutating func finish(
        _ identifier: UInt16,
        result: RequestResult,
        now: Instant,
        into actions: inout [SessionAction]
    ) {
        guard let entry = inFlight[identifier] else { return }
        inFlight[identifier] = nil
        packetIdentifiers.release(identifier)
        sendQuota += 1
        if entry.storeKey != 0 { actions.append(.store(.finished(key: entry.storeKey))) }
        if let token = entry.token { actions.append(.complete(token, result)) }
        sendQueued(now: now, into: &actions)
    }

    private func result(_ code: ReasonCode, _ properties: AckProperties) -> RequestResult {
        code.isFailure ? .failed(.rejected(code, reasonString: properties.reasonString)) : .published
    }

    mutating func receivedPubAck(_ ack: PubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        guard let entry = inFlight[ack.packetIdentifier] else {
            // An acknowledgement for nothing we sent: a late duplicate after a reconnect. Harmless.
            return
        }
        guard entry.packet.qos == .atLeastOnce else {
            // §4.3.3: a QoS 2 message is answered with PUBREC. A broker answering PUBACK (RabbitMQ
            // 3.10 does) would otherwise leave the message in flight, and its sender waiting, forever.
            violation(
                "PUBACK for QoS 2 message \(ack.packetIdentifier), which must be answered with PUBREC (§4.3.3)",
                code: .protocolError,
                now: now,
                into: &actions
            )
            return
        }
        finish(ack.packetIdentifier, result: result(ack.reasonCode, ack.properties), now: now, into: &actions)
    }

    mutating func receivedPubRec(_ ack: PubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        let identifier = ack.packetIdentifier
        if let entry = inFlight[identifier], entry.packet.qos == .atLeastOnce {
            // §4.3.2: a QoS 1 message is answered with PUBACK; a PUBREC for it is a protocol error.
            violation(
                "PUBREC for QoS 1 message \(identifier), which must be answered with PUBACK (§4.3.2)",
                code: .protocolError,
                now: now,
                into: &actions
            )
            return
        }
        guard var entry = inFlight[identifier], entry.packet.qos == .exactlyOnce else {
            // MQTT 5.0 §4.3.3: answer an unknown identifier with PUBREL "Packet Identifier not found".
            let code: ReasonCode = version == .v5 ? .packetIdentifierNotFound : .success
            send(.pubrel(PubAckPacket(packetIdentifier: identifier, reasonCode: code)), now: now, into: &actions)
            return
        }
        if ack.reasonCode.isFailure {
            // [MQTT-4.4.0-2]: a failed PUBREC ends the exchange; the message is not re-sent.
            finish(identifier, result: result(ack.reasonCode, ack.properties), now: now, into: &actions)
            return
        }
        entry.released = true
        inFlight[identifier] = entry
        if entry.storeKey != 0 { actions.append(.store(.released(key: entry.storeKey))) }
        send(.pubrel(PubAckPacket(packetIdentifier: identifier)), now: now, into: &actions)
    }

    mutating func receivedPubComp(_ ack: PubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        guard let entry = inFlight[ack.packetIdentifier], entry.released else { return }
        finish(ack.packetIdentifier, result: .published, now: now, into: &actions)
    }
}
