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

#include "complaintfix.h"
#include "scenario.h"
#include "store/keys.h"
#include "tender/bundle.h"
#include "tender/codec.h"
#include "tender/complaint.h"
#include "tender/verify.h"
#include "testsrv.h"

#define C_DESC (&tender_complaints_v1_Complaint_desc)

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->complaint_lead_ms = 0;
    c->standstill_ms = 1000;
}

/* A complaint about the conditions (award NULL) or an award, filed by the
 * supplier (with a document): its id into id. */
static void file(cfx_world *w, const char *award, char id[81])
{
    tender_complaints_v1_Complaint c;
    if (cfx_file(&w->sup, w->t.id,
                 award ? TND_COMPLAINT_SUBJECT(AWARD) : TND_COMPLAINT_SUBJECT(CONDITIONS), award,
                 NULL, "The specification names one brand only.", &c) != 0)
        fail_msg("File: %s", scn_msg);
    assert_non_null(c.id);
    snprintf(id, 81, "%s", c.id);
    tender_complaints_v1_Complaint_free(&c);
}

/* The reviewer's decision on complaint id, signed with the reviewer's key. */
static void review(cfx_world *w, const char *id, int outcome)
{
    if (cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, outcome, false, NULL) != 0)
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

static seen audit(cfx_world *w)
{
    seen s = {.result = -1};
    (void)scn_audit(&ts, &w->anon, w->t.id, false, on_check, &s);
    return s;
}

/* The same record written to an evidence bundle, read back and verified
 * with no server. */
static seen audit_bundle(cfx_world *w)
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

TESTSRV_MANUAL_GROUP(ts, cfg)

static void test_complaints_verify(void **state)
{
    (void)state;
    cfx_world w;
    memset(&w, 0, sizeof w);
    cfx_connect(&ts, &w);
    scn_create_and_publish(&ts, &w.off, &w.t, "Office chairs", 100000, 200000);

    seen s = audit(&w);
    if (s.result != TND_CHECK_OK || strcmp(s.detail, "no complaints") != 0)
        fail_msg("complaints: %d %s", s.result, s.detail);

    char c1[81], c2[81];
    file(&w, NULL, c1);
    review(&w, c1, TND_REVIEW_OUTCOME(ACCEPT));
    review(&w, c1, TND_REVIEW_OUTCOME(REJECT));
    file(&w, NULL, c2);
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
    cfx_close(&w);
    testsrv_halt(&ts);
    alter_complaint(tender, 1, other_text);
    testsrv_start(&ts, cfg, NULL);
    cfx_connect(&ts, &w);
    s = audit(&w);
    snprintf(want, sizeof want, "complaint %s as served differs from what event", c1);
    if (s.result != TND_CHECK_FAILED || !strstr(s.detail, want))
        fail_msg("complaints: %d %s", s.result, s.detail);

    /* Deleted: the accepted complaint is no longer public. */
    cfx_close(&w);
    testsrv_halt(&ts);
    alter_complaint(tender, 1, NULL);
    testsrv_start(&ts, cfg, NULL);
    cfx_connect(&ts, &w);
    s = audit(&w);
    snprintf(want, sizeof want, "the server does not serve accepted complaint %s", c1);
    if (s.result != TND_CHECK_FAILED || !strstr(s.detail, want))
        fail_msg("complaints: %d %s", s.result, s.detail);
    cfx_close(&w);
}

static int status_of(cfx_world *w)
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
    cfx_world w;
    memset(&w, 0, sizeof w);
    cfx_connect(&ts, &w);
    cfx_opened(&ts, &w, 1200, 1400, 2);
    tender_awards_v1_Award a;
    cfx_award(&ts, &w, &a);
    char c1[81];
    file(&w, a.id, c1); /* by the supplier: a bidder */
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
    cfx_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_complaints_verify),
                                       cmocka_unit_test(test_award_held_by_a_complaint)};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
