import Logging

/// Output for people and for scripts: results on standard output, diagnostics on standard error.
enum Console {
    /// Writes `text` and a newline to standard output.
    static func out(_ text: String) {
        StandardStream.output.write(text + "\n")
    }

    /// Writes `text` and a newline to standard error.
    static func error(_ text: String) {
        StandardStream.error.write(text + "\n")
    }
}
