import ArgumentParsing
import Logging

/// `--log-level` and `--log-format`, shared by the commands that log.
enum LoggingOptions {
    static func arguments(defaultLevel: LogLevel) -> [ArgumentSpec] {
        [
            .option(
                "--log-level",
                value: "LEVEL",
                help: "trace, debug, info, notice, warning, error or critical.",
                environment: "MQTT_DISCOVERY_LOG_LEVEL",
                default: defaultLevel.description
            ),
            .option(
                "--log-format",
                value: "text|json",
                help: "Log lines for people (text) or machines (json), on standard error.",
                environment: "MQTT_DISCOVERY_LOG_FORMAT",
                default: "text"
            ),
        ]
    }

    static func logger(_ arguments: ParsedArguments, label: String) throws(UsageError) -> Logger {
        let levelName = arguments.value("log-level") ?? "info"
        guard let level = LogLevel(name: levelName) else {
            throw UsageError(
                "--log-level must be one of \(LogLevel.allCases.map(\.description).joined(separator: ", ")), not '\(levelName)'",
                command: arguments.command
            )
        }
        let format = try arguments.choice("log-format", as: StreamLogHandler.Format.self) ?? .text
        return Logger(label: label, level: level, handler: StreamLogHandler(format: format))
    }
}
