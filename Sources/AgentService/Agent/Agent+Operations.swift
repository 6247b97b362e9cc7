import AgentProtocol
import Logging
public import Metrics

extension Agent {
    /// What `--metrics-listen` reports for the agent; `extra` adds families of its own (`--exec`'s
    /// commands, say). Call on the loop.
    public func operationsReport(extra: @escaping (inout PrometheusText) -> Void = { _ in }) -> OperationsServer.Report
    {
        let feed = InstancesFeed(agent: self, logger: logger)
        return OperationsServer.Report(
            metrics: { [weak self] in
                guard let self else { return "" }
                var text = metrics()
                extra(&text)
                return text.text
            },
            readiness: { [weak self] in
                guard let self else { return (false, "stopping") }
                return isServing ? (true, "") : (false, "not serving \(socketPath)")
            },
            status: { [weak self] in self?.statusJSON() ?? "{}" },
            instanceEvents: { feed.reply() }
        )
    }

    private func metrics() -> PrometheusText {
        var text = PrometheusText()
        let handlers = registeredHandlers
        text.family("mqtt_discovery_agent_handlers", type: "gauge", help: "Discovery handlers registered.")
        for handler in handlers {
            text.sample(
                "mqtt_discovery_agent_handlers",
                labels: [("name", handler.name), ("endpoint", handler.endpoint), ("protocol", handler.protocolName)],
                1
            )
        }
        text.family("mqtt_discovery_agent_instances", type: "gauge", help: "Instances, by Configuration.")
        let instances = currentInstances
        for configuration in configurationNames {
            text.sample(
                "mqtt_discovery_agent_instances",
                labels: [("configuration", configuration)],
                Double(instances.count { $0.configuration == configuration })
            )
        }
        text.family("mqtt_discovery_agent_streams", type: "gauge", help: "Discover streams open.")
        text.sample("mqtt_discovery_agent_streams", Double(openStreamCount))
        text.family("mqtt_discovery_agent_watchers", type: "gauge", help: "Watchers connected.")
        text.sample("mqtt_discovery_agent_watchers", Double(watcherCount))
        return text
    }

    private func statusJSON() -> String {
        let handlers = registeredHandlers.map {
            "{\"name\":\(JSONText.quote($0.name)),\"endpoint\":\(JSONText.quote($0.endpoint)),\"protocol\":\"\($0.protocolName)\"}"
        }
        let instances = currentInstances
        let configurations = configurationNames.map { name in
            "{\"name\":\(JSONText.quote(name)),\"instances\":\(instances.count { $0.configuration == name })}"
        }
        return "{\"serving\":\(isServing),\"handlers\":[\(handlers.joined(separator: ","))],"
            + "\"configurations\":[\(configurations.joined(separator: ","))],\"watchers\":\(watcherCount)}"
    }
}
