/* One line of the opening record from one sealed bid (tender/bid.h). The
 * server builds the record with it at the opening; auditors rebuild every
 * line from the logged ciphertexts and the published key and compare. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bid.h"
#include "tender/codec.h"

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The documents as the bid lists them: name, sha256 and size (their
 * contents are sealed apart; tnd_bid_open_documents checks them). */
static int hash_documents(const tender_bids_v1_BidContent *c, tender_bids_v1_OpenedBid *o)
{
    o->documents = calloc(c->n_documents ? c->n_documents : 1, sizeof *o->documents);
    if (!o->documents)
        return TND_ENOMEM;
    for (size_t i = 0; i < c->n_documents; i++) {
        tender_bids_v1_BidDocumentHash *d = &o->documents[o->n_documents++];
        d->name = dup_str(c->documents[i].name);
        d->size = c->documents[i].size;
        if (c->documents[i].name && !d->name)
            return TND_ENOMEM;
        if (c->documents[i].sha256.len == 32) {
            if (!(d->sha256.data = malloc(32)))
                return TND_ENOMEM;
            memcpy(d->sha256.data, c->documents[i].sha256.data, 32);
            d->sha256.len = 32;
        }
    }
    return 0;
}

/* The documents' rules (tender/bid.h): what anyone can check, then, with
 * the documents key, that the sealed contents are the listed ones. */
static int check_documents(const tender_bids_v1_SealedBid *b, const tender_bids_v1_BidContent *c,
                           const tnd_bid_terms *terms, char *why, size_t len)
{
    int rc = tnd_bid_check_documents(c, terms->documents_key, why, len);
    if (rc == 0 && terms->documents_sk && c->n_documents) {
        tender_bids_v1_BidDocumentContents dc;
        tender_bids_v1_BidDocumentContents_init(&dc);
        rc = tnd_bid_open_documents(b, c, terms->documents_sk, &dc, why, len);
        if (rc == TND_ENOMEM)
            return rc;
        rc = rc ? TND_EINVAL : 0;
        tender_bids_v1_BidDocumentContents_free(&dc);
    }
    return rc;
}

/* Who bid is what the sealed certificate says: its subject replaces what the
 * bid says, or, when the certificate does not check out, nobody is named. */
static int who_bid(const tender_bids_v1_SealedBid *b, tender_bids_v1_BidContent *c,
                   const tnd_bid_trust *trust, char *why, size_t len)
{
    char org[128], name[128];
    int64_t at = b->received ? b->received->seconds * 1000 + b->received->nanos / 1000000 : 0;
    int rc = tnd_bid_check_certificate(c, trust, at, org, name, why, len);
    free(c->supplier_org);
    free(c->supplier_name);
    c->supplier_org = c->supplier_name = NULL;
    if (rc == 0 && (!(c->supplier_org = strdup(org)) || !(c->supplier_name = strdup(name))))
        return TND_ENOMEM;
    return rc;
}

/* One line per lot price of c (moved out of c), judged by
 * tnd_bid_check_lot; valid only in a valid bid. */
static int judge_lots(tender_bids_v1_BidContent *c, const tnd_bid_terms *terms,
                      tender_bids_v1_OpenedBid *o)
{
    if (!c->n_lot_prices)
        return 0;
    o->lots = calloc(c->n_lot_prices, sizeof *o->lots);
    if (!o->lots)
        return TND_ENOMEM;
    for (size_t i = 0; i < c->n_lot_prices; i++) {
        tender_bids_v1_OpenedLot *l = &o->lots[o->n_lots++];
        char why[256];
        l->valid = tnd_bid_check_lot(c, i, terms, why, sizeof why) == 0;
        if (!l->valid && !(l->failure = strdup(why)))
            return TND_ENOMEM;
    }
    /* Judged on c whole (a lot priced twice), then moved. */
    for (size_t i = 0; i < c->n_lot_prices; i++) {
        o->lots[i].lot_id = c->lot_prices[i].lot_id;
        o->lots[i].price = c->lot_prices[i].price;
        c->lot_prices[i].lot_id = NULL;
        c->lot_prices[i].price = NULL;
    }
    return o->valid ? 0 : tnd_bid_lots_follow_bid(o);
}

int tnd_bid_lots_follow_bid(tender_bids_v1_OpenedBid *o)
{
    for (size_t i = 0; !o->valid && i < o->n_lots; i++) {
        tender_bids_v1_OpenedLot *l = &o->lots[i];
        if (!l->valid)
            continue; /* its own reason stands */
        l->valid = false;
        if (!(l->failure = strdup(TND_BID_LOT_BID_INVALID)))
            return TND_ENOMEM;
    }
    return 0;
}

int tnd_bid_open_record(const tender_bids_v1_SealedBid *b, const uint8_t opening_sk[32],
                        const tnd_bid_terms *terms, tender_bids_v1_OpenedBid *o)
{
    tender_bids_v1_OpenedBid_init(o);
    o->bid_id = dup_str(b->bid_id);
    if (b->bid_id && !o->bid_id)
        return TND_ENOMEM;
    if (b->received) {
        o->received = calloc(1, sizeof *o->received);
        if (!o->received)
            return TND_ENOMEM;
        *o->received = *b->received;
    }
    int rc = tnd_msg_hash(&tender_bids_v1_SealedBid_desc, b, &o->envelope_hash);
    if (rc != 0)
        return rc;
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[256];
    if (tnd_bid_open(b, opening_sk, &c, why, sizeof why) != 0) {
        o->failure = strdup(why);
        return o->failure ? 0 : TND_ENOMEM;
    }
    if (terms->trust && (rc = who_bid(b, &c, terms->trust, why, sizeof why)) != 0) {
        if (rc == TND_EINVAL && (o->failure = strdup(why)))
            rc = 0;
        else
            rc = TND_ENOMEM;
    } else if (tnd_bid_check_terms(&c, terms, why, sizeof why) == 0 &&
               (rc = check_documents(b, &c, terms, why, sizeof why)) == 0) {
        o->valid = true;
    } else if (rc != TND_ENOMEM) {
        rc = (o->failure = strdup(why)) ? 0 : TND_ENOMEM;
    }
    /* Move what the record publishes out of the content. */
    o->supplier_org = c.supplier_org;
    o->supplier_name = c.supplier_name;
    o->supplier_key = c.supplier_key;
    c.supplier_org = c.supplier_name = NULL;
    c.supplier_key = (tnd_bytes){0};
    /* With lots the prices are per lot: the line has none for the whole. */
    if (!terms->n_lots) {
        o->price = c.price;
        c.price = NULL;
    }
    if (rc == 0)
        rc = hash_documents(&c, o);
    if (rc == 0 && terms->n_lots)
        rc = judge_lots(&c, terms, o);
    tender_bids_v1_BidContent_free(&c);
    return rc;
}
