/* End-to-end tests of the award hold on an in-process server with a manual
 * clock: a complaint about an award stops the award from completing at
 * the end of its standstill while it is submitted, accepted or satisfied;
 * its rejection, refusal or withdrawal (the last holding one) completes
 * the award in the same write's schedule; a satisfied one holds until the
 * officer cancels the award, which Awards/Cancel still allows past the
 * standstill; the hold survives a restart, and the start-up check does not
 * count a held award's consumed entry as missing; a lot's award is held
 * alone while the tender's other lot completes. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awards/awards.h"
#include "complaintfix.h"
#include "lotfix.h"
#include "svc/svc.h"
#include "tender/complaint.h"

#define SUB TND_COMPLAINT_SUBJECT
#define OUT TND_REVIEW_OUTCOME
#define EV(x) tender_events_v1_EventKind_##x
#define TST(x) tender_tenders_v1_TenderStatus_##x
#define AST(x) tender_awards_v1_AwardState_##x
#define LOT(x) tender_tenders_v1_LotStatus_LOT_##x
#define STANDSTILL 3000

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = STANDSTILL;
}

static int setup(void **state)
{
    cfx_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    cfx_connect(&ts, w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    cfx_world *w = *state;
    cfx_close(w);
    free(w);
    return 0;
}

TESTSRV_MANUAL_GROUP(ts, cfg)

static int award_state(scn_conn *c, const char *award_id)
{
    tender_awards_v1_AwardRef r = {.id = (char *)award_id};
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    if (scn_call(c, "tender.awards.v1.Awards/GetById", &tender_awards_v1_AwardRef_desc, &r,
                 &tender_awards_v1_Award_desc, &a) != 0)
        fail_msg("get award: %s", scn_msg);
    int st = (int)a.state;
    tender_awards_v1_Award_free(&a);
    return st;
}

/* An opened tender awarded to the supplier, and supplier2's complaint
 * about the award: its id into id. */
static void held(cfx_world *w, tender_awards_v1_Award *a, char id[96])
{
    cfx_opened(&ts, w, 1200, 1400, 2);
    cfx_award(&ts, w, a);
    tender_complaints_v1_Complaint k;
    if (cfx_file(&w->sup2, w->t.id, SUB(AWARD), a->id, NULL, NULL, &k) != 0)
        fail_msg("file: %s", scn_msg);
    snprintf(id, 96, "%s", k.id);
    tender_complaints_v1_Complaint_free(&k);
}

static void expect_held(cfx_world *w, const tender_awards_v1_Award *a)
{
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(AWARDED));
    assert_int_equal(award_state(&w->anon, a->id), AST(STANDSTILL));
    tender_events_v1_Event ev;
    assert_false(cfx_event(&ts, w->t.id, EV(TENDER_COMPLETED), a->id, &ev));
}

static void expect_complete(cfx_world *w, const tender_awards_v1_Award *a)
{
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(COMPLETE));
    assert_int_equal(award_state(&w->anon, a->id), AST(FINAL));
    tender_events_v1_Event ev;
    assert_true(cfx_event(&ts, w->t.id, EV(TENDER_COMPLETED), a->id, &ev));
    tender_events_v1_Event_free(&ev);
}

/* Held past its standstill while submitted and accepted; the rejection
 * completes it at once. */
static void test_a_held_award_completes_when_the_complaint_is_rejected(void **state)
{
    cfx_world *w = *state;
    tender_awards_v1_Award a;
    char id[96];
    held(w, &a, id);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 10);
    expect_held(w, &a);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(ACCEPT), false, NULL),
                     0);
    testsrv_advance(&ts, 1000);
    expect_held(w, &a);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(REJECT), false, NULL),
                     0);
    testsrv_advance(&ts, 1); /* lets the kicked scheduler's write commit */
    expect_complete(w, &a);
    tender_awards_v1_Award_free(&a);
}

/* Two complaints: refusing one leaves the other holding; withdrawing the
 * last lifts the hold. A hold lifted before the standstill's end completes
 * at its end, not before. */
static void test_the_last_hold_lifting_completes_the_award(void **state)
{
    cfx_world *w = *state;
    tender_awards_v1_Award a;
    char first[96];
    held(w, &a, first);
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, NULL, &k), 0);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 10);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", first, w->t.id, OUT(REFUSE), false, NULL),
                     0);
    testsrv_advance(&ts, 1);
    expect_held(w, &a);
    assert_int_equal(cfx_withdraw(&w->sup, k.id, NULL), 0);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance(&ts, 1);
    expect_complete(w, &a);
    tender_awards_v1_Award_free(&a);

    /* Withdrawn early: the standstill runs to its end as usual. */
    char id[96];
    held(w, &a, id);
    assert_int_equal(cfx_withdraw(&w->sup2, id, NULL), 0);
    testsrv_advance(&ts, 1);
    expect_held(w, &a);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end));
    expect_complete(w, &a);
    tender_awards_v1_Award_free(&a);
}

