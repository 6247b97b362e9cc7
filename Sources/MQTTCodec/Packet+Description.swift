extension Packet: CustomStringConvertible {
    /// One line a person can read, e.g.
    /// `PUBLISH topic="a/b" qos=1 id=7 retain payload="hi" {Content Type="text/plain"}`.
    /// Passwords and authentication data are shown only by their length.
    public var description: String {
        var parts = [type.description]
        switch self {
        case .connect(let p):
            parts.append("version=\(p.protocolVersion)")
            parts.append("client-id=\(quoted(p.clientIdentifier))")
            if p.cleanStart { parts.append("clean-start") }
            parts.append("keep-alive=\(p.keepAlive)")
            if let user = p.userName { parts.append("user=\(quoted(user))") }
            if let password = p.password { parts.append("password=<\(password.count) bytes>") }
            if let will = p.will {
                var willParts = [
                    "topic=\(quoted(will.topic))", "qos=\(will.qos)", "payload=\(render(will.payload[...]))",
                ]
                if will.retain { willParts.append("retain") }
                willParts.append(contentsOf: propertyList(will.properties))
                parts.append("will={\(willParts.joined(separator: " "))}")
            }
            parts.append(contentsOf: propertyList(p.properties))
        case .connack(let p):
            if p.sessionPresent { parts.append("session-present") }
            parts.append("reason=\(p.reasonCode)")
            parts.append(contentsOf: propertyList(p.properties))
        case .publish(let p):
            parts.append("topic=\(quoted(p.topicName))")
            parts.append("qos=\(p.qos)")
            if let id = p.packetIdentifier { parts.append("id=\(id)") }
            if p.retain { parts.append("retain") }
            if p.duplicate { parts.append("dup") }
            parts.append("payload=\(render(p.payload))")
            parts.append(contentsOf: propertyList(p.properties))
        case .puback(let p), .pubrec(let p), .pubrel(let p), .pubcomp(let p):
            parts.append("id=\(p.packetIdentifier)")
            if p.reasonCode != .success { parts.append("reason=\(p.reasonCode)") }
            parts.append(contentsOf: propertyList(p.properties))
        case .subscribe(let p):
            parts.append("id=\(p.packetIdentifier)")
            for subscription in p.subscriptions {
                var options = "qos=\(subscription.qos)"
                if subscription.noLocal { options += ",no-local" }
                if subscription.retainAsPublished { options += ",retain-as-published" }
                if subscription.retainHandling != .sendOnSubscribe {
                    options += ",retain-handling=\(subscription.retainHandling.rawValue)"
                }
                parts.append("\(quoted(subscription.topicFilter))(\(options))")
            }
            parts.append(contentsOf: propertyList(p.properties))
        case .suback(let p), .unsuback(let p):
            parts.append("id=\(p.packetIdentifier)")
            if !p.reasonCodes.isEmpty {
                parts.append("reasons=[\(p.reasonCodes.map { $0.name(in: type) }.joined(separator: ", "))]")
            }
            parts.append(contentsOf: propertyList(p.properties))
        case .unsubscribe(let p):
            parts.append("id=\(p.packetIdentifier)")
            parts.append(contentsOf: p.topicFilters.map(quoted))
            parts.append(contentsOf: propertyList(p.properties))
        case .pingreq, .pingresp:
            break
        case .disconnect(let p):
            parts.append("reason=\(p.reasonCode.name(in: .disconnect))")
            parts.append(contentsOf: propertyList(p.properties))
        case .auth(let p):
            parts.append("reason=\(p.reasonCode.name(in: .auth))")
            parts.append(contentsOf: propertyList(p.properties))
        }
        return parts.joined(separator: " ")
    }
}

private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            result += "\\u{\(String(scalar.value, radix: 16))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// A payload as quoted text when it is short printable UTF-8, else by its size and first bytes.
private func render(_ payload: ArraySlice<UInt8>) -> String {
    if payload.count <= 80, let text = String(validating: payload, as: UTF8.self),
        !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
    {
        return quoted(text)
    }
    let head = payload.prefix(16).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
    return "<\(payload.count) bytes: \(head.joined(separator: " "))\(payload.count > 16 ? " …" : "")>"
}

/// The properties that are set, as `{Name=value ...}`; secrets only by length.
private func propertyList(_ properties: some Sendable) -> [String] {
    var entries: [String] = []
    for child in Mirror(reflecting: properties).children {
        guard let label = child.label else { continue }
        let value = child.value
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let some = mirror.children.first?.value else { continue }
            entries.append("\(label)=\(renderValue(some, label: label))")
        } else if let pairs = value as? [UserProperty] {
            entries += pairs.map { "\(quoted($0.name))=\(quoted($0.value))" }
        } else if let identifiers = value as? [UInt32], !identifiers.isEmpty {
            entries.append("\(label)=\(identifiers.map(String.init).joined(separator: ","))")
        }
    }
    return entries.isEmpty ? [] : ["{\(entries.joined(separator: " "))}"]
}

private func renderValue(_ value: Any, label: String) -> String {
    switch value {
    case let text as String: return quoted(text)
    case let bytes as [UInt8]: return label == "authenticationData" ? "<\(bytes.count) bytes>" : render(bytes[...])
    case let format as PayloadFormatIndicator: return format == .utf8 ? "utf8" : "unspecified"
    default: return "\(value)"
    }
}
