public import YAML

/// A problem found in discovery details: where, how serious, and what.
public struct DetailsProblem: Hashable, Sendable, CustomStringConvertible {
    /// Errors make the details unusable; warnings do not.
    public enum Severity: String, Hashable, Sendable {
        /// The details cannot be used.
        case error
        /// Worth knowing (an unknown key Akri would silently ignore); the details still work.
        case warning
        /// Fine here, but not portable: Akri's Configuration CRD would refuse it on a cluster
        /// (an extension of ours, or a value of the wrong YAML type).
        case note
    }

    /// Where in the text.
    public let mark: Mark
    /// How serious.
    public let severity: Severity
    /// What is wrong, e.g. `'#' must be the last level of a topic filter`.
    public let message: String

    /// A problem.
    public init(_ severity: Severity, at mark: Mark, _ message: String) {
        self.mark = mark
        self.severity = severity
        self.message = message
    }

    /// `LINE:COLUMN: message` for errors, `LINE:COLUMN: warning: message` for warnings,
    /// `LINE:COLUMN: note: message` for notes.
    public var description: String {
        "\(mark): " + (severity == .error ? "" : "\(severity.rawValue): ") + message
    }
}

/// Discovery details that cannot be used: every error, with its position.
public struct DetailsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errors (and any warnings), in text order.
    public let problems: [DetailsProblem]

    /// An error made of `problems`.
    public init(_ problems: [DetailsProblem]) {
        self.problems = problems
    }

    /// The first error, e.g. `3:5: topic filter 'a/#/b': '#' must be …` (for gRPC-style statuses).
    public var description: String {
        (problems.first { $0.severity == .error } ?? problems.first).map(\.description) ?? "invalid discovery details"
    }
}
