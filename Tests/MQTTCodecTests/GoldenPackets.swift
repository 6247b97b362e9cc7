import MQTTCodec
import Testing

/// One packet written out byte by byte from the specifications' field tables, with the value it
/// stands for. The bytes were composed by hand from the tables (and, where the specifications give
/// one, from their examples), never produced by our encoder.
struct Golden: CustomTestStringConvertible, Sendable {
    let name: String
    let version: ProtocolVersion
    let bytes: [UInt8]
    let packet: Packet

    var testDescription: String { "\(version) \(name)" }
}

enum GoldenPackets {
    static let v311: [Golden] = [
        Golden(
            // §3.1.2 example flags 0xCE: user name, password, will QoS 1, will, clean session;
            // keep alive 10 (§3.1.2.10's example).
            name: "CONNECT with will and credentials",
            version: .v311,
            bytes: hex(
                """
                10 1F  00 04 4D 51 54 54  04  CE  00 0A
                00 03 63 69 64  00 03 77 2F 74  00 03 62 79 65  00 01 75  00 01 70
                """
            ),
            packet: .connect(
                ConnectPacket(
                    protocolVersion: .v311,
                    clientIdentifier: "cid",
                    cleanStart: true,
                    keepAlive: 10,
                    userName: "u",
                    password: Array("p".utf8),
                    will: .init(topic: "w/t", payload: Array("bye".utf8), qos: .atLeastOnce)
                )
            )
        ),
        Golden(
            name: "CONNECT minimal, persistent session",
            version: .v311,
            bytes: hex("10 0D  00 04 4D 51 54 54  04  00  00 3C  00 01 63"),
            packet: .connect(
                ConnectPacket(protocolVersion: .v311, clientIdentifier: "c", cleanStart: false, keepAlive: 60)
            )
        ),
        Golden(
            name: "CONNACK accepted, session present",
            version: .v311,
            bytes: hex("20 02 01 00"),
            packet: .connack(ConnAckPacket(sessionPresent: true, reasonCode: .success))
        ),
        Golden(
            // Table 3.1: return code 4, bad user name or password.
            name: "CONNACK refused, bad user name or password",
            version: .v311,
            bytes: hex("20 02 00 04"),
            packet: .connack(ConnAckPacket(reasonCode: .badUserNameOrPassword))
        ),
        Golden(
            name: "PUBLISH QoS 0",
            version: .v311,
            bytes: hex("30 07  00 03 61 2F 62  68 69"),
            packet: .publish(PublishPacket(topicName: "a/b", payload: utf8("hi")))
        ),
        Golden(
            name: "PUBLISH QoS 1, DUP, RETAIN",
            version: .v311,
            bytes: hex("3B 08  00 03 61 2F 62  00 0A  78"),
            packet: .publish(
                PublishPacket(
                    topicName: "a/b",
                    payload: utf8("x"),
                    qos: .atLeastOnce,
                    retain: true,
                    duplicate: true,
                    packetIdentifier: 10
                )
            )
        ),
        Golden(
            name: "PUBLISH QoS 2, empty payload",
            version: .v311,
            bytes: hex("34 05  00 01 74  00 01"),
            packet: .publish(PublishPacket(topicName: "t", qos: .exactlyOnce, packetIdentifier: 1))
        ),
        Golden(
            // Remaining length 205 = 0xCD 0x01: two bytes of variable length integer (§2.2.3).
            name: "PUBLISH with a two-byte remaining length",
            version: .v311,
            bytes: hex("30 CD 01  00 03 61 2F 62") + [UInt8](repeating: 0x2A, count: 200),
            packet: .publish(PublishPacket(topicName: "a/b", payload: ArraySlice(repeating: 0x2A, count: 200)))
        ),
        Golden(
            name: "PUBACK",
            version: .v311,
            bytes: hex("40 02 00 0A"),
            packet: .puback(PubAckPacket(packetIdentifier: 10))
        ),
        Golden(
            name: "PUBREC",
            version: .v311,
            bytes: hex("50 02 00 0B"),
            packet: .pubrec(PubAckPacket(packetIdentifier: 11))
        ),
        // §3.6.1: PUBREL's flags are 0010.
        Golden(
            name: "PUBREL",
            version: .v311,
            bytes: hex("62 02 00 0B"),
            packet: .pubrel(PubAckPacket(packetIdentifier: 11))
        ),
        Golden(
            name: "PUBCOMP",
            version: .v311,
            bytes: hex("70 02 00 0B"),
            packet: .pubcomp(PubAckPacket(packetIdentifier: 11))
        ),
        Golden(
            // §3.8.1: SUBSCRIBE's flags are 0010; each filter is followed by its requested QoS.
            name: "SUBSCRIBE two filters",
            version: .v311,
            bytes: hex("82 0E  00 01  00 03 61 2F 2B 01  00 03 62 2F 23 02"),
            packet: .subscribe(
                SubscribePacket(
                    packetIdentifier: 1,
                    subscriptions: [
                        Subscription(topicFilter: "a/+", qos: .atLeastOnce),
                        Subscription(topicFilter: "b/#", qos: .exactlyOnce),
                    ]
                )
            )
        ),
        Golden(
            // §3.9.3: return codes 0x01 (maximum QoS 1) and 0x80 (failure).
            name: "SUBACK granted and failed",
            version: .v311,
            bytes: hex("90 04  00 01  01 80"),
            packet: .suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.grantedQoS1, .unspecifiedError]))
        ),
        Golden(
            name: "UNSUBSCRIBE",
            version: .v311,
            bytes: hex("A2 07  00 03  00 03 61 2F 62"),
            packet: .unsubscribe(UnsubscribePacket(packetIdentifier: 3, topicFilters: ["a/b"]))
        ),
        Golden(
            name: "UNSUBACK",
            version: .v311,
            bytes: hex("B0 02 00 03"),
            packet: .unsuback(SubAckPacket(packetIdentifier: 3, reasonCodes: []))
        ),
        Golden(name: "PINGREQ", version: .v311, bytes: hex("C0 00"), packet: .pingreq),
        Golden(name: "PINGRESP", version: .v311, bytes: hex("D0 00"), packet: .pingresp),
        Golden(name: "DISCONNECT", version: .v311, bytes: hex("E0 00"), packet: .disconnect(DisconnectPacket())),
    ]

    static let v5: [Golden] = [
        Golden(
            // §3.1.2.11 example: flags 0xC2 (user name, password, clean start), keep alive 10,
            // properties of length 5 holding Session Expiry Interval 10.
            name: "CONNECT with session expiry and credentials",
            version: .v5,
            bytes: hex(
                """
                10 1B  00 04 4D 51 54 54  05  C2  00 0A  05 11 00 00 00 0A
                00 03 63 69 64  00 01 75  00 01 70
                """
            ),
            packet: .connect(
                ConnectPacket(
                    clientIdentifier: "cid",
                    cleanStart: true,
                    keepAlive: 10,
                    userName: "u",
                    password: Array("p".utf8),
                    properties: ConnectProperties(sessionExpiryInterval: 10)
                )
            )
        ),
        Golden(
            // Flags 0x2E: will retain, will QoS 1, will, clean start. Will properties: Will Delay
            // Interval 5 and Payload Format Indicator 1.
            name: "CONNECT with will properties",
            version: .v5,
            bytes: hex(
                """
                10 1C  00 04 4D 51 54 54  05  2E  00 3C  00
                00 01 63  07 18 00 00 00 05 01 01  00 01 77  00 01 78
                """
            ),
            packet: .connect(
                ConnectPacket(
                    clientIdentifier: "c",
                    cleanStart: true,
                    keepAlive: 60,
                    will: .init(
                        topic: "w",
                        payload: Array("x".utf8),
                        qos: .atLeastOnce,
                        retain: true,
                        properties: WillProperties(willDelayInterval: 5, payloadFormatIndicator: .utf8)
                    )
                )
            )
        ),
        Golden(
            // Receive Maximum 20, Assigned Client Identifier "a", Topic Alias Maximum 10.
            name: "CONNACK with properties",
            version: .v5,
            bytes: hex("20 0D  00 00  0A 21 00 14 12 00 01 61 22 00 0A"),
            packet: .connack(
                ConnAckPacket(
                    properties: ConnAckProperties(
                        receiveMaximum: 20,
                        assignedClientIdentifier: "a",
                        topicAliasMaximum: 10
                    )
                )
            )
        ),
        Golden(
            name: "CONNACK refused, bad user name or password",
            version: .v5,
            bytes: hex("20 03 00 86 00"),
            packet: .connack(ConnAckPacket(reasonCode: .badUserNameOrPassword))
        ),
        Golden(
            // Properties: Payload Format Indicator 1, Message Expiry Interval 60, User Property
            // (k, v), Content Type "t".
            name: "PUBLISH QoS 1 with properties",
            version: .v5,
            bytes: hex(
                """
                32 1C  00 03 61 2F 62  00 01
                12 01 01 02 00 00 00 3C 26 00 01 6B 00 01 76 03 00 01 74
                68 69
                """
            ),
            packet: .publish(
                PublishPacket(
                    topicName: "a/b",
                    payload: utf8("hi"),
                    qos: .atLeastOnce,
                    packetIdentifier: 1,
                    properties: PublishProperties(
                        payloadFormatIndicator: .utf8,
                        messageExpiryInterval: 60,
                        userProperties: [UserProperty("k", "v")],
                        contentType: "t"
                    )
                )
            )
        ),
        Golden(
            // §3.3.2.3.4: an empty topic name with a Topic Alias.
            name: "PUBLISH with topic alias and empty topic",
            version: .v5,
            bytes: hex("30 07  00 00  03 23 00 03  7A"),
            packet: .publish(
                PublishPacket(topicName: "", payload: utf8("z"), properties: PublishProperties(topicAlias: 3))
            )
        ),
        Golden(
            // §3.3.4: one Subscription Identifier per matching subscription; 128 = 0x80 0x01.
            name: "PUBLISH with two subscription identifiers",
            version: .v5,
            bytes: hex("30 09  00 01 73  05 0B 01 0B 80 01"),
            packet: .publish(
                PublishPacket(topicName: "s", properties: PublishProperties(subscriptionIdentifiers: [1, 128]))
            )
        ),
        Golden(
            // §3.4.2.1: Success with no properties leaves out reason code and property length.
            name: "PUBACK short form",
            version: .v5,
            bytes: hex("40 02 00 0A"),
            packet: .puback(PubAckPacket(packetIdentifier: 10))
        ),
        Golden(
            // §3.4.2.2.1: with a reason code but no properties the property length may be left out.
            name: "PUBACK no matching subscribers",
            version: .v5,
            bytes: hex("40 03 00 0A 10"),
            packet: .puback(PubAckPacket(packetIdentifier: 10, reasonCode: .noMatchingSubscribers))
        ),
        Golden(
            name: "PUBACK failure with reason string",
            version: .v5,
            bytes: hex("40 08 00 0A 80 04 1F 00 01 65"),
            packet: .puback(
                PubAckPacket(
                    packetIdentifier: 10,
                    reasonCode: .unspecifiedError,
                    properties: AckProperties(reasonString: "e")
                )
            )
        ),
        Golden(
            name: "PUBREC",
            version: .v5,
            bytes: hex("50 02 00 0B"),
            packet: .pubrec(PubAckPacket(packetIdentifier: 11))
        ),
        Golden(
            name: "PUBREL packet identifier not found",
            version: .v5,
            bytes: hex("62 03 00 0B 92"),
            packet: .pubrel(PubAckPacket(packetIdentifier: 11, reasonCode: .packetIdentifierNotFound))
        ),
        Golden(
            name: "PUBCOMP",
            version: .v5,
            bytes: hex("70 02 00 0B"),
            packet: .pubcomp(PubAckPacket(packetIdentifier: 11))
        ),
        Golden(
            // Subscription Identifier 5; options 0x2D = QoS 1, No Local, Retain As Published,
            // Retain Handling 2 (§3.8.3.1).
            name: "SUBSCRIBE with options and identifier",
            version: .v5,
            bytes: hex("82 0B  00 02  02 0B 05  00 03 61 2F 23 2D"),
            packet: .subscribe(
                SubscribePacket(
                    packetIdentifier: 2,
                    subscriptions: [
                        Subscription(
                            topicFilter: "a/#",
                            qos: .atLeastOnce,
                            noLocal: true,
                            retainAsPublished: true,
                            retainHandling: .doNotSend
                        )
                    ],
                    properties: SubscribeProperties(subscriptionIdentifier: 5)
                )
            )
        ),
        Golden(
            name: "SUBACK granted and wildcard refused",
            version: .v5,
            bytes: hex("90 05  00 02  00  01 A2"),
            packet: .suback(
                SubAckPacket(packetIdentifier: 2, reasonCodes: [.grantedQoS1, .wildcardSubscriptionsNotSupported])
            )
        ),
        Golden(
            name: "UNSUBSCRIBE",
            version: .v5,
            bytes: hex("A2 08  00 03  00  00 03 61 2F 62"),
            packet: .unsubscribe(UnsubscribePacket(packetIdentifier: 3, topicFilters: ["a/b"]))
        ),
        Golden(
            name: "UNSUBACK",
            version: .v5,
            bytes: hex("B0 05  00 03  00  00 11"),
            packet: .unsuback(SubAckPacket(packetIdentifier: 3, reasonCodes: [.success, .noSubscriptionExisted]))
        ),
        Golden(name: "PINGREQ", version: .v5, bytes: hex("C0 00"), packet: .pingreq),
        Golden(name: "PINGRESP", version: .v5, bytes: hex("D0 00"), packet: .pingresp),
        Golden(
            // §3.14.2.1: no body at all means Normal disconnection.
            name: "DISCONNECT normal",
            version: .v5,
            bytes: hex("E0 00"),
            packet: .disconnect(DisconnectPacket())
        ),
        Golden(
            name: "DISCONNECT with will message",
            version: .v5,
            bytes: hex("E0 01 04"),
            packet: .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage))
        ),
        Golden(
            name: "DISCONNECT with properties",
            version: .v5,
            bytes: hex("E0 0B  00  09 11 00 00 00 00 1F 00 01 62"),
            packet: .disconnect(
                DisconnectPacket(properties: DisconnectProperties(sessionExpiryInterval: 0, reasonString: "b"))
            )
        ),
        Golden(
            // §3.15.2.1: no body means Success.
            name: "AUTH success",
            version: .v5,
            bytes: hex("F0 00"),
            packet: .auth(AuthPacket())
        ),
        Golden(
            name: "AUTH continue with method and data",
            version: .v5,
            bytes: hex("F0 0B  18  09 15 00 01 6D 16 00 02 01 02"),
            packet: .auth(
                AuthPacket(
                    reasonCode: .continueAuthentication,
                    properties: AuthProperties(authenticationMethod: "m", authenticationData: [1, 2])
                )
            )
        ),
    ]

    static let all = v311 + v5
}
