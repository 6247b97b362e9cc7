import Logging

/// Output for people and for scripts: results on standard output, diagnostics on standard error.
public enum Console {
    /// Writes `text` and a newline to standard output.
    public static func out(_ text: String) {
        StandardStream.output.write(text + "\n")
    }

    /// Writes `text` and a newline to standard error.
    public static func error(_ text: String) {
        StandardStream.error.write(text + "\n")
    }
}
