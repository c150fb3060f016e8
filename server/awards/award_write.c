/* Award state changes on the writer thread: record a decision (the tender
 * becomes awarded with a standstill, or unsuccessful), cancel it during the
 * standstill (the tender is opened again), and complete it when the
 * standstill ends (from the scheduler, through a SCHEDULE entry, so it
 * survives restarts). Each change and its event share one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awards.h"
#include "complaints/complaints.h"
#include "tender/cancel.h"

#define A_DESC (&tender_awards_v1_Award_desc)
#define ST(name) tender_tenders_v1_TenderStatus_##name
#define EV(name) tender_events_v1_EventKind_##name

/* Everything these writes read and change (the tender, the award, the
 * opening record) is decoded into or built in the write's arena: nothing
 * is freed by hand, and a copy that fails fails the write before anything
 * of it is stored (save_award and save_tender check). */

static int load_tender(tnd_wtx *w, const char *id, tnd_tender *t, const tnd_peer_identity *p)
{
    tender_tenders_v1_Tender_init(t);
    if (!id || !*id)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "tender_id: required");
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_tenders(key, id);
    int rc =
        kl ? tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, key, kl, &tender_tenders_v1_Tender_desc, t)
           : TND_ENOTFOUND;
    if (rc == 0 && p && !tnd_tender_visible(t, p))
        rc = TND_ENOTFOUND;
    if (rc == TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", id);
    if (rc == TND_ENOMEM)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "tender %s is unreadable", id);
    if (p && !tnd_tender_owner(t, p))
        return tnd_wtx_fail(w, TND_STATUS_PERMISSION_DENIED,
                            "tender %s belongs to \"%s\"; only its officers may award it", id,
                            t->buyer ? t->buyer : "");
    return 0;
}

static int save_tender(tnd_wtx *w, tnd_tender *t, int status)
{
    t->status = status;
    t->updated = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
    if (tnd_arena_failed(tnd_wtx_arena(w)))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    if (tnd_wtx_put_msg(w, TND_TABLE_TENDERS, key, tnd_key_tenders(key, t->id),
                        &tender_tenders_v1_Tender_desc, t) != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store tender %s", t->id);
    return 0;
}

static int save_award(tnd_wtx *w, const tender_awards_v1_Award *a, uint32_t seq)
{
    if (tnd_arena_failed(tnd_wtx_arena(w))) /* a may miss a part */
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    uint8_t key[128];
    size_t kl = tnd_key_awards(key, sizeof key, a->tender_id, seq);
    int rc = kl ? tnd_wtx_put_msg(w, TND_TABLE_AWARDS, key, kl, A_DESC, a) : TND_EINVAL;
    if (rc != 0)
        return tnd_wtx_fail(
            w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_UNAVAILABLE,
            "cannot store the award of %s: %s", a->tender_id, tnd_strerror(rc));
    return 0;
}

/* A lot's award is scheduled by its id, a tender's (without lots) by the
 * tender's, as before lots existed. */
static int standstill_entry(tnd_wtx *w, const tender_awards_v1_Award *a, bool add)
{
    uint8_t key[128];
    bool lot = a->decision && a->decision->lot_id && *a->decision->lot_id;
    char v = lot ? TND_SCHEDULE_LOT_STANDSTILL : TND_SCHEDULE_STANDSTILL;
    size_t kl =
        tnd_key_schedule(key, sizeof key, tnd_ts_ms(a->standstill_end), lot ? a->id : a->tender_id);
    int rc = add ? tnd_wtx_put_raw(w, TND_TABLE_SCHEDULE, key, kl, &v, 1)
                 : tnd_wtx_del(w, TND_TABLE_SCHEDULE, key, kl);
    if (rc != 0 && !(rc == TND_ENOTFOUND && !add))
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot schedule the standstill of %s",
                            a->tender_id);
    return 0;
}

static int reply(tnd_wtx *w, tnd_op *op, const tender_awards_v1_Award *a)
{
    return tnd_op_reply(w, op, a);
}

