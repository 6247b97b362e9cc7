import YAML

/// A file given to `check`, `discover`, `agent` or `run`, read the one way all of them read it:
/// Akri Configurations (one or more YAML documents), or bare discovery details. Discovery
/// properties are resolved as the agent hands them to a handler, and details for the `mqtt`
/// handler are parsed, so every problem is known, with its line and column in the file, before
/// anything starts.
///
/// Reading files is the caller's: the file's text comes in, and `valueFrom.file` references are
/// read through the closure given.
public struct ConfigurationFile: Sendable {
    /// One Configuration in the file.
    public struct Entry: Sendable {
        /// `metadata.name`; for bare details, a name made from the file's (see
        /// ``ConfigurationFile/configurationName(forFile:)``).
        public var name: String
        /// The discovery handler it is for.
        public var handlerName: String
        /// Whether the file holds bare details rather than a Configuration.
        public var isBareDetails: Bool
        /// The details as written, for the handler.
        public var discoveryDetails: String
        /// The discovery properties as the agent sends them: name and value (nil for an entry
        /// with neither `value` nor `valueFrom`).
        public var discoveryProperties: [String: [UInt8]?]
        /// The parsed details, for an `mqtt` entry whose details have no error.
        public var details: DiscoveryDetails?
        /// The Configuration itself; nil for bare details.
        public var configuration: AkriConfiguration?
    }

    /// Whether a file of bare details is accepted (`check`, `discover`, `run`) or must hold
    /// Configurations (`agent`).
    public enum BareDetails: Sendable {
        /// Bare details are a Configuration named after the file.
        case allowed
        /// Bare details are an error.
        case refused
    }

    /// The path, as given.
    public let path: String
    /// The Configurations, in file order.
    public private(set) var entries: [Entry] = []
    /// Every error and warning, in file order.
    public private(set) var problems: [DetailsProblem] = []

    /// Whether any problem is an error.
    public var hasErrors: Bool { problems.contains { $0.severity == .error } }
    /// Whether a file the Configurations name (a `valueFrom.file` that is not optional) could not
    /// be read: an input missing, rather than malformed.
    public private(set) var hasUnreadableFiles = false

