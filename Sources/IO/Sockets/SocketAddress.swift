#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#endif

/// An address a stream socket can connect to or listen on.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 address in its textual form, with a port.
    case ip(String, port: UInt16)
    /// A Unix domain socket path.
    case unix(String)

    /// An address to listen on from `HOST:PORT`, the host an IP literal (`[::1]:8080` for IPv6;
    /// `localhost` is 127.0.0.1); nil for anything else.
    public init?(listening text: String) {
        var host = Substring(text)
        var portText: Substring = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText), Self.isIPLiteral(String(host)) else { return nil }
        self = .ip(String(host), port: port)
    }

    /// `127.0.0.1:1883`, `[::1]:1883` or the socket path.
    public var description: String {
        switch self {
        case .ip(let address, let port): address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        case .unix(let path): path
        }
    }

    /// The port of an IP address; nil for a Unix socket.
    public var port: UInt16? {
        if case .ip(_, let port) = self { port } else { nil }
    }

    /// Whether `text` is an IPv4 or IPv6 literal (so it needs no resolution, and TLS must not send
    /// it as a server name).
    public static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Calls `body` with the C address and its length.
    func withSockAddr<Result>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(IOError) -> Result
    ) throws(IOError) -> Result {
        switch self {
        case .ip(let text, let port):
            var v4 = sockaddr_in()
            if inet_pton(AF_INET, text, &v4.sin_addr) == 1 {
                v4.sin_family = sa_family_t(AF_INET)
                v4.sin_port = port.bigEndian
                return try withUnsafePointer(to: &v4) { (pointer) throws(IOError) in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(IOError) in
                        try body(address, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var v6 = sockaddr_in6()
            guard inet_pton(AF_INET6, text, &v6.sin6_addr) == 1 else {
                throw .invalidAddress("'\(text)' is not an IP address")
            }
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            return try withUnsafePointer(to: &v6) { (pointer) throws(IOError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(IOError) in
                    try body(address, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            guard !bytes.isEmpty, bytes.count < capacity else {
                throw .invalidAddress("Unix socket path must be 1 to \(capacity - 1) bytes: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return try withUnsafePointer(to: &address) { (pointer) throws(IOError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(IOError) in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    var family: Int32 {
        switch self {
        case .ip(let text, _): text.contains(":") ? AF_INET6 : AF_INET
        case .unix: AF_UNIX
        }
    }

    /// The address of a socket in textual form.
    static func from(_ storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return .ip(
                        String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self),
                        port: UInt16(bigEndian: pointer.pointee.sin_port)
                    )
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return .ip(
                        String(decoding: text.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self),
                        port: UInt16(bigEndian: pointer.pointee.sin6_port)
                    )
                }
            }
        default:
            return nil
        }
    }
}
