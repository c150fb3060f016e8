/* The complaints check of audit verify against the in-process server
 * (docs/COMPLAINTS.md, docs/AUDIT.md): a supplier's complaint about the
 * conditions, accepted and rejected by the reviewer (signed with the
 * reviewer's certificate key), and another refused, verify from the log and
 * Complaints/List, live and from an evidence bundle; the stored complaint
 * altered behind the server's back (its LMDB value) fails the check, and
 * deleted, so does the accepted complaint the server no longer serves. A
 * bidder's complaint about the award holds it past its standstill; once
 * rejected the award completes, and the complaints and award checks agree. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "store/keys.h"
#include "tender/bundle.h"
#include "tender/codec.h"
#include "tender/complaint.h"
#include "tender/verify.h"
#include "testsrv.h"

#define C(name) "tender.complaints.v1.Complaints/" #name
#define C_DESC (&tender_complaints_v1_Complaint_desc)

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->complaint_lead_ms = 0;
    c->standstill_ms = 1000;
}

typedef struct world {
    scn_conn off, sup, rev, aud, anon;
    scn_tender t;
} world;

static void connect_all(world *w)
{
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->rev, "reviewer");
    scn_connect(&ts, &w->aud, "auditor");
    scn_connect(&ts, &w->anon, NULL);
}

static void close_all(world *w)
{
    scn_conn *cs[] = {&w->off, &w->sup, &w->rev, &w->aud, &w->anon};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        rawconn_close(&cs[i]->rc);
}

/* A complaint about the tender's conditions (award NULL) or an award,
 * filed by the supplier: its id into id. */
static void file_about(world *w, const char *award, const char *title, char id[81])
{
    tender_complaints_v1_FileComplaintRequest q = {
        .tender_id = w->t.id,
        .subject = award ? TND_COMPLAINT_SUBJECT(AWARD) : TND_COMPLAINT_SUBJECT(CONDITIONS),
        .award_id = (char *)award,
        .title = (char *)title,
        .text = "The specification names one brand only."};
    tender_complaints_v1_Complaint c;
    tender_complaints_v1_Complaint_init(&c);
    if (scn_call(&w->sup, C(File), &tender_complaints_v1_FileComplaintRequest_desc, &q, C_DESC,
                 &c) != 0)
        fail_msg("File: %s", scn_msg);
    assert_non_null(c.id);
    snprintf(id, 81, "%s", c.id);
    tender_complaints_v1_Complaint_free(&c);
}

static void file(world *w, const char *title, char id[81])
{
    file_about(w, NULL, title, id);
}

/* The reviewer's decision on complaint id, signed with the reviewer's key. */
static void review(world *w, const char *id, int outcome)
{
    tender_complaints_v1_ReviewDecision d = {.complaint_id = (char *)id,
                                             .tender_id = w->t.id,
                                             .outcome = outcome,
                                             .reasoning = "Considered on the file."};
    uint8_t *buf = NULL, sig[64];
    size_t len = 0, sl = sizeof sig;
    assert_int_equal(tnd_review_signed_bytes(&d, &buf, &len), 0);
    EVP_PKEY *k = scn_load_key(&ts, "reviewer");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    tender_complaints_v1_ReviewRequest q = {.decision = &d, .signature = {sig, 64}};
    if (scn_call(&w->rev, C(Review), &tender_complaints_v1_ReviewRequest_desc, &q, NULL, NULL) != 0)
        fail_msg("Review %s: %s", tnd_review_outcome_name(outcome), scn_msg);
}

typedef struct seen {
    int result;
    char detail[600];
    int award; /* the award check's result */
} seen;

static void on_check(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    seen *s = ctx;
    if (strcmp(check, "complaints") == 0) {
        s->result = (int)result;
        snprintf(s->detail, sizeof s->detail, "%s", detail);
    }
    if (strcmp(check, "award") == 0)
        s->award = (int)result;
}

static seen audit(world *w)
{
    seen s = {.result = -1};
    (void)scn_audit(&ts, &w->anon, w->t.id, false, on_check, &s);
    return s;
}

/* The same record written to an evidence bundle, read back and verified
 * with no server. */
