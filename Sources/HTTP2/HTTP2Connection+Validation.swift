import HPACK

/// The rules of RFC 9113 §8 for field sections: a section that breaks them is malformed, a
/// stream error of type PROTOCOL_ERROR (§8.1.1).
extension HTTP2Connection {
    /// Fields that belong to HTTP/1.1 connections and make an HTTP/2 message malformed (§8.2.2).
    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    /// What is wrong with a request head, or nil (§8.3.1).
    static func requestProblem(_ fields: [HeaderField]) -> String? {
        if let problem = commonProblem(fields, allowed: ["method", "scheme", "path", "authority"]) { return problem }
        let method = fields.filter { $0.name == ":method" }
        let scheme = fields.filter { $0.name == ":scheme" }
        let path = fields.filter { $0.name == ":path" }
        guard method.count == 1 else { return "a request needs one :method (RFC 9113 §8.3.1)" }
        if method[0].value == "CONNECT" { return nil }
        guard scheme.count == 1, path.count == 1, !path[0].value.isEmpty else {
            return "a request needs one :scheme and one non-empty :path (RFC 9113 §8.3.1)"
        }
        return nil
    }

    /// What is wrong with a response head, or nil (§8.3.2).
    static func responseProblem(_ fields: [HeaderField]) -> String? {
        if let problem = commonProblem(fields, allowed: ["status"]) { return problem }
        let status = fields.filter { $0.name == ":status" }
        guard status.count == 1, status[0].value.utf8.count == 3, status[0].value.allSatisfy(\.isASCII),
            Int(status[0].value) != nil
        else { return "a response needs one three-digit :status (RFC 9113 §8.3.2)" }
        return nil
    }

    /// What is wrong with trailers, or nil: no pseudo-header fields (§8.1).
    static func trailersProblem(_ fields: [HeaderField]) -> String? {
        commonProblem(fields, allowed: [])
    }

    static func isInformational(_ fields: [HeaderField]) -> Bool {
        fields.first { $0.name == ":status" }?.value.hasPrefix("1") == true
    }

    /// Checks every section shares: names in lowercase without separators (§8.2.1), pseudo-header
    /// fields known and before the others (§8.3), no connection-specific fields and `te` only as
    /// "trailers" (§8.2.2).
    private static func commonProblem(_ fields: [HeaderField], allowed: Set<String>) -> String? {
        var regularSeen = false
        for field in fields {
            let name = field.name.utf8
            guard !name.isEmpty,
                !name.contains(where: { (0x41...0x5A).contains($0) || $0 <= 0x20 || $0 >= 0x7F || $0 == 0x3A })
                    || name.first == 0x3A
                        && !name.dropFirst().contains(where: { (0x41...0x5A).contains($0) || $0 == 0x3A })
            else { return "the field name '\(field.name)' is not lowercase token characters (RFC 9113 §8.2.1)" }
            if name.first == 0x3A {
                guard !regularSeen else {
                    return "the pseudo-header field \(field.name) after a regular field (RFC 9113 §8.3)"
                }
                guard allowed.contains(String(field.name.dropFirst())) else {
                    return "the pseudo-header field \(field.name) does not belong here (RFC 9113 §8.3)"
                }
            } else {
                regularSeen = true
                if connectionSpecific.contains(field.name) {
                    return "the connection-specific field \(field.name) (RFC 9113 §8.2.2)"
                }
                if field.name == "te", field.value != "trailers" {
                    return "te other than \"trailers\" (RFC 9113 §8.2.2)"
                }
            }
        }
        return nil
    }
}
