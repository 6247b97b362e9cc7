/// Reads HTTP/1.0 and 1.1 requests from a byte stream, one after another (pipelined requests
/// included), with limits on the head and the body so a client cannot make a server buffer
/// without bound.
///
/// Strict where RFC 9112 lets a server be: lines end in CRLF, no obsolete line folding, a Host
/// header on HTTP/1.1, no `Transfer-Encoding` on requests (501: nothing we serve takes a body),
/// and one Content-Length.
public struct HTTPRequestParser: Sendable {
    /// The longest request line plus headers accepted.
    public let maximumHeadSize: Int
    /// The longest body accepted.
    public let maximumBodySize: Int
    private var buffer: [UInt8] = []
    private var offset = 0

    /// A parser with these limits.
    public init(maximumHeadSize: Int = 16_384, maximumBodySize: Int = 65_536) {
        self.maximumHeadSize = maximumHeadSize
        self.maximumBodySize = maximumBodySize
    }

    /// Bytes received and not yet consumed by a request.
    public var bufferedByteCount: Int { buffer.count - offset }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        if offset > 0, offset == buffer.count || offset >= 65_536 {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer += bytes
    }

    /// The next complete request, nil when more bytes are needed. After an error the stream is
    /// out of step: answer with the error's status and close.
    public mutating func next() throws(HTTPError) -> HTTPRequest? {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while offset + 1 < buffer.count, buffer[offset] == 13, buffer[offset + 1] == 10 { offset += 2 }
        guard let headEnd = try MessageHead.end(in: buffer[offset...], limit: maximumHeadSize) else { return nil }
        let head = try MessageHead.parse(buffer[offset..<headEnd])
        let parts = head.startLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.allSatisfy(isTokenByte) else {
            throw HTTPError(.badRequest, "a malformed request line")
        }
        guard let version = MessageHead.version(parts[2]) else {
            throw HTTPError(.badRequest, "a malformed HTTP version '\(parts[2])'")
        }
        guard version.major == 1, version.minor <= 1 else {
            throw HTTPError(.versionNotSupported, "HTTP/\(version.major).\(version.minor) is not supported")
        }
        // RFC 9112 §3.2.2: a server MUST accept the absolute-form (`http://host/path`), and uses
        // the host in it; what it serves is the path and query.
        let target = Self.originForm(parts[1])
        guard target.hasPrefix("/") || (parts[0] == "OPTIONS" && target == "*") else {
            throw HTTPError(.badRequest, "a request target that is not an absolute path")
        }
        guard target.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw HTTPError(.badRequest, "a request target with spaces or control characters")
        }
        if version.minor == 1, head.headers["Host"] == nil {
            throw HTTPError(.badRequest, "an HTTP/1.1 request without a Host header")
        }
        if !head.headers.values("Transfer-Encoding").isEmpty {
            throw HTTPError(.notImplemented, "request bodies with Transfer-Encoding are not accepted")
        }
        let length = try MessageHead.contentLength(head.headers) ?? 0
        guard length <= maximumBodySize else {
            throw HTTPError(.contentTooLarge, "a body of \(length) bytes is over \(maximumBodySize)")
        }
        guard buffer.count - headEnd >= length else { return nil }
        let body = Array(buffer[headEnd..<(headEnd + length)])
        offset = headEnd + length
        if offset == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 65_536)
            offset = 0
        }
        return HTTPRequest(
            method: String(parts[0]),
            target: String(target),
            version: version,
            headers: head.headers,
            body: body
        )
    }

    /// The path and query of an absolute-form target (`http://host:8080/a?b` → `/a?b`, and `/` when
    /// it has no path); any other target as it is.
    static func originForm(_ target: Substring) -> Substring {
        let lowered = target.prefix(8).lowercased()
        let schemeLength = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return target }
        let afterScheme = target.dropFirst(schemeLength)
        guard let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        let rest = afterScheme[pathStart...]
        return rest.hasPrefix("?") ? "/" + rest : rest
    }
}
