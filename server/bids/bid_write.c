/* Storing sealed bids on the writer thread: the deadline, the opening key,
 * the owner of a replaced or withdrawn bid, and the BID_RECEIVED /
 * BID_WITHDRAWN events, which name no bidder and, until the deadline, no
 * tender (include/tender/blind.h). */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bids.h"
#include "complaints/complaints.h"
#include "tender/blind.h"
#include "tender/sealed.h"

#define BID_DESC (&tender_bids_v1_SealedBid_desc)

bool tnd__bid_id_ok(const char *id)
{
    if (!id || strlen(id) != TND_BID_ID_LEN || strncmp(id, "B-", 2) != 0)
        return false;
    for (const char *p = id + 2; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return false;
    return true;
}

int tnd_bid_tag_key(tnd_wtx *w, const char *tender_id, uint8_t key[32])
{
    uint8_t kb[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_bid_tag_keys(kb, tender_id);
    MDB_val k = {.mv_size = kl, .mv_data = kb}, v;
    int rc = kl ? mdb_get(tnd_wtx_txn(w),
                          tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_BID_TAG_KEYS), &k, &v)
                : MDB_BAD_VALSIZE;
    if (rc == 0 && v.mv_size == 32) {
        memcpy(key, v.mv_data, 32);
        return 0;
    }
    if (rc == 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the bid tag key of %s is damaged",
                            tender_id);
    if (rc != MDB_NOTFOUND || RAND_bytes(key, 32) != 1)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot make the bid tag key of %s",
                            tender_id);
    rc = tnd_wtx_put_raw(w, TND_TABLE_BID_TAG_KEYS, kb, kl, key, 32);
    return rc ? tnd_wtx_fail(w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED
                                                 : TND_STATUS_UNAVAILABLE,
                             "cannot store the bid tag key of %s: %s", tender_id, tnd_strerror(rc))
              : 0;
}

int tnd_bid_tag_key_read(tnd_store *s, MDB_txn *txn, const char *tender_id, uint8_t key[32])
{
    uint8_t kb[TND_KEY_TENDER_ID_MAX];
    MDB_val k = {.mv_size = tnd_key_bid_tag_keys(kb, tender_id), .mv_data = kb}, v;
    if (!k.mv_size || mdb_get(txn, tnd_store_dbi(s, TND_TABLE_BID_TAG_KEYS), &k, &v) != 0 ||
        v.mv_size != 32)
        return TND_ENOTFOUND;
    memcpy(key, v.mv_data, 32);
    return 0;
}

bool tnd_bid_tag_key_public(const tnd_tender *t)
{
    return tnd_tender_published(t) && t->status != tender_tenders_v1_TenderStatus_ACTIVE;
}

/* The tender must take bids now: active, before its deadline (the batch
 * time is the time of receipt), its deadline not suspended by a complaint
 * (what: "a bid", "a withdrawal"). t is the store's cached copy: read only. */
static int open_for_bids(tnd_wtx *w, const char *tender_id, tnd_tender *t, const char *what)
{
    char a[32];
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_tenders(key, tender_id);
    int rc = kl ? tnd_wtx_get_msg_cached(w, TND_TABLE_TENDERS, key, kl,
                                         &tender_tenders_v1_Tender_desc, t)
                : TND_ENOTFOUND;
    if (rc != 0 || !tnd_tender_published(t))
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", tender_id);
    /* A suspended deadline may have passed: the suspension is the reason. */
    int st = t->status == tender_tenders_v1_TenderStatus_ACTIVE
                 ? tnd_complaint_suspension_refusal(w, t, what)
                 : 0;
    if (st)
        return st;
    int64_t dl = tnd_ts_ms(t->fields ? t->fields->submission_deadline : NULL);
    if (t->status != tender_tenders_v1_TenderStatus_ACTIVE || tnd_wtx_now_ms(w) >= dl)
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "tender %s closed for bids at %s (it is %s); bids are closed",
                            tender_id, tnd_ms_text(dl, a, sizeof a),
                            tnd_tender_status_name(t->status));
    return 0;
}

