import AgentProtocol
import Foundation
import IO
import TestSupport
import Testing

/// Our handler and agent with Akri's gRPC, against peers we did not write: grpcio, with stubs
/// generated from Proto/discovery.proto, plays a stock Akri agent and a stock handler
/// (`Tests/Peers/akri_grpc.py`). Real processes, real Unix sockets and TCP, a real mosquitto.
@Suite("Akri gRPC: grpcio as the agent and as a handler")
struct AkriGRPCTests {
    static func details(_ broker: Mosquitto) -> String {
        """
        mqttBrokerUri: \(broker.url)
        topics:
          - {filter: "plant/{device}/status", online: online, offline: offline}
        """
    }

    static func ids(_ event: [String: Any]) -> [String] {
        ((event["devices"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted()
    }

    @Test("A grpcio agent registers our handler and streams its lists; a will removes a device; cancel and restart")
    func handlerUnderAkriAgent() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let details = try directory.write("details.yaml", Self.details(broker))
        let agent = try Peers.start("akri_grpc.py", ["agent", directory.path, "--details", details])
        try await agent.waitForEvent("serving")
        let handler = try Binary.start(["handler", "--directory", directory.path])

        let registration = try await agent.waitForEvent("registered")
        #expect(registration["name"] as? String == "mqtt")
        #expect(registration["endpoint"] as? String == directory.file("mqtt.sock"))
        #expect(registration["endpoint_type"] as? String == "UDS")
        #expect(registration["shared"] as? Bool == true)
        #expect(Self.ids(try await agent.waitForEvent("devices")) == [], "the first list comes at once")
        try await handler.waitForLog(containing: "subscribed")
        try await handler.waitForLog(containing: "the agent speaks gRPC")

        let pump = try await Devices.withWill(
            broker,
            id: "pump2",
            willTopic: "plant/pump2/status",
            willPayload: "offline"
        )
        try await Devices.publish(broker, "plant/pump2/status", "online")
        let listed = try await agent.waitForEvent("devices", count: 2)
        let device = try #require((listed["devices"] as? [[String: Any]])?.first)
        #expect(device["id"] as? String == "pump2")
        #expect(
            device["properties"] as? [String: String]
                == ["MQTT_BROKER_URI": broker.url, "MQTT_DEVICE_ID": "pump2", "MQTT_TOPIC": "plant/pump2/status"]
        )
        await pump.stop(signal: SIGKILL)
        #expect(Self.ids(try await agent.waitForEvent("devices", count: 3)) == [], "the will removed it")

        // The agent cancels the stream (RST_STREAM CANCEL) and opens another: only that stream
        // ends, and the handler registers again, as Akri's handlers do.
        agent.send(SIGUSR1)
        try await agent.waitForEvent("cancelled")
        #expect(Self.ids(try await agent.waitForEvent("devices", count: 4)) == [])
        try await agent.waitForEvent("registered", count: 2)
        #expect(handler.isRunning)

        // The agent restarts: the handler registers with the new one and streams again.
        _ = await agent.stop()
        let restarted = try Peers.start("akri_grpc.py", ["agent", directory.path, "--details", details])
        try await restarted.waitForEvent("registered")
        #expect(Self.ids(try await restarted.waitForEvent("devices")) == [])
        #expect(handler.errorLog.components(separatedBy: "the agent speaks gRPC").count == 2, "detected once")
        #expect(await handler.stop() == 0)
    }

    @Test("With POD_IP the handler registers a NETWORK endpoint and the grpcio agent streams over TCP")
    func networkMode() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let details = try directory.write("details.yaml", Self.details(broker))
        let port = try HeldPort()
        let agent = try Peers.start("akri_grpc.py", ["agent", directory.path, "--details", details])
        try await agent.waitForEvent("serving")
        var environment = ProcessInfo.processInfo.environment
        environment["POD_IP"] = "127.0.0.1"
        let handler = try Binary.start(
            ["handler", "--directory", directory.path, "--grpc-port", String(port.port)],
            environment: environment
        )
        let registration = try await agent.waitForEvent("registered")
        #expect(registration["endpoint"] as? String == "http://127.0.0.1:\(port.port)")
        #expect(registration["endpoint_type"] as? String == "NETWORK")
        try await handler.waitForLog(containing: "subscribed")
        try await Devices.publish(broker, "plant/valve7/status", "online")
        let listed = try await agent.waitForEvent("devices") { !Self.ids($0).isEmpty }
        #expect(Self.ids(listed) == ["valve7"])
        #expect(await handler.stop() == 0)
    }

