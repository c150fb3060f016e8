/* HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
 * AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305, built from OpenSSL 3.0 EVP
 * primitives (3.0 has no HPKE API). Section numbers below are RFC 9180's. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "be.h"
#include "hpke_internal.h"
#include "tender/sealed.h"

#define NH 32 /* HKDF-SHA256 output, Nsecret, Nenc, Npk, Nsk */
#define NN 12 /* AEAD nonce */
#define NT TND_HPKE_TAG_LEN
#define MAX_NK 32

struct tnd_hpke_ctx {
    uint16_t aead_id;
    int sender; /* 1: may seal; 0: may open */
    size_t key_len;
    uint8_t key[MAX_NK];
    uint8_t base_nonce[NN];
    uint8_t exporter_secret[NH];
    uint64_t seq; /* next sequence number; UINT64_MAX means used up */
};

static const char version_label[] = "HPKE-v1";
#define VERSION_LEN (sizeof version_label - 1)

/* suite_id of the KEM (section 4.1): "KEM" || I2OSP(kem_id, 2). */
static const uint8_t kem_suite[] = {'K', 'E', 'M', 0x00, 0x20};

/* suite_id of the whole scheme (section 5.1): "HPKE" || kem || kdf || aead. */
static void hpke_suite(uint16_t aead_id, uint8_t out[10])
{
    memcpy(out, "HPKE", 4);
    tnd_be16_put(out + 4, TND_HPKE_KEM_X25519_SHA256);
    tnd_be16_put(out + 6, TND_HPKE_KDF_HKDF_SHA256);
    tnd_be16_put(out + 8, aead_id);
}

/* Nk of an AEAD id, or 0 for an id not supported. */
static size_t aead_key_len(uint16_t aead_id)
{
    switch (aead_id) {
    case TND_HPKE_AEAD_AES128GCM:
        return 16;
    case TND_HPKE_AEAD_AES256GCM:
    case TND_HPKE_AEAD_CHACHA20POLY1305:
        return 32;
    default:
        return 0;
    }
}

static const EVP_CIPHER *aead_cipher(uint16_t aead_id)
{
    switch (aead_id) {
    case TND_HPKE_AEAD_AES128GCM:
        return EVP_aes_128_gcm();
    case TND_HPKE_AEAD_AES256GCM:
        return EVP_aes_256_gcm();
    case TND_HPKE_AEAD_CHACHA20POLY1305:
        return EVP_chacha20_poly1305();
    default:
        return NULL;
    }
}

/* ---- HKDF-SHA256 through EVP_KDF (RFC 5869) ----------------------------- */

/* One HKDF step: extract (prk = out, 32 bytes) or expand (out_len bytes). */
static int hkdf(int mode, const uint8_t *salt, size_t salt_len, const uint8_t *key, size_t key_len,
                const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    int rc = TND_ECRYPTO;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL)
        return TND_ECRYPTO;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    if (kctx == NULL)
        goto out_kdf;
    OSSL_PARAM params[6], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
    if (salt != NULL)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info != NULL && info_len > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
        rc = 0;
    else
        OPENSSL_cleanse(out, out_len);
    EVP_KDF_CTX_free(kctx);
out_kdf:
    EVP_KDF_free(kdf);
    return rc;
}

/* LabeledExtract (section 4): Extract(salt, "HPKE-v1" || suite_id || label ||
 * ikm). An empty salt is HashLen zero bytes (RFC 5869 section 2.2). */
static int labeled_extract(const uint8_t *suite, size_t suite_len, const uint8_t *salt,
                           size_t salt_len, const char *label, const uint8_t *ikm, size_t ikm_len,
                           uint8_t prk[NH])
{
    static const uint8_t zero_salt[NH];
    size_t label_len = strlen(label);
    size_t head = VERSION_LEN + suite_len + label_len;
    if (ikm_len > SIZE_MAX - head)
        return TND_ERANGE;
    uint8_t *buf = malloc(head + ikm_len);
    if (buf == NULL)
        return TND_ENOMEM;
    memcpy(buf, version_label, VERSION_LEN);
    memcpy(buf + VERSION_LEN, suite, suite_len);
    memcpy(buf + VERSION_LEN + suite_len, label, label_len);
    if (ikm_len > 0)
        memcpy(buf + head, ikm, ikm_len);
    if (salt_len == 0)
        salt = zero_salt, salt_len = sizeof zero_salt;
    int rc =
        hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len, buf, head + ikm_len, NULL, 0, prk, NH);
    OPENSSL_clear_free(buf, head + ikm_len);
    return rc;
}

