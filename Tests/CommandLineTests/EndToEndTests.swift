import AgentProtocol
import Foundation
import IO
import TestSupport
import Testing

/// The whole flow with real processes: mosquitto, simulated devices, the handler, the agent and
/// watchers, over real Unix sockets; then `run`, the one-process form, with `--exec`.
@Suite("end to end")
struct EndToEndTests {
    static func details(_ broker: Mosquitto) -> String {
        """
        brokers:
          - url: \(broker.url)
        topics:
          - filter: demo/{device}/telemetry
            timeoutSeconds: 60
          - filter: demo/{device}/status
            online: online
            offline: offline
        gracePeriodSeconds: 30
        """
    }

    static func simulate(_ broker: Mosquitto, devices: Int, first: Int) throws -> ExternalProcess {
        try Binary.start([
            "simulate", "--url", broker.url, "--devices", "\(devices)", "--first", "\(first)",
            "--topic", "demo/{device}/telemetry", "--will", "demo/{device}/status", "--interval", "0.2",
        ])
    }

    @Test("devices appear and go; the agent restarts and they come back; the broker restarts and they stay")
    func handlerAgentWatch() async throws {
        // Subscriptions are logged, so the test knows when the handler has subscribed again.
        let broker = try await Mosquitto(.init(extra: ["log_type subscribe"]))
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try directory.writeConfiguration("demo.yaml", name: "demo", details: Self.details(broker))
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let socket = directory.file("agent-registration.sock")
        var agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "agent serving")
        let handler = try Binary.start(["handler", "--directory", directory.path])
        try await handler.waitForLog(containing: "subscribed")

