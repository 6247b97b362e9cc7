public import IO
public import MQTTSession

/// Everything a client needs to connect to one broker and keep its session: the session's own
/// settings (``SessionConfiguration``, whose fields read and write as if they were this type's),
/// and how to reach the broker: TLS and reconnecting.
@dynamicMemberLookup
public struct ClientConfiguration: Sendable {
    /// The session: broker URL, client identifier, protocol version, keep alive, limits.
    public var session: SessionConfiguration
    /// TLS settings; used when the URL's scheme is `ssl` or `mqtts` (the default verifies the
    /// broker against the system's certificate authorities).
    public var tls: TLSConfiguration
    /// How to retry after a connection fails or is lost; nil never retries.
    public var reconnect: Backoff?

    /// A configuration for `url`. Without a client identifier, a stable one is derived from this
    /// host and the URL (see ``ClientIdentifier/stable(for:prefix:)``). The defaults keep a
    /// persistent session for a day, with a 60-second keep alive and automatic reconnects.
    public init(url: BrokerURL, clientIdentifier: String? = nil) {
        session = SessionConfiguration(
            url: url,
            clientIdentifier: clientIdentifier ?? ClientIdentifier.stable(for: url.description)
        )
        tls = TLSConfiguration()
        reconnect = Backoff()
    }

    /// A setting of the session, e.g. `configuration.keepAlive`.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<SessionConfiguration, Value>) -> Value {
        get { session[keyPath: keyPath] }
        set { session[keyPath: keyPath] = newValue }
    }
}

extension ClientConfiguration {
    /// A password as tools take one: the first line of `file` when given, else `variable`'s
    /// value (an environment variable's, say), else none. Kept out of command lines, where `ps`
    /// would show it.
    public static func password(file: String?, variable: String?) throws(IOError) -> [UInt8]? {
        if let file {
            let bytes = try FileSystem.read(file, limit: 1 << 20)
            return Array(bytes.prefix { $0 != UInt8(ascii: "\n") })
        }
        return variable.map { Array($0.utf8) }
    }
}
