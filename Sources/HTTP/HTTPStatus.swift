/// An HTTP status code with its reason phrase (RFC 9110 §15).
public struct HTTPStatus: Hashable, Sendable, CustomStringConvertible {
    /// The three-digit code.
    public let code: Int

    /// The status with this code.
    public init(_ code: Int) {
        self.code = code
    }

    /// 200
    public static let ok = HTTPStatus(200)
    /// 204
    public static let noContent = HTTPStatus(204)
    /// 400
    public static let badRequest = HTTPStatus(400)
    /// 404
    public static let notFound = HTTPStatus(404)
    /// 405
    public static let methodNotAllowed = HTTPStatus(405)
    /// 408
    public static let requestTimeout = HTTPStatus(408)
    /// 413
    public static let contentTooLarge = HTTPStatus(413)
    /// 500
    public static let internalServerError = HTTPStatus(500)
    /// 501
    public static let notImplemented = HTTPStatus(501)
    /// 503
    public static let serviceUnavailable = HTTPStatus(503)
    /// 505
    public static let versionNotSupported = HTTPStatus(505)

    /// The reason phrase sent on the status line.
    public var reason: String {
        switch code {
        case 200: "OK"
        case 204: "No Content"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(code)"
        }
    }

    /// Whether this is a 2xx status.
    public var isSuccess: Bool { (200..<300).contains(code) }

    /// E.g. `404 Not Found`.
    public var description: String { "\(code) \(reason)" }
}
