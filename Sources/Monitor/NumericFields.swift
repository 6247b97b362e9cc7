import JSON

/// The numbers in a payload that are worth a gauge or a time-series field: a payload that is one
/// number (`21.5`, named `value`), or a flat JSON object whose number values are taken by key
/// (`{"temperature": 21.5, "unit": "C"}` gives `temperature`). Booleans, strings, nested values
/// and non-finite numbers are left out.
public enum NumericFields {
    /// The named numbers in `payload`, in payload order; empty when there are none.
    public static func extract(_ payload: some Collection<UInt8>) -> [(name: String, value: Double)] {
        guard let first = payload.first(where: { !isSpace($0) }) else { return [] }
        // Only a number or an object can qualify: skip the parse for anything else.
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "-") || (first >= 48 && first <= 57) else {
            return []
        }
        guard payload.count <= 65_536, let value = try? JSONValue.parse(payload) else { return [] }
        switch value {
        case .number(let number) where number.isFinite:
            return [("value", number)]
        case .object(let pairs):
            var seen = Set<String>()
            var fields: [(name: String, value: Double)] = []
            for (key, value) in pairs.reversed() {
                guard case .number(let number) = value, number.isFinite, !key.isEmpty, seen.insert(key).inserted else {
                    continue
                }
                fields.append((key, number))
            }
            return fields.reversed()
        default:
            return []
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
