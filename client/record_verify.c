/* The checks of one tender's record that need only the log: the
 * checkpoint, consistency with a saved checkpoint, inclusion of every
 * event, the published versions and the bids against the deadline
 * (tender/verify.h). The opening, the award and the signatures are in
 * record_verify_open.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tender/encoding.h"
#include "tender/logstate.h"
#include "record_verify.h"
#include "tender/blind.h"

#define EV(name) tender_events_v1_EventKind_##name
#define ST(name) tender_tenders_v1_TenderStatus_##name
#define BS(name) tender_bids_v1_BidState_##name
#define TENDER_DESC (&tender_tenders_v1_Tender_desc)
#define BID_DESC (&tender_bids_v1_SealedBid_desc)

const char *const tnd_tender_checks[] = {
    "checkpoint", "consistency", "inclusion",  "published", "lots",       "documents",  "questions",
    "deadline",   "opening",     "decryption", "award",     "signatures", "complaints", NULL,
};

void tnd__vreport(tnd__vrun *run, const char *check, tnd_check_result res, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (res == TND_CHECK_FAILED)
        run->failed++;
    if (run->report)
        run->report(run->ctx, check, res, line);
}

int64_t tnd__vms(const tender_common_v1_Timestamp *t)
{
    return t ? t->seconds * 1000 + (int64_t)(t->nanos / 1000000u) : 0;
}

bool tnd__vhash_is(const tnd_msg_desc *d, const void *msg, const tnd_bytes *h)
{
    tnd_bytes md = {0};
    bool same = h && h->len == 32 && tnd_msg_hash(d, msg, &md) == 0 &&
                memcmp(md.data, h->data, 32) == 0;
    free(md.data);
    return same;
}

bool tnd__vsame(const tnd_msg_desc *d, const void *a, const void *b)
{
    uint8_t *ea = NULL, *eb = NULL;
    size_t la = 0, lb = 0;
    bool same = tnd_msg_encode(d, a, &ea, &la, NULL) == 0 &&
                tnd_msg_encode(d, b, &eb, &lb, NULL) == 0 && la == lb && memcmp(ea, eb, la) == 0;
    free(ea);
    free(eb);
    return same;
}

const tender_tenders_v1_TenderFields *tnd__vfields(const tnd_tender_record *r)
{
    return r->n_versions ? r->versions[r->n_versions - 1].fields : NULL;
}

long tnd__vlast(const tnd_tender_record *r, int kind, const char *obj)
{
    for (size_t i = r->n_events; i-- > 0;) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (r->events[i].decoded && (int)ev->kind == kind &&
            (!obj || (ev->object_id && strcmp(ev->object_id, obj) == 0)))
            return (long)i;
    }
    return -1;
}

const uint8_t *tnd__vbid_key(const tnd_tender_record *r, long *conflict)
{
    const uint8_t *key = NULL;
    if (conflict)
        *conflict = -1;
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->bid_tag_key.len != 32 ||
            (ev->kind != EV(TENDER_CLOSED) && ev->kind != EV(TENDER_CANCELLED)))
            continue;
        if (key && memcmp(key, ev->bid_tag_key.data, 32) != 0) {
            if (conflict)
                *conflict = (long)i;
            return NULL;
        }
        key = ev->bid_tag_key.data;
    }
    return key;
}

static const char *b64(const uint8_t h[32], char out[45])
{
    tnd_base64_encode(h, 32, out);
    return out;
}

/* ---- the log ---------------------------------------------------------- */

