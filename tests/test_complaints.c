/* End-to-end tests of complaints on an in-process server: which role may
 * call each method; filing about the conditions, an award and a
 * cancellation, each with its window and who may file; the review body's
 * signed decisions and every refusal of one; withdrawal by the complainant
 * only; what each caller reads (the public never sees a complaint before
 * its acceptance, nor ever the complainant); the events of each step, the
 * complainant never named in them; and what the reviewer reads of the
 * tender (bid documents, questions with their askers). The award hold is
 * tests/test_complaints_hold.c. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complaintfix.h"
#include "svc/svc.h"
#include "tender/complaint.h"

#define SUB TND_COMPLAINT_SUBJECT
#define CS TND_COMPLAINT_STATE
#define OUT TND_REVIEW_OUTCOME
#define EV(x) tender_events_v1_EventKind_##x
#define C_DESC (&tender_complaints_v1_Complaint_desc)
#define LEAD 2000
#define STANDSTILL 10000
#define PER_SUPPLIER 4

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = STANDSTILL;
    c->complaint_lead_ms = LEAD;
    c->max_complaints_per_supplier = PER_SUPPLIER;
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

/* A conditions complaint filed by c on w's tender: its id into id. */
static void file_conditions(cfx_world *w, scn_conn *c, const char *doc, char id[96])
{
    tender_complaints_v1_Complaint k;
    if (cfx_file(c, w->t.id, SUB(CONDITIONS), NULL, NULL, doc, &k) != 0)
        fail_msg("file: %s", scn_msg);
    snprintf(id, 96, "%s", k.id);
    tender_complaints_v1_Complaint_free(&k);
}

static int download(scn_conn *c, const char *complaint_id, const char *document_id,
                    tender_tenders_v1_DocumentChunk *out)
{
    tender_complaints_v1_ComplaintDocumentRef r = {.complaint_id = (char *)complaint_id,
                                                   .document_id = (char *)document_id};
    tender_tenders_v1_DocumentChunk_init(out);
    return scn_call(c, CFX(Download), &tender_complaints_v1_ComplaintDocumentRef_desc, &r,
                    &tender_tenders_v1_DocumentChunk_desc, out);
}

/* File and Withdraw are the suppliers', Review the reviewer's; Get, List
 * and Download are public. */
