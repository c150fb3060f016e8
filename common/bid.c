/* Sealing, binding, signing and opening of bids (tender/bid.h). */
#include "tender/bid.h"
#include "digest.h"
#include "ed25519.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/sealed.h"

#define AEAD TND_HPKE_AEAD_AES256GCM

static int sha_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32])
{
    return tnd_sha256_parts(parts, lens, n, out);
}

int tnd_bid_owner_tag(const uint8_t nonce[32], const uint8_t supplier_key[32], uint8_t out[32])
{
    static const char label[] = "tender/1 bidder";
    const void *p[] = {label, nonce, supplier_key};
    const size_t l[] = {sizeof label - 1, 32, 32};
    return sha_parts(p, l, 3, out);
}

int tnd_share_hash(const uint8_t *share, size_t len, uint8_t out[32])
{
    static const char label[] = "tender/1 share";
    const void *p[] = {label, share};
    const size_t l[] = {sizeof label - 1, len};
    return sha_parts(p, l, 2, out);
}

static bool has32(const tnd_bytes *b)
{
    return b->len == 32 && b->data;
}

int tnd_bid_digest(const tender_bids_v1_SealedBid *b, uint8_t out[32])
{
    static const char label[] = "tender/1 envelope";
    static const uint8_t zero = 0;
    if (!b->tender_id || !b->bid_id || !has32(&b->opening_key_fingerprint) ||
        !has32(&b->owner_tag) || !has32(&b->enc))
        return TND_EINVAL;
    uint8_t cth[32];
    if (tnd_sha256(b->ciphertext.data, b->ciphertext.len, cth) != 0)
        return TND_ECRYPTO;
    const void *p[] = {label,        &zero,          b->tender_id, &zero, b->bid_id, &zero,
                       b->opening_key_fingerprint.data, b->owner_tag.data, b->enc.data, cth};
    const size_t l[] = {sizeof label - 1, 1, strlen(b->tender_id), 1, strlen(b->bid_id), 1,
                        32, 32, 32, 32};
    return sha_parts(p, l, 10, out);
}

/* info and aad of a bid; both fit in 256 bytes for ids of at most 64. */
static int binding(const tender_bids_v1_SealedBid *b, uint8_t *info, size_t *il, uint8_t *aad,
                   size_t *al)
{
    static const char label[] = "tender/1 bid";
    size_t tl = strlen(b->tender_id), bl = strlen(b->bid_id);
    if (tl > 64 || bl > 64)
        return TND_EINVAL;
    size_t n = 0;
    memcpy(info, label, sizeof label); /* with its NUL: the 0x00 separator */
    n = sizeof label;
    memcpy(info + n, b->tender_id, tl + 1);
    n += tl + 1;
    memcpy(info + n, b->opening_key_fingerprint.data, 32);
    *il = n + 32;
    memcpy(aad, b->bid_id, bl + 1);
    memcpy(aad + bl + 1, b->owner_tag.data, 32);
    *al = bl + 1 + 32;
    return 0;
}

static int set_bytes(tnd_bytes *dst, const uint8_t *src, size_t len)
{
    free(dst->data);
    dst->data = malloc(len ? len : 1);
    if (!dst->data) {
        dst->len = 0;
        return TND_ENOMEM;
    }
    if (len)
        memcpy(dst->data, src, len);
    dst->len = len;
    return 0;
}

int tnd_bid_verify(const tender_bids_v1_SealedBid *b, const uint8_t supplier_key[32])
{
    uint8_t d[32];
    if (!b->signature.data || b->signature.len != 64 || tnd_bid_digest(b, d) != 0)
        return TND_ECRYPTO;
    return tnd_ed25519_verify(b->signature.data, d, sizeof d, supplier_key);
}

int tnd_bid_verify_pkey(const tender_bids_v1_SealedBid *b, EVP_PKEY *key)
{
    uint8_t raw[32];
    size_t len = sizeof raw;
    if (!key || !EVP_PKEY_is_a(key, "ED25519") ||
        EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof raw)
        return TND_ECRYPTO;
    return tnd_bid_verify(b, raw);
}

