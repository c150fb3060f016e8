/* The award part of the OCDS releases (ocds.h). Each decision the log
 * names (AWARD_RECORDED, TENDER_UNSUCCESSFUL) is read once (by the
 * caller's function: Awards/GetById in tenderctl, the store in tenderd);
 * what it was at a given event follows from the events:
 *
 *   recorded, standstill running       -> "pending"
 *   AWARD_CANCELLED for it             -> "cancelled" (the reason in the description)
 *   TENDER_COMPLETED for it            -> "active"
 *   LOT_COMPLETED for it (with lots)   -> "active"
 *   an unsuccessful decision           -> "unsuccessful" (no value, no supplier)
 *
 * An award names the winning bid (relatedBid, bids extension), its price as
 * opened (value), its supplier from the opening record (suppliers, and a
 * party with role "supplier"), the decision's date and its rationale
 * (description). With lots (ocds_lots.c) an award relates to its decision's
 * lot (relatedLots) and its relatedBid is the winner's bid detail for that
 * lot; decisions are named by AWARD_RECORDED and LOT_UNSUCCESSFUL (the
 * tender's TENDER_COMPLETED and TENDER_UNSUCCESSFUL name no award then). */
#include <stdlib.h>
#include <string.h>

#include "ocds_internal.h"
#include "tender/cancel.h"

#define EV(name) tender_events_v1_EventKind_##name

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool have_award(const tnd_ocds_tender *td, const char *id)
{
    for (size_t i = 0; i < td->n_awards; i++)
        if (same(td->awards[i].id, id))
            return true;
    return false;
}

/* Does event e name a decision? */
static bool names_award(const tender_events_v1_Event *e, bool lots)
{
    if (e->kind == EV(AWARD_RECORDED))
        return true;
    return lots ? e->kind == EV(LOT_UNSUCCESSFUL) : e->kind == EV(TENDER_UNSUCCESSFUL);
}

int tnd_ocds_fill_awards(tnd_ocds_tender *td, tnd_ocds_award_get get, void *ctx)
{
    bool lots = ocds_has_lots(td);
    for (size_t i = 0; i < td->n_events; i++) {
        const tender_events_v1_Event *e = &td->events[i];
        if (!names_award(e, lots) || !e->object_id || !*e->object_id ||
            have_award(td, e->object_id))
            continue;
        tender_awards_v1_Award *na = realloc(td->awards, (td->n_awards + 1) * sizeof *na);
        if (!na)
            return -1;
        td->awards = na;
        int rc = get(ctx, e->object_id, &td->awards[td->n_awards]);
        if (rc != 0)
            return rc;
        td->n_awards++;
    }
    return 0;
}

void ocds_award_criteria(json_t *o, tender_tenders_v1_AwardCriteria kind,
                         const tender_tenders_v1_AwardCriterion *criteria, size_t n_criteria)
{
    if (kind != tender_tenders_v1_AwardCriteria_WEIGHTED) {
        ocds_set_str(o, "awardCriteria", "priceOnly");
        return;
    }
    ocds_set_str(o, "awardCriteria", "ratedCriteria");
    /* "Weighted criteria, 0..100 points each: price 60%, quality 40%" */
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "Weighted criteria, 0..100 points each:");
    for (size_t i = 0; i < n_criteria && n < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s %s %u%%", i ? "," : "",
                              criteria[i].name ? criteria[i].name : "-", criteria[i].weight);
    ocds_set_str(o, "awardCriteriaDetails", text);
}

/* The award's status at event seq and, when cancelled by then, the reason. */
static const char *status_at(const tnd_ocds_tender *td, const tender_awards_v1_Award *a,
                             uint64_t seq, const char **reason)
{
    const char *st = "pending";
    *reason = NULL;
    if (a->decision && a->decision->unsuccessful)
        return "unsuccessful";
    for (size_t i = 0; i < td->n_events && td->events[i].seq <= seq; i++) {
        const tender_events_v1_Event *e = &td->events[i];
        if (!same(e->object_id, a->id))
            continue;
        if (e->kind == EV(AWARD_CANCELLED)) {
            st = "cancelled";
            *reason = e->note;
        } else if (e->kind == EV(TENDER_COMPLETED) || e->kind == EV(LOT_COMPLETED)) {
            st = "active";
        }
    }
    return st;
}

