/* End-to-end tests of awards on an in-process server: a tender opened with
 * three bids (two valid, one that fails at the opening); every refusal of a
 * decision that contradicts the opening record, of other organisations and
 * of bad signatures; an award, its cancellation during the standstill, a
 * second award completed across a restart by the persistent schedule; an
 * unsuccessful tender; a weighted award on a tender that published its
 * criteria and weights; and the events of each step with the award's hash.
 * Each test opens its own tender on the group's server. */
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
#include "rawconn.h"
#include "scenario.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define A(name) "tender.awards.v1.Awards/" #name
#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define MARKER "award-test"
#define AW_DESC (&tender_awards_v1_AwardRequest_desc)
#define AWARD (&tender_awards_v1_Award_desc)

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = 1000; /* short, so the completion can be watched */
}

/* One test's world: a connection per identity and its opened tender. */
typedef struct world {
    scn_conn off, off2, sup, aud, anon;
    scn_tender t;
    char ids[3][40]; /* the bids, as opened_tender took them */
} world;

static void connect_all(world *w)
{
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->off2, "officer2");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->aud, "auditor");
    scn_connect(&ts, &w->anon, NULL);
}

static void close_all(world *w)
{
    scn_conn *cs[] = {&w->off, &w->off2, &w->sup, &w->aud, &w->anon};
    for (size_t i = 0; i < 5; i++)
        rawconn_close(&cs[i]->rc);
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

/* Seal who's bid for price (minor units) to t; tamper: the envelope is then
 * well signed but does not decrypt. */
static void seal_bid(const scn_tender *t, const char *who, int64_t price,
                     tender_bids_v1_SealedBid *b, uint8_t nonce[32], char id[40], bool tamper)
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 1; /* the version published, never amended here */
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = price;
    c.price->currency = strdup("KRW");
    c.notes = strdup(MARKER);
    c.supplier_org = strdup(who);
    c.supplier_name = strdup(who); /* no documents: test_bids seals them */
    assert_int_equal(testsrv_seal_certs(&ts, who, &c), 0);
    scn_seal(&ts, t, who, &c, NULL, b, nonce, id);
    if (tamper)
        scn_tamper(&ts, who, b);
    tender_bids_v1_BidContent_free(&c);
}

/* Publish a tender (with the award criteria cr, when n_cr > 0), take bids
 * (price 0: a tampered bid that fails at the opening), wait for the opening
 * time and open with two shares. w->ids[i] receives the bid ids. */
static void opened_tender(world *w, const char *const *who, const int64_t *price, size_t n,
                          const tender_tenders_v1_AwardCriterion *cr, size_t n_cr)
{
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &w->t, "Awards", 1200, 1400, &q);
    if (n_cr) {
        q.fields->award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED;
        q.fields->criteria = calloc(n_cr, sizeof *q.fields->criteria);
        q.fields->n_criteria = n_cr;
        for (size_t i = 0; i < n_cr; i++) {
            q.fields->criteria[i].name = strdup(cr[i].name);
            q.fields->criteria[i].weight = cr[i].weight;
        }
    }
    scn_tender_create(&w->off, &q, w->t.id);
    scn_tender_publish(&w->off, w->t.id);
    for (size_t i = 0; i < n; i++) {
        scn_conn s;
        scn_connect(&ts, &s, who[i]);
        tender_bids_v1_SealedBid b;
        uint8_t nonce[32];
        seal_bid(&w->t, who[i], price[i] ? price[i] : 5, &b, nonce, w->ids[i], price[i] == 0);
        if (scn_submit(&s, &b, nonce, NULL, NULL, NULL) != 0)
            fail_msg("submit: %s", scn_msg);
        tender_bids_v1_SealedBid_free(&b);
        rawconn_close(&s.rc);
    }
    scn_open(&ts, &w->off, &w->aud, &w->t);
}

/* The usual three bids: the supplier's at 100000, supplier2's at 150000
 * and supplier2's tampered one; w->ids in that order. */
