import AgentProtocol
import Testing

/// The handler's side of a Discover stream: what it sends, read by the agent's ``DeviceList``.
@Suite("discover feed")
struct DiscoverFeedTests {
    typealias Device = DiscoverResponse.Device

    static func device(_ id: String, _ value: String = "1") -> Device {
        Device(id: id, properties: ["MQTT_TOPIC": "t/\(id)", "V": value])
    }

    /// Sends everything owed into `list`; returns the responses' sizes and the changes they made.
    static func drain(
        _ feed: inout DiscoverFeed,
        into list: inout DeviceList,
        limit: Int? = nil
    ) throws -> (sizes: [Int], changes: [DeviceList.Change]) {
        var sizes: [Int] = []
        var changes: [DeviceList.Change] = []
        while let response = feed.next(limit: limit) {
            let (devices, extensions) = try #require(response.sent, "over the limit: \(response)")
            let bytes = DiscoverResponse.serialize(devices: devices, extensions: extensions) { _, _ in }
            sizes.append(bytes.count)
            changes.append(try list.apply(serializedResponse: bytes[...]))
        }
        return (sizes, changes)
    }

    @Test("the first list goes in pieces under the limit; the agent has every device after the last")
    func firstListInPieces() throws {
        var feed = DiscoverFeed(sendsChanges: true, pieceLimit: 1_000)
        let devices = (0..<200).map { Self.device("device-\($0)") }
        for device in devices { feed.upsert(id: device.id, bytes: device.serialized) }
        var list = DeviceList()
        let (sizes, changes) = try Self.drain(&feed, into: &list)
        #expect(sizes.count >= 9, "\(sizes.count) pieces")
        #expect(sizes.allSatisfy { $0 <= 1_000 + 4 }, "the extension fields come on top: \(sizes.max() ?? 0)")
        #expect(list.devices == Dictionary(uniqueKeysWithValues: devices.map { ($0.id, $0) }))
        #expect(changes.allSatisfy { $0.removed.isEmpty })
        #expect(feed.next(limit: nil) == nil, "nothing more is owed")
    }

    @Test("an empty first list is still sent, so the agent hears at once")
    func emptyFirstList() throws {
        var feed = DiscoverFeed(sendsChanges: true)
        var list = DeviceList()
        #expect(try Self.drain(&feed, into: &list).sizes.count == 1)
        #expect(feed.next(limit: nil) == nil)
    }

    @Test("after the list, only changes: coalesced, removals with their reason, an agent's list kept in step")
    func changes() throws {
        var feed = DiscoverFeed(sendsChanges: true)
        var list = DeviceList()
        for id in ["a", "b", "c"] { feed.upsert(id: id, bytes: Self.device(id).serialized) }
        _ = try Self.drain(&feed, into: &list)
        for value in 2...5 { feed.upsert(id: "a", bytes: Self.device("a", "\(value)").serialized) }
        feed.remove(id: "b", reason: "silence")
        feed.upsert(id: "d", bytes: Self.device("d").serialized)
        feed.remove(id: "d", reason: "offline")
        feed.remove(id: "nobody", reason: "silence")
        let (sizes, changes) = try Self.drain(&feed, into: &list)
        #expect(sizes.count == 1, "one response for all of them")
        #expect(changes == [.init(upserted: [Self.device("a", "5")], removed: ["b"], reasons: ["b": "silence"])])
        #expect(list.devices == ["a": Self.device("a", "5"), "c": Self.device("c")])
    }

    @Test("a change larger than a piece goes in several; the agent's limit lowers the piece")
    func largeChange() throws {
        var feed = DiscoverFeed(sendsChanges: true)
        var list = DeviceList()
        _ = try Self.drain(&feed, into: &list)
        let devices = (0..<300).map { Self.device("device-\($0)") }
        for device in devices { feed.upsert(id: device.id, bytes: device.serialized) }
        let (sizes, _) = try Self.drain(&feed, into: &list, limit: 2_000)
        #expect(sizes.count > 5 && sizes.allSatisfy { $0 <= 2_000 + 4 }, "\(sizes)")
        #expect(list.count == 300)
        for device in devices { feed.remove(id: device.id, reason: "broker-lost") }
        let removals = try Self.drain(&feed, into: &list, limit: 2_000).changes
        #expect(removals.count > 1)
        #expect(removals.flatMap(\.removed).count == 300 && list.count == 0)
        #expect(removals.allSatisfy { $0.reasons.values.allSatisfy { $0 == "broker-lost" } })
    }

    @Test("changes while the list is still going out arrive after it, and the agent ends in step")
    func changesDuringList() throws {
        var feed = DiscoverFeed(sendsChanges: true, pieceLimit: 200)
        for index in 0..<20 { feed.upsert(id: "d\(index)", bytes: Self.device("d\(index)").serialized) }
        var list = DeviceList()
        var sent = 0
        while sent < 3, let response = feed.next(limit: nil) {
            let (devices, extensions) = try #require(response.sent)
            let bytes = DiscoverResponse.serialize(devices: devices, extensions: extensions) { _, _ in }
            _ = try list.apply(serializedResponse: bytes[...])
            sent += 1
            if sent == 1 {
                // d0's piece may have gone or not; both ways it must end removed, d5 updated, n1 new.
                feed.remove(id: "d0", reason: "cleared")
                feed.upsert(id: "d5", bytes: Self.device("d5", "new").serialized)
                feed.upsert(id: "n1", bytes: Self.device("n1").serialized)
            }
        }
        _ = try Self.drain(&feed, into: &list)
        var expected = Dictionary(uniqueKeysWithValues: (1..<20).map { ("d\($0)", Self.device("d\($0)")) })
        expected["d5"] = Self.device("d5", "new")
        expected["n1"] = Self.device("n1")
        #expect(list.devices == expected)
    }

    @Test("for Akri's agent: whole lists, no additions, and a list over the limit is held back")
    func wholeLists() throws {
        var feed = DiscoverFeed(sendsChanges: false)
        for index in 0..<50 { feed.upsert(id: "d\(index)", bytes: Self.device("d\(index)").serialized) }
        let first = try #require(feed.next(limit: nil)?.sent)
        #expect(first.devices.count == 50 && first.extensions.isEmpty)
        #expect(feed.next(limit: nil) == nil)
        feed.remove(id: "d0", reason: "silence")
        let length = try #require(feed.next(limit: 100)?.overLimitLength)
        #expect(length > 100)
        #expect(try #require(feed.next(limit: nil)?.sent).devices.count == 49)
    }
}

extension DiscoverFeed.Response {
    /// The response's devices and extensions, if it is one to send.
    var sent: (devices: [[UInt8]], extensions: [UInt8])? {
        guard case .send(let devices, let extensions) = self else { return nil }
        return (devices, extensions)
    }

    /// The list's length, if it is over the limit.
    var overLimitLength: Int? {
        guard case .overLimit(let length) = self else { return nil }
        return length
    }
}
