/* The award check of a tender with lots (tender/verify.h): each lot's
 * latest decision (Awards/List) against the events that name it, the rules
 * (tnd_award_check with the lot) and the officer's signature; every other
 * decision in the log was cancelled (and, when served, as its last event
 * logged it); the lot events and the tender's end
 * against the lots' states as the server shows them. A tender without lots
 * is checked by tnd__vcheck_award (record_verify_open.c), as always. */
#include <stdio.h>
#include <string.h>

#include "record_verify.h"
#include "tender/award.h"

#define EV(name) tender_events_v1_EventKind_##name
#define AS(name) tender_awards_v1_AwardState_##name
#define LS(name) tender_tenders_v1_LotStatus_LOT_##name
#define TS(name) tender_tenders_v1_TenderStatus_##name
#define A_DESC (&tender_awards_v1_Award_desc)

static bool is_award_event(int kind)
{
    return kind == EV(AWARD_RECORDED) || kind == EV(AWARD_CANCELLED) || kind == EV(LOT_COMPLETED) ||
           kind == EV(LOT_UNSUCCESSFUL);
}

/* The state an award is in after an event of kind about it. */
static int state_after(int kind)
{
    switch (kind) {
    case EV(AWARD_RECORDED):
        return AS(STANDSTILL);
    case EV(AWARD_CANCELLED):
        return AS(CANCELLED);
    case EV(LOT_COMPLETED):
        return AS(FINAL);
    default:
        return AS(UNSUCCESSFUL);
    }
}

/* The lot state a lot's latest award leaves it in. */
static int lot_state_after(int award_state)
{
    switch (award_state) {
    case AS(STANDSTILL):
        return LS(AWARDED);
    case AS(FINAL):
        return LS(COMPLETE);
    case AS(UNSUCCESSFUL):
        return LS(UNSUCCESSFUL);
    default:
        return LS(ACTIVE);
    }
}

/* The last award event that names award id, or -1. */
static long last_event_of(const tnd_tender_record *r, const char *id)
{
    for (size_t i = r->n_events; i-- > 0;) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (r->events[i].decoded && is_award_event((int)ev->kind) && ev->object_id &&
            strcmp(ev->object_id, id) == 0)
            return (long)i;
    }
    return -1;
}

static const tender_awards_v1_Award *listed(const tnd_tender_record *r, const char *id)
{
    for (size_t i = 0; id && i < r->awards.n_awards; i++)
        if (r->awards.awards[i].id && strcmp(r->awards.awards[i].id, id) == 0)
            return &r->awards.awards[i];
    return NULL;
}

static const tender_tenders_v1_LotState *lot_state(const tnd_tender_record *r, const char *lot)
{
    for (size_t i = 0; i < r->current.n_lot_states; i++)
        if (r->current.lot_states[i].lot_id && strcmp(r->current.lot_states[i].lot_id, lot) == 0)
            return &r->current.lot_states[i];
    return NULL;
}

/* One listed award: the events that name it, the rules, the signature. */
static bool check_listed(tnd__vrun *run, const tender_awards_v1_Award *a,
                         const tender_tenders_v1_TenderFields *f)
{
    const tnd_tender_record *r = run->r;
    const tender_awards_v1_Decision *d = a->decision;
    long at = a->id ? last_event_of(r, a->id) : -1;
    if (at < 0 || !d) {
        tnd__vreport(run, "award", TND_CHECK_FAILED, "award %s is served but no event logs it",
                     a->id ? a->id : "?");
        return false;
    }
    const tender_events_v1_Event *ev = &r->events[at].ev;
    if (!tnd__vhash_is(A_DESC, a, &ev->object_hash) || !a->tender_id ||
        strcmp(a->tender_id, r->tender_id) != 0 || !d->tender_id ||
        strcmp(d->tender_id, r->tender_id) != 0) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s as the server shows it differs from what event %llu logged", a->id,
                     (unsigned long long)r->events[at].index);
        return false;
    }
    if ((int)a->state != state_after((int)ev->kind)) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s is in another state than its last event says", a->id);
        return false;
    }
    if (ev->kind == EV(LOT_COMPLETED) && tnd__vms(ev->time) < tnd__vms(a->standstill_end)) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "lot %s was completed before the standstill of award %s ended",
                     d->lot_id ? d->lot_id : "?", a->id);
        return false;
    }
    int status = 0;
    char why[400] = "";
    if (!r->has_opening || tnd_award_check(d, &r->opening, f, &status, why, sizeof why) != 0) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s does not follow from its lot's criterion and the opened bids: %s",
                     a->id, r->has_opening ? why : "there is no opening record");
        return false;
    }
    if (a->officer_key.len != 32 ||
        tnd_award_verify(d, a->signature.data, a->signature.len, a->officer_key.data) != 0) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "award %s is not signed by the officer key it names", a->id);
        return false;
    }
    return true;
}

