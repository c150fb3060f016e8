/* SHA-256 fetched once (digest.h). */
#include "digest.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#include "tender/error.h"

static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* kept for the process's life */
}

const EVP_MD *tnd_sha256_md(void)
{
    pthread_once(&sha256_once, fetch_sha256);
    return sha256 ? sha256 : EVP_sha256(); /* the slow lookup beats failing */
}

int tnd_sha256_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex2(md, tnd_sha256_md(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = lens[i] == 0 || EVP_DigestUpdate(md, parts[i], lens[i]) == 1;
    ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : TND_ECRYPTO;
}

int tnd_sha256(const void *data, size_t len, uint8_t out[32])
{
    return EVP_Digest(len ? data : "", len, out, NULL, tnd_sha256_md(), NULL) == 1 ? 0
                                                                                  : TND_ECRYPTO;
}

#define BLOCK 64

int tnd_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[32])
{
    uint8_t k[BLOCK] = {0}, pad[BLOCK], inner[32];
    int rc = 0;
    if (key_len > BLOCK)
        rc = tnd_sha256(key, key_len, k); /* a long key is hashed first */
    else if (key_len)
        memcpy(k, key, key_len);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    const void *ip[] = {pad, msg};
    size_t il[] = {BLOCK, len};
    if (rc == 0)
        rc = tnd_sha256_parts(ip, il, 2, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    const void *op[] = {pad, inner};
    size_t ol[] = {BLOCK, 32};
    if (rc == 0)
        rc = tnd_sha256_parts(op, ol, 2, out);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    return rc;
}
