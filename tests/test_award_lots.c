/* End-to-end tests of awards per lot on an in-process server with a manual
 * clock: a tender in two lots awarded to two suppliers, one lot's award
 * cancelled in its standstill and recorded again, the two standstills
 * ending at different times with a restart between them; a lot without a
 * valid bid (unsuccessful) beside an awarded one; a tender whose every lot
 * is unsuccessful; Awards/List; the lot events and the tender's events
 * with the hashes of what they name; a tender without lots refusing a
 * lot_id; and lost schedule entries of lot awards restored at start-up.
 *
 * The opening record's per-lot lines (OpenedBid.lots) and the lots'
 * states (Tender.lot_states) are written into the stored records while the
 * server is down (lotfix_write), so these tests pin the award rules on
 * exactly the opening they describe. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awards/awards.h"
#include "lotfix.h"
#include "rawconn.h"
#include "scenario.h"
#include "testsrv.h"

#define A(name) "tender.awards.v1.Awards/" #name
#define AW_DESC (&tender_awards_v1_AwardRequest_desc)
#define AWARD (&tender_awards_v1_Award_desc)
#define T_DESC (&tender_tenders_v1_Tender_desc)
#define EVK(name) tender_events_v1_EventKind_##name
#define TST(name) tender_tenders_v1_TenderStatus_##name
#define LOT(name) tender_tenders_v1_LotStatus_LOT_##name
#define STANDSTILL 1000

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = STANDSTILL;
}

typedef struct world {
    scn_conn off, aud, anon;
    scn_tender t;
    char ids[2][40]; /* the supplier's bid, supplier2's bid */
} world;

static void connect_all(world *w)
{
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->aud, "auditor");
    scn_connect(&ts, &w->anon, NULL);
}

static void close_all(world *w)
{
    rawconn_close(&w->off.rc);
    rawconn_close(&w->aud.rc);
    rawconn_close(&w->anon.rc);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    connect_all(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    close_all(w);
    free(w);
    return 0;
}

TESTSRV_MANUAL_GROUP(ts, cfg)

static void money(tender_common_v1_Money **m, int64_t minor)
{
    *m = calloc(1, sizeof **m);
    (*m)->minor_units = minor;
    (*m)->currency = strdup("KRW");
}

/* Publish a tender with n_lots lots ("L1", "L2": 500000 KRW each, lowest
 * price) or none, take a bid from the supplier and one from supplier2 and
 * open them with two shares. */
static void opened(world *w, size_t n_lots)
{
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &w->t, "Lots", 1200, 1400, &q);
    money(&q.fields->estimated_value, 500000 * (int64_t)(n_lots ? n_lots : 2));
    if (n_lots) {
        q.fields->lots = calloc(n_lots, sizeof *q.fields->lots);
        q.fields->n_lots = n_lots;
        for (size_t i = 0; i < n_lots; i++) {
            q.fields->lots[i].id = strdup(i ? "L2" : "L1");
            q.fields->lots[i].title = strdup(i ? "South roads" : "North roads");
            money(&q.fields->lots[i].value, 500000);
        }
    }
    scn_tender_create(&w->off, &q, w->t.id);
    scn_tender_publish(&w->off, w->t.id);
    const char *who[] = {"supplier", "supplier2"};
    for (size_t i = 0; i < 2; i++) {
        scn_conn s;
        scn_connect(&ts, &s, who[i]);
        tender_bids_v1_BidContent c;
        tender_bids_v1_BidContent_init(&c);
        c.tender_version = 1;
        if (n_lots) {
            c.lot_prices = calloc(n_lots, sizeof *c.lot_prices);
            c.n_lot_prices = n_lots;
            for (size_t k = 0; k < n_lots; k++) {
                c.lot_prices[k].lot_id = strdup(k ? "L2" : "L1");
                money(&c.lot_prices[k].price, 100000 + 10000 * (int64_t)(i + k));
            }
        } else {
            money(&c.price, 100000 + 50000 * (int64_t)i);
        }
        c.supplier_org = strdup(who[i]);
        c.supplier_name = strdup(who[i]);
        assert_int_equal(testsrv_seal_certs(&ts, who[i], &c), 0);
        tender_bids_v1_SealedBid b;
        uint8_t nonce[32];
        scn_seal(&ts, &w->t, who[i], &c, NULL, &b, nonce, w->ids[i]);
        if (scn_submit(&s, &b, nonce, NULL, NULL, NULL) != 0)
            fail_msg("submit: %s", scn_msg);
        tender_bids_v1_SealedBid_free(&b);
        tender_bids_v1_BidContent_free(&c);
        rawconn_close(&s.rc);
    }
    scn_open(&ts, &w->off, &w->aud, &w->t);
}

