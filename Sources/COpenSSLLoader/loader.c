#include "COpenSSLLoader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// Every function used: X(return type, name, (parameters), (arguments)).
#define OPENSSL_FUNCTIONS(X)                                                                       \
    X(size_t, BIO_ctrl_pending, (BIO * b), (b))                                                    \
    X(int, BIO_free, (BIO * a), (a))                                                               \
    X(BIO *, BIO_new, (const BIO_METHOD *type), (type))                                            \
    X(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))                              \
    X(int, BIO_read, (BIO * b, void *data, int dlen), (b, data, dlen))                             \
    X(const BIO_METHOD *, BIO_s_mem, (void), ())                                                   \
    X(int, BIO_write, (BIO * b, const void *data, int dlen), (b, data, dlen))                      \
    X(void, ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len))           \
    X(unsigned long, ERR_get_error, (void), ())                                                    \
    X(void, EVP_PKEY_free, (EVP_PKEY * pkey), (pkey))                                              \
    X(EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO * bp, EVP_PKEY **x, pem_password_cb *cb, void *u), \
      (bp, x, cb, u))                                                                              \
    X(X509 *, PEM_read_bio_X509, (BIO * bp, X509 **x, pem_password_cb *cb, void *u), (bp, x, cb, u)) \
    X(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))                                 \
    X(long, SSL_CTX_ctrl, (SSL_CTX * ctx, int cmd, long larg, void *parg), (ctx, cmd, larg, parg))  \
    X(void, SSL_CTX_free, (SSL_CTX * ctx), (ctx))                                                  \
    X(X509_STORE *, SSL_CTX_get_cert_store, (const SSL_CTX *ctx), (ctx))                           \
    X(int, SSL_CTX_load_verify_locations, (SSL_CTX * ctx, const char *file, const char *path),    \
      (ctx, file, path))                                                                           \
    X(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *method), (method))                                \
    X(int, SSL_CTX_set_default_verify_paths, (SSL_CTX * ctx), (ctx))                               \
    X(void, SSL_CTX_set_verify, (SSL_CTX * ctx, int mode, SSL_verify_cb callback), (ctx, mode, callback)) \
    X(int, SSL_CTX_use_PrivateKey, (SSL_CTX * ctx, EVP_PKEY *pkey), (ctx, pkey))                   \
    X(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * ctx, const char *file, int type), (ctx, file, type)) \
    X(int, SSL_CTX_use_certificate, (SSL_CTX * ctx, X509 *x), (ctx, x))                            \
    X(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * ctx, const char *file), (ctx, file))     \
    X(long, SSL_ctrl, (SSL * ssl, int cmd, long larg, void *parg), (ssl, cmd, larg, parg))         \
    X(int, SSL_do_handshake, (SSL * s), (s))                                                       \
    X(void, SSL_free, (SSL * ssl), (ssl))                                                          \
    X(X509_VERIFY_PARAM *, SSL_get0_param, (SSL * ssl), (ssl))                                     \
    X(const char *, SSL_get_servername, (const SSL *s, const int type), (s, type))                 \
    X(int, SSL_get_error, (const SSL *s, int ret_code), (s, ret_code))                             \
    X(long, SSL_get_verify_result, (const SSL *ssl), (ssl))                                        \
    X(SSL *, SSL_new, (SSL_CTX * ctx), (ctx))                                                      \
    X(int, SSL_read, (SSL * ssl, void *buf, int num), (ssl, buf, num))                             \
    X(int, SSL_set1_host, (SSL * s, const char *hostname), (s, hostname))                          \
    X(void, SSL_set_bio, (SSL * s, BIO *rbio, BIO *wbio), (s, rbio, wbio))                         \
    X(void, SSL_set_connect_state, (SSL * s), (s))                                                 \
    X(int, SSL_shutdown, (SSL * s), (s))                                                           \
    X(int, SSL_write, (SSL * ssl, const void *buf, int num), (ssl, buf, num))                      \
    X(const SSL_METHOD *, TLS_client_method, (void), ())                                           \
    X(int, X509_STORE_add_cert, (X509_STORE * store, X509 *x), (store, x))                         \
    X(int, X509_VERIFY_PARAM_set1_ip_asc, (X509_VERIFY_PARAM * param, const char *ip), (param, ip)) \
    X(void, X509_free, (X509 * a), (a))                                                            \
    X(const char *, X509_verify_cert_error_string, (long n), (n))

// The loaded functions, set once by load_once and read-only afterwards.
#define DECLARE_POINTER(type, name, parameters, arguments) static type(*real_##name) parameters;
OPENSSL_FUNCTIONS(DECLARE_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;
static char failure_text[256];

static void load_once(void) {
    // libcrypto comes with libssl as its dependency; dlsym on libssl's handle finds both.
    void *library = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(failure_text, sizeof(failure_text), "cannot load OpenSSL: %s", dlerror());
        failure = failure_text;
        return;
    }
#define RESOLVE(type, name, parameters, arguments)                                                 \
    real_##name = (type(*) parameters)dlsym(library, #name);                                       \
    if (real_##name == NULL) {                                                                     \
        snprintf(failure_text, sizeof(failure_text), "OpenSSL lacks %s", #name);                   \
        failure = failure_text;                                                                    \
        return;                                                                                    \
    }
    OPENSSL_FUNCTIONS(RESOLVE)
}

const char *copenssl_load(void) {
    pthread_once(&once, load_once);
    return failure;
}

#define FORWARD(type, name, parameters, arguments)                                                 \
    type copenssl_##name parameters { return real_##name arguments; }
OPENSSL_FUNCTIONS(FORWARD)

long copenssl_set_server_name(SSL *ssl, const char *name) {
    return real_SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)name);
}

long copenssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return real_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, NULL);
}

long copenssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return real_SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, NULL);
}

long copenssl_ctx_add_extra_chain_cert(SSL_CTX *ctx, X509 *certificate) {
    return real_SSL_CTX_ctrl(ctx, SSL_CTRL_EXTRA_CHAIN_CERT, 0, (char *)certificate);
}
