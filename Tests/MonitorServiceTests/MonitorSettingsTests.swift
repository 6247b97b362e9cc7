import ArgumentParsing
import IO
import MQTTClient
import MQTTSession
import Monitor
import MonitorService
import TestSupport
import Testing

@Suite("Monitor settings from options and Akri's environment")
struct MonitorSettingsTests {
    static let spec = CommandSpec(name: "monitor", abstract: "Monitor.", arguments: MonitorSettings.arguments)

    static func settings(_ arguments: [String] = [], _ environment: [String: String]) throws -> MonitorSettings {
        guard case .arguments(let parsed) = try spec.parse(arguments, environment: environment) else {
            throw UsageError("help", command: "monitor")
        }
        return try MonitorSettings(parsed, environment: environment)
    }

    @Test("the device as Akri hands it over; the defaults; a client id derived from broker and device")
    func akriEnvironment() throws {
        let settings = try Self.settings(
            [],
            [
                "MQTT_BROKER_URI": "tcp://broker:1883", "MQTT_TOPIC": "plant/press7/#", "MQTT_DEVICE_ID": "press7",
            ]
        )
        #expect(settings.client.url.description == "tcp://broker:1883")
        #expect(settings.topics == ["plant/press7/#"])
        #expect(settings.device == "press7")
        #expect(settings.listen == .ip("0.0.0.0", port: 8080))
        #expect(settings.client.cleanStart == false)
        #expect(settings.client.sessionExpiryInterval == 86_400)
        #expect(settings.limits.historyCount == 1_000)
        #expect(settings.client.clientIdentifier.hasPrefix("mqttm"))
        let again = try Self.settings(
            [],
            ["MQTT_BROKER_URI": "tcp://broker:1883", "MQTT_TOPIC": "plant/press7/#", "MQTT_DEVICE_ID": "press7"]
        )
        #expect(again.client.clientIdentifier == settings.client.clientIdentifier)
        #expect(settings.upstream == nil && settings.influx == nil)
    }

    @Test("a properties prefix is found from the one *_MQTT_BROKER_URI, or given; two are ambiguous")
    func prefix() throws {
        let found = try Self.settings(
            [],
            ["LINE_MQTT_BROKER_URI": "tcp://b:1", "LINE_MQTT_TOPIC": "line/+/temp", "LINE_MQTT_DEVICE_ID": "line-dev"]
        )
        #expect(found.device == "line-dev" && found.topics == ["line/+/temp"])
        let given = try Self.settings(
            ["--properties-prefix", "B"],
            ["A_MQTT_BROKER_URI": "tcp://a:1", "B_MQTT_BROKER_URI": "tcp://b:1", "B_MQTT_TOPIC": "b/#"]
        )
        #expect(given.client.url.host == "b")
        #expect(throws: UsageError.self) {
            try Self.settings([], ["A_MQTT_BROKER_URI": "tcp://a:1", "B_MQTT_BROKER_URI": "tcp://b:1"])
        }
    }

    @Test("options override the environment; upstream, queue and InfluxDB settings")
    func options() throws {
        let settings = try Self.settings(
            [
                "--url", "tcp://other:1884", "-t", "a/#", "-t", "b/#", "--listen", "[::1]:9000", "--upstream",
                "tcp://cloud:1883", "--upstream-topic", "edge/{device}/{topic}", "--influxdb",
                "http://127.0.0.1:8086/write?db=t",
            ],
            ["MQTT_BROKER_URI": "tcp://broker:1883", "MQTT_TOPIC": "ignored/#", "MQTT_DEVICE_ID": "d1"]
        )
        #expect(settings.client.url.host == "other" && settings.topics == ["a/#", "b/#"])
        #expect(settings.listen == .ip("::1", port: 9000))
        let upstream = try #require(settings.upstream)
        #expect(upstream.client.url.host == "cloud")
        #expect(upstream.queueMaximumBytes == 256 << 20)
        #expect(upstream.queueDirectory.hasPrefix("/var/lib/mqtt-discovery/queue/mqttm"))
        #expect(settings.influx?.measurement == "mqtt")
    }

    @Test(
        "what cannot be used is refused with the reason",
        arguments: [
            ([], "no broker: set --url or MQTT_BROKER_URI"),
            (["--url", "tcp://b:1"], "no topic: set -t or MQTT_TOPIC"),
            (["--url", "tcp://b:1", "-t", "a/#/b"], "topic 'a/#/b':"),
            (["--url", "tcp://b:1", "-t", "a", "--listen", "nowhere"], "--listen 'nowhere' must be IP:PORT"),
            (["--url", "tcp://b:1", "-t", "a", "--cert", "c.pem"], "--cert and --key go together"),
            (
                ["--url", "tcp://b:1", "-t", "a", "--upstream", "tcp://u:1", "--upstream-topic", "x/#"],
                "must be a topic name"
            ),
        ]
    )
    func refused(_ arguments: [String], _ message: String) {
        #expect {
            try Self.settings(arguments, [:])
        } throws: { error in
            (error as? UsageError)?.message.contains(message) == true
        }
    }

    @Test("a password comes from its file's first line, else from MQTT_PASSWORD; an unreadable file is an I/O error")
    func password() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("password", "s3cret\nignored\n")
        let base = ["--url", "tcp://b:1", "-t", "a"]
        #expect(try Self.settings(base + ["--password-file", file], [:]).client.password == Array("s3cret".utf8))
        #expect(try Self.settings(base, ["MQTT_PASSWORD": "env"]).client.password == Array("env".utf8))
        #expect(throws: IOError.self) { try Self.settings(base + ["--password-file", directory.file("absent")], [:]) }
    }
}
