/* Bid documents sealed apart, to the tender's documents key (tender/bid.h,
 * docs/SEALED.md "Bid documents"): the opening publishes the opening key,
 * never the documents key, so contents stay with those the server serves. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bid.h"
#include "tender/codec.h"
#include "tender/sealed.h"

#define AEAD TND_HPKE_AEAD_AES256GCM

int tnd_documents_key_fingerprint(const uint8_t pk[32], uint8_t out[32])
{
    static const char label[] = "tender/1 documents key";
    if (!pk || !out)
        return TND_EINVAL;
    uint8_t buf[sizeof label - 1 + 32];
    memcpy(buf, label, sizeof label - 1);
    memcpy(buf + sizeof label - 1, pk, 32);
    SHA256(buf, sizeof buf, out);
    return 0;
}

/* info and aad of a bid's sealed documents; both fit in 256 bytes. */
static int binding(const char *tender_id, const char *bid_id, const uint8_t fp[32],
                   const uint8_t tag[32], uint8_t *info, size_t *il, uint8_t *aad, size_t *al)
{
    static const char label[] = "tender/1 documents";
    size_t tl = tender_id ? strlen(tender_id) : 65, bl = bid_id ? strlen(bid_id) : 65;
    if (tl > 64 || bl > 64)
        return TND_EINVAL;
    memcpy(info, label, sizeof label); /* with its NUL: the 0x00 separator */
    memcpy(info + sizeof label, tender_id, tl + 1);
    memcpy(info + sizeof label + tl + 1, fp, 32);
    *il = sizeof label + tl + 1 + 32;
    memcpy(aad, bid_id, bl + 1);
    memcpy(aad + bl + 1, tag, 32);
    *al = bl + 1 + 32;
    return 0;
}

int tnd_bid_seal_documents(tender_bids_v1_BidContent *content, const char *tender_id,
                           const char *bid_id, const uint8_t nonce[32],
                           const uint8_t supplier_pub[32], const uint8_t documents_pk[32])
{
    if (!content || !nonce || !supplier_pub || !documents_pk)
        return TND_EINVAL;
    if (content->n_documents == 0)
        return 0;
    uint8_t fp[32], tag[32], info[256], aad[256];
    size_t il, al, len = 0;
    int rc;
    if ((rc = tnd_bid_owner_tag(nonce, supplier_pub, tag)) != 0 ||
        (rc = tnd_documents_key_fingerprint(documents_pk, fp)) != 0 ||
        (rc = binding(tender_id, bid_id, fp, tag, info, &il, aad, &al)) != 0)
        return rc;
    tender_bids_v1_BidDocumentContents dc;
    tender_bids_v1_BidDocumentContents_init(&dc);
    dc.contents = calloc(content->n_documents, sizeof *dc.contents);
    if (!dc.contents)
        return TND_ENOMEM;
    /* The contents move into dc (and back on failure); the list keeps their hashes. */
    for (size_t i = 0; i < content->n_documents; i++) {
        tender_bids_v1_BidDocument *d = &content->documents[i];
        free(d->sha256.data);
        if (!(d->sha256.data = malloc(32))) {
            d->sha256.len = 0;
            rc = TND_ENOMEM;
            break;
        }
        SHA256(d->content.data ? d->content.data : (const uint8_t *)"", d->content.len,
               d->sha256.data);
        d->sha256.len = 32;
        d->size = d->content.len;
        dc.contents[dc.n_contents++] = d->content;
        d->content = (tnd_bytes){0};
    }
    uint8_t *pt = NULL, *sealed = NULL;
    if (rc == 0)
        rc = tnd_msg_encode(&tender_bids_v1_BidDocumentContents_desc, &dc, &pt, &len, NULL);
    if (rc == 0 && !(sealed = malloc(TND_HPKE_ENC_LEN + len + TND_HPKE_TAG_LEN)))
        rc = TND_ENOMEM;
    if (rc == 0)
        rc = tnd_hpke_seal(AEAD, documents_pk, info, il, aad, al, pt, len, sealed,
                           sealed + TND_HPKE_ENC_LEN);
    if (rc == 0) {
        free(content->sealed_documents.data);
        content->sealed_documents = (tnd_bytes){sealed, TND_HPKE_ENC_LEN + len + TND_HPKE_TAG_LEN};
        sealed = NULL;
        tender_bids_v1_BidDocumentContents_free(&dc);
    } else {
        for (size_t i = 0; i < dc.n_contents; i++)
            content->documents[i].content = dc.contents[i];
        free(dc.contents);
    }
    if (pt)
        OPENSSL_cleanse(pt, len);
    free(pt);
    free(sealed);
    return rc;
}

