public import HPACK

/// The field sections of gRPC over HTTP/2 ("PROTOCOL-HTTP2.md" in grpc/grpc): what a call's
/// request, response and trailers carry, and what each end checks of the other's.
public enum GRPCHeaders {
    /// `application/grpc`: protobuf messages, the only content type spoken here.
    public static let contentType = "application/grpc"

    /// A call's request head: POST to `/package.Service/Method`, `te: trailers`, and the
    /// deadline as `grpc-timeout` when there is one.
    public static func request(
        path: String,
        authority: String,
        timeout: Duration? = nil,
        metadata: [HeaderField] = []
    ) -> [HeaderField] {
        var fields = [
            HeaderField(":method", "POST"),
            HeaderField(":scheme", "http"),
            HeaderField(":path", path),
            HeaderField(":authority", authority),
            HeaderField("content-type", contentType),
            HeaderField("te", "trailers"),
            HeaderField("user-agent", "mqtt-discovery"),
        ]
        if let timeout { fields.append(HeaderField("grpc-timeout", GRPCTimeout.encode(timeout))) }
        return fields + metadata
    }

    /// The response head of a call that will send messages.
    public static let response = [HeaderField(":status", "200"), HeaderField("content-type", contentType)]

    /// The trailers that end a call.
    public static func trailers(_ status: GRPCStatus) -> [HeaderField] {
        var fields = [HeaderField("grpc-status", String(status.code.rawValue))]
        if !status.message.isEmpty {
            fields.append(HeaderField("grpc-message", GRPCStatus.percentEncoded(status.message)))
        }
        return fields
    }

    /// A trailers-only response: the head and the status in one section, for a call that ends
    /// before any message (an error, say).
    public static func trailersOnly(_ status: GRPCStatus) -> [HeaderField] {
        response + trailers(status)
    }

    /// What a server makes of a request head.
    public struct Request: Sendable, Equatable {
        /// `/package.Service/Method`.
        public var path: String
        /// The deadline the client set (`grpc-timeout`), if any.
        public var timeout: Duration?
        /// Custom metadata: the fields that are neither pseudo-header fields nor gRPC's own.
        public var metadata: [HeaderField] = []
    }

    /// Why a server refuses a request head before it reaches a method: a plain HTTP status
    /// (the request is not gRPC at all) or a gRPC status.
    public enum Refusal: Error, Equatable, Sendable {
        /// Answer with this HTTP status and no gRPC.
        case http(Int, String)
        /// Answer with a trailers-only response.
        case grpc(GRPCStatus)
    }

    /// Reads a request head as a gRPC server must: POST (else 405), a content type starting with
    /// `application/grpc` (else 415), no compression it did not announce (UNIMPLEMENTED), and
    /// a valid `grpc-timeout` if any.
    public static func parseRequest(_ fields: [HeaderField]) throws(Refusal) -> Request {
        func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
        guard value(":method") == "POST" else { throw .http(405, "gRPC calls are POST requests") }
        guard let type = value("content-type"),
            type == contentType || type.hasPrefix(contentType + "+")
                || type.hasPrefix(contentType + ";")
        else { throw .http(415, "the content type is not application/grpc") }
        if let encoding = value("grpc-encoding"), encoding != "identity" {
            throw .grpc(GRPCStatus(.unimplemented, "grpc-encoding \(encoding) is not supported (identity only)"))
        }
        var timeout: Duration?
        if let text = value("grpc-timeout") {
            guard let parsed = GRPCTimeout.parse(text) else {
                throw .grpc(GRPCStatus(.invalidArgument, "grpc-timeout '\(text)' is not a timeout"))
            }
            timeout = parsed
        }
        let reserved: Set<String> = [
            "content-type", "te", "user-agent", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding",
        ]
        let metadata = fields.filter { !$0.name.hasPrefix(":") && !reserved.contains($0.name) }
        return Request(path: value(":path") ?? "", timeout: timeout, metadata: metadata)
    }

    /// What a client makes of a response head: nil when the call goes on (200 and gRPC's content
    /// type, no status yet), else the status that ends it (a trailers-only response, or an HTTP
    /// error mapped to its gRPC code).
    public static func responseStatus(_ fields: [HeaderField]) -> GRPCStatus? {
        func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
        let http = value(":status").flatMap { Int($0) } ?? 0
        guard http == 200 else { return GRPCStatus.forHTTPStatus(http) }
        if value("grpc-status") != nil { return status(fields) }
        guard let type = value("content-type"), type.hasPrefix(contentType) else {
            return GRPCStatus(.unknown, "the response's content type is not application/grpc")
        }
        return nil
    }

    /// The status trailers carry (`grpc-status`, `grpc-message` decoded); a missing or unreadable
    /// status is UNKNOWN, as a call cannot be taken to have succeeded.
    public static func status(_ fields: [HeaderField]) -> GRPCStatus {
        guard let text = fields.first(where: { $0.name == "grpc-status" })?.value, let code = Int(text) else {
            return GRPCStatus(.unknown, "the call ended without a grpc-status")
        }
        let message = fields.first { $0.name == "grpc-message" }.map { GRPCStatus.percentDecoded($0.value) } ?? ""
        return GRPCStatus(GRPCStatus.Code(rawValue: code), message)
    }
}