static void check_checkpoint(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    tnd_checkpoint cp;
    char root[45];
    if (!r->checkpoint_note ||
        tnd_checkpoint_verify(r->checkpoint_note, strlen(r->checkpoint_note), run->v, &cp) != 0) {
        tnd__vreport(run, "checkpoint", TND_CHECK_FAILED,
                     "the checkpoint is not signed by the log key %s", run->v->name);
        return;
    }
    if (strcmp(cp.origin, run->v->name) != 0 || cp.size != r->checkpoint.size ||
        memcmp(cp.root, r->checkpoint.root, 32) != 0) {
        tnd__vreport(run, "checkpoint", TND_CHECK_FAILED,
                     "the checkpoint names the log \"%s\", not \"%s\"", cp.origin, run->v->name);
        return;
    }
    char cosigners[1024] = "";
    if (r->policy && !tnd_policy_is_none(r->policy)) {
        char why[1024];
        bool cosigned[TND_POLICY_MAX];
        int rc = tnd_policy_check(r->policy, r->checkpoint_note, strlen(r->checkpoint_note),
                                  cosigned, NULL, why, sizeof why);
        if (rc != 0) {
            tnd__vreport(run, "checkpoint", TND_CHECK_FAILED,
                         "the checkpoint of size %llu lacks the witness cosignatures the policy "
                         "needs: %s",
                         (unsigned long long)cp.size, rc == TND_EQUORUM ? why : "malformed");
            return;
        }
        size_t n = (size_t)snprintf(cosigners, sizeof cosigners, "; cosigned by");
        for (size_t i = 0; i < r->policy->n_witnesses && n < sizeof cosigners; i++)
            if (cosigned[i])
                n += (size_t)snprintf(cosigners + n, sizeof cosigners - n, " %s",
                                      r->policy->witnesses[i].name);
    }
    tnd__vreport(run, "checkpoint", TND_CHECK_OK, "signed by %s: size %llu, root %s%s",
                 run->v->name, (unsigned long long)cp.size, b64(cp.root, root), cosigners);
}

static void check_consistency(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    const tnd_checkpoint *old = run->saved, *cur = &r->checkpoint;
    if (!old) {
        tnd__vreport(run, "consistency", TND_CHECK_SKIPPED,
                     "no saved checkpoint to compare with");
        return;
    }
    /* The proof fetched must be for the saved checkpoint's size. */
    int ok = (r->saved_size == old->size || old->size >= cur->size || old->size == 0) &&
             tnd_log_check_consistency(old, cur, (const uint8_t(*)[32])r->consistency,
                                       r->n_consistency, NULL, 0) == 0;
    if (!ok)
        tnd__vreport(run, "consistency", TND_CHECK_FAILED,
                     "the log of size %llu does not extend the saved checkpoint of size %llu: "
                     "the log was rewritten",
                     (unsigned long long)cur->size, (unsigned long long)old->size);
    else
        tnd__vreport(run, "consistency", TND_CHECK_OK,
                     "the log of size %llu extends the saved checkpoint of size %llu",
                     (unsigned long long)cur->size, (unsigned long long)old->size);
}

static void check_inclusion(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    if (r->events_error[0]) {
        tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                     "the server cannot produce every event of the checkpoint: %s",
                     r->events_error);
        return;
    }
    if (r->n_events == 0) {
        tnd__vreport(run, "inclusion", TND_CHECK_FAILED, "the log has no event of tender %s",
                     r->tender_id);
        return;
    }
    long conflict;
    const uint8_t *key = tnd__vbid_key(r, &conflict);
    if (conflict >= 0) {
        tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                     "event %llu publishes another bid tag key than an earlier event",
                     (unsigned long long)r->events[conflict].index);
        return;
    }
    size_t n_linked = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const tnd_record_event *e = &r->events[i];
        uint8_t lh[32];
        bool blind = e->decoded && tnd_blind_kind((int)e->ev.kind);
        if (e->unlisted) {
            tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                         "bid event %llu belongs to tender %s by its tag, but the server's tender "
                         "filter left it out",
                         (unsigned long long)e->index, r->tender_id);
            return;
        }
        if (blind && (!key || (e->ev.tender_id && *e->ev.tender_id) || e->ev.tender_version ||
                      !tnd_blind_links(&e->ev, r->tender_id, key))) {
            tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                         "bid event %llu is not linked to tender %s: %s",
                         (unsigned long long)e->index, r->tender_id,
                         !key ? "the tender's bid tag key is not published"
                         : (e->ev.tender_id && *e->ev.tender_id) || e->ev.tender_version
                             ? "it names a tender (bid events carry only the blinded tag)"
                             : "its tag is not the one the published bid tag key gives");
            return;
        }
        n_linked += blind;
        if (!e->decoded || e->ev.seq != e->index ||
            (!blind && (!e->ev.tender_id || strcmp(e->ev.tender_id, r->tender_id) != 0))) {
            tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                         "leaf %llu is not an event of tender %s", (unsigned long long)e->index,
                         r->tender_id);
            return;
        }
        if (tnd_merkle_leaf_hash(e->leaf.data, e->leaf.len, lh) != 0 ||
            tnd_merkle_verify_inclusion(e->index, r->checkpoint.size, lh,
                                        (const uint8_t(*)[32])e->proof, e->n_proof,
                                        r->checkpoint.root) != 0) {
            tnd__vreport(run, "inclusion", TND_CHECK_FAILED,
                         "event %llu is not in the checkpoint of size %llu: the leaf was "
                         "altered or the proof is wrong",
                         (unsigned long long)e->index, (unsigned long long)r->checkpoint.size);
            return;
        }
    }
    if (key)
        tnd__vreport(run, "inclusion", TND_CHECK_OK,
                     "%zu events, each in the checkpoint of size %llu; %zu bid event(s) linked "
                     "by the published bid tag key",
                     r->n_events, (unsigned long long)r->checkpoint.size, n_linked);
    else
        tnd__vreport(run, "inclusion", TND_CHECK_OK,
                     "%zu events, each in the checkpoint of size %llu", r->n_events,
                     (unsigned long long)r->checkpoint.size);
}

