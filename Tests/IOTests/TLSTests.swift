import IO
import TestSupport
import Testing

/// TLS against a real peer: `openssl s_server -rev`, which answers each line reversed.
@Suite("TLS against openssl s_server", .serialized)
struct TLSTests {
    let directory: TemporaryDirectory
    let certificates: Certificates

    init() async throws {
        directory = try TemporaryDirectory()
        certificates = try await Certificates.make(in: directory)
    }

    /// Starts `openssl s_server` on a port held for it, with the given certificate, and returns once
    /// it says it accepts connections.
    private func server(
        certificate: String? = nil,
        key: String? = nil,
        requireClientCertificate: Bool = false
    ) async throws -> (ExternalProcess, UInt16) {
        let port = try HeldPort()
        var arguments = [
            "s_server", "-accept", "127.0.0.1:\(port.port)", "-cert", certificate ?? certificates.serverCertificate,
            "-key", key ?? certificates.serverKey, "-rev",
        ]
        if requireClientCertificate {
            arguments += ["-Verify", "1", "-CAfile", certificates.caFile]
        }
        let process = try ExternalProcess(try Machine.require("openssl"), arguments)
        try await process.waitForLog(containing: "ACCEPT")
        return (process, port.port)
    }

    /// Sends a line and returns the reversed answer.
    private func exchange(_ connection: Connection, loop: EventLoop) async throws -> String {
        let events = ConnectionEvents()
        try await onLoop(loop) {
            connection.delegate = events
            connection.write(Array("mqtt-discovery\n".utf8))
            connection.flush()
        }
        let answer = try await events.receive(15)
        // A TLS record is read into a 64 KiB buffer; what is handed over must not pin it.
        #expect(events.receivedCapacities.allSatisfy { $0 < 1_024 }, "\(events.receivedCapacities)")
        return String(decoding: answer, as: UTF8.self)
    }

    @Test("a server verified against the CA file, by host name and by address", arguments: ["localhost", "127.0.0.1"])
    func verified(_ host: String) async throws {
        let (server, port) = try await server()
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let connection = try await connect(
            host: host,
            port: port,
            tls: TLSConfiguration(caFile: certificates.caFile),
            on: loop
        ).get()
        #expect(try await exchange(connection, loop: loop) == "yrevocsid-ttqm\n")
    }

    @Test("a certificate from an unknown CA is refused with OpenSSL's reason")
    func wrongCA() async throws {
        let (server, port) = try await server()
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let result = await connect(
            host: "localhost",
            port: port,
            tls: TLSConfiguration(caFile: certificates.otherCAFile),
            on: loop
        )
        #expect(result.failure == .tls(TLSError(.verification, "unable to get local issuer certificate")))
    }

    @Test("a certificate for another host name is refused")
    func wrongHost() async throws {
        let (server, port) = try await server(
            certificate: certificates.wrongHostCertificate,
            key: certificates.wrongHostKey
        )
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let result = await connect(
            host: "localhost",
            port: port,
            tls: TLSConfiguration(caFile: certificates.caFile),
            on: loop
        )
        #expect(result.failure == .tls(TLSError(.verification, "hostname mismatch")))
    }

    @Test("verification off accepts any certificate")
    func insecure() async throws {
        let (server, port) = try await server(
            certificate: certificates.wrongHostCertificate,
            key: certificates.wrongHostKey
        )
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let connection = try await connect(
            host: "localhost",
            port: port,
            tls: TLSConfiguration(verifyPeer: false),
            on: loop
        ).get()
        #expect(try await exchange(connection, loop: loop) == "yrevocsid-ttqm\n")
    }

    @Test("mutual TLS: the client certificate is presented and accepted")
    func mutualTLS() async throws {
        let (server, port) = try await server(requireClientCertificate: true)
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let configuration = TLSConfiguration(
            caFile: certificates.caFile,
            certificateFile: certificates.clientCertificate,
            privateKeyFile: certificates.clientKey
        )
        let connection = try await connect(host: "localhost", port: port, tls: configuration, on: loop).get()
        #expect(try await exchange(connection, loop: loop) == "yrevocsid-ttqm\n")
    }

    @Test("mutual TLS from PEM text in memory: CA, certificate and key never touch a file")
    func mutualTLSFromMemory() async throws {
        let (server, port) = try await server(requireClientCertificate: true)
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        var configuration = TLSConfiguration()
        configuration.caPEM = SecretBytes(try FileSystem.read(certificates.caFile, limit: 1 << 20))
        configuration.certificatePEM = SecretBytes(try FileSystem.read(certificates.clientCertificate, limit: 1 << 20))
        configuration.privateKeyPEM = SecretBytes(try FileSystem.read(certificates.clientKey, limit: 1 << 20))
        #expect("\(configuration)".contains("BEGIN") == false)
        let connection = try await connect(host: "localhost", port: port, tls: configuration, on: loop).get()
        #expect(try await exchange(connection, loop: loop) == "yrevocsid-ttqm\n")
    }

    @Test("PEM text that holds no certificate is a configuration error that says which")
    func garbagePEM() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        var configuration = TLSConfiguration()
        configuration.caPEM = SecretBytes(Array("not a certificate".utf8))
        let (server, port) = try await server()
        defer { withExtendedLifetime(server) {} }
        let result = await connect(host: "localhost", port: port, tls: configuration, on: loop)
        guard case .failure(.tls(let error)) = result else {
            Issue.record("expected a configuration error, got \(result)")
            return
        }
        #expect(error.stage == .configuration)
        #expect(error.reason == "the CA certificates: no PEM certificate found")
    }

    @Test("mutual TLS: without a client certificate the server ends the session")
    func mutualTLSWithoutCertificate() async throws {
        let (server, port) = try await server(requireClientCertificate: true)
        defer { withExtendedLifetime(server) {} }
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let result = await connect(
            host: "localhost",
            port: port,
            tls: TLSConfiguration(caFile: certificates.caFile),
            on: loop
        )
        switch result {
        case .failure(.tls(let error)):
            // TLS 1.2 refuses in the handshake.
            #expect(error.reason.contains("certificate"))
        case .failure(let error):
            Issue.record("unexpected error \(error)")
        case .success(let connection):
            // TLS 1.3 finishes the client's handshake first; the server's alert then ends the stream.
            do {
                _ = try await exchange(connection, loop: loop)
                Issue.record("the server answered without a client certificate")
            } catch let closed as ClosedEarly {
                guard case .tls(let error)? = closed.error else {
                    Issue.record("closed without a TLS error: \(String(describing: closed.error))")
                    return
                }
                #expect(error.reason.contains("certificate required"))
            }
        }
    }

    @Test("a key that does not match its certificate is a configuration error")
    func mismatchedKey() async throws {
        let loop = try EventLoop()
        defer { loop.shutdown() }
        let configuration = TLSConfiguration(
            caFile: certificates.caFile,
            certificateFile: certificates.clientCertificate,
            privateKeyFile: certificates.serverKey
        )
        let (server, port) = try await server()
        defer { withExtendedLifetime(server) {} }
        let result = await connect(host: "localhost", port: port, tls: configuration, on: loop)
        guard case .failure(.tls(let error)) = result else {
            Issue.record("expected a configuration error, got \(result)")
            return
        }
        #expect(error.stage == .configuration)
        #expect(error.reason.hasSuffix("key values mismatch"))
    }
}
