/// Reads the response to one request a client sent: status line, headers, and a body delimited by
/// `Content-Length`, chunked transfer coding, or the connection closing (RFC 9112 §6.3).
public struct HTTPResponseParser: Sendable {
    /// A complete response.
    public struct Response: Sendable {
        /// The status.
        public var status: HTTPStatus
        /// The header fields.
        public var headers: HTTPHeaders
        /// The body, decoded from chunks if it was chunked.
        public var body: [UInt8]
    }

    private var buffer: [UInt8] = []
    private let maximumSize: Int

    /// A parser that refuses responses over `maximumSize` bytes.
    public init(maximumSize: Int = 1 << 20) {
        self.maximumSize = maximumSize
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        buffer += bytes
    }

    /// The response once complete; `closed` says the peer closed the connection, which ends a body
    /// with no length. Nil while more bytes are needed.
    public mutating func response(closed: Bool = false) throws(HTTPError) -> Response? {
        guard buffer.count <= maximumSize else {
            throw HTTPError(.contentTooLarge, "a response over \(maximumSize) bytes")
        }
        guard let headEnd = try MessageHead.end(in: buffer[...], limit: min(maximumSize, 65_536)) else {
            if closed { throw HTTPError(.badRequest, "the connection closed before the response head ended") }
            return nil
        }
        let head = try MessageHead.parse(buffer[..<headEnd])
        let parts = head.startLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let version = MessageHead.version(parts[0]), version.major == 1,
            parts[1].utf8.count == 3, parts[1].utf8.allSatisfy(isDigit), let code = Int(parts[1])
        else {
            throw HTTPError(.badRequest, "a malformed status line '\(head.startLine)'")
        }
        // RFC 9110 §15: status codes are 100 to 599.
        guard (100...599).contains(code) else { throw HTTPError(.badRequest, "status code \(code) is outside 100-599") }
        let status = HTTPStatus(code)
        let rest = buffer[headEnd...]
        if code == 204 || code == 304 || (100..<200).contains(code) {
            return Response(status: status, headers: head.headers, body: [])
        }
        if let coding = head.headers["Transfer-Encoding"] {
            guard coding.lowercased() == "chunked" else {
                throw HTTPError(.notImplemented, "transfer coding '\(coding)'")
            }
            guard let body = try Self.dechunk(rest) else {
                if closed { throw HTTPError(.badRequest, "the connection closed inside a chunked body") }
                return nil
            }
            return Response(status: status, headers: head.headers, body: body)
        }
        if let length = try MessageHead.contentLength(head.headers) {
            guard rest.count >= length else {
                if closed { throw HTTPError(.badRequest, "the connection closed before the body ended") }
                return nil
            }
            return Response(status: status, headers: head.headers, body: Array(rest.prefix(length)))
        }
        return closed ? Response(status: status, headers: head.headers, body: Array(rest)) : nil
    }

    /// The body of a complete chunked message, nil while incomplete (RFC 9112 §7.1).
    private static func dechunk(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> [UInt8]? {
        var body: [UInt8] = []
        var index = bytes.startIndex
        while true {
            guard let lineEnd = Self.lineEnd(bytes, from: index) else { return nil }
            let sizeText = bytes[index..<lineEnd].prefix { $0 != UInt8(ascii: ";") }
            var size = 0
            guard !sizeText.isEmpty, sizeText.count <= 15 else { throw HTTPError(.badRequest, "a bad chunk size") }
            for byte in sizeText {
                guard let digit = hexValue(byte) else { throw HTTPError(.badRequest, "a bad chunk size") }
                size = size << 4 | Int(digit)
            }
            index = lineEnd + 2
            if size == 0 {
                // Trailer fields, then an empty line.
                while true {
                    guard let end = Self.lineEnd(bytes, from: index) else { return nil }
                    if end == index { return body }
                    index = end + 2
                }
            }
            guard bytes.endIndex - index >= size + 2 else { return nil }
            body += bytes[index..<(index + size)]
            index += size
            guard bytes[index] == 13, bytes[index + 1] == 10 else {
                throw HTTPError(.badRequest, "a chunk not followed by CRLF")
            }
            index += 2
        }
    }

    private static func lineEnd(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }
}
