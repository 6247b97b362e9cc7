public import Discovery
import IO
public import MQTTClient
import MQTTSession

extension BrokerSettings {
    /// The MQTT client configuration for this broker: a persistent session (clean start off, the
    /// details' session expiry) under a client identifier that is stable for this host and
    /// `identity` (say, the configuration's name), so nothing published while the handler was
    /// away is lost; the credentials read from wherever the details say they are.
    public func clientConfiguration(
        identity: String,
        environment: [String: String]
    ) throws(DiscoveryServiceError) -> ClientConfiguration {
        var configuration = ClientConfiguration(
            url: url,
            clientIdentifier: clientIdentifier ?? ClientIdentifier.stable(for: "\(url)|\(identity)")
        )
        configuration.protocolVersion = protocolVersion
        configuration.keepAlive = keepAlive
        configuration.cleanStart = false
        configuration.sessionExpiryInterval = sessionExpiry
        configuration.userName = userName
        if let password {
            let bytes = try resolve(password, "the password", environment)
            // A password file's first line is the password (files usually end with a newline).
            configuration.password =
                if case .file = password {
                    Array(bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? [])
                } else { bytes }
        }
        var tls = TLSConfiguration(verifyPeer: !insecureSkipVerify)
        switch ca {
        case .file(let path)?: tls.caFile = path
        case let secret?: tls.caPEM = SecretBytes(try resolve(secret, "the CA certificates", environment))
        case nil: break
        }
        switch certificate {
        case .file(let path)?: tls.certificateFile = path
        case let secret?: tls.certificatePEM = SecretBytes(try resolve(secret, "the client certificate", environment))
        case nil: break
        }
        switch key {
        case .file(let path)?: tls.privateKeyFile = path
        case let secret?: tls.privateKeyPEM = SecretBytes(try resolve(secret, "the client key", environment))
        case nil: break
        }
        configuration.tls = tls
        return configuration
    }

    private func resolve(
        _ secret: Secret,
        _ what: String,
        _ environment: [String: String]
    ) throws(DiscoveryServiceError) -> [UInt8] {
        switch secret {
        case .inline(let bytes):
            return bytes
        case .environment(let name):
            guard let value = environment[name] else {
                throw .secret(broker: "\(url)", what: "\(what) (\(secret))", reason: "the variable is not set")
            }
            return Array(value.utf8)
        case .file(let path):
            do {
                return try FileSystem.read(path, limit: 1 << 20)
            } catch {
                let reason = if case .file(_, let reason) = error { reason } else { "\(error)" }
                throw .secret(broker: "\(url)", what: "\(what) (\(secret))", reason: reason)
            }
        }
    }
}