static void test_each_method_is_for_its_roles(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    scn_conn *not_sup[] = {&w->off, &w->aud, &w->adm, &w->rev};
    scn_conn *not_rev[] = {&w->off, &w->sup, &w->aud, &w->adm};
    char a[96], b[96];
    file_conditions(w, &w->sup, "grounds", a);
    file_conditions(w, &w->sup, NULL, b);
    for (size_t i = 0; i < 4; i++) {
        cfx_expect(cfx_file(not_sup[i], w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
                   TND_STATUS_PERMISSION_DENIED, "File is for role supplier");
        cfx_expect(cfx_withdraw(not_sup[i], b, NULL), TND_STATUS_PERMISSION_DENIED,
                   "Withdraw is for role supplier");
        cfx_expect(cfx_review(&ts, not_rev[i], "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL),
                   TND_STATUS_PERMISSION_DENIED, "Review is for role reviewer");
    }
    cfx_expect(cfx_file(&w->anon, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_UNAUTHENTICATED, "needs a client certificate with role supplier");
    cfx_expect(cfx_withdraw(&w->anon, b, NULL), TND_STATUS_UNAUTHENTICATED, "role supplier");
    cfx_expect(cfx_review(&ts, &w->anon, "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL),
               TND_STATUS_UNAUTHENTICATED, "role reviewer");
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL), 0);
    assert_int_equal(cfx_withdraw(&w->sup, b, NULL), 0);
    /* a is accepted, so public: every caller reads it, lists it and its document. */
    scn_conn *all[] = {&w->off, &w->off2, &w->sup, &w->sup2, &w->aud, &w->adm, &w->rev, &w->anon};
    char doc[120];
    snprintf(doc, sizeof doc, "%s-D1", a);
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        tender_complaints_v1_Complaint k;
        if (cfx_get(all[i], a, &k) != 0)
            fail_msg("get as %zu: %s", i, scn_msg);
        tender_complaints_v1_Complaint_free(&k);
        tender_complaints_v1_ComplaintList l;
        assert_int_equal(cfx_list(all[i], w->t.id, &l), 0);
        assert_true(l.n_complaints >= 1);
        tender_complaints_v1_ComplaintList_free(&l);
        tender_tenders_v1_DocumentChunk ch;
        if (download(all[i], a, doc, &ch) != 0)
            fail_msg("download as %zu: %s", i, scn_msg);
        assert_int_equal(ch.data.len, 7);
        assert_memory_equal(ch.data.data, "grounds", 7);
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
}

/* Conditions: until --complaint-lead before the deadline, on a lot of the
 * tender only; the request's shape is checked first. */
static void test_conditions_are_complained_about_before_the_lead(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 5000, 5200);
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, &k), 0);
    char want[96];
    snprintf(want, sizeof want, "%s-C1", w->t.id);
    assert_string_equal(k.id, want);
    assert_int_equal(k.state, CS(SUBMITTED));
    assert_int_equal(k.tender_version, 1);
    assert_non_null(k.filed);
    assert_int_equal(k.complainant_tag.len, 32);
    assert_non_null(k.complainant);
    uint8_t key[32], tag[32];
    cfx_cert_key(&ts, "supplier", key);
    assert_memory_equal(k.complainant->key.data, key, 32);
    tnd_complaint_tag(k.complainant->salt.data, key, tag);
    assert_memory_equal(k.complainant_tag.data, tag, 32);
    assert_string_equal(k.complainant->actor->organisation, "Acme Construction");
    tender_complaints_v1_Complaint_free(&k);
    /* Shape. */
    tender_complaints_v1_FileComplaintRequest q = {
        .tender_id = w->t.id, .subject = SUB(CONDITIONS), .text = "t"};
    cfx_expect(scn_call(&w->sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q,
                        NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "title: required");
    q.title = "a\001b";
    cfx_expect(scn_call(&w->sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q,
                        NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "title: required");
    q.title = "t";
    q.text = NULL;
    cfx_expect(scn_call(&w->sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q,
                        NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "text: required");
    q.text = "t";
    q.subject = (tender_complaints_v1_Subject)0;
    cfx_expect(scn_call(&w->sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q,
                        NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "subject: CONDITIONS, AWARD or CANCELLATION");
    cfx_expect(cfx_file(&w->sup, "T-2026-999999", SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_NOT_FOUND, "not found");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, "L1", NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "has no lots");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), "x-A1", NULL, NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "names no award");
    /* The lead: up to deadline - LEAD, then late. */
    testsrv_advance_to(&ts, w->t.deadline_ms - LEAD - 1);
    assert_int_equal(cfx_file(&w->sup2, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL), 0);
    testsrv_advance(&ts, 1);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "were due by");
    /* Nor after the deadline, when the tender no longer takes bids. */
    testsrv_advance_to(&ts, w->t.deadline_ms + 10);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is closed");
}

/* An award: by a bidder, during its standstill; the lot set by the
 * server. Not by a supplier who did not bid, nor about another tender's
 * award, nor after the standstill. */
