import MQTTCodec
import Testing

@Suite("Round trips: encode then decode gives the same packet")
struct RoundTripTests {
    static let pairs = [UserProperty("a", "1"), UserProperty("a", "2"), UserProperty("ünï", "cødé")]

    /// Packets with every field and property set, per version.
    static let v5Packets: [Packet] = [
        .connect(
            ConnectPacket(
                clientIdentifier: "device-Ω",
                cleanStart: false,
                keepAlive: 65_535,
                userName: "user",
                password: [0, 1, 2, 255],
                will: .init(
                    topic: "status/device",
                    payload: Array("offline".utf8),
                    qos: .exactlyOnce,
                    retain: true,
                    properties: WillProperties(
                        willDelayInterval: 30,
                        payloadFormatIndicator: .utf8,
                        messageExpiryInterval: 3_600,
                        contentType: "text/plain",
                        responseTopic: "reply/device",
                        correlationData: [9, 8, 7],
                        userProperties: pairs
                    )
                ),
                properties: ConnectProperties(
                    sessionExpiryInterval: .max,
                    receiveMaximum: 100,
                    maximumPacketSize: 1_048_576,
                    topicAliasMaximum: 10,
                    requestResponseInformation: true,
                    requestProblemInformation: false,
                    userProperties: pairs,
                    authenticationMethod: "SCRAM-SHA-256",
                    authenticationData: [1, 2, 3]
                )
            )
        ),
        .connack(
            ConnAckPacket(
                sessionPresent: true,
                properties: ConnAckProperties(
                    sessionExpiryInterval: 60,
                    receiveMaximum: 1,
                    maximumQoS: .atLeastOnce,
                    retainAvailable: false,
                    maximumPacketSize: 1_024,
                    assignedClientIdentifier: "auto-123",
                    topicAliasMaximum: 5,
                    reasonString: "welcome",
                    userProperties: pairs,
                    wildcardSubscriptionAvailable: false,
                    subscriptionIdentifiersAvailable: true,
                    sharedSubscriptionAvailable: false,
                    serverKeepAlive: 30,
                    responseInformation: "responses/",
                    serverReference: "other:1883",
                    authenticationMethod: "SCRAM-SHA-256",
                    authenticationData: [4, 5]
                )
            )
        ),
        .publish(
            PublishPacket(
                topicName: "factory/press7/telemetry",
                payload: ArraySlice((0...255).map(UInt8.init)),
                qos: .exactlyOnce,
                retain: true,
                duplicate: true,
                packetIdentifier: 65_535,
                properties: PublishProperties(
                    payloadFormatIndicator: .unspecified,
                    messageExpiryInterval: 0,
                    topicAlias: 65_535,
                    responseTopic: "reply/x",
                    correlationData: [],
                    userProperties: pairs,
                    subscriptionIdentifiers: [1, 127, 128, 16_383, 16_384, 268_435_455],
                    contentType: "application/octet-stream"
                )
            )
        ),
        .puback(
            PubAckPacket(
                packetIdentifier: 1,
                reasonCode: .quotaExceeded,
                properties: AckProperties(reasonString: "full", userProperties: pairs)
            )
        ),
        .pubrec(
            PubAckPacket(
                packetIdentifier: 2,
                reasonCode: .packetIdentifierInUse,
                properties: AckProperties(userProperties: pairs)
            )
        ),
        .pubrel(PubAckPacket(packetIdentifier: 3, reasonCode: .packetIdentifierNotFound)),
        .pubcomp(PubAckPacket(packetIdentifier: 4, properties: AckProperties(reasonString: "ok"))),
        .subscribe(
            SubscribePacket(
                packetIdentifier: 5,
                subscriptions: [
                    Subscription(topicFilter: "#", qos: .atMostOnce),
                    Subscription(topicFilter: "+/+/+", qos: .atLeastOnce, noLocal: true),
                    Subscription(
                        topicFilter: "$share/group/a/#",
                        qos: .exactlyOnce,
                        retainHandling: .sendOnNewSubscription
                    ),
                    Subscription(
                        topicFilter: "$SYS/broker/uptime",
                        retainAsPublished: true,
                        retainHandling: .doNotSend
                    ),
                ],
                properties: SubscribeProperties(subscriptionIdentifier: 42, userProperties: pairs)
            )
        ),
        .suback(
            SubAckPacket(
                packetIdentifier: 5,
                reasonCodes: [.grantedQoS0, .grantedQoS1, .grantedQoS2, .sharedSubscriptionsNotSupported],
                properties: AckProperties(reasonString: "partly")
            )
        ),
        .unsubscribe(
            UnsubscribePacket(
                packetIdentifier: 6,
                topicFilters: ["#", "a/+"],
                properties: UnsubscribeProperties(userProperties: pairs)
            )
        ),
        .unsuback(
            SubAckPacket(
                packetIdentifier: 6,
                reasonCodes: [.success, .noSubscriptionExisted],
                properties: AckProperties(userProperties: pairs)
            )
        ),
        .pingreq,
        .pingresp,
        .disconnect(
            DisconnectPacket(
                reasonCode: .serverMoved,
                properties: DisconnectProperties(
                    sessionExpiryInterval: 0,
                    reasonString: "bye",
                    userProperties: pairs,
                    serverReference: "b:1883"
                )
            )
        ),
        .auth(
            AuthPacket(
                reasonCode: .reAuthenticate,
                properties: AuthProperties(
                    authenticationMethod: "m",
                    authenticationData: [0],
                    reasonString: "r",
                    userProperties: pairs
                )
            )
        ),
    ]

