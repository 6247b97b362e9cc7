/// Writes metrics in the Prometheus text exposition format (version 0.0.4).
public struct PrometheusText: Sendable {
    /// The document so far.
    public private(set) var text = ""

    /// An empty document.
    public init() {}

    /// The content type to serve the document with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    public mutating func family(_ name: String, type: String, help: String) {
        text += "# HELP \(name) \(help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n"))\n"
        text += "# TYPE \(name) \(type)\n"
    }

    /// One sample of the current family.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{"
            text += labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
            text += "}"
        }
        text += " \(Self.format(value))\n"
    }

    /// A label value escaped: backslash, double quote and line feed.
    public static func escapeLabel(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    /// Integers without a fraction; `+Inf`, `-Inf` and `NaN` as the format spells them.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
