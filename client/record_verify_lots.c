/* The check of a tender's lots (docs/LOTS.md): the lot states the server
 * shows against the lots of the latest published version and the
 * LOT_CANCELLED events of the log (tender/verify.h). The states awards move
 * (awarded, complete, unsuccessful) are the award check's. */
#include <stdio.h>
#include <string.h>

#include "record_verify.h"
#include "tender/lots.h"

#define EV(name) tender_events_v1_EventKind_##name
#define LOT(name) tender_tenders_v1_LotStatus_LOT_##name

static const char *s(const char *p)
{
    return p ? p : "";
}

/* The fields of published version v (from 1), or NULL. */
static const tender_tenders_v1_TenderFields *fields_of(const tnd_tender_record *r, uint32_t v)
{
    return v >= 1 && v <= r->n_versions ? r->versions[v - 1].fields : NULL;
}

void tnd__vcheck_lots(tnd__vrun *run)
{
    const tnd_tender_record *r = run->r;
    const tender_tenders_v1_Tender *cur = &r->current;
    const tender_tenders_v1_TenderFields *f = tnd__vfields(r);
    size_t n_lots = f ? f->n_lots : 0, n_cancelled = 0;
    if (!f) {
        tnd__vreport(run, "lots", TND_CHECK_SKIPPED, "no published version to check");
        return;
    }
    /* One state per lot of the version in force, in the lots' order. */
    if (cur->n_lot_states != n_lots) {
        tnd__vreport(run, "lots", TND_CHECK_FAILED,
                     "the tender shows %zu lot states for the %zu lots of version %zu",
                     cur->n_lot_states, n_lots, r->n_versions);
        return;
    }
    for (size_t i = 0; i < n_lots; i++)
        if (strcmp(s(cur->lot_states[i].lot_id), s(f->lots[i].id)) != 0) {
            tnd__vreport(run, "lots", TND_CHECK_FAILED,
                         "lot state %zu is for lot \"%s\", but lot %zu is %s", i,
                         s(cur->lot_states[i].lot_id), i, s(f->lots[i].id));
            return;
        }
    /* Each LOT_CANCELLED names a lot of the version it was made in, once,
     * and that lot now shows it cancelled with the logged reason. */
    for (size_t e = 0; e < r->n_events; e++) {
        const tender_events_v1_Event *ev = &r->events[e].ev;
        if (!r->events[e].decoded || ev->kind != EV(LOT_CANCELLED))
            continue;
        const char *lot = s(ev->object_id);
        unsigned long long at = (unsigned long long)r->events[e].index;
        if (tnd_lot_find(fields_of(r, ev->tender_version), lot) < 0) {
            tnd__vreport(run, "lots", TND_CHECK_FAILED,
                         "event %llu cancels lot \"%s\", which version %u does not have", at, lot,
                         ev->tender_version);
            return;
        }
        if (tnd__vlast(r, EV(LOT_CANCELLED), lot) != (long)e) {
            tnd__vreport(run, "lots", TND_CHECK_FAILED, "lot %s is cancelled twice in the log",
                         lot);
            return;
        }
        int i = tnd_lot_find(f, lot);
        const tender_tenders_v1_LotState *st = i >= 0 ? &cur->lot_states[i] : NULL;
        if (!st || st->status != LOT(CANCELLED) || strcmp(s(st->cancel_reason), s(ev->note)) != 0) {
            tnd__vreport(run, "lots", TND_CHECK_FAILED,
                         "event %llu cancels lot %s (\"%s\"), but the tender shows it %s", at, lot,
                         s(ev->note),
                         !st                            ? "no longer"
                         : st->status != LOT(CANCELLED) ? "not cancelled"
                                                        : "cancelled for another reason");
            return;
        }
        n_cancelled++;
    }
    for (size_t i = 0; i < n_lots; i++)
        if (cur->lot_states[i].status == LOT(CANCELLED) &&
            tnd__vlast(r, EV(LOT_CANCELLED), s(f->lots[i].id)) < 0) {
            tnd__vreport(run, "lots", TND_CHECK_FAILED,
                         "lot %s shows cancelled, but no lot_cancelled event logs it",
                         s(f->lots[i].id));
            return;
        }
    if (n_lots == 0)
        tnd__vreport(run, "lots", TND_CHECK_OK, "no lots: one implicit lot");
    else
        tnd__vreport(run, "lots", TND_CHECK_OK,
                     "%zu lots, a state for each; %zu cancelled, each by its lot_cancelled event",
                     n_lots, n_cancelled);
}