/* ---- the published tender --------------------------------------------- */

/* The status the events lead to, from the last event that sets one. With
 * lots, awarded while any lot's award is in its standstill (recorded, not
 * yet cancelled or completed), else opened, until the tender's end. */
static int status_from_events(const tnd_tender_record *r)
{
    int status = ST(DRAFT);
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    bool lots = f && f->n_lots;
    size_t standing = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        if (!r->events[i].decoded)
            continue;
        int kind = (int)r->events[i].ev.kind;
        if (lots && (kind == EV(AWARD_RECORDED) || kind == EV(AWARD_CANCELLED) ||
                     kind == EV(LOT_COMPLETED))) {
            if (kind == EV(AWARD_RECORDED))
                standing++;
            else if (standing)
                standing--;
            status = standing ? ST(AWARDED) : ST(OPENED);
            continue;
        }
        switch (kind) {
        case EV(TENDER_PUBLISHED):
        case EV(TENDER_AMENDED):
        case EV(TENDER_POSTPONED):
        case EV(TENDER_RESUMED):
            status = ST(ACTIVE);
            break;
        case EV(TENDER_CANCELLED):
            status = ST(CANCELLED);
            break;
        case EV(TENDER_CLOSED):
            status = ST(CLOSED);
            break;
        case EV(BIDS_OPENED):
        case EV(AWARD_CANCELLED):
            status = ST(OPENED);
            break;
        case EV(AWARD_RECORDED):
            status = ST(AWARDED);
            break;
        case EV(TENDER_COMPLETED):
            status = ST(COMPLETE);
            break;
        case EV(TENDER_UNSUCCESSFUL):
            status = ST(UNSUCCESSFUL);
            break;
        default:
            break;
        }
    }
    return status;
}

static const char *status_name(int s)
{
    const tnd_enum_desc *d = &tender_tenders_v1_TenderStatus_desc;
    for (size_t i = 0; i < d->n_values; i++)
        if (d->values[i].number == s)
            return d->values[i].name;
    return "?";
}

/* Does the event publish a version (the first, an amendment, a
 * postponement, a resumption after a complaint's suspension)? */
static bool publishes(const tender_events_v1_Event *ev)
{
    return ev->kind == EV(TENDER_PUBLISHED) || ev->kind == EV(TENDER_AMENDED) ||
           ev->kind == EV(TENDER_POSTPONED) || ev->kind == EV(TENDER_RESUMED);
}

/* Version v (from 1) against the one event that published it. */
static bool version_matches(tnd__vrun *run, uint32_t v)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_Tender *t = &r->versions[v - 1];
    long found = -1;
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].decoded && publishes(&r->events[i].ev) &&
            (r->events[i].ev.kind == EV(TENDER_PUBLISHED)) == (v == 1) &&
            r->events[i].ev.tender_version == v) {
            if (found >= 0) {
                tnd__vreport(run, "published", TND_CHECK_FAILED,
                             "version %u was published twice (events %llu and %llu)", v,
                             (unsigned long long)r->events[found].index,
                             (unsigned long long)r->events[i].index);
                return false;
            }
            found = (long)i;
        }
    if (found < 0) {
        tnd__vreport(run, "published", TND_CHECK_FAILED, "version %u has no %s event in the log", v,
                     v == 1 ? "tender_published"
                            : "tender_amended, tender_postponed or tender_resumed");
        return false;
    }
    if (!t->id || strcmp(t->id, r->tender_id) != 0 || t->version != v ||
        !tnd__vhash_is(TENDER_DESC, t, &r->events[found].ev.object_hash)) {
        tnd__vreport(run, "published", TND_CHECK_FAILED,
                     "version %u as the server shows it differs from what event %llu logged", v,
                     (unsigned long long)r->events[found].index);
        return false;
    }
    return true;
}