static int latest(tnd_wtx *w, const char *tender_id, tender_awards_v1_Award *a, uint32_t *seq)
{
    tender_awards_v1_Award_init(a);
    *seq = 0;
    int rc = tnd_award_latest(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_AWARDS),
                              tender_id, tnd_wtx_arena(w), a, seq);
    if (rc == TND_ENOTFOUND) {
        *seq = 0;
        return 0;
    }
    return rc ? tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the award of %s is unreadable", tender_id)
              : 0;
}

/* ---- Tenders with lots ---- */

static bool has_lots(const tnd_tender *t)
{
    return t->fields && t->fields->n_lots > 0;
}

/* The server's state of lot id (Tender.lot_states), or NULL. */
static tender_tenders_v1_LotState *lot_state(tnd_tender *t, const char *id)
{
    for (size_t i = 0; id && i < t->n_lot_states; i++)
        if (t->lot_states[i].lot_id && strcmp(t->lot_states[i].lot_id, id) == 0)
            return &t->lot_states[i];
    return NULL;
}

static const char *lot_status_name(int s)
{
    switch (s) {
    case tender_tenders_v1_LotStatus_LOT_ACTIVE:
        return "active";
    case tender_tenders_v1_LotStatus_LOT_CANCELLED:
        return "cancelled";
    case tender_tenders_v1_LotStatus_LOT_AWARDED:
        return "awarded (its award in its standstill)";
    case tender_tenders_v1_LotStatus_LOT_COMPLETE:
        return "complete";
    case tender_tenders_v1_LotStatus_LOT_UNSUCCESSFUL:
        return "unsuccessful";
    default:
        return "in no known state";
    }
}

static int find_lot_state(tnd_wtx *w, tnd_tender *t, const char *lot,
                          tender_tenders_v1_LotState **ls)
{
    *ls = lot_state(t, lot);
    if (!*ls)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "tender %s has no state for lot %s", t->id,
                            lot);
    return 0;
}

int tnd_award_lots_settle(tnd_wtx *w, tnd_tender *t, const tnd_peer_identity *p)
{
    bool open = false, awarded = false, complete = false;
    for (size_t i = 0; i < t->n_lot_states; i++) {
        int s = t->lot_states[i].status;
        complete |= s == tender_tenders_v1_LotStatus_LOT_COMPLETE;
        awarded |= s == tender_tenders_v1_LotStatus_LOT_AWARDED;
        open |= s != tender_tenders_v1_LotStatus_LOT_COMPLETE &&
                s != tender_tenders_v1_LotStatus_LOT_CANCELLED &&
                s != tender_tenders_v1_LotStatus_LOT_UNSUCCESSFUL;
    }
    if (open || t->n_lot_states == 0)
        return save_tender(w, t, awarded ? ST(AWARDED) : ST(OPENED));
    int st = save_tender(w, t, complete ? ST(COMPLETE) : ST(UNSUCCESSFUL));
    if (!st)
        st = tnd_tender_event(w, complete ? EV(TENDER_COMPLETED) : EV(TENDER_UNSUCCESSFUL), t, p,
                              NULL, NULL, NULL, NULL);
    return st;
}

/* Record the decision of one lot: the lot must be active; the award goes
 * into its standstill (lot AWARDED, tender AWARDED, AWARD_RECORDED) or
 * the lot is unsuccessful (LOT_UNSUCCESSFUL, and the tender settles when
 * it was the last lot). The decision is checked already. */
static int record_lot(tnd_wtx *w, tnd_op *op, tnd_tender *t, tender_awards_v1_Award *a,
                      uint32_t seq)
{
    const tender_awards_v1_Decision *d = a->decision;
    tender_tenders_v1_LotState *ls;
    int st = find_lot_state(w, t, d->lot_id, &ls);
    if (!st && ls->status != tender_tenders_v1_LotStatus_LOT_ACTIVE)
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "lot %s of tender %s is %s; an award is recorded for an active lot "
                          "(cancel the award in force first: Awards/Cancel with lot_id)",
                          d->lot_id, t->id, lot_status_name(ls->status));
    if (!st)
        st = save_award(w, a, seq);
    if (!st && d->unsuccessful) {
        ls->status = tender_tenders_v1_LotStatus_LOT_UNSUCCESSFUL;
        st = tnd_tender_event(w, EV(LOT_UNSUCCESSFUL), t, &op->peer, a->id, A_DESC, a, NULL);
        return st ? st : tnd_award_lots_settle(w, t, &op->peer);
    }
    if (!st)
        st = standstill_entry(w, a, true);
    if (!st) {
        ls->status = tender_tenders_v1_LotStatus_LOT_AWARDED;
        st = save_tender(w, t, ST(AWARDED));
    }
    if (!st)
        st = tnd_tender_event(w, EV(AWARD_RECORDED), t, &op->peer, a->id, A_DESC, a, NULL);
    return st;
}

