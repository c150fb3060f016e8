/* Complaint state changes on the writer thread: file (the filing windows,
 * who may complain about an award, the documents), review (the reviewer's
 * signed decision, checked on the loop thread, applied to the stored
 * state) and withdraw. Each change, its event and what it means for the
 * tender's clock (tnd_complaint_changed) share one transaction. */
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "awards/awards.h"
#include "complaints.h"
#include "tender/lots.h"

#define C_DESC (&tender_complaints_v1_Complaint_desc)
#define CS TND_COMPLAINT_STATE
#define SUB TND_COMPLAINT_SUBJECT
#define ST(name) tender_tenders_v1_TenderStatus_##name

/* Everything read and built here lives in the write's arena (as in
 * award_write.c): a copy that fails fails the write before anything of it
 * is stored. */

static int oom(tnd_wtx *w)
{
    return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
}

/* The tender as the caller may see it (a draft of another buyer: absent). */
static int load_tender(tnd_wtx *w, const char *id, tnd_tender *t, const tnd_peer_identity *p)
{
    tender_tenders_v1_Tender_init(t);
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    size_t kl = id ? tnd_key_tenders(key, id) : 0;
    int rc =
        kl ? tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, key, kl, &tender_tenders_v1_Tender_desc, t)
           : TND_ENOTFOUND;
    if (rc == 0 && p && !tnd_tender_visible(t, p))
        rc = TND_ENOTFOUND;
    if (rc == TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s not found", id ? id : "");
    if (rc == TND_ENOMEM)
        return oom(w);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "tender %s is unreadable", id);
    return 0;
}

/* The complaint id names and its tender. NOT_FOUND for one the caller may
 * not know of: not visible whole, and not public. */
static int load_complaint(tnd_wtx *w, const char *id, const tnd_peer_identity *p, tnd_complaint *c,
                          tnd_tender *t)
{
    int rc = tnd_complaint_read(tnd_wtx_txn(w), tnd_wtx_store(w), id, tnd_wtx_arena(w), c);
    if (rc == TND_ENOMEM)
        return oom(w);
    if (rc != 0 && rc != TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "complaint %s is unreadable", id);
    int st = rc == 0 ? load_tender(w, c->tender_id, t, p) : 0;
    if (rc == TND_ENOTFOUND || st == TND_STATUS_NOT_FOUND ||
        (!st && !tnd_complaint_full_view(c, t, p) && !tnd_complaint_is_public(c)))
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "complaint %s not found", id ? id : "");
    return st;
}

static int save_complaint(tnd_wtx *w, const tnd_complaint *c)
{
    if (tnd_arena_failed(tnd_wtx_arena(w)))
        return oom(w);
    char tender[TND_KEY_TENDER_ID_MAX + 1];
    uint32_t n = 0;
    uint8_t key[128];
    size_t kl = tnd_complaint_id_parse(c->id, tender, sizeof tender, &n)
                    ? tnd_key_complaints(key, sizeof key, tender, n)
                    : 0;
    int rc = kl ? tnd_wtx_put_msg(w, TND_TABLE_COMPLAINTS, key, kl, C_DESC, c) : TND_EINVAL;
    if (rc != 0)
        return tnd_wtx_fail(
            w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_UNAVAILABLE,
            "cannot store complaint %s: %s", c->id, tnd_strerror(rc));
    return 0;
}

/* The complaint's event: object_hash is tnd_complaint_hash(c), the hash of
 * its public view, which is what tnd_tender_event hashes when given it.
 * The complainant acts as a bare "supplier": who complained is not public. */
static int complaint_event(tnd_wtx *w, const tnd_tender *t, const tnd_complaint *c,
                           const tnd_peer_identity *reviewer, const char *note)
{
    int kind = tnd_complaint_event_kind((int)c->state);
    tnd_complaint pub;
    tnd_complaint_public(c, &pub);
    tnd_peer_identity anon = {.authenticated = true, .role = TND_ROLE_SUPPLIER};
    snprintf(anon.role_name, sizeof anon.role_name, "supplier");
    return tnd_tender_event(w, kind, t, reviewer ? reviewer : &anon, c->id, C_DESC, &pub,
                            note ? note : "");
}

static bool has_lots(const tnd_tender *t)
{
    return t->fields && t->fields->n_lots > 0;
}

