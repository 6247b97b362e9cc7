/// How to secure a client connection.
public struct TLSConfiguration: Hashable, Sendable {
    /// PEM file of the certificate authorities to trust; `nil` (and no ``caPEM``) trusts the
    /// system's store.
    public var caFile: String?
    /// The certificate authorities to trust, as PEM text in memory (from a Kubernetes secret,
    /// say), so secrets need not be written to disk. Used in addition to ``caFile``.
    public var caPEM: SecretBytes?
    /// The client certificate chain as PEM text in memory, instead of ``certificateFile``.
    public var certificatePEM: SecretBytes?
    /// The client key as PEM text in memory, instead of ``privateKeyFile``.
    public var privateKeyPEM: SecretBytes?
    /// PEM file of the client certificate chain, for mutual TLS.
    public var certificateFile: String?
    /// PEM file of the client certificate's private key.
    public var privateKeyFile: String?
    /// Whether to verify the server's certificate and host name. Turning this off is only for
    /// tests and lab setups: anyone on the path can then read and change the traffic.
    public var verifyPeer: Bool
    /// The name to send as SNI and to check the certificate against, when it differs from the
    /// host connected to.
    public var serverName: String?

    /// A configuration that verifies the server against `caFile` (or the system store).
    public init(
        caFile: String? = nil,
        certificateFile: String? = nil,
        privateKeyFile: String? = nil,
        verifyPeer: Bool = true,
        serverName: String? = nil
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.verifyPeer = verifyPeer
        self.serverName = serverName
    }
}

/// Bytes that must not be shown: a key, a password. They print as their size only, so they cannot
/// end up in a log by accident.
public struct SecretBytes: Hashable, Sendable, CustomStringConvertible, CustomReflectable {
    /// The secret.
    public let bytes: [UInt8]

    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// `(secret, N bytes)`.
    public var description: String { "(secret, \(bytes.count) bytes)" }

    /// Shows the description only.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
