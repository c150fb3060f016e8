/* The complaints check (docs/COMPLAINTS.md, docs/AUDIT.md): the complaint
 * events of the log follow the transitions of tender/complaint.h; each
 * complaint served (Complaints/List, the public view) is what its last
 * event logged, with its reviews signed; an accepted one is served; the
 * clock obeys complaints: no award completes while a complaint about it
 * holds it, no closing and no bid while a complaint suspends the deadline,
 * and each TENDER_RESUMED version moves the deadline by the suspension.
 * Refused complaints are never public: only their events are checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record_verify.h"
#include "tender/bid.h"
#include "tender/complaint.h"

#define EV(name) tender_events_v1_EventKind_##name
#define CS TND_COMPLAINT_STATE
#define SUB TND_COMPLAINT_SUBJECT
#define OUT TND_REVIEW_OUTCOME
#define CHECK "complaints"

/* One complaint as its events so far leave it. */
typedef struct track {
    const char *id;
    int state;      /* 0 before its COMPLAINT_FILED */
    int subject;    /* from the filing's note */
    char about[81]; /* the award or lot its filing's note names, or "" */
    long filed;     /* indexes into r->events; -1 none */
    long accepted;
    long last;
} track;

static const char *s(const char *p)
{
    return p ? p : "";
}

/* Text from the server in a failure: printable ASCII only, at most 80
 * bytes, so that a hostile id cannot write to the auditor's terminal. */
