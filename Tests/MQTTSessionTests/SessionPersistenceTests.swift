import MQTTCodec
import Testing

@testable import MQTTSession

/// The client's half of the session kept across restarts, as the state machine sees it: what it
/// announces for the store, how a restored session resumes, and the records changes are kept as.
@Suite("Session persistence")
struct SessionPersistenceTests {
    static func stored(_ actions: [SessionAction]) -> [SessionStoreChange] {
        actions.compactMap { if case .store(let change) = $0 { change } else { nil } }
    }

    /// A harness whose session is kept in a store (restored from `snapshot`).
    static func persistentHarness(_ snapshot: SessionSnapshot = SessionSnapshot()) -> SessionHarness {
        var harness = SessionHarness()
        harness.session.restore(snapshot)
        return harness
    }

    static func packet(_ payload: String, qos: QoS = .atLeastOnce) -> PublishPacket {
        PublishPacket(topicName: "t", payload: ArraySlice(payload.utf8), qos: qos)
    }

    // MARK: - The state machine

    @Test("each QoS 1 and 2 step is announced for the store before the packet that depends on it")
    func announcedBeforeSending() {
        var harness = Self.persistentHarness()
        _ = harness.connect()
        let (_, qos1) = harness.publish("t", "one")
        #expect(Self.stored(qos1) == [.accepted(key: 1, Self.packet("one")), .sent(key: 1, packetIdentifier: 1)])
        #expect(qos1.firstIndex { if case .store(.sent) = $0 { true } else { false } }! < qos1.count - 1)
        #expect(Self.stored(harness.receive(.puback(PubAckPacket(packetIdentifier: 1)))) == [.finished(key: 1)])

        let (_, qos2) = harness.publish("t", "two", qos: .exactlyOnce)
        #expect(Self.stored(qos2).count == 2)
        let rec = harness.receive(.pubrec(PubAckPacket(packetIdentifier: 2)))
        #expect(Self.stored(rec) == [.released(key: 2)])
        guard case .store = rec.first, case .send(.pubrel) = rec.last else {
            Issue.record("the store must hear of PUBREC before PUBREL leaves: \(rec)")
            return
        }
        #expect(Self.stored(harness.receive(.pubcomp(PubAckPacket(packetIdentifier: 2)))) == [.finished(key: 2)])

        let (_, qos0) = harness.publish("t", "zero", qos: .atMostOnce)
        #expect(Self.stored(qos0).isEmpty, "QoS 0 is never kept")
    }

    @Test("without a store nothing is announced")
    func notPersistent() {
        var harness = SessionHarness()
        _ = harness.connect()
        #expect(Self.stored(harness.publish("t").1).isEmpty)
        #expect(Self.stored(harness.receive(.puback(PubAckPacket(packetIdentifier: 1)))).isEmpty)
    }

    @Test("restored: in-flight messages go again with DUP under their identifiers, then the queued ones")
    func restoredSessionPresent() {
        var snapshot = SessionSnapshot()
        for change: SessionStoreChange in [
            .accepted(key: 4, Self.packet("a")), .sent(key: 4, packetIdentifier: 9),
            .accepted(key: 5, Self.packet("b", qos: .exactlyOnce)), .sent(key: 5, packetIdentifier: 10),
            .released(key: 5),
            .accepted(key: 6, Self.packet("c")),
            .accepted(key: 7, Self.packet("gone")), .finished(key: 7),
        ] {
            snapshot.apply(change)
        }
        var harness = Self.persistentHarness(snapshot)
        let sent = harness.connect(sessionPresent: true).sent
        guard sent.count == 3, case .publish(let a) = sent[0], case .pubrel(let b) = sent[1],
            case .publish(let c) = sent[2]
        else {
            Issue.record("unexpected: \(sent)")
            return
        }
        #expect(a.packetIdentifier == 9 && a.duplicate && a.payload == ArraySlice("a".utf8))
        #expect(b.packetIdentifier == 10)
        #expect(!c.duplicate && c.payload == ArraySlice("c".utf8) && ![9, 10].contains(c.packetIdentifier))
        #expect(harness.session.pendingPublishes == 3)
        #expect(Self.stored(harness.receive(.puback(PubAckPacket(packetIdentifier: 9)))) == [.finished(key: 4)])
        let (_, next) = harness.publish("t", "new")
        #expect(Self.stored(next).first == .accepted(key: 7, Self.packet("new")), "keys go on after the live ones")
    }

