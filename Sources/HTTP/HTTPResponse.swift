/// An HTTP/1.1 response to send.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// Header fields besides `Content-Length` and `Connection`, which ``encode(keepAlive:)`` adds.
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]

    /// A response with a body.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain` response of `text` and a newline.
    public static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
            body: Array((text + "\n").utf8)
        )
    }

    /// An `application/json` response.
    public static func json(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: Array(text.utf8)
        )
    }

    /// The bytes on the wire; `includeBody` false answers a HEAD request.
    public func encode(keepAlive: Bool, includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody { bytes += body }
        return bytes
    }

    /// The head of a response whose body streams for as long as the connection lives (Server-Sent
    /// Events): no length, so the connection closing ends it (RFC 9112 §6.3, item 8).
    public static func streamHead(status: HTTPStatus = .ok, headers: HTTPHeaders) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reason)\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8)
    }
}
