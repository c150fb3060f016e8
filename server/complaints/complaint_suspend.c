/* The deadline suspension (docs/COMPLAINTS.md, "The clock"): a complaint
 * about the conditions, accepted with suspend_deadline, stops the tender's
 * submission deadline. While it does, the tender takes no bids or
 * withdrawals and the scheduler does not close it. Rejected or withdrawn,
 * the suspension ends in the same write with a new version, TENDER_RESUMED,
 * that moves the deadline and the opening by the time lost. Satisfied, it
 * goes on until the buyer amends the conditions (the amendment sets the
 * new times) or cancels the tender. Everything is derived from the stored
 * complaints and tender versions, so it survives restarts as it is. */
#include <stdio.h>
#include <string.h>

#include "complaints.h"
#include "tender/bid.h"

#define CS TND_COMPLAINT_STATE
#define SUB TND_COMPLAINT_SUBJECT
#define T_DESC (&tender_tenders_v1_Tender_desc)

/* Has the buyer amended t since ms (a version it made, not the server's
 * postponement or resumption)? Versions are read newest first. */
static bool amended_since(MDB_txn *txn, tnd_store *st, const tnd_tender *t, int64_t ms,
                          tnd_arena *a)
{
    for (uint32_t v = t->version; v > 1; v--) {
        uint8_t key[128];
        size_t kl = tnd_key_tender_versions(key, sizeof key, t->id, v);
        MDB_val k = {.mv_size = kl, .mv_data = key}, val;
        tnd_tender old;
        if (!kl || mdb_get(txn, tnd_store_dbi(st, TND_TABLE_TENDER_VERSIONS), &k, &val) != 0 ||
            tnd_msg_decode_in(T_DESC, a, val.mv_data, val.mv_size, &old, NULL) != 0)
            return false;
        if (tnd_ts_ms(old.updated) < ms)
            return false;
        if (!old.postponement && !old.resumption)
            return true;
    }
    return false;
}

/* Every bid and withdrawal asks this, so it reads only the complaints whose
 * acceptance stopped the deadline (the suspending_complaints index, in the
 * complaints' order), not every complaint of the tender. */
int tnd_complaint_suspension(MDB_txn *txn, tnd_store *st, const tnd_tender *t, tnd_arena *a,
                             const tnd_complaint **out)
{
    *out = NULL;
    if (t->status != tender_tenders_v1_TenderStatus_ACTIVE)
        return 0;
    uint8_t key[128];
    size_t kl = tnd_key_complaints(key, sizeof key, t->id, 0);
    MDB_cursor *cur;
    if (!kl || mdb_cursor_open(txn, tnd_store_dbi(st, TND_TABLE_SUSPENDING_COMPLAINTS), &cur) != 0)
        return TND_EIO;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    uint32_t seq;
    int rc = 0;
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         c == 0 && rc == 0 && !*out && tnd_key_complaints_parse(k.mv_data, k.mv_size, t->id, &seq);
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        MDB_val ck = k, cv;
        tnd_complaint *cp = tnd_arena_calloc(a, 1, sizeof *cp);
        if (!cp) {
            rc = TND_ENOMEM;
            break;
        }
        if (mdb_get(txn, tnd_store_dbi(st, TND_TABLE_COMPLAINTS), &ck, &cv) != 0 ||
            (rc = tnd_msg_decode_in(&tender_complaints_v1_Complaint_desc, a, cv.mv_data,
                                    cv.mv_size, cp, NULL)) != 0 ||
            !tnd_complaint_suspends_by_acceptance(cp)) {
            rc = rc ? rc : TND_EIO; /* the index names what the complaints do not hold */
            break;
        }
        if (cp->state == CS(ACCEPTED))
            *out = cp;
        else if (cp->state == CS(SATISFIED) && cp->decision &&
                 !amended_since(txn, st, t, tnd_ts_ms(cp->decision->time), a))
            *out = cp;
    }
    mdb_cursor_close(cur);
    return rc;
}

int tnd_complaint_suspension_refusal(tnd_wtx *w, const tnd_tender *t, const char *what)
{
    const tnd_complaint *c;
    int rc = tnd_complaint_suspension(tnd_wtx_txn(w), tnd_wtx_store(w), t, tnd_wtx_arena(w), &c);
    if (rc)
        return tnd_wtx_fail(w,
                            rc == TND_ENOMEM ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_DATA_LOSS,
                            "cannot read the complaints of tender %s: %s", t->id, tnd_strerror(rc));
    if (!c)
        return 0;
    if (c->state == CS(SATISFIED))
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "tender %s is suspended: complaint %s about its conditions was "
                            "upheld, and %s waits until the buyer amends them",
                            t->id, c->id, what);
    return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                        "tender %s is suspended by complaint %s until the review body decides "
                        "it; %s waits until then (the deadline moves by the time lost)",
                        t->id, c->id, what);
}

