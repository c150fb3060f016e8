/* State changes of tenders, run on the store's writer thread inside the
 * request's nested transaction: each reads the current state, applies the
 * life-cycle rules with the batch's time, writes the result and its event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "be.h"
#include "bids/bids.h"
#include "ops/logging.h"
#include "tender/cancel.h"
#include "tender/lots.h"
#include "tenders.h"

#define T_DESC (&tender_tenders_v1_Tender_desc)
#define ST(name) tender_tenders_v1_TenderStatus_##name
#define EV(name) tender_events_v1_EventKind_##name

int tnd_tender_event(tnd_wtx *w, int kind, const tnd_tender *t, const tnd_peer_identity *p,
                     const char *object_id, const tnd_msg_desc *obj_desc, const void *obj,
                     const char *note)
{
    /* Built in the write's arena: a copy that fails fails the write, and
     * tnd_wtx_append_event logs nothing after it. */
    tnd_arena *a = tnd_wtx_arena(w);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    ev.kind = (tender_events_v1_EventKind)kind;
    ev.tender_id = tnd_arena_strdup(a, t->id);
    ev.tender_version = t->version;
    if (p)
        ev.actor = tnd_actor_in(a, p);
    ev.object_id = tnd_arena_strdup(a, object_id);
    ev.note = tnd_arena_strdup(a, note);
    /* The end of bidding publishes the key that links the bid events. */
    int rc = 0;
    if ((kind == EV(TENDER_CLOSED) || kind == EV(TENDER_CANCELLED)) && tnd_tender_published(t)) {
        uint8_t key[32];
        if ((rc = tnd_bid_tag_key(w, t->id, key)) != 0)
            return rc;
        ev.bid_tag_key.data = tnd_arena_memdup(a, key, 32);
        ev.bid_tag_key.len = 32;
    }
    tnd_bytes h = {0};
    rc = tnd_msg_hash(obj_desc ? obj_desc : T_DESC, obj ? obj : t, &h);
    ev.object_hash.data = rc == 0 ? tnd_arena_memdup(a, h.data, h.len) : NULL;
    ev.object_hash.len = h.len;
    free(h.data);
    uint64_t seq;
    if (rc == 0)
        rc = tnd_wtx_append_event(w, &ev, &seq);
    if (rc != 0)
        return tnd_wtx_fail(w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED
                                                : TND_STATUS_UNAVAILABLE,
                            "cannot record the event: %s", tnd_strerror(rc));
    return 0;
}

/* The stored tender, decoded into the write's arena: every change to it is
 * made there too, so nothing of it is freed or handed over by hand, and a
 * copy that fails fails the write (save refuses to store it). */
static int load(tnd_wtx *w, const char *id, tnd_tender *t)
{
    tender_tenders_v1_Tender_init(t);
    if (!id || !*id)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "id: required");
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_tenders(key, id);
    int rc = kl ? tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, key, kl, T_DESC, t) : TND_ENOTFOUND;
    if (rc == TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", id);
    if (rc == TND_ENOMEM)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "tender %s is unreadable", id);
    return 0;
}

/* Drafts are invisible to other organisations: they get NOT_FOUND. */
static int load_owned(tnd_wtx *w, const char *id, tnd_tender *t, const tnd_peer_identity *p)
{
    int st = load(w, id, t);
    if (st)
        return st;
    if (!tnd_tender_visible(t, p))
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", id);
    if (!tnd_tender_owner(t, p))
        return tnd_wtx_fail(w, TND_STATUS_PERMISSION_DENIED,
                            "tender %s belongs to \"%s\"; only its officers may change it", id,
                            t->buyer ? t->buyer : "");
    return 0;
}

/* Never store a tender that may miss a part (a timestamp, a copied field):
 * once the write's arena failed, the write fails here. */
static int save(tnd_wtx *w, const tnd_tender *t, bool versioned)
{
    if (tnd_arena_failed(tnd_wtx_arena(w)))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    uint8_t key[128];
    size_t kl = tnd_key_tenders(key, t->id);
    int rc = tnd_wtx_put_msg(w, TND_TABLE_TENDERS, key, kl, T_DESC, t);
    if (rc == 0 && versioned) {
        kl = tnd_key_tender_versions(key, sizeof key, t->id, t->version);
        rc = tnd_wtx_put_msg(w, TND_TABLE_TENDER_VERSIONS, key, kl, T_DESC, t);
    }
    if (rc != 0)
        return tnd_wtx_fail(w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED
                                                : TND_STATUS_UNAVAILABLE,
                            "cannot store tender %s: %s", t->id, tnd_strerror(rc));
    return 0;
}

