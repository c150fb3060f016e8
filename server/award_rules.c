/* The rules an award decision must follow, checked against the opening
 * record (which the server wrote and logged), and the officer's signature. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awards.h"

#define BAD(code, ...) (snprintf(msg, len, __VA_ARGS__), (code))
#define ARG TND_STATUS_INVALID_ARGUMENT
#define PRE TND_STATUS_FAILED_PRECONDITION

static const char *cur(const tender_common_v1_Money *m)
{
    return m && m->currency ? m->currency : "";
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
        int c = strcmp(rec->bids[mid].bid_id ? rec->bids[mid].bid_id : "", id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Not sorted after all (an older record): look at every bid. */
    for (size_t i = 0; i < rec->n_bids; i++)
        if (rec->bids[i].bid_id && strcmp(rec->bids[i].bid_id, id) == 0)
            return (long)i;
    return -1;
}

/* Each evaluation: an opened bid, once; valid ones with the opened price,
 * disqualified ones with a reason. seen[i] points at the evaluation of
 * record bid i. */
static int check_evaluations(const tender_awards_v1_Decision *d,
                             const tender_bids_v1_OpeningRecord *rec, const tnd_tender *t,
                             const tender_awards_v1_BidEvaluation **seen, char *msg, size_t len)
{
    for (size_t i = 0; i < d->n_evaluations; i++) {
        const tender_awards_v1_BidEvaluation *e = &d->evaluations[i];
        if (!e->bid_id || !*e->bid_id)
            return BAD(ARG, "evaluations[%zu].bid_id: required", i);
        long k = find_bid(rec, e->bid_id);
        if (k < 0)
            return BAD(PRE,
                       "bid %s was not opened in tender %s: only the %zu bids of the "
                       "opening record can be evaluated",
                       e->bid_id, t->id, rec->n_bids);
        if (seen[k])
            return BAD(ARG, "bid %s is evaluated twice", e->bid_id);
        seen[k] = e;
        const tender_bids_v1_OpenedBid *o = &rec->bids[k];
        if (!e->valid) {
            if (!e->reason || !*e->reason)
                return BAD(ARG, "bid %s: a disqualified bid needs a reason", e->bid_id);
            continue;
        }
        if (!o->valid)
            return BAD(PRE,
                       "bid %s could not be opened (%s); it cannot be valid: disqualify "
                       "it with a reason",
                       e->bid_id, o->failure ? o->failure : "no detail");
        if (!e->price)
            return BAD(ARG, "bid %s: a valid bid needs its price as opened", e->bid_id);
        if (!same_money(e->price, o->price))
            return BAD(PRE, "bid %s: the price %lld %s differs from the opening record's %lld %s",
                       e->bid_id, (long long)e->price->minor_units, cur(e->price),
                       o->price ? (long long)o->price->minor_units : 0LL, cur(o->price));
    }
    for (size_t k = 0; k < rec->n_bids; k++)
        if (!seen[k])
            return BAD(PRE,
                       "the decision skips opened bid %s: every opened bid must be "
                       "evaluated (valid, or disqualified with a reason)",
                       rec->bids[k].bid_id);
    return 0;
}