static const tender_tenders_v1_LotState *lot_state(const tnd_tender *t, const char *id)
{
    for (size_t i = 0; id && i < t->n_lot_states; i++)
        if (t->lot_states[i].lot_id && strcmp(t->lot_states[i].lot_id, id) == 0)
            return &t->lot_states[i];
    return NULL;
}

/* A lot of t named by the request: it must be one. */
static int check_lot(tnd_wtx *w, const tnd_tender *t, const char *lot,
                     const tender_tenders_v1_LotState **ls)
{
    if (!has_lots(t))
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                            "lot_id: tender %s has no lots; leave lot_id empty", t->id);
    if (tnd_lot_find(t->fields, lot) < 0 || !(*ls = lot_state(t, lot)))
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s has no lot %s", t->id, lot);
    return 0;
}

static int too_late(tnd_wtx *w, const char *what, int64_t due)
{
    char when[32];
    return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                        "complaints about %s were due by %s; it is too late to file one", what,
                        tnd_ms_text(due, when, sizeof when));
}

/* CONDITIONS: while the tender is active, up to the complaint lead before
 * its submission deadline; a lot named must be one not cancelled. */
static int file_conditions(tnd_wtx *w, tnd_op *op, const tnd_tender *t, tnd_complaint *c)
{
    const tender_complaints_v1_FileComplaintRequest *req = op->req;
    char what[160];
    if (req->award_id && *req->award_id)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                            "award_id: a complaint about the conditions names no award; "
                            "complain about an award with subject AWARD");
    if (t->status != ST(ACTIVE) || !t->fields)
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "tender %s is %s; complaints about its conditions are filed while "
                            "it takes bids",
                            t->id, tnd_tender_status_name(t->status));
    const char *lot = req->lot_id ? req->lot_id : "";
    if (*lot) {
        const tender_tenders_v1_LotState *ls = NULL;
        int st = check_lot(w, t, lot, &ls);
        if (st)
            return st;
        if (ls->status == tender_tenders_v1_LotStatus_LOT_CANCELLED)
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "lot %s of tender %s is cancelled; complain about its "
                                "cancellation with subject CANCELLATION",
                                lot, t->id);
    }
    int64_t due =
        tnd_ts_ms(t->fields->submission_deadline) - (int64_t)op->srv->cfg.complaint_lead_ms;
    snprintf(what, sizeof what,
             "the conditions of tender %s (--complaint-lead before its "
             "submission deadline)",
             t->id);
    if (tnd_wtx_now_ms(w) >= due)
        return too_late(w, what, due);
    c->lot_id = tnd_arena_strdup(tnd_wtx_arena(w), lot);
    return 0;
}

/* Is the caller (key) a bidder of rec, for lot ("" : any bid)? */
static bool bidder(const tender_bids_v1_OpeningRecord *rec, const uint8_t key[32], const char *lot)
{
    for (size_t i = 0; i < rec->n_bids; i++) {
        const tender_bids_v1_OpenedBid *b = &rec->bids[i];
        if (b->supplier_key.len != 32 || memcmp(b->supplier_key.data, key, 32) != 0)
            continue;
        if (!*lot)
            return true;
        for (size_t j = 0; j < b->n_lots; j++)
            if (b->lots[j].lot_id && strcmp(b->lots[j].lot_id, lot) == 0)
                return true;
    }
    return false;
}

/* The award award_id of t, which the caller must have bid for: into a. */
static int award_of_bidder(tnd_wtx *w, tnd_op *op, const tnd_tender *t, const char *award_id,
                           tender_awards_v1_Award *a)
{
    char tender[TND_KEY_TENDER_ID_MAX + 1];
    uint32_t n = 0;
    uint8_t key[128];
    size_t kl = 0;
    tender_awards_v1_Award_init(a);
    if (!award_id || !*award_id)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                            "award_id: required, the award complained about");
    if (tnd_award_id_parse(award_id, tender, sizeof tender, &n) && strcmp(tender, t->id) == 0)
        kl = tnd_key_awards(key, sizeof key, tender, n);
    int rc = kl ? tnd_wtx_get_msg_in(w, TND_TABLE_AWARDS, key, kl, &tender_awards_v1_Award_desc, a)
                : TND_ENOTFOUND;
    if (rc == TND_ENOTFOUND)
        return tnd_wtx_fail(w, TND_STATUS_NOT_FOUND, "tender %s has no award %s", t->id, award_id);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "award %s is unreadable", award_id);
    tender_bids_v1_OpeningRecord rec;
    uint8_t okey[TND_KEY_TENDER_ID_MAX];
    rc = tnd_wtx_get_msg_in(w, TND_TABLE_OPENINGS, okey, tnd_key_openings(okey, t->id),
                            &tender_bids_v1_OpeningRecord_desc, &rec);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the opening record of %s is unreadable",
                            t->id);
    const char *lot = a->decision && a->decision->lot_id ? a->decision->lot_id : "";
    if (!bidder(&rec, op->peer.pubkey, lot)) {
        char whom[96];
        if (*lot)
            snprintf(whom, sizeof whom, "lot %s of tender %s", lot, t->id);
        else
            snprintf(whom, sizeof whom, "tender %s", t->id);
        return tnd_wtx_fail(w, TND_STATUS_PERMISSION_DENIED,
                            "only a bidder of %s may complain about its award (an opened bid "
                            "signed with your certificate's key)",
                            whom);
    }
    return 0;
}

