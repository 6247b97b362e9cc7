/// The values of a parsed command line, looked up by key (an option's long name without dashes).
public struct ParsedArguments: Sendable {
    /// The command the values belong to, for error messages.
    public let command: String
    private let values: [String: [String]]

    init(command: String, values: [String: [String]]) {
        self.command = command
        self.values = values
    }

    /// Whether a flag is set.
    public func flag(_ key: String) -> Bool {
        values[key]?.last == "true"
    }

    /// The value of an option or positional, if given (or supplied by its variable or default).
    public func value(_ key: String) -> String? {
        values[key]?.last
    }

    /// Every value of a repeatable option or positional, in order.
    public func values(_ key: String) -> [String] {
        values[key] ?? []
    }

    /// The value of an option or positional that must be present.
    public func required(_ key: String) throws(UsageError) -> String {
        guard let value = value(key) else { throw UsageError("missing --\(key)", command: command) }
        return value
    }

    /// An integer option, checked against `range`.
    public func integer<Value: FixedWidthInteger & Sendable>(
        _ key: String,
        as type: Value.Type,
        in range: ClosedRange<Value>? = nil
    ) throws(UsageError) -> Value? {
        guard let text = value(key) else { return nil }
        guard let number = Value(text) else {
            throw UsageError("--\(key) must be a whole number, not '\(text)'", command: command)
        }
        if let range, !range.contains(number) {
            throw UsageError(
                "--\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(number)",
                command: command
            )
        }
        return number
    }

    /// An option whose value must be one of a fixed set, e.g. `--output text|json`.
    public func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String,
        as type: Value.Type
    ) throws(UsageError) -> Value? where Value.RawValue == String {
        guard let text = value(key) else { return nil }
        guard let choice = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("--\(key) must be one of \(allowed), not '\(text)'", command: command)
        }
        return choice
    }
}
