/// InfluxDB line protocol: `measurement,tag=value field=1.5 1700000000000000000`.
///
/// Escaping follows InfluxDB's rules: in measurements, commas and spaces; in tag keys, tag values
/// and field keys, commas, equals signs and spaces, each with a backslash. Line feeds cannot be
/// escaped at all, so they become spaces.
public enum LineProtocol {
    /// One line (without its line feed) for `fields` of a message; nil when there are no fields.
    public static func line(
        measurement: String,
        tags: [(String, String)],
        fields: [(name: String, value: Double)],
        timestampNanoseconds: Int64
    ) -> String? {
        guard !fields.isEmpty else { return nil }
        var line = escape(measurement, special: [",", " "])
        for (key, value) in tags where !value.isEmpty {
            line += "," + escape(key, special: [",", "=", " "]) + "=" + escape(value, special: [",", "=", " "])
        }
        line += " "
        line += fields.map { escape($0.name, special: [",", "=", " "]) + "=" + format($0.value) }.joined(separator: ",")
        line += " \(timestampNanoseconds)"
        return line
    }

    /// A float field value, e.g. `3.0` or `1e-05`: never an integer (`3i`), so a field keeps one
    /// type in InfluxDB whatever the device sends.
    static func format(_ value: Double) -> String {
        "\(value)"
    }

    private static func escape(_ text: String, special: Set<Character>) -> String {
        var result = ""
        for character in text {
            if character == "\n" || character == "\r" {
                result += " "
                continue
            }
            if special.contains(character) || character == "\\" { result += "\\" }
            result.append(character)
        }
        return result
    }
}