/* LabeledExpand (section 4): Expand(prk, I2OSP(L, 2) || "HPKE-v1" ||
 * suite_id || label || info, L). */
static int labeled_expand(const uint8_t *suite, size_t suite_len, const uint8_t prk[NH],
                          const char *label, const uint8_t *info, size_t info_len, uint8_t *out,
                          size_t len)
{
    size_t label_len = strlen(label);
    size_t head = 2 + VERSION_LEN + suite_len + label_len;
    if (len == 0 || len > 255 * NH || info_len > SIZE_MAX - head)
        return TND_ERANGE;
    uint8_t *buf = malloc(head + info_len);
    if (buf == NULL)
        return TND_ENOMEM;
    tnd_be16_put(buf, (uint16_t)len);
    memcpy(buf + 2, version_label, VERSION_LEN);
    memcpy(buf + 2 + VERSION_LEN, suite, suite_len);
    memcpy(buf + 2 + VERSION_LEN + suite_len, label, label_len);
    if (info_len > 0)
        memcpy(buf + head, info, info_len);
    int rc = hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, NH, buf, head + info_len, out, len);
    OPENSSL_clear_free(buf, head + info_len);
    return rc;
}

/* ---- DHKEM(X25519, HKDF-SHA256) (sections 4.1, 7.1) --------------------- */

int tnd_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len, uint8_t sk[32], uint8_t pk[32])
{
    uint8_t prk[NH];
    if (ikm == NULL || sk == NULL || pk == NULL || ikm_len < NH)
        return TND_EINVAL;
    int rc = labeled_extract(kem_suite, sizeof kem_suite, NULL, 0, "dkp_prk", ikm, ikm_len, prk);
    if (rc == 0)
        rc = labeled_expand(kem_suite, sizeof kem_suite, prk, "sk", NULL, 0, sk, NH);
    if (rc == 0)
        rc = tnd_x25519_public(sk, pk);
    if (rc != 0)
        OPENSSL_cleanse(sk, NH);
    OPENSSL_cleanse(prk, sizeof prk);
    return rc;
}

/* ExtractAndExpand(dh, enc || pkR): the KEM's shared secret. */
static int extract_and_expand(const uint8_t dh[NH], const uint8_t enc[NH], const uint8_t pkR[NH],
                              uint8_t shared_secret[NH])
{
    uint8_t prk[NH], kem_context[2 * NH];
    memcpy(kem_context, enc, NH);
    memcpy(kem_context + NH, pkR, NH);
    int rc = labeled_extract(kem_suite, sizeof kem_suite, NULL, 0, "eae_prk", dh, NH, prk);
    if (rc == 0)
        rc = labeled_expand(kem_suite, sizeof kem_suite, prk, "shared_secret", kem_context,
                            sizeof kem_context, shared_secret, NH);
    OPENSSL_cleanse(prk, sizeof prk);
    return rc;
}

/* Encap with the ephemeral private key skE. */
static int encap_with(const uint8_t pkR[32], const uint8_t skE[32], uint8_t shared_secret[32],
                      uint8_t enc[32])
{
    uint8_t dh[NH];
    int rc = tnd_x25519_public(skE, enc);
    if (rc == 0)
        rc = tnd__x25519_dh(skE, pkR, dh);
    if (rc == 0)
        rc = extract_and_expand(dh, enc, pkR, shared_secret);
    OPENSSL_cleanse(dh, sizeof dh);
    return rc;
}

