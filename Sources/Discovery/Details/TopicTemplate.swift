public import MQTTCodec

/// A topic filter that may name levels: `factory/{device}/telemetry/#` is subscribed as
/// `factory/+/telemetry/#`, and a topic that matches it belongs to the device named by the values
/// of its placeholders (`press7`).
public struct TopicTemplate: Hashable, Sendable, CustomStringConvertible {
    /// One level of the template.
    public enum Level: Hashable, Sendable {
        /// Literal text.
        case literal(String)
        /// `{name}`: any one level, captured.
        case placeholder(String)
        /// `+`: any one level, not captured.
        case singleWildcard
        /// `#`: the rest, not captured.
        case multiWildcard
    }

    /// The template as written.
    public let text: String
    /// Its levels.
    public let levels: [Level]

    /// The filter to subscribe to: placeholders become `+`.
    public var filter: String {
        levels.map { level in
            switch level {
            case .literal(let text): text
            case .placeholder, .singleWildcard: "+"
            case .multiWildcard: "#"
            }
        }.joined(separator: "/")
    }

    /// The placeholder names, in order.
    public var placeholders: [String] {
        levels.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    /// Whether the template names levels (so devices are identified by captures, not topics).
    public var hasPlaceholders: Bool { !placeholders.isEmpty }

    /// Parses a template; the error gives the offset (in characters) of the problem in `text`.
    public init(_ text: String, version: ProtocolVersion = .v5) throws(TemplateError) {
        self.text = text
        var levels: [Level] = []
        var offset = 0
        var seen = Set<String>()
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            defer { offset += part.count + 1 }
            if part.hasPrefix("{") || part.hasSuffix("}") || part.contains("{") {
                guard part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 else {
                    throw TemplateError(offset: offset, "a placeholder must be a whole level, like '{device}'")
                }
                let name = String(part.dropFirst().dropLast())
                guard let first = name.first, first.isLetter || first == "_",
                    name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
                else {
                    throw TemplateError(
                        offset: offset + 1,
                        "placeholder '\(name)' must be letters, digits, '_' or '-', starting with a letter"
                    )
                }
                guard seen.insert(name).inserted else {
                    throw TemplateError(offset: offset, "placeholder '{\(name)}' appears twice")
                }
                levels.append(.placeholder(name))
            } else if part == "+" {
                levels.append(.singleWildcard)
            } else if part == "#" {
                levels.append(.multiWildcard)
            } else {
                levels.append(.literal(String(part)))
            }
        }
        self.levels = levels
        do {
            try TopicFilter.validate(filter, version: version)
        } catch {
            throw TemplateError(offset: Self.offset(of: error, in: text), error.problem.explanation)
        }
    }

    /// The template with placeholders filled in: `factory/press7/telemetry/#`.
    public func filled(with values: [String: String]) -> String {
        levels.map { level in
            switch level {
            case .literal(let text): text
            case .placeholder(let name): values[name] ?? "+"
            case .singleWildcard: "+"
            case .multiWildcard: "#"
            }
        }.joined(separator: "/")
    }

    /// The template as written.
    public var description: String { text }

    /// Where a filter error sits in the text: at the first misplaced wildcard, or the start.
    private static func offset(of error: MQTTCodecError, in text: String) -> Int {
        let characters = Array(text)
        for (index, character) in characters.enumerated() where character == "#" || character == "+" {
            let before = index == 0 || characters[index - 1] == "/"
            let after = index == characters.count - 1 || characters[index + 1] == "/"
            if !(before && after) || (character == "#" && index != characters.count - 1) { return index }
        }
        return 0
    }
}

/// A topic template that cannot be used: what is wrong and where in the text.
public struct TemplateError: Error, Hashable, Sendable {
    /// The character offset of the problem in the template.
    public let offset: Int
    /// What is wrong.
    public let message: String

    init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }
}
