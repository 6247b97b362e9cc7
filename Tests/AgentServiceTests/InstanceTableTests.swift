import AgentProtocol
import AgentService
import Testing

/// The agent's instance bookkeeping, without sockets: full lists in, Akri's events out.
@Suite("instance table")
struct InstanceTableTests {
    static func device(_ id: String, _ properties: [String: String] = [:]) -> DiscoverResponse.Device {
        DiscoverResponse.Device(id: id, properties: properties)
    }

    static func summary(_ events: [InstanceEvent]) -> [String] {
        events.map { "\($0.kind) \($0.instance?.name ?? "") \($0.instance?.device.id ?? "")" }
    }

    @Test("a handler's removal reason reaches the REMOVED event in words; an unknown name stays as sent")
    func removalReasons() throws {
        var table = InstanceTable(node: "n")
        let list = DiscoverResponse(devices: [Self.device("a"), Self.device("b"), Self.device("c")])
        _ = try table.update(
            configuration: "c",
            endpoint: "/h.sock",
            shared: true,
            serializedResponse: list.serialized[...]
        )
        let change = DiscoverResponse(
            devices: [],
            changes: true,
            removed: [.init(id: "a", reason: "silence"), .init(id: "b", reason: "gremlins"), .init(id: "c")]
        )
        let events = try table.update(
            configuration: "c",
            endpoint: "/h.sock",
            shared: true,
            serializedResponse: change.serialized[...]
        )
        let reasons = Dictionary(uniqueKeysWithValues: events.map { ($0.instance?.device.id ?? "", $0.reason) })
        #expect(reasons == ["a": "silent past its timeout", "b": "gremlins", "c": ""])
        #expect(events.allSatisfy { $0.kind == .removed })
        #expect(table.count == 0)
    }