int tnd__hpke_encap_derand(const uint8_t pkR[32], const uint8_t *ikmE, size_t ikmE_len,
                           uint8_t shared_secret[32], uint8_t enc[32])
{
    uint8_t skE[NH], pkE[NH];
    if (pkR == NULL || shared_secret == NULL || enc == NULL)
        return TND_EINVAL;
    int rc = tnd_hpke_derive_keypair(ikmE, ikmE_len, skE, pkE);
    if (rc == 0)
        rc = encap_with(pkR, skE, shared_secret, enc);
    OPENSSL_cleanse(skE, sizeof skE);
    return rc;
}

/* Encap with a fresh ephemeral key (GenerateKeyPair: 32 random bytes). */
static int encap(const uint8_t pkR[32], uint8_t shared_secret[32], uint8_t enc[32])
{
    uint8_t skE[NH];
    if (RAND_priv_bytes(skE, sizeof skE) != 1)
        return TND_ECRYPTO;
    int rc = encap_with(pkR, skE, shared_secret, enc);
    OPENSSL_cleanse(skE, sizeof skE);
    return rc;
}

int tnd__hpke_decap(const uint8_t skR[32], const uint8_t enc[32], uint8_t shared_secret[32])
{
    uint8_t dh[NH], pkR[NH];
    if (skR == NULL || enc == NULL || shared_secret == NULL)
        return TND_EINVAL;
    int rc = tnd__x25519_dh(skR, enc, dh);
    if (rc == 0)
        rc = tnd_x25519_public(skR, pkR);
    if (rc == 0)
        rc = extract_and_expand(dh, enc, pkR, shared_secret);
    OPENSSL_cleanse(dh, sizeof dh);
    return rc;
}

/* ---- key schedule (section 5.1), base mode ------------------------------ */

