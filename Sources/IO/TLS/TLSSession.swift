internal import COpenSSLLoader

/// One TLS client session over memory BIOs: the connection feeds it the ciphertext it reads and
/// sends the ciphertext it produces. OpenSSL never sees the socket, so TLS is a byte transform the
/// event loop drives like any other.
final class TLSSession {
    private let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL.
    private let networkIn: OpaquePointer
    /// Ciphertext from OpenSSL, to send.
    private let networkOut: OpaquePointer
    private let verifyPeer: Bool

    /// The result of a handshake step.
    enum Handshake {
        case done
        case needsMoreData
        case failed(TLSError)
    }

    /// The result of reading plaintext.
    enum Read {
        case data([UInt8])
        case needsMoreData
        case closed
        case failed(TLSError)
    }

    /// A session for connecting to `host` (the name or address the connection goes to).
    init(context: TLSContext, host: String) throws(TLSError) {
        guard let ssl = copenssl_SSL_new(context.pointer) else {
            throw TLSError(.configuration, OpenSSLErrors.drain() ?? "SSL_new failed")
        }
        guard let input = copenssl_BIO_new(copenssl_BIO_s_mem()), let output = copenssl_BIO_new(copenssl_BIO_s_mem())
        else {
            copenssl_SSL_free(ssl)
            throw TLSError(.configuration, "BIO_new failed")
        }
        self.ssl = ssl
        self.networkIn = input
        self.networkOut = output
        self.verifyPeer = context.configuration.verifyPeer
        copenssl_SSL_set_bio(ssl, input, output)  // the SSL owns both BIOs from here on
        copenssl_SSL_set_connect_state(ssl)

        let name = context.configuration.serverName ?? host
        if SocketAddress.isIPLiteral(name) {
            // RFC 6066 §3: no SNI for addresses; check the certificate's IP address entries.
            if verifyPeer && copenssl_X509_VERIFY_PARAM_set1_ip_asc(copenssl_SSL_get0_param(ssl), name) != 1 {
                throw TLSError(.configuration, "cannot check the certificate against address \(name)")
            }
        } else {
            _ = copenssl_set_server_name(ssl, name)
            if verifyPeer && copenssl_SSL_set1_host(ssl, name) != 1 {
                throw TLSError(.configuration, "cannot check the certificate against host \(name)")
            }
        }
    }

    deinit {
        copenssl_SSL_free(ssl)
    }

    /// Advances the handshake.
    func handshake() -> Handshake {
        let result = copenssl_SSL_do_handshake(ssl)
        if result == 1 { return .done }
        switch copenssl_SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .needsMoreData
        default:
            return .failed(failure(stage: .handshake))
        }
    }

    /// Hands ciphertext read from the network to OpenSSL.
    func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard let base = ciphertext.baseAddress, !ciphertext.isEmpty else { return }
        // A memory BIO grows as needed, so the write takes everything.
        _ = copenssl_BIO_write(networkIn, base, Int32(ciphertext.count))
    }

    /// Appends the ciphertext OpenSSL has produced to `output`.
    func drainCiphertext(into output: inout [UInt8]) {
        let pending = Int(copenssl_BIO_ctrl_pending(networkOut))
        guard pending > 0 else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: pending))
        output.withUnsafeMutableBufferPointer { buffer in
            _ = copenssl_BIO_read(networkOut, buffer.baseAddress! + start, Int32(pending))
        }
    }

    /// Decrypts what the fed ciphertext holds, up to `capacity` bytes at a time.
    func readPlaintext(capacity: Int = 65_536) -> Read {
        var status: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            status = copenssl_SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
            count = status > 0 ? Int(status) : 0
        }
        if status > 0 { return .data(bytes) }
        switch copenssl_SSL_get_error(ssl, status) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsMoreData
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed(failure(stage: .handshake))
        }
    }

    /// Encrypts `plaintext`; the ciphertext is then drained with ``drainCiphertext(into:)``.
    func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard let base = plaintext.baseAddress, !plaintext.isEmpty else { return }
        let written = copenssl_SSL_write(ssl, base, Int32(plaintext.count))
        // With memory BIOs and no renegotiation a write completes whole or fails.
        guard written == Int32(plaintext.count) else { throw failure(stage: .handshake) }
    }

    /// Sends a close_notify alert (its ciphertext is then drained).
    func shutdown() {
        _ = copenssl_SSL_shutdown(ssl)
    }

    /// The error of the last call: a certificate problem if verification failed, else OpenSSL's
    /// queued reasons.
    private func failure(stage: TLSError.Stage) -> TLSError {
        let verification = copenssl_SSL_get_verify_result(ssl)
        let queued = OpenSSLErrors.drain()
        if verifyPeer && verification != X509_V_OK {
            let reason = copenssl_X509_verify_cert_error_string(verification).flatMap { String(validatingCString: $0) }
            return TLSError(.verification, reason ?? "certificate verify failed (\(verification))")
        }
        return TLSError(stage, queued ?? "the TLS stream failed")
    }
}
