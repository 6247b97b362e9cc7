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
            The handler binds DIR/mqtt.sock (a stale socket file is replaced; mode 0660) and serves
            Discover there in gRPC (as Akri's agent calls it) and in frames, told apart by the first byte.
            Then it registers with the agent on DIR/agent-registration.sock as "mqtt" (shared devices):
            over gRPC when the agent speaks HTTP/2 (Akri's agent, ours), over frames otherwise, detected
            and logged once (--agent-protocol overrides). It registers again when the agent restarts or
            drops a Discover stream, as Akri's handlers do. With POD_IP (Akri's network mode) it also
            serves gRPC on POD_IP:--grpc-port and registers http://POD_IP:PORT as a NETWORK endpoint.
            Each Discover stream (one per Configuration) gets the full device list at once and again after
            every change (Akri's agent), or the list in pieces and then only the changes, each removal with
            its reason (our agent, which asks), or INVALID_ARGUMENT (with line:column) for invalid details.
            A whole list over --grpc-max-message is held back (one log line) until it fits. Streams share one MQTT session
            per broker, client id and credentials. See Proto/PROTOCOL.md.
            SIGINT or SIGTERM closes the streams, disconnects from the brokers, removes the socket and
            exits 0. Exits 66 when DIR does not exist, 1 when the socket cannot be bound.
            """,
        arguments: [LocalAgent.directory.spec] + LocalAgent.handlerArguments + logging.arguments
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
            options: try LocalAgent.handlerOptions(arguments)
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
        var operations: OperationsServer?
        if let address = try LocalAgent.metricsAddress(arguments, command: "mqtt-discovery handler") {
            do {
                operations = try await LocalAgent.serveOperations(on: address, loop: loop, logger: logger) {
                    server.operationsReport()
                }
            } catch {
                Console.error("error: cannot serve metrics on \(address): \(error)")
                await server.stop()
                return .failure
            }
        }
        for await _ in finished { break }
        logger.info("stopping")
        if let operations { loop.execute { operations.close() } }
        await server.stop()
        return .success
    }
}
