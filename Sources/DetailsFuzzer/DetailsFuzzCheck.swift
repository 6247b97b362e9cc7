import Discovery
import YAML

/// What the details fuzzer checks for each input, through the real loader (libyaml and all), beyond
/// "does not crash, overflow the stack or leak":
/// 1. the input as a Configuration file and as Discover details: every problem has a position
///    inside the text (a line that exists, a column from 1), and
/// 2. reading it twice gives the same result (no state leaks between parses).
/// A violation stops the process with a message, which libFuzzer reports as a crash.
enum DetailsFuzzCheck {
    static func check(_ bytes: [UInt8]) {
        let file = load(bytes)
        let again = load(bytes)
        precondition(file.problems == again.problems, "the same file read twice gave different problems")
        let lines = yamlLines(bytes)
        for problem in file.problems { checkPosition(problem, lines: lines) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        do {
            _ = try DiscoveryDetails.parse(text, properties: ["mqtt_broker_password": [0x70]])
        } catch {
            precondition(!error.problems.isEmpty, "details refused without a problem")
            for problem in error.problems { checkPosition(problem, lines: lines) }
        }
    }

    static func load(_ bytes: [UInt8]) -> ConfigurationFile {
        ConfigurationFile(path: "fuzz.yaml", contents: bytes, bareDetails: .allowed) { path in
            .failure(AkriConfiguration.ReadFailure("not read while fuzzing: \(path)"))
        }
    }

    /// Lines as YAML counts them (YAML 1.1 §5.4, as libyaml reads it): LF, CR, CRLF once, and
    /// NEL, LS and PS.
    static func yamlLines(_ bytes: [UInt8]) -> Int {
        var lines = 1
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: lines += 1
            case 0x0D:
                lines += 1
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0x85: lines += 1
            case 0xE2
            where index + 2 < bytes.count && bytes[index + 1] == 0x80
                && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                lines += 1
            default: break
            }
            index += 1
        }
        return lines
    }

    static func checkPosition(_ problem: DetailsProblem, lines: Int) {
        precondition(problem.mark.line >= 1 && problem.mark.column >= 1, "a problem without a position: \(problem)")
        // A details string inside a Configuration maps into the file; libyaml may point one line
        // past the last (the end of the stream).
        precondition(problem.mark.line <= lines + 1, "a problem past the end of the text: \(problem), \(lines) lines")
    }
}
