/* The lots and items part of the OCDS releases (ocds.h), with the OCDS lots
 * extension (tender.lots, items' relatedLot, bids' and awards' relatedLots)
 * and the location extension (an item's deliveryLocation). A tender without
 * lots and items is exported without any of it, as before they existed.
 *
 *   tender.items[]   one per item: id, description, classification (CPV),
 *                    quantity (a number), unit {scheme "UNCEFACT", id,
 *                    name (tnd_unit_name)},
 *                    deliveryLocation {description}, relatedLot
 *   tender.lots[]    one per lot of the version in force: id, title,
 *                    description, value, awardCriteria (and details, for
 *                    weighted criteria: the extension lets a lot override
 *                    the tender's properties), status at the release:
 *                      active        until a result
 *                      cancelled     LOT_CANCELLED, or the tender cancelled
 *                      complete      LOT_COMPLETED (its award final)
 *                      unsuccessful  LOT_UNSUCCESSFUL
 *   bids.details[]   one per (bid, lot answered), id "<bid>/<lot>",
 *                    relatedLots [lot], value the bid's price for that lot;
 *                    a bid the opening found no lot in: one, id "<bid>",
 *                    disqualified; a price for a lot the version in force
 *                    does not have: disqualified, without relatedLots (it
 *                    would name no lot of the release); a lot priced twice
 *                    (invalid at the opening): one detail, disqualified
 *   bids.statistics  bids, validBids, disqualifiedBids for the tender
 *                    (a bid is valid when valid for at least one lot), then
 *                    the same three per lot (relatedLot)
 *   awards[]         relatedLots [the decision's lot], relatedBid the
 *                    winner's bid detail for that lot
 *
 * Why one bid detail per lot: the bids extension's Bid.value is one value
 * ("the total value of the bid") and the lots extension only adds
 * Bid.relatedLots, so a price per lot is said by a Bid per lot, each
 * related to its one lot (as OCDS for eForms maps each lot tender). Lot ids
 * are [A-Za-z0-9._-], so "<bid>/<lot>" never names two (bid, lot) pairs.
 *
 * Not exported: an item's delivery period (no field in OCDS 1.1 for it),
 * a lot's cancellation reason (the lots extension's Lot has no field for
 * it; it is in the log's LOT_CANCELLED event). */
#include <stdlib.h>
#include <string.h>

#include "ocds_internal.h"
#include "tender/lots.h"

#define EV(name) tender_events_v1_EventKind_##name

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool ocds_has_lots(const tnd_ocds_tender *td)
{
    const tender_tenders_v1_Tender *t = td->n_versions ? &td->versions[td->n_versions - 1] : NULL;
    return t && t->fields && t->fields->n_lots > 0;
}

void ocds_lot_bid_id(char *buf, size_t len, const char *bid, const char *lot)
{
    snprintf(buf, len, "%s/%s", bid ? bid : "", lot ? lot : "");
}

/* An item's quantity, a decimal text ("12", "12.5"), as a JSON number:
 * an integer when whole (and within 18 digits), else the nearest double;
 * NULL when it is not a quantity (the tender rules refuse such). */
static json_t *quantity_json(const char *q)
{
    if (!tnd_quantity_valid(q))
        return NULL;
    size_t whole = strcspn(q, ".");
    bool integral =
        strspn(q + whole + (q[whole] == '.'), "0") == strlen(q + whole + (q[whole] == '.'));
    if (integral && whole <= 18)
        return json_integer((json_int_t)strtoll(q, NULL, 10));
    return json_real(strtod(q, NULL));
}

static json_t *item_json(const tender_tenders_v1_Item *it)
{
    json_t *o = json_object();
    ocds_set_str(o, "id", it->id);
    ocds_set_str(o, "description", it->description);
    const tender_tenders_v1_Classification *c = it->classification;
    if (c && c->code && *c->code) {
        json_t *cl = json_object();
        ocds_set_str(cl, "scheme", c->scheme && *c->scheme ? c->scheme : "CPV");
        ocds_set_str(cl, "id", c->code);
        ocds_set_str(cl, "description", c->description);
        json_object_set_new(o, "classification", cl);
    }
    json_t *q = quantity_json(it->quantity);
    if (q)
        json_object_set_new(o, "quantity", q);
    if (it->unit && *it->unit) {
        json_t *u = json_object();
        ocds_set_str(u, "scheme", "UNCEFACT");
        ocds_set_str(u, "id", it->unit);
        ocds_set_str(u, "name", tnd_unit_name(it->unit));
        json_object_set_new(o, "unit", u);
    }
    if (it->delivery_place && *it->delivery_place) {
        json_t *l = json_object();
        ocds_set_str(l, "description", it->delivery_place);
        json_object_set_new(o, "deliveryLocation", l);
    }
    ocds_set_str(o, "relatedLot", it->lot_id);
    return o;
}