/* Satisfied: held until the officer cancels the award, after its
 * standstill's end too; then nothing completes. */
static void test_a_satisfied_complaint_holds_until_the_officer_cancels(void **state)
{
    cfx_world *w = *state;
    tender_awards_v1_Award a;
    char id[96];
    held(w, &a, id);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(ACCEPT), false, NULL),
                     0);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(SATISFY), false, NULL),
                     0);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 1000);
    expect_held(w, &a);
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = w->t.id,
                                              .reason = "the review body upheld a complaint",
                                              .reason_code =
                                                  tender_common_v1_CancelReason_COMPLAINT_UPHELD};
    if (scn_call(&w->off, "tender.awards.v1.Awards/Cancel",
                 &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL) != 0)
        fail_msg("cancel: %s", scn_msg);
    assert_int_equal(award_state(&w->anon, a.id), AST(CANCELLED));
    testsrv_advance(&ts, STANDSTILL);
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(OPENED));
    tender_events_v1_Event ev;
    assert_false(cfx_event(&ts, w->t.id, EV(TENDER_COMPLETED), a.id, &ev));
    tender_awards_v1_Award_free(&a);
}

/* The server stops while the award is held and its standstill ends while
 * it is down: at start-up it stays held; the rejection completes it. */
static void test_the_hold_survives_a_restart(void **state)
{
    cfx_world *w = *state;
    tender_awards_v1_Award a;
    char id[96];
    held(w, &a, id);
    cfx_close(w);
    testsrv_halt(&ts);
    testsrv_advance(&ts, STANDSTILL + 500);
    testsrv_start(&ts, cfg, NULL);
    cfx_connect(&ts, w);
    testsrv_advance(&ts, 100);
    expect_held(w, &a);
    cfx_close(w);
    testsrv_restart(&ts); /* the entry consumed: nothing to restore, nothing completes */
    cfx_connect(&ts, w);
    testsrv_advance(&ts, 100);
    expect_held(w, &a);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(REFUSE), false, NULL),
                     0);
    testsrv_advance(&ts, 1);
    expect_complete(w, &a);
    tender_awards_v1_Award_free(&a);
}

/* ---- a tender in lots ---- */

static void money(tender_common_v1_Money **m, int64_t minor)
{
    *m = calloc(1, sizeof **m);
    (*m)->minor_units = minor;
    (*m)->currency = strdup("KRW");
}

/* Lots L1 and L2; the supplier bids for both, supplier2 for L2 alone (the
 * opening's lines written by lotfix_write while the server is down). */
static void lots_opened(cfx_world *w)
{
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &w->t, "Lots", 1200, 1400, &q);
    money(&q.fields->estimated_value, 1000000);
    q.fields->lots = calloc(2, sizeof *q.fields->lots);
    q.fields->n_lots = 2;
    for (size_t i = 0; i < 2; i++) {
        q.fields->lots[i].id = strdup(i ? "L2" : "L1");
        q.fields->lots[i].title = strdup(i ? "South roads" : "North roads");
        money(&q.fields->lots[i].value, 500000);
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
        c.lot_prices = calloc(2, sizeof *c.lot_prices);
        c.n_lot_prices = 2;
        for (size_t k = 0; k < 2; k++) {
            c.lot_prices[k].lot_id = strdup(k ? "L2" : "L1");
            money(&c.lot_prices[k].price, 100000 + 10000 * (int64_t)(i + k));
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
    cfx_close(w);
    testsrv_halt(&ts);
    char db[300];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    const char *ids[2] = {w->ids[0], w->ids[1]};
    const lotfix_line lines[2][2] = {{{"L1", 100000, NULL}, {"L2", 190000, NULL}},
                                     {{"L2", 180000, NULL}, {NULL, 0, NULL}}};
    lotfix_write(db, w->t.id, ids, lines);
    testsrv_start(&ts, cfg, NULL);
    cfx_connect(&ts, w);
}

/* The officer's award of lot to winner, the evaluations given. */
static void lot_award(cfx_world *w, const char *lot, const char *winner,
                      tender_awards_v1_BidEvaluation *ev, size_t n, tender_awards_v1_Award *a)
{
    tender_awards_v1_Decision d = {.tender_id = w->t.id,
                                   .lot_id = (char *)lot,
                                   .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                   .winner = (char *)winner,
                                   .rationale = "lowest valid price for the lot",
                                   .evaluations = ev,
                                   .n_evaluations = n};
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &d, &buf, &len, NULL), 0);
    EVP_PKEY *k = scn_load_key(&ts, "officer");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_awards_v1_AwardRequest r = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award_init(a);
    if (scn_call(&w->off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &r,
                 &tender_awards_v1_Award_desc, a) != 0)
        fail_msg("award %s: %s", lot, scn_msg);
}

