import MQTTCodec
import Testing

@testable import MQTTSession

/// Drives a ``SessionState`` by hand: each step returns the actions it produced.
struct SessionHarness {
    var session: SessionState
    var now = Instant.seconds(0)
    private var buffer: [SessionAction] = []
    private var nextToken: RequestToken = 1

    init(_ configure: (inout SessionConfiguration) -> Void = { _ in }) {
        var configuration = SessionConfiguration(
            url: try! BrokerURL("tcp://broker:1883"),
            clientIdentifier: "test-client"
        )
        configuration.keepAlive = 10
        configure(&configuration)
        session = SessionState(configuration: configuration)
    }

    private mutating func take() -> [SessionAction] {
        defer { buffer.removeAll() }
        return buffer
    }

    mutating func open() -> [SessionAction] {
        session.connectionOpened(now: now, into: &buffer)
        return take()
    }

    /// Bytes the decoder could not turn into a packet.
    mutating func failDecoding(_ error: MQTTCodecError) -> [SessionAction] {
        session.decodingFailed(error, now: now, into: &buffer)
        return take()
    }

    mutating func receive(_ packet: Packet) -> [SessionAction] {
        session.received(packet, now: now, into: &buffer)
        return take()
    }

    /// Opens a connection and answers CONNACK; returns what followed the CONNACK.
    mutating func connect(
        sessionPresent: Bool = false,
        properties: ConnAckProperties = ConnAckProperties()
    ) -> [SessionAction] {
        _ = open()
        return receive(.connack(ConnAckPacket(sessionPresent: sessionPresent, properties: properties)))
    }

    mutating func lose(_ error: MQTTClientError = .connectionLost("test")) -> [SessionAction] {
        session.connectionClosed(error, now: now, into: &buffer)
        return take()
    }

    mutating func advance(to seconds: Double) -> [SessionAction] {
        now = .seconds(seconds)
        session.tick(now: now, into: &buffer)
        return take()
    }

    mutating func publish(
        _ topic: String,
        _ payload: String = "x",
        qos: QoS = .atLeastOnce,
        retain: Bool = false
    ) -> (RequestToken, [SessionAction]) {
        let token = nextToken
        nextToken += 1
        let message = Message(topic: topic, payload: ArraySlice(payload.utf8), qos: qos, retain: retain)
        session.publish(message, token: token, now: now, into: &buffer)
        return (token, take())
    }

    mutating func subscribe(_ filters: String...) -> (RequestToken, [SessionAction]) {
        let token = nextToken
        nextToken += 1
        session.subscribe(filters.map { Subscription(topicFilter: $0) }, token: token, now: now, into: &buffer)
        return (token, take())
    }

    mutating func unsubscribe(_ filters: String...) -> (RequestToken, [SessionAction]) {
        let token = nextToken
        nextToken += 1
        session.unsubscribe(filters, token: token, now: now, into: &buffer)
        return (token, take())
    }

    mutating func disconnect() -> [SessionAction] {
        session.disconnect(now: now, into: &buffer)
        return take()
    }
}

extension Array where Element == SessionAction {
    /// The packets sent, in order, acknowledgements of accepted deliveries included.
    var sent: [Packet] {
        compactMap { action in
            switch action {
            case .send(let packet): packet
            case .deliver(_, let acknowledgement): acknowledgement
            default: nil
            }
        }
    }

    /// The messages delivered, in order.
    var delivered: [Message] {
        compactMap { if case .deliver(let message, _) = $0 { message } else { nil } }
    }

    /// The close reason, if the actions close the connection.
    var closeReason: MQTTClientError? {
        for action in self { if case .close(let error) = action { return error } }
        return nil
    }
}

/// A PUBLISH from the broker.
func inbound(
    _ topic: String,
    _ payload: String = "p",
    qos: QoS = .atMostOnce,
    id: UInt16? = nil,
    dup: Bool = false,
    alias: UInt16? = nil
) -> Packet {
    .publish(
        PublishPacket(
            topicName: topic,
            payload: ArraySlice(payload.utf8),
            qos: qos,
            duplicate: dup,
            packetIdentifier: id,
            properties: PublishProperties(topicAlias: alias)
        )
    )
}

extension Packet {
    /// The PUBLISH this packet is, if it is one.
    var publish: PublishPacket? {
        if case .publish(let publish) = self { publish } else { nil }
    }

    /// The CONNECT this packet is, if it is one.
    var connect: ConnectPacket? {
        if case .connect(let connect) = self { connect } else { nil }
    }

    /// The SUBSCRIBE this packet is, if it is one.
    var subscribe: SubscribePacket? {
        if case .subscribe(let subscribe) = self { subscribe } else { nil }
    }
}