static seen audit_bundle(world *w)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(scn_call(&w->anon, "tender.log.v1.Log/GetVerifierKey",
                              &tender_common_v1_Empty_desc, &e, &tender_log_v1_VerifierKey_desc,
                              &vk),
                     0);
    tnd_note_verifier v;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    char server[64], ca[700], err[512] = "";
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("tnd_client_open: %s", err);
    tnd_tender_record r;
    tnd_status_info st;
    assert_int_equal(tnd_tender_record_fetch_all(c, w->t.id, NULL, NULL, &r, &st), 0);
    assert_true(r.complaints.n_complaints > 0);
    tnd_bundle_keys k = {.log_key = vk.verifier_key};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (tnd_bundle_write(&r, &k, &bytes, &len, err, sizeof err) != 0)
        fail_msg("bundle write: %s", err);
    tnd_tender_record_free(&r);
    tnd_client_free(c);
    tender_log_v1_VerifierKey_free(&vk);
    tnd_bundle b;
    if (tnd_bundle_read(bytes, len, &b, err, sizeof err) != 0)
        fail_msg("bundle read: %s", err);
    free(bytes);
    seen s = {.result = -1};
    (void)tnd_tender_record_verify(&b.record, &v, NULL, on_check, &s);
    tnd_bundle_free(&b);
    return s;
}

/* Rewrite (edit non-NULL) or delete the stored complaint tender-C<seq>
 * while the server is down. */
static void alter_complaint(const char *tender, uint32_t seq,
                            void (*edit)(tender_complaints_v1_Complaint *))
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
    assert_int_equal(mdb_dbi_open(txn, "complaints", 0, &dbi), 0);
    uint8_t key[128];
    size_t kl = tnd_key_complaints(key, sizeof key, tender, seq);
    assert_true(kl > 0);
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    int rc;
    uint8_t *enc = NULL;
    if (edit) {
        tender_complaints_v1_Complaint c;
        tender_complaints_v1_Complaint_init(&c);
        assert_int_equal(tnd_msg_decode(C_DESC, v.mv_data, v.mv_size, &c, NULL), 0);
        edit(&c);
        size_t len;
        assert_int_equal(tnd_msg_encode(C_DESC, &c, &enc, &len, NULL), 0);
        tender_complaints_v1_Complaint_free(&c);
        MDB_val nv = {.mv_size = len, .mv_data = enc};
        rc = mdb_put(txn, dbi, &k, &nv, 0);
    } else {
        rc = mdb_del(txn, dbi, &k, NULL);
    }
    rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
    mdb_env_close(env);
    free(enc);
    assert_int_equal(rc, 0);
}

/* The complaint says something else than was filed. */
static void other_text(tender_complaints_v1_Complaint *c)
{
    free(c->text);
    c->text = strdup("The specification is fine.");
    assert_non_null(c->text);
}

static int group_setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

static void test_complaints_verify(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    connect_all(&w);
    scn_create_and_publish(&ts, &w.off, &w.t, "Office chairs", 100000, 200000);

    seen s = audit(&w);
    if (s.result != TND_CHECK_OK || strcmp(s.detail, "no complaints") != 0)
        fail_msg("complaints: %d %s", s.result, s.detail);

    char c1[81], c2[81];
    file(&w, "One brand only", c1);
    review(&w, c1, TND_REVIEW_OUTCOME(ACCEPT));
    review(&w, c1, TND_REVIEW_OUTCOME(REJECT));
    file(&w, "Out of scope", c2);
    review(&w, c2, TND_REVIEW_OUTCOME(REFUSE));
    char want[600];
    snprintf(want, sizeof want, "%s-C1", w.t.id);
    assert_string_equal(c1, want);

    s = audit(&w);
    if (s.result != TND_CHECK_OK ||
        !strstr(s.detail, "2 complaint(s) follow the transitions in the log; the 1 public one(s)"))
        fail_msg("complaints: %d %s", s.result, s.detail);
    s = audit_bundle(&w);
    if (s.result != TND_CHECK_OK || !strstr(s.detail, "the 1 public one(s) are as logged"))
        fail_msg("complaints (bundle): %d %s", s.result, s.detail);

    /* The stored complaint's text altered behind the server's back. */
    char tender[64];
    snprintf(tender, sizeof tender, "%s", w.t.id);
    close_all(&w);
    testsrv_halt(&ts);
    alter_complaint(tender, 1, other_text);
    testsrv_start(&ts, cfg, NULL);
    connect_all(&w);
    s = audit(&w);
    snprintf(want, sizeof want, "complaint %s as served differs from what event", c1);
    if (s.result != TND_CHECK_FAILED || !strstr(s.detail, want))
        fail_msg("complaints: %d %s", s.result, s.detail);

    /* Deleted: the accepted complaint is no longer public. */
    close_all(&w);
    testsrv_halt(&ts);
    alter_complaint(tender, 1, NULL);
    testsrv_start(&ts, cfg, NULL);
    connect_all(&w);
    s = audit(&w);
    snprintf(want, sizeof want, "the server does not serve accepted complaint %s", c1);
    if (s.result != TND_CHECK_FAILED || !strstr(s.detail, want))
        fail_msg("complaints: %d %s", s.result, s.detail);
    close_all(&w);
}