static void opened_with_three_bids(world *w)
{
    const char *who[] = {"supplier", "supplier2", "supplier2"};
    const int64_t price[] = {100000, 150000, 0};
    opened_tender(w, who, price, 3, NULL, 0);
}

/* A decision under construction: up to 8 evaluations. */
typedef struct dec {
    tender_awards_v1_Decision d;
    tender_awards_v1_BidEvaluation ev[8];
    tender_common_v1_Money price[8];
} dec;

static void dec_init(dec *x, const char *tender_id, const char *winner, const char *rationale)
{
    memset(x, 0, sizeof *x);
    x->d.tender_id = (char *)tender_id;
    x->d.criterion = tender_awards_v1_Criterion_LOWEST_PRICE;
    x->d.winner = (char *)winner;
    x->d.rationale = (char *)rationale;
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

/* Sign with who's certificate key and send as c. */
static int record_as(scn_conn *c, const char *signer, const dec *x, tender_awards_v1_Award *out)
{
    uint8_t *buf, sig[64];
    size_t len, sl = 64;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &x->d, &buf, &len, NULL), 0);
    EVP_PKEY *k = scn_load_key(&ts, signer);
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

static int status_of(scn_conn *c, const char *tender_id)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)tender_id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(c, T(Get), &tender_tenders_v1_TenderRef_desc, &r,
                              &tender_tenders_v1_Tender_desc, &t),
                     0);
    int st = (int)t.status;
    tender_tenders_v1_Tender_free(&t);
    return st;
}

static void get_award(scn_conn *c, const char *tender_id, tender_awards_v1_Award *a)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)tender_id};
    tender_awards_v1_Award_init(a);
    if (scn_call(c, A(Get), &tender_tenders_v1_TenderRef_desc, &r, AWARD, a) != 0)
        fail_msg("get award: %s", scn_msg);
}

/* The last event of kind k about tender_id, with its object hash. */
static bool find_event(const char *tender_id, int kind, const char *object_id, uint8_t hash[32])
{
    MDB_txn *txn;
    MDB_cursor *cur;
    bool found = false;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(ts.srv->store, TND_TABLE_EVENTS), &cur), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST); rc == 0 && !found;
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        if (tnd_msg_decode(&tender_events_v1_Event_desc, v.mv_data, v.mv_size, &ev, NULL) == 0 &&
            (int)ev.kind == kind && strcmp(ev.tender_id, tender_id) == 0 &&
            strcmp(ev.object_id ? ev.object_id : "", object_id) == 0 && ev.object_hash.len == 32) {
            memcpy(hash, ev.object_hash.data, 32);
            found = true;
        }
        tender_events_v1_Event_free(&ev);
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(ts.srv->store, txn);
    return found;
}

/* The event of kind k carries the hash of award a as it was then. */
static void expect_event(const char *tender_id, int kind, const tender_awards_v1_Award *a)
{
    uint8_t h[32], *buf;
    size_t len;
    if (!find_event(tender_id, kind, a->id, h))
        fail_msg("no event %d for %s", kind, a->id);
    assert_int_equal(tnd_msg_encode(AWARD, a, &buf, &len, NULL), 0);
    uint8_t want[32];
    SHA256(buf, len, want);
    free(buf);
    assert_memory_equal(h, want, 32);
}

static void cert_key(const char *who, uint8_t pub[32])
{
    EVP_PKEY *k = scn_load_key(&ts, who);
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    EVP_PKEY_free(k);
}

/* The correct decision on opened_with_three_bids: the lowest valid price. */
static void good(dec *x, const world *w)
{
    dec_init(x, w->t.id, w->ids[0], "lowest valid price");
    dec_valid(x, w->ids[0], 100000);
    dec_valid(x, w->ids[1], 150000);
    dec_out(x, w->ids[2], "could not be decrypted");
}

/* Record the correct decision as the officer; the award into a. */
static void award(world *w, tender_awards_v1_Award *a)
{
    dec x;
    good(&x, w);
    if (record_as(&w->off, "officer", &x, a) != 0)
        fail_msg("award: %s", scn_msg);
}