/* A stored bid, decoded into the write's arena. */
static int load_bid(tnd_wtx *w, const char *tender_id, const char *bid_id,
                    tender_bids_v1_SealedBid *b)
{
    uint8_t key[160];
    size_t kl = tnd_key_bids(key, sizeof key, tender_id, bid_id);
    tender_bids_v1_SealedBid_init(b);
    return kl ? tnd_wtx_get_msg_in(w, TND_TABLE_BIDS, key, kl, BID_DESC, b) : TND_EINVAL;
}

/* Store b; hash (when not NULL) gets the SHA-256 of the bytes stored, the
 * hash its event logs, from the one encoding. */
static int save_bid(tnd_wtx *w, const tender_bids_v1_SealedBid *b, uint8_t *hash)
{
    uint8_t key[160];
    size_t kl = tnd_key_bids(key, sizeof key, b->tender_id, b->bid_id);
    int rc = hash ? tnd_wtx_put_msg_hashed(w, TND_TABLE_BIDS, key, kl, BID_DESC, b, hash)
                  : tnd_wtx_put_msg(w, TND_TABLE_BIDS, key, kl, BID_DESC, b);
    if (rc == 0) {
        kl = tnd_key_bid_owners(key, sizeof key, b->tender_id, b->owner_tag.data);
        rc = tnd_wtx_put_raw(w, TND_TABLE_BID_OWNERS, key, kl, b->bid_id, strlen(b->bid_id));
    }
    return rc ? tnd_wtx_fail(w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED
                                                 : TND_STATUS_UNAVAILABLE,
                             "cannot store bid %s: %s", b->bid_id, tnd_strerror(rc))
              : 0;
}

/* Log a bid event: no actor, the envelope's hash (hash: of b as stored), so the public log shows
 * that something arrived and never who sent it or what it says; no tender
 * id or version either, only the blinded tag, so that nobody counts a
 * tender's bids before the deadline. */
static int bid_event(tnd_wtx *w, tnd_op *op, int kind, const tnd_tender *t,
                     const tender_bids_v1_SealedBid *b, const uint8_t hash[32], const char *note)
{
    uint8_t key[32], secret[32];
    int rc = tnd_bid_tag_key(w, t->id, key);
    if (rc)
        return rc;
    /* Built in the write's arena: a copy that fails fails the write, and
     * tnd_wtx_append_event logs nothing after it. */
    tnd_arena *a = tnd_wtx_arena(w);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    ev.kind = (tender_events_v1_EventKind)kind;
    ev.object_id = tnd_arena_strdup(a, b->bid_id);
    ev.note = tnd_arena_strdup(a, note);
    ev.tender_tag.data = tnd_arena_alloc(a, 32);
    ev.tender_tag.len = 32;
    rc = ev.tender_tag.data ? 0 : TND_ENOMEM;
    if (rc == 0)
        rc = tnd_blind_secret(key, kind, b->bid_id, secret);
    if (rc == 0)
        rc = tnd_blind_tag(t->id, secret, ev.tender_tag.data);
    ev.object_hash.data = rc == 0 ? tnd_arena_memdup(a, hash, 32) : NULL;
    ev.object_hash.len = 32;
    if (rc == 0)
        rc = tnd_wtx_append_event(w, &ev, &op->event_seq);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(secret, sizeof secret);
    /* The receipt is built after the commit (it needs the checkpoint); the
     * leaf it is about goes into the reply now, so that the idempotency
     * record of a retried request can rebuild it. */
    ((tender_bids_v1_Receipt *)op->resp)->leaf_index = op->event_seq;
    return rc ? tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot log the bid") : 0;
}

