/// One HTTP/1.x request as a server received it (RFC 9112 §3).
public struct HTTPRequest: Hashable, Sendable {
    /// The method, e.g. `GET` (case-sensitive, RFC 9110 §9.1).
    public var method: String
    /// The request target as sent, e.g. `/history?topic=a%2Fb&limit=5`.
    public var target: String
    /// The target's path, percent-decoded.
    public var path: String
    /// The query's `name=value` pairs in order, percent-decoded (`+` is kept: topic filters use it).
    public var query: [(name: String, value: String)]
    /// `(1, 1)` for HTTP/1.1.
    public var version: (major: Int, minor: Int)
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body (`Content-Length` bytes).
    public var body: [UInt8]

    /// A request; the path and query come from `target`.
    public init(
        method: String,
        target: String,
        version: (major: Int, minor: Int) = (1, 1),
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        let (path, query) = Self.split(target)
        self.path = path
        self.query = query
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let tokens = headers.values("Connection").flatMap { $0.split(separator: ",") }.map {
            $0.trimmingSpaces().lowercased()
        }
        if version.minor >= 1 { return !tokens.contains("close") }
        return tokens.contains("keep-alive")
    }

    /// The first value of the query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Equal field by field.
    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.version == rhs.version
            && lhs.headers == rhs.headers && lhs.body == rhs.body
    }

    /// Hashes what equality compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(target)
        hasher.combine(headers)
        hasher.combine(body)
    }

    private static func split(_ target: String) -> (String, [(name: String, value: String)]) {
        guard let mark = target.firstIndex(of: "?") else { return (percentDecoded(target) ?? target, []) }
        let path = percentDecoded(String(target[..<mark])) ?? String(target[..<mark])
        let pairs = target[target.index(after: mark)...].split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(String(parts[0])) ?? String(parts[0])
            let value = parts.count > 1 ? (percentDecoded(String(parts[1])) ?? String(parts[1])) : ""
            return (name: name, value: value)
        }
        return (path, pairs)
    }

    /// `%XX` sequences decoded; nil when one is malformed or the result is not UTF-8.
    public static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
