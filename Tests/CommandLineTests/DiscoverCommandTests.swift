import Foundation
import TestSupport
import Testing

/// `mqtt-discovery discover`, run as a user runs it, against a real mosquitto.
@Suite("discover")
struct DiscoverCommandTests {
    @Test("errors in the details are printed with their position, exit 65; an unreadable file exits 66")
    func badInput() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "bad.yaml",
            """
            mqttBrokerUri: tcp://127.0.0.1:1883
            topics:
              - factory/#/telemetry
            """
        )
        let bad = try await Binary.run(["discover", file], timeout: .seconds(10))
        #expect(bad.status == 65)
        #expect(bad.standardError.hasPrefix("\(file):3:13: "), "\(bad.standardError)")
        #expect(bad.standardOutput.isEmpty)
        let missing = try await Binary.run(["discover", directory.file("absent.yaml")], timeout: .seconds(10))
        #expect(missing.status == 66)
        #expect(missing.standardError.contains("No such file"), "\(missing.standardError)")
    }

    @Test("an Akri Configuration's discovery properties supply the credentials; JSON lines; SIGTERM ends it")
    func akriConfiguration() async throws {
        let broker = try await Mosquitto(.init(users: ["discovery": "s3cret"]))
        let directory = try TemporaryDirectory()
        let passwordFile = try directory.write("password", "s3cret\n")
        let file = try directory.write(
            "configuration.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: plant-sensors
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  mqttBrokerUri: \(broker.url)
                  topics: ["sensors/+/temperature"]
                discoveryProperties:
                  - name: mqtt_broker_username
                    value: discovery
                  - name: mqtt_broker_password
                    valueFrom:
                      file: \(passwordFile)
            """
        )
        let process = try Binary.start(["discover", file, "--output", "json"])
        try await process.waitForLog(containing: "subscribed")
        try await Devices.publish(broker, "sensors/s1/temperature", "20.5", user: ("discovery", "s3cret"))
        try await process.waitForLog(containing: "\"change\":\"added\"")
        #expect(await process.stop() == 0)
        #expect(
            process.log == """
                {"change":"added","id":"sensors/s1/temperature","properties":{"MQTT_BROKER_URI":"\(broker.url)",\
                "MQTT_DEVICE_ID":"sensors/s1/temperature","MQTT_TOPIC":"sensors/s1/temperature"}}

                """,
            "\(process.errorLog)"
        )
        #expect(!process.errorLog.contains("s3cret"))
    }

    @Test("a will queued in the session while the handler was away is applied when it resumes")
    func queuedWill() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "details.yaml",
            """
            brokers:
              - url: \(broker.url)
                keepAliveSeconds: 1
            gracePeriodSeconds: 300
            topics:
              - {filter: "plant/{device}/status", online: online, offline: offline}
            """
        )
        let discover = try Binary.start(["discover", file])
        try await discover.waitForLog(containing: "subscribed")
        let pump = try await Devices.withWill(
            broker,
            id: "pump2",
            willTopic: "plant/pump2/status",
            willPayload: "offline"
        )
        try await Devices.publish(broker, "plant/pump2/status", "online")
        try await discover.waitForLog(containing: "added pump2")

        // Frozen, the handler stops answering; the broker ends its connection after 1.5 × keep
        // alive but keeps its session, and queues the will that the device's death fires.
        discover.send(SIGSTOP)
        try await broker.waitForLog(containing: "has exceeded timeout")
        await pump.stop(signal: SIGKILL)
        try await broker.waitForLog(containing: "Client pump2 closed its connection")
        #expect(!discover.log.contains("removed pump2"))
        discover.send(SIGCONT)

        try await discover.waitForLog(containing: "removed pump2", timeout: .seconds(20))
        #expect(discover.errorLog.contains("connected (session resumed)"))
        #expect(
            discover.log
                == "added pump2 MQTT_BROKER_URI=\(broker.url) MQTT_DEVICE_ID=pump2 MQTT_TOPIC=plant/pump2/status\nremoved pump2 (offline status, from its will or itself)\n"
        )
        #expect(await discover.stop(signal: SIGINT) == 0)
    }
}