int tnd__bid_submit_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_bids_v1_SubmitBidRequest *req = op->req;
    const tender_bids_v1_SealedBid *in = req->bid;
    tnd_tender t;
    int st = open_for_bids(w, in->tender_id, &t, "a bid");
    if (st)
        return st;
    uint8_t fp[32];
    const tender_tenders_v1_Committee *cm = t.fields->committee;
    if (!cm || cm->opening_public_key.len != 32 ||
        tnd_opening_key_fingerprint(cm->opening_public_key.data, fp) != 0 ||
        memcmp(fp, in->opening_key_fingerprint.data, 32) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                          "the bid is sealed to another opening key than tender %s's", t.id);
    /* Bid ids are unique across tenders: "already exists" in one tender
     * only would tell which tender a bid id seen in the log belongs to. */
    uint8_t ikey[TND_KEY_BID_ID_MAX];
    size_t il = tnd_key_bid_ids(ikey, in->bid_id);
    MDB_val ik = {.mv_size = il, .mv_data = ikey}, iv;
    int got = st ? 0
                 : mdb_get(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_BID_IDS),
                           &ik, &iv);
    if (!st && got == 0)
        st = tnd_wtx_fail(w, TND_STATUS_ALREADY_EXISTS,
                          "bid %s already exists: choose a new random bid id", in->bid_id);
    else if (!st && got != MDB_NOTFOUND)
        st = tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read the bid ids: %s",
                          mdb_strerror(got));
    if (!st && tnd_wtx_put_raw(w, TND_TABLE_BID_IDS, ikey, il, t.id, strlen(t.id)) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store bid %s", in->bid_id);
    tender_bids_v1_SealedBid old;
    tender_bids_v1_SealedBid_init(&old);
    if (!st && req->replaces && *req->replaces) {
        if (load_bid(w, in->tender_id, req->replaces, &old) != 0 ||
            memcmp(old.owner_tag.data, in->owner_tag.data, 32) != 0)
            st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "you have no bid %s in tender %s",
                              req->replaces, t.id);
        else if (old.state != tender_bids_v1_BidState_SUBMITTED)
            st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "bid %s was already %s",
                              old.bid_id,
                              old.state == tender_bids_v1_BidState_WITHDRAWN ? "withdrawn"
                                                                             : "replaced");
        if (!st) {
            old.state = tender_bids_v1_BidState_REPLACED;
            st = save_bid(w, &old, NULL);
        }
    }
    /* The stored bid: the request's envelope as received (the request
     * itself is not changed: the write may run again). */
    tender_bids_v1_SealedBid stored = *in;
    uint8_t hash[32];
    if (!st) {
        stored.received = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        stored.state = tender_bids_v1_BidState_SUBMITTED;
        stored.replaces = req->replaces && *req->replaces ? req->replaces : NULL;
        st = stored.received ? save_bid(w, &stored, hash)
                             : tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    }
    char note[120] = "";
    if (req->replaces && *req->replaces)
        snprintf(note, sizeof note, "replaces %s", req->replaces);
    if (!st)
        st = bid_event(w, op, tender_events_v1_EventKind_BID_RECEIVED, &t, &stored, hash, note);
    return st;
}

int tnd__bid_withdraw_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_bids_v1_BidRef *req = op->req;
    tnd_tender t;
    int st = open_for_bids(w, req->tender_id, &t, "a withdrawal");
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    uint8_t tag[32];
    if (!st && (load_bid(w, req->tender_id, req->bid_id, &b) != 0 ||
                tnd_bid_owner_tag(req->owner_nonce.data, op->peer.pubkey, tag) != 0 ||
                b.owner_tag.len != 32 || memcmp(tag, b.owner_tag.data, 32) != 0))
        st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "you have no bid %s in tender %s",
                          req->bid_id, req->tender_id);
    if (!st && b.state != tender_bids_v1_BidState_SUBMITTED)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "bid %s is no longer in force",
                          b.bid_id);
    uint8_t hash[32];
    if (!st) {
        b.state = tender_bids_v1_BidState_WITHDRAWN;
        st = save_bid(w, &b, hash);
    }
    if (!st)
        st = bid_event(w, op, tender_events_v1_EventKind_BID_WITHDRAWN, &t, &b, hash, NULL);
    return st;
}
