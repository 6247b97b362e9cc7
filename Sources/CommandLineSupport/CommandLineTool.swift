public import ArgumentParsing
import IO

/// A tool made of subcommands: dispatches to one, or answers `--help` and `--version`. Errors a
/// command throws become one line on standard error and the exit status they mean.
public struct CommandLineTool: Sendable {
    /// The tool's name, e.g. `mqtt-discovery`.
    public let name: String
    /// What `--version` prints after the name.
    public let version: String
    /// Every subcommand, in the order `--help` lists them.
    public let commands: [any Command.Type]
    /// The tool's `--help`.
    public let spec: CommandSpec

    /// A tool; `abstract` and `discussion` head its `--help`.
    public init(
        name: String,
        version: String,
        abstract: String,
        discussion: String,
        commands: [any Command.Type]
    ) {
        self.name = name
        self.version = version
        self.commands = commands
        spec = CommandSpec(
            name: name,
            abstract: abstract,
            discussion: discussion,
            arguments: [.flag("--version", help: "Print the version and exit.")],
            subcommands: commands.map { (String($0.spec.name.split(separator: " ").last!), $0.spec.abstract) }
        )
    }

    /// Runs the command line (without the tool's own name) and returns the status to exit with.
    public func run(_ arguments: [String], environment: [String: String]) async -> ExitStatus {
        guard let first = arguments.first else {
            Console.error(spec.helpText)
            return .usage
        }
        if first == "--version" {
            Console.out("\(name) \(version)")
            return .success
        }
        if first == "-h" || first == "--help" || first == "help" {
            if first == "help", arguments.count > 1, let command = command(named: arguments[1]) {
                Console.out(command.spec.helpText)
            } else {
                Console.out(spec.helpText)
            }
            return .success
        }
        guard let command = command(named: first) else {
            let error = UsageError(
                first.hasPrefix("-") ? "unknown option '\(first)'" : "unknown command '\(first)'",
                command: name
            )
            Console.error("error: \(error)")
            return .usage
        }
        do {
            switch try command.spec.parse(Array(arguments.dropFirst()), environment: environment) {
            case .help(let text):
                Console.out(text)
                return .success
            case .arguments(let parsed):
                return try await command.run(parsed, environment: environment)
            }
        } catch let error as UsageError {
            Console.error("error: \(error)")
            return .usage
        } catch let error as Files.ReadError {
            Console.error("error: \(error)")
            return .noInput
        } catch IOError.file(let path, let reason) {
            Console.error("error: cannot read \(path): \(reason)")
            return .noInput
        } catch {
            Console.error("error: \(error)")
            return .failure
        }
    }

    private func command(named command: String) -> (any Command.Type)? {
        commands.first { $0.spec.name == "\(name) \(command)" }
    }
}
