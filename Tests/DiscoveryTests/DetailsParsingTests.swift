import Discovery
import MQTTCodec
import MQTTSession
import Testing
import YAML

@Suite("Discovery details: the three forms")
struct DetailsFormTests {
    @Test("form 1, the Akri MQTT proposal's: serverUrls and topics")
    func proposalForm() throws {
        let (details, warnings) = try DiscoveryDetails.parse(
            """
            serverUrls:
              - tcp://192.168.1.10:1883
              - ssl://192.168.1.10:8883
            topics:
              - akri-devices/Device23920/temp
              - robots/+/joints
              - system/subsystem1/device2032/#
            """
        )
        #expect(warnings.isEmpty)
        #expect(details.brokers.map(\.url.description) == ["tcp://192.168.1.10:1883", "ssl://192.168.1.10:8883"])
        #expect(
            details.topics.map(\.template.filter) == [
                "akri-devices/Device23920/temp", "robots/+/joints", "system/subsystem1/device2032/#",
            ]
        )
        #expect(details.timeout == DiscoveryDetails.defaultTimeout)
        #expect(details.topics.allSatisfy { $0.qos == .atLeastOnce && !$0.isStatus })
    }

    @Test("form 2, the reference handler's: mqttBrokerUri, timeoutSeconds, propertiesPrefix")
    func referenceForm() throws {
        let (details, _) = try DiscoveryDetails.parse(
            """
            mqttBrokerUri: "tcp://192.168.1.14:1883"
            topics: ["hello", "goodbye", "wow"]
            timeoutSeconds: 60
            propertiesPrefix: press
            """
        )
        #expect(details.brokers.map(\.url.description) == ["tcp://192.168.1.14:1883"])
        #expect(details.timeout == .seconds(60))
        #expect(details.propertyName("MQTT_TOPIC") == "PRESS_MQTT_TOPIC")
    }

    @Test(
        "?client_id= on a broker URI sets the client id, as the reference handler reads it; other parameters are refused"
    )
    func clientIDInURL() throws {
        let (details, _) = try DiscoveryDetails.parse(
            "mqttBrokerUri: tcp://192.168.1.14:1883?client_id=akri%2Dnode1\ntopics: [a/#]\n"
        )
        #expect(details.brokers.map(\.url.description) == ["tcp://192.168.1.14:1883"])
        #expect(details.brokers.first?.clientIdentifier == "akri-node1")
        do {
            _ = try DiscoveryDetails.parse("topics: [a/#]\nmqttBrokerUri: tcp://b:1883?keep_alive_secs=5\n")
            Issue.record("an unknown query parameter was accepted")
        } catch {
            #expect(
                error.problems.map(\.description) == [
                    "2:16: broker URL 'tcp://b:1883?keep_alive_secs=5': the query parameter 'keep_alive_secs' is not supported (only client_id sets anything)"
                ]
            )
        }
    }

    @Test("form 3, ours: brokers with options, topic objects, conventions, grace and debounce")
    func fullForm() throws {
        let (details, warnings) = try DiscoveryDetails.parse(
            """
            brokers:
              - url: mqtts://broker.example:8883
                clientId: handler-1
                protocol: "3.1.1"
                keepAliveSeconds: 30
                sessionExpirySeconds: 3600
                username: discovery
                passwordFile: /run/secrets/mqtt
                caFile: /etc/ca.pem
                certFile: /etc/client.pem
                keyFile: /etc/client.key
              - url: tcp://other:1883
                passwordEnv: MQTT_PASSWORD
                insecureSkipVerify: false
            topics:
              - factory/{device}/telemetry/#
              - filter: factory/{device}/status
                qos: 2
                online: [online, "1"]
                offline: offline
                timeoutSeconds: 120
            timeoutSeconds: 30.5
            gracePeriodSeconds: 90
            debounceSeconds: 2
            conventions:
              - sparkplug
              - name: homeassistant
                prefix: ha
            propertiesPrefix: PLANT_
            """
        )
        #expect(warnings.isEmpty)
        let first = details.brokers[0]
        #expect(first.clientIdentifier == "handler-1")
        #expect(first.protocolVersion == .v311)
        #expect(first.keepAlive == 30 && first.sessionExpiry == 3_600)
        #expect(first.userName == "discovery")
        #expect(first.password == .file("/run/secrets/mqtt"))
        #expect(
            first.ca == .file("/etc/ca.pem") && first.certificate == .file("/etc/client.pem")
                && first.key == .file("/etc/client.key")
        )
        #expect(details.brokers[1].password == .environment("MQTT_PASSWORD"))
        #expect(details.topics[0].template.placeholders == ["device"])
        #expect(details.topics[0].template.filter == "factory/+/telemetry/#")
        let status = details.topics[1]
        #expect(status.isStatus && status.online == ["online", "1"] && status.offline == ["offline"])
        #expect(status.qos == .exactlyOnce && status.timeout == .seconds(120))
        #expect(details.timeout == .milliseconds(30_500))
        #expect(details.gracePeriod == .seconds(90) && details.debounce == .seconds(2))
        #expect(
            details.conventions == [ConventionSettings(.sparkplug), ConventionSettings(.homeassistant, prefix: "ha")]
        )
        #expect(details.propertyName("MQTT_TOPIC") == "PLANT_MQTT_TOPIC")
    }

    @Test("a convention alone needs no topics")
    func conventionOnly() throws {
        let (details, _) = try DiscoveryDetails.parse("mqttBrokerUri: tcp://b\nconventions: [homie, tasmota]\n")
        #expect(details.topics.isEmpty)
        #expect(details.conventions.map(\.name) == [.homie, .tasmota])
    }

    @Test("credentials come from Akri's discovery properties when the details give none")
    func discoveryProperties() throws {
        let properties: [String: [UInt8]?] = [
            // As read from files: the trailing newline is not part of a user name or password.
            "mqtt_broker_username": Array("user\n".utf8), "mqtt_broker_password": Array("pw\r\n".utf8),
            "mqtt_broker_ca": Array("-----BEGIN CERTIFICATE-----".utf8), "mqtt_broker_certificate": nil,
        ]
        let (details, _) = try DiscoveryDetails.parse("mqttBrokerUri: ssl://b\ntopics: [a]\n", properties: properties)
        let broker = details.brokers[0]
        #expect(broker.userName == "user")
        #expect(broker.password == .inline(Array("pw".utf8)))
        #expect(broker.ca == .inline(Array("-----BEGIN CERTIFICATE-----".utf8)))
        #expect(broker.certificate == nil)
        #expect(broker.description == "ssl://b:8883")
    }
}

