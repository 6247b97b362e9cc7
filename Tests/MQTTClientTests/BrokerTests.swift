import IO
import MQTTClient
import MQTTCodec
import MQTTSession
import Synchronization
import TestSupport
import Testing

/// The client against a real mosquitto started by the test.
@Suite("MQTTClient against mosquitto", .serialized)
struct BrokerTests {
    private func configuration(
        _ broker: Mosquitto,
        id: String,
        version: ProtocolVersion = .v5,
        clean: Bool = true,
        _ adjust: (inout ClientConfiguration) -> Void = { _ in }
    ) throws -> ClientConfiguration {
        var configuration = ClientConfiguration(url: try BrokerURL(broker.url), clientIdentifier: id)
        configuration.protocolVersion = version
        configuration.cleanStart = clean
        configuration.sessionExpiryInterval = clean ? 0 : 3_600
        configuration.reconnect = Backoff(initial: .milliseconds(50), maximum: .milliseconds(500))
        adjust(&configuration)
        return configuration
    }

    @Test("QoS 0, 1 and 2 round trips, granted at the subscription's QoS", arguments: ProtocolVersion.allCases)
    func roundTrips(_ version: ProtocolVersion) async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = Inbox()
        let subscriber = MQTTClient(
            configuration: try configuration(broker, id: "sub", version: version),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        let publisher = MQTTClient(
            configuration: try configuration(broker, id: "pub", version: version),
            eventLoop: loop
        )
        try await subscriber.connect()
        try await publisher.connect()
        let codes = try await subscriber.subscribe([
            Subscription(topicFilter: "rt/q0/#", qos: .atMostOnce),
            Subscription(topicFilter: "rt/q2/#", qos: .exactlyOnce),
        ])
        #expect(codes == [.grantedQoS0, .grantedQoS2])
        for qos in QoS.allCases {
            try await publisher.publish(
                Message(topic: "rt/q2/\(qos)", payload: ArraySlice("to q2 at \(qos)".utf8), qos: qos)
            )
            try await publisher.publish(
                Message(topic: "rt/q0/\(qos)", payload: ArraySlice("to q0 at \(qos)".utf8), qos: qos)
            )
        }
        let received = try await inbox.wait(for: 6)
        let byTopic = Dictionary(uniqueKeysWithValues: received.map { ($0.topic, $0) })
        for qos in QoS.allCases {
            #expect(byTopic["rt/q2/\(qos)"]?.qos == qos)
            #expect(byTopic["rt/q0/\(qos)"]?.qos == .atMostOnce)
            #expect(byTopic["rt/q2/\(qos)"].map { String(decoding: $0.payload, as: UTF8.self) } == "to q2 at \(qos)")
        }
        await publisher.disconnect()
        await subscriber.disconnect()
    }

    @Test("a retained message reaches a later subscriber, flagged as retained")
    func retained() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let publisher = MQTTClient(configuration: try configuration(broker, id: "pub"), eventLoop: loop)
        try await publisher.connect()
        try await publisher.publish(
            Message(topic: "status/device1", payload: ArraySlice("online".utf8), qos: .atLeastOnce, retain: true)
        )
        let inbox = Inbox()
        let subscriber = MQTTClient(
            configuration: try configuration(broker, id: "sub"),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        try await subscriber.connect()
        try await subscriber.subscribe([Subscription(topicFilter: "status/#")])
        let received = try await inbox.wait(for: 1)
        #expect(received.first?.retain == true)
        #expect(received.first?.topic == "status/device1")
        await publisher.disconnect()
        await subscriber.disconnect()
    }

    @Test(
        "QoS 1 and 2 messages published while the client is away all arrive, once",
        arguments: ProtocolVersion.allCases
    )
    func persistentSession(_ version: ProtocolVersion) async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let first = MQTTClient(
            configuration: try configuration(broker, id: "away", version: version, clean: false),
            eventLoop: loop
        )
        try await first.connect()
        try await first.subscribe([Subscription(topicFilter: "away/#", qos: .exactlyOnce)])
        await first.disconnect()

        let publisher = MQTTClient(
            configuration: try configuration(broker, id: "pub", version: version),
            eventLoop: loop
        )
        try await publisher.connect()
        for index in 0..<100 {
            let qos: QoS = index.isMultiple(of: 2) ? .atLeastOnce : .exactlyOnce
            try await publisher.publish(Message(topic: "away/\(index)", payload: ArraySlice("\(index)".utf8), qos: qos))
        }

