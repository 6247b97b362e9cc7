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
        #expect(try list.replace(serializedResponse: Self.response([a, b])) == .init(upserted: [a, b]))
        #expect(try list.replace(serializedResponse: Self.response([b, a])).isEmpty, "order is not a change")
        let changedB = Device(id: "b", properties: ["MQTT_TOPIC": "x/b", "NEW": "1"])
        #expect(
            try list.replace(serializedResponse: Self.response([a, changedB, c]))
                == .init(upserted: [changedB, c])
        )
        #expect(try list.replace(serializedResponse: Self.response([c])).removed.sorted() == ["a", "b"])
        #expect(list.devices == ["c": c])
        #expect(try list.replace(serializedResponse: Self.response([])) == .init(removed: ["c"]))
        #expect(list.count == 0)
    }

    @Test("the first device with an id counts; a later one with the same id is ignored")
    func duplicates() throws {
        var list = DeviceList()
        let first = Device(id: "d", properties: ["N": "1"])
        let second = Device(id: "d", properties: ["N": "2"])
        #expect(try list.replace(serializedResponse: Self.response([first, second])) == .init(upserted: [first]))
        #expect(try list.replace(serializedResponse: Self.response([second, first])) == .init(upserted: [second]))
        #expect(list.devices["d"] == second)
        #expect(try list.replace(serializedResponse: Self.response([second])).isEmpty)
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
            let viaBytes = try fromBytes.replace(serializedResponse: Self.response(devices))
            let viaDevices = decoded.replace(devices: devices)
            #expect(viaBytes.upserted == viaDevices.upserted)
            #expect(viaBytes.removed.sorted() == viaDevices.removed.sorted())
            #expect(fromBytes.devices == decoded.devices)
        }
    }

    @Test("unknown fields of the response are skipped; a list that does not decode changes nothing")
    func tolerantAndAtomic() throws {
        var list = DeviceList()
        let a = Device(id: "a")
        var writer = ProtobufWriter()
        writer.varint(9, 42)
        writer.bytes(1, a.serialized)
        writer.string(15, "future field")
        #expect(try list.replace(serializedResponse: writer.bytes[...]) == .init(upserted: [a]))

        // A good device, then one whose id is not UTF-8.
        var bad = ProtobufWriter()
        bad.bytes(1, Device(id: "b").serialized)
        bad.bytes(1, [0x0A, 0x01, 0xFF])
        #expect(throws: ProtobufError.self) { try list.replace(serializedResponse: bad.bytes[...]) }
        #expect(list.devices == ["a": a], "the failed list left no trace")
        #expect(try list.replace(serializedResponse: Self.response([a])).isEmpty)
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
