import MQTTCodec
import Testing

@Suite("The encoder refuses what a strict peer would reject")
struct EncoderValidationTests {
    private func problem(_ packet: Packet, _ version: ProtocolVersion = .v5) -> MQTTCodecError.Problem? {
        do {
            _ = try packet.encoded(version: version)
            return nil
        } catch {
            return error.problem
        }
    }

    @Test("PUBLISH rules")
    func publish() {
        #expect(problem(.publish(PublishPacket(topicName: "t", qos: .atLeastOnce))) == .missingPacketIdentifier)
        #expect(problem(.publish(PublishPacket(topicName: "t", packetIdentifier: 1))) == .unexpectedPacketIdentifier)
        #expect(problem(.publish(PublishPacket(topicName: "t", duplicate: true))) == .duplicateFlagWithQoS0)
        #expect(
            problem(.publish(PublishPacket(topicName: "t", qos: .atLeastOnce, packetIdentifier: 0)))
                == .zeroPacketIdentifier
        )
        #expect(problem(.publish(PublishPacket(topicName: "a/+"))) == .wildcardInTopicName)
        #expect(problem(.publish(PublishPacket(topicName: "a\u{0}b"))) == .nullCharacter)
        #expect(problem(.publish(PublishPacket(topicName: ""))) == .emptyTopic)
        #expect(
            problem(.publish(PublishPacket(topicName: String(repeating: "x", count: 65_536)))) == .stringTooLong(65_536)
        )
        let aliased = PublishPacket(topicName: "", properties: PublishProperties(topicAlias: 1))
        #expect(problem(.publish(aliased)) == nil)
        #expect(problem(.publish(aliased), .v311) == .emptyTopic)
        #expect(
            problem(.publish(PublishPacket(topicName: "t", properties: PublishProperties(topicAlias: 0))))
                == .invalidPropertyValue(0)
        )
        #expect(
            problem(.publish(PublishPacket(topicName: "t", properties: PublishProperties(responseTopic: "r/#"))))
                == .wildcardInTopicName
        )
    }

    @Test("properties do not exist in 3.1.1")
    func propertiesIn311() {
        let publish = PublishPacket(topicName: "t", properties: PublishProperties(contentType: "text/plain"))
        #expect(problem(.publish(publish), .v311) == .notInVersion)
        #expect(problem(.auth(AuthPacket()), .v311) == .notInVersion)
        #expect(problem(.disconnect(DisconnectPacket(reasonCode: .serverBusy)), .v311) == .notInVersion)
        #expect(
            problem(.puback(PubAckPacket(packetIdentifier: 1, reasonCode: .unspecifiedError)), .v311)
                == .invalidReasonCode(0x80)
        )
        #expect(problem(.unsuback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.success])), .v311) == .notInVersion)
        let noLocal = SubscribePacket(
            packetIdentifier: 1,
            subscriptions: [Subscription(topicFilter: "a", noLocal: true)]
        )
        #expect(problem(.subscribe(noLocal), .v311) == .notInVersion)
    }

    @Test("reason codes must belong to the packet")
    func reasonCodes() {
        #expect(
            problem(.puback(PubAckPacket(packetIdentifier: 1, reasonCode: .malformedPacket)))
                == .invalidReasonCode(0x81)
        )
        #expect(problem(.connack(ConnAckPacket(reasonCode: .banned)), .v311) == .invalidReasonCode(0x8A))
        #expect(problem(.connack(ConnAckPacket(sessionPresent: true, reasonCode: .notAuthorized))) != nil)
        #expect(
            problem(.suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.noSubscriptionExisted])))
                == .invalidReasonCode(0x11)
        )
        #expect(problem(.suback(SubAckPacket(packetIdentifier: 1, reasonCodes: []))) != nil)
    }

    @Test("SUBSCRIBE and UNSUBSCRIBE rules")
    func subscribe() {
        #expect(problem(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: []))) == .noTopicFilters)
        #expect(problem(.unsubscribe(UnsubscribePacket(packetIdentifier: 1, topicFilters: []))) == .noTopicFilters)
        let badFilter = SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(topicFilter: "a/#/b")])
        #expect(
            problem(.subscribe(badFilter)) == .invalidTopicFilter("'#' must be the last level and stand alone in it")
        )
        let shared = SubscribePacket(
            packetIdentifier: 1,
            subscriptions: [Subscription(topicFilter: "$share/g/a", noLocal: true)]
        )
        #expect(problem(.subscribe(shared)) == .noLocalOnSharedSubscription)
        let zero = SubscribePacket(
            packetIdentifier: 1,
            subscriptions: [Subscription(topicFilter: "a")],
            properties: SubscribeProperties(subscriptionIdentifier: 0)
        )
        #expect(problem(.subscribe(zero)) == .invalidPropertyValue(0))
        let tooBig = SubscribePacket(
            packetIdentifier: 1,
            subscriptions: [Subscription(topicFilter: "a")],
            properties: SubscribeProperties(subscriptionIdentifier: 268_435_456)
        )
        #expect(problem(.subscribe(tooBig)) == .invalidPropertyValue(268_435_456))
    }

    @Test("CONNECT rules")
    func connect() {
        let passwordOnly = ConnectPacket(protocolVersion: .v311, clientIdentifier: "c", password: [1])
        #expect(problem(.connect(passwordOnly)) == .inconsistentFlags("a password needs a user name"))
        // MQTT 5.0 allows a password without a user name (§3.1.2.9).
        #expect(problem(.connect(ConnectPacket(clientIdentifier: "c", password: [1]))) == nil)
        let badWill = ConnectPacket(clientIdentifier: "c", will: .init(topic: "w/#", payload: []))
        #expect(problem(.connect(badWill)) == .wildcardInTopicName)
        let receiveZero = ConnectPacket(clientIdentifier: "c", properties: ConnectProperties(receiveMaximum: 0))
        #expect(problem(.connect(receiveZero)) == .invalidPropertyValue(0))
    }

    @Test("a packet over the peer's maximum size is refused and the buffer left as it was")
    func maximumPacketSize() throws {
        var buffer: [UInt8] = [1, 2, 3]
        let publish = Packet.publish(PublishPacket(topicName: "t", payload: ArraySlice(repeating: 0, count: 100)))
        #expect(throws: MQTTCodecError.self) {
            try publish.encode(version: .v5, into: &buffer, maximumPacketSize: 50)
        }
        #expect(buffer == [1, 2, 3])
        try publish.encode(version: .v5, into: &buffer, maximumPacketSize: 106)
        #expect(buffer.count == 3 + 106)
    }

    @Test("remaining lengths at each size boundary of the variable byte integer")
    func remainingLengthBoundaries() throws {
        // Table 1-1 of MQTT 5.0 §1.5.5: the first and last value of each encoded size.
        let boundaries: [(Int, [UInt8])] = [
            (127, hex("7F")), (128, hex("80 01")), (16_383, hex("FF 7F")), (16_384, hex("80 80 01")),
            (2_097_151, hex("FF FF 7F")), (2_097_152, hex("80 80 80 01")),
        ]
        for (remaining, encoded) in boundaries {
            // Topic "t" (3 bytes) and an empty property block (1 byte) precede the payload.
            let payload = ArraySlice(repeating: UInt8(0), count: remaining - 4)
            let bytes = try Packet.publish(PublishPacket(topicName: "t", payload: payload)).encoded(version: .v5)
            #expect(Array(bytes[1..<(1 + encoded.count)]) == encoded, "remaining length \(remaining)")
            var decoder = PacketDecoder(version: .v5)
            decoder.append(bytes)
            guard case .publish(let decoded) = try decoder.next() else {
                Issue.record("no PUBLISH for remaining length \(remaining)")
                continue
            }
            #expect(decoded.payload.count == payload.count)
        }
    }

    @Test("the largest subscription identifier encodes in four bytes")
    func largestSubscriptionIdentifier() throws {
        let subscribe = SubscribePacket(
            packetIdentifier: 1,
            subscriptions: [Subscription(topicFilter: "a", qos: .atMostOnce)],
            properties: SubscribeProperties(subscriptionIdentifier: 268_435_455)
        )
        #expect(
            try Packet.subscribe(subscribe).encoded(version: .v5) == hex("82 0C 00 01 05 0B FF FF FF 7F 00 01 61 00")
        )
    }
}
