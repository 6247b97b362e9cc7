internal import COpenSSLLoader

/// An OpenSSL `SSL_CTX` configured from a ``TLSConfiguration``: TLS 1.2 or later, the trusted
/// authorities, and the client certificate. Immutable once made; OpenSSL allows sessions to be
/// created from one context on any thread.
///
/// `@unchecked Sendable`: never changed after `init`, and OpenSSL documents an `SSL_CTX` as safe
/// to share between threads for creating sessions.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let configuration: TLSConfiguration

    init(_ configuration: TLSConfiguration) throws(TLSError) {
        // OpenSSL is loaded by the first TLS connection, not at start-up (see COpenSSLLoader).
        if let failure = copenssl_load() {
            throw TLSError(.configuration, String(cString: failure))
        }
        guard let context = copenssl_SSL_CTX_new(copenssl_TLS_client_method()) else {
            throw TLSError(.configuration, OpenSSLErrors.drain() ?? "SSL_CTX_new failed")
        }
        pointer = context
        self.configuration = configuration
        guard copenssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw TLSError(.configuration, OpenSSLErrors.drain() ?? "cannot require TLS 1.2")
        }
        copenssl_SSL_CTX_set_verify(context, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let caFile = configuration.caFile {
            guard copenssl_SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSError(
                    .configuration,
                    "cannot load CA file \(caFile): \(OpenSSLErrors.drain() ?? "unknown error")"
                )
            }
        }
        if let pem = configuration.caPEM {
            let certificates = try PEMReader.certificates(pem.bytes, what: "the CA certificates")
            defer { for certificate in certificates { copenssl_X509_free(certificate) } }
            let store = copenssl_SSL_CTX_get_cert_store(context)
            for certificate in certificates where copenssl_X509_STORE_add_cert(store, certificate) != 1 {
                throw TLSError(
                    .configuration,
                    "cannot trust a CA certificate: \(OpenSSLErrors.drain() ?? "unknown error")"
                )
            }
        }
        if configuration.caFile == nil && configuration.caPEM == nil
            && copenssl_SSL_CTX_set_default_verify_paths(context) != 1
        {
            throw TLSError(
                .configuration,
                "cannot load the system CA store: \(OpenSSLErrors.drain() ?? "unknown error")"
            )
        }
        if let certificatePEM = configuration.certificatePEM {
            guard let keyPEM = configuration.privateKeyPEM else {
                throw TLSError(.configuration, "a client certificate needs a key")
            }
            try Self.useClientIdentity(context, certificatePEM.bytes, keyPEM.bytes)
            return
        }
        switch (configuration.certificateFile, configuration.privateKeyFile) {
        case (nil, nil):
            if configuration.privateKeyPEM != nil {
                throw TLSError(.configuration, "a client key needs a certificate")
            }
        case (let certificate?, let key?):
            guard copenssl_SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TLSError(
                    .configuration,
                    "cannot load certificate \(certificate): \(OpenSSLErrors.drain() ?? "unknown error")"
                )
            }
            guard copenssl_SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError(.configuration, "cannot load key \(key): \(OpenSSLErrors.drain() ?? "unknown error")")
            }
            guard copenssl_SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError(.configuration, "the key \(key) does not match the certificate \(certificate)")
            }
        default:
            throw TLSError(.configuration, "a client certificate needs both a certificate file and a key file")
        }
    }

    deinit {
        copenssl_SSL_CTX_free(pointer)
    }

    /// Uses an in-memory certificate chain (leaf first) and key as the client's identity.
    private static func useClientIdentity(
        _ context: OpaquePointer,
        _ certificatePEM: [UInt8],
        _ keyPEM: [UInt8]
    ) throws(TLSError) {
        let chain = try PEMReader.certificates(certificatePEM, what: "the client certificate")
        guard copenssl_SSL_CTX_use_certificate(context, chain[0]) == 1 else {
            for certificate in chain { copenssl_X509_free(certificate) }
            throw TLSError(
                .configuration,
                "cannot use the client certificate: \(OpenSSLErrors.drain() ?? "unknown error")"
            )
        }
        copenssl_X509_free(chain[0])
        // The context takes each intermediate it accepts; the ones it does not are ours to free.
        for index in chain.indices.dropFirst() where copenssl_ctx_add_extra_chain_cert(context, chain[index]) != 1 {
            for certificate in chain[index...] { copenssl_X509_free(certificate) }
            throw TLSError(
                .configuration,
                "cannot add to the certificate chain: \(OpenSSLErrors.drain() ?? "unknown error")"
            )
        }
        let key = try PEMReader.privateKey(keyPEM)
        defer { copenssl_EVP_PKEY_free(key) }
        guard copenssl_SSL_CTX_use_PrivateKey(context, key) == 1 else {
            throw TLSError(.configuration, "cannot use the client key: \(OpenSSLErrors.drain() ?? "unknown error")")
        }
        guard copenssl_SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(.configuration, "the client key does not match the client certificate")
        }
    }
}

/// Reads PEM text held in memory through a read-only memory BIO.
enum PEMReader {
    /// Every certificate in `pem`, in order; at least one. The caller frees them.
    static func certificates(_ pem: [UInt8], what: String) throws(TLSError) -> [OpaquePointer] {
        var certificates: [OpaquePointer] = []
        let result: Result<Void, TLSError> = pem.withUnsafeBytes { bytes in
            guard let bio = copenssl_BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else {
                return .failure(TLSError(.configuration, "BIO_new_mem_buf failed"))
            }
            defer { copenssl_BIO_free(bio) }
            while let certificate = copenssl_PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
            // Reading stops with "no start line" at the end of the text: expected, not an error.
            _ = OpenSSLErrors.drain()
            return .success(())
        }
        try result.get()
        guard !certificates.isEmpty else { throw TLSError(.configuration, "\(what): no PEM certificate found") }
        return certificates
    }

    /// The private key in `pem`. The caller frees it.
    static func privateKey(_ pem: [UInt8]) throws(TLSError) -> OpaquePointer {
        let key: OpaquePointer? = pem.withUnsafeBytes { bytes in
            guard let bio = copenssl_BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
            defer { copenssl_BIO_free(bio) }
            return copenssl_PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            throw TLSError(.configuration, "the client key: \(OpenSSLErrors.drain() ?? "no PEM private key found")")
        }
        return key
    }
}

/// OpenSSL reports errors on a per-thread queue; each failure drains it into one message.
enum OpenSSLErrors {
    /// The queued errors as `reason; reason`, or `nil` if the queue is empty. Empties the queue.
    static func drain() -> String? {
        var reasons: [String] = []
        while true {
            let code = copenssl_ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            copenssl_ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0A000086:SSL routines::certificate verify failed" → keep what follows the last "::"/":".
            let reason = text.split(separator: ":", omittingEmptySubsequences: true).last.map(String.init) ?? text
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
