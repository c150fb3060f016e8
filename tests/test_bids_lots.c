/* The opening of a tender with lots on an in-process server (docs/SEALED.md,
 * "Bids with lots"): bids for lot 1, lot 2 and both, one of them invalid for
 * lot 2 only, open into lines with one OpenedLot per lot answered and no
 * price of their own; audit verify rebuilds the lines (the decryption
 * check), and a lot price altered in the stored record fails it, naming the
 * lot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawconn.h"
#include "scenario.h"
#include "tender/bid.h"
#include "tender/codec.h"
#include "tender/verify.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define L(name) "tender.log.v1.Log/" #name

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
}

typedef struct world {
    scn_conn off, sup, sup2, aud, anon;
    scn_tender t;
    tender_bids_v1_OpeningRecord rec;
} world;

static void connect_all(world *w)
{
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->sup2, "supplier2");
    scn_connect(&ts, &w->aud, "auditor");
    scn_connect(&ts, &w->anon, NULL);
}

static void close_all(world *w)
{
    scn_conn *cs[] = {&w->off, &w->sup, &w->sup2, &w->aud, &w->anon};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        rawconn_close(&cs[i]->rc);
}

static tender_common_v1_Money *money(int64_t units)
{
    tender_common_v1_Money *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->minor_units = units;
    m->currency = strdup("KRW");
    return m;
}

/* Tender with n (2 or 3) lots: "LOT-1" worth 600000 KRW, "LOT-2" worth
 * 400000 and "LOT-3" worth 200000, each awarded at the lowest price;
 * published at version 1. */
static void create_lots(world *w, size_t n)
{
    tender_tenders_v1_CreateTenderRequest q;
    w->t.cm.documents = true;
    scn_tender_request(&ts, &w->t, "Roads and bridges", 2000, 2500, &q);
    q.fields->estimated_value = money(n == 3 ? 1200000 : 1000000);
    q.fields->lots = calloc(n, sizeof *q.fields->lots);
    assert_non_null(q.fields->lots);
    q.fields->n_lots = n;
    const char *ids[] = {"LOT-1", "LOT-2", "LOT-3"}, *titles[] = {"Roads", "Bridges", "Signs"};
    int64_t values[] = {600000, 400000, 200000};
    for (size_t i = 0; i < n; i++) {
        tender_tenders_v1_Lot *l = &q.fields->lots[i];
        l->id = strdup(ids[i]);
        l->title = strdup(titles[i]);
        l->value = money(values[i]);
        l->award_criteria = tender_tenders_v1_AwardCriteria_LOWEST_PRICE;
    }
    scn_tender_create(&w->off, &q, w->t.id);
    scn_tender_publish(&w->off, w->t.id);
}

/* who's bid for lot 1 at p1 and lot 2 at p2 (0: not answered), submitted
 * by c; its id into id. */
static void bid_lots3(world *w, scn_conn *c, const char *who, int64_t p1, int64_t p2, int64_t p3,
                      char id[40])
{
    tender_bids_v1_BidContent bc;
    tender_bids_v1_BidContent_init(&bc);
    bc.tender_version = 1;
    bc.lot_prices = calloc(3, sizeof *bc.lot_prices);
    assert_non_null(bc.lot_prices);
    if (p1) {
        bc.lot_prices[bc.n_lot_prices].lot_id = strdup("LOT-1");
        bc.lot_prices[bc.n_lot_prices++].price = money(p1);
    }
    if (p2) {
        bc.lot_prices[bc.n_lot_prices].lot_id = strdup("LOT-2");
        bc.lot_prices[bc.n_lot_prices++].price = money(p2);
    }
    if (p3) {
        bc.lot_prices[bc.n_lot_prices].lot_id = strdup("LOT-3");
        bc.lot_prices[bc.n_lot_prices++].price = money(p3);
    }
    assert_int_equal(testsrv_seal_certs(&ts, who, &bc), 0);
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    scn_seal(&ts, &w->t, who, &bc, NULL, &b, nonce, id);
    tender_bids_v1_BidContent_free(&bc);
    if (scn_submit(c, &b, nonce, NULL, NULL, NULL) != 0)
        fail_msg("submit: %s", scn_msg);
    tender_bids_v1_SealedBid_free(&b);
}

static void bid_lots(world *w, scn_conn *c, const char *who, int64_t p1, int64_t p2, char id[40])
{
    bid_lots3(w, c, who, p1, p2, 0, id);
}

