import Discovery
import MQTTCodec
import Testing

@Suite("Engine: liveness from traffic")
struct TrafficLivenessTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        timeoutSeconds: 30
        topics:
          - sensors/+/temp
          - filter: fast/#
            timeoutSeconds: 5
        """

    @Test("a device is present from its first message until its silence timeout")
    func silenceTimeout() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("sensors/a/temp", "21.5") == ["added sensors/a/temp"])
        #expect(harness.advance(29).isEmpty)
        #expect(harness.publish("sensors/a/temp", "21.6").isEmpty)
        #expect(harness.advance(29).isEmpty, "the second message restarted the timeout")
        #expect(harness.advance(1.5) == ["removed sensors/a/temp"])
        #expect(harness.present.isEmpty)
        #expect(harness.engine.trackedCount == 0)
    }

    @Test("a topic entry's own timeout replaces the default")
    func perEntryTimeout() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("fast/x", "1")
        harness.publish("sensors/b/temp", "1")
        #expect(harness.advance(5.5) == ["removed fast/x"])
        #expect(harness.present == ["sensors/b/temp"])
    }

    @Test("a retained replay is not a sign of life")
    func retainedIgnored() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("sensors/old/temp", "3", retain: true).isEmpty)
        #expect(harness.present.isEmpty)
        #expect(harness.engine.trackedCount == 0)
        #expect(harness.publish("sensors/old/temp", "4") == ["added sensors/old/temp"])
    }

    @Test("an empty payload removes the device at once")
    func emptyPayloadClears() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("sensors/a/temp", "1")
        #expect(harness.publish("sensors/a/temp", "", retain: true) == ["removed sensors/a/temp"])
        #expect(harness.publish("sensors/unknown/temp", "").isEmpty)
        #expect(harness.engine.nextDeadline == nil || harness.advance(60).isEmpty)
    }

    @Test("topics that match no entry are ignored")
    func unmatched() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("sensors/a/humidity", "1").isEmpty)
        #expect(harness.publish("$SYS/broker/uptime", "1").isEmpty)
        #expect(harness.engine.trackedCount == 0)
    }

    @Test("ten thousand devices time out in the order they went silent, and leave nothing behind")
    func manyDevices() throws {
        var harness = try EngineHarness(Self.details)
        for index in 0..<10_000 {
            harness.publish("sensors/d\(index)/temp", "1")
            if index % 1_000 == 999 { harness.advance(1) }
        }
        #expect(harness.present.count == 10_000)
        // Refreshing every device many times must not pile up timers.
        for _ in 0..<5 {
            for index in 0..<10_000 {
                harness.publish("sensors/d\(index)/temp", "2")
                if index % 1_000 == 999 { harness.advance(1) }
            }
        }
        let removed = harness.advance(31)
        #expect(removed.count == 10_000)
        #expect(Set(removed).count == 10_000)
        // Each batch of a thousand went silent together, a second after the one before.
        let batches = removed.map { Int($0.dropFirst("removed sensors/d".count).prefix { $0.isNumber })! / 1_000 }
        #expect(batches == batches.sorted())
        #expect(harness.engine.trackedCount == 0)
        #expect(harness.engine.nextDeadline == nil)
    }
}

@Suite("Engine: status topics and wills")
struct StatusLivenessTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        timeoutSeconds: 30
        topics:
          - factory/{device}/telemetry/#
          - filter: factory/{device}/status
            online: [online, "1"]
            offline: [offline, "0"]
          - filter: beacons/{device}/state
            online: [up]
            offline: [down]
            timeoutSeconds: 10
        """

    @Test("online status keeps a device present without traffic")
    func onlineStays() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("factory/press7/status", "online", retain: true) == ["added press7"])
        #expect(harness.advance(3_600).isEmpty)
        #expect(harness.present == ["press7"])
    }

    @Test("an offline will removes the device the moment it arrives, even with fresh traffic")
    func willRemoves() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("factory/press7/telemetry/pressure", "3.2")
        harness.publish("factory/press7/status", "1")
        #expect(harness.publish("factory/press7/status", "0") == ["removed press7"])
        // A later sign of life brings it back.
        #expect(harness.publish("factory/press7/telemetry/pressure", "3.3") == ["added press7"])
    }

    @Test("an offline status for a device never seen changes nothing")
    func offlineUnknown() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("factory/ghost/status", "offline", retain: true).isEmpty)
        #expect(harness.engine.trackedCount == 0)
    }

    @Test("payloads that are neither online nor offline are ignored")
    func otherPayloads() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("factory/press7/status", "online")
        #expect(harness.publish("factory/press7/status", "rebooting").isEmpty)
        #expect(harness.present == ["press7"])
    }

    @Test("a status entry with a timeout needs its status repeated")
    func statusTimeout() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("beacons/b1/state", "up") == ["added b1"])
        #expect(harness.advance(9).isEmpty)
        harness.publish("beacons/b1/state", "up")
        #expect(harness.advance(9).isEmpty)
        #expect(harness.advance(2) == ["removed b1"])
    }

    @Test("an empty status payload removes the device")
    func emptyStatus() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("factory/press7/status", "online")
        #expect(harness.publish("factory/press7/status", "", retain: true) == ["removed press7"])
    }

    @Test("traffic entry and status entry with the same placeholder are one device")
    func merged() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("factory/press7/telemetry/a", "1")
        harness.publish("factory/press7/telemetry/b/c", "1")
        harness.publish("factory/press7/status", "online")
        #expect(harness.present == ["press7"])
        #expect(harness.changes.map(\.description) == ["added press7"])
        // Past the traffic timeout the online status still holds it.
        #expect(harness.advance(60).isEmpty)
    }
}