static void test_an_award_is_complained_about_by_its_bidders(void **state)
{
    cfx_world *w = *state;
    cfx_opened(&ts, w, 1200, 1400, 1);
    tender_awards_v1_Award a;
    cfx_award(&ts, w, &a);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(AWARD), a.id, NULL, NULL, NULL),
               TND_STATUS_PERMISSION_DENIED, "only a bidder of tender");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), NULL, NULL, NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "award_id: required");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), "T-2026-000001-A1", NULL, NULL, NULL),
               TND_STATUS_NOT_FOUND, "has no award");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, "L1", NULL, NULL),
               TND_STATUS_INVALID_ARGUMENT, "lot_id");
    tender_complaints_v1_Complaint k;
    if (cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, NULL, &k) != 0)
        fail_msg("file: %s", scn_msg);
    assert_string_equal(k.award_id, a.id);
    assert_int_equal(k.subject, SUB(AWARD));
    /* Refused by the review body: the award is no longer held, and its
     * standstill runs out; then an award complaint is late. */
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", k.id, w->t.id, OUT(REFUSE), false, NULL),
                     0);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 10);
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is not in its standstill");
    tender_awards_v1_Award_free(&a);
}

/* A held award stays in its standstill past its end: a second complaint
 * about it is then late, named by the standstill's end. */
static void test_an_award_complaint_after_the_standstill_is_late(void **state)
{
    cfx_world *w = *state;
    cfx_opened(&ts, w, 1200, 1400, 2);
    tender_awards_v1_Award a;
    cfx_award(&ts, w, &a);
    assert_int_equal(cfx_file(&w->sup2, w->t.id, SUB(AWARD), a.id, NULL, NULL, NULL), 0);
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 10);
    char when[32], needle[80];
    snprintf(needle, sizeof needle, "were due by %s",
             tnd_ms_text(tnd_ts_ms(a.standstill_end), when, sizeof when));
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, needle);
    tender_awards_v1_Award_free(&a);
}

/* Cancellations: of the tender by any supplier within --standstill; of an
 * award by its bidders only. */
