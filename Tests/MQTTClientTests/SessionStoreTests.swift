import IO
import MQTTCodec
import TestSupport
import Testing

@testable import MQTTClient
@testable import MQTTSession

/// The file that keeps the client's half of the session across restarts.
@Suite("Session store")
struct SessionStoreTests {
    static func packet(_ payload: String, qos: QoS = .atLeastOnce) -> PublishPacket {
        PublishPacket(topicName: "t", payload: ArraySlice(payload.utf8), qos: qos)
    }

    @Test("what was written is there after reopening; a torn last record is cut off, the rest kept")
    func reopen() throws {
        let directory = try TemporaryDirectory()
        let first = try SessionStore(directory: directory.path)
        first.record(.accepted(key: 1, Self.packet("a")))
        first.record(.sent(key: 1, packetIdentifier: 5))
        first.record(.accepted(key: 2, Self.packet("b")))
        first.record(.finished(key: 2))
        first.record(.received(packetIdentifier: 9))
        first.close()
        let store = try SessionStore(directory: directory.path)
        let outgoing = store.contents.outgoingInOrder
        #expect(outgoing.map(\.key) == [1])
        #expect(outgoing.first?.packetIdentifier == 5)
        #expect(outgoing.first?.packet.payload == ArraySlice("a".utf8))
        #expect(store.contents.incomingQoS2 == [9])
        store.record(.accepted(key: 3, Self.packet("c")))
        store.close()

        // A crash in the middle of a write leaves part of a record.
        let file = try File(path: "\(directory.path)/session.log", create: false)
        let whole = try file.size()
        try file.append([0, 0, 0, 40, 1, 2])
        let reopened = try SessionStore(directory: directory.path)
        #expect(reopened.contents.outgoingInOrder.map(\.key) == [1, 3])
        reopened.close()
        let compacted = try File(path: "\(directory.path)/session.log", create: false)
        #expect(try compacted.size() <= whole, "cut back to the last whole record (then compacted)")

        // A damaged byte in the last record (compaction wrote the QoS 2 receipt last): the store
        // keeps what comes before it.
        let log = try File(path: "\(directory.path)/session.log", create: false)
        var bytes = try log.read(at: 0, count: try log.size())
        bytes[bytes.count - 3] ^= 0xFF
        try log.write(bytes, at: 0)
        let damaged = try SessionStore(directory: directory.path)
        #expect(damaged.contents.outgoingInOrder.map(\.key) == [1, 3])
        #expect(damaged.contents.incomingQoS2.isEmpty)
    }

    @Test("the file is rewritten with only the live changes as it grows")
    func compaction() throws {
        let directory = try TemporaryDirectory()
        let store = try SessionStore(directory: directory.path)
        let payload = String(repeating: "x", count: 1_000)
        for key in UInt64(1)...5_000 {
            store.record(.accepted(key: key, Self.packet(payload)))
            store.record(.sent(key: key, packetIdentifier: UInt16(key % 60_000 + 1)))
            if key != 4_321 { store.record(.finished(key: key)) }
        }
        let size = try File(path: "\(directory.path)/session.log", create: false).size()
        #expect(size < 2 << 20, "5 MB written, \(size) bytes kept")
        store.close()
        let reopened = try SessionStore(directory: directory.path)
        #expect(reopened.contents.outgoingInOrder.map(\.key) == [4_321])
    }

    @Test("one process at a time: a store in use is refused with a clear error")
    func locked() throws {
        let directory = try TemporaryDirectory()
        let store = try SessionStore(directory: directory.path)
        #expect(
            throws: MQTTClientError.invalidConfiguration(
                "the session store \(directory.path) is in use by another process"
            )
        ) {
            try SessionStore(directory: directory.path)
        }
        withExtendedLifetime(store) {}
    }
}
