/* An opening committee's keys, split and sealed (tender/committee_make.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tender/bid.h"
#include "tender/committee_make.h"
#include "tender/sealed.h"

/* The largest share: of the opening and the documents private keys. */
#define MAX_SHARE_LEN TND_SHAMIR_SHARE_LEN(2 * TND_X25519_LEN)

static int set_bytes(tnd_bytes *dst, const uint8_t *src, size_t len)
{
    free(dst->data);
    dst->len = 0;
    if (!(dst->data = malloc(len)))
        return TND_ENOMEM;
    memcpy(dst->data, src, len);
    dst->len = len;
    return 0;
}

static int fail(int rc, char *msg, size_t len, const char *fmt, const char *name)
{
    snprintf(msg, len, fmt, name);
    return rc;
}

int tnd_committee_make(tender_tenders_v1_Committee *cm, bool documents, char *msg, size_t len)
{
    char dummy[1];
    if (!msg) {
        msg = dummy;
        len = sizeof dummy;
    }
    if (!cm)
        return fail(TND_EINVAL, msg, len, "%s", "no committee");
    /* Start from the members alone: the documents key decides the size a
     * sealed share must have (tnd_committee_secret_len), and old keys and
     * shares are replaced. */
    tnd_bytes *old[] = {&cm->opening_public_key, &cm->documents_public_key};
    for (size_t i = 0; i < 2; i++) {
        free(old[i]->data);
        *old[i] = (tnd_bytes){0};
    }
    for (size_t i = 0; cm->members && i < cm->n_members; i++) {
        free(cm->members[i].encrypted_share.data);
        free(cm->members[i].share_hash.data);
        cm->members[i].encrypted_share = cm->members[i].share_hash = (tnd_bytes){0};
    }
    if (tnd_committee_check(cm, false, msg, len) != 0)
        return TND_EINVAL;
    unsigned k = cm->threshold, n = (unsigned)cm->n_members;
    size_t secret_len = (documents ? 2 : 1) * TND_X25519_LEN;
    size_t share_len = TND_SHAMIR_SHARE_LEN(secret_len);
    uint8_t sk[2 * TND_X25519_LEN], pk[32], dpk[32], fp[32];
    uint8_t info[TND_SEALED_SHARE_INFO_LEN], aad[TND_SEALED_SHARE_AAD_LEN];
    uint8_t *shares = malloc((size_t)n * share_len);
    int rc = TND_ECRYPTO;
    if (!shares)
        return fail(TND_ENOMEM, msg, len, "%s", "out of memory");
    if (tnd_x25519_keygen(sk, pk) != 0 ||
        (documents && tnd_x25519_keygen(sk + TND_X25519_LEN, dpk) != 0) ||
        tnd_shamir_split(sk, secret_len, k, n, shares) != 0 ||
        tnd_opening_key_fingerprint(pk, fp) != 0 || tnd_sealed_share_info(fp, info) != 0 ||
        tnd_sealed_share_aad(k, n, aad) != 0) {
        rc = fail(TND_ECRYPTO, msg, len, "%s",
                  "cannot make the tender's opening key (OpenSSL failed)");
        goto out;
    }
    if (set_bytes(&cm->opening_public_key, pk, 32) != 0 ||
        (documents && set_bytes(&cm->documents_public_key, dpk, 32) != 0)) {
        rc = fail(TND_ENOMEM, msg, len, "%s", "out of memory");
        goto out;
    }
    for (unsigned i = 0; i < n; i++) {
        tender_tenders_v1_CommitteeMember *m = &cm->members[i];
        const uint8_t *share = shares + (size_t)i * share_len;
        uint8_t sealed[TND_HPKE_ENC_LEN + MAX_SHARE_LEN + TND_HPKE_TAG_LEN], h[32];
        size_t sealed_len = TND_HPKE_ENC_LEN + share_len + TND_HPKE_TAG_LEN;
        int e = tnd_hpke_seal(TND_SEALED_AEAD, m->public_key.data, info, sizeof info, aad,
                              sizeof aad, share, share_len, sealed, sealed + TND_HPKE_ENC_LEN);
        if (e != 0 || tnd_share_hash(share, share_len, h) != 0) {
            rc = e == TND_ECRYPTO
                     ? fail(TND_EINVAL, msg, len,
                            "cannot seal the share of %s: its key is not a usable X25519 public "
                            "key",
                            m->name)
                     : fail(TND_ECRYPTO, msg, len, "cannot seal the share of %s", m->name);
            goto out;
        }
        if (set_bytes(&m->encrypted_share, sealed, sealed_len) != 0 ||
            set_bytes(&m->share_hash, h, 32) != 0) {
            rc = fail(TND_ENOMEM, msg, len, "%s", "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    OPENSSL_cleanse(sk, sizeof sk);
    OPENSSL_cleanse(shares, (size_t)n * share_len);
    free(shares);
    return rc;
}
