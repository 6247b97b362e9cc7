public import ArgumentParsing
public import Logging

/// `--log-level` and `--log-format`, shared by the commands that log, read into a ``Logger``.
/// Each command declares the group once, with the level it logs at by default.
public struct LoggingOptions: Sendable {
    private let level: Option<LogLevel>
    private let format = Option<StreamLogHandler.Format>.choice(
        "--log-format",
        help: "Log lines for people (text) or machines (json), on standard error.",
        environment: "MQTT_DISCOVERY_LOG_FORMAT",
        default: .text
    )

    /// The options, logging at `defaultLevel` and above unless told otherwise.
    public init(defaultLevel: LogLevel) {
        level = .choice(
            ["--log-level"],
            help: "Which log lines to write, from the most detailed.",
            environment: "MQTT_DISCOVERY_LOG_LEVEL",
            default: defaultLevel,
            named: \.description
        )
    }

    /// The two options, for a command's spec.
    public var arguments: [ArgumentSpec] { [level.spec, format.spec] }

    /// A logger for `label` writing to standard error as the options say.
    public func logger(_ arguments: ParsedArguments, label: String) throws(UsageError) -> Logger {
        Logger(label: label, level: try arguments(level), handler: StreamLogHandler(format: try arguments(format)))
    }
}