@Suite("Engine: identity and properties")
struct IdentityTests {
    @Test("a plain filter's device is the topic, and MQTT_TOPIC is that topic")
    func plain() throws {
        var harness = try EngineHarness(
            """
            mqttBrokerUri: mqtt://user:secret@broker:1883
            topics: [robots/+/joints, akri-devices/Device23920/temp]
            """
        )
        harness.publish("robots/r2/joints", "x")
        harness.publish("akri-devices/Device23920/temp", "x")
        #expect(harness.present == ["akri-devices/Device23920/temp", "robots/r2/joints"])
        #expect(
            harness.properties("robots/r2/joints") == [
                "MQTT_BROKER_URI": "mqtt://broker:1883",
                "MQTT_TOPIC": "robots/r2/joints",
                "MQTT_DEVICE_ID": "robots/r2/joints",
            ]
        )
    }

    @Test("placeholders name the device; MQTT_TOPIC is the filter filled in; the prefix applies")
    func placeholders() throws {
        var harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            propertiesPrefix: plant
            topics:
              - lab/{room}/{device}/data/#
              - filter: lab/{room}/{device}/status
                online: [on]
            """
        )
        #expect(harness.publish("lab/r1/d1/status", "on") == ["added r1/d1"])
        harness.publish("lab/r1/d1/data/x", "1")
        harness.publish("lab/r2/d1/data", "1")
        #expect(harness.present == ["r1/d1", "r2/d1"])
        #expect(
            harness.properties("r1/d1") == [
                "PLANT_MQTT_BROKER_URI": "tcp://broker:1883",
                "PLANT_MQTT_TOPIC": "lab/r1/d1/data/#",
                "PLANT_MQTT_DEVICE_ID": "r1/d1",
            ]
        )
    }

    @Test("each device's properties name the broker that first reported it, and are its own")
    func propertiesPerBroker() throws {
        var harness = try EngineHarness(
            """
            brokers:
              - url: tcp://one:1883
              - url: mqtts://user:pw@two:8883
            topics: [a/+/data]
            """
        )
        harness.publish("a/1/data", "x", broker: 0)
        harness.publish("a/2/data", "x", broker: 1)
        harness.publish("a/3/data", "x", broker: 0)
        #expect(
            harness.engine.devices.map(\.properties) == [
                ["MQTT_BROKER_URI": "tcp://one:1883", "MQTT_DEVICE_ID": "a/1/data", "MQTT_TOPIC": "a/1/data"],
                ["MQTT_BROKER_URI": "mqtts://two:8883", "MQTT_DEVICE_ID": "a/2/data", "MQTT_TOPIC": "a/2/data"],
                ["MQTT_BROKER_URI": "tcp://one:1883", "MQTT_DEVICE_ID": "a/3/data", "MQTT_TOPIC": "a/3/data"],
            ]
        )
    }

    @Test("entries with different placeholder names are different devices")
    func separateGroups() throws {
        var harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            topics:
              - a/{x}/data
              - b/{y}/data
            """
        )
        harness.publish("a/1/data", "1")
        harness.publish("b/1/data", "1")
        #expect(harness.engine.devices.count == 2)
        #expect(harness.engine.devices.map { $0.properties["MQTT_TOPIC"] } == ["a/1/data", "b/1/data"])
    }

    @Test("a topic given as a String and as a decoded PUBLISH's bytes give the same devices")
    func stringAndBytesAgree() throws {
        let details = """
            mqttBrokerUri: tcp://broker:1883
            topics:
              - robots/+/joints
              - lab/{room}/{device}/data/#
              - filter: lab/{room}/{device}/status
                online: [on]
                offline: [off]
            conventions: [tasmota]
            """
        let script: [(String, String)] = [
            ("robots/r2/joints", "x"), ("robots/ré/joints", "x"), ("lab/r1/d1/status", "on"),
            ("lab/r1/d2/data/x/y", "1"), ("tele/plug1/LWT", "Online"), ("robots/r2/joints", ""),
            ("lab/r1/d1/status", "off"), ("tele/plug2/LWT", "Online"), ("tele/plug1/LWT", "Offline"),
        ]
        var byString = try EngineHarness(details)
        var byBytes = try EngineHarness(details)
        for (topic, payload) in script {
            let expected = byString.publish(topic, Array(payload.utf8), byString: true)
            #expect(byBytes.publish(topic, Array(payload.utf8)) == expected, "\(topic) \(payload)")
        }
        #expect(byString.changes.count == 9)
        #expect(byBytes.engine.devices == byString.engine.devices)
        #expect(byBytes.present == ["r1/d2", "robots/ré/joints", "tele/plug2"])
    }

    @Test("ids found at another level or in another group than the last message's stay one device each")
    func changingIdentityRules() throws {
        // The engine guesses each message's id the way the previous message's was found; every
        // consecutive pair here breaks that guess in a different way.
        var harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            topics:
              - a/{x}/data
              - a/{y}/info
              - b/c/{x}/data
              - plain/+
              - a/{x}/{z}/deep
            """
        )
        let topics = ["a/1/data", "a/1/info", "b/c/1/data", "plain/1", "a/1/2/deep", "a/2/data", "plain/2"]
        for _ in 0..<3 {
            for topic in topics { harness.publish(topic, "x") }
            for topic in topics.reversed() { harness.publish(topic, "x") }
        }
        #expect(harness.present == ["1", "1", "1/2", "2", "plain/1", "plain/2"])
        #expect(harness.engine.trackedCount == 6)
        #expect(harness.changes.count == 6)
    }

    @Test("the subscriptions are each entry's filter once, at the highest QoS asked")
    func subscriptions() throws {
        let harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            topics:
              - a/{x}/data
              - filter: a/+/data
                qos: 2
              - filter: b/#
                qos: 0
            conventions: [tasmota]
            """
        )
        #expect(
            harness.engine.subscriptions.map { "\($0.topicFilter)@\($0.qos.rawValue)" } == [
                "a/+/data@2", "b/#@0", "tele/+/LWT@1",
            ]
        )
    }
}