int tnd_bid_seal(tender_bids_v1_BidContent *content, const char *tender_id, const char *bid_id,
                 const uint8_t opening_pk[32], EVP_PKEY *supplier_priv, const uint8_t *nonce_in,
                 tender_bids_v1_SealedBid *b, uint8_t nonce_out[32])
{
    uint8_t pub[32], fp[32], tag[32], nonce[32], info[256], aad[256], d[32], sig[64];
    size_t pl = 32, il, al, sl = 64, len = 0;
    uint8_t *pt = NULL, *ct = NULL;
    int rc = TND_ECRYPTO;
    if (EVP_PKEY_get_raw_public_key(supplier_priv, pub, &pl) != 1 || pl != 32 ||
        (nonce_in ? (memcpy(nonce, nonce_in, 32), 0) : RAND_priv_bytes(nonce, 32) != 1) ||
        tnd_bid_owner_tag(nonce, pub, tag) != 0 ||
        tnd_opening_key_fingerprint(opening_pk, fp) != 0)
        goto out;
    if ((rc = set_bytes(&content->supplier_key, pub, 32)) != 0 ||
        (rc = set_bytes(&content->owner_nonce, nonce, 32)) != 0 ||
        (rc = tnd_msg_encode(&tender_bids_v1_BidContent_desc, content, &pt, &len, NULL)) != 0)
        goto out;
    free(b->tender_id);
    free(b->bid_id);
    b->tender_id = strdup(tender_id);
    b->bid_id = strdup(bid_id);
    ct = malloc(len + TND_HPKE_TAG_LEN);
    uint8_t enc[32];
    if (!b->tender_id || !b->bid_id || !ct || set_bytes(&b->opening_key_fingerprint, fp, 32) ||
        set_bytes(&b->owner_tag, tag, 32) || binding(b, info, &il, aad, &al) != 0) {
        rc = TND_ENOMEM;
        goto out;
    }
    if ((rc = tnd_hpke_seal(AEAD, opening_pk, info, il, aad, al, pt, len, enc, ct)) != 0)
        goto out;
    free(b->ciphertext.data);
    b->ciphertext.data = ct;
    b->ciphertext.len = len + TND_HPKE_TAG_LEN;
    ct = NULL;
    rc = TND_ECRYPTO;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = set_bytes(&b->enc, enc, 32) == 0 && tnd_bid_digest(b, d) == 0 && md &&
              EVP_DigestSignInit(md, NULL, NULL, NULL, supplier_priv) == 1 &&
              EVP_DigestSign(md, sig, &sl, d, 32) == 1 && sl == 64 &&
              set_bytes(&b->signature, sig, 64) == 0;
    EVP_MD_CTX_free(md);
    if (!ok)
        goto out;
    memcpy(nonce_out, nonce, 32);
    rc = 0;
out:
    if (pt)
        OPENSSL_cleanse(pt, len);
    free(pt);
    free(ct);
    OPENSSL_cleanse(nonce, sizeof nonce);
    return rc;
}

int tnd_bid_open(const tender_bids_v1_SealedBid *b, const uint8_t opening_sk[32],
                 tender_bids_v1_BidContent *content, char *why, size_t why_len)
{
    uint8_t info[256], aad[256], tag[32];
    size_t il, al;
    if (!has32(&b->enc) || !has32(&b->owner_tag) || !has32(&b->opening_key_fingerprint) ||
        b->ciphertext.len < TND_HPKE_TAG_LEN || binding(b, info, &il, aad, &al) != 0) {
        snprintf(why, why_len, "malformed envelope");
        return TND_EMALFORMED;
    }
    size_t len = b->ciphertext.len - TND_HPKE_TAG_LEN;
    uint8_t *pt = malloc(len ? len : 1);
    if (!pt) {
        snprintf(why, why_len, "out of memory");
        return TND_ENOMEM;
    }
    int rc = tnd_hpke_open(AEAD, opening_sk, b->enc.data, info, il, aad, al, b->ciphertext.data,
                           b->ciphertext.len, pt);
    if (rc != 0) {
        snprintf(why, why_len, "bad decryption: the ciphertext, its binding or the key is wrong");
        rc = TND_ECRYPTO;
    } else if (tnd_msg_decode(&tender_bids_v1_BidContent_desc, pt, len, content, NULL) != 0) {
        snprintf(why, why_len, "malformed plaintext");
        rc = TND_EMALFORMED;
    } else if (!has32(&content->supplier_key) || !has32(&content->owner_nonce) ||
               tnd_bid_owner_tag(content->owner_nonce.data, content->supplier_key.data, tag) ||
               memcmp(tag, b->owner_tag.data, 32) != 0) {
        snprintf(why, why_len, "the bid's owner tag does not belong to the key inside");
        rc = TND_ECRYPTO;
    } else if (tnd_bid_verify(b, content->supplier_key.data) != 0) {
        snprintf(why, why_len, "bad signature");
        rc = TND_ECRYPTO;
    }
    OPENSSL_cleanse(pt, len);
    free(pt);
    if (rc != 0)
        tnd_msg_free(&tender_bids_v1_BidContent_desc, content);
    return rc;
}
