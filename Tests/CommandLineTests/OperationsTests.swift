import Foundation
import TestSupport
import Testing

/// `--metrics-listen` on the handler and the agent, scraped with curl: health, readiness that
/// follows the registration, Prometheus metrics and conditions through a broker outage.
@Suite("metrics and health")
struct OperationsTests {
    static func configuration(_ directory: TemporaryDirectory, _ broker: Mosquitto) throws -> String {
        try directory.write(
            "plant.yaml",
            """
            apiVersion: akri.sh/v0
            kind: Configuration
            metadata: {name: plant}
            spec:
              discoveryHandler:
                name: mqtt
                discoveryDetails: |
                  mqttBrokerUri: \(broker.url)
                  topics: ["plant/{device}/status"]
            """
        )
    }

    @Test("the handler: ready once registered; broker conditions and counters follow an outage; the agent counts it")
    func handlerAndAgent() async throws {
        let broker = try await Mosquitto()
        let directory = try TemporaryDirectory(prefix: "akri")
        let handlerPort = try HeldPort()
        let agentPort = try HeldPort()
        let handler = try Binary.start([
            "handler", "--directory", directory.path, "--metrics-listen", "127.0.0.1:\(handlerPort.port)",
        ])
        try await handler.waitForLog(containing: "serving metrics and health")
        let base = "http://127.0.0.1:\(handlerPort.port)"
        #expect(try await Curl.request("\(base)/healthz").status == 200)
        let notReady = try await Curl.request("\(base)/readyz")
        #expect(notReady.status == 503)
        #expect(notReady.body.hasPrefix("not registered with the agent"), "\(notReady.body)")

        let agent = try Binary.start([
            "agent", "--directory", directory.path, "-c", try Self.configuration(directory, broker),
            "--metrics-listen", "127.0.0.1:\(agentPort.port)",
        ])
        try await Curl.waitFor("\(base)/readyz") { $0.status == 200 }
        try await handler.waitForLog(containing: "subscribed")
        try await Devices.publish(broker, "plant/press7/status", "online")
        try await Curl.waitFor("\(base)/metrics") { $0.body.contains("mqtt_discovery_devices 1") }
        let metrics = try await Curl.request("\(base)/metrics")
        let brokerLabels = "broker=\"\(broker.url)\""
        #expect(metrics.body.contains("mqtt_discovery_broker_connected{\(brokerLabels),"), "\(metrics.body)")
        #expect(metrics.body.contains("mqtt_discovery_registered{protocol=\"grpc\"} 1"))
        #expect(metrics.body.contains("mqtt_discovery_discover_streams{protocol=\"grpc\"} 1"))
        #expect(metrics.body.contains("# TYPE mqtt_discovery_broker_messages_total counter"))

        // The broker goes away: connected 0, the condition says why; back: 1 again.
        await broker.stop()
        try await Curl.waitFor("\(base)/metrics") { response in
            response.body.split(separator: "\n").contains {
                $0.hasPrefix("mqtt_discovery_broker_connected{") && $0.hasSuffix(" 0")
            }
        }
        let status = try await Curl.request("\(base)/status")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])
        let conditions = try #require(((json["brokers"] as? [[String: Any]])?.first)?["conditions"] as? [[String: Any]])
        let connected = try #require(conditions.first { $0["type"] as? String == "Connected" })
        #expect(connected["status"] as? String == "False", "\(status.body)")
        #expect(connected["reason"] as? String != "Connected")
        #expect((connected["lastTransitionTime"] as? String)?.hasSuffix("Z") == true)
        let down = try await Binary.run(["status", "--metrics", base])
        #expect(down.status == 0, "still ready: a broker may be down for 60 s: \(down.standardError)")
        #expect(down.standardOutput.hasPrefix("ready\nregistered with the agent: yes (grpc), Discover streams: 1\n"))
        // Down means waiting out the backoff (Disconnected) or trying again (Connecting): either
        // may be the state of the moment.
        #expect(
            down.standardOutput.contains("False (Disconnected)") || down.standardOutput.contains("False (Connecting)"),
            "\(down.standardOutput)"
        )
        try await broker.start()
        try await Curl.waitFor("\(base)/metrics") { response in
            response.body.split(separator: "\n").contains {
                $0.hasPrefix("mqtt_discovery_broker_connected{") && $0.hasSuffix(" 1")
            }
                && response.body.contains("mqtt_discovery_broker_connects_total{\(brokerLabels)")
        }

        let up = try await Binary.run(["status", "--metrics", base])
        #expect(up.standardOutput.contains("True (Connected)"), "\(up.standardOutput)")

        let agentMetrics = try await Curl.waitFor("http://127.0.0.1:\(agentPort.port)/metrics") {
            $0.body.contains("mqtt_discovery_agent_instances{configuration=\"plant\"} 1")
        }
        #expect(agentMetrics.body.contains("protocol=\"grpc\"} 1"), "\(agentMetrics.body)")
        #expect(try await Curl.request("http://127.0.0.1:\(agentPort.port)/readyz").status == 200)
        let agentStatus = try await Binary.run(["status", "--metrics", "http://127.0.0.1:\(agentPort.port)"])
        #expect(agentStatus.standardOutput.contains("agent: 1 handler registered"), "\(agentStatus.standardOutput)")
        #expect(agentStatus.standardOutput.contains("plant          1"), "\(agentStatus.standardOutput)")
        let closed = try HeldPort()
        let unreachable = try await Binary.run(["status", "--metrics", "http://127.0.0.1:\(closed.port)"])
        #expect(unreachable.status == 69, "\(unreachable.standardError)")
        #expect(await handler.stop() == 0)
        #expect(await agent.stop() == 0)
    }
}