/* A new context from the KEM's shared secret and info. */
static int key_schedule(uint16_t aead_id, int sender, const uint8_t shared_secret[NH],
                        const uint8_t *info, size_t info_len, tnd_hpke_ctx **out)
{
    uint8_t suite[10], ksc[1 + 2 * NH], secret[NH];
    hpke_suite(aead_id, suite);
    tnd_hpke_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return TND_ENOMEM;
    ctx->aead_id = aead_id;
    ctx->sender = sender;
    ctx->key_len = aead_key_len(aead_id);
    ksc[0] = 0x00; /* mode_base */
    int rc = labeled_extract(suite, sizeof suite, NULL, 0, "psk_id_hash", NULL, 0, ksc + 1);
    if (rc == 0)
        rc = labeled_extract(suite, sizeof suite, NULL, 0, "info_hash", info, info_len,
                             ksc + 1 + NH);
    if (rc == 0)
        rc = labeled_extract(suite, sizeof suite, shared_secret, NH, "secret", NULL, 0, secret);
    if (rc == 0)
        rc = labeled_expand(suite, sizeof suite, secret, "key", ksc, sizeof ksc, ctx->key,
                            ctx->key_len);
    if (rc == 0)
        rc = labeled_expand(suite, sizeof suite, secret, "base_nonce", ksc, sizeof ksc,
                            ctx->base_nonce, NN);
    if (rc == 0)
        rc = labeled_expand(suite, sizeof suite, secret, "exp", ksc, sizeof ksc,
                            ctx->exporter_secret, NH);
    OPENSSL_cleanse(secret, sizeof secret);
    if (rc != 0) {
        tnd_hpke_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

static int check_setup_args(uint16_t aead_id, const uint8_t *k, const uint8_t *enc,
                            const uint8_t *info, size_t info_len, tnd_hpke_ctx **out)
{
    if (aead_key_len(aead_id) == 0 || k == NULL || enc == NULL || out == NULL ||
        (info == NULL && info_len > 0))
        return TND_EINVAL;
    return 0;
}

int tnd_hpke_setup_sender(uint16_t aead_id, const uint8_t pkR[32], const uint8_t *info,
                          size_t info_len, uint8_t enc[32], tnd_hpke_ctx **out)
{
    uint8_t ss[NH];
    int rc = check_setup_args(aead_id, pkR, enc, info, info_len, out);
    if (rc == 0)
        rc = encap(pkR, ss, enc);
    if (rc == 0)
        rc = key_schedule(aead_id, 1, ss, info, info_len, out);
    OPENSSL_cleanse(ss, sizeof ss);
    return rc;
}

int tnd__hpke_setup_sender_derand(uint16_t aead_id, const uint8_t pkR[32], const uint8_t *info,
                                  size_t info_len, const uint8_t *ikmE, size_t ikmE_len,
                                  uint8_t enc[32], tnd_hpke_ctx **out)
{
    uint8_t ss[NH];
    int rc = check_setup_args(aead_id, pkR, enc, info, info_len, out);
    if (rc == 0)
        rc = tnd__hpke_encap_derand(pkR, ikmE, ikmE_len, ss, enc);
    if (rc == 0)
        rc = key_schedule(aead_id, 1, ss, info, info_len, out);
    OPENSSL_cleanse(ss, sizeof ss);
    return rc;
}

int tnd_hpke_setup_receiver(uint16_t aead_id, const uint8_t skR[32], const uint8_t enc[32],
                            const uint8_t *info, size_t info_len, tnd_hpke_ctx **out)
{
    uint8_t ss[NH];
    int rc = check_setup_args(aead_id, skR, enc, info, info_len, out);
    if (rc == 0)
        rc = tnd__hpke_decap(skR, enc, ss);
    if (rc == 0)
        rc = key_schedule(aead_id, 0, ss, info, info_len, out);
    OPENSSL_cleanse(ss, sizeof ss);
    return rc;
}

void tnd_hpke_ctx_free(tnd_hpke_ctx *ctx)
{
    if (ctx != NULL)
        OPENSSL_clear_free(ctx, sizeof *ctx);
}

void tnd__hpke_ctx_secrets(const tnd_hpke_ctx *ctx, uint8_t key[32], size_t *key_len,
                           uint8_t base_nonce[12], uint8_t exporter_secret[32])
{
    memcpy(key, ctx->key, ctx->key_len);
    *key_len = ctx->key_len;
    memcpy(base_nonce, ctx->base_nonce, NN);
    memcpy(exporter_secret, ctx->exporter_secret, NH);
}

/* ---- encryption and export (sections 5.2, 5.3) -------------------------- */

/* The nonce of the context's current message: base_nonce XOR I2OSP(seq, Nn). */
static void compute_nonce(const tnd_hpke_ctx *ctx, uint8_t nonce[NN])
{
    uint8_t seq[8];
    tnd_be64_put(seq, ctx->seq);
    memcpy(nonce, ctx->base_nonce, NN);
    for (unsigned i = 0; i < 8; i++)
        nonce[NN - 8 + i] ^= seq[i];
}

/* EVP_CipherUpdate over any length (EVP takes int lengths): out NULL feeds aad. */
static int cipher_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t len)
{
    while (len > 0) {
        int n = len > (1u << 30) ? (1 << 30) : (int)len, got = 0;
        if (EVP_CipherUpdate(c, out, &got, in, n) != 1 || got != n)
            return TND_ECRYPTO;
        in += n, len -= (size_t)n;
        if (out != NULL)
            out += n;
    }
    return 0;
}

/* One AEAD operation with the context's key and current nonce. Encrypting
 * writes len bytes and the tag to out; decrypting checks the tag (tag) and
 * wipes out when it does not match. */
static int aead(const tnd_hpke_ctx *ctx, int encrypt, const uint8_t *aad, size_t aad_len,
                const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[NT])
{
    uint8_t nonce[NN];
    int rc = TND_ECRYPTO, outl = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL)
        return TND_ENOMEM;
    compute_nonce(ctx, nonce);
    if (EVP_CipherInit_ex(c, aead_cipher(ctx->aead_id), NULL, NULL, NULL, encrypt) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, NN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, ctx->key, nonce, encrypt) != 1)
        goto out;
    if (aad_len > 0 && cipher_update(c, NULL, aad, aad_len) != 0)
        goto out;
    if (len > 0 && cipher_update(c, out, in, len) != 0)
        goto out;
    if (encrypt) {
        if (EVP_CipherFinal_ex(c, out + len, &outl) != 1 || outl != 0 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, NT, tag) != 1)
            goto out;
    } else {
        uint8_t dummy[16];
        if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, NT, tag) != 1 ||
            EVP_CipherFinal_ex(c, dummy, &outl) != 1 || outl != 0)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0 && out != NULL)
        OPENSSL_cleanse(out, len);
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(nonce, sizeof nonce);
    return rc;
}