@Suite("Engine: broker outages and debounce")
struct OutageTests {
    static let details = """
        brokers:
          - url: tcp://one:1883
          - url: tcp://two:1883
        timeoutSeconds: 30
        gracePeriodSeconds: 60
        topics:
          - sensors/{device}
          - filter: status/{device}
            online: [online]
            offline: [offline]
        """

    @Test("devices of an unreachable broker are kept for the grace period, then removed")
    func graceExpires() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("sensors/a", "1")
        harness.publish("status/b", "online")
        #expect(harness.disconnect().isEmpty)
        #expect(harness.advance(59).isEmpty, "silence past the timeout is ours, not the device's")
        #expect(harness.advance(2).sorted() == ["removed a", "removed b"])
    }

    @Test("when the session resumes, timeouts move by the outage and queued wills apply in order")
    func resume() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("sensors/a", "1")
        harness.advance(20)
        harness.publish("status/b", "online")
        harness.disconnect()
        harness.advance(40)
        #expect(harness.reconnect().isEmpty)
        // `a` had 10 s of its timeout left when the broker went away.
        #expect(harness.advance(9).isEmpty)
        // The broker's queue: b's will.
        #expect(harness.publish("status/b", "offline") == ["removed b"])
        #expect(harness.advance(2) == ["removed a"])
    }

    @Test("a device heard on two brokers stays while one of them is up")
    func twoBrokers() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("status/b", "online", broker: 0)
        harness.publish("status/b", "online", broker: 1)
        harness.disconnect(0)
        #expect(harness.advance(120).isEmpty)
        #expect(harness.present == ["b"])
        #expect(harness.properties("b")?["MQTT_BROKER_URI"] == "tcp://one:1883")
    }

    @Test("a device on another broker is not affected")
    func otherBroker() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("status/x", "online", broker: 1)
        harness.publish("status/y", "online", broker: 0)
        harness.disconnect(0)
        #expect(harness.advance(61) == ["removed y"])
        #expect(harness.present == ["x"])
    }

    @Test("debounce: a blip inside the window is never reported; a lasting change is, once")
    func debounce() throws {
        var harness = try EngineHarness(Self.details + "\ndebounceSeconds: 5\n")
        #expect(harness.publish("status/b", "online").isEmpty)
        #expect(harness.advance(5) == ["added b"])
        #expect(harness.publish("status/b", "offline").isEmpty)
        harness.advance(2)
        #expect(harness.publish("status/b", "online").isEmpty)
        #expect(harness.advance(10).isEmpty)
        #expect(harness.present == ["b"])
        harness.publish("status/b", "offline")
        #expect(harness.advance(4).isEmpty)
        #expect(harness.advance(1) == ["removed b"])
        #expect(harness.engine.trackedCount == 0)
    }
}

