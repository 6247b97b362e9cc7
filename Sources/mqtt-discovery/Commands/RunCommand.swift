import ArgumentParsing
import CommandLineSupport
import IO
import Logging

/// `mqtt-discovery run`: agent and handler in one process.
enum RunCommand: Command {
    static let directory = Option<String?>.text(
        "--directory",
        value: "DIR",
        help: "Directory of the sockets (default: a new temporary one)."
    )
    static let output = Option<InstanceEventPrinter.Output>.choice(
        "--output",
        help: "How events are printed.",
        default: .table
    )
    static let logging = LoggingOptions(defaultLevel: .notice)

    static let spec = CommandSpec(
        name: "mqtt-discovery run",
        abstract: "Discover devices end to end: a local agent and the mqtt handler in one process, printing instances.",
        discussion: """
            Everything `agent` and `handler` do, in one process and nothing else needed. FILE is an Akri
            Configuration, or bare discovery details (the Configuration is then named after the file, e.g.
            details-proposal.yaml → details-proposal). Each instance event is printed on standard output as it
            happens: a table (--output table) or one JSON object per line (--output json, as `watch` prints).
            The sockets go in --directory (default: a new private directory under $TMPDIR, removed at exit,
            its path logged), so `mqtt-discovery watch --directory DIR` can look on.
            SIGINT or SIGTERM stops the commands, disconnects from the brokers, removes the sockets and exits
            0. Exits 65 when a file has errors (FILE:LINE:COLUMN: message), 66 when one cannot be read.
            """,
        arguments: LocalAgent.arguments + [directory.spec, output.spec, LocalAgent.agentProtocol.spec]
            + logging.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        let logger = try logging.logger(arguments, label: "run")
        let output = try arguments(output)
        let directory: String
        let temporary: Bool
        if let given = try arguments(Self.directory) {
            directory = FileSystem.absolute(given)
            temporary = false
            guard FileSystem.isDirectory(directory) else {
                Console.error("error: \(directory) is not a directory")
                return .noInput
            }
        } else {
            directory = try FileSystem.makeTemporaryDirectory(prefix: "mqtt-discovery", environment: environment)
            temporary = true
        }
        defer { if temporary { FileSystem.removeDirectory(directory) } }
        logger.notice("sockets in \(directory)")
        return try await LocalAgent.run(
            arguments,
            environment: environment,
            directory: directory,
            bareDetails: true,
            withHandler: true,
            printer: InstanceEventPrinter(output: output),
            logger: logger
        )
    }
}