typedef lotfix_line line;

/* Stop the server and write the opening as described (lotfix_write), then
 * start again and reconnect. */
static void with_lot_lines(world *w, line lines[2][2])
{
    close_all(w);
    testsrv_halt(&ts);
    char db[300];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    const char *ids[2] = {w->ids[0], w->ids[1]};
    lotfix_write(db, w->t.id, ids, (const lotfix_line(*)[2])lines);
    testsrv_start(&ts, cfg, NULL);
    connect_all(w);
}

/* A decision under construction: up to 4 evaluations. */
typedef struct dec {
    tender_awards_v1_Decision d;
    tender_awards_v1_BidEvaluation ev[4];
    tender_common_v1_Money price[4];
} dec;

static void dec_init(dec *x, const world *w, const char *lot, const char *winner)
{
    memset(x, 0, sizeof *x);
    x->d.tender_id = (char *)w->t.id;
    x->d.lot_id = (char *)lot;
    x->d.criterion = winner ? tender_awards_v1_Criterion_LOWEST_PRICE : 0;
    x->d.winner = (char *)winner;
    x->d.unsuccessful = !winner;
    x->d.rationale = winner ? "lowest valid price for the lot" : "no valid bid for the lot";
    x->d.evaluations = x->ev;
}

static void dec_valid(dec *x, const char *bid, int64_t price)
{
    size_t i = x->d.n_evaluations++;
    x->price[i] = (tender_common_v1_Money){.minor_units = price, .currency = "KRW"};
    x->ev[i] = (tender_awards_v1_BidEvaluation){
        .bid_id = (char *)bid, .valid = true, .price = &x->price[i]};
}

static void dec_out(dec *x, const char *bid, const char *reason)
{
    x->ev[x->d.n_evaluations++] =
        (tender_awards_v1_BidEvaluation){.bid_id = (char *)bid, .reason = (char *)reason};
}

static int record(scn_conn *c, const dec *x, tender_awards_v1_Award *out)
{
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &x->d, &buf, &len, NULL), 0);
    EVP_PKEY *k = scn_load_key(&ts, "officer");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_awards_v1_AwardRequest r = {.decision = (tender_awards_v1_Decision *)&x->d,
                                       .signature = {sig, 64}};
    if (out)
        tender_awards_v1_Award_init(out);
    return scn_call(c, A(Record), AW_DESC, &r, out ? AWARD : NULL, out);
}

static void expect(int got, int code, const char *needle)
{
    if (got != code || !strstr(scn_msg, needle))
        fail_msg("expected %d \"%s\", got %d \"%s\"", code, needle, got, scn_msg);
}

/* The tender's status and its lots' states ("" for a lot without one). */
static void expect_states(world *w, int status, int l1, int l2)
{
    tender_tenders_v1_Tender t;
    scn_get_tender(&w->anon, w->t.id, &t);
    if ((int)t.status != status)
        fail_msg("tender %s: status %d, expected %d", w->t.id, t.status, status);
    assert_int_equal(t.n_lot_states, 2);
    assert_string_equal(t.lot_states[0].lot_id, "L1");
    assert_string_equal(t.lot_states[1].lot_id, "L2");
    if ((int)t.lot_states[0].status != l1 || (int)t.lot_states[1].status != l2)
        fail_msg("lot states %d %d, expected %d %d", t.lot_states[0].status, t.lot_states[1].status,
                 l1, l2);
    tender_tenders_v1_Tender_free(&t);
}

