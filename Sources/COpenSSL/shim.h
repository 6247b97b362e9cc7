// Debian's OpenSSL 3 (libssl-dev): its headers, and the libraries to link against. The I/O
// module does not link it (it loads OpenSSL on first use, see COpenSSLLoader); this target is
// where the dependency is declared, and what the system-library tests link to prove OpenSSL 3 is
// installed.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