@Suite("Engine: why a device went")
struct RemovalReasonTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        timeoutSeconds: 30
        gracePeriodSeconds: 60
        topics:
          - sensors/{device}
          - filter: status/{device}
            online: [online]
            offline: [offline]
          - filter: beacons/{device}
            online: [up]
            timeoutSeconds: 10
        """

    /// The reasons of the removals among the harness's changes since `start`, by device id.
    static func reasons(_ harness: EngineHarness, since start: Int) -> [String: RemovalReason] {
        var reasons: [String: RemovalReason] = [:]
        for change in harness.changes[start...] {
            if let reason = change.removalReason { reasons[change.device.id] = reason }
        }
        return reasons
    }

    @Test("silence, an offline status, a status not repeated, cleared state: each removal says which")
    func eachReason() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("sensors/quiet", "1")
        harness.publish("status/willed", "online")
        harness.publish("beacons/lapsed", "up")
        harness.publish("sensors/wiped", "1", retain: false)
        let start = harness.changes.count
        harness.publish("status/willed", "offline")
        harness.publish("sensors/wiped", "", retain: true)
        harness.advance(31)
        #expect(
            Self.reasons(harness, since: start) == [
                "quiet": .silence, "willed": .offline, "lapsed": .statusExpired, "wiped": .cleared,
            ]
        )
        #expect(harness.changes.allSatisfy { ($0.removalReason != nil) == ($0.description.hasPrefix("removed")) })
    }

    @Test("a broker lost past the grace period is the reason, not the silence it caused")
    func brokerLost() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("sensors/a", "1")
        harness.publish("status/b", "online")
        let start = harness.changes.count
        harness.disconnect()
        harness.advance(61)
        #expect(Self.reasons(harness, since: start) == ["a": .brokerLost, "b": .brokerLost])
    }

    @Test("a device that came back and went again is removed for its latest reason")
    func latestReason() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("status/b", "online")
        harness.publish("status/b", "offline")
        harness.publish("sensors/b", "1")
        let start = harness.changes.count
        harness.advance(31)
        #expect(Self.reasons(harness, since: start) == ["b": .silence], "traffic replaced the offline status")
    }

    @Test("a convention's death message is an offline status")
    func conventionDeath() throws {
        var harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            conventions: [homie]
            """
        )
        harness.publish("homie/5/lamp/$state", "ready", retain: true)
        let start = harness.changes.count
        harness.publish("homie/5/lamp/$state", "lost", retain: true)
        #expect(Self.reasons(harness, since: start) == ["homie/5/lamp": .offline])
    }

    @Test("reasons have stable names that read back")
    func names() {
        for reason in RemovalReason.allCases { #expect(RemovalReason(name: reason.name) == reason) }
        #expect(RemovalReason(name: "whatever") == nil)
        #expect(Set(RemovalReason.allCases.map(\.name)).count == RemovalReason.allCases.count)
    }
}