json_t *ocds_items(const tender_tenders_v1_TenderFields *f)
{
    json_t *a = json_array();
    for (size_t i = 0; i < f->n_items; i++)
        json_array_append_new(a, item_json(&f->items[i]));
    return a;
}

/* The lot an award decided ("" when none). */
static const char *award_lot(const tnd_ocds_tender *td, const char *award_id)
{
    for (size_t i = 0; i < td->n_awards; i++)
        if (same(td->awards[i].id, award_id) && td->awards[i].decision)
            return td->awards[i].decision->lot_id;
    return NULL;
}

/* Does event e, about a lot or an award of one, concern lot? */
static bool about_lot(const tnd_ocds_tender *td, const tender_events_v1_Event *e, const char *lot)
{
    return same(e->object_id, lot) || same(award_lot(td, e->object_id), lot);
}

/* The lot's OCDS status as it stood at event ev. */
static const char *lot_status(const tnd_ocds_tender *td, const char *lot,
                              const tender_events_v1_Event *ev)
{
    const char *st = "active";
    for (size_t i = 0; i < td->n_events && td->events[i].seq <= ev->seq; i++) {
        const tender_events_v1_Event *e = &td->events[i];
        if (e->kind == EV(TENDER_CANCELLED) && strcmp(st, "active") == 0)
            st = "cancelled";
        else if (e->kind == EV(LOT_CANCELLED) && about_lot(td, e, lot))
            st = "cancelled";
        else if (e->kind == EV(LOT_COMPLETED) && about_lot(td, e, lot))
            st = "complete";
        else if (e->kind == EV(LOT_UNSUCCESSFUL) && about_lot(td, e, lot))
            st = "unsuccessful";
    }
    return st;
}

void ocds_lots(const tnd_ocds_tender *td, const tender_tenders_v1_Tender *t,
               const tender_events_v1_Event *ev, json_t *tender)
{
    const tender_tenders_v1_TenderFields *f = t->fields;
    json_t *lots = json_array();
    const char *common = NULL; /* the lots' award criteria, when they agree */
    bool mixed = false;
    for (size_t i = 0; i < f->n_lots; i++) {
        const tender_tenders_v1_Lot *l = &f->lots[i];
        json_t *o = json_object();
        ocds_set_str(o, "id", l->id);
        ocds_set_str(o, "title", l->title);
        ocds_set_str(o, "description", l->description);
        ocds_set_str(o, "status", lot_status(td, l->id, ev));
        if (l->value)
            json_object_set_new(o, "value", ocds_money(l->value));
        ocds_award_criteria(o, l->award_criteria, l->criteria, l->n_criteria);
        const char *c = json_string_value(json_object_get(o, "awardCriteria"));
        mixed |= common && !same(common, c);
        common = c;
        json_array_append_new(lots, o);
    }
    /* The tender's own criteria are unset with lots: say the lots' when
     * they agree, nothing otherwise. */
    json_object_del(tender, "awardCriteriaDetails");
    if (mixed || !common)
        json_object_del(tender, "awardCriteria");
    else
        json_object_set_new(tender, "awardCriteria", json_string(common));
    json_object_set_new(tender, "lots", lots);
}

/* One bid detail: valid ones name their tenderer (and make it a party) and
 * their price. */
static json_t *bid_detail(const tender_bids_v1_OpenedBid *o, const char *id, bool valid,
                          const char *lot, const tender_common_v1_Money *price, json_t *parties,
                          json_t *tenderers)
{
    json_t *b = json_object();
    ocds_set_str(b, "id", id);
    ocds_set_time(b, "date", o->received);
    json_object_set_new(b, "status", json_string(valid ? "valid" : "disqualified"));
    if (valid) {
        ocds_tenderer(parties, tenderers, b, o->supplier_org);
        if (price)
            json_object_set_new(b, "value", ocds_money(price));
    }
    if (lot) {
        json_t *rl = json_array();
        json_array_append_new(rl, json_string(lot));
        json_object_set_new(b, "relatedLots", rl);
    }
    return b;
}

static void add_stats(json_t *stats, const tender_common_v1_Timestamp *date, const char *lot,
                      const size_t value[3])
{
    static const char *const measure[] = {"bids", "validBids", "disqualifiedBids"};
    char id[32];
    for (int i = 0; i < 3; i++) {
        json_t *s = json_object();
        snprintf(id, sizeof id, "%zu", json_array_size(stats) + 1);
        ocds_set_str(s, "id", id);
        ocds_set_str(s, "measure", measure[i]);
        ocds_set_time(s, "date", date);
        json_object_set_new(s, "value", json_integer((json_int_t)value[i]));
        ocds_set_str(s, "relatedLot", lot);
        json_array_append_new(stats, s);
    }
}

/* The version's lots by id, for lookups in O(log n). */
typedef struct lot_ix {
    const char *id;
    size_t index; /* in the version's lots */
} lot_ix;

static int lot_ix_cmp(const void *a, const void *b)
{
    return strcmp(((const lot_ix *)a)->id, ((const lot_ix *)b)->id);
}

