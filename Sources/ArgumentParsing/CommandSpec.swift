/// A command's arguments and help: enough to parse a command line and to print `--help`.
public struct CommandSpec: Sendable {
    /// The full command name as typed, e.g. `mqtt-discovery sub`.
    public let name: String
    /// One line saying what the command does.
    public let abstract: String
    /// Further paragraphs for `--help`.
    public let discussion: String?
    /// The arguments the command accepts.
    public let arguments: [ArgumentSpec]
    /// Subcommands, by name, with their abstracts (for the root command's help).
    public let subcommands: [(name: String, abstract: String)]

    /// A command specification.
    public init(
        name: String,
        abstract: String,
        discussion: String? = nil,
        arguments: [ArgumentSpec] = [],
        subcommands: [(name: String, abstract: String)] = []
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.arguments = arguments
        self.subcommands = subcommands
    }
}

/// What parsing a command line produced.
public enum ParseOutcome: Sendable {
    /// The arguments, ready to use.
    case arguments(ParsedArguments)
    /// `-h` or `--help` was given: print this text and exit 0.
    case help(String)
}

/// A command line that does not fit the command: exit status 64 (`EX_USAGE`).
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. `unknown option '--foo'`.
    public let message: String
    /// The command that was being parsed.
    public let command: String

    /// A usage error for `command`.
    public init(_ message: String, command: String) {
        self.message = message
        self.command = command
    }

    /// `mqtt-discovery sub: unknown option '--foo' (see 'mqtt-discovery sub --help')`.
    public var description: String {
        "\(command): \(message) (see '\(command) --help')"
    }
}

extension CommandSpec {
    /// Parses `arguments` (without the command name itself).
    ///
    /// Accepted forms: `--name value`, `--name=value`, `-n value`, flags, positionals, and `--`
    /// to end options. A value missing from the command line is taken from the argument's
    /// environment variable, then its default.
    public func parse(
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws(UsageError) -> ParseOutcome {
        var values: [String: [String]] = [:]
        var positionals: [String] = []
        var index = 0
        var optionsEnded = false

        func fail(_ message: String) -> UsageError {
            UsageError(message, command: name)
        }

        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            if argument == "-h" || argument == "--help" {
                return .help(helpText)
            }
            var optionName = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                optionName = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let spec = self.arguments.first(where: { $0.names.contains(optionName) }) else {
                throw fail("unknown option '\(optionName)'")
            }
            switch spec.kind {
            case .flag:
                if inlineValue != nil { throw fail("'\(optionName)' takes no value") }
                values[spec.key] = ["true"]
            case .option(let valueName) where spec.valuesPerUse == 2:
                guard inlineValue == nil, index + 1 < arguments.count else {
                    throw fail("'\(optionName)' needs two values (\(valueName))")
                }
                values[spec.key, default: []] += [arguments[index], arguments[index + 1]]
                index += 2
            case .option(let valueName):
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw fail("'\(optionName)' needs a value (\(valueName))") }
                    value = arguments[index]
                    index += 1
                }
                if !spec.repeatable && values[spec.key] != nil {
                    throw fail("'\(optionName)' may be given only once")
                }
                values[spec.key, default: []].append(value)
            case .positional:
                throw fail("unknown option '\(optionName)'")
            }
        }

        // Positionals fill the positional specs in order; a repeatable one takes the rest.
        var remaining = positionals[...]
        for spec in self.arguments {
            guard case .positional = spec.kind else { continue }
            if spec.repeatable {
                if !remaining.isEmpty { values[spec.key] = Array(remaining) }
                remaining = []
            } else if let first = remaining.first {
                values[spec.key] = [first]
                remaining = remaining.dropFirst()
            }
        }
        if let extra = remaining.first {
            throw fail("unexpected argument '\(extra)'")
        }

        for spec in self.arguments where values[spec.key] == nil {
            if let variable = spec.environment, let value = environment[variable], !value.isEmpty {
                values[spec.key] = spec.kind == .flag ? [Self.isTrue(value) ? "true" : "false"] : [value]
            } else if let defaultValue = spec.defaultValue {
                values[spec.key] = [defaultValue]
            } else if spec.required {
                throw fail("missing \(spec.displayName)")
            }
        }
        return .arguments(ParsedArguments(command: name, values: values))
    }

    private static func isTrue(_ value: String) -> Bool {
        ["1", "true", "yes", "on"].contains(value.lowercased())
    }
}

extension ArgumentSpec {
    /// How the argument is shown in messages and usage: `--url URL`, `FILE...`.
    var displayName: String {
        switch kind {
        case .flag: names.last ?? key
        case .option(let valueName): "\(names.last ?? key) \(valueName)"
        case .positional(let valueName): repeatable ? "\(valueName)..." : valueName
        }
    }
}