static int64_t moved(const tender_common_v1_Timestamp *ts, int64_t from, int64_t by)
{
    int64_t ms = tnd_ts_ms(ts);
    return ms >= from ? ms + by : ms;
}

/* The new version that ends c's suspension of t at now: the deadline, the
 * opening and an enquiry deadline still running at the suspension move by
 * the time it lasted. */
static int resume(tnd_wtx *w, tnd_tender *t, const tnd_complaint *c)
{
    tnd_arena *ar = tnd_wtx_arena(w);
    int64_t now = tnd_wtx_now_ms(w), from = tnd_ts_ms(c->acceptance->time);
    int64_t lost = now > from ? now - from : 0;
    tender_tenders_v1_TenderFields *f = tnd_msg_new_in(&tender_tenders_v1_TenderFields_desc, ar);
    tender_tenders_v1_Resumption *r = tnd_msg_new_in(&tender_tenders_v1_Resumption_desc, ar);
    if (!f || !r || !t->fields ||
        tnd_msg_copy_in(&tender_tenders_v1_TenderFields_desc, ar, t->fields, f) != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    int64_t old = tnd_ts_ms(f->submission_deadline), to = old + lost;
    r->complaint_id = tnd_arena_strdup(ar, c->id);
    r->suspended_from = tnd_ts_in(ar, from);
    r->suspended_to = tnd_ts_in(ar, now);
    r->previous_deadline = tnd_ts_in(ar, old);
    /* No terms change: bids answer the version they answered. */
    r->terms_version = tnd_bid_terms_of(t).version;
    f->submission_deadline = tnd_ts_in(ar, to);
    if (f->opening_time)
        f->opening_time = tnd_ts_in(ar, tnd_ts_ms(f->opening_time) + lost);
    if (f->enquiry_deadline)
        f->enquiry_deadline = tnd_ts_in(ar, moved(f->enquiry_deadline, from, lost));
    t->fields = f;
    t->resumption = r;
    t->postponement = NULL;
    t->amendment_note = NULL; /* of an earlier version */
    t->version++;
    t->updated = tnd_ts_in(ar, now);
    if (tnd_arena_failed(ar))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    uint8_t key[128];
    size_t kl = tnd_key_tenders(key, t->id);
    int rc = tnd_wtx_put_msg(w, TND_TABLE_TENDERS, key, kl, T_DESC, t);
    kl = tnd_key_tender_versions(key, sizeof key, t->id, t->version);
    if (rc == 0)
        rc = tnd_wtx_put_msg(w, TND_TABLE_TENDER_VERSIONS, key, kl, T_DESC, t);
    /* The old deadline's entry is gone if it fell in the suspension. */
    if (rc == 0 && (kl = tnd_key_schedule(key, sizeof key, old, t->id)) != 0) {
        rc = tnd_wtx_del(w, TND_TABLE_SCHEDULE, key, kl);
        rc = rc == TND_ENOTFOUND ? 0 : rc;
    }
    if (rc == 0 && (kl = tnd_key_schedule(key, sizeof key, to, t->id)) != 0)
        rc = tnd_wtx_put_raw(w, TND_TABLE_SCHEDULE, key, kl, "c", 1);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot resume tender %s: %s", t->id,
                            tnd_strerror(rc));
    char a[32], b[32], note[300];
    snprintf(note, sizeof note,
             "submission deadline %s moved to %s: suspended by complaint %s for %lld s",
             tnd_ms_text(old, a, sizeof a), tnd_ms_text(to, b, sizeof b), c->id,
             (long long)(lost / 1000));
    return tnd_tender_event(w, tender_events_v1_EventKind_TENDER_RESUMED, t, NULL, NULL, NULL, NULL,
                            note);
}

int tnd_complaint_suspension_changed(tnd_wtx *w, tnd_tender *t, const tnd_complaint *before,
                                     const tnd_complaint *after)
{
    if (!before || before->state != CS(ACCEPTED) || !tnd_complaint_suspends_by_acceptance(before))
        return 0;
    if (after->state != CS(REJECTED) && after->state != CS(WITHDRAWN))
        return 0; /* SATISFIED: suspended until the buyer amends */
    if (t->status != tender_tenders_v1_TenderStatus_ACTIVE)
        return 0;
    return resume(w, t, after);
}
