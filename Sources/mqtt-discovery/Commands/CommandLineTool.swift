import ArgumentParsing

/// The top-level command: dispatches to a subcommand, or answers `--help` and `--version`.
enum CommandLineTool {
    static let name = "mqtt-discovery"

    /// Every subcommand, in the order `--help` lists them.
    static let commands: [any Command.Type] = [
        RunCommand.self, DiscoverCommand.self, HandlerCommand.self, AgentCommand.self, WatchCommand.self,
        MonitorCommand.self, CheckCommand.self, SimulateCommand.self, SubCommand.self, PubCommand.self,
        DecodeCommand.self,
    ]

    static var spec: CommandSpec {
        CommandSpec(
            name: name,
            abstract: "Discover MQTT devices for Akri and keep watch on them.",
            discussion: """
                mqtt-discovery finds devices from the traffic on MQTT brokers, tracks whether each is alive,
                and reports the live set to an Akri agent. It is also a toolbox for the MQTT wire protocol.

                EXIT STATUS: 0 success, 1 failure, 64 wrong command line, 65 malformed input data,
                66 an input file could not be read, 69 the broker cannot be reached (or TLS failed),
                76 the broker broke the protocol, 77 the broker refused us (credentials, authorisation).
                """,
            arguments: [.flag("--version", help: "Print the version and exit.")],
            subcommands: commands.map { (String($0.spec.name.split(separator: " ").last!), $0.spec.abstract) }
        )
    }

    static func run(_ arguments: [String], environment: [String: String]) async -> ExitStatus {
        guard let first = arguments.first else {
            Console.error(spec.helpText)
            return .usage
        }
        if first == "--version" {
            Console.out("\(name) \(Version.current)")
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
        } catch {
            Console.error("error: \(error)")
            return .failure
        }
    }

    private static func command(named name: String) -> (any Command.Type)? {
        commands.first { $0.spec.name == "\(Self.name) \(name)" }
    }
}
