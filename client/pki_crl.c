/* Revocation in the developer PKI: dir/ca.crl (see include/tender/pki.h). */
#include "tender/pki.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "pki_cert.h"
#include "pki_io.h"
#include "tender/error.h"
#include "tls.h"

#define CRL_VALID_SECONDS (365LL * 24 * 60 * 60)

/* The CRL to extend: the existing one if its signature is the CA's (a CRL we
 * cannot trust must not be re-signed), else a new empty one. */
static int open_crl(const char *dir, X509 *ca, EVP_PKEY *ca_key, X509_CRL **out, char *err,
                    size_t err_len)
{
    int rc = tnd__pki_read_crl(dir, "ca.crl", out, err, err_len);
    if (rc == 0) {
        if (X509_CRL_verify(*out, ca_key) != 1) {
            tnd_tls_error(err, err_len, "%s/ca.crl is not signed by this CA", dir);
            X509_CRL_free(*out);
            *out = NULL;
            return TND_EINVAL;
        }
        return 0;
    }
    if (rc != TND_ENOTFOUND)
        return rc;
    *out = X509_CRL_new();
    if (!*out || !X509_CRL_set_version(*out, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(*out, X509_get_subject_name(ca))) {
        X509_CRL_free(*out);
        *out = NULL;
        tnd_tls_error(err, err_len, "cannot create a CRL");
        return TND_ENOMEM;
    }
    return 0;
}

/* Adds serial unless it is listed already. */
static int add_revoked(X509_CRL *crl, const ASN1_INTEGER *serial)
{
    X509_REVOKED *found = NULL;
    if (X509_CRL_get0_by_serial(crl, &found, serial) == 1)
        return 1;
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *now = ASN1_TIME_new();
    int ok = rev && now && tnd__pki_set_time(now, 0) &&
             X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)serial) &&
             X509_REVOKED_set_revocationDate(rev, now) && X509_CRL_add0_revoked(crl, rev);
    ASN1_TIME_free(now);
    if (!ok)
        X509_REVOKED_free(rev);
    return ok;
}

/* Bumps the CRL number, which tells relying parties which CRL is newer. */
static int bump_number(X509_CRL *crl)
{
    ASN1_INTEGER *old = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    BIGNUM *bn = old ? ASN1_INTEGER_to_BN(old, NULL) : BN_new();
    ASN1_INTEGER *num = NULL;
    int ok = bn && BN_add_word(bn, 1) && (num = BN_to_ASN1_INTEGER(bn, NULL)) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_REPLACE) == 1;
    ASN1_INTEGER_free(num);
    BN_free(bn);
    ASN1_INTEGER_free(old);
    return ok;
}

/* Sets the validity window, sorts and signs (Ed25519: no digest). */
static int sign_crl(X509_CRL *crl, EVP_PKEY *ca_key)
{
    ASN1_TIME *last = ASN1_TIME_new(), *next = ASN1_TIME_new();
    int ok = last && next && tnd__pki_set_time(last, 0) &&
             tnd__pki_set_time(next, CRL_VALID_SECONDS) && X509_CRL_set1_lastUpdate(crl, last) &&
             X509_CRL_set1_nextUpdate(crl, next) && bump_number(crl) && X509_CRL_sort(crl) &&
             X509_CRL_sign(crl, ca_key, NULL) > 0;
    ASN1_TIME_free(next);
    ASN1_TIME_free(last);
    return ok;
}

int tnd_pki_revoke(const char *dir, const char *name, char *err, size_t err_len)
{
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL;
    X509_CRL *crl = NULL;
    char crtf[TND_PKI_MAX_NAME + 8];

    if (!dir || !*dir) {
        tnd_tls_error(err, err_len, "no PKI directory given");
        return TND_EINVAL;
    }
    int rc = tnd__pki_valid_name(name, err, err_len);
    if (rc != 0)
        return rc;
    snprintf(crtf, sizeof crtf, "%s.crt", name);
    rc = tnd__pki_read_cert(dir, crtf, &cert, err, err_len);
    if (rc != 0)
        return rc;
    rc = tnd__pki_read_cert(dir, "ca.crt", &ca, err, err_len);
    if (rc != 0)
        goto free_cert;
    rc = tnd__pki_read_key(dir, "ca.key", &ca_key, err, err_len);
    if (rc != 0)
        goto free_ca;
    if (X509_check_private_key(ca, ca_key) != 1 || X509_check_issued(ca, cert) != X509_V_OK ||
        X509_verify(cert, ca_key) != 1) {
        tnd_tls_error(err, err_len, "%s/%s was not issued by the CA in %s", dir, crtf, dir);
        rc = TND_EINVAL;
        goto free_key;
    }
    rc = open_crl(dir, ca, ca_key, &crl, err, err_len);
    if (rc != 0)
        goto free_key;
    if (!add_revoked(crl, X509_get0_serialNumber(cert)) || !sign_crl(crl, ca_key)) {
        tnd_tls_error(err, err_len, "cannot make the CRL");
        rc = TND_ECRYPTO;
        goto free_crl;
    }
    rc = tnd__pki_write(dir, "ca.crl", 0644, false, tnd__pki_emit_crl, crl, err, err_len);

free_crl:
    X509_CRL_free(crl);
free_key:
    EVP_PKEY_free(ca_key);
free_ca:
    X509_free(ca);
free_cert:
    X509_free(cert);
    return rc;
}