/* Was a recorded at or before event seq? */
static bool recorded_by(const tnd_ocds_tender *td, const tender_awards_v1_Award *a, uint64_t seq)
{
    for (size_t i = 0; i < td->n_events && td->events[i].seq <= seq; i++)
        if (same(td->events[i].object_id, a->id) &&
            (td->events[i].kind == EV(AWARD_RECORDED) ||
             td->events[i].kind == EV(TENDER_UNSUCCESSFUL) ||
             td->events[i].kind == EV(LOT_UNSUCCESSFUL)))
            return true;
    return false;
}

/* The winner's supplier organisation, from the opening record. */
static const char *supplier_of(const tnd_ocds_tender *td, const char *bid)
{
    for (size_t i = 0; td->have_opening && i < td->opening.n_bids; i++)
        if (same(td->opening.bids[i].bid_id, bid))
            return td->opening.bids[i].supplier_org;
    return NULL;
}

static json_t *award_json(const tnd_ocds_tender *td, const tender_awards_v1_Award *a, uint64_t seq,
                          json_t *parties)
{
    const tender_awards_v1_Decision *d = a->decision;
    const char *reason, *status = status_at(td, a, seq, &reason);
    json_t *o = json_object();
    ocds_set_str(o, "id", a->id);
    ocds_set_str(o, "status", status);
    ocds_set_time(o, "date", a->recorded);
    if (!d)
        return o;
    if (d->lot_id && *d->lot_id) {
        json_t *rl = json_array();
        json_array_append_new(rl, json_string(d->lot_id));
        json_object_set_new(o, "relatedLots", rl);
    }
    if (reason && *reason) {
        char *text = NULL;
        /* The code's text before the reason; none for an award cancelled
         * before the codelist, as it was exported then. */
        int ok =
            tnd_cancel_code_valid(a->cancel_code)
                ? asprintf(&text, "%s\nCancelled (%s): %s", d->rationale ? d->rationale : "",
                           tnd_cancel_code_text(a->cancel_code), reason)
                : asprintf(&text, "%s\nCancelled: %s", d->rationale ? d->rationale : "", reason);
        if (ok >= 0)
            ocds_set_str(o, "description", text);
        free(text);
    } else {
        ocds_set_str(o, "description", d->rationale);
    }
    if (d->unsuccessful || !d->winner || !*d->winner)
        return o;
    for (size_t i = 0; i < d->n_evaluations; i++)
        if (same(d->evaluations[i].bid_id, d->winner) && d->evaluations[i].price)
            json_object_set_new(o, "value", ocds_money(d->evaluations[i].price));
    const char *org = supplier_of(td, d->winner);
    if (org && *org) {
        json_t *s = json_array();
        json_array_append_new(s, ocds_org_ref(org));
        json_object_set_new(o, "suppliers", s);
        /* A cancelled award's supplier was never awarded the contract. */
        if (strcmp(status, "cancelled") != 0)
            ocds_party_role(parties, org, "supplier");
    }
    if (d->lot_id && *d->lot_id) {
        char bid[160];
        ocds_lot_bid_id(bid, sizeof bid, d->winner, d->lot_id);
        ocds_set_str(o, "relatedBid", bid);
    } else {
        ocds_set_str(o, "relatedBid", d->winner);
    }
    return o;
}

json_t *ocds_awards(const tnd_ocds_tender *td, const tender_events_v1_Event *ev, json_t *parties)
{
    json_t *list = NULL;
    for (size_t i = 0; i < td->n_awards; i++) {
        if (!recorded_by(td, &td->awards[i], ev->seq))
            continue;
        if (!list)
            list = json_array();
        json_array_append_new(list, award_json(td, &td->awards[i], ev->seq, parties));
    }
    return list;
}
