import Foundation

/// Certificates for TLS tests, made with the `openssl` command at test time: a CA, a server
/// certificate it signed for `localhost` and `127.0.0.1`, a client certificate for mutual TLS, and
/// a second, unrelated CA that trusts none of them.
public struct Certificates: Sendable {
    /// The CA that signed the server and client certificates.
    public let caFile: String
    /// The server's certificate and key.
    public let serverCertificate: String
    /// The server's key.
    public let serverKey: String
    /// A client certificate signed by the CA.
    public let clientCertificate: String
    /// The client certificate's key.
    public let clientKey: String
    /// A CA that signed nothing here.
    public let otherCAFile: String
    /// A server certificate for a different host name (`elsewhere.example`), signed by the CA.
    public let wrongHostCertificate: String
    /// Its key.
    public let wrongHostKey: String

    /// Makes the certificates in `directory`.
    public static func make(in directory: TemporaryDirectory) async throws -> Certificates {
        let openssl = Machine.which("openssl") ?? "/usr/bin/openssl"
        func run(_ arguments: [String]) async throws {
            let process = try ExternalProcess(openssl, arguments)
            let status = await process.waitForExit()
            guard status == 0 else {
                throw TestSupportError(
                    "openssl \(arguments.joined(separator: " ")) failed (\(status.map(String.init) ?? "still running")): \(process.log)"
                )
            }
        }
        func file(_ name: String) -> String { directory.file(name) }

        for ca in ["ca", "other-ca"] {
            try await run([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", file("\(ca).key"), "-out", file("\(ca).pem"), "-days", "2",
                "-subj", "/CN=mqtt-discovery test \(ca)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        func issue(_ name: String, subject: String, extensions: String) async throws {
            try await run([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", file("\(name).key"), "-out", file("\(name).csr"), "-subj", "/CN=\(subject)",
            ])
            try directory.write("\(name).ext", extensions)
            try await run([
                "x509", "-req", "-in", file("\(name).csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
                "-CAcreateserial", "-out", file("\(name).pem"), "-days", "2", "-extfile", file("\(name).ext"),
            ])
        }
        try await issue(
            "server",
            subject: "localhost",
            extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n"
        )
        try await issue(
            "wrong-host",
            subject: "elsewhere.example",
            extensions: "subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n"
        )
        try await issue("client", subject: "test-client", extensions: "extendedKeyUsage=clientAuth\n")
        return Certificates(
            caFile: file("ca.pem"),
            serverCertificate: file("server.pem"),
            serverKey: file("server.key"),
            clientCertificate: file("client.pem"),
            clientKey: file("client.key"),
            otherCAFile: file("other-ca.pem"),
            wrongHostCertificate: file("wrong-host.pem"),
            wrongHostKey: file("wrong-host.key")
        )
    }
}