static int reply(tnd_wtx *w, tnd_op *op, const tnd_tender *t)
{
    return tnd_op_reply(w, op, t);
}

/* ---- the opening-key index (docs/SEALED.md): one tender per opening key.
 * OPENING_KEYS maps each opening public key to the tender that holds it,
 * from the draft that first names it on; a key once published stays held. */

static const tnd_bytes *opening_key(const tnd_tender *t)
{
    const tender_tenders_v1_Committee *cm = t->fields ? t->fields->committee : NULL;
    return cm && cm->opening_public_key.len == 32 ? &cm->opening_public_key : NULL;
}

/* The tender holding key into holder: 0, TND_ENOTFOUND, or a store error. */
static int key_holder(tnd_wtx *w, const tnd_bytes *key, char *holder, size_t len)
{
    uint8_t kb[TND_KEY_OPENING_KEYS_LEN];
    MDB_val k = {.mv_size = tnd_key_opening_keys(kb, key->data), .mv_data = kb}, v;
    int rc = mdb_get(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_OPENING_KEYS), &k,
                     &v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0)
        return TND_EIO;
    snprintf(holder, len, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
    return 0;
}

/* Make t the holder of its opening key, unless another tender holds it:
 * then fail with code, naming that tender if the caller may see it. */
static int claim_key(tnd_wtx *w, const tnd_tender *t, const tnd_peer_identity *p, int code,
                     const char *doing)
{
    const tnd_bytes *key = opening_key(t);
    char holder[80];
    if (!key)
        return 0;
    int rc = key_holder(w, key, holder, sizeof holder);
    if (rc == 0 && strcmp(holder, t->id) == 0)
        return 0;
    if (rc == 0) {
        tnd_tender o;
        uint8_t hk[TND_KEY_TENDER_ID_MAX];
        size_t hkl = tnd_key_tenders(hk, holder);
        bool named = hkl && tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, hk, hkl, T_DESC, &o) == 0 &&
                     tnd_tender_visible(&o, p);
        return tnd_wtx_fail(w, code,
                            "%sfields.committee.opening_public_key: the key already serves %s%s; "
                            "an opening key serves one tender only (its private key is published "
                            "when that tender opens, and would read these bids): make a new one "
                            "(tenderctl tender edit --committee)",
                            doing, named ? "tender " : "another tender", named ? holder : "");
    }
    uint8_t kb[TND_KEY_OPENING_KEYS_LEN];
    size_t kl = tnd_key_opening_keys(kb, key->data);
    if (rc != TND_ENOTFOUND ||
        tnd_wtx_put_raw(w, TND_TABLE_OPENING_KEYS, kb, kl, t->id, strlen(t->id)) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot record the opening key of %s",
                            t->id);
    return 0;
}

/* A draft that changes its opening key gives the old one up (nothing was
 * sealed to it: drafts take no bids). */
static int release_key(tnd_wtx *w, const tnd_tender *t)
{
    const tnd_bytes *key = opening_key(t);
    char holder[80];
    if (!key || key_holder(w, key, holder, sizeof holder) != 0 || strcmp(holder, t->id) != 0)
        return 0;
    uint8_t kb[TND_KEY_OPENING_KEYS_LEN];
    if (tnd_wtx_del(w, TND_TABLE_OPENING_KEYS, kb, tnd_key_opening_keys(kb, key->data)) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot record the opening key of %s",
                            t->id);
    return 0;
}