/* A lowest-price award goes to the lowest valid price (ties allowed). */
static int check_lowest(const tender_awards_v1_Decision *d, const tender_awards_v1_BidEvaluation *w,
                        char *msg, size_t len)
{
    for (size_t i = 0; i < d->n_evaluations; i++) {
        const tender_awards_v1_BidEvaluation *e = &d->evaluations[i];
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

static int check(const tender_awards_v1_Decision *d, const tender_bids_v1_OpeningRecord *rec,
                 const tnd_tender *t, const tender_awards_v1_BidEvaluation **seen, char *msg,
                 size_t len)
{
    bool has_winner = d->winner && *d->winner;
    if (!d->rationale || !*d->rationale)
        return BAD(ARG, "rationale: required (why this decision)");
    if (d->unsuccessful && has_winner)
        return BAD(ARG, "winner: an unsuccessful decision has no winner");
    if (!d->unsuccessful && !has_winner)
        return BAD(ARG, "winner: required (or record the tender as unsuccessful)");
    if (!d->unsuccessful && d->criterion != tender_awards_v1_Criterion_LOWEST_PRICE &&
        d->criterion != tender_awards_v1_Criterion_WEIGHTED)
        return BAD(ARG, "criterion: LOWEST_PRICE or WEIGHTED");
    /* Tenders carry no published weights yet (tender.tenders.v1.TenderFields). */
    if (!d->unsuccessful && d->criterion == tender_awards_v1_Criterion_WEIGHTED)
        return BAD(PRE,
                   "tender %s publishes no award weights: only a lowest-price award is "
                   "allowed",
                   t->id);
    if (has_winner) {
        long k = find_bid(rec, d->winner);
        if (k < 0)
            return BAD(PRE, "winner %s is not an opened bid of tender %s", d->winner, t->id);
    }
    int st = check_evaluations(d, rec, t, seen, msg, len);
    if (st)
        return st;
    if (d->unsuccessful) {
        for (size_t i = 0; i < d->n_evaluations; i++)
            if (d->evaluations[i].valid)
                return BAD(PRE,
                           "bid %s is valid: a tender with a valid bid cannot be "
                           "unsuccessful; award it or disqualify it with a reason",
                           d->evaluations[i].bid_id);
        return 0;
    }
    const tender_awards_v1_BidEvaluation *w = seen[find_bid(rec, d->winner)];
    if (!w->valid)
        return BAD(PRE, "winner %s is disqualified in this decision (%s)", w->bid_id, w->reason);
    return check_lowest(d, w, msg, len);
}

int tnd_award_check(const tender_awards_v1_Decision *d, const tender_bids_v1_OpeningRecord *rec,
                    const tnd_tender *t, char *msg, size_t len)
{
    const tender_awards_v1_BidEvaluation **seen =
        calloc(rec->n_bids ? rec->n_bids : 1, sizeof *seen);
    if (!seen)
        return BAD(TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    int st = check(d, rec, t, seen, msg, len);
    free(seen);
    return st;
}

int tnd_award_verify(const tender_awards_v1_Decision *d, const tnd_bytes *sig,
                     const uint8_t key[32])
{
    uint8_t *buf = NULL;
    size_t blen = 0;
    if (sig->len != 64 || tnd_msg_encode(&tender_awards_v1_Decision_desc, d, &buf, &blen, NULL))
        return TND_ECRYPTO;
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = pk && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
             EVP_DigestVerify(md, sig->data, 64, buf, blen) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    free(buf);
    return ok ? 0 : TND_ECRYPTO;
}

size_t tnd_award_key(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq)
{
    size_t il = strlen(tender_id);
    if (il + 5 > cap)
        return 0;
    memcpy(key, tender_id, il);
    key[il] = 0;
    for (int i = 0; i < 4; i++)
        key[il + 1 + (size_t)i] = (uint8_t)(seq >> (24 - 8 * i));
    return il + 5;
}

int tnd_award_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tender_awards_v1_Award *out,
                     uint32_t *seq)
{
    uint8_t key[128];
    size_t kl = tnd_award_key(key, sizeof key, tender_id, UINT32_MAX);
    if (!kl)
        return TND_ENOTFOUND;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi, &cur) != 0)
        return TND_EIO;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    int ret = TND_ENOTFOUND;
    if (rc == 0 && k.mv_size == kl && memcmp(k.mv_data, key, kl - 4) == 0) {
        const uint8_t *p = (const uint8_t *)k.mv_data + kl - 4;
        if (seq)
            *seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        ret = tnd_msg_decode(&tender_awards_v1_Award_desc, v.mv_data, v.mv_size, out, NULL);
    }
    mdb_cursor_close(cur);
    return ret;
}
