import JSON
import Logging

/// What the JSON fuzzer checks, beyond "does not crash, overflow the stack or leak": a value
/// parsed is written out again (by this check's own writer) and parses to the same value; an
/// error points inside the input; parsing is deterministic.
enum JSONFuzzCheck {
    static func check(_ bytes: [UInt8]) {
        let first = Result { () throws(JSONError) in try JSONValue.parse(bytes) }
        let second = Result { () throws(JSONError) in try JSONValue.parse(bytes) }
        precondition(first == second, "the same input parsed twice gave different results")
        switch first {
        case .failure(let error):
            precondition(error.offset >= 0 && error.offset <= bytes.count, "an error outside the input: \(error)")
        case .success(let value):
            let text = write(value)
            let again = try? JSONValue.parse(Array(text.utf8))
            precondition(again == value, "a value did not survive writing and parsing: \(text)")
        }
    }

    /// JSON text for `value`: numbers in Swift's shortest round-trip form, strings quoted.
    static func write(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        // Beyond a double's range the parser gives infinity (the monitor drops such numbers);
        // 1e999 reads back as the same.
        case .number(let number): number.isFinite ? "\(number)" : number < 0 ? "-1e999" : "1e999"
        case .string(let string): JSONText.quote(string)
        case .array(let items): "[" + items.map(write).joined(separator: ",") + "]"
        case .object(let pairs):
            "{" + pairs.map { JSONText.quote($0.0) + ":" + write($0.1) }.joined(separator: ",") + "}"
        }
    }
}