        let watcher = EventCollector(socket: socket, loop: loop)
        defer { watcher.close() }
        let steady = try Self.simulate(broker, devices: 2, first: 1)
        let doomed = try Self.simulate(broker, devices: 2, first: 3)
        try await watcher.wait(forDevices: ["device-1", "device-2", "device-3", "device-4"])
        let instance = try #require(
            watcher.instances[InstanceName.make(configuration: "demo", deviceID: "device-1", shared: true)]
        )
        #expect(instance.device.properties["MQTT_TOPIC"] == "demo/device-1/telemetry")
        #expect(instance.device.properties["MQTT_BROKER_URI"] == broker.url)

        // Two devices lose power: the broker fires their wills.
        await doomed.stop(signal: SIGKILL)
        try await watcher.wait(forDevices: ["device-1", "device-2"])

        // The broker crashes and comes back: the handler's Discover stream stays open, the
        // devices reconnect within the grace period and nothing is removed.
        let before = watcher.events.count
        try await broker.crashAndRestart()
        // The crash lost the handler's session: once it has subscribed again, a new device's first
        // message marks the point by which anything the restart caused has been decided.
        try await broker.waitForLog(containing: " demo/+/telemetry")
        try await Devices.publish(broker, "demo/marker/telemetry", "1")
        try await watcher.wait(forDevices: ["device-1", "device-2", "marker"])
        let during = watcher.events.dropFirst(before).map { "\($0.kind) \($0.instance?.device.id ?? "")" }
        #expect(during == ["added marker"], "\(handler.errorLog)")

        // The agent restarts: the handler registers again and the instances come back.
        #expect(await agent.stop() == 0)
        try await watcher.wait("the watch ends with the agent") { _ in watcher.hasEnded }
        agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "handler registered", timeout: .seconds(20))
        // The marker sent one message only, to the stream that is gone; the devices keep talking.
        let again = EventCollector(socket: socket, loop: loop)
        defer { again.close() }
        try await again.wait(forDevices: ["device-1", "device-2"])

        #expect(await handler.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.file("mqtt.sock")))
        await steady.stop()
        await agent.stop()
    }

    @Test("run: one process prints instances as they come and go, and runs --exec once per instance")
    func run() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "run")
        let details = try directory.write("plant.yaml", Self.details(broker))
        let log = directory.file("exec.log")
        let command = """
            trap 'echo "stop $MQTT_DEVICE_ID" >> \(log); exit 0' TERM
            echo "start $MQTT_DEVICE_ID $AKRI_INSTANCE" >> \(log)
            while true; do sleep 0.05; done
            """
        let run = try Binary.start(["run", "-c", details, "--output", "json", "--log-level", "info", "--exec", command])
        try await run.waitForLog(containing: "subscribed")
        // The handler's first list is in: what was known at start is printed, live changes follow.
        try await run.waitForLog(containing: "{\"event\":\"synced\"}")
        let devices = try Self.simulate(broker, devices: 2, first: 1)
        let name = InstanceName.make(configuration: "plant", deviceID: "device-2", shared: true)
        try await run.waitForLog(
            containing: "{\"event\":\"added\",\"instance\":\"\(name)\",\"configuration\":\"plant\",\"id\":\"device-2\","
        )
        try await waitFor(file: log, toContain: "start device-2 \(name)")
        await devices.stop(signal: SIGKILL)
        try await run.waitForLog(containing: "{\"event\":\"removed\",\"instance\":\"\(name)\"")
        try await waitFor(file: log, toContain: "stop device-1")
        try await waitFor(file: log, toContain: "stop device-2")

        #expect(run.log.components(separatedBy: "\"synced\"").count == 2, "synced once")
        #expect(await run.stop() == 0)
    }

    @Test(
        "run with an Akri Configuration: a secretKeyRef password from --secrets-dir, brokerProperties and capacity on instances and in --exec"
    )
    func configurationFidelity() async throws {
        let broker = try await Mosquitto(.init(users: ["discovery": "s3cret", "device": "d3vice"]))
        let directory = try TemporaryDirectory(prefix: "run")
        let secrets = directory.file("secrets")
        try FileManager.default.createDirectory(
            atPath: secrets + "/plant-ns/mqtt-credentials",
            withIntermediateDirectories: true
        )
        _ = try directory.write("secrets/plant-ns/mqtt-credentials/password", "s3cret")
        let configuration = try directory.write(
            "plant.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: plant
              namespace: plant-ns
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  mqttBrokerUri: \(broker.url)
                  topics: ["plant/{device}/status"]
                discoveryProperties:
                  - name: mqtt_broker_username
                    value: discovery
                  - name: mqtt_broker_password
                    valueFrom:
                      secretKeyRef: {name: mqtt-credentials, key: password}
                  - name: mqtt_broker_ca
                    valueFrom:
                      configMapKeyRef: {name: mqtt-ca, key: ca.pem, optional: true}
              brokerProperties:
                RESOLUTION: "800x600"
                MQTT_TOPIC: "overridden"
              capacity: 2
            """
        )
        let log = directory.file("exec.log")
        let command = "echo \"$MQTT_DEVICE_ID $RESOLUTION $MQTT_TOPIC\" >> \(log); exec sleep 60"
        let run = try Binary.start([
            "run", "-c", configuration, "--secrets-dir", secrets, "--config-maps-dir", directory.file("config-maps"),
            "--output", "json", "--log-level", "info", "--exec", command,
        ])
        try await run.waitForLog(containing: "subscribed")
        try await Devices.publish(broker, "plant/press7/status", "online", user: ("device", "d3vice"))
        try await run.waitForLog(containing: "\"id\":\"press7\"")
        let line = try #require(run.log.split(separator: "\n").first { $0.contains("\"id\":\"press7\"") })
        #expect(line.contains("\"RESOLUTION\":\"800x600\""), "\(line)")
        #expect(line.contains("\"MQTT_TOPIC\":\"overridden\""), "a broker property wins: \(line)")
        #expect(line.hasSuffix("\"capacity\":2}"), "\(line)")
        try await waitFor(file: log, toContain: "press7 800x600 overridden")
        #expect(await run.stop() == 0)

        // Not optional and missing: refused, naming the reference.
        let missing = try await Binary.run(
            ["run", "-c", configuration, "--secrets-dir", directory.file("nowhere")],
            timeout: .seconds(20)
        )
        #expect(missing.status == 66, "\(missing.standardError)")
        #expect(
            missing.standardError.contains(
                "mqtt_broker_password: key 'password' of Secret plant-ns/mqtt-credentials is not available"
            ),
            "\(missing.standardError)"
        )
    }

    @Test("run refuses bad details with file, line and column")
    func runBadDetails() async throws {
        let directory = try TemporaryDirectory(prefix: "run")
        let details = try directory.write("bad.yaml", "brokers:\n  - url: tcp://\ntopics: [a/#/b]\n")
        let result = try await Binary.run(["run", "-c", details], timeout: .seconds(20))
        #expect(result.status == 65)
        #expect(result.standardError.contains("\(details):2:"), "\(result.standardError)")
        #expect(result.standardError.contains("\(details):3:"), "\(result.standardError)")
        let missing = try await Binary.run(["run", "-c", directory.file("absent.yaml")], timeout: .seconds(20))
        #expect(missing.status == 66)
    }

    private func waitFor(file: String, toContain text: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let contents = try? String(contentsOfFile: file, encoding: .utf8), contents.contains(text) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestSupportError(
            "'\(text)' not in \(file): \((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")"
        )
    }
}