/* The correct decision, refused to others. */
static void test_only_the_tenders_officer_records_an_award(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    dec x;
    good(&x, w);
    expect(record_as(&w->off2, "officer2", &x, NULL), TND_STATUS_PERMISSION_DENIED,
           "only its officers");
    expect(record_as(&w->sup, "supplier", &x, NULL), TND_STATUS_PERMISSION_DENIED, "");
    expect(record_as(&w->anon, "officer", &x, NULL), TND_STATUS_UNAUTHENTICATED, "");
    /* Signed by someone else's key: the signature must be the caller's. */
    expect(record_as(&w->off, "officer2", &x, NULL), TND_STATUS_INVALID_ARGUMENT,
           "does not verify");
}

/* Decisions that contradict the opening record: the tender stays opened. */
static void test_a_decision_must_agree_with_the_opening_record(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    scn_conn *off = &w->off;
    const char *low = w->ids[0], *high = w->ids[1], *bad = w->ids[2];
    dec x;
    dec_init(&x, w->t.id, "B-00000000000000000000000000000000", "r");
    dec_valid(&x, low, 100000);
    dec_valid(&x, high, 150000);
    dec_out(&x, bad, "failed");
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "winner B-00000000000000000000000000000000 is not an opened bid");
    good(&x, w);
    x.ev[0] = (tender_awards_v1_BidEvaluation){.bid_id = (char *)low, .reason = "late papers"};
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "is disqualified in this decision");
    good(&x, w);
    x.d.winner = (char *)high;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "not the lowest valid price: bid");
    good(&x, w);
    x.price[1].minor_units = 140000;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "price 140000 KRW differs from the opening record's 150000 KRW");
    good(&x, w);
    x.price[0].currency = "EUR";
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "differs from the opening record");
    good(&x, w);
    x.d.n_evaluations = 2; /* the failed bid left out */
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, "skips opened bid");
    good(&x, w);
    x.ev[2] = (tender_awards_v1_BidEvaluation){
        .bid_id = (char *)bad, .valid = true, .price = &x.price[2]};
    x.price[2] = (tender_common_v1_Money){.minor_units = 5, .currency = "KRW"};
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "is not valid at the opening");
    good(&x, w);
    dec_out(&x, "B-ffffffffffffffffffffffffffffffff", "x");
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "was not opened in tender");
    good(&x, w);
    x.d.criterion = tender_awards_v1_Criterion_WEIGHTED;
    x.ev[0].score = 90;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "publishes no award weights: only a lowest-price award is allowed");
    good(&x, w);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "cannot be unsuccessful");
    assert_int_equal(status_of(&w->anon, w->t.id), tender_tenders_v1_TenderStatus_OPENED);
}

/* Decisions that are incomplete in themselves: the tender stays opened. */
static void test_an_incomplete_decision_is_refused(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    scn_conn *off = &w->off;
    dec x;
    good(&x, w);
    dec_out(&x, w->ids[1], "again");
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "evaluated twice");
    good(&x, w);
    x.ev[2].reason = NULL;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "needs a reason");
    good(&x, w);
    x.d.rationale = NULL;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "rationale");
    good(&x, w);
    x.d.winner = NULL;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT, "winner: required");
    assert_int_equal(status_of(&w->anon, w->t.id), tender_tenders_v1_TenderStatus_OPENED);
}

/* None before a decision. Then stored with the signature and the officer's
 * key, which verify the decision; the tender is awarded and the event
 * logged; a second award is refused. */
static void test_an_award_is_signed_stored_and_logged(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    expect(scn_call(&w->anon, A(Get), &tender_tenders_v1_TenderRef_desc, &tref, NULL, NULL),
           TND_STATUS_NOT_FOUND, "has no award");
    tender_awards_v1_Award a;
    award(w, &a);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&w->anon, w->t.id), tender_tenders_v1_TenderStatus_AWARDED);
    get_award(&w->anon, w->t.id, &a);
    uint8_t opk[32];
    cert_key("officer", opk);
    assert_int_equal(a.officer_key.len, 32);
    assert_memory_equal(a.officer_key.data, opk, 32);
    assert_int_equal(
        tnd_award_verify(a.decision, a.signature.data, a.signature.len, a.officer_key.data), 0);
    assert_int_equal(a.state, tender_awards_v1_AwardState_STANDSTILL);
    assert_string_equal(a.decision->winner, w->ids[0]);
    assert_string_equal(a.officer->organisation, "Ministry of Works");
    expect_event(w->t.id, tender_events_v1_EventKind_AWARD_RECORDED, &a);
    tender_awards_v1_Award_free(&a);
    dec x;
    good(&x, w);
    expect(record_as(&w->off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, "is awarded");
}