int tnd_hpke_ctx_seal(tnd_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                      size_t pt_len, uint8_t *ct)
{
    uint8_t tag[NT];
    if (ctx == NULL || !ctx->sender || ct == NULL || (aad == NULL && aad_len > 0) ||
        (pt == NULL && pt_len > 0))
        return TND_EINVAL;
    if (pt_len > SIZE_MAX - NT || ctx->seq == UINT64_MAX)
        return TND_ERANGE;
    int rc = aead(ctx, 1, aad, aad_len, pt, pt_len, ct, tag);
    if (rc != 0)
        return rc;
    memcpy(ct + pt_len, tag, NT);
    ctx->seq++;
    return 0;
}

int tnd_hpke_ctx_open(tnd_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                      size_t ct_len, uint8_t *pt)
{
    uint8_t tag[NT];
    if (ctx == NULL || ctx->sender || ct == NULL || (aad == NULL && aad_len > 0))
        return TND_EINVAL;
    if (ct_len < NT)
        return TND_ECRYPTO;
    size_t pt_len = ct_len - NT;
    if (pt == NULL && pt_len > 0)
        return TND_EINVAL;
    if (ctx->seq == UINT64_MAX)
        return TND_ERANGE;
    /* Copy the tag first: with pt == ct the plaintext does not reach it, but
     * the copy keeps that reasoning out of the AEAD code. */
    memcpy(tag, ct + pt_len, NT);
    int rc = aead(ctx, 0, aad, aad_len, ct, pt_len, pt, tag);
    if (rc != 0)
        return rc;
    ctx->seq++;
    return 0;
}

int tnd_hpke_ctx_export(const tnd_hpke_ctx *ctx, const uint8_t *exporter_context,
                        size_t context_len, uint8_t *out, size_t len)
{
    uint8_t suite[10];
    if (ctx == NULL || out == NULL || (exporter_context == NULL && context_len > 0))
        return TND_EINVAL;
    if (len == 0 || len > TND_HPKE_MAX_EXPORT || context_len > TND_HPKE_MAX_EXPORT_CONTEXT)
        return TND_ERANGE;
    hpke_suite(ctx->aead_id, suite);
    return labeled_expand(suite, sizeof suite, ctx->exporter_secret, "sec", exporter_context,
                          context_len, out, len);
}

/* ---- single-shot API (section 6.1) -------------------------------------- */

int tnd_hpke_seal(uint16_t aead_id, const uint8_t pkR[32], const uint8_t *info, size_t info_len,
                  const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
                  uint8_t enc[32], uint8_t *ct)
{
    tnd_hpke_ctx *ctx;
    if (ct == NULL || (aad == NULL && aad_len > 0) || (pt == NULL && pt_len > 0))
        return TND_EINVAL;
    if (pt_len > SIZE_MAX - NT)
        return TND_ERANGE;
    int rc = tnd_hpke_setup_sender(aead_id, pkR, info, info_len, enc, &ctx);
    if (rc != 0)
        return rc;
    rc = tnd_hpke_ctx_seal(ctx, aad, aad_len, pt, pt_len, ct);
    tnd_hpke_ctx_free(ctx);
    return rc;
}

int tnd_hpke_open(uint16_t aead_id, const uint8_t skR[32], const uint8_t enc[32],
                  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
                  const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
    tnd_hpke_ctx *ctx;
    if (ct == NULL || (aad == NULL && aad_len > 0) || (pt == NULL && ct_len > NT))
        return TND_EINVAL;
    if (ct_len < NT)
        return TND_ECRYPTO;
    int rc = tnd_hpke_setup_receiver(aead_id, skR, enc, info, info_len, &ctx);
    if (rc != 0) {
        if (pt != NULL)
            OPENSSL_cleanse(pt, ct_len - NT);
        return rc;
    }
    rc = tnd_hpke_ctx_open(ctx, aad, aad_len, ct, ct_len, pt);
    tnd_hpke_ctx_free(ctx);
    return rc;
}