/* Tenders/CancelLot of lot as the officer. */
static void cancel_lot(world *w, const char *lot)
{
    tender_tenders_v1_CancelLotRequest q = {.id = w->t.id,
                                            .lot_id = (char *)lot,
                                            .reason = "the bridges are built by the city",
                                            .reason_code = tender_common_v1_CancelReason_OTHER};
    if (scn_call(&w->off, "tender.tenders.v1.Tenders/CancelLot",
                 &tender_tenders_v1_CancelLotRequest_desc, &q, NULL, NULL) != 0)
        fail_msg("cancel %s: %s", lot, scn_msg);
}

static void open_and_fetch(world *w)
{
    scn_open(&ts, &w->off, &w->aud, &w->t);
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    tender_bids_v1_OpeningRecord_free(&w->rec);
    tender_bids_v1_OpeningRecord_init(&w->rec);
    assert_int_equal(scn_call(&w->anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref,
                              &tender_bids_v1_OpeningRecord_desc, &w->rec),
                     0);
}

static const tender_bids_v1_OpenedBid *line_of(const tender_bids_v1_OpeningRecord *rec,
                                               const char *id)
{
    for (size_t i = 0; i < rec->n_bids; i++)
        if (strcmp(rec->bids[i].bid_id, id) == 0)
            return &rec->bids[i];
    fail_msg("bid %s is not in the opening record", id);
    return NULL;
}

/* Lot line i of o: lot, price, and valid (failure NULL) or the failure. */
static void lot_is(const tender_bids_v1_OpenedBid *o, size_t i, const char *lot, int64_t price,
                   const char *failure)
{
    assert_true(i < o->n_lots);
    const tender_bids_v1_OpenedLot *l = &o->lots[i];
    assert_string_equal(l->lot_id, lot);
    assert_non_null(l->price);
    assert_int_equal(l->price->minor_units, price);
    assert_string_equal(l->price->currency, "KRW");
    if (failure) {
        assert_false(l->valid);
        assert_string_equal(l->failure, failure);
    } else {
        if (!l->valid)
            fail_msg("lot %s: %s", lot, l->failure);
        assert_null(l->failure);
    }
}

typedef struct seen {
    tnd_check_result result, opening;
    char detail[1024];
} seen;

static void on_check(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    seen *d = ctx;
    if (strcmp(check, "opening") == 0)
        d->opening = result;
    if (strcmp(check, "decryption") == 0) {
        d->result = result;
        snprintf(d->detail, sizeof d->detail, "%s", detail);
    }
}

/* libtender's audit of the tender with the CA, as tenderctl audit verify
 * --ca runs it: the decryption check's result. */
static seen audit_decryption(world *w)
{
    seen d = {.result = TND_CHECK_SKIPPED, .opening = TND_CHECK_SKIPPED};
    (void)scn_audit(&ts, &w->anon, w->t.id, true, on_check, &d);
    return d;
}

/* Rewrite the stored opening record of tender with edit() applied, while
 * the server is down (its own LMDB environment is closed). */
static void alter_opening(const char *tender, void (*edit)(tender_bids_v1_OpeningRecord *))
{
    char db[320];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, db, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "openings", 0, &dbi), 0);
    MDB_val k = {.mv_size = strlen(tender), .mv_data = (void *)tender}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    assert_int_equal(tnd_msg_decode(&tender_bids_v1_OpeningRecord_desc, v.mv_data, v.mv_size,
                                    &rec, NULL),
                     0);
    edit(&rec);
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_OpeningRecord_desc, &rec, &enc, &len, NULL),
                     0);
    tender_bids_v1_OpeningRecord_free(&rec);
    MDB_val nv = {.mv_size = len, .mv_data = enc};
    int rc = mdb_put(txn, dbi, &k, &nv, 0);
    rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
    mdb_env_close(env);
    free(enc);
    assert_int_equal(rc, 0);
}

/* The first bid's second lot line a little cheaper than was sealed. */
static void cheaper_lot(tender_bids_v1_OpeningRecord *rec)
{
    for (size_t i = 0; i < rec->n_bids; i++)
        if (rec->bids[i].n_lots == 2) {
            rec->bids[i].lots[1].price->minor_units -= 1000;
            return;
        }
    fail_msg("no bid with two lots in the record");
}

TESTSRV_MANUAL_GROUP(ts, cfg)

/* Bids for {1}, {2}, {1,2} and {1,2} above lot 2's value: each lot line as
 * the rule says, no bid-level price; audit verify agrees; an altered lot
 * price in the stored record fails it, naming the lot. */