/* Cancelled during the standstill, with a logged reason: opened again; the
 * cancelled award stays readable by its id, to everyone, and its
 * standstill ends with nothing to complete. */
static void test_an_award_cancelled_in_its_standstill_reopens_the_tender(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    tender_awards_v1_Award a;
    award(w, &a);
    char first_id[96];
    snprintf(first_id, sizeof first_id, "%s", a.id);
    tender_awards_v1_Award_free(&a);
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = w->t.id,
                                              .reason = "complaint upheld",
                                              .reason_code =
                                                  tender_common_v1_CancelReason_COMPLAINT_UPHELD};
    expect(
        scn_call(&w->off2, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
        TND_STATUS_PERMISSION_DENIED, "only its officers");
    tender_awards_v1_CancelAwardRequest noreason = {.tender_id = w->t.id};
    expect(scn_call(&w->off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &noreason, NULL,
                    NULL),
           TND_STATUS_INVALID_ARGUMENT, "reason");
    tender_awards_v1_CancelAwardRequest nocode = {.tender_id = w->t.id, .reason = "r"};
    expect(scn_call(&w->off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &nocode, NULL,
                    NULL),
           TND_STATUS_INVALID_ARGUMENT, "reason_code: required, one of NO_LONGER_NEEDED");
    nocode.reason_code = (tender_common_v1_CancelReason)8;
    expect(scn_call(&w->off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &nocode, NULL,
                    NULL),
           TND_STATUS_INVALID_ARGUMENT, "COMPLAINT_UPHELD, OTHER");
    tender_awards_v1_Award_init(&a);
    if (scn_call(&w->off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, AWARD, &a) !=
        0)
        fail_msg("cancel: %s", scn_msg);
    assert_int_equal(a.state, tender_awards_v1_AwardState_CANCELLED);
    assert_string_equal(a.cancel_reason, "complaint upheld");
    assert_int_equal(a.cancel_code, tender_common_v1_CancelReason_COMPLAINT_UPHELD);
    assert_string_equal(a.id, first_id);
    expect_event(w->t.id, tender_events_v1_EventKind_AWARD_CANCELLED, &a);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(&w->anon, w->t.id), tender_tenders_v1_TenderStatus_OPENED);
    expect(scn_call(&w->off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "only an award in its standstill");
    tender_awards_v1_AwardRef aref = {.id = first_id};
    tender_awards_v1_Award_init(&a);
    if (scn_call(&w->anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, AWARD, &a) != 0)
        fail_msg("get by id: %s", scn_msg);
    assert_string_equal(a.id, first_id);
    assert_int_equal(a.state, tender_awards_v1_AwardState_CANCELLED);
    tender_awards_v1_Award_free(&a);
    testsrv_advance(&ts, 1300);
    assert_int_equal(status_of(&w->anon, w->t.id), tender_tenders_v1_TenderStatus_OPENED);
    /* A new decision gets a new award. */
    dec x;
    good(&x, w);
    x.d.rationale = "lowest valid price, after review";
    if (record_as(&w->off, "officer", &x, &a) != 0)
        fail_msg("second award: %s", scn_msg);
    assert_string_not_equal(a.id, first_id);
    tender_awards_v1_Award_free(&a);
}

