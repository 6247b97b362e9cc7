import Discovery

/// Discovery details read from a file the way the agent would hand them over: bare details, or an
/// Akri Configuration for the `mqtt` handler, whose discovery properties are resolved (values,
/// files) and passed along with the details.
struct DetailsFile {
    /// What names this discovery: the Configuration's name, or the file's path for bare details.
    /// It keeps the MQTT client identifiers of different configurations apart.
    let identity: String
    /// The parsed details.
    let details: DiscoveryDetails
    /// Warnings found on the way (unknown keys and the like), positioned in the file.
    let warnings: [DetailsProblem]

    /// Why a file gave no details.
    enum LoadError: Error {
        /// The file cannot be read.
        case unreadable(reason: String)
        /// Problems with positions in the file (at least one an error).
        case problems([DetailsProblem])
        /// The file holds no usable Configuration, or several and none was chosen.
        case selection(String)
    }

    /// Loads `path`; `configuration` picks one of several `mqtt` Configurations by name.
    static func load(_ path: String, configuration wanted: String?) throws(LoadError) -> DetailsFile {
        let text: String
        do {
            text = try Files.readText(path)
        } catch {
            throw .unreadable(reason: error.reason)
        }
        let (documents, problems) = ConfigurationDocument.parse(text)
        if problems.contains(where: { $0.severity == .error }) { throw .problems(problems) }
        var candidates: [AkriConfiguration] = []
        for document in documents {
            switch document {
            case .details(let details):
                guard wanted == nil else { throw .selection("\(path) holds bare discovery details, no Configuration") }
                return try parse(details, identity: path, properties: [:], mapping: .identity, earlier: problems)
            case .configuration(let configuration) where configuration.handlerName == "mqtt":
                candidates.append(configuration)
            case .configuration, .other:
                continue
            }
        }
        let chosen: AkriConfiguration
        if let wanted {
            guard let match = candidates.first(where: { $0.name == wanted }) else {
                throw .selection("\(path) has no mqtt Configuration named '\(wanted)'")
            }
            chosen = match
        } else {
            guard let only = candidates.first else {
                throw .selection("\(path) has no Configuration for the mqtt handler")
            }
            guard candidates.count == 1 else {
                throw .selection(
                    "\(path) has \(candidates.count) mqtt Configurations (\(candidates.map(\.name).joined(separator: ", "))); choose one with --configuration"
                )
            }
            chosen = only
        }
        let (properties, propertyProblems) = chosen.resolvedDiscoveryProperties { path in
            Result { () throws(Files.ReadError) in try Files.read(path, limit: 1 << 20) }
                .mapError { AkriConfiguration.ReadFailure($0.reason) }
        }
        return try parse(
            chosen.discoveryDetails,
            identity: chosen.name,
            properties: properties,
            mapping: chosen.detailsMapping,
            earlier: problems + propertyProblems
        )
    }

    private static func parse(
        _ text: String,
        identity: String,
        properties: [String: [UInt8]?],
        mapping: MarkMapping,
        earlier: [DetailsProblem]
    ) throws(LoadError) -> DetailsFile {
        let parsed: (details: DiscoveryDetails, warnings: [DetailsProblem])
        do {
            parsed = try DiscoveryDetails.parse(text, properties: properties, mapping: mapping)
        } catch {
            throw .problems((earlier + error.problems).sorted { $0.mark < $1.mark })
        }
        if earlier.contains(where: { $0.severity == .error }) { throw .problems(earlier) }
        return DetailsFile(
            identity: identity,
            details: parsed.details,
            warnings: (earlier + parsed.warnings).sorted { $0.mark < $1.mark }
        )
    }
}