static void test_a_cancellation_is_complained_about_within_the_standstill(void **state)
{
    cfx_world *w = *state;
    cfx_opened(&ts, w, 1200, 1400, 1);
    tender_awards_v1_Award a;
    cfx_award(&ts, w, &a);
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CANCELLATION), a.id, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is not cancelled");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CANCELLATION), NULL, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "not cancelled");
    tender_awards_v1_CancelAwardRequest cq = {.tender_id = w->t.id,
                                              .reason = "wrong prices",
                                              .reason_code =
                                                  tender_common_v1_CancelReason_COMPLAINT_UPHELD};
    assert_int_equal(scn_call(&w->off, "tender.awards.v1.Awards/Cancel",
                              &tender_awards_v1_CancelAwardRequest_desc, &cq, NULL, NULL),
                     0);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(CANCELLATION), a.id, NULL, NULL, NULL),
               TND_STATUS_PERMISSION_DENIED, "only a bidder");
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(CANCELLATION), a.id, NULL, NULL, &k), 0);
    tender_events_v1_Event ev;
    assert_true(cfx_event(&ts, w->t.id, EV(COMPLAINT_FILED), k.id, &ev));
    char note[160];
    snprintf(note, sizeof note, "cancellation of award %s", a.id);
    assert_string_equal(ev.note, note);
    tender_events_v1_Event_free(&ev);
    tender_complaints_v1_Complaint_free(&k);
    tender_awards_v1_Award_free(&a);

    /* The tender cancelled: any supplier, until --standstill after. */
    cfx_world *v = w;
    scn_create_and_publish(&ts, &v->off, &v->t, "Complaints", 60000, 61000);
    tender_tenders_v1_CancelTenderRequest ct = {.id = v->t.id,
                                                .reason = "no longer needed",
                                                .reason_code =
                                                    tender_common_v1_CancelReason_NO_LONGER_NEEDED};
    assert_int_equal(scn_call(&v->off, SCN_T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc,
                              &ct, NULL, NULL),
                     0);
    cfx_expect(cfx_file(&v->sup2, v->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is cancelled");
    assert_int_equal(cfx_file(&v->sup2, v->t.id, SUB(CANCELLATION), NULL, NULL, NULL, &k), 0);
    assert_true(cfx_event(&ts, v->t.id, EV(COMPLAINT_FILED), k.id, &ev));
    assert_string_equal(ev.note, "cancellation of the tender");
    tender_events_v1_Event_free(&ev);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance(&ts, STANDSTILL);
    cfx_expect(cfx_file(&v->sup2, v->t.id, SUB(CANCELLATION), NULL, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "were due by");
}

static void money(tender_common_v1_Money **m, int64_t minor)
{
    *m = calloc(1, sizeof **m);
    (*m)->minor_units = minor;
    (*m)->currency = strdup("KRW");
}

/* A tender in lots: conditions of a lot not cancelled; a cancelled lot's
 * cancellation (CancelLot keeps its time) within --standstill after it. */
static void test_a_lot_is_complained_about_until_and_after_its_cancellation(void **state)
{
    cfx_world *w = *state;
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &w->t, "Lots", 60000, 61000, &q);
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
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CANCELLATION), NULL, "L1", NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is not cancelled");
    int64_t at = testsrv_now(&ts);
    tender_tenders_v1_CancelLotRequest cl = {.id = w->t.id,
                                             .lot_id = "L1",
                                             .reason = "merged into L2",
                                             .reason_code =
                                                 tender_common_v1_CancelReason_NO_LONGER_NEEDED};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(&w->off, SCN_T(CancelLot), &tender_tenders_v1_CancelLotRequest_desc,
                              &cl, &tender_tenders_v1_Tender_desc, &t),
                     0);
    assert_string_equal(t.lot_states[0].lot_id, "L1");
    assert_non_null(t.lot_states[0].cancelled);
    assert_int_equal(tnd_ts_ms(t.lot_states[0].cancelled), at);
    assert_null(t.lot_states[1].cancelled);
    tender_tenders_v1_Tender_free(&t);
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, "L1", NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is cancelled");
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, "L9", NULL, NULL),
               TND_STATUS_NOT_FOUND, "has no lot L9");
    tender_complaints_v1_Complaint k;
    tender_events_v1_Event ev;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, "L2", NULL, &k), 0);
    assert_true(cfx_event(&ts, w->t.id, EV(COMPLAINT_FILED), k.id, &ev));
    assert_string_equal(ev.note, "conditions of lot L2");
    tender_events_v1_Event_free(&ev);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance(&ts, STANDSTILL - 1);
    assert_int_equal(cfx_file(&w->sup2, w->t.id, SUB(CANCELLATION), NULL, "L1", NULL, &k), 0);
    assert_string_equal(k.lot_id, "L1");
    assert_true(cfx_event(&ts, w->t.id, EV(COMPLAINT_FILED), k.id, &ev));
    assert_string_equal(ev.note, "cancellation of lot L1");
    tender_events_v1_Event_free(&ev);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance(&ts, 1);
    cfx_expect(cfx_file(&w->sup2, w->t.id, SUB(CANCELLATION), NULL, "L1", NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "were due by");
}

/* The review body's decisions: signed with the caller's own key, on the
 * complaint they name, each outcome from its state only. */
