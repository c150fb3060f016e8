/* Who bid is what a certificate says (tender/bid.h, docs/SEALED.md): the
 * certificate sealed inside a bid is checked against the CA as it stood at
 * the bid's time of receipt, and against the revocation lists known. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "tender/bid.h"
#include "tls.h"

void tnd_bid_trust_free(tnd_bid_trust *t)
{
    X509_STORE_free(t->cas);
    sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
    t->cas = NULL;
    t->crls = NULL;
}

/* Load t from the PEM text of ca (named ca_name in messages) and crl
 * (NULL: none). */
static int trust_load(tnd_bid_trust *t, BIO *ca, const char *ca_name, BIO *crl, char *err,
                      size_t err_len)
{
    t->cas = X509_STORE_new();
    t->crls = sk_X509_CRL_new_null();
    int n = 0;
    if (!t->cas || !t->crls) {
        snprintf(err, err_len, "out of memory");
        tnd_bid_trust_free(t);
        return TND_ENOMEM;
    }
    for (X509 *x; (x = PEM_read_bio_X509(ca, NULL, NULL, NULL)) != NULL; n++) {
        int ok = X509_STORE_add_cert(t->cas, x);
        X509_free(x);
        if (ok != 1)
            break;
    }
    if (n == 0) {
        snprintf(err, err_len, "%s holds no PEM certificate", ca_name);
        tnd_bid_trust_free(t);
        return TND_EIO;
    }
    for (X509_CRL *c; crl && (c = PEM_read_bio_X509_CRL(crl, NULL, NULL, NULL)) != NULL;)
        if (!sk_X509_CRL_push(t->crls, c)) {
            X509_CRL_free(c);
            break;
        }
    ERR_clear_error(); /* the end of each PEM text */
    return 0;
}

int tnd_bid_trust_load(tnd_bid_trust *t, const char *ca_file, const char *crl_file, char *err,
                       size_t err_len)
{
    t->cas = NULL;
    t->crls = NULL;
    BIO *ca = BIO_new_file(ca_file, "r"), *crl = NULL;
    int rc = TND_EIO;
    if (!ca)
        snprintf(err, err_len, "cannot read the CA certificate %s", ca_file);
    else if (crl_file && *crl_file && !(crl = BIO_new_file(crl_file, "r")))
        snprintf(err, err_len, "cannot read the revocation list %s", crl_file);
    else
        rc = trust_load(t, ca, ca_file, crl, err, err_len);
    BIO_free(ca);
    BIO_free(crl);
    ERR_clear_error();
    return rc;
}

int tnd_bid_trust_load_pem(tnd_bid_trust *t, const tnd_bytes *ca_pem, const tnd_bytes *crl_pem,
                           char *err, size_t err_len)
{
    t->cas = NULL;
    t->crls = NULL;
    if (ca_pem->len > INT_MAX || (crl_pem && crl_pem->len > INT_MAX)) {
        snprintf(err, err_len, "the CA certificate or revocation list is too large");
        return TND_EIO;
    }
    BIO *ca = BIO_new_mem_buf(ca_pem->data ? ca_pem->data : (const uint8_t *)"", (int)ca_pem->len);
    BIO *crl = crl_pem && crl_pem->len ? BIO_new_mem_buf(crl_pem->data, (int)crl_pem->len) : NULL;
    int rc = TND_ENOMEM;
    if (!ca || (crl_pem && crl_pem->len && !crl))
        snprintf(err, err_len, "out of memory");
    else
        rc = trust_load(t, ca, "the CA certificate", crl, err, err_len);
    BIO_free(ca);
    BIO_free(crl);
    return rc;
}

/* Was cert (issued by issuer) revoked at or before at, by a CRL of its
 * issuer that the issuer signed? The date into when. */
static bool revoked_by(const tnd_bid_trust *t, X509 *cert, X509 *issuer, time_t at, char *when,
                       size_t len)
{
    for (int i = 0; t->crls && i < sk_X509_CRL_num(t->crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(t->crls, i);
        X509_REVOKED *r = NULL;
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 ||
            X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1 ||
            X509_CRL_get0_by_cert(crl, &r, cert) != 1 || !r)
            continue;
        const ASN1_TIME *d = X509_REVOKED_get0_revocationDate(r);
        if (!d || ASN1_TIME_cmp_time_t(d, at) > 0)
            continue; /* revoked after the bid arrived: it stands */
        struct tm tm;
        if (ASN1_TIME_to_tm(d, &tm) == 1)
            strftime(when, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
        else
            snprintf(when, len, "?");
        return true;
    }
    return false;
}

int tnd_bid_check_certificate(const tender_bids_v1_BidContent *c, const tnd_bid_trust *t,
                              int64_t at_ms, char org[128], char name[128], char *why,
                              size_t why_len)
{
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    tnd_peer_identity id;
    char err[256] = "";
    int rc = TND_EINVAL;
    time_t at = (time_t)(at_ms / 1000);
    if (!chain || !ctx) {
        snprintf(why, why_len, "out of memory");
        rc = TND_ENOMEM;
        goto out;
    }
    if (c->n_certificates == 0) {
        snprintf(why, why_len, "carries no certificate");
        goto out;
    }
    for (size_t i = 0; i < c->n_certificates; i++) {
        const unsigned char *p = c->certificates[i].data;
        X509 *x = p ? d2i_X509(NULL, &p, (long)c->certificates[i].len) : NULL;
        if (!x || p != c->certificates[i].data + c->certificates[i].len) {
            X509_free(x);
            snprintf(why, why_len, "certificate %zu is not DER", i + 1);
            goto out;
        }
        if (i == 0)
            leaf = x;
        else if (!sk_X509_push(chain, x)) {
            X509_free(x);
            snprintf(why, why_len, "out of memory");
            rc = TND_ENOMEM;
            goto out;
        }
    }
    if (tnd_tls_cert_identity(leaf, &id, err, sizeof err) != 0) {
        snprintf(why, why_len, "the certificate names no bidder: %s", err);
        goto out;
    }
    if (strcmp(id.role_name, "supplier") != 0) {
        snprintf(why, why_len, "the certificate is a%s %s's, not a supplier's",
                 strchr("aeiou", id.role_name[0]) ? "n" : "", id.role_name);
        goto out;
    }
    if (c->supplier_key.len != 32 || memcmp(c->supplier_key.data, id.pubkey, 32) != 0) {
        snprintf(why, why_len,
                 "the bid is signed with a key that is not its certificate's (CN=%s)", id.name);
        goto out;
    }
    if (X509_STORE_CTX_init(ctx, t->cas, leaf, chain) != 1) {
        snprintf(why, why_len, "out of memory");
        rc = TND_ENOMEM;
        goto out;
    }
    X509_STORE_CTX_set_time(ctx, 0, at);
    if (X509_verify_cert(ctx) != 1) {
        snprintf(why, why_len,
                 "the certificate (CN=%s) does not verify against the CA at the time of receipt: "
                 "%s",
                 id.name, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    char when[32];
    for (int i = 0; path && i + 1 < sk_X509_num(path); i++)
        if (revoked_by(t, sk_X509_value(path, i), sk_X509_value(path, i + 1), at, when,
                       sizeof when)) {
            snprintf(why, why_len, "%s (CN=%s) was revoked at %s, before the bid was received",
                     i ? "an intermediate certificate of the chain" : "the certificate", id.name,
                     when);
            goto out;
        }
    snprintf(org, 128, "%s", id.org);
    snprintf(name, 128, "%s", id.name);
    rc = 0;
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    return rc;
}