static bool same_bytes(const tnd_bytes *a, const tnd_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* The next tender id, "T-2026-000123": a counter kept in META. */
static int next_id(tnd_wtx *w, char *id, size_t len)
{
    MDB_txn *txn = tnd_wtx_txn(w);
    MDB_dbi dbi = tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_META);
    MDB_val k = {.mv_size = sizeof TND_META_TENDER_SEQ - 1, .mv_data = TND_META_TENDER_SEQ}, v;
    uint64_t seq = 0;
    if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size == 8)
        seq = tnd_be64_get(v.mv_data);
    seq++;
    uint8_t buf[8];
    tnd_be64_put(buf, seq);
    if (tnd_wtx_put_raw(w, TND_TABLE_META, k.mv_data, k.mv_size, buf, 8) != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot allocate a tender id");
    time_t now = (time_t)(tnd_wtx_now_ms(w) / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    snprintf(id, len, "T-%04d-%06llu", tm.tm_year + 1900, (unsigned long long)seq);
    return 0;
}

int tnd_tender_create_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_CreateTenderRequest *req = op->req;
    char id[32];
    int st = next_id(w, id, sizeof id);
    if (st)
        return st;
    /* The new tender lives in the write's arena: a copy that fails fails
     * the write before anything of it is stored. */
    tnd_arena *a = tnd_wtx_arena(w);
    tnd_tender t;
    tender_tenders_v1_Tender_init(&t);
    t.id = tnd_arena_strdup(a, id);
    t.status = ST(DRAFT);
    t.buyer = tnd_arena_strdup(a, op->peer.org);
    t.fields = tnd_msg_new_in(&tender_tenders_v1_TenderFields_desc, a);
    if (!t.fields || tnd_msg_copy_in(&tender_tenders_v1_TenderFields_desc, a, req->fields, t.fields))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    t.created = tnd_ts_in(a, tnd_wtx_now_ms(w));
    t.updated = tnd_ts_in(a, tnd_wtx_now_ms(w));
    t.created_by = tnd_actor_in(a, &op->peer);
    if (tnd_arena_failed(a))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    st = claim_key(w, &t, &op->peer, TND_STATUS_ALREADY_EXISTS, "");
    if (!st)
        st = save(w, &t, false);
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_CREATED), &t, &op->peer, NULL, NULL, NULL, NULL);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

static int replace_fields(tnd_wtx *w, tnd_tender *t, const tender_tenders_v1_TenderFields *f)
{
    tnd_arena *a = tnd_wtx_arena(w);
    tender_tenders_v1_TenderFields *nf = tnd_msg_new_in(&tender_tenders_v1_TenderFields_desc, a);
    if (!nf || tnd_msg_copy_in(&tender_tenders_v1_TenderFields_desc, a, f, nf) != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    t->fields = nf;
    t->updated = tnd_ts_in(a, tnd_wtx_now_ms(w));
    return 0;
}

static int not_in(tnd_wtx *w, const tnd_tender *t, const char *what)
{
    char when[32];
    return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "tender %s is %s (since %s); %s",
                        t->id, tnd_tender_status_name(t->status),
                        tnd_ms_text(tnd_ts_ms(t->updated), when, sizeof when), what);
}

int tnd__tender_edit_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_EditTenderRequest *req = op->req;
    tnd_tender t;
    int st = load_owned(w, req->id, &t, &op->peer);
    if (st)
        return st;
    if (t.status != ST(DRAFT))
        st = not_in(w, &t, "only drafts can be edited; amend a published tender");
    const tnd_bytes *old_key = st ? NULL : opening_key(&t), *new_key = NULL;
    if (req->fields->committee && req->fields->committee->opening_public_key.len == 32)
        new_key = &req->fields->committee->opening_public_key;
    if (!st && old_key && (!new_key || !same_bytes(old_key, new_key)))
        st = release_key(w, &t);
    if (!st)
        st = replace_fields(w, &t, req->fields);
    if (!st)
        st = claim_key(w, &t, &op->peer, TND_STATUS_ALREADY_EXISTS, "");
    if (!st)
        st = save(w, &t, false);
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_EDITED), &t, &op->peer, NULL, NULL, NULL, NULL);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

static int schedule(tnd_wtx *w, const tnd_tender *t, int64_t due_ms, bool add)
{
    uint8_t key[128];
    size_t kl = tnd_key_schedule(key, sizeof key, due_ms, t->id);
    int rc = add ? tnd_wtx_put_raw(w, TND_TABLE_SCHEDULE, key, kl, "c", 1)
                 : tnd_wtx_del(w, TND_TABLE_SCHEDULE, key, kl);
    if (rc != 0 && !(rc == TND_ENOTFOUND && !add))
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot schedule the deadline of %s",
                            t->id);
    return 0;
}