int tnd_bid_check_documents(const tender_bids_v1_BidContent *c, bool documents_key, char *why,
                            size_t why_len)
{
    for (size_t i = 0; i < c->n_documents; i++) {
        const tender_bids_v1_BidDocument *d = &c->documents[i];
        if (d->content.len != 0) {
            snprintf(why, why_len,
                     "document %zu carries its content in the open: contents are sealed apart, "
                     "to the documents key",
                     i);
            return TND_EINVAL;
        }
        if (d->sha256.len != 32) {
            snprintf(why, why_len, "document %zu has no sha256 (32 bytes)", i);
            return TND_EINVAL;
        }
    }
    if (c->n_documents && !documents_key) {
        snprintf(why, why_len, "carries documents; the tender has no documents key");
        return TND_EINVAL;
    }
    if (c->n_documents && c->sealed_documents.len < TND_HPKE_ENC_LEN + TND_HPKE_TAG_LEN) {
        snprintf(why, why_len, "lists documents but seals no contents");
        return TND_EINVAL;
    }
    return 0;
}

int tnd_bid_open_documents(const tender_bids_v1_SealedBid *b, const tender_bids_v1_BidContent *c,
                           const uint8_t documents_sk[32], tender_bids_v1_BidDocumentContents *out,
                           char *why, size_t why_len)
{
    uint8_t pk[32], fp[32], info[256], aad[256];
    size_t il, al;
    const tnd_bytes *s = &c->sealed_documents;
    if (s->len < TND_HPKE_ENC_LEN + TND_HPKE_TAG_LEN || b->owner_tag.len != 32 ||
        tnd_x25519_public(documents_sk, pk) != 0 || tnd_documents_key_fingerprint(pk, fp) != 0 ||
        binding(b->tender_id, b->bid_id, fp, b->owner_tag.data, info, &il, aad, &al) != 0) {
        snprintf(why, why_len, TND_BID_DOCUMENTS_FAILURE "are malformed");
        return TND_EMALFORMED;
    }
    size_t len = s->len - TND_HPKE_ENC_LEN - TND_HPKE_TAG_LEN;
    uint8_t *pt = malloc(len ? len : 1);
    if (!pt) {
        snprintf(why, why_len, "out of memory");
        return TND_ENOMEM;
    }
    int rc = tnd_hpke_open(AEAD, documents_sk, s->data, info, il, aad, al,
                           s->data + TND_HPKE_ENC_LEN, s->len - TND_HPKE_ENC_LEN, pt);
    if (rc != 0) {
        snprintf(why, why_len, TND_BID_DOCUMENTS_FAILURE
                 "do not open: their ciphertext, binding or key is wrong");
        rc = TND_ECRYPTO;
    } else if (tnd_msg_decode(&tender_bids_v1_BidDocumentContents_desc, pt, len, out, NULL) !=
               0) {
        snprintf(why, why_len, TND_BID_DOCUMENTS_FAILURE "are malformed");
        rc = TND_EMALFORMED;
    } else if (out->n_contents != c->n_documents) {
        snprintf(why, why_len, TND_BID_DOCUMENTS_FAILURE "hold %zu contents for %zu listed documents",
                 out->n_contents, c->n_documents);
        rc = TND_EMALFORMED;
    }
    for (size_t i = 0; rc == 0 && i < out->n_contents; i++) {
        uint8_t h[32];
        const tnd_bytes *d = &out->contents[i];
        SHA256(d->data ? d->data : (const uint8_t *)"", d->len, h);
        if (d->len != c->documents[i].size || c->documents[i].sha256.len != 32 ||
            CRYPTO_memcmp(h, c->documents[i].sha256.data, 32) != 0) {
            snprintf(why, why_len,
                     TND_BID_DOCUMENTS_FAILURE "do not match their list: document %zu's size or "
                                               "sha256 differs",
                     i);
            rc = TND_EMALFORMED;
        }
    }
    OPENSSL_cleanse(pt, len);
    free(pt);
    if (rc != 0)
        tender_bids_v1_BidDocumentContents_free(out);
    return rc;
}
