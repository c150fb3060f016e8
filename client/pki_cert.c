/* Keys and certificates of the developer PKI (see pki_cert.h). */
#include "pki_cert.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tender/error.h"
#include "tls.h"

EVP_PKEY *tnd__pki_keygen(char *err, size_t err_len)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!key)
        tnd_tls_error(err, err_len, "cannot generate an Ed25519 key");
    return key;
}

int tnd__pki_set_time(ASN1_TIME *t, long long offset)
{
    /* Split so the day count fits an int and the seconds a long everywhere. */
    long long days = offset / 86400;
    if (days > 100000 || days < -100000)
        return 0;
    return X509_time_adj_ex(t, (int)days, (long)(offset % 86400), NULL) != NULL;
}

/* A random positive 127-bit serial: unique without a serial database, and
 * unpredictable, as CAs are asked to make them. */
static int set_serial(X509 *x)
{
    unsigned char b[16];
    BIGNUM *bn = NULL;
    int ok = 0;
    do {
        BN_free(bn);
        if (RAND_bytes(b, sizeof b) != 1)
            return 0;
        b[0] &= 0x7f;
        bn = BN_bin2bn(b, sizeof b, NULL);
        if (!bn)
            return 0;
    } while (BN_is_zero(bn));
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

static int add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, v3, nid, value);
    if (!ext)
        return 0;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int set_subject(X509 *x, const tnd__pki_spec *spec)
{
    X509_NAME *name = X509_get_subject_name(x);
    if (spec->org && !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                                 (const unsigned char *)spec->org, -1, -1, 0))
        return 0;
    return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn,
                                      -1, -1, 0);
}

/* The extensions that make a CA a CA and a leaf a TLS end entity: the key
 * identifiers let verifiers find the right issuer after a CA key rollover. */
static int add_extensions(X509 *x, X509 *issuer, const tnd__pki_spec *spec)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    if (!add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
        !add_ext(x, &v3, NID_authority_key_identifier, "keyid:always"))
        return 0;
    if (spec->is_ca)
        return add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE") &&
               add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!add_ext(x, &v3, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(x, &v3, NID_key_usage, "critical,digitalSignature"))
        return 0;
    if (spec->eku && !add_ext(x, &v3, NID_ext_key_usage, spec->eku))
        return 0;
    return !spec->san || add_ext(x, &v3, NID_subject_alt_name, spec->san);
}

/* Builds the whole certificate, then signs it (Ed25519 takes no digest). */
int tnd__pki_make_cert(const tnd__pki_spec *spec, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key,
                       X509 **out, char *err, size_t err_len)
{
    *out = NULL;
    X509 *x = X509_new();
    if (!x) {
        tnd_tls_error(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    X509 *issuer = ca ? ca : x;
    EVP_PKEY *sign_key = ca ? ca_key : key;
    if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) || !set_subject(x, spec) ||
        !X509_set_issuer_name(x, X509_get_subject_name(issuer)) ||
        !tnd__pki_set_time(X509_getm_notBefore(x), spec->not_before) ||
        !tnd__pki_set_time(X509_getm_notAfter(x), spec->not_after) || !X509_set_pubkey(x, key) ||
        !add_extensions(x, issuer, spec)) {
        tnd_tls_error(err, err_len, "cannot build the certificate for %s", spec->cn);
        goto free_x;
    }
    if (X509_sign(x, sign_key, NULL) <= 0) {
        tnd_tls_error(err, err_len, "cannot sign the certificate for %s", spec->cn);
        goto free_x;
    }
    *out = x;
    return 0;

free_x:
    X509_free(x);
    return TND_ECRYPTO;
}