/* The events of tender_id in log order: kind, object id and object hash. */
typedef struct evrec {
    int kind;
    char object_id[96];
    uint8_t hash[32];
} evrec;

static size_t events_of(const char *tender_id, evrec *out, size_t cap)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    size_t n = 0;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(ts.srv->store, TND_TABLE_EVENTS), &cur), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n < cap;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if (tnd_msg_decode(&tender_events_v1_Event_desc, v.mv_data, v.mv_size, &ev, NULL) == 0 &&
            ev.tender_id && strcmp(ev.tender_id, tender_id) == 0) {
            out[n].kind = (int)ev.kind;
            snprintf(out[n].object_id, sizeof out[n].object_id, "%s",
                     ev.object_id ? ev.object_id : "");
            memset(out[n].hash, 0, 32);
            if (ev.object_hash.len == 32)
                memcpy(out[n].hash, ev.object_hash.data, 32);
            n++;
        }
        tender_events_v1_Event_free(&ev);
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(ts.srv->store, txn);
    return n;
}

static void hash_of(const tnd_msg_desc *d, const void *m, uint8_t out[32])
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(d, m, &buf, &len, NULL), 0);
    SHA256(buf, len, out);
    free(buf);
}

/* The last event of tender_id is of kind with the hash of m (desc d). */
static void expect_last_event(const char *tender_id, int back, int kind, const char *object_id,
                              const tnd_msg_desc *d, const void *m)
{
    evrec ev[64];
    size_t n = events_of(tender_id, ev, 64);
    assert_true(n > (size_t)back);
    const evrec *e = &ev[n - 1 - (size_t)back];
    if (e->kind != kind || strcmp(e->object_id, object_id) != 0)
        fail_msg("event %d from the end: kind %d object \"%s\", expected %d \"%s\"", back, e->kind,
                 e->object_id, kind, object_id);
    uint8_t h[32];
    hash_of(d, m, h);
    assert_memory_equal(e->hash, h, 32);
}

/* The tender as stored now (its events hash it so). */
static void stored_tender(const char *id, tender_tenders_v1_Tender *t)
{
    MDB_txn *txn;
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    tender_tenders_v1_Tender_init(t);
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    assert_int_equal(tnd_store_get_msg(ts.srv->store, txn, TND_TABLE_TENDERS, key,
                                       tnd_key_tenders(key, id), T_DESC, t),
                     0);
    tnd_store_read_end(ts.srv->store, txn);
}

static void list(scn_conn *c, const char *id, tender_awards_v1_AwardList *l)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    tender_awards_v1_AwardList_init(l);
    if (scn_call(c, A(List), &tender_tenders_v1_TenderRef_desc, &r,
                 &tender_awards_v1_AwardList_desc, l) != 0)
        fail_msg("list: %s", scn_msg);
}

static int cancel(scn_conn *c, const char *tender, const char *lot, tender_awards_v1_Award *out)
{
    tender_awards_v1_CancelAwardRequest q = {.tender_id = (char *)tender,
                                             .reason = "complaint upheld",
                                             .reason_code =
                                                 tender_common_v1_CancelReason_COMPLAINT_UPHELD,
                                             .lot_id = (char *)lot};
    if (out)
        tender_awards_v1_Award_init(out);
    return scn_call(c, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &q, out ? AWARD : NULL,
                    out);
}

/* Two lots, two winners; L1's award cancelled in its standstill and
 * recorded again, so the standstills end at different times: L2's while
 * the server runs, L1's while it is down (completed at start-up). */
