#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// Writes records to standard error, one line each: readable text for people or JSON for
/// machines (`--log-format json`).
///
/// Text: `2026-11-23T10:04:05.123Z warning mqtt-client: reconnecting broker=tcp://h:1883`.
/// JSON: `{"time":"…","level":"warning","label":"mqtt-client","message":"…","broker":"…"}`.
/// Each record is one `write(2)`, so lines from different threads never interleave.
public struct StreamLogHandler: LogHandler {
    /// The line format.
    public enum Format: String, Sendable, CaseIterable {
        /// Readable text.
        case text
        /// One JSON object per line.
        case json
    }

    /// The line format.
    public let format: Format

    /// A handler writing `format` lines to standard error.
    public init(format: Format = .text) {
        self.format = format
    }

    /// Writes one line.
    public func write(_ record: LogRecord) {
        StandardStream.error.write(render(record, time: Self.timestamp()) + "\n")
    }

    /// The line for `record` at `time`, without the newline.
    public func render(_ record: LogRecord, time: String) -> String {
        let keys = record.metadata.keys.sorted()
        switch format {
        case .text:
            var line = "\(time) \(record.level) \(record.label): \(record.message)"
            for key in keys {
                line += " \(key)=\(Self.quotedIfNeeded(record.metadata[key]!))"
            }
            return line
        case .json:
            var fields = [
                ("time", time), ("level", record.level.description), ("label", record.label),
                ("message", record.message),
            ]
            for key in keys where !["time", "level", "label", "message"].contains(key) {
                fields.append((key, record.metadata[key]!))
            }
            return "{" + fields.map { "\(JSONText.quote($0.0)):\(JSONText.quote($0.1))" }.joined(separator: ",") + "}"
        }
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? JSONText.quote(value) : value
    }

    /// The current UTC time in RFC 3339 with milliseconds.
    static func timestamp() -> String {
        RFC3339.now()
    }
}

/// Formats UTC times without Foundation.
public enum RFC3339 {
    /// The current time, e.g. `2026-11-23T10:04:05.123Z`.
    public static func now() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return format(seconds: Int64(now.tv_sec), milliseconds: Int(now.tv_nsec / 1_000_000))
    }

    /// `2026-11-23T10:04:05.123Z` for a time in seconds since 1970 plus milliseconds.
    public static func format(seconds: Int64, milliseconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(fromDays: days)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis =
            milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):"
            + "\(two(secondOfDay % 60)).\(millis)Z"
    }

    /// Year, month and day of the proleptic Gregorian calendar for a count of days since 1970-01-01
    /// (Howard Hinnant's `civil_from_days`).
    static func civilDate(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// JSON string quoting, enough for log lines and command output.
public enum JSONText {
    /// `value` as a JSON string literal, escaped per RFC 8259 §7.
    public static func quote(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
