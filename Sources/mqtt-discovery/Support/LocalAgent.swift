import AgentProtocol
import AgentService
import ArgumentParsing
import Discovery
import IO
import Logging

/// What `agent` and `run` share: reading the Configurations, serving the agent's socket, the
/// optional handler in the same process, `--exec`, and a clean stop on SIGINT/SIGTERM.
enum LocalAgent {
    /// The options both commands take.
    static let arguments: [ArgumentSpec] = [
        .option(
            "-c",
            "--configuration",
            value: "FILE",
            help: "An Akri Configuration file (several Configurations may share one file). Repeatable.",
            repeatable: true,
            required: true
        ),
        .option(
            "--exec",
            value: "COMMAND",
            help: "Run COMMAND (with /bin/sh) once per instance, the device's properties in its environment."
        ),
        .option(
            "--offline-grace",
            value: "SECONDS",
            help: "How long a broken Discover stream's devices are kept.",
            default: "300"
        ),
        .option("--node", value: "NAME", help: "The node name put in instances (default: the host name)."),
        .option(
            "--watcher-backlog",
            value: "BYTES",
            help: "Unsent bytes after which a watcher that does not read is disconnected.",
            default: "4194304"
        ),
    ]

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
        let grace = try arguments.integer("offline-grace", as: Int.self, in: 0...86_400 * 365) ?? 300
        let backlog = try arguments.integer("watcher-backlog", as: Int.self, in: 4_096...(1 << 30)) ?? 4 << 20
        var files: [ConfigurationFile] = []
        for path in arguments.values("configuration") {
            switch ConfigurationFiles.load(path, bareDetails: bareDetails ? .allowed : .refused) {
            case .success(let file): files.append(file)
            case .failure(let error):
                Console.error("error: \(error)")
                return .noInput
            }
        }
        var errors = files.flatMap { ConfigurationFiles.lines($0, severity: .error) }
        errors += ConfigurationFile.duplicateNames(in: files).map { "error: two Configurations are named '\($0)'" }
        for warning in files.flatMap({ ConfigurationFiles.lines($0, severity: .warning) }) { Console.error(warning) }
        guard errors.isEmpty else {
            for error in errors { Console.error(error) }
            return .dataError
        }
        let configurations = files.flatMap(\.entries).map { entry in
            AgentConfiguration(
                name: entry.name,
                handlerName: entry.handlerName,
                request: DiscoverRequest(
                    discoveryDetails: entry.discoveryDetails,
                    discoveryProperties: entry.discoveryProperties
                )
            )
        }
        let loop = try EventLoop(name: "agent")
        defer { loop.shutdown() }
        let runner = arguments.value("exec").map { command in
            InstanceRunner(command: command, environment: environment, eventLoop: loop, logger: logger)
        }
        let agent = Agent(
            directory: directory,
            configurations: configurations,
            eventLoop: loop,
            logger: logger,
            node: arguments.value("node") ?? Host.name,
            offlineGrace: .seconds(grace),
            watcherBacklogLimit: backlog
        ) { event in
            printer?.print(event)
            runner?.handle(event)
        }
        let handler =
            withHandler
            ? DiscoveryHandlerServer(directory: directory, eventLoop: loop, environment: environment, logger: logger)
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
        for await _ in finished { break }
        logger.info("stopping")
        await runner?.stop()
        await handler?.stop()
        await agent.stop()
        return .success
    }
}