/* Award ids are checked: one that is not there, and ones that are not ids. */
static void test_an_award_is_asked_for_by_a_well_formed_id(void **state)
{
    world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Awards", 60000, 61000);
    char other[120];
    snprintf(other, sizeof other, "%s-A9", w->t.id);
    tender_awards_v1_AwardRef aref = {.id = other};
    expect(scn_call(&w->anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, NULL, NULL),
           TND_STATUS_NOT_FOUND, "no award");
    static const char *const bad_ids[] = {"",       "A1",      "T-1-A0",          "T-1-A",
                                          "T-1-B1", "T-1-A1x", "T-1-A99999999999"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        aref.id = (char *)bad_ids[i];
        expect(scn_call(&w->anon, A(GetById), &tender_awards_v1_AwardRef_desc, &aref, NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "an award id such as");
    }
}

/* The server stops before an award's standstill ends, and at start-up the
 * overdue completion is applied. */
static void test_a_standstill_overdue_at_start_up_completes(void **state)
{
    world *w = *state;
    opened_with_three_bids(w);
    tender_awards_v1_Award a;
    award(w, &a);
    tender_awards_v1_Award_free(&a);
    close_all(w); /* the connections die with the server */
    testsrv_halt(&ts);
    testsrv_advance(&ts, 1300);
    testsrv_start(&ts, cfg, NULL);
    connect_all(w);
    scn_conn *off = &w->off, *anon = &w->anon;
    const char *tid = w->t.id;
    int st = 0;
    for (int i = 0;
         i < 100 && (st = status_of(anon, tid)) != tender_tenders_v1_TenderStatus_COMPLETE; i++)
        usleep(20000);
    assert_int_equal(st, tender_tenders_v1_TenderStatus_COMPLETE);
    get_award(anon, tid, &a);
    assert_int_equal(a.state, tender_awards_v1_AwardState_FINAL);
    assert_non_null(a.closed);
    expect_event(tid, tender_events_v1_EventKind_TENDER_COMPLETED, &a);
    tender_awards_v1_Award_free(&a);
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = (char *)tid,
                                              .reason = "complaint upheld",
                                              .reason_code =
                                                  tender_common_v1_CancelReason_COMPLAINT_UPHELD};
    expect(scn_call(off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "is complete");
}

static void test_standstill_timer(void **state)
{
    world *w = *state;
    const char *who[] = {"supplier"};
    const int64_t price[] = {777};
    opened_tender(w, who, price, 1, NULL, 0);
    char(*ids)[40] = w->ids;
    scn_conn *off = &w->off;
    dec x;
    dec_init(&x, w->t.id, ids[0], "the only bid, within budget");
    dec_valid(&x, ids[0], 777);
    tender_awards_v1_Award a;
    if (record_as(off, "officer", &x, &a) != 0)
        fail_msg("award: %s", scn_msg);
    tender_awards_v1_Award_free(&a);
    testsrv_advance(&ts, 900);
    assert_int_equal(status_of(off, w->t.id), tender_tenders_v1_TenderStatus_AWARDED);
    testsrv_advance(&ts, 100);
    assert_int_equal(status_of(off, w->t.id), tender_tenders_v1_TenderStatus_COMPLETE);
}

/* No valid bid: the tender is recorded as unsuccessful. */
static void test_unsuccessful(void **state)
{
    world *w = *state;
    const char *who[] = {"supplier2"};
    const int64_t price[] = {0};
    opened_tender(w, who, price, 1, NULL, 0);
    char(*ids)[40] = w->ids;
    scn_conn *off = &w->off, *anon = &w->anon;
    dec x;
    dec_init(&x, w->t.id, NULL, "no bid could be opened");
    x.d.unsuccessful = true;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, "skips opened bid");
    dec_out(&x, ids[0], "the ciphertext does not decrypt");
    x.d.winner = ids[0];
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT,
           "an unsuccessful decision has no winner");
    x.d.winner = NULL;
    tender_awards_v1_Award a;
    if (record_as(off, "officer", &x, &a) != 0)
        fail_msg("unsuccessful: %s", scn_msg);
    assert_int_equal(a.state, tender_awards_v1_AwardState_UNSUCCESSFUL);
    assert_null(a.standstill_end);
    expect_event(w->t.id, tender_events_v1_EventKind_TENDER_UNSUCCESSFUL, &a);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(anon, w->t.id), tender_tenders_v1_TenderStatus_UNSUCCESSFUL);
    tender_awards_v1_CancelAwardRequest cq = {
        .tender_id = w->t.id, .reason = "r", .reason_code = tender_common_v1_CancelReason_OTHER};
    expect(scn_call(off, A(Cancel), &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
           TND_STATUS_FAILED_PRECONDITION, "is unsuccessful");
}

