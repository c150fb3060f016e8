/* The rules an award decision must follow, checked against the opening
 * record and the tender's published fields, and the officer's signature
 * over the decision (tender/award.h). tenderd and auditors run the same
 * code. */
#include "tender/award.h"
#include "ed25519.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/codec.h"
#include "tender/status.h"

/* Set the status and the message; the decision is refused. */
#define BAD(code, ...) (c->status = (code), snprintf(c->msg, c->len, __VA_ARGS__), TND_EINVAL)
#define ARG TND_STATUS_INVALID_ARGUMENT
#define PRE TND_STATUS_FAILED_PRECONDITION

typedef tender_awards_v1_BidEvaluation evaluation;

/* One check in progress: the inputs, what each opened bid's evaluation is
 * (seen[i] for record bid i) and where the refusal goes. */
typedef struct check {
    const tender_awards_v1_Decision *d;
    const tender_bids_v1_OpeningRecord *rec;
    const tender_tenders_v1_TenderFields *pub; /* with lots: the lot's criteria in place */
    const char *tender;
    const char *lot;                      /* the lot decided; NULL without lots */
    const tender_bids_v1_OpenedLot **ans; /* with lots: record bid i's line for the lot */
    const evaluation **seen;
    int status;
    char *msg;
    size_t len;
} check;

static const char *str(const char *s)
{
    return s ? s : "";
}

static const char *cur(const tender_common_v1_Money *m)
{
    return m ? str(m->currency) : "";
}

static bool same_money(const tender_common_v1_Money *a, const tender_common_v1_Money *b)
{
    return a && b && a->minor_units == b->minor_units && strcmp(cur(a), cur(b)) == 0;
}

/* The opening record lists bids in bid id order (the BIDS key order). */
static long find_bid(const tender_bids_v1_OpeningRecord *rec, const char *id)
{
    size_t lo = 0, hi = rec->n_bids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(str(rec->bids[mid].bid_id), id);
        if (cmp == 0)
            return (long)mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Not sorted after all (a record from elsewhere): look at every bid. */
    for (size_t i = 0; i < rec->n_bids; i++)
        if (strcmp(str(rec->bids[i].bid_id), id) == 0)
            return (long)i;
    return -1;
}

/* Whether record bid k takes part in this decision: every opened bid
 * without lots, those that answered the lot with lots. */
static bool in_decision(const check *c, size_t k)
{
    return !c->lot || c->ans[k];
}

/* Record bid k as the opening found it for this decision: valid, why not,
 * its price (the lot's line with lots). */
static bool opened_valid(const check *c, size_t k)
{
    const tender_bids_v1_OpenedBid *o = &c->rec->bids[k];
    return o->valid && (!c->lot || c->ans[k]->valid);
}

static const char *opened_failure(const check *c, size_t k)
{
    const tender_bids_v1_OpenedBid *o = &c->rec->bids[k];
    const char *f = !o->valid || !c->lot ? o->failure : c->ans[k]->failure;
    return f && *f ? f : "no detail";
}

static const tender_common_v1_Money *opened_price(const check *c, size_t k)
{
    return c->lot ? c->ans[k]->price : c->rec->bids[k].price;
}

/* Each evaluation: an opened bid, once; valid ones with the opened price,
 * disqualified ones with a reason. */
