import AgentService
import ArgumentParsing
import CommandLineSupport
import IO
import Logging

/// `mqtt-discovery handler`: the discovery handler daemon.
enum HandlerCommand: Command {
    static let logging = LoggingOptions(defaultLevel: .info)

    static let spec = CommandSpec(
        name: "mqtt-discovery handler",
        abstract: "Run the MQTT discovery handler daemon: serve Discover streams and stay registered with the agent.",
        discussion: """
            The handler binds DIR/mqtt.sock (a stale socket file is replaced; mode 0660), then registers
            with the agent on DIR/agent-registration.sock as "mqtt" (shared devices) and keeps that
            connection open: when the agent goes away it registers again as soon as the agent is back.
            Each Discover stream (one per Configuration) gets the full device list at once and again after
            every change, or one error (code 3, with line:column) for invalid details. Streams share one
            MQTT session per broker, client id and credentials. See Proto/PROTOCOL.md.
            SIGINT or SIGTERM closes the streams, disconnects from the brokers, removes the socket and
            exits 0. Exits 66 when DIR does not exist, 1 when the socket cannot be bound.
            """,
        arguments: [LocalAgent.directory.spec, LocalAgent.frameDeadline.spec] + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "handler")
        let directory = FileSystem.absolute(try arguments(LocalAgent.directory))
        guard FileSystem.isDirectory(directory) else {
            Console.error("error: \(directory) is not a directory")
            return .noInput
        }
        let loop = try EventLoop(name: "handler")
        defer { loop.shutdown() }
        let server = DiscoveryHandlerServer(
            directory: directory,
            eventLoop: loop,
            environment: environment,
            logger: logger,
            frameLimits: .standard(frameDeadline: try arguments(LocalAgent.frameDeadline))
        )
        let (finished, finish) = AsyncStream<Void>.makeStream()
        let signals = Signals.onTermination { finish.yield() }
        defer { _ = signals }
        do {
            try await server.start()
        } catch {
            Console.error("error: cannot serve on \(server.socketPath): \(error)")
            return .failure
        }
        for await _ in finished { break }
        logger.info("stopping")
        await server.stop()
        return .success
    }
}