/* A draft's fields with the given criteria, sent by Create. */
static int create_with(scn_conn *c, tender_tenders_v1_AwardCriterion *cr, size_t n,
                       tender_tenders_v1_Tender *out)
{
    tender_tenders_v1_TenderFields f = {.title = "Weights",
                                        .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                        .criteria = cr,
                                        .n_criteria = n};
    tender_tenders_v1_CreateTenderRequest q = {.fields = &f};
    if (out)
        tender_tenders_v1_Tender_init(out);
    return scn_call(c, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                    out ? &tender_tenders_v1_Tender_desc : NULL, out);
}

static void dec_scores(dec *x, size_t i, tender_awards_v1_CriterionScore *s, uint32_t price,
                       uint32_t quality)
{
    s[0] = (tender_awards_v1_CriterionScore){.criterion = "price", .points = price};
    s[1] = (tender_awards_v1_CriterionScore){.criterion = "quality", .points = quality};
    x->ev[i].scores = s;
    x->ev[i].n_scores = 2;
}

/* The weights a weighted award publishes are checked at create and edit. */
static void test_weighted_criteria_are_checked_at_create_and_edit(void **state)
{
    world *w = *state;
    scn_conn *off = &w->off;
    tender_tenders_v1_AwardCriterion bad[2] = {{.name = "price", .weight = 60},
                                               {.name = "quality", .weight = 30}};
    expect(create_with(off, bad, 2, NULL), TND_STATUS_INVALID_ARGUMENT,
           "fields.criteria: the weights add up to 90%; they must add up to 100");
    expect(create_with(off, bad, 0, NULL), TND_STATUS_INVALID_ARGUMENT,
           "a weighted award publishes its criteria");
    bad[1].weight = 40;
    tender_tenders_v1_Tender draft;
    if (create_with(off, bad, 2, &draft) != 0)
        fail_msg("create: %s", scn_msg);
    assert_int_equal(draft.fields->award_criteria, tender_tenders_v1_AwardCriteria_WEIGHTED);
    assert_int_equal(draft.fields->n_criteria, 2);
    assert_int_equal(draft.fields->criteria[1].weight, 40);
    bad[1].weight = 0;
    tender_tenders_v1_TenderFields ef = {.title = "Weights",
                                         .award_criteria = tender_tenders_v1_AwardCriteria_WEIGHTED,
                                         .criteria = bad,
                                         .n_criteria = 2};
    tender_tenders_v1_EditTenderRequest eq = {.id = draft.id, .fields = &ef};
    expect(scn_call(off, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &eq, NULL, NULL),
           TND_STATUS_INVALID_ARGUMENT, "fields.criteria[1].weight: 0; a weight is 1..100");
    tender_tenders_v1_Tender_free(&draft);
}

/* An opened tender published with price 60 %, quality 40 %; bids of 100000
 * (w->ids[0]) and 150000 KRW (w->ids[1]). */
static void opened_weighted(world *w)
{
    tender_tenders_v1_AwardCriterion crit[2] = {{.name = "price", .weight = 60},
                                                {.name = "quality", .weight = 40}};
    const char *who[] = {"supplier", "supplier2"};
    const int64_t price[] = {100000, 150000};
    opened_tender(w, who, price, 2, crit, 2);
}

/* The right weighted decision on opened_weighted's tender: the higher price
 * wins on its total. s holds the scores. */
static void weighted_good(dec *x, const world *w, tender_awards_v1_CriterionScore s[2][2])
{
    dec_init(x, w->t.id, w->ids[1], "highest weighted total: quality outweighs the price");
    x->d.criterion = tender_awards_v1_Criterion_WEIGHTED;
    dec_valid(x, w->ids[0], 100000);
    dec_valid(x, w->ids[1], 150000);
    dec_scores(x, 0, s[0], 100, 40); /* 6000 + 1600 = 76.00 */
    dec_scores(x, 1, s[1], 67, 100); /* 4020 + 4000 = 80.20 */
}

