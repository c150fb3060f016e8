/* Sending a sealed bid and checking its receipt (tender/receipt.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "arena.h"
#include "digest.h"
#include "client_internal.h"
#include "tender/blind.h"
#include "tender/encoding.h"
#include "tender/receipt.h"

#define VERIFY_FAIL(st, ...)                                                                       \
    (tnd__status_fail((st), TND_STATUS_DATA_LOSS, __VA_ARGS__), TND_ECRYPTO)

bool tnd_bid_id_valid(const char *id)
{
    if (!id || strlen(id) != TND_BID_ID_LEN || strncmp(id, "B-", 2) != 0)
        return false;
    uint8_t raw[16];
    size_t n;
    return tnd_hex_decode(id + 2, 32, raw, sizeof raw, &n) == 0;
}

int tnd_bid_id_new(char out[TND_BID_ID_LEN + 1])
{
    uint8_t r[16];
    int rc = 0;
    if (RAND_bytes(r, sizeof r) != 1) {
        memset(r, 0, sizeof r);
        rc = TND_ECRYPTO;
    }
    memcpy(out, "B-", 2);
    tnd_hex_encode(r, sizeof r, out + 2);
    return rc;
}

int tnd_bid_stored_hash(const tender_bids_v1_SealedBid *b, const tender_bids_v1_Receipt *r,
                        const char *replaces, uint8_t out[32])
{
    if (!b || !r || !out)
        return TND_EINVAL;
    uint8_t *enc;
    size_t len;
    /* A view of b as stored: its pointers are b's and r's, the replaced
     * bid's id a copy in an arena of this hash; nothing of it is freed. */
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_bids_v1_SealedBid stored = *b;
    stored.received = r->received;
    stored.state = tender_bids_v1_BidState_SUBMITTED;
    stored.replaces = tnd_arena_strdup(&a, replaces);
    int rc = tnd_arena_failed(&a)
                 ? TND_ENOMEM
                 : tnd_msg_encode(&tender_bids_v1_SealedBid_desc, &stored, &enc, &len, NULL);
    tnd_arena_free(&a);
    if (rc != 0)
        return rc;
    rc = tnd_sha256(enc, len, out);
    free(enc);
    return rc;
}