static int check_evaluations(check *c)
{
    const tender_awards_v1_Decision *d = c->d;
    for (size_t i = 0; i < d->n_evaluations; i++) {
        const evaluation *e = &d->evaluations[i];
        if (!e->bid_id || !*e->bid_id)
            return BAD(ARG, "evaluations[%zu].bid_id: required", i);
        long k = find_bid(c->rec, e->bid_id);
        if (k < 0)
            return BAD(PRE,
                       "bid %s was not opened in tender %s: only the %zu bids of the "
                       "opening record can be evaluated",
                       e->bid_id, c->tender, c->rec->n_bids);
        if (!in_decision(c, (size_t)k))
            return BAD(PRE,
                       "bid %s did not answer lot %s: evaluate only the bids with a price for "
                       "the lot",
                       e->bid_id, c->lot);
        if (c->seen[k])
            return BAD(ARG, "bid %s is evaluated twice", e->bid_id);
        c->seen[k] = e;
        const tender_common_v1_Money *op = opened_price(c, (size_t)k);
        if (e->score)
            return BAD(ARG,
                       "bid %s: score is not used; a weighted award gives points per "
                       "criterion in scores",
                       e->bid_id);
        if (e->n_scores && (!e->valid || d->criterion != tender_awards_v1_Criterion_WEIGHTED))
            return BAD(ARG, "bid %s: only the valid bids of a weighted award are scored",
                       e->bid_id);
        if (!e->valid) {
            if (!e->reason || !*e->reason)
                return BAD(ARG, "bid %s: a disqualified bid needs a reason", e->bid_id);
            continue;
        }
        if (!opened_valid(c, (size_t)k)) {
            if (c->lot)
                return BAD(PRE,
                           "bid %s is not valid for lot %s at the opening (%s); it cannot be "
                           "valid: disqualify it with a reason",
                           e->bid_id, c->lot, opened_failure(c, (size_t)k));
            return BAD(PRE,
                       "bid %s is not valid at the opening (%s); it cannot be valid: disqualify "
                       "it with a reason",
                       e->bid_id, opened_failure(c, (size_t)k));
        }
        if (!e->price)
            return BAD(ARG, "bid %s: a valid bid needs its price as opened", e->bid_id);
        if (!same_money(e->price, op))
            return BAD(PRE, "bid %s: the price %lld %s differs from the opening record's %lld %s",
                       e->bid_id, (long long)e->price->minor_units, cur(e->price),
                       op ? (long long)op->minor_units : 0LL, cur(op));
    }
    for (size_t k = 0; k < c->rec->n_bids; k++) {
        if (c->seen[k] || !in_decision(c, k))
            continue;
        if (c->lot)
            return BAD(PRE,
                       "the decision skips bid %s, opened for lot %s: every bid that answered "
                       "the lot must be evaluated (valid, or disqualified with a reason)",
                       str(c->rec->bids[k].bid_id), c->lot);
        return BAD(PRE,
                   "the decision skips opened bid %s: every opened bid must be "
                   "evaluated (valid, or disqualified with a reason)",
                   str(c->rec->bids[k].bid_id));
    }
    return 0;
}

/* A lowest-price award goes to the lowest valid price (ties allowed). */
static int check_lowest(check *c, const evaluation *w)
{
    for (size_t i = 0; i < c->d->n_evaluations; i++) {
        const evaluation *e = &c->d->evaluations[i];
        if (!e->valid || e == w)
            continue;
        if (strcmp(cur(e->price), cur(w->price)) != 0)
            return BAD(PRE,
                       "bids %s and %s are priced in %s and %s: a lowest-price award "
                       "needs one currency",
                       w->bid_id, e->bid_id, cur(w->price), cur(e->price));
        if (e->price->minor_units < w->price->minor_units)
            return BAD(PRE,
                       "winner %s offers %lld %s, not the lowest valid price: bid %s "
                       "offers %lld %s",
                       w->bid_id, (long long)w->price->minor_units, cur(w->price), e->bid_id,
                       (long long)e->price->minor_units, cur(e->price));
    }
    return 0;
}

/* A weighted award goes to the highest weighted total (ties allowed); the
 * refusal names the bids that total more than the winner. */
static int check_weighted(check *c, const evaluation *w)
{
    uint32_t wt = 0, t = 0;
    size_t above = 0;
    /* First every valid bid's scores, then the comparison (totals again). */
    char names[200] = "";
    for (size_t i = 0; i < c->d->n_evaluations; i++) {
        const evaluation *e = &c->d->evaluations[i];
        if (!e->valid)
            continue;
        if (tnd_award_weighted_total(e, c->pub, &t, &c->status, c->msg, c->len) != 0)
            return TND_EINVAL;
        if (e == w)
            wt = t;
    }
    for (size_t i = 0; i < c->d->n_evaluations; i++) {
        const evaluation *e = &c->d->evaluations[i];
        if (!e->valid || e == w ||
            tnd_award_weighted_total(e, c->pub, &t, &c->status, NULL, 0) != 0 || t <= wt)
            continue;
        if (above++ < 3) {
            size_t n = strlen(names);
            snprintf(names + n, sizeof names - n, "%s%s (%u.%02u)", n ? ", " : "", e->bid_id,
                     t / 100, t % 100);
        }
    }
    if (above)
        return BAD(PRE,
                   "winner %s totals %u.%02u points, not the highest weighted total: %zu valid "
                   "bid%s total%s more: %s%s",
                   w->bid_id, wt / 100, wt % 100, above, above == 1 ? "" : "s",
                   above == 1 ? "s" : "", names, above > 3 ? ", ..." : "");
    return 0;
}