static void test_two_lots_two_winners_across_a_restart(void **state)
{
    world *w = *state;
    opened(w, 2);
    /* supplier: L1 100000, L2 200000; supplier2: L1 150000, L2 180000. */
    line lines[2][2] = {{{"L1", 100000, NULL}, {"L2", 200000, NULL}},
                        {{"L1", 150000, NULL}, {"L2", 180000, NULL}}};
    with_lot_lines(w, lines);
    const char *s1 = w->ids[0], *s2 = w->ids[1];
    dec x1, x2;
    dec_init(&x1, w, "L1", s1);
    dec_valid(&x1, s1, 100000);
    dec_valid(&x1, s2, 150000);
    dec_init(&x2, w, "L2", s2);
    dec_valid(&x2, s1, 200000);
    dec_valid(&x2, s2, 180000);

    /* The lot is required, and one of the tender's. */
    dec bad = x1;
    bad.d.evaluations = bad.ev;
    bad.d.lot_id = NULL;
    expect(record(&w->off, &bad, NULL), TND_STATUS_INVALID_ARGUMENT, "lot_id: required");
    bad.d.lot_id = "L9";
    expect(record(&w->off, &bad, NULL), TND_STATUS_FAILED_PRECONDITION, "has no lot L9");
    /* L1's prices, not L2's. */
    bad.d.lot_id = "L2";
    expect(record(&w->off, &bad, NULL), TND_STATUS_FAILED_PRECONDITION,
           "differs from the opening record's 200000 KRW");

    tender_awards_v1_Award a1, a2, a3;
    if (record(&w->off, &x1, &a1) != 0)
        fail_msg("L1: %s", scn_msg);
    assert_int_equal(a1.state, tender_awards_v1_AwardState_STANDSTILL);
    assert_string_equal(a1.decision->lot_id, "L1");
    expect_last_event(w->t.id, 0, EVK(AWARD_RECORDED), a1.id, AWARD, &a1);
    expect_states(w, TST(AWARDED), LOT(AWARDED), LOT(ACTIVE));
    /* One award in force per lot. */
    expect(record(&w->off, &x1, NULL), TND_STATUS_FAILED_PRECONDITION, "lot L1 of tender");
    testsrv_advance(&ts, 300);
    if (record(&w->off, &x2, &a2) != 0)
        fail_msg("L2: %s", scn_msg);
    assert_string_not_equal(a2.id, a1.id);
    assert_string_equal(a2.decision->winner, s2);
    expect_states(w, TST(AWARDED), LOT(AWARDED), LOT(AWARDED));

    /* Cancel needs the lot with lots; L1's award is cancelled, L2's stands. */
    expect(cancel(&w->off, w->t.id, NULL, NULL), TND_STATUS_INVALID_ARGUMENT, "lot_id: required");
    expect(cancel(&w->off, w->t.id, "L9", NULL), TND_STATUS_NOT_FOUND, "has no lot L9");
    testsrv_advance(&ts, 200);
    tender_awards_v1_Award c1;
    if (cancel(&w->off, w->t.id, "L1", &c1) != 0)
        fail_msg("cancel L1: %s", scn_msg);
    assert_string_equal(c1.id, a1.id);
    assert_int_equal(c1.state, tender_awards_v1_AwardState_CANCELLED);
    expect_last_event(w->t.id, 0, EVK(AWARD_CANCELLED), a1.id, AWARD, &c1);
    tender_awards_v1_Award_free(&c1);
    expect_states(w, TST(AWARDED), LOT(ACTIVE), LOT(AWARDED));
    expect(cancel(&w->off, w->t.id, "L1", NULL), TND_STATUS_FAILED_PRECONDITION,
           "lot L1 of tender");
    /* Recorded again: its standstill ends after L2's. */
    testsrv_advance(&ts, 100);
    x1.d.rationale = "lowest valid price, after review";
    if (record(&w->off, &x1, &a3) != 0)
        fail_msg("L1 again: %s", scn_msg);
    assert_true(tnd_ts_ms(a3.standstill_end) > tnd_ts_ms(a2.standstill_end));

    /* Awards/List: each lot's latest decision, in lot order. */
    tender_awards_v1_AwardList l;
    list(&w->anon, w->t.id, &l);
    assert_int_equal(l.n_awards, 2);
    assert_string_equal(l.awards[0].id, a3.id);
    assert_string_equal(l.awards[1].id, a2.id);
    tender_awards_v1_AwardList_free(&l);

    /* L2's standstill ends: the lot is complete, the tender still awarded. */
    testsrv_advance_to(&ts, tnd_ts_ms(a2.standstill_end));
    expect_states(w, TST(AWARDED), LOT(AWARDED), LOT(COMPLETE));
    tender_awards_v1_AwardRef ref = {.id = a2.id};
    tender_awards_v1_Award f2;
    tender_awards_v1_Award_init(&f2);
    assert_int_equal(
        scn_call(&w->anon, A(GetById), &tender_awards_v1_AwardRef_desc, &ref, AWARD, &f2), 0);
    assert_int_equal(f2.state, tender_awards_v1_AwardState_FINAL);
    expect_last_event(w->t.id, 0, EVK(LOT_COMPLETED), a2.id, AWARD, &f2);
    tender_awards_v1_Award_free(&f2);
    expect(cancel(&w->off, w->t.id, "L2", NULL), TND_STATUS_FAILED_PRECONDITION, "is complete");

    /* Down across L1's standstill end: completed at start-up. */
    close_all(w);
    testsrv_halt(&ts);
    testsrv_advance(&ts, STANDSTILL);
    testsrv_start(&ts, cfg, NULL);
    connect_all(w);
    tender_tenders_v1_Tender t;
    int st = 0;
    for (int i = 0; i < 100; i++) {
        scn_get_tender(&w->anon, w->t.id, &t);
        st = (int)t.status;
        tender_tenders_v1_Tender_free(&t);
        if (st == TST(COMPLETE))
            break;
        usleep(20000);
    }
    expect_states(w, TST(COMPLETE), LOT(COMPLETE), LOT(COMPLETE));
    list(&w->anon, w->t.id, &l);
    assert_int_equal(l.n_awards, 2);
    assert_int_equal(l.awards[0].state, tender_awards_v1_AwardState_FINAL);
    assert_int_equal(l.awards[1].state, tender_awards_v1_AwardState_FINAL);
    /* LOT_COMPLETED for L1's award, then the tender's TENDER_COMPLETED. */
    expect_last_event(w->t.id, 1, EVK(LOT_COMPLETED), a3.id, AWARD, &l.awards[0]);
    stored_tender(w->t.id, &t);
    expect_last_event(w->t.id, 0, EVK(TENDER_COMPLETED), "", T_DESC, &t);
    tender_tenders_v1_Tender_free(&t);
    tender_awards_v1_AwardList_free(&l);
    /* Awards/Get: the latest decision of the tender. */
    tender_tenders_v1_TenderRef r = {.id = w->t.id};
    tender_awards_v1_Award g;
    tender_awards_v1_Award_init(&g);
    assert_int_equal(scn_call(&w->anon, A(Get), &tender_tenders_v1_TenderRef_desc, &r, AWARD, &g),
                     0);
    assert_string_equal(g.id, a3.id);
    tender_awards_v1_Award_free(&g);
    expect(record(&w->off, &x1, NULL), TND_STATUS_FAILED_PRECONDITION, "is complete");
    tender_awards_v1_Award_free(&a1);
    tender_awards_v1_Award_free(&a2);
    tender_awards_v1_Award_free(&a3);
}

