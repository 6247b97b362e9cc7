// OpenSSL for the I/O layer. Only the I/O module imports this, and only internally.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

// The following OpenSSL APIs are function-like macros, which Swift cannot call. Each wrapper
// forwards to the macro unchanged.

/// `SSL_set_tlsext_host_name`: sends the server name (SNI) in the ClientHello.
static inline long copenssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// `SSL_CTX_set_min_proto_version`: refuses anything older than `version` (e.g. TLS1_2_VERSION).
static inline long copenssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

/// `SSL_CTX_set_mode`: e.g. SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER.
static inline long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

/// `SSL_CTX_add_extra_chain_cert`: appends an intermediate certificate to the client chain; the
/// context takes ownership of `certificate`.
static inline long copenssl_ctx_add_extra_chain_cert(SSL_CTX *ctx, X509 *certificate) {
    return SSL_CTX_add_extra_chain_cert(ctx, certificate);
}