/* The supplier's bid at 777 KRW to w's tender, opened by two shares, and
 * the award to it recorded by the officer: into a. */
static void awarded(world *w, tender_awards_v1_Award *a)
{
    scn_create_and_publish(&ts, &w->off, &w->t, "Desks", 1200, 1400);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 1;
    c.price = calloc(1, sizeof *c.price);
    assert_non_null(c.price);
    c.price->minor_units = 777;
    c.price->currency = strdup("KRW");
    assert_int_equal(testsrv_seal_certs(&ts, "supplier", &c), 0);
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    char bid[40];
    scn_seal(&ts, &w->t, "supplier", &c, NULL, &b, nonce, bid);
    tender_bids_v1_BidContent_free(&c);
    if (scn_submit(&w->sup, &b, nonce, NULL, NULL, NULL) != 0)
        fail_msg("submit: %s", scn_msg);
    tender_bids_v1_SealedBid_free(&b);
    scn_wait_until(&ts, w->t.opening_ms + 50);
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(scn_share(&w->off, &w->t, 0, &acc), 0);
    tender_bids_v1_ShareAccepted_init(&acc);
    if (scn_share(&w->aud, &w->t, 2, &acc) != 0)
        fail_msg("share: %s", scn_msg);
    assert_true(acc.opened);
    tender_common_v1_Money price = {.minor_units = 777, .currency = "KRW"};
    tender_awards_v1_BidEvaluation ev = {.bid_id = bid, .valid = true, .price = &price};
    tender_awards_v1_Decision d = {.tender_id = w->t.id,
                                   .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                   .winner = bid,
                                   .rationale = "the only bid",
                                   .evaluations = &ev,
                                   .n_evaluations = 1};
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
    tender_awards_v1_AwardRequest q = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award_init(a);
    if (scn_call(&w->off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &q,
                 &tender_awards_v1_Award_desc, a) != 0)
        fail_msg("award: %s", scn_msg);
}

static int status_of(world *w)
{
    tender_tenders_v1_TenderRef r = {.id = w->t.id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(&w->anon, "tender.tenders.v1.Tenders/Get",
                              &tender_tenders_v1_TenderRef_desc, &r, &tender_tenders_v1_Tender_desc,
                              &t),
                     0);
    int st = (int)t.status;
    tender_tenders_v1_Tender_free(&t);
    return st;
}

static void test_award_held_by_a_complaint(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    connect_all(&w);
    tender_awards_v1_Award a;
    awarded(&w, &a);
    char c1[81];
    file_about(&w, a.id, "The price was misread", c1);
    /* Held past its standstill: no completion. */
    testsrv_advance(&ts, 1500);
    assert_int_equal(status_of(&w), tender_tenders_v1_TenderStatus_AWARDED);
    seen s = audit(&w);
    if (s.result != TND_CHECK_OK || s.award != TND_CHECK_OK)
        fail_msg("complaints: %d %s; award %d", s.result, s.detail, s.award);
    review(&w, c1, TND_REVIEW_OUTCOME(ACCEPT));
    review(&w, c1, TND_REVIEW_OUTCOME(REJECT));
    /* The hold lifts: the award completes. */
    testsrv_advance(&ts, 10);
    assert_int_equal(status_of(&w), tender_tenders_v1_TenderStatus_COMPLETE);
    s = audit(&w);
    if (s.result != TND_CHECK_OK || !strstr(s.detail, "the 1 public one(s) are as logged") ||
        s.award != TND_CHECK_OK)
        fail_msg("complaints: %d %s; award %d", s.result, s.detail, s.award);
    tender_awards_v1_Award_free(&a);
    close_all(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_complaints_verify),
                                       cmocka_unit_test(test_award_held_by_a_complaint)};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