static void test_a_review_is_signed_and_follows_the_states(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    char a[96];
    file_conditions(w, &w->sup, NULL, a);
    cfx_expect(cfx_review(&ts, &w->rev, "officer", a, w->t.id, OUT(ACCEPT), false, NULL),
               TND_STATUS_INVALID_ARGUMENT, "does not verify");
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, "T-2026-999999", OUT(ACCEPT), false, NULL),
               TND_STATUS_INVALID_ARGUMENT, "decision.tender_id");
    char none[120];
    snprintf(none, sizeof none, "%s-C99", w->t.id);
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", none, w->t.id, OUT(ACCEPT), false, NULL),
               TND_STATUS_NOT_FOUND, "not found");
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(SATISFY), false, NULL),
               TND_STATUS_FAILED_PRECONDITION,
               "is submitted; SATISFY and REJECT are for an accepted complaint");
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, 9, false, NULL),
               TND_STATUS_INVALID_ARGUMENT, "decision.outcome");
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(REFUSE), true, NULL),
               TND_STATUS_INVALID_ARGUMENT, "decision.suspend_deadline");
    /* A reasoning is required. */
    tender_complaints_v1_ReviewDecision d = {
        .complaint_id = a, .tender_id = w->t.id, .outcome = OUT(ACCEPT)};
    uint8_t sig[64] = {0};
    tender_complaints_v1_ReviewRequest r = {.decision = &d, .signature = {sig, 64}};
    cfx_expect(
        scn_call(&w->rev, CFX(Review), &tender_complaints_v1_ReviewRequest_desc, &r, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "decision.reasoning: required");
    r.signature.len = 10;
    d.reasoning = "r";
    cfx_expect(
        scn_call(&w->rev, CFX(Review), &tender_complaints_v1_ReviewRequest_desc, &r, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT, "signature: 64 bytes");

    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(ACCEPT), true, &k), 0);
    assert_int_equal(k.state, CS(ACCEPTED));
    assert_non_null(k.acceptance);
    assert_null(k.decision);
    uint8_t rk[32];
    cfx_cert_key(&ts, "reviewer", rk);
    assert_memory_equal(k.acceptance->reviewer_key.data, rk, 32);
    assert_int_equal(tnd_review_verify(k.acceptance->decision, k.acceptance->signature.data,
                                       k.acceptance->signature.len, rk),
                     0);
    assert_string_equal(k.acceptance->reviewer->organisation, "Public Procurement Review Board");
    tender_complaints_v1_Complaint_free(&k);
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL),
               TND_STATUS_FAILED_PRECONDITION,
               "is accepted; ACCEPT and REFUSE are for a submitted complaint");
    /* A second suspension of the same tender is refused, naming the first. */
    char b[96];
    file_conditions(w, &w->sup2, NULL, b);
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", b, w->t.id, OUT(ACCEPT), true, NULL),
               TND_STATUS_FAILED_PRECONDITION, a);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", b, w->t.id, OUT(REFUSE), false, &k), 0);
    assert_int_equal(k.state, CS(REFUSED));
    tender_complaints_v1_Complaint_free(&k);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(SATISFY), false, &k), 0);
    assert_int_equal(k.state, CS(SATISFIED));
    assert_non_null(k.decision);
    assert_int_equal(k.decision->decision->outcome, OUT(SATISFY));
    tender_complaints_v1_Complaint_free(&k);
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(REJECT), false, NULL),
               TND_STATUS_FAILED_PRECONDITION, "is satisfied; it is decided");
    char c[96];
    file_conditions(w, &w->sup, NULL, c);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", c, w->t.id, OUT(ACCEPT), false, NULL), 0);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", c, w->t.id, OUT(REJECT), false, &k), 0);
    assert_int_equal(k.state, CS(REJECTED));
    tender_complaints_v1_Complaint_free(&k);
}

/* Only the complainant withdraws, before a decision; anyone else gets
 * NOT_FOUND for a complaint it cannot see and PERMISSION_DENIED for a
 * public one. */
static void test_only_the_complainant_withdraws(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    char a[96], b[96];
    file_conditions(w, &w->sup, NULL, a);
    file_conditions(w, &w->sup, NULL, b);
    cfx_expect(cfx_withdraw(&w->sup2, a, NULL), TND_STATUS_NOT_FOUND, "not found");
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL), 0);
    cfx_expect(cfx_withdraw(&w->sup2, a, NULL), TND_STATUS_PERMISSION_DENIED,
               "only the supplier who filed");
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_withdraw(&w->sup, a, &k), 0);
    assert_int_equal(k.state, CS(WITHDRAWN));
    assert_non_null(k.withdrawn);
    tender_complaints_v1_Complaint_free(&k);
    cfx_expect(cfx_withdraw(&w->sup, a, NULL), TND_STATUS_FAILED_PRECONDITION,
               "is withdrawn; a complaint is withdrawn before");
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", b, w->t.id, OUT(REFUSE), false, NULL), 0);
    cfx_expect(cfx_withdraw(&w->sup, b, NULL), TND_STATUS_FAILED_PRECONDITION, "is refused");
}

