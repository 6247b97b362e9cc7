internal import COpenSSL

/// An OpenSSL `SSL_CTX` configured from a ``TLSConfiguration``: TLS 1.2 or later, the trusted
/// authorities, and the client certificate. Immutable once made; OpenSSL allows sessions to be
/// created from one context on any thread.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let configuration: TLSConfiguration

    init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(.configuration, OpenSSLErrors.drain() ?? "SSL_CTX_new failed")
        }
        pointer = context
        self.configuration = configuration
        guard copenssl_ctx_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw TLSError(.configuration, OpenSSLErrors.drain() ?? "cannot require TLS 1.2")
        }
        SSL_CTX_set_verify(context, configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let caFile = configuration.caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw TLSError(
                    .configuration,
                    "cannot load CA file \(caFile): \(OpenSSLErrors.drain() ?? "unknown error")"
                )
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSError(
                .configuration,
                "cannot load the system CA store: \(OpenSSLErrors.drain() ?? "unknown error")"
            )
        }
        switch (configuration.certificateFile, configuration.privateKeyFile) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TLSError(
                    .configuration,
                    "cannot load certificate \(certificate): \(OpenSSLErrors.drain() ?? "unknown error")"
                )
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError(.configuration, "cannot load key \(key): \(OpenSSLErrors.drain() ?? "unknown error")")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError(.configuration, "the key \(key) does not match the certificate \(certificate)")
            }
        default:
            throw TLSError(.configuration, "a client certificate needs both a certificate file and a key file")
        }
    }

    deinit {
        SSL_CTX_free(pointer)
    }
}

/// OpenSSL reports errors on a per-thread queue; each failure drains it into one message.
enum OpenSSLErrors {
    /// The queued errors as `reason; reason`, or `nil` if the queue is empty. Empties the queue.
    static func drain() -> String? {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0A000086:SSL routines::certificate verify failed" → keep what follows the last "::"/":".
            let reason = text.split(separator: ":", omittingEmptySubsequences: true).last.map(String.init) ?? text
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
