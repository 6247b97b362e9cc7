/// An `http://` URL a client sends requests to, e.g. InfluxDB's write endpoint.
public struct HTTPURL: Hashable, Sendable, CustomStringConvertible {
    /// The host: a name or an IP literal (without brackets).
    public var host: String
    /// The port (80 unless given).
    public var port: UInt16
    /// The path and query, e.g. `/write?db=telemetry`.
    public var target: String

    /// Parses `http://host[:port][/path][?query]`; `https` is refused (not built).
    public init(_ text: String) throws(HTTPError) {
        guard text.hasPrefix("http://") else {
            throw HTTPError(.badRequest, "'\(text)' is not an http:// URL")
        }
        let rest = text.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@") else {
            throw HTTPError(.badRequest, "'\(text)': credentials in the URL are not supported")
        }
        var host = Substring(authority)
        var port: UInt16 = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw HTTPError(.badRequest, "'\(text)': unclosed IPv6 literal")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = UInt16(after.dropFirst()), number > 0 else {
                    throw HTTPError(.badRequest, "'\(text)': bad port")
                }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = UInt16(authority[authority.index(after: colon)...]), number > 0 else {
                throw HTTPError(.badRequest, "'\(text)': bad port")
            }
            port = number
        }
        guard !host.isEmpty else { throw HTTPError(.badRequest, "'\(text)' has no host") }
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The `Host` header value.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// `http://host:port/target`.
    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(target)" }
}