/* The new award: the decision as signed, the signature, the officer. */
static int build_award(tnd_wtx *w, tnd_op *op, const tnd_tender *t, uint32_t seq,
                       tender_awards_v1_Award *a)
{
    const tender_awards_v1_AwardRequest *req = op->req;
    int64_t now = tnd_wtx_now_ms(w);
    tnd_arena *ar = tnd_wtx_arena(w);
    char id[96];
    snprintf(id, sizeof id, "%s-A%u", t->id, seq);
    a->id = tnd_arena_strdup(ar, id);
    a->tender_id = tnd_arena_strdup(ar, t->id);
    a->decision = tnd_msg_new_in(&tender_awards_v1_Decision_desc, ar);
    if (a->decision &&
        tnd_msg_copy_in(&tender_awards_v1_Decision_desc, ar, req->decision, a->decision) != 0)
        a->decision = NULL; /* the arena failed: checked below */
    a->signature.data = tnd_arena_memdup(ar, req->signature.data, req->signature.len);
    a->signature.len = req->signature.len;
    a->officer_key.data = tnd_arena_memdup(ar, op->peer.pubkey, 32);
    a->officer_key.len = 32;
    a->officer = tnd_actor_in(ar, &op->peer);
    a->recorded = tnd_ts_in(ar, now);
    if (req->decision->unsuccessful) {
        a->state = tender_awards_v1_AwardState_UNSUCCESSFUL;
        a->closed = tnd_ts_in(ar, now);
    } else {
        a->state = tender_awards_v1_AwardState_STANDSTILL;
        a->standstill_end = tnd_ts_in(ar, now + (int64_t)op->srv->cfg.standstill_ms);
    }
    return tnd_arena_failed(ar)
               ? tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory")
               : 0;
}

/* Check the signed decision against the opening record and store it. The
 * signature was verified on the loop thread with the caller's key. */
int tnd__award_record_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_awards_v1_AwardRequest *req = op->req;
    const tender_awards_v1_Decision *d = req->decision;
    char msg[600], when[32];
    tnd_tender t;
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    tender_awards_v1_Award a, prev;
    tender_awards_v1_Award_init(&a);
    uint32_t seq = 0;
    int code = 0;
    int st = load_tender(w, d->tender_id, &t, &op->peer);
    bool lots = !st && has_lots(&t);
    /* With lots, another lot's award may be in its standstill. */
    if (!st && t.status != ST(OPENED) && !(lots && t.status == ST(AWARDED)))
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s is %s (since %s); an award is recorded for an opened "
                          "tender with no award standing",
                          t.id, tnd_tender_status_name(t.status),
                          tnd_ms_text(tnd_ts_ms(t.updated), when, sizeof when));
    if (!st) {
        uint8_t key[TND_KEY_TENDER_ID_MAX];
        int rc = tnd_wtx_get_msg_in(w, TND_TABLE_OPENINGS, key, tnd_key_openings(key, t.id),
                                    &tender_bids_v1_OpeningRecord_desc, &rec);
        if (rc != 0)
            st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the opening record of %s is unreadable",
                              t.id);
    }
    if (!st && !t.fields)
        st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "tender %s has no published fields", t.id);
    if (!st && tnd_award_check(d, &rec, t.fields, &code, msg, sizeof msg) != 0)
        st = tnd_wtx_fail(w, code, "%s", msg);
    if (!st)
        st = latest(w, t.id, &prev, &seq); /* only its number is needed */
    if (!st)
        st = build_award(w, op, &t, seq + 1, &a);
    if (!st && lots) {
        st = record_lot(w, op, &t, &a, seq + 1);
        return st ? st : reply(w, op, &a);
    }
    if (!st)
        st = save_award(w, &a, seq + 1);
    if (!st && !d->unsuccessful)
        st = standstill_entry(w, &a, true);
    if (!st)
        st = save_tender(w, &t, d->unsuccessful ? ST(UNSUCCESSFUL) : ST(AWARDED));
    if (!st)
        st = tnd_tender_event(w, d->unsuccessful ? EV(TENDER_UNSUCCESSFUL) : EV(AWARD_RECORDED), &t,
                              &op->peer, a.id, A_DESC, &a, NULL);
    if (!st)
        st = reply(w, op, &a);
    return st;
}

