import AgentProtocol
import Foundation
import IO
import TestSupport
import Testing

/// `mqtt-discovery handler`, a real process, with the test as its agent over real Unix sockets
/// and a real mosquitto behind it.
@Suite("handler")
struct HandlerCommandTests {
    @Test("registers, serves full device lists at once and on every change, and registers again after an agent restart")
    func discovery() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let agent = try await FakeRegistrationServer(path: directory.file("agent-registration.sock"), loop: loop)
        let handler = try Binary.start(["handler", "--directory", directory.path])

        let registration = try await agent.nextRegistration()
        #expect(
            registration
                == RegisterDiscoveryHandlerRequest(
                    name: "mqtt",
                    endpoint: directory.file("mqtt.sock"),
                    endpointType: .uds,
                    shared: true
                )
        )
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("mqtt.sock"))
        #expect((attributes[.posixPermissions] as? Int) == 0o660)

        let stream = try await FramePeer.connect(directory.file("mqtt.sock"), loop: loop)
        stream.send(
            .discover(
                DiscoverRequest(
                    discoveryDetails: """
                        mqttBrokerUri: \(broker.url)
                        topics:
                          - {filter: "plant/{device}/status", online: online, offline: offline}
                        """
                )
            )
        )
        #expect(try await stream.next() == .devices(DiscoverResponse(devices: [])), "the first list comes at once")
        try await handler.waitForLog(containing: "subscribed")
        let pump = try await Devices.withWill(
            broker,
            id: "pump2",
            willTopic: "plant/pump2/status",
            willPayload: "offline"
        )
        try await Devices.publish(broker, "plant/pump2/status", "online")
        let expected = DiscoverResponse.Device(
            id: "pump2",
            properties: ["MQTT_BROKER_URI": broker.url, "MQTT_DEVICE_ID": "pump2", "MQTT_TOPIC": "plant/pump2/status"]
        )
        #expect(try await stream.next() == .devices(DiscoverResponse(devices: [expected])))
        await pump.stop(signal: SIGKILL)
        #expect(try await stream.next() == .devices(DiscoverResponse(devices: [])))

        // The agent restarts: the handler notices at once and registers with the new one.
        await agent.shutdown()
        let restarted = try await FakeRegistrationServer(path: directory.file("agent-registration.sock"), loop: loop)
        #expect(try await restarted.nextRegistration().endpoint == directory.file("mqtt.sock"))

        #expect(await handler.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.file("mqtt.sock")))
    }

    @Test("bad details get one error with line and column; bad frames an error and a close; the handler serves on")
    func badInput() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let agent = try await FakeRegistrationServer(path: directory.file("agent-registration.sock"), loop: loop)
        let handler = try Binary.start(["handler", "--directory", directory.path])
        _ = try await agent.nextRegistration()
        let socket = directory.file("mqtt.sock")

        let details = try await FramePeer.connect(socket, loop: loop)
        details.send(.discover(DiscoverRequest(discoveryDetails: "mqttBrokerUri: tcp://b\ntopics: [a/#/b]\n")))
        guard case .error(let status)? = try await details.next() else {
            Issue.record("expected an error frame")
            return
        }
        #expect(status.code == .invalidArgument)
        #expect(status.message.hasPrefix("2:12: topic filter 'a/#/b'"), "\(status.message)")
        #expect(try await details.next() == nil, "closed after the error")

        // Issue 20: 60,000 nested sequences in one 120 KB frame crashed the handler (stack overflow).
        let deep = try await FramePeer.connect(socket, loop: loop)
        deep.send(.discover(DiscoverRequest(discoveryDetails: "topics:\n  " + String(repeating: "- ", count: 60_000))))
        guard case .error(let tooDeep)? = try await deep.next() else {
            Issue.record("expected an error frame")
            return
        }
        #expect(tooDeep.code == .invalidArgument)
        #expect(
            tooDeep.message == "2:129: invalid YAML: collections nested deeper than 64 levels",
            "\(tooDeep.message)"
        )

        let huge = try await FramePeer.connect(socket, loop: loop)
        huge.sendRaw([0xFF, 0xFF, 0xFF, 0xFF])
        guard case .error(let tooLarge)? = try await huge.next() else {
            Issue.record("expected an error frame")
            return
        }
        #expect(tooLarge.code == .resourceExhausted)
        #expect(try await huge.next() == nil)

        let garbage = try await FramePeer.connect(socket, loop: loop)
        garbage.sendRaw([0, 0, 0, 2, 0xFF, 0xFF])
        guard case .error(let malformed)? = try await garbage.next() else {
            Issue.record("expected an error frame")
            return
        }
        #expect(malformed.code == .invalidArgument)

        let outOfTurn = try await FramePeer.connect(socket, loop: loop)
        outOfTurn.send(.watch(WatchRequest()))
        guard case .error(let precondition)? = try await outOfTurn.next() else {
            Issue.record("expected an error frame")
            return
        }
        #expect(precondition.code == .failedPrecondition)

        // Still serving.
        let good = try await FramePeer.connect(socket, loop: loop)
        good.send(.discover(DiscoverRequest(discoveryDetails: "mqttBrokerUri: tcp://127.0.0.1:1\ntopics: [a/#]\n")))
        #expect(try await good.next() == .devices(DiscoverResponse(devices: [])))
        #expect(handler.isRunning)
        #expect(await handler.stop() == 0)
    }
}