    @Test("Invalid details end the grpcio agent's call with INVALID_ARGUMENT and the line and column")
    func invalidDetails() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let details = try directory.write("details.yaml", "mqttBrokerUri: tcp://b\ntopics: [a/#/b]\n")
        let agent = try Peers.start("akri_grpc.py", ["agent", directory.path, "--details", details])
        try await agent.waitForEvent("serving")
        let handler = try Binary.start(["handler", "--directory", directory.path])
        let ended = try await agent.waitForEvent("stream-ended")
        #expect(ended["code"] as? String == "INVALID_ARGUMENT")
        #expect((ended["details"] as? String)?.hasPrefix("2:12: topic filter 'a/#/b'") == true, "\(ended)")
        #expect(handler.isRunning)
        #expect(await handler.stop() == 0)
    }

    @Test("A list over the agent's gRPC message limit is held back with one log line; the handler serves on")
    func messageLimit() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let details = try directory.write("details.yaml", Self.details(broker))
        let agent = try Peers.start("akri_grpc.py", ["agent", directory.path, "--details", details])
        try await agent.waitForEvent("serving")
        let handler = try Binary.start(["handler", "--directory", directory.path, "--grpc-max-message", "1024"])
        try await agent.waitForEvent("devices")
        try await handler.waitForLog(containing: "subscribed")
        // Each device's entry is about 90 bytes: fifteen pass 1,024.
        let names = (10..<25).map { "pump\($0)" }
        for name in names { try await Devices.publish(broker, "plant/\(name)/status", "online") }
        try await handler.waitForLog(containing: "over the 1024 bytes the agent accepts in one gRPC message")
        let line = try #require(handler.errorLog.split(separator: "\n").first { $0.contains("over the 1024 bytes") })
        #expect(line.contains("the device list of") && line.contains("devices is"), "\(line)")
        for name in names.prefix(12) { try await Devices.publish(broker, "plant/\(name)/status", "offline") }
        let fits = try await agent.waitForEvent("devices") { Self.ids($0) == names.suffix(3).sorted() }
        #expect(Self.ids(fits).count == 3)
        #expect(
            agent.events.filter { $0["event"] as? String == "devices" }.allSatisfy { Self.ids($0).count < 12 },
            "no list over the limit was sent"
        )
        #expect(handler.errorLog.components(separatedBy: "over the 1024 bytes").count == 2, "said once")
        #expect(agent.events.filter { $0["event"] as? String == "registered" }.count == 1, "no re-dialling")
        #expect(handler.isRunning)
        #expect(await handler.stop() == 0)
    }

    @Test("Our agent announces the list size it reads: over gRPC, our handler sends it lists past --grpc-max-message")
    func announcedLimit() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try directory.writeConfiguration("plant.yaml", name: "plant", details: Self.details(broker))
        let agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "agent serving")
        let handler = try Binary.start([
            "handler", "--directory", directory.path, "--agent-protocol", "grpc", "--grpc-max-message", "1024",
        ])
        try await handler.waitForLog(containing: "subscribed")
        try await agent.waitForLog(containing: "protocol=gRPC")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let watcher = EventCollector(socket: directory.file("agent-registration.sock"), loop: loop)
        defer { watcher.close() }
        // Fifteen devices make a list over 1,024 bytes (see messageLimit): Akri's agent would not
        // read it, ours says it reads 16 MiB.
        let names = (10..<25).map { "pump\($0)" }
        for name in names { try await Devices.publish(broker, "plant/\(name)/status", "online") }
        try await watcher.wait(forDevices: Set(names))
        #expect(!handler.errorLog.contains("over the 1024 bytes"), "\(handler.errorLog)")
        #expect(await handler.stop() == 0)
        #expect(await agent.stop() == 0)
    }

    @Test("Our handler and agent over gRPC: lists past a megabyte keep flowing as the socket drains")
    func largeLists() async throws {
        // mosquitto queues 1,000 messages per client by default and drops the rest.
        let broker = try await Mosquitto(.init(extra: ["max_queued_messages 0"]))
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try directory.writeConfiguration(
            "scale.yaml",
            name: "scale",
            details: """
                mqttBrokerUri: \(broker.url)
                topics:
                  - {filter: "scale/{device}/t", timeoutSeconds: 3600}
                """
        )
        let agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "agent serving")
        let handler = try Binary.start(["handler", "--directory", directory.path, "--agent-protocol", "grpc"])
        try await handler.waitForLog(containing: "subscribed")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let watcher = EventCollector(socket: directory.file("agent-registration.sock"), loop: loop)
        defer { watcher.close() }
        // 12,000 devices: the full list is about 1.7 MB, so the handler waits for the socket to
        // drain between lists (a backlog over 1 MiB), and must hear that it has.
        let count = 12_000
        let published = try await Peers.run(
            "bulk_publish.py",
            ["127.0.0.1", "\(broker.port)", "scale/d{n}/t", "\(count)"]
        )
        #expect(published.first?["count"] as? Int == count)
        // Counted by device: Akri's names (six hex digits of a digest) collide a few times in 12,000.
        try await watcher.wait(timeout: .seconds(60), "all \(count) devices") { events in
            Set(events.lazy.filter { $0.kind == .added }.compactMap { $0.instance?.device.id }).count == count
        }
        #expect(await handler.stop() == 0)
        #expect(await agent.stop() == 0)
    }

    // MARK: - A stock handler under our agent

    static func configuration(_ directory: TemporaryDirectory) throws -> String {
        try directory.write(
            "debug-echo.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata:
              name: akri-debug-echo
            spec:
              discoveryHandler:
                name: debugEcho
                discoveryDetails: |+
                  descriptions:
                  - "foo0"
                  - "foo1"
              brokerProperties:
                RESOLUTION_WIDTH: "800"
              capacity: 3
            """
        )
    }

    @Test("A grpcio handler registers with our agent over gRPC; watch shows its instances with Akri's names")
    func stockHandlerUnderOurAgent() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try Self.configuration(directory)
        let agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration, "--node", "node-a"])
        try await agent.waitForLog(containing: "agent serving")
        let handler = try Peers.start("akri_grpc.py", ["handler", directory.path, "debugEcho", "--local"])
        try await handler.waitForEvent("registered")
        let discover = try await handler.waitForEvent("discover")
        #expect(discover["details"] as? String == "descriptions:\n- \"foo0\"\n- \"foo1\"\n")
        try await handler.waitForEvent("sent")
        try await agent.waitForLog(containing: "protocol=gRPC")

        let once = try await Binary.run(
            ["watch", "--directory", directory.path, "--once", "--output", "json"],
            timeout: .seconds(20)
        )
        #expect(once.status == 0, "\(once.standardError)")
        let lines = once.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        let events = Peers.events(once.standardOutput)
        let ids = events.compactMap { $0["id"] as? String }.sorted()
        #expect(ids == ["foo0", "foo1"])
        for event in events where event["id"] != nil {
            // Unshared devices are named from the id and the node, as Akri does.
            let name = try #require(event["instance"] as? String)
            #expect(name.hasPrefix("akri-debug-echo-") && name.count == "akri-debug-echo-".count + 6, "\(name)")
            let properties = try #require(event["properties"] as? [String: String])
            #expect(properties["DEBUG_ECHO_DESCRIPTION"] == event["id"] as? String)
            #expect(properties["RESOLUTION_WIDTH"] == "800", "the Configuration's brokerProperties")
            #expect(event["capacity"] as? Int == 3)
        }

        // The handler goes offline: its next (empty) list removes both instances.
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let watcher = EventCollector(socket: directory.file("agent-registration.sock"), loop: loop)
        defer { watcher.close() }
        try await watcher.wait(forDevices: ["foo0", "foo1"])
        handler.send(SIGUSR1)
        try await watcher.wait(forDevices: [])
        handler.send(SIGUSR1)
        try await watcher.wait(forDevices: ["foo0", "foo1"])
        #expect(await agent.stop() == 0)
    }

    @Test("A grpcio handler that dies is dropped; back within the grace its instances stay, else they go")
    func stockHandlerDies() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try Self.configuration(directory)
        let agent = try Binary.start(
            ["agent", "--directory", directory.path, "-c", configuration, "--offline-grace", "300"]
        )
        try await agent.waitForLog(containing: "agent serving")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let watcher = EventCollector(socket: directory.file("agent-registration.sock"), loop: loop)
        defer { watcher.close() }
        let first = try Peers.start("akri_grpc.py", ["handler", directory.path, "debugEcho"])
        try await watcher.wait(forDevices: ["foo0", "foo1"])
        await first.stop(signal: SIGKILL)
        try await agent.waitForLog(containing: "handler went away")
        let second = try Peers.start("akri_grpc.py", ["handler", directory.path, "debugEcho"])
        try await second.waitForEvent("sent")
        try await agent.waitForLog(timeout: .seconds(20), "registered twice") {
            $0.components(separatedBy: "handler registered").count == 3
        }
        #expect(!watcher.events.contains { $0.kind == .removed }, "kept through the restart")
        await second.stop(signal: SIGKILL)
        #expect(await agent.stop() == 0)

        // With a short grace, a handler that stays away loses its instances.
        let short = try Binary.start(
            ["agent", "--directory", directory.path, "-c", configuration, "--offline-grace", "0.2"]
        )
        try await short.waitForLog(containing: "agent serving")
        let shortWatcher = EventCollector(socket: directory.file("agent-registration.sock"), loop: loop)
        defer { shortWatcher.close() }
        let third = try Peers.start("akri_grpc.py", ["handler", directory.path, "debugEcho"])
        try await shortWatcher.wait(forDevices: ["foo0", "foo1"])
        await third.stop(signal: SIGKILL)
        try await shortWatcher.wait(forDevices: [])
        #expect(await short.stop() == 0)
    }
}
