import Discovery
import MQTTCodec
import Testing

@Suite("Home Assistant MQTT discovery")
struct HomeAssistantTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        conventions: [homeassistant]
        """

    @Test("a config without availability makes its device present, named by device.identifiers")
    func alwaysAvailable() throws {
        var harness = try EngineHarness(Self.details)
        let config = """
            {"name":"Temperature","~":"living/sensor1","stat_t":"~/state","uniq_id":"s1_t",
             "dev":{"ids":["sensor1-abc"],"name":"Living room sensor","mf":"Acme","mdl":"T1000"}}
            """
        #expect(
            harness.publish("homeassistant/sensor/sensor1/temperature/config", config, retain: true) == [
                "added homeassistant/sensor1-abc"
            ]
        )
        #expect(
            harness.properties("homeassistant/sensor1-abc") == [
                "MQTT_BROKER_URI": "tcp://broker:1883",
                "MQTT_DEVICE_ID": "homeassistant/sensor1-abc",
                "MQTT_TOPIC": "living/sensor1/state",
                "HOMEASSISTANT_DEVICE_KEY": "sensor1-abc",
                "HOMEASSISTANT_DEVICE_NAME": "Living room sensor",
                "HOMEASSISTANT_MANUFACTURER": "Acme",
                "HOMEASSISTANT_MODEL": "T1000",
            ]
        )
        #expect(harness.advance(86_400).isEmpty)
        #expect(
            harness.publish("homeassistant/sensor/sensor1/temperature/config", "", retain: true) == [
                "removed homeassistant/sensor1-abc"
            ]
        )
    }

    @Test("an availability topic: unavailable until it says online, watched as soon as a config names it")
    func availabilityTopic() throws {
        var harness = try EngineHarness(Self.details)
        let config = #"{"stat_t":"esp/kitchen/t","avty_t":"esp/kitchen/status","dev":{"ids":"kitchen"}}"#
        #expect(harness.publish("homeassistant/sensor/kitchen_t/config", config).isEmpty)
        #expect(harness.engine.takeNewSubscriptions().map(\.topicFilter) == ["esp/kitchen/status"])
        #expect(harness.publish("esp/kitchen/status", "online", retain: true) == ["added homeassistant/kitchen"])
        #expect(harness.publish("esp/kitchen/status", "offline") == ["removed homeassistant/kitchen"])
        #expect(harness.publish("esp/kitchen/status", "garbage").isEmpty, "neither payload: ignored")
        // A second entity on the same topic starts from its last payload, without a new subscription.
        harness.publish("esp/kitchen/status", "online")
        let humidity = #"{"stat_t":"esp/kitchen/h","avty_t":"esp/kitchen/status","dev":{"ids":"kitchen"}}"#
        #expect(harness.publish("homeassistant/sensor/kitchen_h/config", humidity).isEmpty)
        #expect(harness.engine.takeNewSubscriptions().isEmpty)
        #expect(harness.present == ["homeassistant/kitchen"])
        // Devices resend their configs when Home Assistant restarts: nothing changes.
        #expect(harness.publish("homeassistant/sensor/kitchen_t/config", config).isEmpty)
        #expect(harness.publish("homeassistant/sensor/kitchen_h/config", humidity).isEmpty)
        #expect(harness.properties("homeassistant/kitchen")?["MQTT_TOPIC"] == "esp/kitchen/t")
        // A broken replacement is reported and the last good config stays.
        #expect(harness.publish("homeassistant/sensor/kitchen_t/config", "{").isEmpty)
        #expect(harness.engine.takeProblems().count == 1)
        #expect(harness.publish("esp/kitchen/status", "offline") == ["removed homeassistant/kitchen"])
    }

    @Test("a config that moves its entity to another device changes both")
    func moveEntity() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("homeassistant/sensor/x/config", #"{"dev":{"ids":"one"}}"#)
        #expect(
            harness.publish("homeassistant/sensor/x/config", #"{"dev":{"ids":"two"}}"#).sorted() == [
                "added homeassistant/two", "removed homeassistant/one",
            ]
        )
    }

    @Test("custom payloads and a value_json template")
    func payloadsAndTemplate() throws {
        var harness = try EngineHarness(Self.details)
        let config = """
            {"availability":[{"topic":"zigbee2mqtt/plug/availability","value_template":"{{ value_json.state }}",
              "payload_available":"up","payload_not_available":"down"}],"device":{"identifiers":["plug"]}}
            """
        harness.publish("homeassistant/switch/plug/config", config)
        #expect(harness.publish("zigbee2mqtt/plug/availability", #"{"state":"up"}"#) == ["added homeassistant/plug"])
        #expect(
            harness.publish("zigbee2mqtt/plug/availability", #"{"state":"down"}"#) == ["removed homeassistant/plug"]
        )
    }

    @Test(
        "availability modes",
        arguments: [
            // mode, payloads on a then b, present afterwards
            ("all", ["a": "online"], false),
            ("all", ["a": "online", "b": "online"], true),
            ("any", ["b": "online"], true),
            ("any", ["a": "offline", "b": "offline"], false),
            ("latest", ["a": "online", "b": "offline"], false),
            ("latest", ["b": "offline", "a": "online"], true),
        ] as [(String, KeyValuePairs<String, String>, Bool)]
    )
    func modes(mode: String, payloads: KeyValuePairs<String, String>, present: Bool) throws {
        var harness = try EngineHarness(Self.details)
        let config = """
            {"availability":[{"topic":"dev/a"},{"topic":"dev/b"}],"availability_mode":"\(mode)","dev":{"ids":"d"}}
            """
        harness.publish("homeassistant/light/d/config", config)
        for (topic, payload) in payloads { harness.publish("dev/" + topic, payload) }
        #expect(harness.present == (present ? ["homeassistant/d"] : []))
    }

    @Test("a device stays while any of its entities is available")
    func severalEntities() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("homeassistant/sensor/n1/a/config", #"{"dev":{"ids":"n1"}}"#)
        harness.publish("homeassistant/sensor/n1/b/config", #"{"dev":{"ids":"n1"}}"#)
        #expect(harness.publish("homeassistant/sensor/n1/b/config", "").isEmpty)
        #expect(harness.publish("homeassistant/sensor/n1/a/config", "") == ["removed homeassistant/n1"])
        // Without identifiers the node id names the device, else the object id.
        harness.publish("homeassistant/sensor/node7/t/config", "{}")
        harness.publish("homeassistant/binary_sensor/door/config", "{}")
        #expect(harness.present == ["homeassistant/door", "homeassistant/node7"])
    }

    @Test("device-based discovery: one config for a device's components")
    func deviceDiscovery() throws {
        var harness = try EngineHarness(Self.details)
        let config = """
            {"dev":{"ids":"ea334450945afc","name":"Kitchen"},"o":{"name":"bla2mqtt"},
             "cmps":{"t":{"p":"sensor","stat_t":"kitchen/state","uniq_id":"t1"}},"avty_t":"kitchen/avail"}
            """
        harness.publish("homeassistant/device/ea334450945afc/config", config)
        #expect(harness.publish("kitchen/avail", "online") == ["added homeassistant/ea334450945afc"])
        #expect(harness.properties("homeassistant/ea334450945afc")?["MQTT_TOPIC"] == "kitchen/state")
    }

    @Test(
        "configs that cannot be used are reported and change nothing",
        arguments: [
            ("not json", "JSON: "),
            ("[1]", "a discovery config must be a JSON object"),
            (#"{"avty":"x"}"#, "'availability' must be a list"),
            (#"{"avty":[{"pl_avail":"on"}]}"#, "an 'availability' item needs a 'topic'"),
            (#"{"avty_t":"a/+/b"}"#, "availability topic 'a/+/b' is not a topic name"),
            (#"{"avty_t":"a","avty_mode":"most"}"#, "availability_mode must be all, any or latest, not 'most'"),
            (#"{"avty_t":"a","avty_tpl":"{{ value | upper }}"}"#, "template '{{ value | upper }}' is not supported"),
        ]
    )
    func badConfigs(payload: String, message: String) throws {
        var harness = try EngineHarness(Self.details)
        #expect(harness.publish("homeassistant/sensor/x/config", payload).isEmpty)
        let problems = harness.engine.takeProblems()
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("homeassistant/sensor/x/config: " + message) == true, "\(problems)")
    }
}

@Suite("Zigbee2MQTT: bridge/devices, bridge/state, availability")
struct Zigbee2MQTTTests {
    static let details = """
        mqttBrokerUri: tcp://broker:1883
        conventions: [zigbee2mqtt]
        """

    static let devices = """
        [{"ieee_address":"0x00124b0000000000","type":"Coordinator","friendly_name":"Coordinator"},
         {"ieee_address":"0x00158d0001a2b3c4","type":"EndDevice","friendly_name":"hall/motion",
          "definition":{"model":"RTCGQ11LM","vendor":"Aqara"}},
         {"ieee_address":"0x842e14fffe000001","type":"Router","friendly_name":"plug1","disabled":false},
         {"ieee_address":"0x842e14fffe000002","type":"Router","friendly_name":"plug2","disabled":true}]
        """

    @Test("the device list makes devices (not the coordinator, not disabled ones), by IEEE address")
    func deviceList() throws {
        var harness = try EngineHarness(Self.details)
        #expect(
            harness.publish("zigbee2mqtt/bridge/devices", Self.devices, retain: true) == [
                "added zigbee2mqtt/0x00158d0001a2b3c4", "added zigbee2mqtt/0x842e14fffe000001",
            ]
        )
        #expect(
            harness.properties("zigbee2mqtt/0x00158d0001a2b3c4") == [
                "MQTT_BROKER_URI": "tcp://broker:1883",
                "MQTT_DEVICE_ID": "zigbee2mqtt/0x00158d0001a2b3c4",
                "MQTT_TOPIC": "zigbee2mqtt/hall/motion",
                "ZIGBEE2MQTT_IEEE_ADDRESS": "0x00158d0001a2b3c4",
                "ZIGBEE2MQTT_FRIENDLY_NAME": "hall/motion",
                "ZIGBEE2MQTT_MODEL": "RTCGQ11LM",
                "ZIGBEE2MQTT_VENDOR": "Aqara",
            ]
        )
        #expect(
            Set(harness.engine.takeNewSubscriptions().map(\.topicFilter)) == [
                "zigbee2mqtt/hall/motion/availability", "zigbee2mqtt/plug1/availability",
                "zigbee2mqtt/plug2/availability",
            ]
        )
    }

    @Test("availability, in 2.x JSON and 1.x words, and the bridge's state gate every device")
    func availabilityAndBridge() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("zigbee2mqtt/bridge/devices", Self.devices, retain: true)
        #expect(
            harness.publish("zigbee2mqtt/plug1/availability", #"{"state":"offline"}"#) == [
                "removed zigbee2mqtt/0x842e14fffe000001"
            ]
        )
        #expect(harness.publish("zigbee2mqtt/plug1/availability", "online") == ["added zigbee2mqtt/0x842e14fffe000001"])
        #expect(
            harness.publish("zigbee2mqtt/bridge/state", #"{"state":"offline"}"#).sorted() == [
                "removed zigbee2mqtt/0x00158d0001a2b3c4", "removed zigbee2mqtt/0x842e14fffe000001",
            ]
        )
        #expect(harness.publish("zigbee2mqtt/bridge/state", "online").count == 2)
        #expect(harness.publish("zigbee2mqtt/plug1/availability", "flaky").isEmpty)
        #expect(harness.engine.takeProblems().count == 1)
    }

    @Test("a device that leaves the list is removed; a renamed one is updated, keeping its id")
    func leaveAndRename() throws {
        var harness = try EngineHarness(Self.details)
        harness.publish("zigbee2mqtt/bridge/devices", Self.devices, retain: true)
        let renamed = """
            [{"ieee_address":"0x00158d0001a2b3c4","type":"EndDevice","friendly_name":"hall/pir"}]
            """
        #expect(
            harness.publish("zigbee2mqtt/bridge/devices", renamed, retain: true) == [
                "removed zigbee2mqtt/0x842e14fffe000001", "updated zigbee2mqtt/0x00158d0001a2b3c4",
            ]
        )
        #expect(harness.properties("zigbee2mqtt/0x00158d0001a2b3c4")?["MQTT_TOPIC"] == "zigbee2mqtt/hall/pir")
        #expect(harness.engine.takeNewSubscriptions().last?.topicFilter == "zigbee2mqtt/hall/pir/availability")
        // The old name's availability no longer speaks for it.
        #expect(harness.publish("zigbee2mqtt/hall/motion/availability", "offline").isEmpty)
        #expect(harness.publish("zigbee2mqtt/bridge/devices", "not json").isEmpty)
        #expect(harness.engine.takeProblems() == ["zigbee2mqtt/bridge/devices: expected a JSON list of devices"])
        #expect(harness.present == ["zigbee2mqtt/0x00158d0001a2b3c4"])
    }
}
