import IO
import MQTTClient
import MQTTCodec
import MQTTSession
import Synchronization
import Testing

/// What mosquitto never does, from an in-process fake broker: each case handled per
/// specification, with the right error and a reconnect, never a crash or a hang.
@Suite("MQTTClient against a misbehaving broker")
struct FakeBrokerTests {
    private func client(
        _ broker: FakeBroker,
        loop: EventLoop,
        inbox: Inbox? = nil,
        _ adjust: (inout ClientConfiguration) -> Void = { _ in }
    ) throws -> MQTTClient {
        var configuration = ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: "fake-test")
        configuration.reconnect = Backoff(initial: .milliseconds(20), maximum: .milliseconds(100))
        configuration.connectTimeout = .seconds(2)
        adjust(&configuration)
        guard let inbox else { return MQTTClient(configuration: configuration, eventLoop: loop) }
        return MQTTClient(configuration: configuration, eventLoop: loop, onMessage: inbox.handler)
    }

    @Test(
        "each CONNACK refusal is reported with its reason code",
        arguments: [
            ReasonCode.unspecifiedError, .malformedPacket, .protocolError, .implementationSpecificError,
            .unsupportedProtocolVersion, .clientIdentifierNotValid, .badUserNameOrPassword, .notAuthorized,
            .serverUnavailable, .serverBusy, .banned, .badAuthenticationMethod, .topicNameInvalid, .packetTooLarge,
            .quotaExceeded, .payloadFormatInvalid, .retainNotSupported, .qosNotSupported, .useAnotherServer,
            .serverMoved, .connectionRateExceeded,
        ]
    )
    func refusals(_ code: ReasonCode) async throws {
        let broker = try await FakeBroker(
            script: FakeBroker.accepting(
                ConnAckPacket(reasonCode: code, properties: ConnAckProperties(reasonString: "because"))
            )
        )
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop)
        await #expect(throws: MQTTClientError.refused(code, reasonString: "because")) { try await client.connect() }
    }

    @Test("a malformed packet from the broker: DISCONNECT 0x81, the error, and a reconnect")
    func malformedPacket() async throws {
        let broker = try await FakeBroker { peer, packet in
            // The script answers CONNECT only.
            if case .connect = packet {
                peer.send(.connack(ConnAckPacket()))
                if peer.broker.connectionCount == 1 {
                    // A PUBLISH whose topic is not UTF-8.
                    peer.sendRaw([0x30, 0x05, 0x00, 0x02, 0xC3, 0x28, 0x00])
                }
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop)
        client.start()
        let state = try await waitForState(client) { if case .disconnected = $0 { true } else { false } }
        guard case .disconnected(.protocolViolation(let reason), _) = state else {
            Issue.record("unexpected \(state)")
            return
        }
        #expect(reason.contains("not well-formed UTF-8"))
        _ = try await waitForState(client) { if case .connected = $0 { true } else { false } }
        #expect(broker.packets.contains(.disconnect(DisconnectPacket(reasonCode: .malformedPacket))))
        #expect(broker.connectionCount == 2)
        await client.disconnect()
    }

    @Test("a packet over our maximum size is refused before it is buffered: DISCONNECT 0x95")
    func oversizedPacket() async throws {
        let broker = try await FakeBroker { peer, packet in
            // The script answers CONNECT only.
            if case .connect = packet {
                peer.send(.connack(ConnAckPacket()))
                if peer.broker.connectionCount == 1 {
                    // Announce a 1 MiB PUBLISH; send only its header.
                    peer.sendRaw([0x30, 0x80, 0x80, 0x40])
                }
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop) { $0.maximumPacketSize = 64 * 1_024 }
        client.start()
        let state = try await waitForState(client) { if case .disconnected = $0 { true } else { false } }
        guard case .disconnected(.protocolViolation(let reason), _) = state else {
            Issue.record("unexpected \(state)")
            return
        }
        #expect(reason.contains("exceeds the maximum of 65536"))
        _ = try await waitForState(client) { if case .connected = $0 { true } else { false } }
        #expect(broker.packets.contains(.disconnect(DisconnectPacket(reasonCode: .packetTooLarge))))
        await client.disconnect()
    }

    @Test("a broker that goes silent is dropped within 1.5 × keep alive, then reconnected")
    func silentBroker() async throws {
        let broker = try await FakeBroker { peer, packet in
            // Answers CONNECT, then never anything (not even PINGREQ) on the first connection.
            if case .connect = packet { peer.send(.connack(ConnAckPacket())) }
            if case .pingreq = packet, peer.broker.connectionCount > 1 { peer.send(.pingresp) }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop) { $0.keepAlive = 1 }
        try await client.connect()
        // The 1.5 × bound itself is checked against an injected clock (SessionDeliveryTests); a
        // wall-clock bound here would only measure how busy the machine is.
        _ = try await waitForState(client) { if case .disconnected(.keepAliveTimeout, _) = $0 { true } else { false } }
        #expect(broker.packets.contains(.pingreq))
        _ = try await waitForState(client) { if case .connected = $0 { true } else { false } }
        await client.disconnect()
    }

    @Test("a Receive Maximum of 1 keeps one QoS 1 message in flight at a time")
    func tinyReceiveMaximum() async throws {
        let inFlight = Mutex<(current: Int, most: Int)>((0, 0))
        let broker = try await FakeBroker { peer, packet in
            switch packet {
            case .connect:
                peer.send(.connack(ConnAckPacket(properties: ConnAckProperties(receiveMaximum: 1))))
            case .publish(let publish):
                inFlight.withLock {
                    $0.current += 1
                    $0.most = max($0.most, $0.current)
                }
                // Acknowledge a little later, so a client ignoring the limit would overrun it.
                peer.connection.eventLoop.scheduleTimer(after: .milliseconds(2)) {
                    inFlight.withLock { $0.current -= 1 }
                    peer.send(.puback(PubAckPacket(packetIdentifier: publish.packetIdentifier!)))
                }
            default:
                break
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop)
        try await client.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await client.publish(Message(topic: "t/\(index)", payload: [1], qos: .atLeastOnce))
                }
            }
            try await group.waitForAll()
        }
        #expect(inFlight.withLock { $0.most } == 1)
        #expect(broker.packets.filter { if case .publish = $0 { true } else { false } }.count == 20)
        await client.disconnect()
    }

    @Test("the broker's Maximum Packet Size: larger messages fail without being sent")
    func brokerMaximumPacketSize() async throws {
        let broker = try await FakeBroker { peer, packet in
            switch packet {
            case .connect:
                peer.send(.connack(ConnAckPacket(properties: ConnAckProperties(maximumPacketSize: 128))))
            case .publish(let publish):
                if let id = publish.packetIdentifier { peer.send(.puback(PubAckPacket(packetIdentifier: id))) }
            default:
                break
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop)
        try await client.connect()
        try await client.publish(Message(topic: "small", payload: ArraySlice(repeating: 1, count: 50)))
        await #expect(throws: MQTTClientError.self) {
            try await client.publish(Message(topic: "big", payload: ArraySlice(repeating: 1, count: 200)))
        }
        // Acknowledged after the refusal: by then the broker has read everything sent before it.
        try await client.publish(Message(topic: "after", payload: [1], qos: .atLeastOnce))
        let topics = broker.packets.compactMap { if case .publish(let p) = $0 { p.topicName } else { nil } }
        #expect(topics == ["small", "after"])
        await client.disconnect()
    }

    @Test("topic aliases from the broker are resolved")
    func topicAliases() async throws {
        let broker = try await FakeBroker { peer, packet in
            // The script answers CONNECT only.
            if case .connect = packet {
                peer.send(.connack(ConnAckPacket()))
                peer.send(
                    .publish(
                        PublishPacket(
                            topicName: "long/topic/name",
                            payload: [1],
                            properties: PublishProperties(topicAlias: 7)
                        )
                    )
                )
                peer.send(
                    .publish(PublishPacket(topicName: "", payload: [2], properties: PublishProperties(topicAlias: 7)))
                )
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = Inbox()
        let client = try client(broker, loop: loop, inbox: inbox)
        try await client.connect()
        let received = try await inbox.wait(for: 2)
        #expect(received.map(\.topic) == ["long/topic/name", "long/topic/name"])
        #expect(received.map { Array($0.payload) } == [[1], [2]])
        await client.disconnect()
    }

    @Test("a server DISCONNECT is reported with its reason, then the client reconnects")
    func serverDisconnect() async throws {
        let broker = try await FakeBroker { peer, packet in
            // The script answers CONNECT only.
            if case .connect = packet {
                peer.send(.connack(ConnAckPacket()))
                if peer.broker.connectionCount == 1 {
                    peer.send(
                        .disconnect(
                            DisconnectPacket(
                                reasonCode: .serverShuttingDown,
                                properties: DisconnectProperties(reasonString: "maintenance")
                            )
                        )
                    )
                }
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop)
        client.start()
        let state = try await waitForState(client) { if case .disconnected = $0 { true } else { false } }
        #expect(
            state.description.hasPrefix(
                "disconnected (the broker closed the connection: 0x8B (Server shutting down) \"maintenance\")"
            )
        )
        _ = try await waitForState(client) { if case .connected = $0 { true } else { false } }
        await client.disconnect()
    }

    @Test("a broker that closes at once is retried with backoff, not in a tight loop")
    func backoff() async throws {
        let broker = try await FakeBroker { peer, packet in
            if case .connect = packet { peer.connection.close() }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop) {
            $0.reconnect = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400))
        }
        let delays = Task {
            var delays: [Duration] = []
            for await state in client.states {
                if case .disconnected(_, let retry?) = state { delays.append(retry) }
                if delays.count == 4 { break }
            }
            return delays
        }
        client.start()
        let retries = await delays.value
        try #require(retries.count == 4)
        await client.disconnect()
        // Waits of 100, 200, 400, 400 ms, each jittered down by at most half.
        for (delay, full) in zip(retries, [100, 200, 400, 400]) {
            #expect((.milliseconds(full / 2) ... .milliseconds(full)).contains(delay), "\(retries)")
        }
        // Each reconnection came no sooner than its delay after the connection before it was
        // accepted (timers never fire early, so this bound cannot be broken by a slow machine;
        // a client reconnecting at once breaks it).
        let accepted = broker.acceptTimes
        try #require(accepted.count >= 4)
        for index in 0..<3 {
            #expect(accepted[index + 1] - accepted[index] >= retries[index], "\(accepted) \(retries)")
        }
    }

    @Test("a broker that breaks the protocol after every CONNACK is retried with growing backoff, not every 0.2 s")
    func backoffAfterConnAck() async throws {
        let broker = try await FakeBroker { peer, packet in
            if case .connect = packet {
                peer.send(.connack(ConnAckPacket()))
                peer.sendRaw([0x30, 0x05, 0x00, 0x02, 0xC3, 0x28, 0x00])  // a topic that is not UTF-8
            }
        }
        defer { broker.shutdown() }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = try client(broker, loop: loop) {
            $0.reconnect = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400))
        }
        let delays = Task {
            var delays: [Duration] = []
            for await state in client.states {
                if case .disconnected(.protocolViolation, let retry?) = state { delays.append(retry) }
                if delays.count == 4 { break }
            }
            return delays
        }
        client.start()
        let retries = await delays.value
        try #require(retries.count == 4)
        await client.disconnect()
        // Each connection lasted a moment only: the backoff keeps growing as if it had failed.
        for (delay, full) in zip(retries, [100, 200, 400, 400]) {
            #expect((.milliseconds(full / 2) ... .milliseconds(full)).contains(delay), "\(retries)")
        }
    }
}
