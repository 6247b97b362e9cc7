import MQTTCodec
import Testing

@testable import MQTTSession

@Suite("Session: QoS flows, quota, aliases, keep alive")
struct SessionDeliveryTests {
    // MARK: Outgoing

    @Test("QoS 1: unacknowledged messages are re-sent with DUP after a reconnect, in order")
    func qos1Resend() throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let (first, a) = harness.publish("t", "1")
        let (_, b) = harness.publish("t", "2")
        let one = try #require(a.sent.first?.publish)
        let two = try #require(b.sent.first?.publish)
        #expect(one.packetIdentifier == 1 && two.packetIdentifier == 2)
        #expect(!one.duplicate)
        _ = harness.lose()
        let resent = harness.connect(sessionPresent: true).sent
        #expect(resent.count == 2)
        let again1 = try #require(resent.first?.publish)
        let again2 = try #require(resent.last?.publish)
        #expect(again1.packetIdentifier == 1 && again1.duplicate && again1.payload == ArraySlice("1".utf8))
        #expect(again2.packetIdentifier == 2 && again2.duplicate)
        #expect(harness.receive(.puback(PubAckPacket(packetIdentifier: 1))) == [.complete(first, .published)])
    }

    @Test("QoS 2: after PUBREC only PUBREL is re-sent, and PUBCOMP completes")
    func qos2Resend() throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let (token, published) = harness.publish("t", qos: .exactlyOnce)
        let id = try #require(published.sent.first?.publish?.packetIdentifier)
        #expect(
            harness.receive(.pubrec(PubAckPacket(packetIdentifier: id))).sent == [
                .pubrel(PubAckPacket(packetIdentifier: id))
            ]
        )
        _ = harness.lose()
        #expect(harness.connect(sessionPresent: true).sent == [.pubrel(PubAckPacket(packetIdentifier: id))])
        #expect(harness.receive(.pubcomp(PubAckPacket(packetIdentifier: id))) == [.complete(token, .published)])
    }

    @Test("a lost session: unacknowledged messages are published again as new ones")
    func republishAfterLostSession() {
        var harness = SessionHarness()
        _ = harness.connect()
        let (token, _) = harness.publish("t", "keep me")
        _ = harness.lose()
        let actions = harness.connect(sessionPresent: false)
        guard case .publish(let again)? = actions.sent.first else {
            Issue.record("not re-published: \(actions)")
            return
        }
        #expect(!again.duplicate)
        #expect(again.payload == ArraySlice("keep me".utf8))
        #expect(
            harness.receive(.puback(PubAckPacket(packetIdentifier: again.packetIdentifier!))) == [
                .complete(token, .published)
            ]
        )
    }

    @Test("publishes made while offline go out after connecting, in order")
    func offlineQueue() {
        var harness = SessionHarness()
        _ = harness.publish("t", "1", qos: .atMostOnce)
        _ = harness.publish("t", "2")
        let sent = harness.connect().sent.compactMap { packet -> String? in
            if case .publish(let p) = packet { String(decoding: p.payload, as: UTF8.self) } else { nil }
        }
        #expect(sent == ["1", "2"])
    }

    @Test("the broker's Receive Maximum bounds the messages in flight")
    func receiveMaximum() {
        var harness = SessionHarness()
        _ = harness.connect(properties: ConnAckProperties(receiveMaximum: 2))
        var sent: [UInt16] = []
        for index in 0..<5 {
            let (_, actions) = harness.publish("t", "\(index)")
            for case .publish(let p) in actions.sent { sent.append(p.packetIdentifier!) }
        }
        #expect(sent == [1, 2])
        // QoS 0 is not counted [MQTT-4.9.0-2] and is not held back either... but order is kept
        // behind the queued QoS 1 messages.
        let released = harness.receive(.puback(PubAckPacket(packetIdentifier: 1))).sent
        #expect(released.count == 1)
        let failed = harness.receive(.puback(PubAckPacket(packetIdentifier: 2, reasonCode: .quotaExceeded)))
        #expect(failed.contains(.complete(2, .failed(.rejected(.quotaExceeded, reasonString: nil)))))
        #expect(failed.sent.count == 1, "a failed PUBACK also returns quota")
    }

    @Test("a failed PUBREC ends the exchange without PUBREL")
    func failedPubRec() throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let (token, published) = harness.publish("t", qos: .exactlyOnce)
        let publish = try #require(published.sent.first?.publish)
        let actions = harness.receive(
            .pubrec(PubAckPacket(packetIdentifier: publish.packetIdentifier!, reasonCode: .notAuthorized))
        )
        #expect(actions == [.complete(token, .failed(.rejected(.notAuthorized, reasonString: nil)))])
    }

    @Test(
        "the wrong acknowledgement for the QoS (PUBACK for QoS 2, as RabbitMQ 3.10 sends; PUBREC for QoS 1) is a protocol error",
        arguments: [(QoS.exactlyOnce, true), (.atLeastOnce, false)]
    )
    func wrongAcknowledgement(_ qos: QoS, _ sendPubAck: Bool) throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let (_, published) = harness.publish("t", qos: qos)
        let id = try #require(published.sent.first?.publish?.packetIdentifier)
        let ack = PubAckPacket(packetIdentifier: id)
        let actions = harness.receive(sendPubAck ? .puback(ack) : .pubrec(ack))
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .protocolError))])
        let reason = try #require(actions.closeReason)
        #expect(
            reason.description.hasPrefix(
                sendPubAck ? "protocol error: PUBACK for QoS 2" : "protocol error: PUBREC for QoS 1"
            )
        )
    }

    @Test(
        "3.1.1: a message over our maximum packet size is acknowledged, not delivered, and reported; the session goes on",
        arguments: [QoS.atLeastOnce, .exactlyOnce]
    )
    func oversizedUnder311(_ qos: QoS) throws {
        var harness = SessionHarness {
            $0.protocolVersion = .v311
            $0.maximumPacketSize = 100
        }
        _ = harness.connect()
        var decoder = PacketDecoder(version: .v311, maximumPacketSize: 100)
        decoder.append(
            [0x30 | qos.rawValue << 1, 0xC8, 0x01, 0x00, 0x01, 0x74, 0x00, 0x09] + [UInt8](repeating: 1, count: 195)
        )
        let error = try #require(throws: MQTTCodecError.self) { try decoder.next() }
        let actions = harness.failDecoding(error)
        let ack = PubAckPacket(packetIdentifier: 9)
        #expect(actions.sent == [qos == .atLeastOnce ? .puback(ack) : .pubrec(ack)])
        #expect(actions.closeReason == nil)
        #expect(actions.contains(.skipped(try #require(error.skippedPublish))))
        if qos == .exactlyOnce { #expect(harness.receive(.pubrel(ack)).sent == [.pubcomp(ack)]) }
    }

    @Test("5.0: a message over the maximum we announced is a protocol error (0x95)")
    func oversizedUnder5() throws {
        var harness = SessionHarness { $0.maximumPacketSize = 100 }
        _ = harness.connect()
        var decoder = PacketDecoder(version: .v5, maximumPacketSize: 100)
        decoder.append([0x32, 0xC8, 0x01, 0x00, 0x01, 0x74, 0x00, 0x09, 0x00] + [UInt8](repeating: 1, count: 194))
        let error = try #require(throws: MQTTCodecError.self) { try decoder.next() }
        let actions = harness.failDecoding(error)
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .packetTooLarge))])
        #expect(actions.closeReason != nil)
    }

    @Test("a message over the broker's maximum packet size fails before it is sent")
    func maximumPacketSize() {
        var harness = SessionHarness()
        _ = harness.connect(properties: ConnAckProperties(maximumPacketSize: 100))
        let (token, actions) = harness.publish("t", String(repeating: "x", count: 200))
        #expect(
            actions == [
                .complete(
                    token,
                    .failed(.invalidPacket("the message is 209 bytes; the broker's maximum packet size is 100"))
                )
            ]
        )
    }

    @Test("QoS above the broker's maximum fails")
    func maximumQoS() {
        var harness = SessionHarness()
        _ = harness.connect(properties: ConnAckProperties(maximumQoS: .atLeastOnce))
        let (token, actions) = harness.publish("t", qos: .exactlyOnce)
        #expect(actions == [.complete(token, .failed(.invalidPacket("QoS 2 is above the broker's maximum QoS 1")))])
    }

    // MARK: Incoming

    @Test("QoS 1 is delivered, then acknowledged with a bare PUBACK")
    func inboundQoS1() throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let actions = harness.receive(inbound("a/b", "v", qos: .atLeastOnce, id: 9))
        #expect(actions.count == 1)
        #expect(actions.delivered.map(\.topic) == ["a/b"])
        #expect(actions.sent == [.puback(PubAckPacket(packetIdentifier: 9))])
        // Acknowledgements carry nothing more: strict brokers reject properties they did not expect.
        #expect(try actions.sent[0].encoded(version: .v5) == [0x40, 0x02, 0x00, 0x09])
    }

    @Test("QoS 2 is delivered exactly once, whatever is repeated before PUBREL")
    func inboundQoS2() {
        var harness = SessionHarness()
        _ = harness.connect()
        let first = harness.receive(inbound("a", "once", qos: .exactlyOnce, id: 7))
        #expect(first.delivered.count == 1)
        #expect(first.sent == [.pubrec(PubAckPacket(packetIdentifier: 7))])
        let duplicate = harness.receive(inbound("a", "once", qos: .exactlyOnce, id: 7, dup: true))
        #expect(duplicate.delivered.isEmpty)
        #expect(duplicate.sent == [.pubrec(PubAckPacket(packetIdentifier: 7))])
        #expect(
            harness.receive(.pubrel(PubAckPacket(packetIdentifier: 7))).sent == [
                .pubcomp(PubAckPacket(packetIdentifier: 7))
            ]
        )
        // After PUBCOMP the identifier starts a new message [MQTT-4.3.3-12].
        #expect(harness.receive(inbound("a", "again", qos: .exactlyOnce, id: 7)).delivered.count == 1)
    }

    @Test("a QoS 1 message with the identifier of a QoS 2 exchange awaiting PUBREL ends that exchange")
    func identifierReusedByBroker() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(harness.receive(inbound("a", "old", qos: .exactlyOnce, id: 7)).delivered.count == 1)
        // The broker forgot the exchange (a crash before it saved it) and reuses the identifier.
        #expect(harness.receive(inbound("a", "other", qos: .atLeastOnce, id: 7)).delivered.count == 1)
        let next = harness.receive(inbound("a", "new", qos: .exactlyOnce, id: 7))
        #expect(next.delivered.map { String(decoding: $0.payload, as: UTF8.self) } == ["new"])
        #expect(next.sent == [.pubrec(PubAckPacket(packetIdentifier: 7))])
    }

    @Test("a declined QoS 2 message is not acknowledged and counts as new when it comes again")
    func declinedQoS2() throws {
        var harness = SessionHarness()
        _ = harness.connect()
        let first = harness.receive(inbound("a", qos: .exactlyOnce, id: 5))
        let message = try #require(first.delivered.first)
        harness.session.declined(message)
        _ = harness.lose()
        _ = harness.connect(sessionPresent: true)
        #expect(harness.receive(inbound("a", qos: .exactlyOnce, id: 5, dup: true)).delivered.count == 1)
    }

    @Test("QoS 2 exactly once across a reconnect that keeps the session")
    func inboundQoS2AcrossReconnect() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(harness.receive(inbound("a", qos: .exactlyOnce, id: 3)).delivered.count == 1)
        _ = harness.lose()
        _ = harness.connect(sessionPresent: true)
        #expect(harness.receive(inbound("a", qos: .exactlyOnce, id: 3, dup: true)).delivered.isEmpty)
        #expect(
            harness.receive(.pubrel(PubAckPacket(packetIdentifier: 3))).sent == [
                .pubcomp(PubAckPacket(packetIdentifier: 3))
            ]
        )
    }

    @Test("PUBREL for an unknown identifier gets PUBCOMP 'not found' in 5.0")
    func unknownPubRel() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(
            harness.receive(.pubrel(PubAckPacket(packetIdentifier: 44))).sent
                == [.pubcomp(PubAckPacket(packetIdentifier: 44, reasonCode: .packetIdentifierNotFound))]
        )
    }

    @Test("topic aliases from the broker are resolved, per connection")
    func topicAliases() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(
            harness.receive(inbound("factory/press7/temp", alias: 5)).delivered.map(\.topic) == ["factory/press7/temp"]
        )
        #expect(harness.receive(inbound("", alias: 5)).delivered.map(\.topic) == ["factory/press7/temp"])
        _ = harness.lose()
        _ = harness.connect(sessionPresent: true)
        // Aliases do not survive the connection [MQTT-3.3.2-7].
        let actions = harness.receive(inbound("", alias: 5))
        #expect(actions.delivered.isEmpty)
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .topicAliasInvalid))])
    }

    @Test("a topic alias above our maximum is refused")
    func topicAliasAboveMaximum() {
        var harness = SessionHarness { $0.topicAliasMaximum = 10 }
        _ = harness.connect()
        let actions = harness.receive(inbound("a", alias: 11))
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .topicAliasInvalid))])
        #expect(actions.closeReason == .protocolViolation("topic alias 11 is above our maximum 10"))
    }

    // MARK: Keep alive

    @Test("PINGREQ after a keep-alive period of silence; dropped at one and a half")
    func keepAlive() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(harness.session.nextDeadline == .seconds(10))
        #expect(harness.advance(to: 9.9).isEmpty)
        #expect(harness.advance(to: 10).sent == [.pingreq])
        #expect(harness.session.nextDeadline == .seconds(15))
        #expect(harness.advance(to: 14.9).isEmpty)
        #expect(harness.advance(to: 15).closeReason == .keepAliveTimeout)
    }

    @Test("PINGRESP keeps the connection alive")
    func pingResponse() {
        var harness = SessionHarness()
        _ = harness.connect()
        _ = harness.advance(to: 10)
        harness.now = .seconds(10.2)
        _ = harness.receive(.pingresp)
        #expect(harness.advance(to: 15).closeReason == nil)
        #expect(harness.advance(to: 20.2).sent == [.pingreq])
    }

    @Test("a connection that only sends still notices a dead broker")
    func sendingOnlyDetectsDeadBroker() {
        var harness = SessionHarness()
        _ = harness.connect()
        var pinged = false
        for step in 1...14 {
            harness.now = .seconds(Double(step))
            let (_, actions) = harness.publish("t", qos: .atMostOnce)
            #expect(actions.closeReason == nil)
            pinged = pinged || harness.advance(to: Double(step)).sent.contains(.pingreq)
        }
        #expect(pinged, "no PINGREQ although the broker was silent for a keep-alive period")
        #expect(harness.advance(to: 15).closeReason == .keepAliveTimeout)
    }

    @Test("the server's keep alive replaces ours")
    func serverKeepAlive() {
        var harness = SessionHarness()
        _ = harness.connect(properties: ConnAckProperties(serverKeepAlive: 4))
        #expect(harness.advance(to: 4).sent == [.pingreq])
        #expect(harness.advance(to: 6).closeReason == .keepAliveTimeout)
    }

    @Test("keep alive 0 turns the mechanism off")
    func keepAliveOff() {
        var harness = SessionHarness { $0.keepAlive = 0 }
        _ = harness.connect()
        #expect(harness.session.nextDeadline == nil)
        #expect(harness.advance(to: 1_000).isEmpty)
    }
}

@Suite("Packet identifiers")
struct PacketIdentifierTests {
    @Test("identifiers are never 0 and never reused while in use")
    func allocation() {
        var identifiers = PacketIdentifiers()
        var seen = Set<UInt16>()
        for _ in 0..<65_535 {
            guard let identifier = identifiers.allocate() else {
                Issue.record("ran out early")
                return
            }
            #expect(identifier != 0)
            #expect(seen.insert(identifier).inserted)
        }
        #expect(identifiers.allocate() == nil)
        identifiers.release(300)
        #expect(identifiers.allocate() == 300)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("delays double up to the maximum, with jitter between half and all")
    func delays() {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(8))
        #expect(backoff.delay(attempt: 0, randomUnit: 1) == .seconds(1))
        #expect(backoff.delay(attempt: 0, randomUnit: 0) == .milliseconds(500))
        #expect(backoff.delay(attempt: 2, randomUnit: 1) == .seconds(4))
        #expect(backoff.delay(attempt: 10, randomUnit: 1) == .seconds(8))
        #expect(backoff.delay(attempt: 100, randomUnit: 0.5) == .seconds(6))
    }
}