/* One supplier may not use up a tender's complaints: its organisation files
 * at most --max-complaints-per-supplier about one tender, a withdrawn one
 * counted; another supplier, or another tender, is not held by that. */
static void test_one_supplier_cannot_use_up_the_complaints(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    char ids[PER_SUPPLIER][96];
    for (int i = 0; i < PER_SUPPLIER; i++)
        file_conditions(w, &w->sup, NULL, ids[i]);
    assert_int_equal(cfx_withdraw(&w->sup, ids[0], NULL), 0);
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, NULL),
               TND_STATUS_RESOURCE_EXHAUSTED,
               "Acme Construction has filed 4 complaints about tender");
    char other[96];
    file_conditions(w, &w->sup2, NULL, other); /* Globex Ltd has its own */
    scn_tender t2 = {0};
    scn_create_and_publish(&ts, &w->off, &t2, "Another", 60000, 61000);
    tender_complaints_v1_Complaint k;
    if (cfx_file(&w->sup, t2.id, SUB(CONDITIONS), NULL, NULL, NULL, &k) != 0)
        fail_msg("file about another tender: %s", scn_msg);
    tender_complaints_v1_Complaint_free(&k);
}

/* Who reads what: before its acceptance only the buyer's officers, the
 * reviewer and the complainant; then everyone, without the complainant. */
static void test_a_complaint_is_public_once_accepted_and_its_complainant_never(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    char a[96], doc[120];
    file_conditions(w, &w->sup, "secret grounds", a);
    snprintf(doc, sizeof doc, "%s-D1", a);
    scn_conn *full[] = {&w->off, &w->rev, &w->sup};
    scn_conn *others[] = {&w->off2, &w->sup2, &w->aud, &w->adm, &w->anon};
    tender_complaints_v1_Complaint k;
    tender_complaints_v1_ComplaintList l;
    tender_tenders_v1_DocumentChunk ch;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cfx_get(full[i], a, &k), 0);
        assert_non_null(k.complainant);
        assert_int_equal(k.n_documents, 1);
        tender_complaints_v1_Complaint_free(&k);
        assert_int_equal(cfx_list(full[i], w->t.id, &l), 0);
        assert_int_equal(l.n_complaints, 1);
        assert_non_null(l.complaints[0].complainant);
        tender_complaints_v1_ComplaintList_free(&l);
        assert_int_equal(download(full[i], a, doc, &ch), 0);
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    for (size_t i = 0; i < 5; i++) {
        cfx_expect(cfx_get(others[i], a, NULL), TND_STATUS_NOT_FOUND, "not found");
        assert_int_equal(cfx_list(others[i], w->t.id, &l), 0);
        assert_int_equal(l.n_complaints, 0);
        tender_complaints_v1_ComplaintList_free(&l);
        cfx_expect(download(others[i], a, doc, &ch), TND_STATUS_NOT_FOUND, "not found");
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    /* Accepted: public, never with the complainant; the tag stays. */
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", a, w->t.id, OUT(ACCEPT), false, NULL), 0);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(cfx_get(others[i], a, &k), 0);
        assert_null(k.complainant);
        assert_int_equal(k.complainant_tag.len, 32);
        assert_string_equal(k.title, "The award ignores the delivery terms");
        tender_complaints_v1_Complaint_free(&k);
        assert_int_equal(cfx_list(others[i], w->t.id, &l), 0);
        assert_int_equal(l.n_complaints, 1);
        assert_null(l.complaints[0].complainant);
        tender_complaints_v1_ComplaintList_free(&l);
        assert_int_equal(download(others[i], a, doc, &ch), 0);
        assert_memory_equal(ch.data.data, "secret grounds", 14);
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    /* Withdrawn after its acceptance: still public. A refused one never is. */
    assert_int_equal(cfx_withdraw(&w->sup, a, NULL), 0);
    assert_int_equal(cfx_get(&w->anon, a, &k), 0);
    assert_int_equal(k.state, CS(WITHDRAWN));
    assert_null(k.complainant);
    tender_complaints_v1_Complaint_free(&k);
    char b[96];
    file_conditions(w, &w->sup, NULL, b);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", b, w->t.id, OUT(REFUSE), false, NULL), 0);
    cfx_expect(cfx_get(&w->anon, b, NULL), TND_STATUS_NOT_FOUND, "not found");
    /* A document of another complaint, or not there, is not served. */
    char other[140];
    snprintf(other, sizeof other, "%s-D1", b);
    cfx_expect(download(&w->anon, a, other, &ch), TND_STATUS_NOT_FOUND, "not part of complaint");
    snprintf(other, sizeof other, "%s-D2", a);
    cfx_expect(download(&w->anon, a, other, &ch), TND_STATUS_NOT_FOUND, "not found");
    cfx_expect(cfx_get(&w->anon, "nonsense", NULL), TND_STATUS_NOT_FOUND, "not found");
}

