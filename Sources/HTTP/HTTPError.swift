/// What is wrong with an HTTP message, and the status a server answers it with.
public struct HTTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The response status: 400 for a malformed request, 413 for one over a limit, 501 for a
    /// feature we do not implement, 505 for an HTTP version other than 1.0 and 1.1.
    public let status: HTTPStatus
    /// What was wrong, for the response body and the log, e.g. `header line 3 has no colon`.
    public let message: String

    /// An error answered with `status`.
    public init(_ status: HTTPStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// E.g. `400 Bad Request: header line 3 has no colon`.
    public var description: String { "\(status): \(message)" }
}
