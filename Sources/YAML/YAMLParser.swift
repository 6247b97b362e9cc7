internal import CYAML

/// A YAML text that could not be parsed: libyaml's own explanation, and where.
public struct YAMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. `mapping values are not allowed in this context`.
    public let message: String
    /// Where.
    public let mark: Mark

    /// An error at `mark`.
    public init(_ message: String, at mark: Mark) {
        self.message = message
        self.mark = mark
    }

    /// `LINE:COLUMN: message`.
    public var description: String { "\(mark): \(message)" }
}

/// Parses YAML with libyaml into ``YAMLNode`` trees that remember their positions.
///
/// Text from outside (a Configuration any Kubernetes user may create, a Discover request) is
/// parsed within ``Limits``, checked as the text is read and before anything walks the tree, so
/// no input can exhaust the stack (trees are walked recursively), the heap or the time of the
/// loop doing the parsing.
public enum YAML {
    /// What a text may cost.
    public struct Limits: Hashable, Sendable {
        /// The most bytes of text.
        public var maximumBytes: Int
        /// The most collections nested in one another.
        public var maximumDepth: Int
        /// The most nodes a document may expand to. Aliases can make a small text expand
        /// enormously ("billion laughs").
        public var maximumNodes: Int

        /// Limits.
        public init(maximumBytes: Int, maximumDepth: Int, maximumNodes: Int) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
            self.maximumNodes = maximumNodes
        }

        /// 1 MiB (more than etcd, and so Kubernetes, stores in one object), 64 levels (discovery
        /// details need five), one million nodes.
        public static let standard = Limits(maximumBytes: 1 << 20, maximumDepth: 64, maximumNodes: 1_000_000)
    }

    /// Every document in `text` (a stream may hold several, separated by `---`).
    public static func parseDocuments(_ text: String, limits: Limits = .standard) throws(YAMLError) -> [YAMLNode] {
        let bytes = Array(text.utf8)
        guard bytes.count <= limits.maximumBytes else {
            throw YAMLError(
                "the text is \(bytes.count) bytes; at most \(limits.maximumBytes) are read",
                at: Mark(line: 1, column: 1)
            )
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError("cannot start the YAML parser", at: Mark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> [YAMLNode] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = Builder(limits: limits)
            return try builder.run(&parser)
        }
    }

    /// The first document of `text`; nil when the text holds none (empty, or only comments).
    public static func parse(_ text: String, limits: Limits = .standard) throws(YAMLError) -> YAMLNode? {
        try parseDocuments(text, limits: limits).first
    }
}

/// Turns libyaml's event stream into nodes.
private struct Builder {
    private enum Open {
        case sequence([YAMLNode], Mark, anchor: String?)
        case mapping([YAMLNode.Pair], pendingKey: YAMLNode?, Mark, anchor: String?, keys: Set<String>)
    }

    private let limits: YAML.Limits
    private var stack: [Open] = []
    private var anchors: [String: YAMLNode] = [:]
    private var nodeCount = 0
    private var documents: [YAMLNode] = []
    private var root: YAMLNode?

    init(limits: YAML.Limits) {
        self.limits = limits
    }

    mutating func run(_ parser: inout yaml_parser_t) throws(YAMLError) -> [YAMLNode] {
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.error(parser) }
            defer { yaml_event_delete(&event) }
            let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return documents
            case YAML_DOCUMENT_START_EVENT:
                anchors = [:]
                root = nil
            case YAML_DOCUMENT_END_EVENT:
                if let root { documents.append(root) }
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(
                    decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length),
                    as: UTF8.self
                )
                let style: YAMLNode.ScalarStyle =
                    switch scalar.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: .quoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .plain
                    }
                let node = YAMLNode(.scalar(text, style), at: mark)
                try add(node, anchor: Self.string(scalar.anchor))
            case YAML_SEQUENCE_START_EVENT:
                try enter(at: mark)
                stack.append(.sequence([], mark, anchor: Self.string(event.data.sequence_start.anchor)))
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let items, let start, let anchor)? = stack.popLast() else { continue }
                try add(YAMLNode(.sequence(items), at: start), anchor: anchor)
            case YAML_MAPPING_START_EVENT:
                try enter(at: mark)
                stack.append(
                    .mapping([], pendingKey: nil, mark, anchor: Self.string(event.data.mapping_start.anchor), keys: [])
                )
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let pairs, _, let start, let anchor, _)? = stack.popLast() else { continue }
                try add(YAMLNode(.mapping(pairs), at: start), anchor: anchor)
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else { throw YAMLError("unknown alias '*\(name)'", at: mark) }
                // An alias puts a whole tree where it stands: its depth counts here too (else a
                // chain of aliases would nest without bound in a few bytes).
                guard stack.count + Self.depth(target) <= limits.maximumDepth + 1 else {
                    throw YAMLError(
                        "collections nested deeper than \(limits.maximumDepth) levels (through '*\(name)')",
                        at: mark
                    )
                }
                nodeCount += Self.size(target)
                try add(YAMLNode(target.content, at: mark), anchor: nil)
            default:
                break
            }
        }
    }

    /// A collection opens: refused past the depth limit, as soon as libyaml reports it (libyaml
    /// hands events out as it reads, so a deep text costs no more than its first levels).
    private func enter(at mark: Mark) throws(YAMLError) {
        guard stack.count < limits.maximumDepth else {
            throw YAMLError("collections nested deeper than \(limits.maximumDepth) levels", at: mark)
        }
    }

    private mutating func add(_ node: YAMLNode, anchor: String?) throws(YAMLError) {
        nodeCount += 1
        guard nodeCount <= limits.maximumNodes else {
            throw YAMLError("the document expands to more than \(limits.maximumNodes) nodes (aliases?)", at: node.mark)
        }
        if let anchor { anchors[anchor] = node }
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var items, let mark, let anchor):
            items.append(node)
            stack.append(.sequence(items, mark, anchor: anchor))
        case .mapping(var pairs, let pendingKey, let mark, let anchor, var keys):
            if let key = pendingKey {
                pairs.append(YAMLNode.Pair(key: key, value: node))
                stack.append(.mapping(pairs, pendingKey: nil, mark, anchor: anchor, keys: keys))
            } else {
                if let text = node.scalar, !keys.insert(text).inserted {
                    throw YAMLError("duplicate key '\(text)'", at: node.mark)
                }
                stack.append(.mapping(pairs, pendingKey: node, mark, anchor: anchor, keys: keys))
            }
        }
    }

    /// 1 for a scalar, one more for each level of collections.
    private static func depth(_ node: YAMLNode) -> Int {
        switch node.content {
        case .scalar: 1
        case .sequence(let items): 1 + (items.map(depth).max() ?? 0)
        case .mapping(let pairs): 1 + (pairs.map { max(depth($0.key), depth($0.value)) }.max() ?? 0)
        }
    }

    private static func size(_ node: YAMLNode) -> Int {
        switch node.content {
        case .scalar: 1
        case .sequence(let items): items.reduce(1) { $0 + size($1) }
        case .mapping(let pairs): pairs.reduce(1) { $0 + size($1.key) + size($1.value) }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<UInt8>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func error(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.flatMap { String(validatingCString: $0) } ?? "invalid YAML"
        let context = parser.context.flatMap { String(validatingCString: $0) }
        let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        return YAMLError(context.map { "\(problem) (\($0))" } ?? problem, at: mark)
    }
}
