public import MQTTCodec

/// What went wrong with a client operation or connection, said so a person can act on it.
public enum MQTTClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A broker URL that cannot be used, and why.
    case invalidURL(String, String)
    /// A client option that cannot be used, and why.
    case invalidConfiguration(String)
    /// The broker refused the connection (CONNACK), with its reason string if it sent one.
    case refused(ReasonCode, reasonString: String?)
    /// The broker could not be reached: resolution, TCP connect or timeout.
    case unreachable(String)
    /// TLS failed: verification, handshake or the client's certificates.
    case tls(String)
    /// The broker broke the protocol (a malformed packet or a protocol error).
    case protocolViolation(String)
    /// The broker closed the connection with a DISCONNECT, with its reason.
    case disconnectedByServer(ReasonCode, reasonString: String?)
    /// The broker stopped answering within one and a half keep-alive periods.
    case keepAliveTimeout
    /// The connection was lost (reset, closed by the peer).
    case connectionLost(String)
    /// The broker acknowledged with a failure code (PUBACK, PUBREC, SUBACK, UNSUBACK).
    case rejected(ReasonCode, reasonString: String?)
    /// A packet we would send is not allowed, e.g. larger than the broker's maximum packet size.
    case invalidPacket(String)
    /// The client has been stopped.
    case stopped

    /// One line, e.g. `the broker refused the connection: 0x86 (Bad User Name or Password)`.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason): "invalid broker URL '\(url)': \(reason)"
        case .invalidConfiguration(let reason): "invalid configuration: \(reason)"
        case .refused(let code, let text):
            "the broker refused the connection: \(code)\(text.map { " \"\($0)\"" } ?? "")"
        case .unreachable(let reason): "cannot reach the broker: \(reason)"
        case .tls(let reason): reason
        case .protocolViolation(let reason): "protocol error: \(reason)"
        case .disconnectedByServer(let code, let text):
            "the broker closed the connection: \(code)\(text.map { " \"\($0)\"" } ?? "")"
        case .keepAliveTimeout: "the broker stopped answering (keep alive timed out)"
        case .connectionLost(let reason): "the connection was lost: \(reason)"
        case .rejected(let code, let text): "the broker rejected the request: \(code)\(text.map { " \"\($0)\"" } ?? "")"
        case .invalidPacket(let reason): "cannot send: \(reason)"
        case .stopped: "the client is stopped"
        }
    }
}
