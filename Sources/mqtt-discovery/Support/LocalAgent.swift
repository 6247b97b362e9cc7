import AgentProtocol
import AgentService
import ArgumentParsing
import CommandLineSupport
import Discovery
import IO
import Logging
import Metrics

/// What `agent` and `run` share: reading the Configurations, serving the agent's socket, the
/// optional handler in the same process, `--exec`, and a clean stop on SIGINT/SIGTERM.
enum LocalAgent {
    /// Where the sockets are, as Akri's agent and handlers find them.
    static let directory = Option<String>.text(
        "--directory",
        value: "DIR",
        help: "Directory of the sockets.",
        environment: "DISCOVERY_HANDLERS_DIRECTORY",
        default: "/var/lib/akri"
    )
    static let configurations = Option<[String]>.list(
        "-c",
        "--configuration",
        value: "FILE",
        help: "An Akri Configuration file (several Configurations may share one file). Repeatable.",
        required: true
    )
    static let exec = Option<String?>.text(
        "--exec",
        value: "COMMAND",
        help: "Run COMMAND (with /bin/sh) once per instance, the device's properties in its environment."
    )
    static let offlineGrace = Option<Duration>.seconds(
        "--offline-grace",
        help: "How long a broken Discover stream's devices are kept.",
        in: 0...31_536_000,
        default: .seconds(300)
    )
    static let node = Option<String?>.text(
        "--node",
        value: "NAME",
        help: "The node name put in instances (default: the host name)."
    )
    static let watcherBacklog = Option<Int>.integer(
        "--watcher-backlog",
        value: "BYTES",
        help: "Unsent bytes after which a watcher that does not read is disconnected.",
        in: 4_096...(1 << 30),
        default: 4 << 20
    )

    /// How long a peer on a socket may leave a frame unfinished (agent, handler and run).
    static let frameDeadline = Option<Duration>.seconds(
        "--frame-deadline",
        help: "How long a connection may leave a frame unfinished before it is closed.",
        in: 0.001...3_600,
        default: .seconds(30)
    )

    /// Which protocol the handler registers in.
    static let agentProtocol = Option<AgentProtocolChoice>.choice(
        "--agent-protocol",
        help: "How the handler registers with the agent: auto detects gRPC (Akri's agent) or frames.",
        default: .auto
    )
    /// Akri's network mode.
    static let podIP = Option<String?>.text(
        "--pod-ip",
        value: "IP",
        help: "Serve gRPC on IP:--grpc-port too and register it as a NETWORK endpoint (Akri's network mode).",
        environment: "POD_IP"
    )
    static let grpcPort = Option<UInt16>.integer(
        "--grpc-port",
        value: "PORT",
        help: "The TCP port of network mode.",
        in: 1...65_535,
        default: 10_000
    )
    static let grpcMaxMessage = Option<Int>.integer(
        "--grpc-max-message",
        value: "BYTES",
        help: "The largest device list sent to a gRPC agent (tonic's default receive limit).",
        in: 1_024...(1 << 30),
        default: 4 << 20
    )

    /// Where /healthz, /readyz, /metrics and /status are served.
    static let metricsListen = Option<String?>.text(
        "--metrics-listen",
        value: "HOST:PORT",
        help: "Serve /healthz, /readyz, /metrics (Prometheus) and /status (JSON) on HOST:PORT; off by default.",
        environment: "MQTT_DISCOVERY_METRICS_LISTEN"
    )

    /// The agent's and `run`'s form: the same server, with the instances page at `/`.
    static let httpListen = Option<String?>.text(
        "--http",
        "--metrics-listen",
        value: "HOST:PORT",
        help:
            "Serve the instances page (/, live from /events), /healthz, /readyz, /metrics (Prometheus) and /status (JSON) on HOST:PORT; off by default.",
        environment: "MQTT_DISCOVERY_METRICS_LISTEN"
    )

    /// The address `option` (`--metrics-listen`, or `--http`) names, if any.
    static func metricsAddress(
        _ arguments: ParsedArguments,
        option: Option<String?> = metricsListen,
        command: String
    ) throws -> SocketAddress? {
        guard let text = try arguments(option), !text.isEmpty else { return nil }
        guard let address = SocketAddress(listening: text) else {
            throw UsageError(
                "\(option.spec.names.last ?? "") '\(text)' must be IP:PORT, e.g. 0.0.0.0:9090",
                command: command
            )
        }
        return address
    }