    static let v311Packets: [Packet] = [
        .connect(
            ConnectPacket(
                protocolVersion: .v311,
                clientIdentifier: "",
                cleanStart: true,
                keepAlive: 0,
                userName: "",
                password: [],
                will: .init(topic: "w", payload: [], qos: .exactlyOnce, retain: true)
            )
        ),
        .connack(ConnAckPacket(reasonCode: .notAuthorized)),
        .connack(ConnAckPacket(reasonCode: .unsupportedProtocolVersion)),
        .publish(PublishPacket(topicName: "/", payload: [0], qos: .atLeastOnce, packetIdentifier: 1)),
        .subscribe(
            SubscribePacket(
                packetIdentifier: 9,
                subscriptions: [Subscription(topicFilter: "$share/g/x", qos: .atMostOnce)]
            )
        ),
        .suback(SubAckPacket(packetIdentifier: 9, reasonCodes: [.grantedQoS0, .grantedQoS2, .unspecifiedError])),
        .unsubscribe(UnsubscribePacket(packetIdentifier: 9, topicFilters: ["a", "b", "c"])),
        .unsuback(SubAckPacket(packetIdentifier: 9, reasonCodes: [])),
    ]

    @Test("5.0 packets with every property", arguments: v5Packets)
    func v5(_ packet: Packet) throws {
        try roundTrip(packet, .v5)
    }

    @Test("3.1.1 packets", arguments: v311Packets)
    func v311(_ packet: Packet) throws {
        try roundTrip(packet, .v311)
    }

    @Test("generated PUBLISH packets of every shape")
    func generatedPublishes() throws {
        var random = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let qos = QoS(rawValue: UInt8(random.next() % 3))!
            let levels = (0..<Int(random.next() % 4 + 1)).map { _ in String(random.next() % 1_000) }
            let payload = ArraySlice(
                (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            )
            let publish = PublishPacket(
                topicName: levels.joined(separator: "/"),
                payload: payload,
                qos: qos,
                retain: random.next() % 2 == 0,
                duplicate: qos != .atMostOnce && random.next() % 2 == 0,
                packetIdentifier: qos == .atMostOnce ? nil : UInt16(random.next() % 65_535 + 1)
            )
            for version in ProtocolVersion.allCases {
                try roundTrip(.publish(publish), version)
            }
        }
    }

    private func roundTrip(_ packet: Packet, _ version: ProtocolVersion) throws {
        let bytes = try packet.encoded(version: version)
        var decoder = PacketDecoder(version: version)
        decoder.append(bytes)
        #expect(try decoder.next() == packet)
        #expect(decoder.bufferedByteCount == 0)
    }
}
