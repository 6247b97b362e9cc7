import AgentProtocol
import Foundation
import TestSupport
import Testing

/// Hostile HTTP/2 against the handler's and the agent's sockets, from a client written with the
/// `h2` project's libraries (`Tests/Peers/h2_peer.py`): each attack gets the RFC's error code, a
/// thousand idle connections stay open meanwhile, the process serves a good call afterwards,
/// and its memory stays bounded.
@Suite("HTTP/2 hostile input")
struct HTTP2HostileTests {
    /// Each attack and the GOAWAY code RFC 9113 (or RFC 7541, through §4.3) calls for.
    static let attacks: [(kind: String, goAway: String)] = [
        ("bad-preface", "PROTOCOL_ERROR"),
        ("oversized-frame", "FRAME_SIZE_ERROR"),
        ("flow-control", "FLOW_CONTROL_ERROR"),
        ("window-overflow", "FLOW_CONTROL_ERROR"),
        ("headers-closed-stream", "STREAM_CLOSED"),
        ("continuation-flood", "ENHANCE_YOUR_CALM"),
        ("hpack-index", "COMPRESSION_ERROR"),
        ("hpack-table-size", "COMPRESSION_ERROR"),
        ("hpack-huffman", "COMPRESSION_ERROR"),
        ("rapid-reset", "ENHANCE_YOUR_CALM"),
    ]

    /// Runs every attack against `socket` (`path` the method the streams call), with a thousand
    /// idle connections held open, and checks each answer; returns the process's RSS in KiB after.
    static func attack(_ socket: String, path: String, pid: Int32) async throws -> Int {
        let idle = try Peers.start("h2_peer.py", ["idle", socket, "1000"])
        try await idle.waitForEvent("holding", timeout: .seconds(60))
        let before = try #require(Machine.residentKiB(pid))
        for (kind, code) in attacks {
            let events = try await Peers.run(
                "h2_peer.py",
                ["attack", socket, kind, "--path", path],
                timeout: .seconds(120)
            )
            let result = try #require(events.first { $0["event"] as? String == "result" }, "\(kind)")
            #expect(result["goaway"] as? String == code, "\(kind): \(result)")
        }
        let pings = try await Peers.run(
            "h2_peer.py",
            ["attack", socket, "ping-flood", "--path", path],
            timeout: .seconds(120)
        )
        #expect(pings.first?["ping_acks"] as? Int == 100_000, "every PING answered")
        #expect(pings.first?["goaway"] is NSNull)
        let settings = try await Peers.run(
            "h2_peer.py",
            ["attack", socket, "settings-flood", "--path", path],
            timeout: .seconds(120)
        )
        #expect(settings.first?["settings_acks"] as? Int == 10_001, "every SETTINGS acknowledged")
        let after = try #require(Machine.residentKiB(pid))
        print("RSS of pid \(pid): \(before) KiB with 1,000 idle connections, \(after) KiB after every attack")
        #expect(after < 128 * 1024, "RSS after the attacks: \(after) KiB")
        await idle.stop()
        return after
    }

    @Test("The handler's socket: every attack gets its RFC error code, and Discover is served afterwards")
    func handler() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let handler = try Binary.start(["handler", "--directory", directory.path])
        try await handler.waitForLog(containing: "serving Discover")
        let socket = directory.file("mqtt.sock")
        _ = try await Self.attack(socket, path: "/v0.DiscoveryHandler/Discover", pid: handler.pid)
        let details = try directory.write("details.yaml", "mqttBrokerUri: tcp://127.0.0.1:1\ntopics: [a/#]\n")
        let served = try await Peers.run("h2_peer.py", ["discover", socket, details])
        #expect(served.first?["status"] as? String == "200")
        #expect(served.first?["message"] as? String == "", "an empty DiscoverResponse: the first list, at once")
        #expect(handler.isRunning)
        #expect(await handler.stop() == 0)
    }

    @Test("The agent's socket: every attack gets its RFC error code, and a registration is served afterwards")
    func agent() async throws {
        let directory = try TemporaryDirectory(prefix: "akri")
        let configuration = try directory.write(
            "c.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata: {name: c}
            spec:
              discoveryHandler: {name: other, discoveryDetails: ""}
            """
        )
        let agent = try Binary.start(["agent", "--directory", directory.path, "-c", configuration])
        try await agent.waitForLog(containing: "agent serving")
        let socket = directory.file("agent-registration.sock")
        _ = try await Self.attack(socket, path: "/v0.Registration/RegisterDiscoveryHandler", pid: agent.pid)
        let request = RegisterDiscoveryHandlerRequest(
            name: "probe",
            endpoint: directory.file("probe.sock"),
            endpointType: .uds,
            shared: true
        )
        let hex = request.serialized.map { String(format: "%02x", $0) }.joined()
        let registered = try await Peers.run(
            "akri_grpc.py",
            ["call", socket, "/v0.Registration/RegisterDiscoveryHandler", hex]
        )
        #expect(registered.first?["code"] as? String == "OK")
        #expect(registered.first?["messages"] as? [String] == [""], "v0.Empty")
        #expect(agent.isRunning)
        #expect(await agent.stop() == 0)
    }
}
