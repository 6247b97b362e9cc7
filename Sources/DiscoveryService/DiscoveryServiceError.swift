import MQTTClient
public import MQTTSession

/// What stops discovery from running, said so a person can act on it.
public enum DiscoveryServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A secret (password, certificate, key) could not be read; names where it should come from,
    /// never its value.
    case secret(broker: String, what: String, reason: String)
    /// The MQTT client refused the broker's settings.
    case client(broker: String, MQTTClientError)

    /// E.g. `broker mqtts://plant:8883: the password (file /run/secrets/p): No such file…`.
    public var description: String {
        switch self {
        case .secret(let broker, let what, let reason): "broker \(broker): \(what): \(reason)"
        case .client(let broker, let error): "broker \(broker): \(error)"
        }
    }
}