int tnd__tender_publish_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_TenderRef *req = op->req;
    tnd_tender t;
    char msg[400];
    int st = load_owned(w, req->id, &t, &op->peer);
    if (st)
        return st;
    if (t.status != ST(DRAFT))
        st = not_in(w, &t, "only a draft can be published");
    if (!st && tnd__tender_check_fields(t.fields, msg, sizeof msg) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "cannot publish %s: %s", t.id, msg);
    /* The draft, not the request, is wrong: FAILED_PRECONDITION. */
    if (!st && tnd__tender_check_times(t.fields, tnd_wtx_now_ms(w),
                                      op->srv->cfg.min_tender_period_ms, -1, msg, sizeof msg))
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "cannot publish %s: %s", t.id, msg);
    if (!st) {
        snprintf(msg, sizeof msg, "cannot publish %s: ", t.id);
        st = claim_key(w, &t, &op->peer, TND_STATUS_FAILED_PRECONDITION, msg);
    }
    if (!st) {
        t.status = ST(ACTIVE);
        t.version = 1;
        if (tnd__tender_lot_states(tnd_wtx_arena(w), NULL, t.fields, &t.lot_states,
                                   &t.n_lot_states) != 0)
            return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        t.published = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        t.updated = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        st = save(w, &t, true);
    }
    if (!st)
        st = schedule(w, &t, tnd_ts_ms(t.fields->submission_deadline), true);
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_PUBLISHED), &t, &op->peer, NULL, NULL, NULL, NULL);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

/* The same committee, byte for byte: bids are sealed to its opening key,
 * and its names, keys, sealed shares and share hashes decide who opens. */
static bool same_committee(const tender_tenders_v1_Committee *a,
                           const tender_tenders_v1_Committee *b)
{
    if (!a || !b)
        return a == b;
    tnd_bytes ha = {0}, hb = {0};
    const tnd_msg_desc *d = &tender_tenders_v1_Committee_desc;
    bool same = tnd_msg_hash(d, a, &ha) == 0 && tnd_msg_hash(d, b, &hb) == 0 &&
                same_bytes(&ha, &hb);
    free(ha.data);
    free(hb.data);
    return same;
}

int tnd__tender_amend_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_AmendTenderRequest *req = op->req;
    const tnd_config *cfg = &op->srv->cfg;
    int64_t now = tnd_wtx_now_ms(w);
    char msg[400], a[32], b[32];
    tnd_tender t;
    int st = load_owned(w, req->id, &t, &op->peer);
    if (st)
        return st;
    int64_t old_deadline = tnd_ts_ms(t.fields ? t.fields->submission_deadline : NULL);
    int64_t new_deadline = tnd_ts_ms(req->fields->submission_deadline);
    if (t.status != ST(ACTIVE))
        st = not_in(w, &t, "only an active tender can be amended");
    else if (now >= old_deadline)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s closed for submissions at %s; it can no longer be amended",
                          t.id, tnd_ms_text(old_deadline, a, sizeof a));
    else if (!same_committee(t.fields->committee, req->fields->committee))
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "the opening committee of %s cannot change after publication (bids "
                          "are sealed to it); cancel and publish a new tender instead",
                          t.id);
    else if ((st = tnd__tender_check_times(req->fields, now, 0,
                                          tnd_ts_ms(t.fields->enquiry_deadline), msg,
                                          sizeof msg)) != 0)
        st = tnd_wtx_fail(w, st, "cannot amend %s: %s", t.id, msg);
    else if (tnd_lots_amend_check(t.fields, req->fields, msg, sizeof msg) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "cannot amend %s: %s", t.id, msg);
    else if (old_deadline - now < (int64_t)cfg->min_amend_period_ms &&
             new_deadline < now + (int64_t)cfg->min_amend_period_ms)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s closes at %s, within %llu s: an amendment now must move "
                          "the submission deadline to %s or later",
                          t.id, tnd_ms_text(old_deadline, a, sizeof a),
                          (unsigned long long)(cfg->min_amend_period_ms / 1000),
                          tnd_ms_text(now + (int64_t)cfg->min_amend_period_ms, b, sizeof b));
    /* Each lot keeps its state; a lot the amendment adds is active. */
    if (!st && tnd__tender_lot_states(tnd_wtx_arena(w), &t, req->fields, &t.lot_states,
                                      &t.n_lot_states) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    if (!st)
        st = replace_fields(w, &t, req->fields);
    if (!st) {
        t.version++;
        t.amendment_note = tnd_arena_strdup(tnd_wtx_arena(w), req->note);
        t.postponement = NULL; /* that was the version before */
        st = save(w, &t, true);
    }
    if (!st && new_deadline != old_deadline) {
        st = schedule(w, &t, old_deadline, false);
        if (!st)
            st = schedule(w, &t, new_deadline, true);
    }
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_AMENDED), &t, &op->peer, NULL, NULL, NULL, req->note);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

