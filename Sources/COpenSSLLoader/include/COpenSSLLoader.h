// OpenSSL for the I/O module, loaded the first time TLS is used.
//
// Linking libssl and libcrypto would map and relocate them in every process at start-up (about
// 2 MiB of resident memory), though most runs never open a TLS connection. Instead the I/O module
// calls OpenSSL through the wrappers below, which load libssl.so.3 (and with it libcrypto.so.3)
// with dlopen on first use. Types and constants come from OpenSSL's own headers; the functions
// themselves must not be called directly (the binary does not link them, so that fails to link).
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/// Loads OpenSSL if it is not loaded yet. Returns NULL once it is usable, or why it is not (the
/// library is missing, or lacks a function we need). Safe from any thread; the work is done once.
const char *copenssl_load(void);

// One wrapper per OpenSSL function the I/O module calls, each forwarding to the loaded library.
// Call copenssl_load() first.
size_t copenssl_BIO_ctrl_pending(BIO *b);
int copenssl_BIO_free(BIO *a);
BIO *copenssl_BIO_new(const BIO_METHOD *type);
BIO *copenssl_BIO_new_mem_buf(const void *buf, int len);
int copenssl_BIO_read(BIO *b, void *data, int dlen);
const BIO_METHOD *copenssl_BIO_s_mem(void);
int copenssl_BIO_write(BIO *b, const void *data, int dlen);
void copenssl_ERR_error_string_n(unsigned long e, char *buf, size_t len);
unsigned long copenssl_ERR_get_error(void);
void copenssl_EVP_PKEY_free(EVP_PKEY *pkey);
EVP_PKEY *copenssl_PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u);
X509 *copenssl_PEM_read_bio_X509(BIO *bp, X509 **x, pem_password_cb *cb, void *u);
int copenssl_SSL_CTX_check_private_key(const SSL_CTX *ctx);
void copenssl_SSL_CTX_free(SSL_CTX *ctx);
X509_STORE *copenssl_SSL_CTX_get_cert_store(const SSL_CTX *ctx);
int copenssl_SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *file, const char *path);
SSL_CTX *copenssl_SSL_CTX_new(const SSL_METHOD *method);
int copenssl_SSL_CTX_set_default_verify_paths(SSL_CTX *ctx);
void copenssl_SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb callback);
int copenssl_SSL_CTX_use_PrivateKey(SSL_CTX *ctx, EVP_PKEY *pkey);
int copenssl_SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type);
int copenssl_SSL_CTX_use_certificate(SSL_CTX *ctx, X509 *x);
int copenssl_SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *file);
int copenssl_SSL_do_handshake(SSL *s);
void copenssl_SSL_free(SSL *ssl);
X509_VERIFY_PARAM *copenssl_SSL_get0_param(SSL *ssl);
const char *copenssl_SSL_get_servername(const SSL *s, const int type);
int copenssl_SSL_get_error(const SSL *s, int ret_code);
long copenssl_SSL_get_verify_result(const SSL *ssl);
SSL *copenssl_SSL_new(SSL_CTX *ctx);
int copenssl_SSL_read(SSL *ssl, void *buf, int num);
int copenssl_SSL_set1_host(SSL *s, const char *hostname);
void copenssl_SSL_set_bio(SSL *s, BIO *rbio, BIO *wbio);
void copenssl_SSL_set_connect_state(SSL *s);
int copenssl_SSL_shutdown(SSL *s);
int copenssl_SSL_write(SSL *ssl, const void *buf, int num);
const SSL_METHOD *copenssl_TLS_client_method(void);
int copenssl_X509_STORE_add_cert(X509_STORE *store, X509 *x);
int copenssl_X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM *param, const char *ip);
void copenssl_X509_free(X509 *a);
const char *copenssl_X509_verify_cert_error_string(long n);

// OpenSSL APIs that are function-like macros (over SSL_ctrl / SSL_CTX_ctrl), which Swift cannot
// call.

/// `SSL_set_tlsext_host_name`: sends the server name (SNI) in the ClientHello.
long copenssl_set_server_name(SSL *ssl, const char *name);

/// `SSL_CTX_set_min_proto_version`: refuses anything older than `version` (e.g. TLS1_2_VERSION).
long copenssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version);

/// `SSL_CTX_set_mode`: e.g. SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER.
long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode);

/// `SSL_CTX_add_extra_chain_cert`: appends an intermediate certificate to the client chain; the
/// context takes ownership of `certificate`.
long copenssl_ctx_add_extra_chain_cert(SSL_CTX *ctx, X509 *certificate);
