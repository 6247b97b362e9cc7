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
public enum YAML {
    /// Aliases can make a small text expand enormously ("billion laughs"); past this many nodes the
    /// document is refused.
    public static let maximumNodes = 1_000_000

    /// Every document in `text` (a stream may hold several, separated by `---`).
    public static func parseDocuments(_ text: String) throws(YAMLError) -> [YAMLNode] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError("cannot start the YAML parser", at: Mark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> [YAMLNode] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var builder = Builder()
            return try builder.run(&parser)
        }
    }

    /// The first document of `text`; nil when the text holds none (empty, or only comments).
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        try parseDocuments(text).first
    }
}

/// Turns libyaml's event stream into nodes.
private struct Builder {
    private enum Open {
        case sequence([YAMLNode], Mark, anchor: String?)
        case mapping([YAMLNode.Pair], pendingKey: YAMLNode?, Mark, anchor: String?, keys: Set<String>)
    }

    private var stack: [Open] = []
    private var anchors: [String: YAMLNode] = [:]
    private var nodeCount = 0
    private var documents: [YAMLNode] = []
    private var root: YAMLNode?

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
                stack.append(.sequence([], mark, anchor: Self.string(event.data.sequence_start.anchor)))
            case YAML_SEQUENCE_END_EVENT:
                guard case .sequence(let items, let start, let anchor)? = stack.popLast() else { continue }
                try add(YAMLNode(.sequence(items), at: start), anchor: anchor)
            case YAML_MAPPING_START_EVENT:
                stack.append(
                    .mapping([], pendingKey: nil, mark, anchor: Self.string(event.data.mapping_start.anchor), keys: [])
                )
            case YAML_MAPPING_END_EVENT:
                guard case .mapping(let pairs, _, let start, let anchor, _)? = stack.popLast() else { continue }
                try add(YAMLNode(.mapping(pairs), at: start), anchor: anchor)
            case YAML_ALIAS_EVENT:
                let name = Self.string(event.data.alias.anchor) ?? ""
                guard let target = anchors[name] else { throw YAMLError("unknown alias '*\(name)'", at: mark) }
                nodeCount += Self.size(target)
                try add(YAMLNode(target.content, at: mark), anchor: nil)
            default:
                break
            }
        }
    }

    private mutating func add(_ node: YAMLNode, anchor: String?) throws(YAMLError) {
        nodeCount += 1
        guard nodeCount <= YAML.maximumNodes else {
            throw YAMLError("the document expands to more than \(YAML.maximumNodes) nodes (aliases?)", at: node.mark)
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
