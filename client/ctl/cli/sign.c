/* Signing with the caller's certificate key: an award decision (officer) or a
 * review decision (reviewer) is signed here, with the Ed25519 key of the
 * certificate the call goes out with, and the server checks it against that
 * certificate. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl.h"

int ctl_cert_key(const char *cmd, const ctl_global *g, const char *who, EVP_PKEY **out)
{
    *out = NULL;
    if (!g->cert || !g->key) {
        ctl_err("%s: %s certificate is needed: --cert FILE --key FILE (or TENDER_CERT "
                "and TENDER_KEY)",
                cmd, who);
        return CTL_EXIT_USAGE;
    }
    FILE *f = fopen(g->cert, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    f = fopen(g->key, "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    int rc = CTL_EXIT_OK;
    if (!x || !k) {
        ctl_err("%s: cannot read %s", cmd, !x ? g->cert : g->key);
        rc = CTL_EXIT_FAIL;
    } else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519 || X509_check_private_key(x, k) != 1) {
        ctl_err("%s: %s is not the Ed25519 key of %s", cmd, g->key, g->cert);
        rc = CTL_EXIT_FAIL;
    }
    X509_free(x);
    if (rc == CTL_EXIT_OK)
        *out = k;
    else
        EVP_PKEY_free(k);
    return rc;
}

int ctl_sign(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    size_t sl = 64;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(md, sig, &sl, msg, len) == 1 && sl == 64;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}