int tnd__tender_cancel_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_CancelTenderRequest *req = op->req;
    if (!tnd_cancel_code_valid(req->reason_code))
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "%s", TND_CANCEL_CODE_REQUIRED);
    tnd_tender t;
    int st = load_owned(w, req->id, &t, &op->peer);
    if (st)
        return st;
    if (t.status != ST(DRAFT) && t.status != ST(ACTIVE) && t.status != ST(CLOSED) &&
        t.status != ST(OPENED))
        st = not_in(w, &t, "it can no longer be cancelled");
    if (!st && t.status == ST(ACTIVE))
        st = schedule(w, &t, tnd_ts_ms(t.fields->submission_deadline), false);
    if (!st) {
        t.status = ST(CANCELLED);
        t.cancel_reason = tnd_arena_strdup(tnd_wtx_arena(w), req->reason);
        t.cancel_code = req->reason_code;
        t.updated = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        st = save(w, &t, false);
    }
    /* The log is public; a draft's reason is not: it stays in the draft. */
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_CANCELLED), &t, &op->peer, NULL, NULL, NULL,
                              tnd_tender_published(&t) ? req->reason : NULL);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

/* One lot, with its reason: the tender goes on with the others (docs/LOTS.md). */
int tnd__tender_cancel_lot_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_CancelLotRequest *req = op->req;
    if (!tnd_cancel_code_valid(req->reason_code))
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "%s", TND_CANCEL_CODE_REQUIRED);
    tnd_tender t;
    int st = load_owned(w, req->id, &t, &op->peer);
    if (st)
        return st;
    int i = tnd_lot_find(t.fields, req->lot_id);
    tender_tenders_v1_LotState *ls = NULL;
    for (size_t j = 0; i >= 0 && j < t.n_lot_states; j++)
        if (t.lot_states[j].lot_id && strcmp(t.lot_states[j].lot_id, req->lot_id) == 0)
            ls = &t.lot_states[j];
    size_t others = 0; /* the other lots not cancelled, and those still to decide */
    bool undecided = false;
    for (size_t j = 0; j < t.n_lot_states; j++) {
        int s = t.lot_states[j].status;
        if (&t.lot_states[j] == ls || s == tender_tenders_v1_LotStatus_LOT_CANCELLED)
            continue;
        others++;
        undecided |= s == tender_tenders_v1_LotStatus_LOT_ACTIVE ||
                     s == tender_tenders_v1_LotStatus_LOT_AWARDED;
    }
    if (!tnd_tender_published(&t) || t.status == ST(DRAFT))
        st = not_in(w, &t, "a draft's lots are changed by editing it (Tenders/Edit)");
    else if (t.status != ST(ACTIVE) && t.status != ST(CLOSED) && t.status != ST(OPENED) &&
             t.status != ST(AWARDED))
        st = not_in(w, &t, "its lots can no longer be cancelled");
    else if (t.fields->n_lots == 0)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s has no lots; cancel the tender instead: Tenders/Cancel",
                          t.id);
    else if (i < 0 || !ls)
        st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s has no lot %s", t.id,
                          req->lot_id);
    else if (ls->status == tender_tenders_v1_LotStatus_LOT_CANCELLED)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s of tender %s is already cancelled", req->lot_id, t.id);
    else if (ls->status == tender_tenders_v1_LotStatus_LOT_AWARDED)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s of tender %s has an award in its standstill; cancel the award "
                          "first (Awards/Cancel)",
                          req->lot_id, t.id);
    else if (ls->status != tender_tenders_v1_LotStatus_LOT_ACTIVE)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s of tender %s is decided; it can no longer be cancelled",
                          req->lot_id, t.id);
    else if (others == 0)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s is the last lot of tender %s not cancelled; cancel the tender "
                          "instead: Tenders/Cancel",
                          req->lot_id, t.id);
    /* The others all decided: the tender would end with this cancellation,
     * which is the award's to conclude, not a lot's. */
    else if (!undecided)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s is the last lot of tender %s still to decide; decide it by an "
                          "award (an unsuccessful one if no bid will do)",
                          req->lot_id, t.id);
    if (!st) {
        ls->status = tender_tenders_v1_LotStatus_LOT_CANCELLED;
        ls->cancel_reason = tnd_arena_strdup(tnd_wtx_arena(w), req->reason);
        ls->cancel_code = req->reason_code;
        t.updated = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        ls->cancelled = t.updated; /* complaints about it are filed from then */
        st = save(w, &t, false);
    }
    if (!st)
        st = tnd_tender_event(w, EV(LOT_CANCELLED), &t, &op->peer, req->lot_id, NULL, NULL,
                              req->reason);
    if (!st)
        st = reply(w, op, &t);
    return st;
}

