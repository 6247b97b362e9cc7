import ArgumentParsing
import CommandLineSupport
import HTTP
import HTTPService
import IO
import JSON

/// `mqtt-discovery status`: what a running handler, agent or `run` says of itself on its
/// `--metrics-listen` endpoint: readiness, and each broker's conditions.
enum StatusCommand: Command {
    static let url = Option<String>.text(
        "--metrics",
        value: "URL",
        help: "The daemon's --metrics-listen address.",
        environment: "MQTT_DISCOVERY_METRICS_URL",
        default: "http://127.0.0.1:9090"
    )
    static let output = Option<Output>.choice("--output", help: "How the status is printed.", default: .text)

    enum Output: String, CaseIterable, Sendable {
        case text, json
    }

    static let spec = CommandSpec(
        name: "mqtt-discovery status",
        abstract: "Show a running handler's or agent's readiness and each broker's conditions.",
        discussion: """
            Reads URL/readyz and URL/status from a handler, agent or run started with --metrics-listen.
            Text output: whether it is ready (and why not), the registration, then one line per broker with
            its Connected and Subscribed conditions (EnMasse-style: status, reason, since, message); for an
            agent, its handlers and Configurations. --output json prints /status as it is.
            Exits 0 when ready, 1 when it answers but is not ready, 69 when it cannot be reached.
            """,
        arguments: [url.spec, output.spec]
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let base = try arguments(url).trimmingSuffix("/")
        let loop = try EventLoop(name: "status")
        defer { loop.shutdown() }
        let readyURL: HTTPURL
        let statusURL: HTTPURL
        do {
            readyURL = try HTTPURL(base + "/readyz")
            statusURL = try HTTPURL(base + "/status")
        } catch {
            throw UsageError("--metrics '\(base)': \(error.message)", command: spec.name)
        }
        let readiness: HTTPResponseParser.Response
        let status: HTTPResponseParser.Response
        switch await HTTPFetch.get(readyURL, on: loop) {
        case .success(let response): readiness = response
        case .failure(let failure):
            Console.error("error: cannot reach \(base): \(failure)")
            return .unavailable
        }
        switch await HTTPFetch.get(statusURL, on: loop) {
        case .success(let response): status = response
        case .failure(let failure):
            Console.error("error: cannot reach \(base): \(failure)")
            return .unavailable
        }
        let ready = readiness.status.code == 200
        let body = String(decoding: status.body, as: UTF8.self)
        switch try arguments(output) {
        case .json:
            Console.out(body)
        case .text:
            let reason = String(decoding: readiness.body, as: UTF8.self).trimmingSuffix("\n")
            Console.out(ready ? "ready" : "not ready: \(reason)")
            let document = try? JSONValue.parse(body)
            if let handler = document?["handler"] ?? (document?["brokers"] != nil ? document : nil) {
                printHandler(handler)
            }
            if let agent = document?["agent"] ?? (document?["handlers"] != nil ? document : nil) { printAgent(agent) }
        }
        return ready ? .success : .failure
    }

    private static func printHandler(_ status: JSONValue) {
        let registered = status["registered"]?.bool == true
        Console.out(
            "registered with the agent: \(registered ? "yes" : "no") (\(status["protocol"]?.string ?? "unknown")), "
                + "Discover streams: \(Int(status["streams"]?.number ?? 0))"
        )
        let brokers = status["brokers"]?.array ?? []
        guard !brokers.isEmpty else { return Console.out("no brokers") }
        var rows = [["BROKER", "CLIENT ID", "CONNECTED", "SUBSCRIBED", "SINCE", "MESSAGE"]]
        for broker in brokers {
            let conditions = broker["conditions"]?.array ?? []
            func condition(_ type: String) -> JSONValue? { conditions.first { $0["type"]?.string == type } }
            let connected = condition("Connected")
            let subscribed = condition("Subscribed")
            rows.append([
                broker["url"]?.string ?? "", broker["clientId"]?.string ?? "",
                "\(connected?["status"]?.string ?? "?") (\(connected?["reason"]?.string ?? ""))",
                subscribed?["status"]?.string ?? "?", connected?["lastTransitionTime"]?.string ?? "",
                connected?["message"]?.string ?? "",
            ])
        }
        printTable(rows)
    }

    private static func printAgent(_ status: JSONValue) {
        let handlers = status["handlers"]?.array ?? []
        Console.out(
            "agent: \(handlers.count) handler\(handlers.count == 1 ? "" : "s") registered, watchers: \(Int(status["watchers"]?.number ?? 0))"
        )
        var rows = [["HANDLER", "ENDPOINT", "PROTOCOL"]]
        for handler in handlers {
            rows.append([
                handler["name"]?.string ?? "", handler["endpoint"]?.string ?? "", handler["protocol"]?.string ?? "",
            ])
        }
        if rows.count > 1 { printTable(rows) }
        var configurations = [["CONFIGURATION", "INSTANCES"]]
        for configuration in status["configurations"]?.array ?? [] {
            configurations.append([
                configuration["name"]?.string ?? "", "\(Int(configuration["instances"]?.number ?? 0))",
            ])
        }
        if configurations.count > 1 { printTable(configurations) }
    }

    private static func printTable(_ rows: [[String]]) {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            Console.out(
                row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }.joined(separator: "  ")
            )
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