static void check_published(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_Tender *cur = &r->current;
    if (r->versions_error[0]) {
        tnd__vreport(run, "published", TND_CHECK_FAILED,
                     "the log publishes tender %s but the server does not serve it: %s",
                     r->tender_id, r->versions_error);
        return;
    }
    if (r->n_versions == 0) {
        tnd__vreport(run, "published", TND_CHECK_FAILED, "tender %s has no published version",
                     r->tender_id);
        return;
    }
    for (uint32_t v = 1; v <= r->n_versions; v++)
        if (!version_matches(run, v))
            return;
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (r->events[i].decoded && publishes(ev) && ev->tender_version > r->n_versions) {
            tnd__vreport(run, "published", TND_CHECK_FAILED,
                         "event %llu published version %u, which the server does not show",
                         (unsigned long long)r->events[i].index, ev->tender_version);
            return;
        }
    }
    if (!cur->id || strcmp(cur->id, r->tender_id) != 0 ||
        !tnd__vsame(&tender_tenders_v1_TenderFields_desc, cur->fields, tnd__vfields(r))) {
        tnd__vreport(run, "published", TND_CHECK_FAILED,
                     "the tender as shown now differs from its latest published version %zu",
                     r->n_versions);
        return;
    }
    int want = status_from_events(r);
    if ((int)cur->status != want) {
        tnd__vreport(run, "published", TND_CHECK_FAILED,
                     "the tender is %s but its events lead to %s", status_name(cur->status),
                     status_name(want));
        return;
    }
    tnd__vreport(run, "published", TND_CHECK_OK,
                 "%zu published version(s) match their events; status %s follows from them",
                 r->n_versions, status_name(cur->status));
}

/* ---- bids and the deadline -------------------------------------------- */

static int64_t deadline_of(const tnd_tender_record *r, uint32_t version)
{
    if (version == 0 || version > r->n_versions || !r->versions[version - 1].fields)
        return 0;
    return tnd__vms(r->versions[version - 1].fields->submission_deadline);
}

/* The version in force at event i: a bid event names none (it names no
 * tender), so the last version published before it. */
static uint32_t version_at(const tnd_tender_record *r, size_t i)
{
    if (!tnd_blind_kind((int)r->events[i].ev.kind))
        return r->events[i].ev.tender_version;
    while (i-- > 0)
        if (r->events[i].decoded && publishes(&r->events[i].ev))
            return r->events[i].ev.tender_version;
    return 0;
}

/* Bid events: before the deadline of the version in force, and none after
 * the tender closed. */
static bool bid_events_in_time(tnd__vrun *run, size_t *n_bid_events)
{
    const tnd_tender_record *r = run->r;
    bool closed = false;
    *n_bid_events = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded)
            continue;
        if (ev->kind == EV(TENDER_CLOSED)) {
            closed = true;
            if (tnd__vms(ev->time) < deadline_of(r, ev->tender_version)) {
                tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                             "the tender was closed (event %llu) before its deadline",
                             (unsigned long long)r->events[i].index);
                return false;
            }
        }
        if (ev->kind != EV(BID_RECEIVED) && ev->kind != EV(BID_WITHDRAWN))
            continue;
        ++*n_bid_events;
        int64_t dl = deadline_of(r, version_at(r, i));
        if (closed || !dl || tnd__vms(ev->time) >= dl) {
            tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                         "bid %s was %s after the deadline (event %llu)",
                         ev->object_id ? ev->object_id : "?",
                         ev->kind == EV(BID_RECEIVED) ? "accepted" : "withdrawn",
                         (unsigned long long)r->events[i].index);
            return false;
        }
    }
    return true;
}