    /// Serves `report` on `address`, on `loop`.
    static func serveOperations(
        on address: SocketAddress,
        loop: EventLoop,
        logger: Logger,
        report: @escaping @Sendable () -> OperationsServer.Report
    ) async throws -> OperationsServer {
        let result: Result<OperationsServerBox, IOError> = await withCheckedContinuation { continuation in
            loop.execute {
                do throws(IOError) {
                    let server = try OperationsServer(address: address, loop: loop, logger: logger, report: report())
                    logger.info("serving metrics and health", ["address": "\(server.address)"])
                    continuation.resume(returning: .success(OperationsServerBox(server: server)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get().server
    }

    /// The handler's options.
    static let handlerArguments = [
        agentProtocol.spec, podIP.spec, grpcPort.spec, grpcMaxMessage.spec, frameDeadline.spec, metricsListen.spec,
    ]

    /// The handler's options, read.
    static func handlerOptions(_ arguments: ParsedArguments) throws -> DiscoveryHandlerServer.Options {
        var options = DiscoveryHandlerServer.Options()
        options.agentProtocol = try arguments(agentProtocol)
        options.podIP = try arguments(podIP).flatMap { $0.isEmpty ? nil : $0 }
        options.grpcPort = try arguments(grpcPort)
        options.grpcMessageLimit = try arguments(grpcMaxMessage)
        options.frameLimits = .standard(frameDeadline: try arguments(frameDeadline))
        return options
    }

    /// The options both commands take.
    static let arguments =
        [
            configurations.spec, exec.spec, offlineGrace.spec, node.spec, watcherBacklog.spec, frameDeadline.spec,
            httpListen.spec,
        ] + ConfigurationFiles.arguments

    /// Runs until SIGINT or SIGTERM. `withHandler` runs the mqtt handler in the process too;
    /// `printer` prints every event on standard output.
    static func run(
        _ arguments: ParsedArguments,
        environment: [String: String],
        directory: String,
        bareDetails: Bool,
        withHandler: Bool,
        printer: InstanceEventPrinter?,
        logger: Logger
    ) async throws -> ExitStatus {
        let grace = try arguments(offlineGrace)
        let backlog = try arguments(watcherBacklog)
        var files: [ConfigurationFile] = []
        for path in try arguments(configurations) {
            switch ConfigurationFiles.load(
                path,
                bareDetails: bareDetails ? .allowed : .refused,
                mounts: try ConfigurationFiles.mounts(arguments)
            ) {
            case .success(let file): files.append(file)
            case .failure(let error):
                Console.error("error: \(error)")
                return .noInput
            }
        }
        var errors = files.flatMap { ConfigurationFiles.lines($0, severity: .error) }
        errors += ConfigurationFile.duplicateNames(in: files).map { "error: two Configurations are named '\($0)'" }
        for severity in [DetailsProblem.Severity.warning, .note] {
            for line in files.flatMap({ ConfigurationFiles.lines($0, severity: severity) }) { Console.error(line) }
        }
        guard errors.isEmpty else {
            for error in errors { Console.error(error) }
            return files.contains(where: \.hasUnreadableFiles) ? .noInput : .dataError
        }
        let configurations = files.flatMap(\.entries).map { entry in
            AgentConfiguration(
                name: entry.name,
                handlerName: entry.handlerName,
                request: DiscoverRequest(
                    discoveryDetails: entry.discoveryDetails,
                    discoveryProperties: entry.discoveryProperties
                ),
                brokerProperties: entry.configuration?.brokerProperties ?? [:],
                capacity: entry.configuration?.capacity ?? 1
            )
        }
        let loop = try EventLoop(name: "agent")
        defer { loop.shutdown() }
        let runner = try arguments(exec).map { command in
            InstanceRunner(command: command, environment: environment, eventLoop: loop, logger: logger)
        }
        let agent = Agent(
            directory: directory,
            configurations: configurations,
            eventLoop: loop,
            logger: logger,
            node: try arguments(node) ?? Host.name,
            offlineGrace: grace,
            watcherBacklogLimit: backlog,
            frameLimits: .standard(frameDeadline: try arguments(frameDeadline))
        ) { event in
            printer?.print(event)
            runner?.handle(event)
        }
        let handler =
            withHandler
            ? DiscoveryHandlerServer(
                directory: directory,
                eventLoop: loop,
                environment: environment,
                logger: logger,
                options: try handlerOptions(arguments)
            )
            : nil

        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        do {
            try await agent.start()
        } catch {
            Console.error("error: cannot serve on \(agent.socketPath): \(error)")
            return .failure
        }
        if let handler {
            do {
                try await handler.start()
            } catch {
                Console.error("error: cannot serve on \(handler.socketPath): \(error)")
                await agent.stop()
                return .failure
            }
        }
        var operations: OperationsServer?
        if let address = try metricsAddress(arguments, option: httpListen, command: "mqtt-discovery") {
            do {
                operations = try await serveOperations(on: address, loop: loop, logger: logger) {
                    let agentReport = agent.operationsReport { text in
                        text.family(
                            "mqtt_discovery_agent_exec_running",
                            type: "gauge",
                            help: "--exec commands running."
                        )
                        text.sample("mqtt_discovery_agent_exec_running", Double(runner?.runningCount ?? 0))
                        text.family(
                            "mqtt_discovery_agent_exec_restarts_total",
                            type: "counter",
                            help: "--exec commands started again after exiting early."
                        )
                        text.sample("mqtt_discovery_agent_exec_restarts_total", Double(runner?.restarts ?? 0))
                    }
                    guard let handler else { return agentReport }
                    return OperationsServer.Report.combined(agent: agentReport, handler: handler.operationsReport())
                }
            } catch {
                Console.error("error: cannot serve metrics on \(address): \(error)")
                await handler?.stop()
                await agent.stop()
                return .failure
            }
        }
        for await _ in finished { break }
        logger.info("stopping")
        if let operations { loop.execute { operations.close() } }
        await runner?.stop()
        await handler?.stop()
        await agent.stop()
        return .success
    }
}

/// Carries an ``OperationsServer`` out of the loop's closure.
///
/// `@unchecked Sendable`: the server is used on its loop only; the box only carries it back.
private struct OperationsServerBox: @unchecked Sendable {
    let server: OperationsServer
}