@Suite("Discovery details: problems with their positions")
struct DetailsProblemTests {
    static let cases: [(String, String, [String])] = [
        ("empty", "", ["1:1: the discovery details are empty"]),
        ("not a mapping", "- a\n- b\n", ["1:1: the discovery details must be a mapping, not a list"]),
        ("no broker", "topics: [a]\n", ["1:1: no broker: give mqttBrokerUri, serverUrls or brokers"]),
        (
            "no topics", "mqttBrokerUri: tcp://b\n",
            ["1:1: nothing to subscribe to: give topics, or enable a convention"]
        ),
        (
            "URL without host", "mqttBrokerUri: tcp://:1883\ntopics: [a]\n",
            ["1:16: broker URL 'tcp://:1883': it has no host"]
        ),
        (
            "URL scheme",
            "serverUrls:\n  - tcp://ok\n  - http://bad\ntopics: [a]\n",
            ["3:5: broker URL 'http://bad': the scheme 'http' is not one of tcp, mqtt, ssl, mqtts"]
        ),
        (
            "'#' in the middle",
            "mqttBrokerUri: tcp://b\ntopics:\n  - ok/#\n  - a/#/b\n",
            ["4:7: topic filter 'a/#/b': '#' must be the last level and stand alone in it"]
        ),
        (
            "'#' in the middle, quoted",
            "mqttBrokerUri: tcp://b\ntopics: [\"a/#/b\"]\n",
            ["2:13: topic filter 'a/#/b': '#' must be the last level and stand alone in it"]
        ),
        (
            "placeholder not a whole level",
            "mqttBrokerUri: tcp://b\ntopics:\n  - a/x{id}/c\n",
            ["3:7: topic filter 'a/x{id}/c': a placeholder must be a whole level, like '{device}'"]
        ),
        (
            "placeholder twice",
            "mqttBrokerUri: tcp://b\ntopics: [\"{d}/x/{d}\"]\n",
            ["2:17: topic filter '{d}/x/{d}': placeholder '{d}' appears twice"]
        ),
        (
            "negative timeout",
            "mqttBrokerUri: tcp://b\ntopics: [a]\ntimeoutSeconds: -5\n",
            ["3:17: timeoutSeconds must be more than 0, not -5"]
        ),
        (
            "zero timeout",
            "mqttBrokerUri: tcp://b\ntopics: [a]\ntimeoutSeconds: 0\n",
            ["3:17: timeoutSeconds must be more than 0, not 0"]
        ),
        (
            "timeout as text",
            "mqttBrokerUri: tcp://b\ntopics: [a]\ntimeoutSeconds: soon\n",
            ["3:17: timeoutSeconds must be a number of seconds, not 'soon'"]
        ),
        (
            "qos 3",
            "mqttBrokerUri: tcp://b\ntopics:\n  - filter: a\n    qos: 3\n",
            ["4:10: qos must be between 0 and 2, not 3"]
        ),
        (
            "topics not a list",
            "mqttBrokerUri: tcp://b\ntopics: a/b\n",
            ["2:9: topics must be a list, not a scalar"]
        ),
        (
            "broker without url",
            "brokers:\n  - clientId: x\ntopics: [a]\n",
            ["2:5: a broker needs a url"]
        ),
        (
            "password twice",
            "brokers:\n  - url: tcp://b\n    passwordFile: /p\n    passwordEnv: P\ntopics: [a]\n",
            ["4:18: give passwordFile or passwordEnv, not both"]
        ),
        (
            "certificate without key",
            "brokers:\n  - url: ssl://b\n    certFile: /c\ntopics: [a]\n",
            ["3:15: certFile and keyFile go together"]
        ),
        (
            "unknown convention",
            "mqttBrokerUri: tcp://b\nconventions: [sparkplugB]\n",
            [
                "2:15: unknown convention 'sparkplugB'; known: sparkplug, homie, homeassistant, tasmota, esphome, zigbee2mqtt"
            ]
        ),
        (
            "bad protocol",
            "brokers:\n  - url: tcp://b\n    protocol: 4.0\ntopics: [a]\n",
            ["3:15: protocol must be \"3.1.1\" or \"5\", not '4.0'"]
        ),
        (
            "invalid YAML",
            "mqttBrokerUri: tcp://b\ntopics: [a\n",
            ["3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)"]
        ),
        (
            "several errors at once",
            "mqttBrokerUri: tcp://\ntopics: [a/#/b]\ndebounceSeconds: -1\n",
            [
                "1:16: broker URL 'tcp://': it has no host",
                "2:12: topic filter 'a/#/b': '#' must be the last level and stand alone in it",
                "3:18: debounceSeconds must be 0 or more, not -1",
            ]
        ),
    ]