/* The decision's criterion is the one the tender published. */
static int check_criterion(check *c)
{
    bool weighted = c->pub->award_criteria == tender_tenders_v1_AwardCriteria_WEIGHTED;
    char why[200];
    char what[160];
    if (c->lot)
        snprintf(what, sizeof what, "lot %s of tender %s", c->lot, c->tender);
    else
        snprintf(what, sizeof what, "tender %s", c->tender);
    if (c->d->criterion == tender_awards_v1_Criterion_WEIGHTED && !weighted)
        return BAD(PRE, "%s publishes no award weights: only a lowest-price award is allowed",
                   what);
    if (c->d->criterion == tender_awards_v1_Criterion_LOWEST_PRICE && weighted)
        return BAD(PRE,
                   "%s published weighted award criteria: the award must be weighted, "
                   "with every valid bid scored on each criterion",
                   what);
    if (weighted && tnd_award_criteria_check(c->pub, why, sizeof why) != 0)
        return BAD(PRE, "%s: its published criteria are not valid: %s", what, why);
    return 0;
}

static int check_decision(check *c)
{
    const tender_awards_v1_Decision *d = c->d;
    bool has_winner = d->winner && *d->winner;
    if (!d->tender_id || !*d->tender_id)
        return BAD(ARG, "tender_id: required");
    if (strcmp(str(c->rec->tender_id), d->tender_id) != 0)
        return BAD(PRE, "the decision is about tender %s but the opening record is of tender %s",
                   d->tender_id, str(c->rec->tender_id));
    if (!d->rationale || !*d->rationale)
        return BAD(ARG, "rationale: required (why this decision)");
    if (d->unsuccessful && has_winner)
        return BAD(ARG, "winner: an unsuccessful decision has no winner");
    if (!d->unsuccessful && !has_winner)
        return BAD(ARG, "winner: required (or record the tender as unsuccessful)");
    if (!d->unsuccessful && d->criterion != tender_awards_v1_Criterion_LOWEST_PRICE &&
        d->criterion != tender_awards_v1_Criterion_WEIGHTED)
        return BAD(ARG, "criterion: LOWEST_PRICE or WEIGHTED");
    int rc = d->unsuccessful ? 0 : check_criterion(c);
    if (rc)
        return rc;
    if (has_winner && find_bid(c->rec, d->winner) < 0)
        return BAD(PRE, "winner %s is not an opened bid of tender %s", d->winner, c->tender);
    if (has_winner && !in_decision(c, (size_t)find_bid(c->rec, d->winner)))
        return BAD(PRE, "winner %s did not answer lot %s", d->winner, c->lot);
    rc = check_evaluations(c);
    if (rc)
        return rc;
    if (d->unsuccessful) {
        for (size_t i = 0; i < d->n_evaluations; i++)
            if (d->evaluations[i].valid)
                return BAD(PRE,
                           "bid %s is valid: a %s with a valid bid cannot be "
                           "unsuccessful; award it or disqualify it with a reason",
                           d->evaluations[i].bid_id, c->lot ? "lot" : "tender");
        return 0;
    }
    const evaluation *w = c->seen[find_bid(c->rec, d->winner)];
    if (!w->valid)
        return BAD(PRE, "winner %s is disqualified in this decision (%s)", w->bid_id,
                   str(w->reason));
    return d->criterion == tender_awards_v1_Criterion_WEIGHTED ? check_weighted(c, w)
                                                               : check_lowest(c, w);
}

/* The lot the decision names: required when the tender has lots, refused
 * when it has none. *lot stays NULL without lots. */
