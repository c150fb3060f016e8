/* X25519 keys (RFC 7748) through OpenSSL's EVP_PKEY API, and the fingerprint
 * that names an opening key. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hpke_internal.h"
#include "digest.h"
#include "tender/sealed.h"

int tnd_x25519_public(const uint8_t sk[32], uint8_t pk[32])
{
    if (sk == NULL || pk == NULL)
        return TND_EINVAL;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, TND_X25519_LEN);
    if (key == NULL)
        return TND_ECRYPTO;
    size_t len = TND_X25519_LEN;
    int ok = EVP_PKEY_get_raw_public_key(key, pk, &len) == 1 && len == TND_X25519_LEN;
    EVP_PKEY_free(key);
    return ok ? 0 : TND_ECRYPTO;
}

int tnd_x25519_keygen(uint8_t sk[32], uint8_t pk[32])
{
    if (sk == NULL || pk == NULL)
        return TND_EINVAL;
    if (RAND_priv_bytes(sk, TND_X25519_LEN) != 1)
        return TND_ECRYPTO;
    int rc = tnd_x25519_public(sk, pk);
    if (rc != 0)
        OPENSSL_cleanse(sk, TND_X25519_LEN);
    return rc;
}

/* The shared point of sk and pk. OpenSSL refuses an all-zero result too; the
 * check here does not depend on that. */
int tnd__x25519_dh(const uint8_t sk[32], const uint8_t pk[32], uint8_t dh[32])
{
    static const uint8_t zero[TND_X25519_LEN];
    int rc = TND_ECRYPTO;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *peer = NULL;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, TND_X25519_LEN);
    if (key == NULL)
        goto out;
    peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, TND_X25519_LEN);
    if (peer == NULL)
        goto out_key;
    pctx = EVP_PKEY_CTX_new(key, NULL);
    if (pctx == NULL)
        goto out_peer;
    size_t len = TND_X25519_LEN;
    if (EVP_PKEY_derive_init(pctx) != 1 || EVP_PKEY_derive_set_peer(pctx, peer) != 1 ||
        EVP_PKEY_derive(pctx, dh, &len) != 1 || len != TND_X25519_LEN ||
        CRYPTO_memcmp(dh, zero, TND_X25519_LEN) == 0) {
        OPENSSL_cleanse(dh, TND_X25519_LEN);
        /* A refused key is an answer: left on the thread's error queue, the
         * error would fail the next TLS call of that thread (SSL_get_error). */
        ERR_clear_error();
        goto out_pctx;
    }
    rc = 0;
out_pctx:
    EVP_PKEY_CTX_free(pctx);
out_peer:
    EVP_PKEY_free(peer);
out_key:
    EVP_PKEY_free(key);
out:
    return rc;
}

/* The u-coordinates of every point of order 1, 2, 4 or 8 on Curve25519
 * and its twist (0, 1, -1 and the two of order 8) and the non-canonical
 * encodings of 0 and 1 (p and p + 1), as libsodium lists them. X25519
 * ignores the top bit, so it is cleared before comparing. Every clamped
 * scalar (a multiple of the cofactor 8) maps these to zero; no other input
 * does. A table, not a trial X25519: a 32-member committee is checked on
 * the server's event loop. */
static const uint8_t low_order[][TND_X25519_LEN] = {
    {0},
    {1},
    {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
     0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
    {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
     0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

int tnd_x25519_check_public(const uint8_t pk[32])
{
    if (pk == NULL)
        return TND_EINVAL;
    uint8_t u[TND_X25519_LEN];
    memcpy(u, pk, sizeof u);
    u[31] &= 0x7f;
    for (size_t i = 0; i < sizeof low_order / sizeof *low_order; i++)
        if (memcmp(u, low_order[i], sizeof u) == 0)
            return TND_ECRYPTO;
    return 0;
}

int tnd_opening_key_fingerprint(const uint8_t pk[32], uint8_t out[32])
{
    static const char label[] = "tender/1 opening key";
    uint8_t buf[sizeof label - 1 + TND_X25519_LEN];
    if (pk == NULL || out == NULL)
        return TND_EINVAL;
    memcpy(buf, label, sizeof label - 1);
    memcpy(buf + sizeof label - 1, pk, TND_X25519_LEN);
    return EVP_Digest(buf, sizeof buf, out, NULL, tnd_sha256_md(), NULL) == 1 ? 0 : TND_ECRYPTO;
}
