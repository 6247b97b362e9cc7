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
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let indented = Self.details(broker).split(separator: "\n").map { "      \($0)" }.joined(separator: "\n")
        let configuration = try directory.write(
            "demo.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: demo
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
            \(indented)
            """
        )
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let socket = directory.file("agent-registration.sock")
        var agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        defer { agent.stop() }
        try await agent.waitForLog(containing: "agent serving")
        let handler = try Binary.start(["handler", "--directory", directory.path])
        defer { handler.stop() }
        try await handler.waitForLog(containing: "subscribed")

        let watcher = EventCollector(socket: socket, loop: loop)
        defer { watcher.close() }
        let steady = try Self.simulate(broker, devices: 2, first: 1)
        defer { steady.stop() }
        let doomed = try Self.simulate(broker, devices: 2, first: 3)
        defer { doomed.stop() }
        try await watcher.wait(forDevices: ["device-1", "device-2", "device-3", "device-4"])
        let instance = try #require(
            watcher.instances[InstanceName.make(configuration: "demo", deviceID: "device-1", shared: true)]
        )
        #expect(instance.device.properties["MQTT_TOPIC"] == "demo/device-1/telemetry")
        #expect(instance.device.properties["MQTT_BROKER_URI"] == broker.url)

        // Two devices lose power: the broker fires their wills.
        doomed.stop(signal: 9)
        try await watcher.wait(forDevices: ["device-1", "device-2"])

        // The broker crashes and comes back: the handler's Discover stream stays open, the
        // devices reconnect within the grace period and nothing is removed.
        let before = watcher.events.count
        let connections = handler.errorLog.components(separatedBy: "info handler: connected").count
        try await broker.crashAndRestart()
        let deadline = ContinuousClock.now + .seconds(20)
        while handler.errorLog.components(separatedBy: "info handler: connected").count == connections {
            guard ContinuousClock.now < deadline else { throw TestSupportError("the handler did not reconnect") }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .seconds(1))
        let during = watcher.events.dropFirst(before).map { "\($0.kind) \($0.instance?.device.id ?? "")" }
        #expect(!during.contains { $0.hasPrefix("removed") }, "\(during)\n\(handler.errorLog)")
        #expect(Set(watcher.instances.values.map(\.device.id)) == ["device-1", "device-2"])

        // The agent restarts: the handler registers again and the instances come back.
        agent.stop(signal: 15)
        #expect(agent.waitForExit() == 0)
        try await watcher.wait("the watch ends with the agent") { _ in watcher.hasEnded }
        agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "handler registered", timeout: .seconds(20))
        let again = EventCollector(socket: socket, loop: loop)
        defer { again.close() }
        try await again.wait(forDevices: ["device-1", "device-2"])

        handler.stop(signal: 15)
        #expect(handler.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.file("mqtt.sock")))
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
        defer { run.stop() }
        try await run.waitForLog(containing: "subscribed")
        let devices = try Self.simulate(broker, devices: 2, first: 1)
        defer { devices.stop() }
        let name = InstanceName.make(configuration: "plant", deviceID: "device-2", shared: true)
        try await run.waitForLog(
            containing: "{\"event\":\"added\",\"instance\":\"\(name)\",\"configuration\":\"plant\",\"id\":\"device-2\","
        )
        try await waitFor(file: log, toContain: "start device-2 \(name)")
        devices.stop(signal: 9)
        try await run.waitForLog(containing: "{\"event\":\"removed\",\"instance\":\"\(name)\"")
        try await waitFor(file: log, toContain: "stop device-1")
        try await waitFor(file: log, toContain: "stop device-2")

        run.stop(signal: 15)
        #expect(run.waitForExit() == 0)
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
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let contents = try? String(contentsOfFile: file, encoding: .utf8), contents.contains(text) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError(
            "'\(text)' not in \(file): \((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")"
        )
    }
}
