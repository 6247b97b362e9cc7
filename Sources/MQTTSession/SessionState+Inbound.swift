import MQTTCodec

/// Incoming messages: delivery, acknowledgements, exactly-once for QoS 2, and topic aliases.
extension SessionState {
    mutating func receivedPublish(_ publish: PublishPacket, now: Instant, into actions: inout [SessionAction]) {
        var publish = publish
        if version == .v5, let alias = publish.properties.topicAlias {
            // MQTT 5.0 §3.3.2.3.4: an alias above our Topic Alias Maximum, or an empty topic with an
            // alias never set on this connection, is a protocol error (0x94).
            guard alias <= configuration.topicAliasMaximum else {
                violation(
                    "topic alias \(alias) is above our maximum \(configuration.topicAliasMaximum)",
                    code: .topicAliasInvalid,
                    now: now,
                    into: &actions
                )
                return
            }
            if publish.topicUTF8.isEmpty {
                guard let topic = inboundAliases[alias] else {
                    violation("topic alias \(alias) was never set", code: .topicAliasInvalid, now: now, into: &actions)
                    return
                }
                publish = publish.withTopic(utf8: topic[...])
            } else {
                // A copy: a slice would keep the whole read it came in alive.
                inboundAliases[alias] = Array(publish.topicUTF8)
            }
        }
        switch publish.qos {
        case .atMostOnce:
            actions.append(.deliver(Message(publish), acknowledgement: nil))
        case .atLeastOnce:
            // Delivered first, then acknowledged: if we stop in between, the broker sends it again.
            let identifier = publish.packetIdentifier ?? 0
            // An identifier is reused only once its exchange is complete (MQTT 5.0 §2.2.1), so a
            // broker that sends one we hold for a QoS 2 exchange awaiting PUBREL has lost that
            // exchange (one that crashed before saving it). Held on, the identifier would make
            // its next QoS 2 message with it look like a resend of the old one: never delivered.
            if incomingQoS2.remove(identifier) != nil, persistent {
                actions.append(.store(.receivedReleased(packetIdentifier: identifier)))
            }
            lastSent = now
            actions.append(
                .deliver(Message(publish), acknowledgement: .puback(PubAckPacket(packetIdentifier: identifier)))
            )
        case .exactlyOnce:
            let identifier = publish.packetIdentifier ?? 0
            // Until PUBREL, a PUBLISH with the same identifier is the same message: acknowledge
            // it again but do not deliver it twice [MQTT-4.3.3-10].
            let pubrec = Packet.pubrec(PubAckPacket(packetIdentifier: identifier))
            if incomingQoS2.insert(identifier).inserted {
                if incomingQoS2.count > Int(configuration.receiveMaximum) {
                    violation(
                        "more than \(configuration.receiveMaximum) unacknowledged QoS 2 messages",
                        code: .receiveMaximumExceeded,
                        now: now,
                        into: &actions
                    )
                    return
                }
                lastSent = now
                actions.append(.deliver(Message(publish), acknowledgement: pubrec))
            } else {
                send(pubrec, now: now, into: &actions)
            }
        }
    }

    /// The application declined a QoS 1 or 2 message: it goes unacknowledged, so the broker
    /// delivers it again in the next session (for QoS 2, as a new delivery).
    package mutating func declined(_ message: Message) {
        if message.qos == .exactlyOnce, let identifier = message.packet.packetIdentifier {
            incomingQoS2.remove(identifier)
        }
    }

    mutating func receivedPubRel(_ ack: PubAckPacket, now: Instant, into actions: inout [SessionAction]) {
        let known = incomingQoS2.remove(ack.packetIdentifier) != nil
        if known && persistent { actions.append(.store(.receivedReleased(packetIdentifier: ack.packetIdentifier))) }
        // MQTT 5.0 §3.7.2.1: PUBCOMP "Packet Identifier not found" for an identifier we do not hold.
        let code: ReasonCode = known || version == .v311 ? .success : .packetIdentifierNotFound
        send(.pubcomp(PubAckPacket(packetIdentifier: ack.packetIdentifier, reasonCode: code)), now: now, into: &actions)
    }
}
