import MQTTCodec
import Testing

@testable import MQTTSession

@Suite("Session: connecting, sessions and subscriptions")
struct SessionConnectTests {
    @Test("CONNECT carries the persistent-session settings")
    func connectPacket() {
        var harness = SessionHarness { configuration in
            configuration.sessionExpiryInterval = 3_600
            configuration.will = .init(
                topic: "status/test",
                payload: Array("offline".utf8),
                qos: .atLeastOnce,
                retain: true
            )
            configuration.userName = "user"
            configuration.password = Array("secret".utf8)
        }
        let sent = harness.open().sent
        guard case .connect(let connect)? = sent.first, sent.count == 1 else {
            Issue.record("expected one CONNECT, got \(sent)")
            return
        }
        #expect(connect.clientIdentifier == "test-client")
        #expect(!connect.cleanStart)
        #expect(connect.keepAlive == 10)
        #expect(connect.properties.sessionExpiryInterval == 3_600)
        #expect(connect.will?.topic == "status/test")
        #expect(connect.userName == "user")
        #expect(connect.password == Array("secret".utf8))
    }

    @Test("MQTT 3.1.1 CONNECT has no properties, even when 5.0 options are set")
    func connect311() throws {
        var harness = SessionHarness { configuration in
            configuration.protocolVersion = .v311
            configuration.will = .init(topic: "w", payload: [], properties: WillProperties(willDelayInterval: 5))
        }
        let connect = try #require(harness.open().sent.first?.connect)
        #expect(connect.properties == ConnectProperties())
        #expect(connect.will?.properties == WillProperties())
        // And it encodes: a 3.1.1 packet with properties would throw.
        _ = try Packet.connect(connect).encoded(version: .v311)
    }

    @Test("a refused CONNACK closes with the reason")
    func refused() {
        var harness = SessionHarness()
        _ = harness.open()
        let actions = harness.receive(
            .connack(
                ConnAckPacket(reasonCode: .badUserNameOrPassword, properties: ConnAckProperties(reasonString: "nope"))
            )
        )
        #expect(actions.closeReason == .refused(.badUserNameOrPassword, reasonString: "nope"))
    }

    @Test("no CONNACK within the connect timeout closes the connection")
    func connAckTimeout() {
        var harness = SessionHarness { $0.connectTimeout = .seconds(5) }
        _ = harness.open()
        #expect(harness.session.nextDeadline == .seconds(5))
        #expect(harness.advance(to: 4.9).isEmpty)
        #expect(harness.advance(to: 5).closeReason == .unreachable("no CONNACK within 5 s"))
    }