/* The number of questions of a tender: the last key under its prefix. */
static uint32_t question_count(tnd_wtx *w, const char *tender_id)
{
    MDB_cursor *cur;
    uint32_t n = 0;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_QUESTIONS),
                        &cur) != 0)
        return 0;
    uint8_t key[128];
    size_t kl = tnd_key_questions(key, sizeof key, tender_id, UINT32_MAX);
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc != 0 || !tnd_key_questions_parse(k.mv_data, k.mv_size, tender_id, &n))
        n = 0;
    mdb_cursor_close(cur);
    return n;
}

/* Store question q under its key, log it, and make it the reply. */
static int save_question(tnd_wtx *w, tnd_op *op, const tnd_tender *t,
                         const tender_tenders_v1_Question *q, uint32_t seq, int kind,
                         const tnd_peer_identity *actor)
{
    uint8_t key[128];
    size_t kl = tnd_key_questions(key, sizeof key, t->id, seq);
    if (tnd_arena_failed(tnd_wtx_arena(w))) /* q may miss a part */
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    if (tnd_wtx_put_msg(w, TND_TABLE_QUESTIONS, key, kl, &tender_tenders_v1_Question_desc, q) !=
        0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store question %s", q->id);
    /* The log hashes the question as it is published: without the asker,
     * whom only the buyer may know, so that anyone can check the hash. */
    tender_tenders_v1_Question pub = *q;
    pub.asked_by_org = NULL;
    int st =
        tnd_tender_event(w, kind, t, actor, q->id, &tender_tenders_v1_Question_desc, &pub, NULL);
    if (!st)
        st = tnd_op_reply(w, op, q);
    return st;
}

int tnd__tender_ask_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_AskQuestionRequest *req = op->req;
    int64_t now = tnd_wtx_now_ms(w);
    char a[32];
    tnd_tender t;
    int st = load(w, req->tender_id, &t);
    if (st)
        return st;
    int64_t until = !t.fields ? 0
                              : tnd_ts_ms(t.fields->enquiry_deadline ? t.fields->enquiry_deadline
                                                                     : t.fields->submission_deadline);
    if (!tnd_tender_published(&t))
        st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", t.id);
    else if (t.status != ST(ACTIVE))
        st = not_in(w, &t, "questions are closed");
    else if (now >= until)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "the enquiry period of %s ended at %s", t.id,
                          tnd_ms_text(until, a, sizeof a));
    tender_tenders_v1_Question q;
    tender_tenders_v1_Question_init(&q);
    if (!st) {
        uint32_t seq = question_count(w, t.id) + 1;
        char qid[80];
        snprintf(qid, sizeof qid, "Q-%u", seq);
        tnd_arena *ar = tnd_wtx_arena(w);
        q.id = tnd_arena_strdup(ar, qid);
        q.tender_id = tnd_arena_strdup(ar, t.id);
        q.text = tnd_arena_strdup(ar, req->text);
        q.asked_by_org = tnd_arena_strdup(ar, op->peer.org);
        q.asked = tnd_ts_in(ar, now);
        /* The log records that a question was asked, not by whom. */
        tnd_peer_identity anon = {.authenticated = true, .role = TND_ROLE_SUPPLIER};
        snprintf(anon.role_name, sizeof anon.role_name, "supplier");
        st = save_question(w, op, &t, &q, seq, EV(QUESTION_ASKED), &anon);
    }
    return st;
}