/* On published weights, a decision by lowest price, for another winner
 * than the highest total, or with scores that do not fit the criteria is
 * refused, and the tender stays opened. */
static void test_a_weighted_tender_refuses_a_decision_off_its_weights(void **state)
{
    world *w = *state;
    scn_conn *off = &w->off, *anon = &w->anon;
    opened_weighted(w);
    const char *low = w->ids[0], *high = w->ids[1];
    dec x;
    tender_awards_v1_CriterionScore s[2][2];
    /* The tender published weights: a lowest-price award is refused. */
    dec_init(&x, w->t.id, low, "lowest valid price");
    dec_valid(&x, low, 100000);
    dec_valid(&x, high, 150000);
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "published weighted award criteria: the award must be weighted");
    /* Not the highest total. */
    weighted_good(&x, w, s);
    x.d.winner = (char *)low;
    char want[200];
    snprintf(want, sizeof want,
             "winner %s totals 76.00 points, not the highest weighted total: 1 valid bid totals "
             "more: %s (80.20)",
             low, high);
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION, want);
    /* A criterion the tender does not publish; a missing score. */
    weighted_good(&x, w, s);
    s[1][1].criterion = "design";
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "score for \"design\", which is not a published criterion");
    weighted_good(&x, w, s);
    x.ev[0].n_scores = 1;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_FAILED_PRECONDITION,
           "no score for published criterion \"quality\"");
    weighted_good(&x, w, s);
    s[0][0].points = 120;
    expect(record_as(off, "officer", &x, NULL), TND_STATUS_INVALID_ARGUMENT,
           "120 points on \"price\"");
    assert_int_equal(status_of(anon, w->t.id), tender_tenders_v1_TenderStatus_OPENED);
}

/* A weighted award goes to the highest weighted total, here the higher
 * price; it is signed, stored and logged. */
static void test_a_weighted_award_goes_to_the_highest_total(void **state)
{
    world *w = *state;
    scn_conn *off = &w->off, *anon = &w->anon;
    opened_weighted(w);
    dec x;
    tender_awards_v1_CriterionScore s[2][2];
    weighted_good(&x, w, s);
    tender_awards_v1_Award a;
    if (record_as(off, "officer", &x, &a) != 0)
        fail_msg("weighted award: %s", scn_msg);
    tender_awards_v1_Award_free(&a);
    assert_int_equal(status_of(anon, w->t.id), tender_tenders_v1_TenderStatus_AWARDED);
    get_award(anon, w->t.id, &a);
    assert_string_equal(a.decision->winner, w->ids[1]);
    assert_int_equal(a.decision->criterion, tender_awards_v1_Criterion_WEIGHTED);
    assert_int_equal(a.decision->evaluations[1].n_scores, 2);
    assert_int_equal(
        tnd_award_verify(a.decision, a.signature.data, a.signature.len, a.officer_key.data), 0);
    expect_event(w->t.id, tender_events_v1_EventKind_AWARD_RECORDED, &a);
    tender_awards_v1_Award_free(&a);
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_only_the_tenders_officer_records_an_award),
        TEST(test_a_decision_must_agree_with_the_opening_record),
        TEST(test_an_incomplete_decision_is_refused),
        TEST(test_an_award_is_signed_stored_and_logged),
        TEST(test_an_award_cancelled_in_its_standstill_reopens_the_tender),
        TEST(test_an_award_is_asked_for_by_a_well_formed_id),
        TEST(test_a_standstill_overdue_at_start_up_completes),
        TEST(test_standstill_timer),
        TEST(test_unsuccessful),
        TEST(test_weighted_criteria_are_checked_at_create_and_edit),
        TEST(test_a_weighted_tender_refuses_a_decision_off_its_weights),
        TEST(test_a_weighted_award_goes_to_the_highest_total),
    };
    return cmocka_run_group_tests_name("awards", tests, group_setup, group_teardown);
}