    @Test("restored, but the broker lost the session: unacknowledged messages are published anew")
    func restoredSessionLost() {
        var snapshot = SessionSnapshot()
        snapshot.apply(.accepted(key: 1, Self.packet("a")))
        snapshot.apply(.sent(key: 1, packetIdentifier: 3))
        snapshot.apply(.accepted(key: 2, Self.packet("b", qos: .exactlyOnce)))
        snapshot.apply(.sent(key: 2, packetIdentifier: 4))
        snapshot.apply(.released(key: 2))
        snapshot.apply(.received(packetIdentifier: 12))
        var harness = Self.persistentHarness(snapshot)
        let actions = harness.connect(sessionPresent: false)
        #expect(Self.stored(actions).contains(.finished(key: 2)), "the broker had the QoS 2 message already")
        #expect(Self.stored(actions).contains(.receivedCleared))
        guard case .publish(let again)? = actions.sent.first else {
            Issue.record("not published anew: \(actions)")
            return
        }
        #expect(!again.duplicate && again.payload == ArraySlice("a".utf8))
        #expect(Self.stored(actions).contains(.sent(key: 1, packetIdentifier: again.packetIdentifier!)))
    }

    @Test("an incoming QoS 2 message delivered before a restart is not delivered again")
    func incomingExactlyOnce() {
        var snapshot = SessionSnapshot()
        snapshot.apply(.received(packetIdentifier: 7))
        var harness = Self.persistentHarness(snapshot)
        _ = harness.connect(sessionPresent: true)
        let again = harness.receive(inbound("t", qos: .exactlyOnce, id: 7, dup: true))
        #expect(again.delivered.isEmpty)
        #expect(again.sent == [.pubrec(PubAckPacket(packetIdentifier: 7))])
        let released = harness.receive(.pubrel(PubAckPacket(packetIdentifier: 7)))
        #expect(Self.stored(released) == [.receivedReleased(packetIdentifier: 7)])
        #expect(released.sent == [.pubcomp(PubAckPacket(packetIdentifier: 7))])
    }

    @Test("a QoS 2 exchange the broker forgot (its identifier reused for QoS 1) is released in the store")
    func forgottenExchangeReleased() {
        var snapshot = SessionSnapshot()
        snapshot.apply(.received(packetIdentifier: 7))
        var harness = Self.persistentHarness(snapshot)
        _ = harness.connect(sessionPresent: true)
        let reused = harness.receive(inbound("t", qos: .atLeastOnce, id: 7))
        #expect(Self.stored(reused) == [.receivedReleased(packetIdentifier: 7)])
        #expect(reused.delivered.count == 1)
    }

    // MARK: - Records

    @Test(
        "every change survives its record",
        arguments: [
            SessionStoreChange.accepted(
                key: 1,
                PublishPacket(topicName: "a/b", payload: [1, 2, 3], qos: .atLeastOnce)
            ),
            .accepted(
                key: .max,
                PublishPacket(
                    topicName: "t",
                    payload: ArraySlice("x".utf8),
                    qos: .exactlyOnce,
                    retain: true,
                    properties: PublishProperties(
                        messageExpiryInterval: 60,
                        userProperties: [UserProperty("k", "v")],
                        contentType: "text/plain"
                    )
                )
            ),
            .sent(key: 2, packetIdentifier: 65_535), .released(key: 3), .finished(key: 4),
            .received(packetIdentifier: 1), .receivedReleased(packetIdentifier: 2), .receivedCleared,
        ]
    )
    func recordRoundTrip(_ change: SessionStoreChange) throws {
        let body = try change.encoded()
        #expect(SessionStoreChange(record: body[...]) == change)
        #expect(SessionStoreChange(record: body.dropLast()) == nil || body.count == 1)
    }

}