    /// Reads `contents`, the bytes of `path`; `readFile` reads a `valueFrom.file`, and the keys of
    /// Secrets and ConfigMaps under `mounts`. Bytes that are not UTF-8 are a problem at the line
    /// and column of the first bad one.
    public init(
        path: String,
        contents: [UInt8],
        bareDetails: BareDetails,
        mounts: AkriConfiguration.Mounts = AkriConfiguration.Mounts(),
        readFile: (String) -> Result<[UInt8], AkriConfiguration.ReadFailure>
    ) {
        guard let text = String(validating: contents, as: UTF8.self) else {
            let valid = Self.validUTF8Prefix(contents)
            var line = 1
            var column = 1
            for byte in contents[..<valid] where byte & 0xC0 != 0x80 {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            self.init(
                path: path,
                problem: DetailsProblem(
                    .error,
                    at: Mark(line: line, column: column),
                    "not UTF-8 text (byte \(valid + 1))"
                )
            )
            return
        }
        self.init(path: path, text: text, bareDetails: bareDetails, mounts: mounts, readFile: readFile)
    }

    /// Reads `text`, the contents of `path`; `readFile` reads a `valueFrom.file`, and the keys of
    /// Secrets and ConfigMaps under `mounts`.
    public init(
        path: String,
        text: String,
        bareDetails: BareDetails,
        mounts: AkriConfiguration.Mounts = AkriConfiguration.Mounts(),
        readFile: (String) -> Result<[UInt8], AkriConfiguration.ReadFailure>
    ) {
        self.path = path
        let (documents, documentProblems) = ConfigurationDocument.parse(text)
        problems = documentProblems
        for document in documents {
            switch document {
            case .configuration(let configuration):
                let (properties, propertyProblems, unreadable) = configuration.resolvedDiscoveryProperties(
                    mounts: mounts,
                    read: readFile
                )
                problems += propertyProblems
                if unreadable { hasUnreadableFiles = true }
                entries.append(
                    Entry(
                        name: configuration.name,
                        handlerName: configuration.handlerName,
                        isBareDetails: false,
                        discoveryDetails: configuration.discoveryDetails,
                        discoveryProperties: properties,
                        details: parseDetails(
                            configuration.discoveryDetails,
                            handler: configuration.handlerName,
                            properties: properties,
                            mapping: configuration.detailsMapping
                        ),
                        configuration: configuration
                    )
                )
            case .details(let details):
                guard case .allowed = bareDetails else {
                    problems.append(
                        DetailsProblem(.error, at: .start, "bare discovery details, not an Akri Configuration")
                    )
                    continue
                }
                entries.append(
                    Entry(
                        name: Self.configurationName(forFile: path),
                        handlerName: DiscoveryDetails.handlerName,
                        isBareDetails: true,
                        discoveryDetails: details,
                        discoveryProperties: [:],
                        details: parseDetails(
                            details,
                            handler: DiscoveryDetails.handlerName,
                            properties: [:],
                            mapping: .identity
                        ),
                        configuration: nil
                    )
                )
            case .other:
                continue
            }
        }
        if entries.isEmpty, !hasErrors {
            problems.append(DetailsProblem(.error, at: .start, "no Configuration in the file"))
        }
        problems.sort { $0.mark < $1.mark }
    }

    /// A file that holds no usable text.
    private init(path: String, problem: DetailsProblem) {
        self.path = path
        problems = [problem]
    }

    /// How many leading bytes of `bytes` are well-formed UTF-8: where the first bad one is.
    private static func validUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            offset += UTF8.width(scalar)
        }
        return offset
    }

    /// The `mqtt` entry to run: the one named `wanted`, or the only one.
    public func mqttEntry(named wanted: String?) -> Result<Entry, SelectionError> {
        let candidates = entries.filter { $0.handlerName == DiscoveryDetails.handlerName }
        if let wanted {
            guard let match = candidates.first(where: { $0.name == wanted && !$0.isBareDetails }) else {
                return .failure(SelectionError("\(path) has no mqtt Configuration named '\(wanted)'"))
            }
            return .success(match)
        }
        guard let only = candidates.first else {
            return .failure(SelectionError("\(path) has no Configuration for the mqtt handler"))
        }
        guard candidates.count == 1 else {
            let names = candidates.map(\.name).joined(separator: ", ")
            return .failure(
                SelectionError(
                    "\(path) has \(candidates.count) mqtt Configurations (\(names)); choose one with --configuration"
                )
            )
        }
        return .success(only)
    }

    /// Why no entry could be chosen.
    public struct SelectionError: Error, Sendable, CustomStringConvertible {
        /// What is missing or ambiguous.
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The names used by more than one Configuration across `files` (an agent keeps one set of
    /// instances per name).
    public static func duplicateNames(in files: [ConfigurationFile]) -> [String] {
        var seen: Set<String> = []
        var duplicates: [String] = []
        for entry in files.flatMap(\.entries) where !seen.insert(entry.name).inserted {
            duplicates.append(entry.name)
        }
        return duplicates
    }

    /// A file's name as a Kubernetes resource name: the last path component without its
    /// extension, lowercased, anything but letters, digits and `-` turned into `-`
    /// (`details-proposal.yaml` → `details-proposal`).
    public static func configurationName(forFile path: String) -> String {
        var base = Substring(path.split(separator: "/").last ?? Substring(path))
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = base[..<dot] }
        let name = String(
            base.lowercased().map { character -> Character in
                character.isASCII && (character.isLetter || character.isNumber) ? character : "-"
            }
        )
        let trimmed = name.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed()
        return trimmed.isEmpty ? DiscoveryDetails.handlerName : String(trimmed)
    }

    /// Details for the `mqtt` handler parsed, their problems kept; other handlers' details are
    /// theirs to judge.
    private mutating func parseDetails(
        _ text: String,
        handler: String,
        properties: [String: [UInt8]?],
        mapping: MarkMapping
    ) -> DiscoveryDetails? {
        guard handler == DiscoveryDetails.handlerName else { return nil }
        do {
            let (details, warnings) = try DiscoveryDetails.parse(text, properties: properties, mapping: mapping)
            problems += warnings
            return details
        } catch {
            problems += error.problems
            return nil
        }
    }
}