/* AWARD: during the award's standstill, by one of its bidders. */
static int file_award(tnd_wtx *w, tnd_op *op, const tnd_tender *t, tnd_complaint *c)
{
    const tender_complaints_v1_FileComplaintRequest *req = op->req;
    tender_awards_v1_Award a;
    int st = award_of_bidder(w, op, t, req->award_id, &a);
    if (st)
        return st;
    char what[120];
    snprintf(what, sizeof what, "award %s (during its standstill)", a.id);
    if (a.state != tender_awards_v1_AwardState_STANDSTILL || !a.standstill_end)
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "award %s is not in its standstill; an award is complained about "
                            "during its standstill",
                            a.id);
    if (tnd_wtx_now_ms(w) >= tnd_ts_ms(a.standstill_end))
        return too_late(w, what, tnd_ts_ms(a.standstill_end));
    c->award_id = tnd_arena_strdup(tnd_wtx_arena(w), a.id);
    c->lot_id = tnd_arena_strdup(tnd_wtx_arena(w),
                                 a.decision && a.decision->lot_id ? a.decision->lot_id : "");
    return 0;
}

/* CANCELLATION: of an award (by its bidders), a lot or the tender (by any
 * supplier: bidders are sealed before the opening), within --standstill
 * after the cancellation. */
static int file_cancellation(tnd_wtx *w, tnd_op *op, const tnd_tender *t, tnd_complaint *c)
{
    const tender_complaints_v1_FileComplaintRequest *req = op->req;
    tnd_arena *ar = tnd_wtx_arena(w);
    const char *lot = req->lot_id ? req->lot_id : "";
    int64_t since, window = (int64_t)op->srv->cfg.standstill_ms;
    char what[160];
    if (req->award_id && *req->award_id) {
        tender_awards_v1_Award a;
        int st = award_of_bidder(w, op, t, req->award_id, &a);
        if (st)
            return st;
        if (a.state != tender_awards_v1_AwardState_CANCELLED || !a.closed)
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "award %s is not cancelled; complain about an award in its "
                                "standstill with subject AWARD",
                                a.id);
        since = tnd_ts_ms(a.closed);
        snprintf(what, sizeof what, "the cancellation of award %s (--standstill after it)", a.id);
        c->award_id = tnd_arena_strdup(ar, a.id);
        c->lot_id =
            tnd_arena_strdup(ar, a.decision && a.decision->lot_id ? a.decision->lot_id : "");
    } else if (*lot) {
        const tender_tenders_v1_LotState *ls = NULL;
        int st = check_lot(w, t, lot, &ls);
        if (st)
            return st;
        if (ls->status != tender_tenders_v1_LotStatus_LOT_CANCELLED || !ls->cancelled)
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "lot %s of tender %s is not cancelled", lot, t->id);
        since = tnd_ts_ms(ls->cancelled);
        snprintf(what, sizeof what,
                 "the cancellation of lot %s of tender %s (--standstill "
                 "after it)",
                 lot, t->id);
        c->lot_id = tnd_arena_strdup(ar, lot);
    } else {
        if (t->status != ST(CANCELLED))
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "tender %s is %s, not cancelled; name the cancelled award "
                                "(award_id) or lot (lot_id)",
                                t->id, tnd_tender_status_name(t->status));
        since = tnd_ts_ms(t->updated);
        snprintf(what, sizeof what, "the cancellation of tender %s (--standstill after it)", t->id);
    }
    if (tnd_wtx_now_ms(w) >= since + window)
        return too_late(w, what, since + window);
    return 0;
}

