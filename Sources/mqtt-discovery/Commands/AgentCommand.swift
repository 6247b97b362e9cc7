import ArgumentParsing
import CommandLineSupport
import IO
import Logging

/// `mqtt-discovery agent`: a local agent for machines without Kubernetes.
enum AgentCommand: Command {
    static let logging = LoggingOptions(defaultLevel: .info)

    static let spec = CommandSpec(
        name: "mqtt-discovery agent",
        abstract:
            "Run a local Akri agent: accept handler registrations, call Discover, keep instances, serve watchers.",
        discussion: """
            The agent serves DIR/agent-registration.sock (mode 0660). Discovery handlers register there and
            the agent calls Discover on every registered handler named by a Configuration, keeping the
            instances Akri would create: <configuration>-<6 hex digits>, the digits a BLAKE2b digest (size 3)
            of the device id. `mqtt-discovery watch` connects to the same socket to see them.
            Configurations for the mqtt handler are checked first: problems are printed as FILE:LINE:COLUMN
            and the agent exits 65. discoveryProperties take values inline or from valueFrom.file.
            A broken Discover stream keeps its devices for --offline-grace seconds while the agent dials
            again. With --exec, COMMAND runs once per instance with the device's properties (and
            AKRI_INSTANCE) in its environment, is stopped (SIGTERM, then SIGKILL after 10 s) when the
            instance goes, and is started again with backoff if it exits while the instance remains.
            SIGINT or SIGTERM stops the commands, closes the streams, removes the socket and exits 0.
            Exits 66 when DIR or a file cannot be read, 1 when the socket cannot be bound.
            """,
        arguments: [LocalAgent.directory.spec] + LocalAgent.arguments + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "agent")
        let directory = FileSystem.absolute(try arguments(LocalAgent.directory))
        guard FileSystem.isDirectory(directory) else {
            Console.error("error: \(directory) is not a directory")
            return .noInput
        }
        return try await LocalAgent.run(
            arguments,
            environment: environment,
            directory: directory,
            bareDetails: false,
            withHandler: false,
            printer: nil,
            logger: logger
        )
    }
}