/* Each lot's state as the server shows it agrees with its events. */
static bool check_lot_states(tnd__vrun *run, const tender_tenders_v1_TenderFields *f,
                             size_t *complete, size_t *settled)
{
    const tnd_tender_record *r = run->r;
    for (size_t i = 0; i < f->n_lots; i++) {
        const char *id = f->lots[i].id ? f->lots[i].id : "";
        const tender_tenders_v1_LotState *ls = lot_state(r, id);
        const tender_awards_v1_Award *a = NULL;
        for (size_t k = 0; k < r->awards.n_awards && !a; k++)
            if (r->awards.awards[k].decision && r->awards.awards[k].decision->lot_id &&
                strcmp(r->awards.awards[k].decision->lot_id, id) == 0)
                a = &r->awards.awards[k];
        long cancelled = tnd__vlast(r, EV(LOT_CANCELLED), id);
        int want = a ? lot_state_after((int)a->state) : LS(ACTIVE);
        /* Cancelled after its latest decision's last event. */
        if (cancelled >= 0 && (!a || last_event_of(r, a->id) < cancelled))
            want = LS(CANCELLED);
        if (!ls || (int)ls->status != want) {
            char got[32] = "none";
            if (ls)
                snprintf(got, sizeof got, "%d", (int)ls->status);
            tnd__vreport(run, "award", TND_CHECK_FAILED,
                         "lot %s is in state %s, but its events say %d (%s)", id, got, want,
                         a                ? a->id
                         : cancelled >= 0 ? "LOT_CANCELLED"
                                          : "no decision");
            return false;
        }
        *complete += want == LS(COMPLETE);
        *settled += want == LS(COMPLETE) || want == LS(CANCELLED) || want == LS(UNSUCCESSFUL);
    }
    return true;
}

void tnd__vcheck_award_lots(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    size_t n_events = 0;
    for (size_t i = 0; i < r->n_events; i++)
        n_events += r->events[i].decoded && (is_award_event((int)r->events[i].ev.kind) ||
                                             r->events[i].ev.kind == EV(LOT_CANCELLED));
    if (!n_events) {
        tnd__vreport(run, "award", TND_CHECK_SKIPPED, "no lot is decided or cancelled yet");
        return;
    }
    if (r->awards_error[0]) {
        tnd__vreport(run, "award", TND_CHECK_FAILED, "the lots' awards are not served: %s",
                     r->awards_error);
        return;
    }
    /* Each listed award is of a lot of the tender, one per lot. */
    for (size_t i = 0; i < r->awards.n_awards; i++) {
        const tender_awards_v1_Award *a = &r->awards.awards[i];
        const char *lot = a->decision && a->decision->lot_id ? a->decision->lot_id : "";
        bool known = false;
        for (size_t k = 0; k < f->n_lots && !known; k++)
            known = f->lots[k].id && strcmp(f->lots[k].id, lot) == 0;
        for (size_t k = 0; k < i && known; k++)
            known = !r->awards.awards[k].decision || !r->awards.awards[k].decision->lot_id ||
                    strcmp(r->awards.awards[k].decision->lot_id, lot) != 0;
        if (!known) {
            tnd__vreport(run, "award", TND_CHECK_FAILED,
                         "award %s names lot \"%s\", not one lot of the tender once",
                         a->id ? a->id : "?", lot);
            return;
        }
        if (!check_listed(run, a, f))
            return;
    }
    /* A lot gets a new decision only once its award is cancelled: every
     * decision the log names that is not its lot's latest was cancelled. */
    for (size_t i = 0; i < r->n_events; i++) {
        const tender_events_v1_Event *ev = &r->events[i].ev;
        if (!r->events[i].decoded || !is_award_event((int)ev->kind) || !ev->object_id ||
            listed(r, ev->object_id))
            continue;
        long last = last_event_of(r, ev->object_id);
        if (r->events[last].ev.kind != EV(AWARD_CANCELLED)) {
            tnd__vreport(run, "award", TND_CHECK_FAILED,
                         "award %s (event %llu) stands in the log but the server does not list "
                         "it as its lot's latest decision",
                         ev->object_id, (unsigned long long)r->events[i].index);
            return;
        }
    }
    /* The decisions served by id (Awards/GetById) as their last event
     * logged them. */
    for (size_t i = 0; i < r->n_earlier_awards; i++) {
        const tender_awards_v1_Award *a = &r->earlier_awards[i];
        long last = a->id ? last_event_of(r, a->id) : -1;
        if (last < 0 || !tnd__vhash_is(A_DESC, a, &r->events[last].ev.object_hash) ||
            (int)a->state != state_after((int)r->events[last].ev.kind)) {
            tnd__vreport(run, "award", TND_CHECK_FAILED,
                         "the earlier decision %s differs from what its last event logged",
                         a->id ? a->id : "?");
            return;
        }
    }
    size_t complete = 0, settled = 0;
    if (!check_lot_states(run, f, &complete, &settled))
        return;
    /* The tender ends when every lot is settled, and only then. */
    bool done = settled == f->n_lots;
    int want = !done ? -1 : complete ? TS(COMPLETE) : TS(UNSUCCESSFUL);
    long end =
        !done ? -1 : tnd__vlast(r, complete ? EV(TENDER_COMPLETED) : EV(TENDER_UNSUCCESSFUL), NULL);
    if (done && ((int)r->current.status != want || end < 0)) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "every lot is settled (%zu complete) but the tender is not %s with its event",
                     complete, complete ? "complete" : "unsuccessful");
        return;
    }
    if (!done && (r->current.status == TS(COMPLETE) || r->current.status == TS(UNSUCCESSFUL))) {
        tnd__vreport(run, "award", TND_CHECK_FAILED,
                     "the tender is over but %zu of its %zu lots are not settled",
                     f->n_lots - settled, f->n_lots);
        return;
    }
    tnd__vreport(run, "award", TND_CHECK_OK,
                 "%zu lot decision(s) follow from their lot's criterion and the opened bids and "
                 "match their events; the %zu lots' states match the lot events%s",
                 r->awards.n_awards, f->n_lots,
                 done ? (complete ? "; the tender is complete" : "; the tender is unsuccessful")
                      : "");
}
