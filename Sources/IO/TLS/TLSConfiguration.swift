/// How to secure a client connection.
public struct TLSConfiguration: Hashable, Sendable {
    /// PEM file of the certificate authorities to trust; `nil` trusts the system's store.
    public var caFile: String?
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