    @Test("errors name line and column", arguments: cases)
    func errors(_ name: String, _ text: String, _ expected: [String]) {
        do {
            _ = try DiscoveryDetails.parse(text)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.problems.filter { $0.severity == .error }.map(\.description) == expected, "\(name)")
        }
    }

    @Test("unknown keys are warnings with their position, and a likely intended key")
    func unknownKeys() throws {
        let (_, warnings) = try DiscoveryDetails.parse(
            "mqttBrokerUri: tcp://b\ntopics: [a]\ntimeoutSecond: 5\nmessageRegexp: x\n"
        )
        #expect(
            warnings.map(\.description) == [
                "3:1: warning: unknown key 'timeoutSecond' in the discovery details is ignored; did you mean 'timeoutSeconds'?",
                "4:1: warning: unknown key 'messageRegexp' in the discovery details is ignored",
            ]
        )
    }

    @Test("positions map into the file the details came from")
    func mapping() {
        let mapping = MarkMapping(lineOffset: 10, firstLineColumnOffset: 20, columnOffset: 6)
        do {
            _ = try DiscoveryDetails.parse("mqttBrokerUri: tcp://b\ntopics: [a/#/b]\n", mapping: mapping)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.mark) == [Mark(line: 12, column: 18)])
        }
    }
}
