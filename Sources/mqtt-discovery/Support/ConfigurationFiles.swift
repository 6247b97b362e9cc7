import AgentProtocol
import AgentService
import Discovery

/// The Configurations given to `agent` and `run`, read and checked before anything starts: Akri
/// `Configuration` resources (discovery properties resolved, values inline or from files), and
/// for `run` bare discovery details too, their Configuration named after the file. Details for
/// the `mqtt` handler are parsed here, so their problems are reported at once as
/// `FILE:LINE:COLUMN: message` rather than later by the handler.
enum ConfigurationFiles {
    /// Why the files give no configurations.
    enum LoadError: Error {
        /// A file cannot be read: exit 66.
        case unreadable(String)
        /// Problems, each one line with its position: exit 65.
        case invalid([String])

        var status: ExitStatus {
            switch self {
            case .unreadable: .noInput
            case .invalid: .dataError
            }
        }

        var lines: [String] {
            switch self {
            case .unreadable(let line): [line]
            case .invalid(let lines): lines
            }
        }
    }

    /// Reads every file; `bareDetails` accepts files that hold discovery details only. Warnings
    /// (unknown keys and the like) go to `warn`.
    static func load(
        _ paths: [String],
        bareDetails: Bool,
        warn: (String) -> Void
    ) throws(LoadError) -> [AgentConfiguration] {
        var configurations: [AgentConfiguration] = []
        var problems: [String] = []
        for path in paths {
            let text: String
            do {
                text = try Files.readText(path)
            } catch {
                throw .unreadable("error: cannot read \(path): \(error.reason)")
            }
            let (documents, documentProblems) = ConfigurationDocument.parse(text)
            var fileProblems = documentProblems
            var found = 0
            for document in documents {
                switch document {
                case .configuration(let configuration):
                    found += 1
                    let (properties, propertyProblems) = configuration.resolvedDiscoveryProperties { path in
                        Result { () throws(Files.ReadError) in try Files.read(path, limit: 1 << 20) }
                            .mapError { AkriConfiguration.ReadFailure($0.reason) }
                    }
                    fileProblems += propertyProblems
                    if configuration.handlerName == DiscoveryHandlerServer.handlerName {
                        fileProblems += check(
                            configuration.discoveryDetails,
                            properties: properties,
                            mapping: configuration.detailsMapping
                        )
                    }
                    configurations.append(
                        AgentConfiguration(
                            name: configuration.name,
                            handlerName: configuration.handlerName,
                            request: DiscoverRequest(
                                discoveryDetails: configuration.discoveryDetails,
                                discoveryProperties: properties
                            )
                        )
                    )
                case .details(let details) where bareDetails:
                    found += 1
                    fileProblems += check(details, properties: [:], mapping: .identity)
                    configurations.append(
                        AgentConfiguration(
                            name: configurationName(forFile: path),
                            handlerName: DiscoveryHandlerServer.handlerName,
                            request: DiscoverRequest(discoveryDetails: details)
                        )
                    )
                case .details:
                    problems.append("\(path): holds bare discovery details, not an Akri Configuration")
                case .other:
                    continue
                }
            }
            for problem in fileProblems.sorted(by: { $0.mark < $1.mark }) {
                if problem.severity == .error {
                    problems.append("\(path):\(problem)")
                } else {
                    warn("\(path):\(problem)")
                }
            }
            if found == 0, documentProblems.isEmpty { problems.append("\(path): holds no Configuration") }
        }
        var seen: Set<String> = []
        for configuration in configurations where !seen.insert(configuration.name).inserted {
            problems.append("two Configurations are named '\(configuration.name)'")
        }
        if !problems.isEmpty { throw .invalid(problems) }
        return configurations
    }

    /// A file's name as a Kubernetes resource name: the last path component without its
    /// extension, lowercased, anything but letters, digits and `-` turned into `-`.
    static func configurationName(forFile path: String) -> String {
        var base = Substring(path.split(separator: "/").last ?? Substring(path))
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = base[..<dot] }
        let name = String(
            base.lowercased().map { character -> Character in
                character.isASCII && (character.isLetter || character.isNumber) ? character : "-"
            }
        )
        let trimmed = name.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed()
        return trimmed.isEmpty ? "mqtt" : String(trimmed)
    }

    private static func check(
        _ details: String,
        properties: [String: [UInt8]?],
        mapping: MarkMapping
    ) -> [DetailsProblem] {
        do {
            return try DiscoveryDetails.parse(details, properties: properties, mapping: mapping).warnings
        } catch {
            return error.problems
        }
    }
}
