/* Certificates of the developer PKI: what one certificate should say, and
 * the code that makes it. Internal to client/pki*.c. */
#ifndef TND_PKI_CERT_H
#define TND_PKI_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct tnd__pki_spec {
    const char *cn;
    const char *org;      /* subject O, or NULL */
    const char *san;      /* subjectAltName in OpenSSL config syntax, or NULL */
    bool is_ca;           /* CA:TRUE, keyCertSign + cRLSign, self-signed */
    const char *eku;      /* extendedKeyUsage ("serverAuth"), or NULL */
    long long not_before; /* seconds from now */
    long long not_after;
} tnd__pki_spec;

/* Check an identity name (file name and CN): 0 or TND_EINVAL with a message. */
int tnd__pki_valid_name(const char *name, char *err, size_t err_len);

/* A new Ed25519 key. NULL on failure, with the reason in err. */
EVP_PKEY *tnd__pki_keygen(char *err, size_t err_len);

/* Make and sign the certificate for key. Self-signed with key when ca is
 * NULL, else signed by ca_key on behalf of ca. */
int tnd__pki_make_cert(const tnd__pki_spec *spec, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key,
                       X509 **out, char *err, size_t err_len);

/* Set an ASN1_TIME to now + offset seconds. Returns 1 or 0 (OpenSSL style). */
int tnd__pki_set_time(ASN1_TIME *t, long long offset);

#endif