static int find_lot(check *c, const tender_tenders_v1_Lot **lot)
{
    const char *id = str(c->d->lot_id);
    *lot = NULL;
    if (c->pub->n_lots == 0) {
        if (*id)
            return BAD(ARG, "lot_id: tender %s has no lots; leave lot_id empty", c->tender);
        return 0;
    }
    if (!*id)
        return BAD(ARG, "lot_id: required, tender %s has lots: one decision per lot", c->tender);
    for (size_t i = 0; i < c->pub->n_lots; i++)
        if (c->pub->lots[i].id && strcmp(c->pub->lots[i].id, id) == 0) {
            *lot = &c->pub->lots[i];
            return 0;
        }
    return BAD(PRE, "lot_id: tender %s has no lot %.64s in the version in force at the opening",
               c->tender, id);
}

/* Each record bid's line for the lot (ans[k], NULL when it did not answer
 * it). A bid that priced the lot twice has two lines, judged invalid at the
 * opening: the first invalid one stands for the bid. Two valid lines for
 * one lot are a broken record. */
static int find_answers(check *c)
{
    for (size_t k = 0; k < c->rec->n_bids; k++) {
        const tender_bids_v1_OpenedBid *o = &c->rec->bids[k];
        for (size_t j = 0; j < o->n_lots; j++) {
            const tender_bids_v1_OpenedLot *l = &o->lots[j];
            if (strcmp(str(l->lot_id), c->lot) != 0)
                continue;
            if (c->ans[k] && c->ans[k]->valid && l->valid)
                return BAD(PRE, "the opening record has two valid lines of lot %s for bid %s",
                           c->lot, str(o->bid_id));
            if (!c->ans[k] || (c->ans[k]->valid && !l->valid))
                c->ans[k] = l;
        }
    }
    return 0;
}

int tnd_award_check(const tender_awards_v1_Decision *d, const tender_bids_v1_OpeningRecord *rec,
                    const tender_tenders_v1_TenderFields *published, int *status, char *msg,
                    size_t len)
{
    check c = {.d = d, .rec = rec, .pub = published, .msg = msg, .len = msg ? len : 0};
    if (!status)
        return TND_EINVAL;
    if (!d || !rec || !published) {
        *status = ARG;
        if (c.len)
            snprintf(msg, len, "a decision, an opening record and the published tender are needed");
        return TND_EINVAL;
    }
    c.tender = str(d->tender_id);
    c.status = TND_STATUS_OK;
    tender_tenders_v1_TenderFields lotpub;
    const tender_tenders_v1_Lot *lot = NULL;
    int rc = find_lot(&c, &lot);
    if (rc) {
        *status = c.status;
        return rc;
    }
    c.seen = calloc(rec->n_bids ? rec->n_bids : 1, sizeof *c.seen);
    c.ans = calloc(rec->n_bids ? rec->n_bids : 1, sizeof *c.ans);
    if (!c.seen || !c.ans) {
        free(c.seen);
        free(c.ans);
        *status = TND_STATUS_RESOURCE_EXHAUSTED;
        if (c.len)
            snprintf(msg, len, "out of memory");
        return TND_ENOMEM;
    }
    if (lot) {
        /* The lot's criteria stand in for the tender's in every rule below. */
        lotpub = *published;
        lotpub.award_criteria = lot->award_criteria;
        lotpub.criteria = lot->criteria;
        lotpub.n_criteria = lot->n_criteria;
        c.pub = &lotpub;
        c.lot = lot->id;
        rc = find_answers(&c);
    }
    if (!rc)
        rc = check_decision(&c);
    free(c.seen);
    free(c.ans);
    *status = rc ? c.status : TND_STATUS_OK;
    if (!rc && c.len)
        msg[0] = 0;
    return rc;
}

int tnd_award_verify(const tender_awards_v1_Decision *d, const uint8_t *sig, size_t sig_len,
                     const uint8_t key[32])
{
    uint8_t *buf = NULL;
    size_t blen = 0;
    if (!d || !sig || !key)
        return TND_EINVAL;
    if (sig_len != 64)
        return TND_ECRYPTO;
    int rc = tnd_msg_encode(&tender_awards_v1_Decision_desc, d, &buf, &blen, NULL);
    if (rc)
        return rc == TND_ENOMEM ? TND_ENOMEM : TND_ECRYPTO;
    rc = tnd_ed25519_verify(sig, buf, blen, key);
    free(buf);
    return rc;
}