static int lot_status(cfx_world *w, const char *lot)
{
    tender_tenders_v1_Tender t;
    scn_get_tender(&w->anon, w->t.id, &t);
    int st = -1;
    for (size_t i = 0; i < t.n_lot_states; i++)
        if (strcmp(t.lot_states[i].lot_id, lot) == 0)
            st = (int)t.lot_states[i].status;
    tender_tenders_v1_Tender_free(&t);
    return st;
}

/* Entries the start-up check would put back for t's lot awards. */
static int lot_entries_missing(const char *tender_id)
{
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(
        tnd_tender_read_visible(ts.srv->store, txn, tender_id, &(tnd_peer_identity){0}, &t), 0);
    int n = tnd_award_lot_schedule_missing(ts.srv->store, txn, NULL, &t);
    tnd_store_read_end(ts.srv->store, txn);
    tender_tenders_v1_Tender_free(&t);
    return n;
}

/* Only a bidder of the lot complains about its award; the held lot stays
 * awarded while the other completes, across a restart, with no entry
 * counted missing; the rejection completes the lot and the tender. */
static void test_a_lot_award_is_held_alone(void **state)
{
    cfx_world *w = *state;
    lots_opened(w);
    tender_common_v1_Money p[3] = {{.minor_units = 100000, .currency = "KRW"},
                                   {.minor_units = 180000, .currency = "KRW"},
                                   {.minor_units = 190000, .currency = "KRW"}};
    tender_awards_v1_BidEvaluation e1[1] = {{.bid_id = w->ids[0], .valid = true, .price = &p[0]}};
    tender_awards_v1_BidEvaluation e2[2] = {{.bid_id = w->ids[0], .valid = true, .price = &p[2]},
                                            {.bid_id = w->ids[1], .valid = true, .price = &p[1]}};
    tender_awards_v1_Award a1, a2;
    lot_award(w, "L1", w->ids[0], e1, 1, &a1);
    lot_award(w, "L2", w->ids[1], e2, 2, &a2);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(AWARD), a1.id, NULL, NULL, NULL),
               TND_STATUS_PERMISSION_DENIED, "only a bidder of lot L1 of tender");
    tender_complaints_v1_Complaint k;
    if (cfx_file(&w->sup, w->t.id, SUB(AWARD), a2.id, NULL, NULL, &k) != 0)
        fail_msg("file: %s", scn_msg);
    assert_string_equal(k.lot_id, "L2");
    char id[96];
    snprintf(id, sizeof id, "%s", k.id);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance_to(&ts, tnd_ts_ms(a2.standstill_end) + 10);
    assert_int_equal(lot_status(w, "L1"), LOT(COMPLETE));
    assert_int_equal(lot_status(w, "L2"), LOT(AWARDED));
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(AWARDED));
    assert_int_equal(lot_entries_missing(w->t.id), 0);
    cfx_close(w);
    testsrv_restart(&ts);
    cfx_connect(&ts, w);
    testsrv_advance(&ts, 100);
    assert_int_equal(lot_status(w, "L2"), LOT(AWARDED));
    assert_int_equal(award_state(&w->anon, a2.id), AST(STANDSTILL));
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(ACCEPT), false, NULL),
                     0);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(REJECT), false, NULL),
                     0);
    testsrv_advance(&ts, 1);
    assert_int_equal(lot_status(w, "L2"), LOT(COMPLETE));
    assert_int_equal(award_state(&w->anon, a2.id), AST(FINAL));
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(COMPLETE));
    tender_awards_v1_Award_free(&a1);
    tender_awards_v1_Award_free(&a2);
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_a_held_award_completes_when_the_complaint_is_rejected),
        TEST(test_the_last_hold_lifting_completes_the_award),
        TEST(test_a_satisfied_complaint_holds_until_the_officer_cancels),
        TEST(test_the_hold_survives_a_restart),
        TEST(test_a_lot_award_is_held_alone),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