/* The hash of the public view of k matches the event's object_hash. */
static void expect_event(const char *tender_id, int kind, const tender_complaints_v1_Complaint *k,
                         const char *note, const char *actor_name)
{
    tender_events_v1_Event ev;
    if (!cfx_event(&ts, tender_id, kind, k->id, &ev))
        fail_msg("no event %d for %s", kind, k->id);
    uint8_t h[32];
    assert_int_equal(tnd_complaint_hash(k, h), 0);
    assert_int_equal(ev.object_hash.len, 32);
    assert_memory_equal(ev.object_hash.data, h, 32);
    assert_string_equal(ev.note ? ev.note : "", note);
    assert_non_null(ev.actor);
    if (actor_name) {
        assert_string_equal(ev.actor->name, actor_name);
    } else {
        /* The complainant: a bare role, never a name or an organisation. */
        assert_string_equal(ev.actor->role, "supplier");
        assert_string_equal(ev.actor->name ? ev.actor->name : "", "");
        assert_string_equal(ev.actor->organisation ? ev.actor->organisation : "", "");
    }
    tender_events_v1_Event_free(&ev);
}

static void test_each_step_is_logged_without_the_complainant(void **state)
{
    cfx_world *w = *state;
    cfx_opened(&ts, w, 1200, 1400, 1);
    tender_awards_v1_Award a;
    cfx_award(&ts, w, &a);
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, "doc", &k), 0);
    char note[120];
    snprintf(note, sizeof note, "award %s", a.id);
    expect_event(w->t.id, EV(COMPLAINT_FILED), &k, note, NULL);
    tender_events_v1_Event ev;
    assert_true(cfx_event(&ts, w->t.id, EV(COMPLAINT_FILED), k.id, &ev));
    assert_int_equal(ev.tender_version, 1);
    tender_events_v1_Event_free(&ev);
    tender_complaints_v1_Complaint_free(&k);
    char id[96];
    snprintf(id, sizeof id, "%s-C1", w->t.id);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(ACCEPT), false, &k), 0);
    expect_event(w->t.id, EV(COMPLAINT_ACCEPTED), &k, "", "reviewer");
    tender_complaints_v1_Complaint_free(&k);
    assert_int_equal(cfx_withdraw(&w->sup, id, &k), 0);
    expect_event(w->t.id, EV(COMPLAINT_WITHDRAWN), &k, "", NULL);
    tender_complaints_v1_Complaint_free(&k);
    tender_awards_v1_Award_free(&a);

    /* The other outcomes, and the note of a suspension. */
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    char b[96], c[96];
    file_conditions(w, &w->sup, NULL, b);
    file_conditions(w, &w->sup, NULL, c);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", b, w->t.id, OUT(REFUSE), false, &k), 0);
    expect_event(w->t.id, EV(COMPLAINT_REFUSED), &k, "", "reviewer");
    tender_complaints_v1_Complaint_free(&k);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", c, w->t.id, OUT(ACCEPT), true, &k), 0);
    expect_event(w->t.id, EV(COMPLAINT_ACCEPTED), &k, TND_COMPLAINT_SUSPENDS_NOTE, "reviewer");
    tender_complaints_v1_Complaint_free(&k);
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", c, w->t.id, OUT(SATISFY), false, &k), 0);
    expect_event(w->t.id, EV(COMPLAINT_SATISFIED), &k, "", "reviewer");
    tender_complaints_v1_Complaint_free(&k);
}

