/* What makes an opened bid valid for its tender (tender/bid.h,
 * docs/SEALED.md "When an opened bid is valid"): the one home of the rule,
 * applied by the server at the opening and again by auditors. */
#include <stdio.h>
#include <string.h>

#include "tender/bid.h"

tnd_bid_terms tnd_bid_terms_of(const tender_tenders_v1_Tender *t)
{
    tnd_bid_terms terms = {.version = t ? t->version : 0};
    /* A version made by a postponement moved only the deadline: bids answer
     * the version it postponed. */
    if (t && t->postponement && t->postponement->terms_version)
        terms.version = t->postponement->terms_version;
    const tender_tenders_v1_TenderFields *f = t ? t->fields : NULL;
    if (f && f->estimated_value && f->estimated_value->currency &&
        *f->estimated_value->currency) {
        terms.value = f->estimated_value;
        terms.price_above_value = f->price_above_value;
    }
    terms.documents_key = f && f->committee && f->committee->documents_public_key.len == 32;
    return terms;
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
