import Discovery
import MQTTCodec
import Testing

@Suite("Homie 4 and 5: $state")
struct HomieTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        conventions: [homie]
        """

    @Test("v5: ready adds, lost (the will) removes, init changes nothing")
    func version5() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("homie/5/lamp/$state", "init", retain: true).isEmpty)
        #expect(harness.publish("homie/5/lamp/$state", "ready", retain: true) == ["added homie/5/lamp"])
        #expect(
            harness.properties("homie/5/lamp") == [
                "MQTT_BROKER_URI": "tcp://broker:1883",
                "MQTT_DEVICE_ID": "homie/5/lamp",
                "MQTT_TOPIC": "homie/5/lamp/#",
                "HOMIE_DEVICE_ID": "lamp",
                "HOMIE_VERSION": "5",
            ]
        )
        #expect(harness.advance(86_400).isEmpty, "retained state needs no heartbeat")
        #expect(harness.publish("homie/5/lamp/$state", "lost", retain: true) == ["removed homie/5/lamp"])
        #expect(harness.publish("homie/5/lamp/$state", "init").isEmpty)
        #expect(harness.publish("homie/5/lamp/$state", "ready") == ["added homie/5/lamp"])
    }

    @Test("v4: ready and alert are present; disconnected and sleeping are not")
    func version4() throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("homie/kitchen/$state", "ready") == ["added homie/kitchen"])
        #expect(harness.properties("homie/kitchen")?["HOMIE_VERSION"] == "4")
        #expect(harness.publish("homie/kitchen/$state", "alert").isEmpty)
        #expect(harness.publish("homie/kitchen/$state", "sleeping") == ["removed homie/kitchen"])
        harness.publish("homie/kitchen/$state", "ready")
        #expect(harness.publish("homie/kitchen/$state", "disconnected") == ["removed homie/kitchen"])
    }

    @Test("an empty $state deletes the device; a state that is not Homie's is reported")
    func removalAndProblems() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("homie/5/lamp/$state", "ready")
        #expect(harness.publish("homie/5/lamp/$state", "", retain: true) == ["removed homie/5/lamp"])
        #expect(harness.publish("homie/5/lamp/$state", "READY").isEmpty)
        #expect(harness.engine.takeProblems() == ["homie/5/lamp/$state: not a Homie state: 'READY'"])
    }

    @Test("v5 children follow their root: a lost root takes them, a ready root brings them back")
    func children() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("homie/5/bridge/$state", "ready")
        harness.publish("homie/5/bulb/$description", #"{"homie":"5.0","version":1,"root":"bridge","parent":"bridge"}"#)
        #expect(harness.publish("homie/5/bulb/$state", "ready") == ["added homie/5/bulb"])
        #expect(
            harness.publish("homie/5/bridge/$state", "lost").sorted() == [
                "removed homie/5/bridge", "removed homie/5/bulb",
            ]
        )
        #expect(
            harness.publish("homie/5/bridge/$state", "ready").sorted() == [
                "added homie/5/bridge", "added homie/5/bulb",
            ]
        )
        // A child's own state still counts.
        #expect(harness.publish("homie/5/bulb/$state", "sleeping") == ["removed homie/5/bulb"])
    }

    @Test("a description that is not JSON is reported; other topics are ignored")
    func badDescription() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("homie/5/bulb/$description", "{root: bridge}")
        #expect(harness.engine.takeProblems().first?.hasPrefix("homie/5/bulb/$description: JSON:") == true)
        #expect(harness.publish("homie/5/lamp/light/power", "true").isEmpty)
        #expect(harness.publish("homie/5/lamp/$state/extra", "ready").isEmpty)
    }

    @Test("a custom domain")
    func domain() throws {
        var harness = try EngineHarness(
            """
            mqttBrokerUri: tcp://broker:1883
            conventions:
              - name: homie
                prefix: acme
            """
        )
        #expect(harness.publish("acme/5/lamp/$state", "ready") == ["added acme/5/lamp"])
        #expect(harness.publish("homie/5/lamp/$state", "ready").isEmpty)
    }
}

@Suite("Tasmota and ESPHome: a retained status topic and its will")
struct StatusConventionTests {
    @Test("Tasmota: tele/<topic>/LWT Online and Offline")
    func tasmota() throws {
        var harness = try EngineHarness("mqttBrokerUri: tcp://broker:1883\nconventions: [tasmota]\n")
        #expect(harness.publish("tele/tasmota_1A2B3C/LWT", "Online", retain: true) == ["added tele/tasmota_1A2B3C"])
        #expect(harness.properties("tele/tasmota_1A2B3C")?["TASMOTA_TOPIC"] == "tasmota_1A2B3C")
        #expect(harness.properties("tele/tasmota_1A2B3C")?["MQTT_TOPIC"] == "tele/tasmota_1A2B3C/#")
        #expect(harness.advance(3_600).isEmpty)
        #expect(harness.publish("tele/tasmota_1A2B3C/LWT", "Offline", retain: true) == ["removed tele/tasmota_1A2B3C"])
        #expect(harness.publish("tele/tasmota_1A2B3C/LWT", "online") == ["added tele/tasmota_1A2B3C"])
        #expect(harness.publish("tele/tasmota_1A2B3C/LWT", "") == ["removed tele/tasmota_1A2B3C"])
        #expect(harness.publish("tele/tasmota_1A2B3C/STATE", #"{"Uptime":"0T00:01:00"}"#).isEmpty)
        #expect(harness.publish("tele/x/LWT", "Maybe").isEmpty)
        #expect(harness.engine.takeProblems() == ["tele/x/LWT: expected 'Online' or 'Offline', got 'Maybe'"])
    }

    @Test("ESPHome: <node>/status online and offline, under an optional prefix")
    func esphome() throws {
        var harness = try EngineHarness("mqttBrokerUri: tcp://broker:1883\nconventions: [esphome]\n")
        #expect(harness.engine.subscriptions.map(\.topicFilter) == ["+/status"])
        #expect(harness.publish("livingroom/status", "online", retain: true) == ["added livingroom"])
        #expect(harness.properties("livingroom")?["ESPHOME_NODE"] == "livingroom")
        #expect(harness.publish("livingroom/status", "offline", retain: true) == ["removed livingroom"])
        var prefixed = try EngineHarness(
            "mqttBrokerUri: tcp://broker:1883\nconventions:\n  - name: esphome\n    prefix: home/esp\n"
        )
        #expect(prefixed.publish("home/esp/garage/status", "online") == ["added home/esp/garage"])
        #expect(prefixed.properties("home/esp/garage")?["MQTT_TOPIC"] == "home/esp/garage/#")
        #expect(prefixed.publish("garage/status", "online").isEmpty)
    }

    @Test("a status device outlives a broker outage longer than the grace period")
    func outage() throws {
        var harness = try EngineHarness(
            "mqttBrokerUri: tcp://broker:1883\ngracePeriodSeconds: 10\nconventions: [tasmota]\n"
        )
        harness.publish("tele/t1/LWT", "Online", retain: true)
        harness.disconnect()
        #expect(harness.advance(11) == ["removed tele/t1"])
        #expect(harness.reconnect() == ["added tele/t1"])
    }
}