    @Test("subscriptions are made on the first connection")
    func firstConnectionSubscribes() throws {
        var harness = SessionHarness()
        let (token, before) = harness.subscribe("a/#", "b/+")
        #expect(before.isEmpty)
        let actions = harness.connect(sessionPresent: true)
        #expect(actions.first == .connected(sessionPresent: true))
        guard case .subscribe(let subscribe)? = actions.sent.first else {
            Issue.record("no SUBSCRIBE: \(actions)")
            return
        }
        #expect(subscribe.subscriptions.map(\.topicFilter) == ["a/#", "b/+"])
        let acked = harness.receive(
            .suback(
                SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS1, .grantedQoS1])
            )
        )
        #expect(acked == [.complete(token, .subscribed([.grantedQoS1, .grantedQoS1]))])
    }

    @Test("resubscribe when the broker lost the session, never when it kept it")
    func sessionPresentHonoured() throws {
        var harness = SessionHarness()
        _ = harness.subscribe("a/#")
        let first = harness.connect()
        let subscribe = try #require(first.sent.first?.subscribe)
        _ = harness.receive(
            .suback(SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS1]))
        )

        _ = harness.lose()
        let kept = harness.connect(sessionPresent: true)
        #expect(kept.sent.isEmpty, "re-subscribed although the broker kept the session: \(kept.sent)")

        _ = harness.lose()
        let lost = harness.connect(sessionPresent: false)
        #expect(
            lost.sent.contains {
                if case .subscribe(let s) = $0 { s.subscriptions.map(\.topicFilter) == ["a/#"] } else { false }
            }
        )
    }

    @Test("a subscription asked for while offline is made even when the session was kept")
    func newSubscriptionWhileOffline() throws {
        var harness = SessionHarness()
        _ = harness.subscribe("a/#")
        let first = try #require(harness.connect().sent.first?.subscribe)
        _ = harness.receive(
            .suback(SubAckPacket(packetIdentifier: first.packetIdentifier, reasonCodes: [.grantedQoS1]))
        )
        _ = harness.lose()
        _ = harness.subscribe("b/#")
        let resumed = harness.connect(sessionPresent: true)
        guard case .subscribe(let second)? = resumed.sent.first, resumed.sent.count == 1 else {
            Issue.record("expected one SUBSCRIBE, got \(resumed.sent)")
            return
        }
        #expect(second.subscriptions.map(\.topicFilter) == ["b/#"])
    }

    @Test("a refused filter is reported and not retried after a lost session")
    func refusedFilter() throws {
        var harness = SessionHarness()
        let (token, _) = harness.subscribe("ok/#", "denied/#")
        let subscribe = try #require(harness.connect().sent.first?.subscribe)
        let acked = harness.receive(
            .suback(
                SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS0, .notAuthorized])
            )
        )
        #expect(acked == [.complete(token, .subscribed([.grantedQoS0, .notAuthorized]))])
        _ = harness.lose()
        let again = try #require(harness.connect(sessionPresent: false).sent.first?.subscribe)
        #expect(again.subscriptions.map(\.topicFilter) == ["ok/#"])
    }

    @Test("a SUBACK with the wrong number of codes is a protocol error")
    func subAckCountMismatch() throws {
        var harness = SessionHarness()
        _ = harness.subscribe("a", "b")
        let subscribe = try #require(harness.connect().sent.first?.subscribe)
        let actions = harness.receive(
            .suback(SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS0]))
        )
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .protocolError))])
        #expect(actions.closeReason == .protocolViolation("SUBACK has 1 reason codes for 2 topic filters"))
    }

    @Test("unsubscribing while offline reaches a broker that kept the session")
    func unsubscribeOffline() throws {
        var harness = SessionHarness()
        _ = harness.subscribe("a/#")
        let subscribe = try #require(harness.connect().sent.first?.subscribe)
        _ = harness.receive(
            .suback(SubAckPacket(packetIdentifier: subscribe.packetIdentifier, reasonCodes: [.grantedQoS1]))
        )
        _ = harness.lose()
        let (token, offline) = harness.unsubscribe("a/#")
        #expect(offline.isEmpty)
        let resumed = harness.connect(sessionPresent: true)
        guard case .unsubscribe(let unsubscribe)? = resumed.sent.first else {
            Issue.record("no UNSUBSCRIBE: \(resumed.sent)")
            return
        }
        #expect(unsubscribe.topicFilters == ["a/#"])
        let acked = harness.receive(
            .unsuback(SubAckPacket(packetIdentifier: unsubscribe.packetIdentifier, reasonCodes: [.success]))
        )
        #expect(acked == [.complete(token, .unsubscribed([.success]))])
    }

    @Test("an assigned client identifier is used for the next connection")
    func assignedClientIdentifier() throws {
        var harness = SessionHarness { $0.clientIdentifier = "" }
        _ = harness.connect(properties: ConnAckProperties(assignedClientIdentifier: "assigned-42"))
        _ = harness.lose()
        let connect = try #require(harness.open().sent.first?.connect)
        #expect(connect.clientIdentifier == "assigned-42")
    }

    @Test("a DISCONNECT from the server closes with its reason")
    func serverDisconnect() {
        var harness = SessionHarness()
        _ = harness.connect()
        let actions = harness.receive(
            .disconnect(
                DisconnectPacket(
                    reasonCode: .sessionTakenOver,
                    properties: DisconnectProperties(reasonString: "another client")
                )
            )
        )
        #expect(actions.closeReason == .disconnectedByServer(.sessionTakenOver, reasonString: "another client"))
    }

    @Test(
        "a client-only packet from the server is a protocol error",
        arguments: [
            Packet.pingreq,
            .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(topicFilter: "a")])),
            .auth(AuthPacket(reasonCode: .continueAuthentication)),
        ]
    )
    func serverSendsClientPacket(_ packet: Packet) {
        var harness = SessionHarness()
        _ = harness.connect()
        let actions = harness.receive(packet)
        #expect(actions.sent == [.disconnect(DisconnectPacket(reasonCode: .protocolError))])
        #expect(actions.closeReason != nil)
    }

    @Test("a packet before CONNACK is a protocol error")
    func packetBeforeConnAck() {
        var harness = SessionHarness()
        _ = harness.open()
        let actions = harness.receive(inbound("a"))
        #expect(actions.delivered.isEmpty)
        #expect(actions.closeReason == .protocolViolation("PUBLISH before CONNACK"))
    }

    @Test("disconnecting sends a normal DISCONNECT and fails what is still open")
    func disconnect() {
        var harness = SessionHarness()
        _ = harness.connect(properties: ConnAckProperties(receiveMaximum: 1))
        let (first, _) = harness.publish("t")
        let (second, _) = harness.publish("t")
        let actions = harness.disconnect()
        #expect(actions.sent == [.disconnect(DisconnectPacket())])
        #expect(actions.closeReason == .stopped)
        let closed = harness.lose(.stopped)
        #expect(Set(closed) == [.complete(first, .failed(.stopped)), .complete(second, .failed(.stopped))])
    }
}