int tnd_bid_submit(tnd_client *c, const tnd_call_opts *opts, const tender_bids_v1_SealedBid *b,
                   const uint8_t nonce[32], const char *replaces, tender_bids_v1_Receipt *r,
                   bool *unknown, tnd_status_info *st)
{
    tender_bids_v1_Receipt_init(r);
    *unknown = false;
    tnd_client_stream *s;
    if (tender_bids_v1_Bids_Submit_open(c, opts, &s, st) != 0)
        return st->code; /* nothing was sent */
    /* The envelope goes first without its ciphertext (a view of b), then the
     * ciphertext in chunks; the request's own strings and bytes are copies
     * in an arena of this call. */
    const tnd_bytes ct = b->ciphertext;
    tender_bids_v1_SealedBid head = *b;
    head.ciphertext = (tnd_bytes){0};
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_bids_v1_SubmitBidRequest req = {.bid = &head,
                                           .owner_nonce = {tnd_arena_memdup(&a, nonce, 32), 32},
                                           .replaces = tnd_arena_strdup(&a, replaces)};
    int code = tnd_arena_failed(&a)
                   ? tnd__status_fail(st, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory")
                   : tender_bids_v1_Bids_Submit_send(s, &req, st);
    tnd_arena_free(&a);
    for (size_t off = 0; code == 0 && off < ct.len; off += TND_BID_CHUNK) {
        size_t n = ct.len - off < TND_BID_CHUNK ? ct.len - off : TND_BID_CHUNK;
        tender_bids_v1_SubmitBidRequest chunk = {.chunk = {ct.data + off, n}};
        code = tender_bids_v1_Bids_Submit_send(s, &chunk, st);
    }
    if (code == 0)
        code = tender_bids_v1_Bids_Submit_finish(s, r, st);
    *unknown =
        code != 0 && (!tnd_client_stream_answered(s) || code == TND_STATUS_DEADLINE_EXCEEDED);
    tnd_client_stream_close(s);
    return code;
}

int tnd_receipt_verify(const tnd_log_state *ls, const tender_bids_v1_Receipt *r, int kind,
                       const char *tender, const char *bid, const uint8_t *envelope_hash,
                       tnd_checkpoint *cp, tnd_status_info *st)
{
    if (!ls || !r || !tender || !bid || !cp || !st)
        return TND_EINVAL;
    bool withdrawn = kind == tender_events_v1_EventKind_BID_WITHDRAWN;
    const char *what = withdrawn ? "the withdrawal receipt" : "the receipt";
    if (!r->checkpoint || !r->leaf.len || r->envelope_hash.len != 32 ||
        r->n_proof > TND_MERKLE_MAX_PROOF)
        return VERIFY_FAIL(
            st, "%s of %s is incomplete (no checkpoint, leaf, envelope hash or proof)", what, bid);
    char label[200];
    snprintf(label, sizeof label, "the checkpoint of %s", what);
    int rc = tnd_log_verify_note(ls, label, r->checkpoint, strlen(r->checkpoint), cp, st);
    if (rc != 0)
        return rc;
    uint8_t leaf[32], proof[TND_MERKLE_MAX_PROOF][32];
    for (size_t i = 0; i < r->n_proof; i++) {
        if (r->proof[i].len != 32)
            return VERIFY_FAIL(st, "hash %zu of the inclusion proof of %s is not 32 bytes", i,
                               what);
        memcpy(proof[i], r->proof[i].data, 32);
    }
    if (tnd_merkle_leaf_hash(r->leaf.data, r->leaf.len, leaf) != 0 || r->leaf_index >= cp->size ||
        tnd_merkle_verify_inclusion(r->leaf_index, cp->size, leaf, (const uint8_t(*)[32])proof,
                                    r->n_proof, cp->root) != 0)
        return VERIFY_FAIL(st,
                           "the leaf of %s is not included at %llu in the checkpoint of size %llu "
                           "(the inclusion proof does not verify)",
                           what, (unsigned long long)r->leaf_index, (unsigned long long)cp->size);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    if (tender_events_v1_Event_decode(&ev, r->leaf.data, r->leaf.len, NULL) != 0) {
        rc = VERIFY_FAIL(st, "the leaf of %s is not an event", what);
    } else if ((int)ev.kind != kind || (ev.tender_id && *ev.tender_id) ||
               !tnd_blind_proves(&ev, tender, r->tag_secret.data, r->tag_secret.len) ||
               !ev.object_id || strcmp(ev.object_id, bid) != 0) {
        rc = VERIFY_FAIL(st, "the leaf of %s is not the %s event of bid %s in tender %s", what,
                         withdrawn ? "BID_WITHDRAWN" : "BID_RECEIVED", bid, tender);
    } else if (ev.object_hash.len != 32 ||
               memcmp(ev.object_hash.data, r->envelope_hash.data, 32) != 0 ||
               (envelope_hash && memcmp(envelope_hash, r->envelope_hash.data, 32) != 0)) {
        rc = VERIFY_FAIL(st,
                         "the envelope hash logged for %s is not the hash of the bid that was "
                         "sent",
                         bid);
    } else if ((r->bid_id && strcmp(r->bid_id, bid) != 0) ||
               (r->tender_id && strcmp(r->tender_id, tender) != 0)) {
        rc = VERIFY_FAIL(st, "%s names another bid (%s) than its leaf (%s)", what,
                         r->bid_id ? r->bid_id : "-", bid);
    }
    tender_events_v1_Event_free(&ev);
    return rc;
}

int tnd_receipt_prove_in(tnd_client *c, const tnd_checkpoint *rcp, uint64_t leaf_index,
                         const tnd_checkpoint *cur, tnd_status_info *st)
{
    if (!c || !rcp || !cur || !st)
        return TND_EINVAL;
    if (cur->size >= rcp->size)
        return tnd_log_prove_consistent(c, rcp, cur, NULL, st);
    if (leaf_index >= cur->size) {
        tnd__status_fail(st, TND_STATUS_UNAVAILABLE,
                         "leaf %llu is not yet in the checkpoint of size %llu: witnesses cosign "
                         "the log every few seconds; ask again shortly",
                         (unsigned long long)leaf_index, (unsigned long long)cur->size);
        return TND_EAGAIN;
    }
    return tnd_log_prove_consistent(c, cur, rcp, NULL, st);
}