/* One sealed bid against its events: received once, at the logged time,
 * with the logged envelope; withdrawn with a logged event. */
static bool bid_matches_events(tnd__vrun *run, const tender_bids_v1_SealedBid *b)
{
    const tnd_tender_record *r = run->r;
    const char *id = b->bid_id ? b->bid_id : "";
    long rx = tnd__vlast(r, EV(BID_RECEIVED), id);
    if (rx < 0) {
        tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                     "sealed bid %s has no bid_received event in the log", id);
        return false;
    }
    const tender_events_v1_Event *ev = &r->events[rx].ev;
    /* The envelope as it was received: later states only change the state. */
    tender_bids_v1_SealedBid as_received = *b;
    as_received.state = BS(SUBMITTED);
    if (!b->tender_id || strcmp(b->tender_id, r->tender_id) != 0 ||
        !tnd__vhash_is(BID_DESC, &as_received, &ev->object_hash)) {
        tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                     "sealed bid %s differs from the envelope logged by event %llu", id,
                     (unsigned long long)r->events[rx].index);
        return false;
    }
    if (tnd__vms(b->received) != tnd__vms(ev->time) ||
        tnd__vms(b->received) >= deadline_of(r, version_at(r, (size_t)rx))) {
        tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                     "sealed bid %s claims another time of receipt than event %llu logged", id,
                     (unsigned long long)r->events[rx].index);
        return false;
    }
    long wd = tnd__vlast(r, EV(BID_WITHDRAWN), id);
    bool withdrawn = b->state == BS(WITHDRAWN);
    if (withdrawn != (wd >= 0) ||
        (withdrawn && !tnd__vhash_is(BID_DESC, b, &r->events[wd].ev.object_hash))) {
        tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                     "sealed bid %s is %s but the log %s", id,
                     withdrawn ? "withdrawn" : "not withdrawn",
                     wd >= 0 ? "records a different withdrawal" : "records no withdrawal");
        return false;
    }
    return true;
}

/* A tender still active well after its deadline was never closed: bids
 * can never be opened (a lost schedule entry, a stopped timer). Unless a
 * complaint suspends the deadline: it stays open until the review body
 * decides (the complaints check holds it to that). */
static bool closed_in_time(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    int64_t dl = deadline_of(r, (uint32_t)r->n_versions);
    char a[32];
    if (r->current.status != ST(ACTIVE) || !dl || r->fetched_ms <= dl + TND_CLOSE_GRACE_MS ||
        tnd__vsuspended(r))
        return true;
    time_t sec = (time_t)(dl / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                 "the submission deadline %s passed %lld s ago but the tender is still active: "
                 "it was never closed",
                 a, (long long)((r->fetched_ms - dl) / 1000));
    return false;
}

/* One TENDER_POSTPONED event (index i) against the outage rule: the new
 * version is the one before with the deadline moved from within the outage
 * (or the window after it) to the extension after the later of the
 * deadline and the outage's end, the opening time moved by as much; the
 * event marks the outage's end; nothing of this tender was logged during
 * the outage, and it was still open. */
