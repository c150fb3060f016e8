/* What makes an opened bid valid for its tender (tender/bid.h,
 * docs/SEALED.md "When an opened bid is valid"): the one home of the rule,
 * applied by the server at the opening and again by auditors. */
#include <stdio.h>
#include <string.h>

#include "tender/bid.h"

tnd_bid_terms tnd_bid_terms_of(const tender_tenders_v1_Tender *t)
{
    tnd_bid_terms terms = {.version = t ? t->version : 0};
    /* A version made by a postponement or by the end of a complaint's
     * suspension moved only the deadline: bids answer the version it moved. */
    if (t && t->postponement && t->postponement->terms_version)
        terms.version = t->postponement->terms_version;
    else if (t && t->resumption && t->resumption->terms_version)
        terms.version = t->resumption->terms_version;
    const tender_tenders_v1_TenderFields *f = t ? t->fields : NULL;
    if (f && f->estimated_value && f->estimated_value->currency &&
        *f->estimated_value->currency)
        terms.value = f->estimated_value;
    /* The ceiling's switch also holds for the lots' values. */
    terms.price_above_value = f && f->price_above_value;
    terms.documents_key = f && f->committee && f->committee->documents_public_key.len == 32;
    if (f) {
        terms.lots = f->lots;
        terms.n_lots = f->n_lots;
    }
    if (t) {
        terms.lot_states = t->lot_states;
        terms.n_lot_states = t->n_lot_states;
    }
    return terms;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The lot of the version in force called id, or NULL. */
static const tender_tenders_v1_Lot *find_lot(const tnd_bid_terms *t, const char *id)
{
    for (size_t i = 0; i < t->n_lots; i++)
        if (same(t->lots[i].id, id))
            return &t->lots[i];
    return NULL;
}

static bool cancelled(const tnd_bid_terms *t, const char *id)
{
    for (size_t i = 0; i < t->n_lot_states; i++)
        if (same(t->lot_states[i].lot_id, id) &&
            t->lot_states[i].status == tender_tenders_v1_LotStatus_LOT_CANCELLED)
            return true;
    return false;
}

/* The bid as a whole on a tender with lots: prices per lot, none for the whole. */
static int check_lots_shape(const tender_bids_v1_BidContent *c, char *why, size_t why_len)
{
    const tender_common_v1_Money *p = c->price;
    const char *cur = p && p->currency ? p->currency : "";
    if (c->n_lot_prices == 0 && p)
        snprintf(why, why_len, "has one price (%lld %s) and no lot prices; the tender has lots: "
                 "a price for each lot it answers", (long long)p->minor_units, cur);
    else if (c->n_lot_prices == 0)
        snprintf(why, why_len, "prices no lot; the tender has lots: a price for each lot it "
                 "answers");
    else if (p)
        snprintf(why, why_len, "has a price (%lld %s) besides its lot prices; with lots the "
                 "price is left empty", (long long)p->minor_units, cur);
    else
        return 0;
    return TND_EINVAL;
}

int tnd_bid_check_terms(const tender_bids_v1_BidContent *c, const tnd_bid_terms *t, char *why,
                        size_t why_len)
{
    const tender_common_v1_Money *p = c->price, *v = t->value;
    const char *cur = p && p->currency && *p->currency ? p->currency : NULL;
    if (c->tender_version != t->version) {
        if (c->tender_version == 0)
            snprintf(why, why_len,
                     "does not say which version it answers; the tender was at version %u at "
                     "its deadline",
                     t->version);
        else
            snprintf(why, why_len, "answers version %u; the tender was at version %u at its "
                     "deadline", c->tender_version, t->version);
    } else if (t->n_lots) {
        return check_lots_shape(c, why, why_len);
    } else if (c->n_lot_prices) {
        snprintf(why, why_len, "prices %zu lot(s); the tender has no lots: one price for the "
                 "whole tender", c->n_lot_prices);
    } else if (!p) {
        snprintf(why, why_len, "no price");
    } else if (v && (!cur || strcmp(cur, v->currency) != 0)) {
        snprintf(why, why_len, "priced in %s; the tender is in %s", cur ? cur : "no currency",
                 v->currency);
    } else if (p->minor_units <= 0) {
        snprintf(why, why_len, "the price %lld %s is not above zero", (long long)p->minor_units,
                 cur ? cur : "");
    } else if (v && !t->price_above_value && p->minor_units > v->minor_units) {
        snprintf(why, why_len, "the price %lld %s is above the tender's value %lld %s",
                 (long long)p->minor_units, cur, (long long)v->minor_units, v->currency);
    } else {
        return 0;
    }
    return TND_EINVAL;
}

int tnd_bid_check_lot(const tender_bids_v1_BidContent *c, size_t i, const tnd_bid_terms *t,
                      char *why, size_t why_len)
{
    if (i >= c->n_lot_prices) {
        snprintf(why, why_len, "no lot price %zu", i);
        return TND_EINVAL;
    }
    const char *id = c->lot_prices[i].lot_id ? c->lot_prices[i].lot_id : "";
    const tender_common_v1_Money *p = c->lot_prices[i].price;
    const tender_tenders_v1_Lot *lot = find_lot(t, id);
    /* The tender's currency; the lot's value is in it (tenders/ rules). */
    const tender_common_v1_Money *v = t->value ? t->value : lot ? lot->value : NULL;
    const char *want = v && v->currency && *v->currency ? v->currency : NULL;
    const char *cur = p && p->currency && *p->currency ? p->currency : NULL;
    size_t times = 0;
    for (size_t j = 0; j < c->n_lot_prices; j++)
        times += strcmp(c->lot_prices[j].lot_id ? c->lot_prices[j].lot_id : "", id) == 0;
    if (!lot) {
        /* The id is the bidder's: printable ASCII only in the public failure. */
        char shown[65];
        size_t n = 0;
        for (; id[n] && n < sizeof shown - 1; n++)
            shown[n] = id[n] >= 0x20 && id[n] < 0x7f ? id[n] : '?';
        shown[n] = '\0';
        snprintf(why, why_len, "lot \"%s\" is not a lot of the tender's version %u", shown,
                 t->version);
    }
    else if (times > 1)
        snprintf(why, why_len, "the bid prices lot %s %zu times; each lot once", id, times);
    else if (cancelled(t, id))
        snprintf(why, why_len, "the lot was cancelled");
    else if (!p)
        snprintf(why, why_len, "no price for lot %s", id);
    else if (want && (!cur || strcmp(cur, want) != 0))
        snprintf(why, why_len, "priced in %s; the tender is in %s", cur ? cur : "no currency",
                 want);
    else if (p->minor_units <= 0)
        snprintf(why, why_len, "the price %lld %s is not above zero", (long long)p->minor_units,
                 cur ? cur : "");
    else if (lot->value && !t->price_above_value && p->minor_units > lot->value->minor_units)
        snprintf(why, why_len, "the price %lld %s is above lot %s's value %lld %s",
                 (long long)p->minor_units, cur ? cur : "", id,
                 (long long)lot->value->minor_units,
                 lot->value->currency ? lot->value->currency : "");
    else
        return 0;
    return TND_EINVAL;
}
