/* X25519 keys (RFC 7748) through OpenSSL's EVP_PKEY API, and the fingerprint
 * that names an opening key. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hpke_internal.h"
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

int tnd_x25519_check_public(const uint8_t pk[32])
{
    /* Any scalar does: clamping makes it a multiple of the cofactor 8. */
    static const uint8_t probe[TND_X25519_LEN] = {0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0x20, 0x6b,
                                                  0x65, 0x79, 0x20, 0x63, 0x68, 0x65, 0x63, 0x6b};
    uint8_t dh[TND_X25519_LEN];
    if (pk == NULL)
        return TND_EINVAL;
    int rc = tnd__x25519_dh(probe, pk, dh);
    OPENSSL_cleanse(dh, sizeof dh);
    return rc;
}

int tnd_opening_key_fingerprint(const uint8_t pk[32], uint8_t out[32])
{
    static const char label[] = "tender/1 opening key";
    uint8_t buf[sizeof label - 1 + TND_X25519_LEN];
    if (pk == NULL || out == NULL)
        return TND_EINVAL;
    memcpy(buf, label, sizeof label - 1);
    memcpy(buf + sizeof label - 1, pk, TND_X25519_LEN);
    return EVP_Digest(buf, sizeof buf, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : TND_ECRYPTO;
}
