/// Where a gRPC server is: a Unix socket path, or `http://HOST:PORT` (Akri's UDS and NETWORK
/// endpoint types; TLS is not spoken, as between Akri's agent and handlers).
public enum GRPCEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// A Unix domain socket.
    case unix(String)
    /// A TCP address.
    case tcp(host: String, port: UInt16)

    /// Reads Akri's NETWORK form: `http://HOST:PORT`, `HOST` an IPv4 or bracketed IPv6 literal
    /// or a name. Nil for anything else (other schemes, a missing or bad port).
    public init?(networkEndpoint text: String) {
        guard text.hasPrefix("http://") else { return nil }
        var rest = text.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains("/"), let port = UInt16(portText), port > 0 else { return nil }
        self = .tcp(host: String(host), port: port)
    }

    /// The `:authority` a call carries: Akri's dummy `[::1]:50051` for a Unix socket (tonic needs
    /// a URI and ignores it there), `HOST:PORT` for TCP.
    public var authority: String {
        switch self {
        case .unix: "[::1]:50051"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// The path, or `http://HOST:PORT`.
    public var description: String {
        switch self {
        case .unix(let path): path
        case .tcp: "http://\(authority)"
        }
    }
}
