import Discovery
import DiscoveryService
import IO
import Protobuf
import TestSupport
import Testing

/// The engine live: a real mosquitto, real device clients, wills fired by killing them.
@Suite("Discovery against mosquitto")
struct DiscovererTests {
    @Test("traffic: a device appears with its first message, with its properties, and goes after its silence")
    func traffic() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            propertiesPrefix: PLANT
            topics:
              - filter: factory/{device}/telemetry/#
                timeoutSeconds: 1
            """,
            broker: broker
        )
        try await Devices.publish(broker, "factory/press7/telemetry/temperature", "21.5")
        try await discovery.waitFor("added press7")
        #expect(
            discovery.deviceChanges.first?.device.properties == [
                "PLANT_MQTT_BROKER_URI": broker.url,
                "PLANT_MQTT_TOPIC": "factory/press7/telemetry/#",
                "PLANT_MQTT_DEVICE_ID": "press7",
            ]
        )
        try await discovery.waitFor("removed press7")
        #expect(discovery.changes == ["added press7", "removed press7"])
        #expect(await discovery.discoverer.devices().isEmpty)
        await discovery.stop()
    }

    @Test("status topic and will: a device killed without DISCONNECT is removed by its will; others stay")
    func will() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            topics:
              - {filter: "plant/{device}/status", online: online, offline: offline}
            """,
            broker: broker
        )
        try await Devices.publish(broker, "plant/pump1/status", "online", retain: true)
        let pump2 = try await Devices.withWill(
            broker,
            id: "pump2",
            willTopic: "plant/pump2/status",
            willPayload: "offline",
            retain: true
        )
        try await Devices.publish(broker, "plant/pump2/status", "online", retain: true)
        try await discovery.waitFor("added pump1")
        try await discovery.waitFor("added pump2")
        await pump2.stop(signal: 9)
        try await discovery.waitFor("removed pump2")
        #expect(await discovery.discoverer.devices().map(\.id) == ["pump1"])
        #expect(!discovery.changes.contains("removed pump1"))
        await discovery.stop()
    }

    @Test("Sparkplug B: NBIRTH and DBIRTH add node and device; the node's NDEATH will takes both")
    func sparkplug() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            conventions: [sparkplug]
            """,
            broker: broker
        )
        // The edge node's MQTT session carries the NDEATH (bdSeq 3) as its will, as the
        // specification requires; the payload has no zero byte, so it fits on a command line.
        let ndeath = "\u{12}\u{0b}\u{0a}\u{05}bdSeq\u{20}\u{04}\u{58}\u{03}"
        let edge = try await Devices.withWill(
            broker,
            id: "edge1",
            willTopic: "spBv1.0/plant/NDEATH/edge1",
            willPayload: ndeath
        )
        let directory = try TemporaryDirectory()
        let nbirth = try directory.write("nbirth", bytes: sparkplug(seq: 0, bdSeq: 3))
        let dbirth = try directory.write("dbirth", bytes: sparkplug(seq: 1, bdSeq: nil))
        try await Devices.publish(broker, "spBv1.0/plant/NBIRTH/edge1", file: nbirth)
        try await Devices.publish(broker, "spBv1.0/plant/DBIRTH/edge1/pump", file: dbirth)
        try await discovery.waitFor("added spBv1.0/plant/edge1")
        try await discovery.waitFor("added spBv1.0/plant/edge1/pump")
        let pump = discovery.deviceChanges.first { $0.device.id == "spBv1.0/plant/edge1/pump" }?.device
        #expect(pump?.properties["SPARKPLUG_GROUP_ID"] == "plant")
        #expect(pump?.properties["SPARKPLUG_DEVICE_ID"] == "pump")
        await edge.stop(signal: 9)
        try await discovery.waitFor("removed spBv1.0/plant/edge1/pump")
        try await discovery.waitFor("removed spBv1.0/plant/edge1")
        #expect(await discovery.discoverer.devices().isEmpty)
        await discovery.stop()
    }

    @Test("Home Assistant and Tasmota: a config's availability topic is subscribed on the fly; LWT wills remove")
    func conventions() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            conventions: [homeassistant, tasmota]
            """,
            broker: broker
        )
        // An ESP device: its will marks it offline; it announces itself, then says it is online.
        let kitchen = try await Devices.withWill(
            broker,
            id: "kitchen",
            willTopic: "esp/kitchen/status",
            willPayload: "offline",
            retain: true
        )
        try await Devices.publish(
            broker,
            "homeassistant/sensor/kitchen_t/config",
            #"{"stat_t":"esp/kitchen/t","avty_t":"esp/kitchen/status","dev":{"ids":"kitchen"}}"#,
            retain: true
        )
        try await Devices.publish(broker, "esp/kitchen/status", "online", retain: true)
        let plug = try await Devices.withWill(
            broker,
            id: "tasmota_1A2B3C",
            willTopic: "tele/tasmota_1A2B3C/LWT",
            willPayload: "Offline",
            retain: true
        )
        try await Devices.publish(broker, "tele/tasmota_1A2B3C/LWT", "Online", retain: true)
        try await discovery.waitFor("added homeassistant/kitchen")
        try await discovery.waitFor("added tele/tasmota_1A2B3C")
        await kitchen.stop(signal: 9)
        await plug.stop(signal: 9)
        try await discovery.waitFor("removed homeassistant/kitchen")
        try await discovery.waitFor("removed tele/tasmota_1A2B3C")
        #expect(await discovery.discoverer.devices().isEmpty)
        await discovery.stop()
    }

    @Test("two discoverers on one pool share one session; one leaving does not disturb the other")
    func sharedSession() async throws {
        let broker = try await Mosquitto()
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let pool = BrokerPool(eventLoop: loop)
        let details = """
            brokers: [{url: BROKER, clientId: shared-handler}]
            topics: ["plant/{device}/status"]
            """
        let first = try await LiveDiscovery(details, broker: broker, pool: pool)
        let second = try await LiveDiscovery(
            """
            brokers: [{url: BROKER, clientId: shared-handler}]
            topics: ["plant/{device}/status", "lab/{device}/data"]
            """,
            broker: broker,
            pool: pool
        )
        try await Devices.publish(broker, "plant/pump1/status", "on")
        try await first.waitFor("added pump1")
        try await second.waitFor("added pump1")
        await first.stop()
        try await Devices.publish(broker, "lab/scope/data", "1")
        try await second.waitFor("added scope")
        #expect(broker.log.ranges(of: "as shared-handler ").count == 1, "one connection: \(broker.log)")
        #expect(first.changes == ["added pump1"])
        await second.stop()
    }

    @Test("a broker restart inside the grace period removes nothing; discovery carries on")
    func restartInsideGrace() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            gracePeriodSeconds: 60
            topics:
              - {filter: "plant/{device}/status", online: online, offline: offline}
              - {filter: "plant/{device}/telemetry", timeoutSeconds: 600}
            """,
            broker: broker
        )
        try await Devices.publish(broker, "plant/pump1/status", "online", retain: true)
        try await Devices.publish(broker, "plant/fan1/telemetry", "3")
        try await discovery.waitFor("added pump1")
        try await discovery.waitFor("added fan1")
        try await broker.restart()
        // Discovery is back once a new device shows up.
        try await Devices.publish(broker, "plant/pump3/status", "online")
        try await discovery.waitFor("added pump3")
        #expect(discovery.changes == ["added pump1", "added fan1", "added pump3"])
        await discovery.stop()
    }

    @Test("past the grace period a lost broker's devices go; a status-online one returns with the broker")
    func pastGrace() async throws {
        let broker = try await Mosquitto()
        let discovery = try await LiveDiscovery(
            """
            brokers: [{url: BROKER}]
            gracePeriodSeconds: 1
            topics:
              - {filter: "plant/{device}/status", online: online, offline: offline}
            """,
            broker: broker
        )
        try await Devices.publish(broker, "plant/pump1/status", "online", retain: true)
        try await discovery.waitFor("added pump1")
        await broker.stop()
        try await discovery.waitFor("removed pump1")
        try await broker.start()
        try await discovery.waitFor(changeCount: 3)
        #expect(discovery.changes == ["added pump1", "removed pump1", "added pump1"])
        await discovery.stop()
    }

    private func sparkplug(seq: UInt64, bdSeq: Int64?) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.varint(1, 1_700_000_000_000)
        if let bdSeq {
            writer.message(2) { metric in
                metric.string(1, "bdSeq")
                metric.varint(4, 4)  // Int64
                metric.varint(11, UInt64(bitPattern: bdSeq))
            }
        }
        writer.varint(3, seq)
        return writer.bytes
    }
}