/* The reviewer reads the questions with their askers, as the buyer does,
 * and is let through to the bids' documents. */
static void test_the_reviewer_reads_what_a_complaint_concerns(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "Complaints", 60000, 61000);
    tender_tenders_v1_AskQuestionRequest aq = {.tender_id = w->t.id, .text = "Which roads?"};
    assert_int_equal(
        scn_call(&w->sup, SCN_T(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &aq, NULL, NULL),
        0);
    tender_tenders_v1_ListQuestionsRequest lq = {.tender_id = w->t.id};
    scn_conn *who[] = {&w->rev, &w->sup2, &w->anon};
    for (size_t i = 0; i < 3; i++) {
        tender_tenders_v1_ListQuestionsResponse qr;
        tender_tenders_v1_ListQuestionsResponse_init(&qr);
        assert_int_equal(scn_call(who[i], SCN_T(Questions),
                                  &tender_tenders_v1_ListQuestionsRequest_desc, &lq,
                                  &tender_tenders_v1_ListQuestionsResponse_desc, &qr),
                         0);
        if (i == 0) { /* the reviewer: the unanswered question and who asked it */
            assert_int_equal(qr.n_questions, 1);
            assert_string_equal(qr.questions[0].asked_by_org, "Acme Construction");
        } else {
            assert_int_equal(qr.n_questions, 0);
        }
        tender_tenders_v1_ListQuestionsResponse_free(&qr);
    }
    cfx_opened(&ts, w, 1200, 1400, 1);
    tender_bids_v1_BidDocumentsRequest br = {.tender_id = w->t.id, .bid_id = w->ids[0]};
    int got = scn_call(&w->rev, "tender.bids.v1.Bids/GetBidDocuments",
                       &tender_bids_v1_BidDocumentsRequest_desc, &br, NULL, NULL);
    if (got == TND_STATUS_PERMISSION_DENIED)
        fail_msg("the reviewer is refused the bid documents: %s", scn_msg);
    cfx_expect(scn_call(&w->sup2, "tender.bids.v1.Bids/GetBidDocuments",
                        &tender_bids_v1_BidDocumentsRequest_desc, &br, NULL, NULL),
               TND_STATUS_PERMISSION_DENIED, "");
}

int main(void)
{
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_each_method_is_for_its_roles),
        TEST(test_conditions_are_complained_about_before_the_lead),
        TEST(test_an_award_is_complained_about_by_its_bidders),
        TEST(test_an_award_complaint_after_the_standstill_is_late),
        TEST(test_a_cancellation_is_complained_about_within_the_standstill),
        TEST(test_a_lot_is_complained_about_until_and_after_its_cancellation),
        TEST(test_a_review_is_signed_and_follows_the_states),
        TEST(test_only_the_complainant_withdraws),
        TEST(test_one_supplier_cannot_use_up_the_complaints),
        TEST(test_a_complaint_is_public_once_accepted_and_its_complainant_never),
        TEST(test_each_step_is_logged_without_the_complainant),
        TEST(test_the_reviewer_reads_what_a_complaint_concerns),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