/* Cancel the standing award during its standstill: the tender is opened
 * again and a new decision may be recorded. */
int tnd__award_cancel_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_awards_v1_CancelAwardRequest *req = op->req;
    if (!tnd_cancel_code_valid(req->reason_code))
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "%s", TND_CANCEL_CODE_REQUIRED);
    int64_t now = tnd_wtx_now_ms(w);
    char when[32];
    tnd_tender t;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    uint32_t seq = 0;
    tender_tenders_v1_LotState *ls = NULL;
    const char *lot = req->lot_id ? req->lot_id : "";
    int st = load_tender(w, req->tender_id, &t, &op->peer);
    if (!st && !has_lots(&t) && *lot)
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                          "lot_id: tender %s has no lots; leave lot_id empty", t.id);
    if (!st && has_lots(&t) && !*lot)
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                          "lot_id: required, tender %s has lots: name the lot whose award is "
                          "cancelled",
                          t.id);
    if (!st && *lot && !(ls = lot_state(&t, lot)))
        st = tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s has no lot %s", t.id, lot);
    if (!st && !*lot)
        st = latest(w, t.id, &a, &seq);
    if (!st && *lot) {
        int rc =
            tnd_award_lot_latest(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_AWARDS),
                                 t.id, lot, tnd_wtx_arena(w), &a, &seq);
        if (rc && rc != TND_ENOTFOUND)
            st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the awards of %s are unreadable", t.id);
        if (!st && ls->status != tender_tenders_v1_LotStatus_LOT_AWARDED)
            st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                              "lot %s of tender %s is %s: only an award in its standstill can "
                              "be cancelled",
                              lot, t.id, lot_status_name(ls->status));
    }
    if (!st &&
        (t.status != ST(AWARDED) || seq == 0 || a.state != tender_awards_v1_AwardState_STANDSTILL))
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "tender %s is %s: only an award in its standstill can be cancelled", t.id,
                          tnd_tender_status_name(t.status));
    /* A complaint holding the award keeps it open to cancellation (the
     * remedy of a satisfied complaint) past its standstill. */
    if (!st && now >= tnd_ts_ms(a.standstill_end) &&
        !tnd_complaint_award_held(tnd_wtx_txn(w), tnd_wtx_store(w), t.id, a.id))
        st = tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                          "the standstill of award %s ended at %s; it can no longer be cancelled",
                          a.id, tnd_ms_text(tnd_ts_ms(a.standstill_end), when, sizeof when));
    if (!st)
        st = standstill_entry(w, &a, false);
    if (!st) {
        a.state = tender_awards_v1_AwardState_CANCELLED;
        a.cancel_reason = tnd_arena_strdup(tnd_wtx_arena(w), req->reason);
        a.cancel_code = req->reason_code;
        a.cancelled_by = tnd_actor_in(tnd_wtx_arena(w), &op->peer);
        a.closed = tnd_ts_in(tnd_wtx_arena(w), now);
        st = save_award(w, &a, seq);
    }
    if (!st && ls) {
        /* The lot is open to a new decision; others may still stand. */
        ls->status = tender_tenders_v1_LotStatus_LOT_ACTIVE;
        st = tnd_award_lots_settle(w, &t, &op->peer);
    } else if (!st) {
        st = save_tender(w, &t, ST(OPENED));
    }
    if (!st)
        st = tnd_tender_event(w, EV(AWARD_CANCELLED), &t, &op->peer, a.id, A_DESC, &a, req->reason);
    if (!st)
        st = reply(w, op, &a);
    return st;
}

