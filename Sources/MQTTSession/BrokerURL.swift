/// Where a broker is: `tcp://` or `mqtt://` (port 1883 by default), `ssl://` or `mqtts://` (8883),
/// a host name, IPv4 address or bracketed IPv6 address, and optionally `user:password@`.
public struct BrokerURL: Hashable, Sendable, CustomStringConvertible {
    /// Whether the connection uses TLS.
    public let usesTLS: Bool
    /// The scheme as written (`tcp`, `mqtt`, `ssl`, `mqtts`).
    public let scheme: String
    /// The host name or address, without brackets.
    public let host: String
    /// The port.
    public let port: UInt16
    /// A user name given in the URL, percent-decoded.
    public let userName: String?
    /// A password given in the URL, percent-decoded. Never shown in ``description``.
    public let password: String?

    /// Parses `text`; the error says what is wrong with it.
    public init(_ text: String) throws(MQTTClientError) {
        func invalid(_ reason: String) -> MQTTClientError { .invalidURL(text, reason) }
        let marker = Array("://")
        let characters = Array(text)
        guard let offset = characters.indices.first(where: { characters[$0...].starts(with: marker) }) else {
            throw invalid("it has no scheme; use tcp://, mqtt://, ssl:// or mqtts://")
        }
        let schemeEnd = text.index(text.startIndex, offsetBy: offset)
        let scheme = text[..<schemeEnd].lowercased()
        switch scheme {
        case "tcp", "mqtt": usesTLS = false
        case "ssl", "mqtts", "tls": usesTLS = true
        default: throw invalid("the scheme '\(scheme)' is not one of tcp, mqtt, ssl, mqtts")
        }
        self.scheme = scheme
        var rest = text[text.index(schemeEnd, offsetBy: 3)...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            let tail = rest[slash...]
            guard tail == "/" else { throw invalid("a broker URL has no path, query or fragment") }
            rest = rest[..<slash]
        }
        var userName: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                userName = try Self.percentDecoded(credentials[..<colon], in: text)
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], in: text)
            } else {
                userName = try Self.percentDecoded(credentials, in: text)
            }
        }
        self.userName = userName
        self.password = password

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("the IPv6 address has no closing ']'") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
            guard host.contains(":") else { throw invalid("'[\(host)]' is not an IPv6 address") }
        } else {
            if let colon = rest.firstIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
            }
            guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }) else {
                throw invalid("'\(host)' is not a host name or address")
            }
        }
        guard !host.isEmpty else { throw invalid("it has no host") }
        self.host = String(host)
        if let portText {
            guard let port = UInt16(portText), port > 0 else { throw invalid("'\(portText)' is not a port (1-65535)") }
            self.port = port
        } else {
            self.port = usesTLS ? 8883 : 1883
        }
    }

    /// The URL without credentials, e.g. `ssl://[::1]:8883`: safe to log and to hand to others.
    public var description: String {
        "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    private static func percentDecoded(_ text: Substring, in url: String) throws(MQTTClientError) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                    let high = Character(UnicodeScalar(utf8[first])).hexDigitValue,
                    let low = Character(UnicodeScalar(utf8[utf8.index(after: first)])).hexDigitValue
                else {
                    throw .invalidURL(url, "a '%' in the credentials is not followed by two hex digits")
                }
                bytes.append(UInt8(high << 4 | low))
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .invalidURL(url, "the credentials are not valid UTF-8")
        }
        return decoded
    }
}
