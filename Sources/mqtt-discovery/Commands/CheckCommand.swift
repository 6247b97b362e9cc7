import ArgumentParsing
import CommandLineSupport
import Discovery

/// `mqtt-discovery check`: validates discovery details and Akri Configurations, printing every
/// problem as `FILE:LINE:COLUMN: message`.
enum CheckCommand: Command {
    static let files = Option<[String]>.positionals("files", value: "FILE", help: "Files to check.", required: true)

    static let spec = CommandSpec(
        name: "mqtt-discovery check",
        abstract: "Check discovery details and Akri Configuration files; print every problem with its position.",
        discussion: """
            Each FILE is an Akri Configuration (one or more YAML documents; line numbers point into the file,
            inside spec.discoveryHandler.discoveryDetails too) or bare discovery details. Problems print as
            FILE:LINE:COLUMN: message, warnings as FILE:LINE:COLUMN: warning: message, and a valid file as
            FILE: ok, with what it configures. Exits 0 only when every file is valid (warnings allowed), 66 when
            a file cannot be read, else 65 when a file has errors.
            """,
        arguments: [files.spec] + ConfigurationFiles.arguments
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        var status = ExitStatus.success
        let mounts = try ConfigurationFiles.mounts(arguments)
        for path in try arguments(files) {
            let file: ConfigurationFile
            switch ConfigurationFiles.load(path, bareDetails: .allowed, mounts: mounts) {
            case .success(let loaded): file = loaded
            case .failure(let error):
                Console.out("\(path): error: \(error.reason)")
                status = .noInput
                continue
            }
            for problem in file.problems { Console.out("\(path):\(problem)") }
            if file.hasErrors {
                // A file it names that cannot be read is missing input (66), which outranks 65.
                if file.hasUnreadableFiles {
                    status = .noInput
                } else if status == .success {
                    status = .dataError
                }
            } else {
                let summaries = file.entries.map(summary)
                Console.out("\(path): ok" + (summaries.isEmpty ? "" : " (\(summaries.joined(separator: "; ")))"))
            }
        }
        return status
    }

    /// What an entry configures, e.g. `Configuration demo: 1 broker, 2 topic entries`.
    private static func summary(_ entry: ConfigurationFile.Entry) -> String {
        guard let details = entry.details else {
            return "Configuration \(entry.name) is for handler '\(entry.handlerName)', not checked"
        }
        var parts = ["\(details.brokers.count) broker\(details.brokers.count == 1 ? "" : "s")"]
        parts.append("\(details.topics.count) topic entr\(details.topics.count == 1 ? "y" : "ies")")
        if !details.conventions.isEmpty {
            parts.append("conventions " + details.conventions.map(\.name.rawValue).joined(separator: ", "))
        }
        let text = parts.joined(separator: ", ")
        return entry.isBareDetails ? text : "Configuration \(entry.name): \(text)"
    }
}