        let inbox = Inbox()
        let returning = MQTTClient(
            configuration: try configuration(broker, id: "away", version: version, clean: false),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        let sessionPresent = try await returning.connect()
        #expect(sessionPresent)
        // A last message, queued behind the others: once it is here, every queued message and any
        // duplicate the broker would send has come (messages of one session arrive in order).
        try await publisher.publish(Message(topic: "away/end", payload: ArraySlice("end".utf8), qos: .exactlyOnce))
        await publisher.disconnect()
        let received = try await inbox.wait(forTopic: "away/end").filter { $0.topic != "away/end" }
        let payloads = received.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(payloads.count == 100, "duplicates: \(payloads.count - Set(payloads).count)")
        #expect(Set(payloads) == Set((0..<100).map(String.init)))
        #expect(received.allSatisfy { !$0.retain })
        await returning.disconnect()
    }

    @Test("a mosquitto restart in the middle of a QoS 2 stream loses and duplicates nothing")
    func brokerRestartMidStream() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let inbox = Inbox()
        let subscriber = MQTTClient(
            configuration: try configuration(broker, id: "stream-sub", clean: false),
            eventLoop: loop,
            onMessage: inbox.handler
        )
        let reconnections = Counter()
        let watcher = Task {
            for await state in subscriber.states {
                if case .connected(let present) = state, present { reconnections.increment() }
            }
        }
        defer { watcher.cancel() }
        try await subscriber.connect()
        try await subscriber.subscribe([Subscription(topicFilter: "stream/#", qos: .exactlyOnce)])
        let publisher = MQTTClient(
            configuration: try configuration(broker, id: "stream-pub", clean: false),
            eventLoop: loop
        )
        try await publisher.connect()

        let total = 2_000
        let acknowledged = Counter()
        for index in 0..<total {
            publisher.publish(
                Message(topic: "stream/\(index)", payload: ArraySlice("\(index)".utf8), qos: .exactlyOnce)
            ) { result in
                if case .success = result { acknowledged.increment() }
            }
            if index == total / 2 {
                // Restart while messages are in flight in both directions.
                try await broker.restart()
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while acknowledged.value < total && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(acknowledged.value == total)
        // Sent after every other message was acknowledged: it arrives after all of them and after
        // any duplicate (the broker delivers a session's messages in order).
        try await publisher.publish(Message(topic: "stream/end", payload: ArraySlice("end".utf8), qos: .exactlyOnce))
        let received = try await inbox.wait(forTopic: "stream/end", timeout: .seconds(30))
        let payloads = received.filter { $0.topic != "stream/end" }.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(Set(payloads) == Set((0..<total).map(String.init)), "missing: \(total - Set(payloads).count)")
        #expect(payloads.count == total, "duplicates: \(payloads.count - Set(payloads).count)")
        #expect(reconnections.value >= 1, "the subscriber never resumed its session after the restart")
        await publisher.disconnect()
        await subscriber.disconnect()
    }

    @Test("a frozen broker is detected within one and a half keep-alive periods")
    func halfOpenConnection() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let client = MQTTClient(
            configuration: try configuration(broker, id: "ka") { $0.keepAlive = 1 },
            eventLoop: loop
        )
        try await client.connect()
        broker.freeze()
        defer { broker.thaw() }
        // Noticed by keep alive (the 1.5 × bound is checked against an injected clock in
        // SessionDeliveryTests; here the broker is real and the machine's load is not ours).
        _ = try await waitForState(client, timeout: .seconds(10)) {
            if case .disconnected(.keepAliveTimeout, _) = $0 { true } else { false }
        }
        broker.thaw()
        _ = try await waitForState(client) { if case .connected = $0 { true } else { false } }
        await client.disconnect()
    }

    @Test("bad credentials are refused with the broker's reason", arguments: ProtocolVersion.allCases)
    func badCredentials(_ version: ProtocolVersion) async throws {
        let broker = try await Mosquitto(.init(users: ["device": "correct horse"]))
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let wrong = MQTTClient(
            configuration: try configuration(broker, id: "wrong", version: version) {
                $0.userName = "device"
                $0.password = Array("battery staple".utf8)
            },
            eventLoop: loop
        )
        await #expect(throws: MQTTClientError.refused(.notAuthorized, reasonString: nil)) { try await wrong.connect() }
        let right = MQTTClient(
            configuration: try configuration(broker, id: "right", version: version) {
                $0.userName = "device"
                $0.password = Array("correct horse".utf8)
            },
            eventLoop: loop
        )
        try await right.connect()
        await right.disconnect()
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex<Int>(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
