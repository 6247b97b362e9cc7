import HTTP
import HTTPService
public import IO
public import Logging
import Metrics

/// The daemons' operations endpoint (`--metrics-listen`): what a DaemonSet probes and Prometheus
/// scrapes, on the daemon's own loop (so an answer at all says the loop is responsive).
///
/// - `GET /healthz`: 200 while the process runs and its loop answers.
/// - `GET /readyz`: 200 when the daemon does its job (the handler: registered with the agent and
///   no broker down past its allowance; the agent: its socket served), else 503 with why.
/// - `GET /metrics`: Prometheus text.
/// - `GET /status`: JSON, the brokers' conditions and the like, for people and `curl`.
/// - An agent's (and `run`'s): `GET /`, a page of the live instances, fed by `GET /events`.
///
/// `@unchecked Sendable`: created and used on its loop only.
public final class OperationsServer: @unchecked Sendable {
    /// What the endpoints report; each runs on the loop, when asked.
    public struct Report {
        /// Prometheus text.
        public var metrics: () -> String
        /// Whether ready, and why not.
        public var readiness: () -> (ready: Bool, reason: String)
        /// A JSON document.
        public var status: () -> String
        /// The live instance events of the page at `/` (an agent's), if there is one.
        var instanceEvents: (() -> HTTPServer.Reply)?

        /// A report.
        public init(
            metrics: @escaping () -> String,
            readiness: @escaping () -> (ready: Bool, reason: String),
            status: @escaping () -> String
        ) {
            self.metrics = metrics
            self.readiness = readiness
            self.status = status
        }

        init(
            metrics: @escaping () -> String,
            readiness: @escaping () -> (ready: Bool, reason: String),
            status: @escaping () -> String,
            instanceEvents: (() -> HTTPServer.Reply)?
        ) {
            self.init(metrics: metrics, readiness: readiness, status: status)
            self.instanceEvents = instanceEvents
        }
    }

    private let server: HTTPServer

    /// The address served (with the port chosen, for port 0).
    public var address: SocketAddress { server.address }

    /// Serves `report` on `address`. Call on `loop`.
    public init(address: SocketAddress, loop: EventLoop, logger: Logger, report: Report) throws(IOError) {
        server = try HTTPServer(address: address, loop: loop, logger: logger, maximumConnections: 64) { request in
            guard request.method == "GET" || request.method == "HEAD" else {
                return .response(HTTPResponse.text(.methodNotAllowed, "GET only"))
            }
            switch request.path {
            case "/healthz":
                return .response(HTTPResponse.text(.ok, "ok"))
            case "/readyz":
                let (ready, reason) = report.readiness()
                return .response(HTTPResponse.text(ready ? .ok : .serviceUnavailable, ready ? "ready" : reason))
            case "/metrics":
                return .response(
                    HTTPResponse(
                        status: .ok,
                        headers: HTTPHeaders([("Content-Type", PrometheusText.contentType)]),
                        body: Array(report.metrics().utf8)
                    )
                )
            case "/status":
                return .response(HTTPResponse.json(report.status()))
            case "/" where report.instanceEvents != nil:
                return .response(.asset(InstancesPage.html, type: "text/html"))
            case InstancesPage.scriptPath where report.instanceEvents != nil:
                return .response(.asset(InstancesPage.script, type: "text/javascript"))
            case PageStyle.path where report.instanceEvents != nil:
                return .response(.asset(PageStyle.css, type: "text/css"))
            case "/events":
                if let events = report.instanceEvents { return events() }
                return .response(HTTPResponse.text(.notFound, "try /healthz, /readyz, /metrics or /status"))
            default:
                let pages = report.instanceEvents == nil ? "" : "/ (the instances page), /events, "
                return .response(HTTPResponse.text(.notFound, "try \(pages)/healthz, /readyz, /metrics or /status"))
            }
        }
    }

    /// Stops serving.
    public func close() {
        server.close()
    }
}

extension OperationsServer.Report {
    /// `run`'s: the agent's and the handler's metrics together, ready when both are, both statuses.
    public static func combined(agent: Self, handler: Self) -> Self {
        Self(
            metrics: { agent.metrics() + handler.metrics() },
            readiness: {
                let (agentReady, agentReason) = agent.readiness()
                guard agentReady else { return (false, "agent: \(agentReason)") }
                let (handlerReady, handlerReason) = handler.readiness()
                return handlerReady ? (true, "") : (false, "handler: \(handlerReason)")
            },
            status: { "{\"agent\":\(agent.status()),\"handler\":\(handler.status())}" },
            instanceEvents: agent.instanceEvents
        )
    }
}
