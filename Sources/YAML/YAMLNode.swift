/// A position in a YAML text, 1-based, as editors show it.
public struct Mark: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The line, from 1.
    public let line: Int
    /// The column, from 1.
    public let column: Int

    /// A position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Line 1, column 1: for what concerns a whole text.
    public static let start = Mark(line: 1, column: 1)

    /// Orders positions in the text.
    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `LINE:COLUMN`.
    public var description: String { "\(line):\(column)" }
}

/// A YAML node with where it starts, so every later error can point at the right place.
public struct YAMLNode: Hashable, Sendable {
    /// How a scalar was written, which decides whether it may be a number, a boolean or null.
    public enum ScalarStyle: Hashable, Sendable {
        /// Unquoted: may be null, a boolean or a number.
        case plain
        /// 'single' or "double" quoted: always a string.
        case quoted
        /// `|` literal block: lines kept.
        case literal
        /// `>` folded block: lines folded.
        case folded
    }

    /// The node's content.
    public enum Content: Hashable, Sendable {
        /// A scalar's text.
        case scalar(String, ScalarStyle)
        /// A sequence's items.
        case sequence([YAMLNode])
        /// A mapping's key-value pairs, in order (duplicates are reported by the parser).
        case mapping([Pair])
    }

    /// One key-value pair of a mapping.
    public struct Pair: Hashable, Sendable {
        /// The key.
        public let key: YAMLNode
        /// The value.
        public let value: YAMLNode
    }

    /// The content.
    public let content: Content
    /// Where the node starts.
    public let mark: Mark

    /// A node.
    public init(_ content: Content, at mark: Mark) {
        self.content = content
        self.mark = mark
    }

    /// The scalar's text, or nil for a sequence or mapping.
    public var scalar: String? {
        if case .scalar(let text, _) = content { text } else { nil }
    }

    /// The sequence's items, or nil for a scalar or mapping.
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { items } else { nil }
    }

    /// The mapping's pairs, or nil for a scalar or sequence.
    public var mapping: [Pair]? {
        if case .mapping(let pairs) = content { pairs } else { nil }
    }

    /// Whether the node is YAML null: `~`, `null`, `Null`, `NULL` or nothing, unquoted.
    public var isNull: Bool {
        guard case .scalar(let text, .plain) = content else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// What kind of node this is, for messages: "a string", "a list", "a mapping".
    public var kind: String {
        switch content {
        case .scalar: isNull ? "null" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