static const char *postponement_error(const tnd_tender_record *r, size_t i)
{
    const tender_events_v1_Event *ev = &r->events[i].ev;
    uint32_t v = ev->tender_version;
    if (v < 2 || v > r->n_versions)
        return "it names a version the server does not show";
    const tender_tenders_v1_Tender *cur = &r->versions[v - 1], *prev = &r->versions[v - 2];
    const tender_tenders_v1_Postponement *p = cur->postponement;
    if (!p || !p->outage_from || !p->outage_to || !p->previous_deadline || !cur->fields ||
        !prev->fields)
        return "its version does not state the outage";
    int64_t from = tnd__vms(p->outage_from), to = tnd__vms(p->outage_to);
    int64_t old = tnd__vms(prev->fields->submission_deadline);
    int64_t moved = tnd__vms(cur->fields->submission_deadline);
    if (tnd__vms(p->previous_deadline) != old)
        return "the deadline it moved is not the previous version's";
    if (p->terms_version != tnd_bid_terms_of(prev).version)
        return "the version bids answer is not the previous version's";
    if (from >= to || tnd__vms(ev->time) != to)
        return "the outage does not end at the event";
    if (old < from || old > to + (int64_t)p->window_ms)
        return "the deadline was neither in the outage nor in the window after it";
    if (moved != (old > to ? old : to) + (int64_t)p->extension_ms || p->extension_ms == 0)
        return "the new deadline is not the extension after the later of the deadline and the "
               "outage's end";
    if (tnd__vms(cur->fields->opening_time) - tnd__vms(prev->fields->opening_time) != moved - old)
        return "the opening time did not move with the deadline";
    tender_tenders_v1_TenderFields same = *cur->fields;
    same.submission_deadline = prev->fields->submission_deadline;
    same.opening_time = prev->fields->opening_time;
    if (!tnd__vsame(&tender_tenders_v1_TenderFields_desc, &same, prev->fields))
        return "it changed more than the deadline and the opening time";
    for (size_t j = 0; j < i; j++) {
        const tender_events_v1_Event *e = &r->events[j].ev;
        if (!r->events[j].decoded)
            continue;
        if (e->kind == EV(TENDER_CLOSED) || e->kind == EV(TENDER_CANCELLED))
            return "the tender was no longer open";
        if (tnd__vms(e->time) > from && tnd__vms(e->time) < to)
            return "the log has an event of the tender during the outage";
    }
    return NULL;
}

static bool postponements_follow_rule(tnd__vrun *run, size_t *n)
{
    const tnd_tender_record *r = run->r;
    *n = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        if (!r->events[i].decoded || r->events[i].ev.kind != EV(TENDER_POSTPONED))
            continue;
        const char *why = postponement_error(r, i);
        if (why) {
            tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                         "the postponement (event %llu) does not follow the outage rule: %s",
                         (unsigned long long)r->events[i].index, why);
            return false;
        }
        ++*n;
    }
    return true;
}

static void check_deadline(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    size_t n_events, n_postponed;
    if (!postponements_follow_rule(run, &n_postponed) || !bid_events_in_time(run, &n_events) ||
        !closed_in_time(run))
        return;
    if (!r->has_bids) {
        tnd__vreport(run, "deadline", TND_CHECK_OK,
                     "%zu bid event(s), all before the deadline%s; the sealed bids are public "
                     "from the opening",
                     n_events, n_postponed ? " (postponed after an outage, by the rule)" : "");
        return;
    }
    for (size_t i = 0; i < r->n_bids; i++)
        if (!bid_matches_events(run, &r->bids[i]))
            return;
    /* And the other way: nothing received was dropped from the record. */
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || ev->kind != EV(BID_RECEIVED))
            continue;
        bool found = false;
        for (size_t j = 0; !found && j < r->n_bids; j++)
            found = r->bids[j].bid_id && ev->object_id &&
                    strcmp(r->bids[j].bid_id, ev->object_id) == 0;
        if (!found) {
            tnd__vreport(run, "deadline", TND_CHECK_FAILED,
                         "bid %s was received (event %llu) but is missing from the sealed bids",
                         ev->object_id ? ev->object_id : "?",
                         (unsigned long long)r->events[i].index);
            return;
        }
    }
    tnd__vreport(run, "deadline", TND_CHECK_OK,
                 "%zu bid event(s), all before the deadline%s; %zu sealed bid(s) match them",
                 n_events, n_postponed ? " (postponed after an outage, by the rule)" : "",
                 r->n_bids);
}

int tnd_tender_record_verify(const tnd_tender_record *r, const tnd_note_verifier *v,
                             const tnd_checkpoint *saved, tnd_check_report_fn report, void *ctx)
{
    tnd__vrun run = {.r = r, .v = v, .saved = saved, .report = report, .ctx = ctx};
    check_checkpoint(&run);
    check_consistency(&run);
    check_inclusion(&run);
    check_published(&run);
    tnd__vcheck_lots(&run);
    tnd__vcheck_documents(&run);
    tnd__vcheck_questions(&run);
    check_deadline(&run);
    tnd__vcheck_opening(&run);
    tnd__vcheck_decryption(&run);
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    if (f && f->n_lots)
        tnd__vcheck_award_lots(&run);
    else
        tnd__vcheck_award(&run);
    tnd__vcheck_signatures(&run);
    tnd__vcheck_complaints(&run);
    return run.failed;
}