    @Test("brokerProperties are added to each instance's properties, winning over the device's; capacity is carried")
    func configurationTerms() {
        var table = InstanceTable(
            node: "n",
            terms: ["c": InstanceTable.Terms(brokerProperties: ["WIDTH": "800", "A": "broker"], capacity: 3)]
        )
        let events = table.update(
            configuration: "c",
            endpoint: "/h.sock",
            shared: true,
            devices: [Self.device("d", ["A": "device", "B": "2"])]
        )
        let instance = events.first?.instance
        #expect(instance?.device.properties == ["A": "broker", "B": "2", "WIDTH": "800"])
        #expect(instance?.capacity == 3)
        #expect(
            table.update(
                configuration: "c",
                endpoint: "/h.sock",
                shared: true,
                devices: [Self.device("d", ["A": "device", "B": "2"])]
            ).isEmpty,
            "the same list, merged again, changes nothing"
        )
        var other = InstanceTable(node: "n")
        #expect(
            other.update(configuration: "x", endpoint: "/h.sock", shared: true, devices: [Self.device("d")]).first?
                .instance?.capacity == 1,
            "Akri's default capacity"
        )
    }

    @Test("each full list is diffed against the last: added, updated, removed, with Akri's names")
    func diffs() {
        var table = InstanceTable(node: "node-a")
        let first = table.update(
            configuration: "c",
            endpoint: "/h.sock",
            shared: true,
            devices: [Self.device("my_shared_device", ["A": "1"]), Self.device("b")]
        )
        let b = InstanceName.make(configuration: "c", deviceID: "b", shared: true)
        #expect(Self.summary(first) == ["added \(b) b", "added c-4294ea my_shared_device"])
        #expect(first[1].instance?.nodes == ["node-a"])
        #expect(first[1].instance?.shared == true)

        #expect(
            table.update(
                configuration: "c",
                endpoint: "/h.sock",
                shared: true,
                devices: [Self.device("my_shared_device", ["A": "1"]), Self.device("b")]
            ).isEmpty,
            "the same list changes nothing"
        )

        let second = table.update(
            configuration: "c",
            endpoint: "/h.sock",
            shared: true,
            devices: [Self.device("my_shared_device", ["A": "2"])]
        )
        #expect(Self.summary(second) == ["updated c-4294ea my_shared_device", "removed \(b) b"])
        #expect(second[0].instance?.device.properties == ["A": "2"])
        #expect(table.count == 1)
    }

    @Test("unshared devices are named with the node; configurations are kept apart")
    func namesAndConfigurations() {
        var table = InstanceTable(node: "node-a")
        let local = table.update(configuration: "x", endpoint: "/h.sock", shared: false, devices: [Self.device("d")])
        #expect(
            local.first?.instance?.name
                == InstanceName.make(configuration: "x", deviceID: "d", shared: false, node: "node-a")
        )
        #expect(local.first?.instance?.name != InstanceName.make(configuration: "x", deviceID: "d", shared: true))
        _ = table.update(configuration: "y", endpoint: "/h.sock", shared: true, devices: [Self.device("d")])
        #expect(table.snapshot().map(\.configuration) == ["x", "y"])
        #expect(table.snapshot(configuration: "y").count == 1)
        #expect(
            table.update(configuration: "x", endpoint: "/h.sock", shared: false, devices: []).map(\.kind) == [.removed]
        )
        #expect(table.snapshot().map(\.configuration) == ["y"])
    }

    @Test("two endpoints reporting one device make one instance, which stays until neither reports it")
    func endpointsMerge() {
        var table = InstanceTable(node: "n")
        #expect(
            table.update(
                configuration: "c",
                endpoint: "/a.sock",
                shared: true,
                devices: [Self.device("d", ["FROM": "a"])]
            ).map(\.kind) == [.added]
        )
        #expect(
            table.update(
                configuration: "c",
                endpoint: "/b.sock",
                shared: true,
                devices: [Self.device("d", ["FROM": "b"])]
            ).isEmpty,
            "the first endpoint (by name) gives the properties"
        )
        let gone = table.remove(configuration: "c", endpoint: "/a.sock")
        #expect(gone.map(\.kind) == [.updated], "b's properties now")
        #expect(gone.first?.instance?.device.properties == ["FROM": "b"])
        #expect(table.remove(configuration: "c", endpoint: "/b.sock").map(\.kind) == [.removed])
        #expect(table.remove(configuration: "c", endpoint: "/b.sock").isEmpty)
        #expect(table.count == 0)
    }

    @Test("a watcher that fell behind is sent the difference between what it saw and what is")
    func coalescing() {
        var table = InstanceTable(node: "n")
        _ = table.update(
            configuration: "c",
            endpoint: "/a.sock",
            shared: true,
            devices: [Self.device("keep"), Self.device("change", ["V": "1"]), Self.device("go")]
        )
        let seen = table.view()
        for round in 0..<5 {
            _ = table.update(
                configuration: "c",
                endpoint: "/a.sock",
                shared: true,
                devices: [Self.device("flap\(round)")]
            )
        }
        _ = table.update(
            configuration: "c",
            endpoint: "/a.sock",
            shared: true,
            devices: [Self.device("keep"), Self.device("change", ["V": "2"]), Self.device("new")]
        )
        let name = { (id: String) in InstanceName.make(configuration: "c", deviceID: id, shared: true) }
        let events = table.changes(since: seen)
        #expect(
            Set(Self.summary(events)) == [
                "updated \(name("change")) change", "added \(name("new")) new", "removed \(name("go")) go",
            ]
        )
        #expect(table.changes(since: table.view()).isEmpty)
    }

    @Test("two devices whose instance names collide (six hex digits) are both kept, and a watcher behind sees both")
    func collidingNames() throws {
        // Names have 24 bits: among a few thousand ids two share one.
        var byName: [String: String] = [:]
        var pair: (String, String)?
        for index in 0..<100_000 where pair == nil {
            let id = "dev\(index)"
            let name = InstanceName.make(configuration: "c", deviceID: id, shared: true)
            if let other = byName[name] { pair = (other, id) } else { byName[name] = id }
        }
        let (first, second) = try #require(pair)
        var table = InstanceTable(node: "n")
        let seen = table.view()
        let added = table.update(
            configuration: "c",
            endpoint: "/a.sock",
            shared: true,
            devices: [
                Self.device(first), Self.device(second),
            ]
        )
        #expect(added.count == 2 && table.count == 2)
        #expect(Set(table.changes(since: seen).compactMap { $0.instance?.device.id }) == [first, second])
        #expect(table.snapshot().count == 2)
    }

    @Test("lists read from their bytes give the events decoded lists give, over endpoints and removals")
    func serializedLists() throws {
        var viaBytes = InstanceTable(node: "n")
        var viaDevices = InstanceTable(node: "n")
        var state: UInt64 = 7
        func random(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        for step in 0..<300 {
            let endpoint = random(2) == 0 ? "/a.sock" : "/b.sock"
            if step % 37 == 36 {
                #expect(
                    viaBytes.remove(configuration: "c", endpoint: endpoint)
                        == viaDevices.remove(configuration: "c", endpoint: endpoint)
                )
                continue
            }
            let devices = (0..<random(10)).map { _ in
                Self.device("d\(random(12))", random(3) == 0 ? ["V": "\(random(2))"] : [:])
            }
            let expected = viaDevices.update(configuration: "c", endpoint: endpoint, shared: true, devices: devices)
            let events = try viaBytes.update(
                configuration: "c",
                endpoint: endpoint,
                shared: true,
                serializedResponse: DiscoverResponse(devices: devices).serialized[...]
            )
            #expect(events == expected, "step \(step)")
        }
        #expect(viaBytes.snapshot() == viaDevices.snapshot())
    }

    @Test("a list whose bytes do not decode is an error and changes nothing")
    func malformedList() throws {
        var table = InstanceTable(node: "n")
        _ = table.update(configuration: "c", endpoint: "/a.sock", shared: true, devices: [Self.device("a")])
        #expect(throws: AgentProtocolError.self) {
            try table.update(
                configuration: "c",
                endpoint: "/a.sock",
                shared: true,
                serializedResponse: [0x0A, 0x09][...]
            )
        }
        #expect(table.snapshot().map(\.device.id) == ["a"])
    }
}