static const char *shown(const char *p, char buf[81])
{
    size_t n = 0;
    for (p = s(p); *p && n < 80; p++)
        buf[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
    buf[n] = '\0';
    return buf;
}

/* Only ids of printable ASCII without spaces name an award or a lot. */
static bool plain(const char *p)
{
    for (; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

static unsigned long long at(const tnd_tender_record *r, long i)
{
    return (unsigned long long)r->events[i].index;
}

static const char *kind_name(int kind, char *buf, size_t cap)
{
    const tnd_enum_desc *d = &tender_events_v1_EventKind_desc;
    snprintf(buf, cap, "?");
    for (size_t i = 0; i < d->n_values; i++)
        if (d->values[i].number == kind) {
            size_t n = 0;
            for (const char *p = d->values[i].name; *p && n + 1 < cap; p++)
                buf[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            buf[n] = '\0';
        }
    return buf;
}

static bool complaint_event(int kind)
{
    return kind >= EV(COMPLAINT_FILED) && kind <= EV(COMPLAINT_WITHDRAWN);
}

/* The review outcome a complaint event logs, or 0 (filed, withdrawn). */
static int outcome_of(int kind)
{
    switch (kind) {
    case EV(COMPLAINT_ACCEPTED):
        return OUT(ACCEPT);
    case EV(COMPLAINT_REFUSED):
        return OUT(REFUSE);
    case EV(COMPLAINT_SATISFIED):
        return OUT(SATISFY);
    case EV(COMPLAINT_REJECTED):
        return OUT(REJECT);
    default:
        return 0;
    }
}

/* Is id "<tender id>-C<n>", n a number from 1 without leading zeros? */
static bool names_complaint(const char *tender_id, const char *id)
{
    size_t tl = strlen(tender_id);
    if (!id || strncmp(id, tender_id, tl) != 0 || strncmp(id + tl, "-C", 2) != 0)
        return false;
    const char *n = id + tl + 2;
    if (*n < '1' || *n > '9' || strlen(n) > 9)
        return false;
    for (; *n; n++)
        if (*n < '0' || *n > '9')
            return false;
    return true;
}

/* ---- the suspension of the deadline ----------------------------------- */

/* A complaint's suspension of the deadline as the events so far leave it. */
typedef struct susp {
    const char *id; /* the complaint suspending it; NULL: none */
    long from;      /* its acceptance: an index into r->events */
    long ended;     /* its rejection or withdrawal, awaiting the TENDER_RESUMED; -1 */
    bool satisfied; /* upheld: until the buyer amends or cancels the tender */
} susp;

/* Advance sp by event i. */
static void susp_step(susp *sp, const tnd_tender_record *r, long i)
{
    const tender_events_v1_Event *ev = &r->events[i].ev;
    if (!r->events[i].decoded)
        return;
    int kind = (int)ev->kind;
    bool mine = sp->id && ev->object_id && strcmp(sp->id, ev->object_id) == 0;
    if (kind == EV(COMPLAINT_ACCEPTED) && !sp->id &&
        strcmp(s(ev->note), TND_COMPLAINT_SUSPENDS_NOTE) == 0) {
        *sp = (susp){.id = ev->object_id, .from = i, .ended = -1};
    } else if (mine && (kind == EV(COMPLAINT_REJECTED) || kind == EV(COMPLAINT_WITHDRAWN))) {
        sp->ended = i; /* until the TENDER_RESUMED of the same write */
    } else if (mine && kind == EV(COMPLAINT_SATISFIED)) {
        sp->satisfied = true; /* until the buyer amends or cancels */
    } else if (sp->id && (kind == EV(TENDER_RESUMED) || kind == EV(TENDER_CANCELLED) ||
                          (kind == EV(TENDER_AMENDED) && sp->satisfied))) {
        *sp = (susp){.from = -1, .ended = -1};
    }
}

const char *tnd__vsuspended(const tnd_tender_record *r)
{
    susp sp = {.from = -1, .ended = -1};
    for (size_t i = 0; i < r->n_events; i++)
        susp_step(&sp, r, (long)i);
    return sp.id;
}

/* The TENDER_RESUMED event i against the suspension it ends: its version
 * is the one before with the deadline and the opening time (and the
 * enquiry deadline) moved by the time the suspension lasted. NULL, or why
 * not. */
static const char *resumption_error(const tnd_tender_record *r, long i, const susp *sp)
{
    const tender_events_v1_Event *ev = &r->events[i].ev;
    uint32_t v = ev->tender_version;
    if (v < 2 || v > r->n_versions)
        return "it names a version the server does not show";
    const tender_tenders_v1_Tender *cur = &r->versions[v - 1], *prev = &r->versions[v - 2];
    const tender_tenders_v1_Resumption *p = cur->resumption;
    if (!p || !p->suspended_from || !p->suspended_to || !p->previous_deadline || !cur->fields ||
        !prev->fields)
        return "its version does not state the suspension";
    if (strcmp(s(p->complaint_id), sp->id) != 0)
        return "its version names another complaint";
    int64_t from = tnd__vms(p->suspended_from), to = tnd__vms(p->suspended_to);
    int64_t old = tnd__vms(prev->fields->submission_deadline);
    if (from != tnd__vms(r->events[sp->from].ev.time))
        return "the suspension did not start at the complaint's acceptance";
    if (to != tnd__vms(r->events[sp->ended].ev.time))
        return "the suspension did not end at the complaint's decision or withdrawal";
    if (tnd__vms(p->previous_deadline) != old)
        return "the deadline it moved is not the previous version's";
    if (p->terms_version != tnd_bid_terms_of(prev).version)
        return "the version bids answer is not the previous version's";
    if (tnd__vms(cur->fields->submission_deadline) != old + (to - from))
        return "the new deadline is not the previous one extended by the suspension";
    if (tnd__vms(cur->fields->opening_time) - tnd__vms(prev->fields->opening_time) != to - from)
        return "the opening time did not move with the deadline";
    /* The enquiry deadline moves too unless it had passed: either is fine. */
    tender_tenders_v1_TenderFields same = *cur->fields;
    same.submission_deadline = prev->fields->submission_deadline;
    same.opening_time = prev->fields->opening_time;
    same.enquiry_deadline = prev->fields->enquiry_deadline;
    int64_t eq = tnd__vms(cur->fields->enquiry_deadline) - tnd__vms(prev->fields->enquiry_deadline);
    if (!tnd__vsame(&tender_tenders_v1_TenderFields_desc, &same, prev->fields) ||
        (eq != 0 && eq != to - from))
        return "it changed more than the deadline, the opening time and the enquiry deadline";
    return NULL;
}

/* ---- the events ------------------------------------------------------- */

typedef struct walk {
    tnd__vrun *run;
    const tnd_tender_record *r;
    track *t;
    size_t n;
    susp sp;
    size_t n_suspensions, n_resumed;
} walk;

static track *track_of(walk *w, const char *id)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->t[i].id, id) == 0)
            return &w->t[i];
    return NULL;
}

static bool fail(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(walk *w, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    tnd__vreport(w->run, CHECK, TND_CHECK_FAILED, "%s", line);
    return false;
}

/* A served award (the latest, an earlier one, a lot's) called id, or NULL. */
static const tender_awards_v1_Award *award_of(const tnd_tender_record *r, const char *id)
{
    if (r->has_award && r->award.id && strcmp(r->award.id, id) == 0)
        return &r->award;
    for (size_t i = 0; i < r->n_earlier_awards; i++)
        if (r->earlier_awards[i].id && strcmp(r->earlier_awards[i].id, id) == 0)
            return &r->earlier_awards[i];
    for (size_t i = 0; r->has_awards && i < r->awards.n_awards; i++)
        if (r->awards.awards[i].id && strcmp(r->awards.awards[i].id, id) == 0)
            return &r->awards.awards[i];
    return NULL;
}

/* The filing window where the log shows it: an award complaint during its
 * award's standstill, a conditions complaint before the deadline. */
static bool filed_in_time(walk *w, const track *t, long i)
{
    const tnd_tender_record *r = w->r;
    const tender_events_v1_Event *ev = &r->events[i].ev;
    int64_t when = tnd__vms(ev->time);
    if (t->subject == SUB(AWARD)) {
        long rec = -1;
        for (long j = 0; j < i && rec < 0; j++)
            if (r->events[j].decoded && r->events[j].ev.kind == EV(AWARD_RECORDED) &&
                strcmp(s(r->events[j].ev.object_id), t->about) == 0)
                rec = j;
        if (rec < 0)
            return fail(w,
                        "complaint %s (event %llu) is about award %s, which no earlier event "
                        "records",
                        t->id, at(r, i), t->about);
        const tender_awards_v1_Award *a = award_of(r, t->about);
        if (a && a->standstill_end && when >= tnd__vms(a->standstill_end))
            return fail(w,
                        "complaint %s about award %s was filed (event %llu) after the award's "
                        "standstill ended",
                        t->id, t->about, at(r, i));
    }
    uint32_t v = ev->tender_version;
    const tender_tenders_v1_TenderFields *f =
        v >= 1 && v <= r->n_versions ? r->versions[v - 1].fields : NULL;
    if (t->subject == SUB(CONDITIONS) && f && f->submission_deadline &&
        when >= tnd__vms(f->submission_deadline))
        return fail(w,
                    "complaint %s about the conditions was filed (event %llu) after the "
                    "submission deadline of version %u",
                    t->id, at(r, i), v);
    return true;
}

/* Complaint event i: a complaint of this tender, in the order of the
 * transitions. */
static bool complaint_step(walk *w, long i)
{
    const tnd_tender_record *r = w->r;
    const tender_events_v1_Event *ev = &r->events[i].ev;
    int kind = (int)ev->kind;
    char kn[40], b[81];
    if (!names_complaint(r->tender_id, ev->object_id))
        return fail(w, "event %llu (%s) names \"%s\", not a complaint of tender %s", at(r, i),
                    kind_name(kind, kn, sizeof kn), shown(ev->object_id, b), r->tender_id);
    track *t = track_of(w, ev->object_id);
    if (kind == EV(COMPLAINT_FILED)) {
        if (t)
            return fail(w, "complaint %s is filed again by event %llu (first by event %llu)", t->id,
                        at(r, i), at(r, t->filed));
        t = &w->t[w->n++];
        *t = (track){.id = ev->object_id, .filed = i, .accepted = -1};
        if (!tnd_complaint_subject_note_parse(s(ev->note), &t->subject, t->about,
                                              sizeof t->about) ||
            !plain(t->about))
            return fail(w, "complaint %s: its filing (event %llu) names no subject: \"%s\"", t->id,
                        at(r, i), shown(ev->note, b));
        t->state = CS(SUBMITTED);
        t->last = i;
        return filed_in_time(w, t, i);
    }
    if (!t)
        return fail(w, "complaint %s: event %llu (%s) comes before its filing", ev->object_id,
                    at(r, i), kind_name(kind, kn, sizeof kn));
    int next = outcome_of(kind) ? tnd_review_next_state(t->state, outcome_of(kind)) : 0;
    /* The complainant withdraws before a decision. */
    if (kind == EV(COMPLAINT_WITHDRAWN) && !tnd_complaint_final(t->state))
        next = CS(WITHDRAWN);
    if (!next || tnd_complaint_event_kind(next) != kind)
        return fail(w, "complaint %s: event %llu (%s) cannot follow its state %s%s", t->id,
                    at(r, i), kind_name(kind, kn, sizeof kn), tnd_complaint_state_name(t->state),
                    tnd_complaint_final(t->state) ? " (final)" : "");
    bool suspends = strcmp(s(ev->note), TND_COMPLAINT_SUSPENDS_NOTE) == 0;
    if (kind == EV(COMPLAINT_ACCEPTED)) {
        t->accepted = i;
        if (suspends && t->subject != SUB(CONDITIONS))
            return fail(w,
                        "complaint %s: its acceptance (event %llu) suspends the deadline, but "
                        "only a complaint about the conditions may",
                        t->id, at(r, i));
        if (suspends && w->sp.id)
            return fail(w,
                        "complaint %s: its acceptance (event %llu) suspends the deadline, which "
                        "complaint %s suspends already",
                        t->id, at(r, i), w->sp.id);
        w->n_suspensions += suspends;
    }
    t->state = next;
    t->last = i;
    return true;
}

/* The clock at event i: what a complaint holds or suspends did not happen. */
static bool clock_step(walk *w, long i)
{
    const tnd_tender_record *r = w->r;
    const tender_events_v1_Event *ev = &r->events[i].ev;
    int kind = (int)ev->kind;
    const susp *sp = &w->sp;
    if ((kind == EV(TENDER_COMPLETED) || kind == EV(LOT_COMPLETED)) && ev->object_id) {
        for (size_t k = 0; k < w->n; k++) {
            const track *t = &w->t[k];
            if (t->subject == SUB(AWARD) && strcmp(t->about, ev->object_id) == 0 &&
                tnd_complaint_holds_award(t->state))
                return fail(w,
                            "award %s completed (event %llu) while complaint %s, %s by event "
                            "%llu, holds it",
                            t->about, at(r, i), t->id, tnd_complaint_state_name(t->state),
                            at(r, t->last));
        }
    }
    if (sp->id && sp->ended < 0 &&
        (kind == EV(TENDER_CLOSED) || kind == EV(BID_RECEIVED) || kind == EV(BID_WITHDRAWN))) {
        char kn[40];
        return fail(w,
                    "event %llu (%s) while complaint %s suspends the deadline (from event "
                    "%llu%s)",
                    at(r, i), kind_name(kind, kn, sizeof kn), sp->id, at(r, sp->from),
                    sp->satisfied ? ", satisfied and not yet remedied" : "");
    }
    if (sp->id && sp->ended >= 0 && sp->ended != i && kind != EV(TENDER_RESUMED))
        return fail(w,
                    "complaint %s ended its suspension of the deadline (event %llu) but no "
                    "tender_resumed follows it",
                    sp->id, at(r, sp->ended));
    if (kind == EV(TENDER_RESUMED)) {
        if (!sp->id || sp->ended < 0)
            return fail(w,
                        "event %llu resumes the tender, but no complaint's suspension ended "
                        "just before it",
                        at(r, i));
        const char *why = resumption_error(r, i, sp);
        if (why)
            return fail(w,
                        "the resumption (event %llu) after complaint %s does not follow the "
                        "rule: %s",
                        at(r, i), sp->id, why);
        w->n_resumed++;
    }
    return true;
}

/* The last event, if it ends a suspension, must have its TENDER_RESUMED
 * after it: the same write. */
static bool walk_end(walk *w)
{
    const susp *sp = &w->sp;
    if (sp->id && sp->ended >= 0)
        return fail(w,
                    "complaint %s ended its suspension of the deadline (event %llu) but no "
                    "tender_resumed follows it",
                    sp->id, at(w->r, sp->ended));
    return true;
}

static bool walk_events(walk *w)
{
    const tnd_tender_record *r = w->r;
    for (size_t i = 0; i < r->n_events; i++) {
        if (!r->events[i].decoded)
            continue;
        int kind = (int)r->events[i].ev.kind;
        /* The clock first: the suspension as it stood before this event. */
        if (!clock_step(w, (long)i))
            return false;
        if (complaint_event(kind) && !complaint_step(w, (long)i))
            return false;
        susp_step(&w->sp, r, (long)i);
    }
    return walk_end(w);
}

/* ---- the complaints served -------------------------------------------- */

/* One review (what = "acceptance" or "decision") of complaint c, logged by
 * event i. */
static bool review_holds(walk *w, const tender_complaints_v1_Complaint *c, const char *what,
                         const tender_complaints_v1_Review *rv, long i)
{
    const tnd_tender_record *r = w->r;
    if (!rv)
        return fail(w, "complaint %s has no %s, but event %llu logs one", c->id, what, at(r, i));
    const tender_complaints_v1_ReviewDecision *d = rv->decision;
    if (!d || strcmp(s(d->complaint_id), c->id) != 0 ||
        strcmp(s(d->tender_id), r->tender_id) != 0) {
        char b1[81], b2[81];
        return fail(w, "complaint %s: its %s (event %llu) names complaint \"%s\" of tender \"%s\"",
                    c->id, what, at(r, i), shown(d ? d->complaint_id : "", b1),
                    shown(d ? d->tender_id : "", b2));
    }
    if (rv->reviewer_key.len != 32 ||
        tnd_review_verify(d, rv->signature.data, rv->signature.len, rv->reviewer_key.data) != 0)
        return fail(w, "complaint %s: its %s (event %llu) is not signed by its reviewer key", c->id,
                    what, at(r, i));
    const tender_events_v1_Event *ev = &r->events[i].ev;
    if ((int)d->outcome != outcome_of((int)ev->kind))
        return fail(w, "complaint %s: its %s says %s, but event %llu logs another outcome", c->id,
                    what, tnd_review_outcome_name((int)d->outcome), at(r, i));
    if (tnd__vms(rv->time) != tnd__vms(ev->time))
        return fail(w, "complaint %s: its %s is dated otherwise than event %llu", c->id, what,
                    at(r, i));
    if (ev->kind == EV(COMPLAINT_ACCEPTED) &&
        d->suspend_deadline != (strcmp(s(ev->note), TND_COMPLAINT_SUSPENDS_NOTE) == 0))
        return fail(w, "complaint %s: its acceptance %s the deadline, but event %llu says it %s",
                    c->id, d->suspend_deadline ? "suspends" : "does not suspend", at(r, i),
                    d->suspend_deadline ? "does not" : "does");
    return true;
}

/* The event of t that reached a state of kinds a or b, or -1. */
static long step_of(const tnd_tender_record *r, const track *t, int a, int b)
{
    for (long i = t->filed; i <= t->last; i++)
        if (r->events[i].decoded &&
            ((int)r->events[i].ev.kind == a || (int)r->events[i].ev.kind == b) &&
            strcmp(s(r->events[i].ev.object_id), t->id) == 0)
            return i;
    return -1;
}

/* Served complaint c against its events. */
static bool served_holds(walk *w, const tender_complaints_v1_Complaint *c)
{
    const tnd_tender_record *r = w->r;
    const track *t = track_of(w, c->id);
    if (!t) {
        char b[81];
        return fail(w, "the server serves complaint %s, which the log never filed",
                    shown(c->id, b));
    }
    uint8_t h[32];
    const tnd_bytes *logged = &r->events[t->last].ev.object_hash;
    if (strcmp(s(c->tender_id), r->tender_id) != 0 || tnd_complaint_hash(c, h) != 0 ||
        logged->len != 32 || memcmp(h, logged->data, 32) != 0)
        return fail(w, "complaint %s as served differs from what event %llu logged", c->id,
                    at(r, t->last));
    if ((int)c->state != t->state)
        return fail(w, "complaint %s is shown %s, but its events leave it %s (event %llu)", c->id,
                    tnd_complaint_state_name((int)c->state), tnd_complaint_state_name(t->state),
                    at(r, t->last));
    if (t->accepted < 0)
        return fail(w,
                    "the server serves complaint %s, which was never accepted: only accepted "
                    "complaints are public",
                    c->id);
    char note[160];
    if (tnd__vms(c->filed) != tnd__vms(r->events[t->filed].ev.time) ||
        !tnd_complaint_subject_note(c, note, sizeof note) ||
        strcmp(note, s(r->events[t->filed].ev.note)) != 0)
        return fail(w,
                    "complaint %s is not the one filed by event %llu (its time or subject "
                    "differs)",
                    c->id, at(r, t->filed));
    if (!review_holds(w, c, "acceptance", c->acceptance, t->accepted))
        return false;
    long decided = step_of(r, t, EV(COMPLAINT_SATISFIED), EV(COMPLAINT_REJECTED));
    if (decided >= 0)
        return review_holds(w, c, "decision", c->decision, decided);
    if (c->decision)
        return fail(w, "complaint %s shows a decision that no event logs", c->id);
    return true;
}

static bool served_match(walk *w, size_t *n_served)
{
    const tnd_tender_record *r = w->r;
    const tender_complaints_v1_ComplaintList *l = &r->complaints;
    *n_served = l->n_complaints;
    for (size_t i = 0; i < l->n_complaints; i++) {
        const tender_complaints_v1_Complaint *c = &l->complaints[i];
        if (!c->id)
            return fail(w, "the server serves a complaint without an id");
        for (size_t j = 0; j < i; j++)
            if (l->complaints[j].id && strcmp(l->complaints[j].id, c->id) == 0) {
                char b[81];
                return fail(w, "the server serves complaint %s twice", shown(c->id, b));
            }
        if (!served_holds(w, c))
            return false;
    }
    /* And the other way: what was accepted is public. */
    for (size_t k = 0; k < w->n; k++) {
        const track *t = &w->t[k];
        bool found = false;
        for (size_t i = 0; !found && i < l->n_complaints; i++)
            found = strcmp(s(l->complaints[i].id), t->id) == 0;
        if (t->accepted >= 0 && !found)
            return fail(w,
                        "the server does not serve accepted complaint %s (accepted by event "
                        "%llu)%s%s",
                        t->id, at(r, t->accepted), r->complaints_error[0] ? ": " : "",
                        r->complaints_error);
    }
    return true;
}

void tnd__vcheck_complaints(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    walk w = {.run = run, .r = r, .sp = {.from = -1, .ended = -1}};
    if (!(w.t = calloc(r->n_events ? r->n_events : 1, sizeof *w.t))) {
        tnd__vreport(run, CHECK, TND_CHECK_FAILED, "out of memory");
        return;
    }
    size_t n_served = 0;
    if (walk_events(&w) && served_match(&w, &n_served)) {
        if (w.n == 0 && n_served == 0)
            tnd__vreport(run, CHECK, TND_CHECK_OK, "no complaints");
        else
            tnd__vreport(run, CHECK, TND_CHECK_OK,
                         "%zu complaint(s) follow the transitions in the log; the %zu public "
                         "one(s) are as logged, their reviews signed; no award completed while "
                         "held; %zu suspension(s) of the deadline kept, %zu resumption(s) by the "
                         "rule",
                         w.n, n_served, w.n_suspensions, w.n_resumed);
    }
    free(w.t);
}