int tnd__tender_answer_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_AnswerQuestionRequest *req = op->req;
    tnd_tender t;
    int st = load_owned(w, req->tender_id, &t, &op->peer);
    if (st)
        return st;
    unsigned seq = 0;
    char tail;
    tender_tenders_v1_Question q;
    tender_tenders_v1_Question_init(&q);
    uint8_t key[128];
    size_t kl = 0;
    if (!req->question_id || sscanf(req->question_id, "Q-%u%c", &seq, &tail) != 1 || seq == 0)
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "question_id: expected Q-<number>");
    if (!st) {
        kl = tnd_key_questions(key, sizeof key, t.id, seq);
        int rc = tnd_wtx_get_msg_in(w, TND_TABLE_QUESTIONS, key, kl,
                                    &tender_tenders_v1_Question_desc, &q);
        if (rc == TND_ENOTFOUND)
            st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "question %s of tender %s not found",
                              req->question_id, t.id);
        else if (rc != 0)
            st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "question %s is unreadable",
                              req->question_id);
    }
    if (!st && t.status != ST(ACTIVE))
        st = not_in(w, &t, "answers are closed");
    if (!st) {
        q.answer = tnd_arena_strdup(tnd_wtx_arena(w), req->answer);
        q.answered = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
        st = save_question(w, op, &t, &q, seq, EV(QUESTION_ANSWERED), &op->peer);
    }
    return st;
}

int tnd__tender_add_document_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_tenders_v1_AddDocumentRequest *req = op->req;
    tnd_tender t;
    int st = load_owned(w, req->tender_id, &t, &op->peer);
    if (st)
        return st;
    if (t.status != ST(DRAFT))
        st = not_in(w, &t, "documents are added to drafts; amend a published tender");
    else if (t.n_documents >= 100)
        st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                          "tender %s already has 100 documents, the maximum", t.id);
    tnd_arena *ar = tnd_wtx_arena(w);
    tender_tenders_v1_Document *docs = NULL;
    if (!st) {
        docs = tnd_arena_calloc(ar, t.n_documents + 1, sizeof *docs);
        if (!docs)
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    }
    if (!st) {
        if (t.n_documents)
            memcpy(docs, t.documents, t.n_documents * sizeof *docs);
        t.documents = docs;
        tender_tenders_v1_Document *d = &docs[t.n_documents++];
        tender_tenders_v1_Document_init(d);
        char did[96];
        snprintf(did, sizeof did, "%s-D%zu", t.id, t.n_documents);
        d->id = tnd_arena_strdup(ar, did);
        d->name = tnd_arena_strdup(ar, req->name);
        d->media_type =
            tnd_arena_strdup(ar, req->media_type ? req->media_type : "application/octet-stream");
        d->size = op->extra_len;
        d->sha256.data = tnd_arena_alloc(ar, 32);
        if (d->sha256.data) {
            SHA256(op->extra, op->extra_len, d->sha256.data);
            d->sha256.len = 32;
        }
        t.updated = tnd_ts_in(ar, tnd_wtx_now_ms(w));
        /* Never store or log a document that lacks a part. */
        uint8_t dkey[TND_KEY_DOCUMENT_ID_MAX];
        size_t dkl = tnd_key_documents(dkey, did);
        int rc = tnd_arena_failed(ar) ? TND_ENOMEM
                                      : tnd_wtx_put_raw(w, TND_TABLE_DOCUMENTS, dkey, dkl,
                                                        op->extra ? op->extra : "", op->extra_len);
        if (rc != 0)
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store document: %s",
                              tnd_strerror(rc));
        if (!st)
            st = save(w, &t, false);
        if (!st)
            st = tnd_tender_event(w, EV(DOCUMENT_ADDED), &t, &op->peer, d->id,
                                  &tender_tenders_v1_Document_desc, d, NULL);
        if (!st)
            st = tnd_op_reply(w, op, d);
    }
    return st;
}
