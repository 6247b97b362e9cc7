public import ArgumentParsing

/// A subcommand: its specification for parsing and help, and what it does.
public protocol Command: Sendable {
    /// The command's arguments and help text.
    static var spec: CommandSpec { get }
    /// Runs the command with parsed arguments and returns the status to exit with.
    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus
}