int tnd_award_complete_due(tnd_wtx *w, const char *id, int64_t now, bool *done)
{
    tnd_tender t;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    uint32_t seq = 0;
    *done = false;
    int st = 0;
    tnd_arena *ar = tnd_wtx_arena(w);
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = tnd_key_tenders(key, id);
    if (!kl ||
        tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, key, kl, &tender_tenders_v1_Tender_desc, &t) !=
            0 ||
        t.status != ST(AWARDED) ||
        tnd_award_latest(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_AWARDS), id, ar,
                         &a, &seq) != 0 ||
        a.state != tender_awards_v1_AwardState_STANDSTILL || tnd_ts_ms(a.standstill_end) > now)
        return 0; /* cancelled, or not this entry's award: nothing to do */
    if (tnd_complaint_award_held(tnd_wtx_txn(w), tnd_wtx_store(w), id, a.id))
        return 0; /* the entry is consumed: the hold's end puts it back */
    a.state = tender_awards_v1_AwardState_FINAL;
    a.closed = tnd_ts_in(ar, now);
    st = save_award(w, &a, seq);
    if (!st)
        st = save_tender(w, &t, ST(COMPLETE));
    if (!st)
        st = tnd_tender_event(w, EV(TENDER_COMPLETED), &t, NULL, a.id, A_DESC, &a, NULL);
    *done = st == 0;
    return st;
}

int tnd_award_lot_complete_due(tnd_wtx *w, const char *award_id, int64_t now, bool *done)
{
    char id[80];
    uint32_t n = 0;
    tnd_tender t;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    *done = false;
    uint8_t key[128], tkey[TND_KEY_TENDER_ID_MAX];
    size_t kl, tkl;
    if (!tnd_award_id_parse(award_id, id, sizeof id, &n) ||
        !(kl = tnd_key_awards(key, sizeof key, id, n)) || !(tkl = tnd_key_tenders(tkey, id)) ||
        tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, tkey, tkl, &tender_tenders_v1_Tender_desc, &t) !=
            0 ||
        t.status != ST(AWARDED) ||
        tnd_wtx_get_msg_in(w, TND_TABLE_AWARDS, key, kl, A_DESC, &a) != 0 || !a.decision ||
        a.state != tender_awards_v1_AwardState_STANDSTILL || tnd_ts_ms(a.standstill_end) > now)
        return 0; /* cancelled, or not there: nothing to do */
    tender_tenders_v1_LotState *ls = lot_state(&t, a.decision->lot_id);
    if (!ls || ls->status != tender_tenders_v1_LotStatus_LOT_AWARDED ||
        tnd_complaint_award_held(tnd_wtx_txn(w), tnd_wtx_store(w), id, a.id))
        return 0; /* held: the entry is consumed, the hold's end puts it back */
    a.state = tender_awards_v1_AwardState_FINAL;
    a.closed = tnd_ts_in(tnd_wtx_arena(w), now);
    ls->status = tender_tenders_v1_LotStatus_LOT_COMPLETE;
    int st = save_award(w, &a, n);
    if (!st)
        st = tnd_tender_event(w, EV(LOT_COMPLETED), &t, NULL, a.id, A_DESC, &a, NULL);
    if (!st)
        st = tnd_award_lots_settle(w, &t, NULL);
    *done = st == 0;
    return st;
}

int tnd_award_standstill_resume(tnd_wtx *w, const char *award_id, int64_t now)
{
    char id[80];
    uint32_t n = 0;
    uint8_t key[128];
    size_t kl;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    if (!tnd_award_id_parse(award_id, id, sizeof id, &n) ||
        !(kl = tnd_key_awards(key, sizeof key, id, n)))
        return 0;
    int rc = tnd_wtx_get_msg_in(w, TND_TABLE_AWARDS, key, kl, A_DESC, &a);
    if (rc == TND_ENOTFOUND)
        return 0;
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "award %s is unreadable", award_id);
    if (a.state != tender_awards_v1_AwardState_STANDSTILL || !a.standstill_end)
        return 0; /* cancelled meanwhile: nothing completes */
    tender_common_v1_Timestamp *end = a.standstill_end;
    if (tnd_ts_ms(end) < now && !(a.standstill_end = tnd_ts_in(tnd_wtx_arena(w), now)))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    /* The entry only: the award keeps the standstill_end it was given. */
    rc = standstill_entry(w, &a, true);
    a.standstill_end = end;
    return rc;
}