/* The documents filed with it: stored apart, listed with their hashes. */
static int store_documents(tnd_wtx *w, const tender_complaints_v1_FileComplaintRequest *req,
                           tnd_complaint *c)
{
    tnd_arena *ar = tnd_wtx_arena(w);
    if (!req->n_documents)
        return 0;
    c->documents = tnd_arena_calloc(ar, req->n_documents, sizeof *c->documents);
    if (!c->documents)
        return oom(w);
    for (size_t i = 0; i < req->n_documents; i++) {
        const tender_complaints_v1_ComplaintUpload *u = &req->documents[i];
        tender_complaints_v1_ComplaintDocument *d = &c->documents[i];
        char id[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX + 8];
        snprintf(id, sizeof id, "%s-D%zu", c->id, i + 1);
        uint8_t key[TND_KEY_COMPLAINT_DOCUMENT_ID_MAX], h[32];
        size_t kl = tnd_key_complaint_documents(key, id);
        int rc = kl ? tnd_wtx_put_raw(w, TND_TABLE_COMPLAINT_DOCUMENTS, key, kl,
                                      u->content.len ? u->content.data : (const void *)"",
                                      u->content.len)
                    : TND_EINVAL;
        if (rc != 0)
            return tnd_wtx_fail(
                w, rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_UNAVAILABLE,
                "cannot store document %s: %s", id, tnd_strerror(rc));
        SHA256(u->content.data ? u->content.data : (const uint8_t *)"", u->content.len, h);
        d->id = tnd_arena_strdup(ar, id);
        d->name = tnd_arena_strdup(ar, u->name);
        d->media_type = tnd_arena_strdup(
            ar, u->media_type && *u->media_type ? u->media_type : "application/octet-stream");
        d->sha256.data = tnd_arena_memdup(ar, h, 32);
        d->sha256.len = 32;
        d->size = u->content.len;
        c->n_documents++;
    }
    return tnd_arena_failed(ar) ? oom(w) : 0;
}

/* Who complained: kept, and committed to by the public tag. */
static int set_complainant(tnd_wtx *w, const tnd_peer_identity *p, tnd_complaint *c)
{
    tnd_arena *ar = tnd_wtx_arena(w);
    uint8_t salt[32], tag[32];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "no random bytes for the complaint");
    tnd_complaint_tag(salt, p->pubkey, tag);
    c->complainant = tnd_arena_calloc(ar, 1, sizeof *c->complainant);
    if (!c->complainant)
        return oom(w);
    c->complainant->actor = tnd_actor_in(ar, p);
    c->complainant->key.data = tnd_arena_memdup(ar, p->pubkey, 32);
    c->complainant->key.len = 32;
    c->complainant->salt.data = tnd_arena_memdup(ar, salt, 32);
    c->complainant->salt.len = 32;
    c->complainant_tag.data = tnd_arena_memdup(ar, tag, 32);
    c->complainant_tag.len = 32;
    return tnd_arena_failed(ar) ? oom(w) : 0;
}

/* One supplier may not use up a tender's complaints and leave the others
 * none: at most --max-complaints-per-supplier filed by its organisation
 * (certificate O), withdrawn ones included, since they used a number too. */
static int supplier_cap(tnd_wtx *w, tnd_op *op, const tnd_tender *t)
{
    tnd_complaint *list;
    size_t n, mine = 0;
    int rc = tnd_complaint_list_all(tnd_wtx_txn(w), tnd_wtx_store(w), t->id, tnd_wtx_arena(w),
                                    &list, &n);
    if (rc)
        return tnd_wtx_fail(w,
                            rc == TND_ENOMEM ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_DATA_LOSS,
                            "cannot read the complaints of tender %s: %s", t->id, tnd_strerror(rc));
    for (size_t i = 0; i < n; i++) {
        const tender_common_v1_Actor *a = list[i].complainant ? list[i].complainant->actor : NULL;
        mine += a && a->organisation && strcmp(a->organisation, op->peer.org) == 0;
    }
    uint32_t cap = op->srv->cfg.max_complaints_per_supplier;
    if (mine >= cap)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                            "%s has filed %zu complaints about tender %s, the most one supplier "
                            "may (--max-complaints-per-supplier %u, withdrawn ones included)",
                            op->peer.org, mine, t->id, cap);
    return 0;
}

