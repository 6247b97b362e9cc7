import ArgumentParsing
import Discovery

/// `mqtt-discovery check`: validates discovery details and Akri Configurations, printing every
/// problem as `FILE:LINE:COLUMN: message`.
enum CheckCommand: Command {
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
        arguments: [.positional("files", value: "FILE", help: "Files to check.", repeatable: true, required: true)]
    )

    static func run(_ arguments: ParsedArguments, environment: [String: String]) async throws -> ExitStatus {
        var status = ExitStatus.success
        for file in arguments.values("files") {
            let text: String
            do {
                text = try Files.readText(file)
            } catch {
                Console.out("\(file): error: \(error.reason)")
                status = .noInput
                continue
            }
            let (documents, problems) = ConfigurationDocument.parse(text)
            var allProblems = problems
            var summaries: [String] = []
            for document in documents {
                switch document {
                case .details(let details):
                    let (problems, summary) = check(details, mapping: .identity)
                    allProblems += problems
                    summary.map { summaries.append($0) }
                case .configuration(let configuration):
                    guard configuration.handlerName == "mqtt" else {
                        summaries.append(
                            "Configuration \(configuration.name) is for handler '\(configuration.handlerName)', not checked"
                        )
                        continue
                    }
                    let (problems, summary) = check(
                        configuration.discoveryDetails,
                        mapping: configuration.detailsMapping
                    )
                    allProblems += problems
                    summary.map { summaries.append("Configuration \(configuration.name): \($0)") }
                case .other:
                    continue
                }
            }
            for problem in allProblems.sorted(by: { $0.mark < $1.mark }) {
                Console.out("\(file):\(problem)")
            }
            if allProblems.contains(where: { $0.severity == .error }) {
                if status == .success { status = .dataError }
            } else {
                Console.out("\(file): ok" + (summaries.isEmpty ? "" : " (\(summaries.joined(separator: "; ")))"))
            }
        }
        return status
    }

    private static func check(_ text: String, mapping: MarkMapping) -> (problems: [DetailsProblem], summary: String?) {
        do {
            let (details, warnings) = try DiscoveryDetails.parse(text, mapping: mapping)
            var parts = ["\(details.brokers.count) broker\(details.brokers.count == 1 ? "" : "s")"]
            parts.append("\(details.topics.count) topic entr\(details.topics.count == 1 ? "y" : "ies")")
            if !details.conventions.isEmpty {
                parts.append("conventions " + details.conventions.map(\.name.rawValue).joined(separator: ", "))
            }
            return (warnings, parts.joined(separator: ", "))
        } catch {
            return (error.problems, nil)
        }
    }
}
