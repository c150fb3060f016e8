/* A client's certificate and key from PEM files (tender/identity.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tender/identity.h"

#define ROLE_URI "urn:tender:role:"

static int fail(tnd_identity *id, int rc, char *err, size_t len, const char *fmt, const char *a,
                const char *b)
{
    if (err && len)
        snprintf(err, len, fmt, a, b);
    tnd_identity_free(id);
    ERR_clear_error();
    return rc;
}

/* The role of the certificate's first urn:tender:role: URI, or "". */
static void read_role(X509 *x, char *out, size_t len)
{
    GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    out[0] = '\0';
    for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
        if (g->type != GEN_URI)
            continue;
        const char *u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
        int n = ASN1_STRING_length(g->d.uniformResourceIdentifier);
        size_t p = strlen(ROLE_URI);
        if (n > (int)p && (size_t)n - p < len && strncmp(u, ROLE_URI, p) == 0 &&
            !memchr(u, '\0', (size_t)n)) {
            memcpy(out, u + p, (size_t)n - p);
            out[(size_t)n - p] = '\0';
            break;
        }
    }
    GENERAL_NAMES_free(san);
}

/* Every certificate of the file f as DER into id->certs. */
static int read_certs(tnd_identity *id, FILE *f)
{
    for (X509 *x; (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL;) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        if (!id->cert)
            id->cert = x;
        else
            X509_free(x);
        if (n <= 0 || id->n_certs == TND_IDENTITY_MAX_CERTS) {
            OPENSSL_free(der);
            return TND_EINVAL;
        }
        uint8_t *copy = malloc((size_t)n);
        if (!copy) {
            OPENSSL_free(der);
            return TND_ENOMEM;
        }
        memcpy(copy, der, (size_t)n);
        OPENSSL_free(der);
        id->certs[id->n_certs++] = (tnd_bytes){copy, (size_t)n};
    }
    return 0;
}

int tnd_identity_load(tnd_identity *id, const char *cert_file, const char *key_file, char *err,
                      size_t err_len)
{
    if (!id)
        return TND_EINVAL;
    memset(id, 0, sizeof *id);
    if (!cert_file || !key_file)
        return fail(id, TND_EINVAL, err, err_len, "%s%s", "a certificate and a key are needed", "");
    FILE *f = fopen(cert_file, "r");
    int rc = f ? read_certs(id, f) : TND_EIO;
    if (f)
        fclose(f);
    if (rc == TND_ENOMEM)
        return fail(id, rc, err, err_len, "%s%s", "out of memory", "");
    if (rc == TND_EINVAL)
        return fail(id, rc, err, err_len,
                    "%s: more than 8 certificates, or one that cannot be encoded%s", cert_file, "");
    if (!id->cert)
        return fail(id, TND_EIO, err, err_len, "cannot read %s%s", cert_file, "");
    f = fopen(key_file, "r");
    id->key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (!id->key)
        return fail(id, TND_EIO, err, err_len, "cannot read %s%s", key_file, "");
    if (EVP_PKEY_get_base_id(id->key) != EVP_PKEY_ED25519 ||
        X509_check_private_key(id->cert, id->key) != 1)
        return fail(id, TND_EINVAL, err, err_len, "%s is not the Ed25519 key of %s", key_file,
                    cert_file);
    X509_NAME *nm = X509_get_subject_name(id->cert);
    if (X509_NAME_get_text_by_NID(nm, NID_organizationName, id->org, sizeof id->org) < 0)
        id->org[0] = '\0';
    if (X509_NAME_get_text_by_NID(nm, NID_commonName, id->name, sizeof id->name) < 0)
        id->name[0] = '\0';
    read_role(id->cert, id->role, sizeof id->role);
    ERR_clear_error();
    return 0;
}

int tnd_identity_put_certificates(const tnd_identity *id, tender_bids_v1_BidContent *c)
{
    if (!id || !c)
        return TND_EINVAL;
    if (c->n_certificates + id->n_certs > TND_IDENTITY_MAX_CERTS)
        return TND_ERANGE;
    tnd_bytes *nb = realloc(c->certificates, (c->n_certificates + id->n_certs + 1) * sizeof *nb);
    if (!nb)
        return TND_ENOMEM;
    c->certificates = nb;
    for (size_t i = 0; i < id->n_certs; i++) {
        uint8_t *copy = malloc(id->certs[i].len);
        if (!copy)
            return TND_ENOMEM;
        memcpy(copy, id->certs[i].data, id->certs[i].len);
        c->certificates[c->n_certificates++] = (tnd_bytes){copy, id->certs[i].len};
    }
    return 0;
}

void tnd_identity_free(tnd_identity *id)
{
    if (!id)
        return;
    X509_free(id->cert);
    EVP_PKEY_free(id->key);
    for (size_t i = 0; i < id->n_certs; i++)
        free(id->certs[i].data);
    memset(id, 0, sizeof *id);
}