int tnd__complaint_file_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_complaints_v1_FileComplaintRequest *req = op->req;
    tnd_arena *ar = tnd_wtx_arena(w);
    tnd_tender t;
    tnd_complaint c;
    tender_complaints_v1_Complaint_init(&c);
    int st = load_tender(w, req->tender_id, &t, &op->peer);
    if (st)
        return st;
    uint32_t seq = tnd_complaint_last_seq(tnd_wtx_txn(w), tnd_wtx_store(w), t.id) + 1;
    if (seq > TND_COMPLAINTS_MAX)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                            "tender %s has %d complaints, the most it may have", t.id,
                            TND_COMPLAINTS_MAX);
    if ((st = supplier_cap(w, op, &t)) != 0)
        return st;
    char id[TND_KEY_TENDER_ID_MAX + 16];
    snprintf(id, sizeof id, "%s-C%u", t.id, seq);
    c.id = tnd_arena_strdup(ar, id);
    c.tender_id = tnd_arena_strdup(ar, t.id);
    c.subject = req->subject;
    switch ((int)req->subject) {
    case SUB(CONDITIONS):
        st = file_conditions(w, op, &t, &c);
        break;
    case SUB(AWARD):
        st = file_award(w, op, &t, &c);
        break;
    case SUB(CANCELLATION):
        st = file_cancellation(w, op, &t, &c);
        break;
    default:
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                          "subject: CONDITIONS, AWARD or CANCELLATION");
    }
    if (st)
        return st;
    /* A lot's award names its lot; the request's, when given, must agree. */
    if (req->lot_id && *req->lot_id && strcmp(req->lot_id, c.lot_id ? c.lot_id : "") != 0)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                            "lot_id: award %s decides lot \"%s\", not %s; leave lot_id empty",
                            c.award_id, c.lot_id ? c.lot_id : "", req->lot_id);
    c.title = tnd_arena_strdup(ar, req->title);
    c.text = tnd_arena_strdup(ar, req->text);
    c.state = CS(SUBMITTED);
    c.filed = tnd_ts_in(ar, tnd_wtx_now_ms(w));
    c.tender_version = t.version;
    st = set_complainant(w, &op->peer, &c);
    if (!st)
        st = store_documents(w, req, &c);
    if (!st)
        st = save_complaint(w, &c);
    char note[200];
    if (!st && !tnd_complaint_subject_note(&c, note, sizeof note))
        st = tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT, "subject: unknown");
    if (!st)
        st = complaint_event(w, &t, &c, NULL, note);
    if (!st)
        st = tnd_complaint_changed(w, &t, NULL, &c);
    if (!st)
        st = tnd_op_reply(w, op, &c);
    return st;
}

static const char *state_rule(int state)
{
    switch (state) {
    case CS(SUBMITTED):
        return "SATISFY and REJECT are for an accepted complaint";
    case CS(ACCEPTED):
        return "ACCEPT and REFUSE are for a submitted complaint";
    default:
        return "it is decided";
    }
}