/* The index of lot among the version's lots, or -1. */
static long lot_index(const lot_ix *ix, size_t n, const char *lot)
{
    lot_ix key = {.id = lot ? lot : ""};
    const lot_ix *f = n ? bsearch(&key, ix, n, sizeof *ix, lot_ix_cmp) : NULL;
    return f ? (long)f->index : -1;
}

/* Did a line of o before line k price the same lot? */
static bool priced_before(const tender_bids_v1_OpenedBid *o, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (same(o->lots[j].lot_id, o->lots[k].lot_id) ||
            (!o->lots[j].lot_id && !o->lots[k].lot_id))
            return true;
    return false;
}

enum { LINE_SEEN = 1, LINE_BAD = 2, LINE_DONE = 4 };

/* Bid o's details, one per lot it priced (a lot priced twice, which the
 * opening finds invalid, is one detail); counts o's lots in cnt (bids,
 * valid, disqualified per lot of the version); whether o is valid for one
 * lot at least. mark is zero for every lot on entry and on return. */
static bool bid_lots(const tender_bids_v1_OpenedBid *o, const lot_ix *ix, size_t n_lots,
                     unsigned char *mark, size_t (*cnt)[3], json_t *details, json_t *parties,
                     json_t *tenderers)
{
    char id[160];
    bool any = false;
    for (size_t k = 0; k < o->n_lots; k++) {
        long x = lot_index(ix, n_lots, o->lots[k].lot_id);
        if (x >= 0)
            mark[x] |= LINE_SEEN | (o->lots[k].valid ? 0 : LINE_BAD);
    }
    for (size_t k = 0; k < o->n_lots; k++) {
        const tender_bids_v1_OpenedLot *l = &o->lots[k];
        long x = lot_index(ix, n_lots, l->lot_id);
        bool ok = false;
        if (x >= 0 ? (mark[x] & LINE_DONE) != 0 : priced_before(o, k))
            continue;
        if (x >= 0) {
            mark[x] |= LINE_DONE;
            ok = o->valid && !(mark[x] & LINE_BAD);
            cnt[x][0]++;
            cnt[x][ok ? 1 : 2]++;
        }
        any |= ok;
        ocds_lot_bid_id(id, sizeof id, o->bid_id, l->lot_id);
        json_array_append_new(details, bid_detail(o, id, ok, x >= 0 ? l->lot_id : NULL, l->price,
                                                  parties, tenderers));
    }
    for (size_t k = 0; k < o->n_lots; k++) {
        long x = lot_index(ix, n_lots, o->lots[k].lot_id);
        if (x >= 0)
            mark[x] = 0;
    }
    return any;
}

json_t *ocds_lot_bids(const tnd_ocds_tender *td, const tender_tenders_v1_Tender *t, json_t *parties,
                      json_t *tenderers)
{
    const tender_bids_v1_OpeningRecord *op = &td->opening;
    size_t n_lots = t->fields ? t->fields->n_lots : 0, valid = 0;
    lot_ix *ix = calloc(n_lots + 1, sizeof *ix);
    unsigned char *mark = calloc(n_lots + 1, 1);
    size_t(*cnt)[3] = calloc(n_lots + 1, sizeof *cnt);
    json_t *bids = json_object(), *details = json_array(), *stats = json_array();
    if (!ix || !mark || !cnt || !bids || !details || !stats) {
        json_decref(bids);
        json_decref(details);
        json_decref(stats);
        bids = NULL;
        goto out;
    }
    for (size_t i = 0; i < n_lots; i++)
        ix[i] = (lot_ix){.id = t->fields->lots[i].id ? t->fields->lots[i].id : "", .index = i};
    qsort(ix, n_lots, sizeof *ix, lot_ix_cmp);
    for (size_t i = 0; i < op->n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &op->bids[i];
        if (!o->n_lots)
            json_array_append_new(details,
                                  bid_detail(o, o->bid_id, false, NULL, NULL, parties, tenderers));
        else
            valid += bid_lots(o, ix, n_lots, mark, cnt, details, parties, tenderers);
    }
    size_t all[3] = {op->n_bids, valid, op->n_bids - valid};
    add_stats(stats, op->opened, NULL, all);
    for (size_t i = 0; i < n_lots; i++)
        add_stats(stats, op->opened, t->fields->lots[i].id, cnt[i]);
    json_object_set_new(bids, "statistics", stats);
    json_object_set_new(bids, "details", details);
out:
    free(ix);
    free(mark);
    free(cnt);
    return bids;
}

void ocds_uses(const json_t *releases, bool *lots, bool *location)
{
    size_t i, k;
    json_t *r, *it;
    *lots = *location = false;
    json_array_foreach(releases, i, r)
    {
        json_t *tender = json_object_get(r, "tender");
        *lots |= json_array_size(json_object_get(tender, "lots")) > 0;
        json_array_foreach(json_object_get(tender, "items"), k, it)
        {
            *location |= json_object_get(it, "deliveryLocation") != NULL;
        }
    }
}
