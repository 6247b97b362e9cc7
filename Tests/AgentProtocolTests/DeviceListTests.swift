import AgentProtocol
import Protobuf
import Testing

/// Full lists read from their bytes for what changed.
@Suite("device lists")
struct DeviceListTests {
    typealias Device = DiscoverResponse.Device

    static func response(_ devices: [Device]) -> ArraySlice<UInt8> {
        DiscoverResponse(devices: devices).serialized[...]
    }

    @Test("a list read from its bytes reports what changed: new, changed and gone devices, nothing else")
    func changes() throws {
        var list = DeviceList()
        let a = Device(id: "a", properties: ["MQTT_TOPIC": "x/a"])
        let b = Device(id: "b", properties: ["MQTT_TOPIC": "x/b"])
        let c = Device(id: "c")
        #expect(try list.apply(serializedResponse: Self.response([a, b])) == .init(upserted: [a, b]))
        #expect(try list.apply(serializedResponse: Self.response([b, a])).isEmpty, "order is not a change")
        let changedB = Device(id: "b", properties: ["MQTT_TOPIC": "x/b", "NEW": "1"])
        #expect(
            try list.apply(serializedResponse: Self.response([a, changedB, c]))
                == .init(upserted: [changedB, c])
        )
        #expect(try list.apply(serializedResponse: Self.response([c])).removed.sorted() == ["a", "b"])
        #expect(list.devices == ["c": c])
        #expect(try list.apply(serializedResponse: Self.response([])) == .init(removed: ["c"]))
        #expect(list.count == 0)
    }

    @Test("the first device with an id counts; a later one with the same id is ignored")
    func duplicates() throws {
        var list = DeviceList()
        let first = Device(id: "d", properties: ["N": "1"])
        let second = Device(id: "d", properties: ["N": "2"])
        #expect(try list.apply(serializedResponse: Self.response([first, second])) == .init(upserted: [first]))
        #expect(try list.apply(serializedResponse: Self.response([second, first])) == .init(upserted: [second]))
        #expect(list.devices["d"] == second)
        #expect(try list.apply(serializedResponse: Self.response([second])).isEmpty)
    }

    @Test("bytes and decoded lists agree, change after change", arguments: [1, 2, 3])
    func agreesWithDecoding(seed: UInt64) throws {
        var generator = SplitMix(seed: seed)
        var fromBytes = DeviceList()
        var decoded = DeviceList()
        for _ in 0..<200 {
            let devices = (0..<Int(generator.next() % 12)).map { _ in
                Device(
                    id: "dev-\(generator.next() % 16)",
                    properties: generator.next() % 2 == 0 ? [:] : ["V": "\(generator.next() % 3)"]
                )
            }
            let viaBytes = try fromBytes.apply(serializedResponse: Self.response(devices))
            let viaDevices = decoded.replace(devices: devices)
            #expect(viaBytes.upserted == viaDevices.upserted)
            #expect(viaBytes.removed.sorted() == viaDevices.removed.sorted())
            #expect(fromBytes.devices == decoded.devices)
        }
    }

    static func change(
        _ devices: [Device],
        removed: [DiscoverResponse.Removal] = [],
        more: Bool = false
    ) -> ArraySlice<UInt8> {
        DiscoverResponse(devices: devices, changes: true, removed: removed, more: more).serialized[...]
    }

    static func piece(_ devices: [Device], more: Bool) -> ArraySlice<UInt8> {
        DiscoverResponse(devices: devices, more: more).serialized[...]
    }

    @Test("a change response adds, updates and removes only what it names; removals keep their reason")
    func changeResponses() throws {
        var list = DeviceList()
        let a = Device(id: "a", properties: ["P": "1"])
        let b = Device(id: "b")
        let c = Device(id: "c")
        _ = try list.apply(serializedResponse: Self.response([a, b]))
        let newA = Device(id: "a", properties: ["P": "2"])
        #expect(
            try list.apply(serializedResponse: Self.change([newA, c], removed: [.init(id: "b", reason: "silence")]))
                == .init(upserted: [newA, c], removed: ["b"], reasons: ["b": "silence"])
        )
        #expect(list.devices == ["a": newA, "c": c])
        #expect(try list.apply(serializedResponse: Self.change([c])).isEmpty, "the same bytes again change nothing")
        #expect(
            try list.apply(serializedResponse: Self.change([], removed: [.init(id: "nobody"), .init(id: "c")]))
                == .init(removed: ["c"]),
            "an unknown id is ignored; a removal without a reason has none"
        )
        // A whole list after changes still replaces everything.
        #expect(try list.apply(serializedResponse: Self.response([b])) == .init(upserted: [b], removed: ["a"]))
    }

    @Test("within one change the first device with an id counts, and removals apply after devices (found by fuzzing)")
    func changeWithRepeatedIDs() throws {
        var list = DeviceList()
        _ = try list.apply(serializedResponse: Self.response([]))
        let first = Device(id: "a", properties: ["V": "1"])
        let second = Device(id: "a", properties: ["V": "2"])
        let change = try list.apply(serializedResponse: Self.change([first, second]))
        #expect(change == .init(upserted: [first]))
        #expect(list.devices == ["a": first])
        let gone = try list.apply(serializedResponse: Self.change([Device(id: "b")], removed: [.init(id: "b")]))
        #expect(gone.removed == ["b"] && list.devices == ["a": first])
    }

    @Test("a list in pieces: devices count as they come, the unnamed go with the last piece, once")
    func pieces() throws {
        var list = DeviceList()
        let devices = (0..<6).map { Device(id: "d\($0)") }
        _ = try list.apply(serializedResponse: Self.response(Array(devices[0..<4])))
        // d0…d3 listed before; the new list in three pieces has d2…d5.
        let first = try list.apply(serializedResponse: Self.piece([devices[2], devices[4]], more: true))
        #expect(first == .init(upserted: [devices[4]]), "nothing goes before the list ends")
        #expect(list.count == 5)
        #expect(try list.apply(serializedResponse: Self.piece([devices[3]], more: true)).isEmpty)
        let last = try list.apply(serializedResponse: Self.piece([devices[5], devices[2]], more: false))
        #expect(last.upserted == [devices[5]], "d2 twice in one list counts once")
        #expect(last.removed.sorted() == ["d0", "d1"])
        #expect(Set(list.ids) == ["d2", "d3", "d4", "d5"])
        // The next list starts afresh.
        #expect(try list.apply(serializedResponse: Self.response([devices[5]])).removed.sorted() == ["d2", "d3", "d4"])
    }

    @Test("unknown fields of the response are skipped; a list that does not decode changes nothing")
    func tolerantAndAtomic() throws {
        var list = DeviceList()
        let a = Device(id: "a")
        var writer = ProtobufWriter()
        writer.varint(9, 42)
        writer.bytes(1, a.serialized)
        writer.string(15, "future field")
        #expect(try list.apply(serializedResponse: writer.bytes[...]) == .init(upserted: [a]))

        // A good device, then one whose id is not UTF-8.
        var bad = ProtobufWriter()
        bad.bytes(1, Device(id: "b").serialized)
        bad.bytes(1, [0x0A, 0x01, 0xFF])
        #expect(throws: ProtobufError.self) { try list.apply(serializedResponse: bad.bytes[...]) }
        #expect(list.devices == ["a": a], "the failed list left no trace")
        #expect(try list.apply(serializedResponse: Self.response([a])).isEmpty)
    }

    @Test("a devices frame gives up its response undecoded; other frames, and mixed ones, do not")
    func devicesResponse() throws {
        let response = DiscoverResponse(devices: [.init(id: "a")])
        #expect(try Frame.devicesResponse(in: Frame.devices(response).serialized[...]) == response.serialized[...])
        #expect(try Frame.devicesResponse(in: Frame.devices(DiscoverResponse(devices: [])).serialized[...]) == [])
        #expect(try Frame.devicesResponse(in: Frame.registered.serialized[...]) == nil)
        #expect(try Frame.devicesResponse(in: Frame.watch(WatchRequest()).serialized[...]) == nil)
        let mixed = Frame.registered.serialized + Frame.devices(response).serialized
        #expect(try Frame.devicesResponse(in: mixed[...]) == nil, "decoded whole, as protobuf says")
        #expect(try Frame(serialized: mixed[...]) == .devices(response))
        #expect(throws: AgentProtocolError.self) { try Frame.devicesResponse(in: [0x22, 0x05, 0x0A][...]) }
    }
}

/// A small deterministic generator, so a failing case can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