int tnd__complaint_review_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_complaints_v1_ReviewRequest *req = op->req;
    const tender_complaints_v1_ReviewDecision *d = req->decision;
    tnd_arena *ar = tnd_wtx_arena(w);
    tnd_complaint c, before;
    tnd_tender t;
    int st = load_complaint(w, d->complaint_id, &op->peer, &c, &t);
    if (st)
        return st;
    if (strcmp(d->tender_id, c.tender_id ? c.tender_id : "") != 0)
        return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                            "decision.tender_id: complaint %s is about tender %s, not %s", c.id,
                            c.tender_id ? c.tender_id : "", d->tender_id);
    int next = tnd_review_next_state((int)c.state, (int)d->outcome);
    if (!next)
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION, "%s is %s; %s", c.id,
                            tnd_complaint_state_name((int)c.state), state_rule((int)c.state));
    if (d->suspend_deadline) {
        const tnd_complaint *other;
        if (d->outcome != TND_REVIEW_OUTCOME(ACCEPT) || c.subject != SUB(CONDITIONS))
            return tnd_wtx_fail(w, TND_STATUS_INVALID_ARGUMENT,
                                "decision.suspend_deadline: only with ACCEPT of a complaint "
                                "about the conditions");
        if (t.status != ST(ACTIVE))
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "tender %s is %s; only a deadline still ahead can be suspended",
                                t.id, tnd_tender_status_name(t.status));
        /* One suspension at a time (complaint_suspend.c): an accepted one,
         * or a satisfied one the buyer has not yet remedied. */
        if (tnd_complaint_suspension(tnd_wtx_txn(w), tnd_wtx_store(w), &t, ar, &other) != 0)
            return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "cannot read the complaints of %s", t.id);
        if (other)
            return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                                "tender %s is already suspended by complaint %s", t.id, other->id);
    }
    before = c;
    tender_complaints_v1_Review *r = tnd_arena_calloc(ar, 1, sizeof *r);
    if (!r)
        return oom(w);
    r->decision = tnd_msg_new_in(&tender_complaints_v1_ReviewDecision_desc, ar);
    if (r->decision &&
        tnd_msg_copy_in(&tender_complaints_v1_ReviewDecision_desc, ar, d, r->decision) != 0)
        r->decision = NULL;
    r->signature.data = tnd_arena_memdup(ar, req->signature.data, req->signature.len);
    r->signature.len = req->signature.len;
    r->reviewer_key.data = tnd_arena_memdup(ar, op->peer.pubkey, 32);
    r->reviewer_key.len = 32;
    r->reviewer = tnd_actor_in(ar, &op->peer);
    r->time = tnd_ts_in(ar, tnd_wtx_now_ms(w));
    if (tnd_arena_failed(ar) || !r->decision)
        return oom(w);
    if (d->outcome == TND_REVIEW_OUTCOME(ACCEPT) || d->outcome == TND_REVIEW_OUTCOME(REFUSE))
        c.acceptance = r;
    else
        c.decision = r;
    c.state = next;
    st = save_complaint(w, &c);
    if (!st)
        st = complaint_event(w, &t, &c, &op->peer,
                             d->suspend_deadline ? TND_COMPLAINT_SUSPENDS_NOTE : "");
    if (!st)
        st = tnd_complaint_changed(w, &t, &before, &c);
    if (!st)
        st = tnd_op_reply(w, op, &c);
    return st;
}

int tnd__complaint_withdraw_fn(tnd_wtx *w, tnd_op *op)
{
    const tender_complaints_v1_ComplaintRef *req = op->req;
    tnd_complaint c, before;
    tnd_tender t;
    int st = load_complaint(w, req->id, &op->peer, &c, &t);
    if (st)
        return st;
    if (!c.complainant || c.complainant->key.len != 32 ||
        memcmp(c.complainant->key.data, op->peer.pubkey, 32) != 0)
        return tnd_wtx_fail(w, TND_STATUS_PERMISSION_DENIED,
                            "only the supplier who filed complaint %s may withdraw it", c.id);
    if (c.state != CS(SUBMITTED) && c.state != CS(ACCEPTED))
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "%s is %s; a complaint is withdrawn before the review body's "
                            "decision",
                            c.id, tnd_complaint_state_name((int)c.state));
    before = c;
    c.state = CS(WITHDRAWN);
    c.withdrawn = tnd_ts_in(tnd_wtx_arena(w), tnd_wtx_now_ms(w));
    st = save_complaint(w, &c);
    if (!st)
        st = complaint_event(w, &t, &c, NULL, "");
    if (!st)
        st = tnd_complaint_changed(w, &t, &before, &c);
    if (!st)
        st = tnd_op_reply(w, op, &c);
    return st;
}

int tnd_complaint_changed(tnd_wtx *w, tnd_tender *t, const tnd_complaint *before,
                          const tnd_complaint *after)
{
    /* The award hold: lifted when the last complaint holding the award
     * stops holding it (the scheduler is kicked after the commit). */
    if (after->subject == SUB(AWARD) && before && tnd_complaint_holds_award((int)before->state) &&
        !tnd_complaint_holds_award((int)after->state) &&
        !tnd_complaint_award_held(tnd_wtx_txn(w), tnd_wtx_store(w), t->id, after->award_id))
        return tnd_award_standstill_resume(w, after->award_id, tnd_wtx_now_ms(w));
    /* The deadline suspension, complaint_suspend.c. */
    return tnd_complaint_suspension_changed(w, t, before, after);
}