/* L2 has no valid bid: LOT_UNSUCCESSFUL while L1's award stands; the tender
 * completes with L1. */
static void test_an_unsuccessful_lot_beside_an_awarded_one(void **state)
{
    world *w = *state;
    opened(w, 2);
    line lines[2][2] = {{{"L1", 100000, NULL}, {NULL, 0, NULL}},
                        {{"L2", 700000, "the price is above the lot's value"}, {NULL, 0, NULL}}};
    with_lot_lines(w, lines);
    const char *s1 = w->ids[0], *s2 = w->ids[1];
    dec x1, x2;
    dec_init(&x1, w, "L1", s1);
    dec_valid(&x1, s1, 100000);
    tender_awards_v1_Award a1, a2;
    if (record(&w->off, &x1, &a1) != 0)
        fail_msg("L1: %s", scn_msg);
    dec_init(&x2, w, "L2", NULL);
    /* Only the bids that answered L2 are evaluated. */
    dec_out(&x2, s1, "no price for the lot");
    expect(record(&w->off, &x2, NULL), TND_STATUS_FAILED_PRECONDITION, "did not answer lot L2");
    dec_init(&x2, w, "L2", NULL);
    dec_out(&x2, s2, "the price is above the lot's value");
    if (record(&w->off, &x2, &a2) != 0)
        fail_msg("L2: %s", scn_msg);
    assert_int_equal(a2.state, tender_awards_v1_AwardState_UNSUCCESSFUL);
    expect_last_event(w->t.id, 0, EVK(LOT_UNSUCCESSFUL), a2.id, AWARD, &a2);
    expect_states(w, TST(AWARDED), LOT(AWARDED), LOT(UNSUCCESSFUL));
    expect(cancel(&w->off, w->t.id, "L2", NULL), TND_STATUS_FAILED_PRECONDITION, "is unsuccessful");
    testsrv_advance_to(&ts, tnd_ts_ms(a1.standstill_end));
    expect_states(w, TST(COMPLETE), LOT(COMPLETE), LOT(UNSUCCESSFUL));
    tender_tenders_v1_Tender t;
    stored_tender(w->t.id, &t);
    expect_last_event(w->t.id, 0, EVK(TENDER_COMPLETED), "", T_DESC, &t);
    tender_tenders_v1_Tender_free(&t);
    tender_awards_v1_Award_free(&a1);
    tender_awards_v1_Award_free(&a2);
}