static void test_two_lot_opening(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    tender_bids_v1_OpeningRecord_init(&w.rec);
    connect_all(&w);
    create_lots(&w, 2);
    char only1[40], only2[40], both[40], over2[40];
    bid_lots(&w, &w.sup, "supplier", 550000, 0, only1);
    bid_lots(&w, &w.sup2, "supplier2", 0, 390000, only2);
    bid_lots(&w, &w.sup2, "supplier2", 580000, 380000, both);
    bid_lots(&w, &w.sup, "supplier", 500000, 400001, over2);
    open_and_fetch(&w);
    assert_int_equal(w.rec.n_bids, 4);
    for (size_t i = 0; i < w.rec.n_bids; i++) {
        assert_true(w.rec.bids[i].valid);
        assert_null(w.rec.bids[i].price);
    }
    const tender_bids_v1_OpenedBid *o = line_of(&w.rec, only1);
    assert_int_equal(o->n_lots, 1);
    lot_is(o, 0, "LOT-1", 550000, NULL);
    assert_string_equal(o->supplier_org, "Acme Construction");
    o = line_of(&w.rec, only2);
    assert_int_equal(o->n_lots, 1);
    lot_is(o, 0, "LOT-2", 390000, NULL);
    o = line_of(&w.rec, both);
    assert_int_equal(o->n_lots, 2);
    lot_is(o, 0, "LOT-1", 580000, NULL);
    lot_is(o, 1, "LOT-2", 380000, NULL);
    o = line_of(&w.rec, over2);
    assert_int_equal(o->n_lots, 2);
    lot_is(o, 0, "LOT-1", 500000, NULL);
    lot_is(o, 1, "LOT-2", 400001, "the price 400001 KRW is above lot LOT-2's value 400000 KRW");

    seen d = audit_decryption(&w);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption: %s", d.detail);
    assert_int_equal(d.opening, TND_CHECK_OK);

    /* A lot price altered behind the server's back. */
    char tender[64];
    snprintf(tender, sizeof tender, "%s", w.t.id);
    close_all(&w);
    testsrv_halt(&ts);
    alter_opening(tender, cheaper_lot);
    testsrv_start(&ts, cfg, NULL);
    connect_all(&w);
    d = audit_decryption(&w);
    assert_int_equal(d.result, TND_CHECK_FAILED);
    if (!strstr(d.detail, "lot LOT-2: the price differs"))
        fail_msg("decryption: %s", d.detail);
    assert_int_equal(d.opening, TND_CHECK_FAILED); /* the logged hash is of the record as opened */
    close_all(&w);
    tender_bids_v1_OpeningRecord_free(&w.rec);
}

/* A lot cancelled before the opening takes no price: its lines are invalid
 * ("the lot was cancelled"), the bids and their other lots stand; audit
 * verify knows it from the LOT_CANCELLED event. A lot cancelled after the
 * opening changes nothing in the record, and verify still agrees. */
static void test_cancelled_lot(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    tender_bids_v1_OpeningRecord_init(&w.rec);
    connect_all(&w);
    create_lots(&w, 3);
    char all[40], only3[40];
    bid_lots3(&w, &w.sup, "supplier", 590000, 390000, 190000, all);
    bid_lots3(&w, &w.sup2, "supplier2", 0, 0, 180000, only3);
    cancel_lot(&w, "LOT-3");
    open_and_fetch(&w);
    const tender_bids_v1_OpenedBid *o = line_of(&w.rec, all);
    assert_true(o->valid);
    assert_int_equal(o->n_lots, 3);
    lot_is(o, 0, "LOT-1", 590000, NULL);
    lot_is(o, 1, "LOT-2", 390000, NULL);
    lot_is(o, 2, "LOT-3", 190000, "the lot was cancelled");
    o = line_of(&w.rec, only3);
    assert_true(o->valid); /* the bid as a whole is sound */
    assert_int_equal(o->n_lots, 1);
    lot_is(o, 0, "LOT-3", 180000, "the lot was cancelled");
    seen d = audit_decryption(&w);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption: %s", d.detail);
    /* After the opening: the record stands as it was. */
    cancel_lot(&w, "LOT-2");
    d = audit_decryption(&w);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption after a later cancellation: %s", d.detail);
    close_all(&w);
    tender_bids_v1_OpeningRecord_free(&w.rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_lot_opening),
        cmocka_unit_test(test_cancelled_lot),
    };
    return cmocka_run_group_tests_name("bids_lots", tests, group_setup, group_teardown);
}