/* Every lot unsuccessful: the tender is, with TENDER_UNSUCCESSFUL. */
static void test_every_lot_unsuccessful(void **state)
{
    world *w = *state;
    opened(w, 2);
    line lines[2][2] = {{{"L1", 100000, "another currency"}, {NULL, 0, NULL}},
                        {{"L2", 700000, "the price is above the lot's value"}, {NULL, 0, NULL}}};
    with_lot_lines(w, lines);
    dec x;
    dec_init(&x, w, "L1", NULL);
    /* Valid as a bid, not for the lot: it cannot be valid here. */
    dec_valid(&x, w->ids[0], 100000);
    expect(record(&w->off, &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "is not valid for lot L1 at the opening (another currency)");
    dec_init(&x, w, "L1", NULL);
    dec_out(&x, w->ids[0], "another currency");
    assert_int_equal(record(&w->off, &x, NULL), 0);
    expect_states(w, TST(OPENED), LOT(UNSUCCESSFUL), LOT(ACTIVE));
    dec_init(&x, w, "L2", NULL);
    dec_out(&x, w->ids[1], "above the lot's value");
    assert_int_equal(record(&w->off, &x, NULL), 0);
    expect_states(w, TST(UNSUCCESSFUL), LOT(UNSUCCESSFUL), LOT(UNSUCCESSFUL));
    tender_tenders_v1_Tender t;
    stored_tender(w->t.id, &t);
    expect_last_event(w->t.id, 0, EVK(TENDER_UNSUCCESSFUL), "", T_DESC, &t);
    tender_tenders_v1_Tender_free(&t);
}

/* A tender without lots: a lot_id is refused; Awards/List gives its
 * latest decision. */
static void test_no_lots_refuses_a_lot(void **state)
{
    world *w = *state;
    opened(w, 0);
    tender_awards_v1_AwardList l;
    list(&w->anon, w->t.id, &l);
    assert_int_equal(l.n_awards, 0);
    tender_awards_v1_AwardList_free(&l);
    dec x;
    dec_init(&x, w, "L1", w->ids[0]);
    dec_valid(&x, w->ids[0], 100000);
    dec_valid(&x, w->ids[1], 150000);
    expect(record(&w->off, &x, NULL), TND_STATUS_INVALID_ARGUMENT, "has no lots");
    x.d.lot_id = NULL;
    tender_awards_v1_Award a;
    if (record(&w->off, &x, &a) != 0)
        fail_msg("award: %s", scn_msg);
    expect(cancel(&w->off, w->t.id, "L1", NULL), TND_STATUS_INVALID_ARGUMENT, "has no lots");
    list(&w->anon, w->t.id, &l);
    assert_int_equal(l.n_awards, 1);
    assert_string_equal(l.awards[0].id, a.id);
    tender_awards_v1_AwardList_free(&l);
    tender_awards_v1_Award_free(&a);
    tender_tenders_v1_TenderRef r = {.id = "T-none"};
    expect(scn_call(&w->anon, A(List), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL),
           TND_STATUS_NOT_FOUND, "not found");
}

/* Schedule entries lost from the store (deleted by hand) are put back from
 * the lots' awards at start-up, and both standstills still end. */
static void test_lost_lot_standstills_are_restored(void **state)
{
    world *w = *state;
    opened(w, 2);
    line lines[2][2] = {{{"L1", 100000, NULL}, {NULL, 0, NULL}},
                        {{"L2", 180000, NULL}, {NULL, 0, NULL}}};
    with_lot_lines(w, lines);
    dec x1, x2;
    dec_init(&x1, w, "L1", w->ids[0]);
    dec_valid(&x1, w->ids[0], 100000);
    dec_init(&x2, w, "L2", w->ids[1]);
    dec_valid(&x2, w->ids[1], 180000);
    tender_awards_v1_Award a1, a2;
    assert_int_equal(record(&w->off, &x1, &a1), 0);
    testsrv_advance(&ts, 100);
    assert_int_equal(record(&w->off, &x2, &a2), 0);

    close_all(w);
    testsrv_halt(&ts);
    char db[300];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "schedule", 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    MDB_val k, v;
    int gone = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t il = strlen(w->t.id);
        if (k.mv_size > 8 + il && memcmp((char *)k.mv_data + 8, w->t.id, il) == 0) {
            assert_int_equal(v.mv_size, 1);
            assert_int_equal(*(char *)v.mv_data, TND_SCHEDULE_LOT_STANDSTILL);
            assert_int_equal(mdb_cursor_del(cur, 0), 0);
            gone++;
        }
    }
    mdb_cursor_close(cur);
    assert_int_equal(gone, 2);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    testsrv_start(&ts, cfg, NULL);
    connect_all(w);

    testsrv_advance_to(&ts, tnd_ts_ms(a1.standstill_end));
    expect_states(w, TST(AWARDED), LOT(COMPLETE), LOT(AWARDED));
    testsrv_advance_to(&ts, tnd_ts_ms(a2.standstill_end));
    expect_states(w, TST(COMPLETE), LOT(COMPLETE), LOT(COMPLETE));
    tender_awards_v1_Award_free(&a1);
    tender_awards_v1_Award_free(&a2);
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_two_lots_two_winners_across_a_restart),
        TEST(test_an_unsuccessful_lot_beside_an_awarded_one),
        TEST(test_every_lot_unsuccessful),
        TEST(test_no_lots_refuses_a_lot),
        TEST(test_lost_lot_standstills_are_restored),
    };
    return cmocka_run_group_tests_name("award_lots", tests, group_setup, group_teardown);
}
