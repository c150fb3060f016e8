/* The status code of every refusal that docs/PROTOCOL.md section 11
 * ("Refusals by method") lists, one test per row and in the same order. Each
 * row stands alone (in any order, or run by itself): the rows about an empty
 * log ask a second server that nothing is ever written to; the rows that
 * change a tender (a withdrawal, a closing, a share) make their own, and
 * move it to the state they need with the manual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "complaintfix.h"
#include "rawconn.h"
#include "scenario.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/complaint.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define L(name) "tender.log.v1.Log/" #name
#define MAX_BID (64 * 1024)

static testsrv ts;

/* One connection per identity, opened in the group setup. */
static scn_conn anon, off, off2, sup, sup2, aud, adm, rev;

/* A server whose log stays empty: no row writes to it. */
static testsrv ts_empty;
static scn_conn anon_empty;

/* Made by the group setup, never changed by a row: tender A takes bids for
 * longer than the whole test runs (rows add bids of their own to it), the
 * draft D is never published. */
static scn_tender ta;
static char draft_id[64];

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->max_bid_bytes = MAX_BID;
    c->complaint_lead_ms = 1000; /* conditions complaints on tender A until near its deadline */
    c->max_complaints_per_supplier = 60; /* row 61: one supplier's cap, then the tender's */
}

/* A call's frames as given: CALL, then each payload as a MESSAGE (NULL: an
 * empty one), the last with end_stream. Returns the status code. */
static int call_raw(scn_conn *c, const char *m, const uint8_t *const *payloads, const size_t *lens,
                    int n)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, c->sid, m, NULL, 0, 0), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(tnd_frame_put_message(&sb, c->sid, payloads[i], lens[i], i == n - 1), 0);
    assert_int_equal(rawconn_send(&c->rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    int st = rawconn_wait_status(&c->rc, c->sid, 10000, scn_msg, sizeof scn_msg, NULL);
    c->sid += 2;
    return st;
}

/* The check of one row: the code, and a message that says something. */
#define EXPECT(code, expr)                                                                         \
    do {                                                                                           \
        int got_ = (expr);                                                                         \
        if (got_ != (code))                                                                        \
            fprintf(stderr, "status %d, message: %s\n", got_, scn_msg);                            \
        assert_int_equal(got_, (code));                                                            \
        assert_true((code) == TND_STATUS_OK || scn_msg[0] != '\0');                                \
    } while (0)

/* Create (and publish when t is not NULL) a tender of the officer, with a
 * 2-of-2 committee of officer and admin; a draft without one into id_out. */
static void create_tender(scn_tender *t, int64_t deadline_in_ms, int64_t opening_in_ms,
                          char *id_out)
{
    tender_tenders_v1_CreateTenderRequest q;
    if (!t) {
        tender_tenders_v1_CreateTenderRequest_init(&q);
        q.fields = calloc(1, sizeof *q.fields);
        q.fields->title = strdup("Status codes");
        scn_tender_create(&off, &q, id_out);
        return;
    }
    t->cm = (scn_committee){.k = 2, .n = 2};
    scn_tender_request(&ts, t, "Status codes", deadline_in_ms, opening_in_ms, &q);
    scn_tender_create(&off, &q, t->id);
    scn_tender_publish(&off, t->id);
}

/* Seal a bid of who to opening_pk for tender_id; nonce_in NULL: a fresh one. */
static void seal(const char *who, const char *tender_id, const uint8_t opening_pk[32],
                 const uint8_t *nonce_in, tender_bids_v1_SealedBid *b, uint8_t nonce[32],
                 char id[40])
{
    scn_tender t = {0};
    snprintf(t.id, sizeof t.id, "%s", tender_id);
    memcpy(t.cm.opening_pk, opening_pk, 32);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 1; /* the version published, never amended here */
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = 1000;
    c.price->currency = strdup("KRW");
    assert_int_equal(testsrv_seal_certs(&ts, who, &c), 0);
    scn_seal(&ts, &t, who, &c, nonce_in, b, nonce, id);
    tender_bids_v1_BidContent_free(&c);
}

/* Bids/Submit with the whole bid in one message. */
static int submit(scn_conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                  const char *replaces)
{
    tender_bids_v1_SubmitBidRequest q = {.bid = b, .owner_nonce = {(uint8_t *)nonce, 32},
                                         .replaces = (char *)replaces};
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, &q, &buf, &len, NULL),
                     0);
    const uint8_t *p[] = {buf};
    int st = call_raw(c, B(Submit), p, &len, 1);
    free(buf);
    return st;
}

static int submit_share(scn_conn *c, const scn_tender *t, int member, const uint8_t share[33])
{
    tender_bids_v1_SubmitShareRequest q = {.tender_id = (char *)t->id,
                                           .member_key = {(uint8_t *)t->cm.member_pk[member], 32},
                                           .share = {(uint8_t *)share, 33}};
    return scn_call(c, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &q, NULL, NULL);
}

/* A bid of the supplier to t, submitted: its id and owner nonce. */
static void submitted(const scn_tender *t, char id[40], uint8_t nonce[32])
{
    tender_bids_v1_SealedBid b;
    seal("supplier", t->id, t->cm.opening_pk, NULL, &b, nonce, id);
    EXPECT(TND_STATUS_OK, submit(&sup, &b, nonce, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* A tender of its own with one bid of the supplier, its deadline and (when
 * opened) its opening time passed on the manual clock. */
static void past_deadline(scn_tender *t, bool opened)
{
    char id[40];
    uint8_t nonce[32];
    create_tender(t, 1000, 1500, NULL);
    submitted(t, id, nonce);
    scn_wait_until(&ts, (opened ? t->opening_ms : t->deadline_ms) + 50);
}

static int group_setup(void **state)
{
    (void)state;
    testsrv_pki(&ts_empty);
    testsrv_start(&ts_empty, cfg, NULL);
    scn_connect(&ts_empty, &anon_empty, NULL);
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    scn_connect(&ts, &anon, NULL);
    scn_connect(&ts, &off, "officer");
    scn_connect(&ts, &off2, "officer2");
    scn_connect(&ts, &sup, "supplier");
    scn_connect(&ts, &sup2, "supplier2");
    scn_connect(&ts, &aud, "auditor");
    scn_connect(&ts, &adm, "admin");
    scn_connect(&ts, &rev, "reviewer");
    create_tender(&ta, 3600000, 3601000, NULL);
    create_tender(NULL, 0, 0, draft_id);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    scn_conn *all[] = {&anon, &off, &off2, &sup, &sup2, &aud, &adm, &rev};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        rawconn_close(&all[i]->rc);
    testsrv_stop(&ts);
    rawconn_close(&anon_empty.rc);
    testsrv_stop(&ts_empty);
    return 0;
}

/* ---- 11.1 Every method ---- */

static const tender_health_v1_HealthCheckRequest health_req = {.service = ""};

/* 1 */
static void any_unknown_method(void **state)
{
    (void)state;
    EXPECT(TND_STATUS_UNIMPLEMENTED,
           scn_call(&anon, "tender.nope.v1.Nope/Nothing", &tender_health_v1_HealthCheckRequest_desc,
                    &health_req, NULL, NULL));
}

/* 2 */
static void any_anonymous_non_public(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = "T-1"};
    EXPECT(TND_STATUS_UNAUTHENTICATED,
           scn_call(&anon, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 3 */
static void any_role_not_allowed(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = "T-1"};
    EXPECT(TND_STATUS_PERMISSION_DENIED,
           scn_call(&sup, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 4 */
static void any_request_does_not_decode(void **state)
{
    (void)state;
    static const uint8_t bin_for_str[] = {0x81, 0x01, 0xc4, 0x01, 'x'}; /* {1: bin "x"} */
    const uint8_t *p[] = {bin_for_str};
    size_t l[] = {sizeof bin_for_str};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           call_raw(&anon, "tender.health.v1.Health/Check", p, l, 1));
    assert_non_null(strstr(scn_msg, "expected str, got bin"));
}

/* 5 */
static void any_unary_without_message(void **state)
{
    (void)state;
    const uint8_t *p[] = {NULL};
    size_t l[] = {0};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           call_raw(&anon, "tender.health.v1.Health/Check", p, l, 1));
}

/* 6: the second message arrives while the first is being written. */
static void any_unary_two_messages(void **state)
{
    (void)state;
    static const uint8_t ref[] = {0x81, 0x01, 0xa3, 'T', '-', '1'}; /* {1: "T-1"} */
    const uint8_t *p[] = {ref, ref};
    size_t l[] = {sizeof ref, sizeof ref};
    EXPECT(TND_STATUS_INVALID_ARGUMENT, call_raw(&off, T(Publish), p, l, 2));
    assert_non_null(strstr(scn_msg, "exactly one request message"));
}

/* ---- 11.2 Log ---- */

static const tender_common_v1_Empty empty_req = {0};

/* 7 */
static void log_checkpoint_empty(void **state)
{
    (void)state;
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon_empty, L(GetCheckpoint), &tender_common_v1_Empty_desc, &empty_req, NULL, NULL));
}

/* 8 */
static void log_inclusion_empty(void **state)
{
    (void)state;
    tender_log_v1_InclusionProofRequest q = {.index = 0};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon_empty, L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                    NULL, NULL));
    tender_log_v1_ConsistencyProofRequest c = {.first = 1};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon_empty, L(GetConsistencyProof), &tender_log_v1_ConsistencyProofRequest_desc, &c,
                    NULL, NULL));
}

/* 9 */
static void log_leaves_empty(void **state)
{
    (void)state;
    tender_log_v1_LeavesRequest q = {.start = 0};
    EXPECT(TND_STATUS_OK,
           scn_call(&anon_empty, L(GetLeaves), &tender_log_v1_LeavesRequest_desc, &q, NULL, NULL));
}

/* 10 */
static void log_inclusion_bad_hash(void **state)
{
    (void)state;
    uint8_t h[5] = {0};
    tender_log_v1_InclusionProofRequest q = {.leaf_hash = {h, sizeof h}};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&anon, L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                    NULL, NULL));
}

/* 11: A's events are in the log. */
static void log_beyond(void **state)
{
    (void)state;
    tender_log_v1_InclusionProofRequest q = {.index = 1000000};
    EXPECT(TND_STATUS_OUT_OF_RANGE,
           scn_call(&anon, L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                    NULL, NULL));
    tender_log_v1_LeavesRequest lq = {.start = 1000000};
    EXPECT(TND_STATUS_OUT_OF_RANGE,
           scn_call(&anon, L(GetLeaves), &tender_log_v1_LeavesRequest_desc, &lq, NULL, NULL));
    tender_log_v1_ConsistencyProofRequest c = {.first = 1, .second = 1000000};
    EXPECT(TND_STATUS_OUT_OF_RANGE,
           scn_call(&anon, L(GetConsistencyProof), &tender_log_v1_ConsistencyProofRequest_desc, &c,
                    NULL, NULL));
}

/* 12 */
static void log_consistency_from_zero(void **state)
{
    (void)state;
    tender_log_v1_ConsistencyProofRequest q = {.first = 0};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&anon, L(GetConsistencyProof), &tender_log_v1_ConsistencyProofRequest_desc, &q,
                    NULL, NULL));
}

/* ---- 11.3 Tenders ---- */

/* 13 */
static void tenders_get_unknown(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = "T-2099-999999"};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 14 */
static void tenders_get_draft_of_others(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = draft_id};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&off2, T(Get), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 15 */
static void tenders_get_no_such_version(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ta.id, .version = 9};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 16 */
static void tenders_get_no_id(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ""};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&anon, T(Get), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 16: every required field of a request, named as it always was (the
 * schema's `required`, checked for every request before its handler). */
#define REQUIRED(who, method, desc, req, text)                                                     \
    do {                                                                                           \
        EXPECT(TND_STATUS_INVALID_ARGUMENT, scn_call(who, method, desc, req, NULL, NULL));         \
        assert_string_equal(scn_msg, text);                                                        \
    } while (0)

static void required_fields_named(void **state)
{
    (void)state;
    const tnd_msg_desc *ref_d = &tender_tenders_v1_TenderRef_desc;
    tender_tenders_v1_TenderRef ref = {.id = ""};
    REQUIRED(&anon, T(Get), ref_d, &ref, "id: required");
    REQUIRED(&off, T(Publish), ref_d, &ref, "id: required");
    REQUIRED(&anon, "tender.awards.v1.Awards/Get", ref_d, &ref, "id: required");
    REQUIRED(&anon, B(GetOpening), ref_d, &ref, "id: required");
    REQUIRED(&anon, B(GetSealedBids), ref_d, &ref, "id: required");
    tender_tenders_v1_TenderFields f = {.title = "t"};
    tender_tenders_v1_EditTenderRequest edit = {.fields = &f};
    REQUIRED(&off, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &edit, "id: required");
    tender_tenders_v1_AmendTenderRequest amend = {.fields = &f};
    REQUIRED(&off, T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &amend, "id: required");
    tender_tenders_v1_CancelTenderRequest cancel = {
        .reason = "why", .reason_code = tender_common_v1_CancelReason_OTHER};
    REQUIRED(&off, T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &cancel, "id: required");
    tender_tenders_v1_AskQuestionRequest ask = {.text = "q"};
    REQUIRED(&sup, T(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &ask, "tender_id: required");
    ask = (tender_tenders_v1_AskQuestionRequest){.tender_id = "T-1"};
    REQUIRED(&sup, T(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &ask, "text: required");
    const tnd_msg_desc *ans_d = &tender_tenders_v1_AnswerQuestionRequest_desc;
    tender_tenders_v1_AnswerQuestionRequest ans = {.question_id = "Q-1", .answer = "a"};
    REQUIRED(&off, T(Answer), ans_d, &ans, "tender_id: required");
    ans = (tender_tenders_v1_AnswerQuestionRequest){.tender_id = "T-1", .answer = "a"};
    REQUIRED(&off, T(Answer), ans_d, &ans, "question_id: required");
    ans = (tender_tenders_v1_AnswerQuestionRequest){.tender_id = "T-1", .question_id = "Q-1"};
    REQUIRED(&off, T(Answer), ans_d, &ans, "answer: required");
    tender_tenders_v1_ListQuestionsRequest lq = {.page_size = 1};
    REQUIRED(&anon, T(Questions), &tender_tenders_v1_ListQuestionsRequest_desc, &lq,
             "tender_id: required");
    uint8_t sig[64] = {0};
    tender_awards_v1_AwardRequest ar = {.signature = {sig, sizeof sig}};
    REQUIRED(&off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &ar,
             "decision.tender_id: required");
    tender_awards_v1_Decision d = {.rationale = "r"};
    ar.decision = &d;
    REQUIRED(&off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &ar,
             "decision.tender_id: required");
}

/* 16: a field's own message (the schema's required = "..."), exactly as
 * the handlers used to write it. */
static void required_own_messages(void **state)
{
    (void)state;
    tender_tenders_v1_CancelTenderRequest cancel = {.id = ta.id};
    REQUIRED(&off, T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &cancel,
             "reason: required; the reason for cancelling is published");
    const tnd_msg_desc *doc_d = &tender_tenders_v1_DocumentRef_desc;
    tender_tenders_v1_DocumentRef doc = {.tender_id = ta.id};
    REQUIRED(&anon, T(Download), doc_d, &doc, "tender_id and document_id: required");
    doc = (tender_tenders_v1_DocumentRef){.document_id = "T-1-D1"};
    REQUIRED(&anon, T(Download), doc_d, &doc, "tender_id and document_id: required");
    const tnd_msg_desc *ac_d = &tender_awards_v1_CancelAwardRequest_desc;
    tender_awards_v1_CancelAwardRequest ac = {.tender_id = ta.id};
    REQUIRED(&off, "tender.awards.v1.Awards/Cancel", ac_d, &ac,
             "tender_id and reason are required: the reason is logged");
    ac = (tender_awards_v1_CancelAwardRequest){.reason = "why",
                                               .reason_code = tender_common_v1_CancelReason_OTHER};
    REQUIRED(&off, "tender.awards.v1.Awards/Cancel", ac_d, &ac,
             "tender_id and reason are required: the reason is logged");
    const tnd_msg_desc *sh_d = &tender_bids_v1_SubmitShareRequest_desc;
    uint8_t key[32] = {1}, share[33] = {1};
    tender_bids_v1_SubmitShareRequest sh = {.member_key = {key, 32}, .share = {share, 33}};
    REQUIRED(&off, B(SubmitShare), sh_d, &sh, "tender_id and member_key (32 bytes) are required");
    sh.tender_id = ta.id;
    sh.member_key.len = 0;
    REQUIRED(&off, B(SubmitShare), sh_d, &sh, "tender_id and member_key (32 bytes) are required");
    sh.member_key.len = 31;
    REQUIRED(&off, B(SubmitShare), sh_d, &sh, "tender_id and member_key (32 bytes) are required");
}

/* 17 */
static void tenders_create_without_title(void **state)
{
    (void)state;
    tender_tenders_v1_TenderFields f = {.title = " "};
    tender_tenders_v1_CreateTenderRequest q = {.fields = &f};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL));
}

/* 18 */
static void tenders_edit_of_another_buyer(void **state)
{
    (void)state;
    tender_tenders_v1_TenderFields f = {.title = "Mine now"};
    tender_tenders_v1_EditTenderRequest q = {.id = ta.id, .fields = &f};
    EXPECT(TND_STATUS_PERMISSION_DENIED,
           scn_call(&off2, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &q, NULL, NULL));
    q.id = draft_id; /* a draft of another buyer is not there at all */
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&off2, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &q, NULL, NULL));
}

/* 19 */
static void tenders_publish_incomplete_draft(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = draft_id};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&off, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    assert_non_null(strstr(scn_msg, "required to publish"));
}

/* 20 */
static void tenders_publish_twice(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ta.id};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&off, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    tender_tenders_v1_TenderFields f = {.title = "Edited"};
    tender_tenders_v1_EditTenderRequest q = {.id = ta.id, .fields = &f};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&off, T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &q, NULL, NULL));
}

/* 21 */
static void tenders_cancel_without_reason(void **state)
{
    (void)state;
    tender_tenders_v1_CancelTenderRequest q = {.id = ta.id};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&off, T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &q, NULL, NULL));
}

/* 22 */
static void tenders_ask_on_draft(void **state)
{
    (void)state;
    tender_tenders_v1_AskQuestionRequest q = {.tender_id = draft_id, .text = "Why?"};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&sup, T(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &q, NULL, NULL));
}

/* 23 */
static void tenders_answer_unknown_question(void **state)
{
    (void)state;
    tender_tenders_v1_AnswerQuestionRequest q = {.tender_id = ta.id, .question_id = "Q-99",
                                                 .answer = "Yes"};
    EXPECT(
        TND_STATUS_NOT_FOUND,
        scn_call(&off, T(Answer), &tender_tenders_v1_AnswerQuestionRequest_desc, &q, NULL, NULL));
}

/* 24 */
static void tenders_answer_bad_question_id(void **state)
{
    (void)state;
    tender_tenders_v1_AnswerQuestionRequest q = {.tender_id = ta.id, .question_id = "what",
                                                 .answer = "Yes"};
    EXPECT(
        TND_STATUS_INVALID_ARGUMENT,
        scn_call(&off, T(Answer), &tender_tenders_v1_AnswerQuestionRequest_desc, &q, NULL, NULL));
}

/* ---- 11.4 Bids ---- */

/* 25 */
static void bids_submit_nothing(void **state)
{
    (void)state;
    const uint8_t *p[] = {NULL};
    size_t l[] = {0};
    EXPECT(TND_STATUS_INVALID_ARGUMENT, call_raw(&sup, B(Submit), p, l, 1));
}

/* 26 */
static void bids_submit_first_without_envelope(void **state)
{
    (void)state;
    static const uint8_t chunk_only[] = {0x81, 0x03, 0xc4, 0x01, 0x00}; /* {3: bin(1)} */
    const uint8_t *p[] = {chunk_only};
    size_t l[] = {sizeof chunk_only};
    EXPECT(TND_STATUS_INVALID_ARGUMENT, call_raw(&sup, B(Submit), p, l, 1));
}

/* 27 */
static void bids_submit_bad_bid_id(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    free(b.bid_id);
    b.bid_id = strdup("B-0123456789ABCDEF0123456789ABCDEF"); /* uppercase */
    EXPECT(TND_STATUS_INVALID_ARGUMENT, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 28 */
static void bids_submit_wrong_owner_nonce(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    n[0] ^= 1;
    EXPECT(TND_STATUS_PERMISSION_DENIED, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 29 */
static void bids_submit_bad_signature(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    b.signature.data[10] ^= 1;
    EXPECT(TND_STATUS_INVALID_ARGUMENT, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 30 */
static void bids_submit_unknown_tender(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", "T-2099-999999", ta.cm.opening_pk, NULL, &b, n, id);
    EXPECT(TND_STATUS_NOT_FOUND, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
    seal("supplier", draft_id, ta.cm.opening_pk, NULL, &b, n, id);
    EXPECT(TND_STATUS_NOT_FOUND, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 31 */
static void bids_submit_other_key(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32], other_sk[32], other_pk[32];
    char id[40];
    assert_int_equal(tnd_x25519_keygen(other_sk, other_pk), 0);
    seal("supplier", ta.id, other_pk, NULL, &b, n, id);
    EXPECT(TND_STATUS_INVALID_ARGUMENT, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 32 */
static void bids_submit_too_large(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    free(b.ciphertext.data);
    b.ciphertext.len = MAX_BID + 1;
    b.ciphertext.data = calloc(1, b.ciphertext.len);
    EXPECT(TND_STATUS_RESOURCE_EXHAUSTED, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 33 */
static void bids_submit_same_id_twice(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    EXPECT(TND_STATUS_OK, submit(&sup, &b, n, NULL));
    EXPECT(TND_STATUS_ALREADY_EXISTS, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
}

/* 34 */
static void bids_submit_replaces_others(void **state)
{
    (void)state;
    char bid_id[40];
    uint8_t bid_nonce[32];
    submitted(&ta, bid_id, bid_nonce);
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier2", ta.id, ta.cm.opening_pk, NULL, &b, n, id);
    EXPECT(TND_STATUS_NOT_FOUND, submit(&sup2, &b, n, bid_id));
    tender_bids_v1_SealedBid_free(&b);
}

/* 35 */
static void bids_status_wrong_nonce(void **state)
{
    (void)state;
    char bid_id[40];
    uint8_t bid_nonce[32];
    submitted(&ta, bid_id, bid_nonce);
    uint8_t n[32];
    memcpy(n, bid_nonce, 32);
    n[31] ^= 1;
    tender_bids_v1_BidRef r = {.tender_id = ta.id, .bid_id = bid_id, .owner_nonce = {n, 32}};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&sup, B(Status), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
    r.owner_nonce = (tnd_bytes){bid_nonce, 32};
    EXPECT(TND_STATUS_NOT_FOUND, /* the right nonce, another supplier's key */
           scn_call(&sup2, B(Status), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
}

/* 36 */
static void bids_withdraw_without_nonce(void **state)
{
    (void)state;
    char bid_id[40];
    uint8_t bid_nonce[32];
    submitted(&ta, bid_id, bid_nonce);
    tender_bids_v1_BidRef r = {.tender_id = ta.id, .bid_id = bid_id};
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           scn_call(&sup, B(Status), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
}

/* 37 */
static void bids_withdraw_twice(void **state)
{
    (void)state;
    char bid_id[40];
    uint8_t bid_nonce[32];
    submitted(&ta, bid_id, bid_nonce);
    tender_bids_v1_BidRef r = {.tender_id = ta.id, .bid_id = bid_id,
                               .owner_nonce = {bid_nonce, 32}};
    EXPECT(TND_STATUS_OK, scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
}

/* 38 */
static void bids_submit_replaces_withdrawn(void **state)
{
    (void)state;
    char bid_id[40];
    uint8_t bid_nonce[32];
    submitted(&ta, bid_id, bid_nonce);
    tender_bids_v1_BidRef r = {.tender_id = ta.id, .bid_id = bid_id,
                               .owner_nonce = {bid_nonce, 32}};
    assert_int_equal(scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL),
                     TND_STATUS_OK);
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", ta.id, ta.cm.opening_pk, bid_nonce, &b, n, id);
    EXPECT(TND_STATUS_FAILED_PRECONDITION, submit(&sup, &b, n, bid_id));
    tender_bids_v1_SealedBid_free(&b);
}

/* 39 */
static void bids_opening_before_opened(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ta.id};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    assert_non_null(strstr(scn_msg, "has not been opened (it is active)"));
    /* A tender that does not exist is not "not opened". */
    r.id = "T-2026-999999";
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    assert_string_equal(scn_msg, "tender T-2026-999999 not found");
}

/* 40 */
static void bids_sealed_before_opened(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ta.id};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&anon, B(GetSealedBids), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
}

/* 41 */
static void bids_share_not_a_member(void **state)
{
    (void)state;
    EXPECT(TND_STATUS_PERMISSION_DENIED, submit_share(&aud, &ta, 0, ta.cm.shares[0]));
    EXPECT(TND_STATUS_PERMISSION_DENIED, submit_share(&adm, &ta, 0, ta.cm.shares[0]));
}

/* 42 */
static void bids_share_before_opening(void **state)
{
    (void)state;
    EXPECT(TND_STATUS_FAILED_PRECONDITION, submit_share(&off, &ta, 0, ta.cm.shares[0]));
}

/* 43 */
static void bids_submit_late(void **state)
{
    (void)state;
    scn_tender tl;
    char tl_bid_id[40];
    uint8_t tl_bid_nonce[32];
    create_tender(&tl, 1000, 1500, NULL);
    submitted(&tl, tl_bid_id, tl_bid_nonce);
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    char id[40];
    seal("supplier", tl.id, tl.cm.opening_pk, NULL, &b, n, id);
    scn_wait_until(&ts, tl.deadline_ms + 50);
    EXPECT(TND_STATUS_FAILED_PRECONDITION, submit(&sup, &b, n, NULL));
    tender_bids_v1_SealedBid_free(&b);
    tender_bids_v1_BidRef r = {.tender_id = tl.id, .bid_id = tl_bid_id,
                               .owner_nonce = {tl_bid_nonce, 32}};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &r, NULL, NULL));
}

/* 44 */
static void tenders_ask_after_enquiry(void **state)
{
    (void)state;
    scn_tender tl;
    past_deadline(&tl, false);
    tender_tenders_v1_AskQuestionRequest q = {.tender_id = tl.id, .text = "Too late?"};
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&sup, T(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &q, NULL, NULL));
}

/* 45 */
static void bids_share_does_not_fit(void **state)
{
    (void)state;
    scn_tender tl;
    past_deadline(&tl, true);
    uint8_t wrong[33];
    memcpy(wrong, tl.cm.shares[0], 33);
    wrong[5] ^= 1;
    EXPECT(TND_STATUS_INVALID_ARGUMENT, submit_share(&off, &tl, 0, wrong));
}

/* 46 */
static void bids_share_twice(void **state)
{
    (void)state;
    scn_tender tl;
    past_deadline(&tl, true);
    EXPECT(TND_STATUS_OK, submit_share(&off, &tl, 0, tl.cm.shares[0]));
    EXPECT(TND_STATUS_ALREADY_EXISTS, submit_share(&off, &tl, 0, tl.cm.shares[0]));
}

/* 47 */
static void bids_share_after_opening(void **state)
{
    (void)state;
    scn_tender tl;
    past_deadline(&tl, true);
    assert_int_equal(submit_share(&off, &tl, 0, tl.cm.shares[0]), TND_STATUS_OK);
    EXPECT(TND_STATUS_OK, submit_share(&adm, &tl, 1, tl.cm.shares[1]));
    EXPECT(TND_STATUS_ALREADY_EXISTS, submit_share(&adm, &tl, 1, tl.cm.shares[1]));
}

/* ---- 11.5 Awards, Admin, Health, Reflection ---- */

/* 48 */
static void awards_get_none(void **state)
{
    (void)state;
    tender_tenders_v1_TenderRef r = {.id = ta.id};
    EXPECT(TND_STATUS_NOT_FOUND, scn_call(&anon, "tender.awards.v1.Awards/Get",
                                          &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    /* List answers a tender without a decision with none; an unknown one is not found. */
    EXPECT(TND_STATUS_OK, scn_call(&anon, "tender.awards.v1.Awards/List",
                                   &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL));
    tender_tenders_v1_TenderRef none = {.id = "T-2026-999999"};
    EXPECT(TND_STATUS_NOT_FOUND, scn_call(&anon, "tender.awards.v1.Awards/List",
                                          &tender_tenders_v1_TenderRef_desc, &none, NULL, NULL));
}

/* 49 */
static void awards_get_by_bad_id(void **state)
{
    (void)state;
    tender_awards_v1_AwardRef r = {.id = "award"};
    EXPECT(TND_STATUS_INVALID_ARGUMENT, scn_call(&anon, "tender.awards.v1.Awards/GetById",
                                                 &tender_awards_v1_AwardRef_desc, &r, NULL, NULL));
}

/* 50 */
static void admin_backup_off(void **state)
{
    (void)state;
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           scn_call(&adm, "tender.admin.v1.Admin/Backup", &tender_common_v1_Empty_desc, &empty_req,
                    NULL, NULL));
}

/* 51 */
static void health_unknown_service(void **state)
{
    (void)state;
    tender_health_v1_HealthCheckRequest q = {.service = "tender.nope.v1.Nope"};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, "tender.health.v1.Health/Check",
                    &tender_health_v1_HealthCheckRequest_desc, &q, NULL, NULL));
}

/* 52 */
static void reflection_unknown_service(void **state)
{
    (void)state;
    tender_reflection_v1_ListMethodsRequest q = {.service = "tender.nope.v1.Nope"};
    EXPECT(TND_STATUS_NOT_FOUND,
           scn_call(&anon, "tender.reflection.v1.Reflection/ListMethods",
                    &tender_reflection_v1_ListMethodsRequest_desc, &q, NULL, NULL));
}

/* ---- 11.6 Complaints ---- */

#define SUBJ TND_COMPLAINT_SUBJECT
#define OUTC TND_REVIEW_OUTCOME

/* A conditions complaint of the supplier on tender A: its id into id. */
static void complaint_on_a(char id[96])
{
    tender_complaints_v1_Complaint k;
    EXPECT(TND_STATUS_OK, cfx_file(&sup, ta.id, SUBJ(CONDITIONS), NULL, NULL, NULL, &k));
    snprintf(id, 96, "%s", k.id);
    tender_complaints_v1_Complaint_free(&k);
}

/* 58 */
static void complaints_file_shape(void **state)
{
    (void)state;
    tender_complaints_v1_FileComplaintRequest q = {
        .tender_id = ta.id, .subject = SUBJ(CONDITIONS), .text = "t"};
    EXPECT(
        TND_STATUS_INVALID_ARGUMENT,
        scn_call(&sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q, NULL, NULL));
    q.title = "t";
    q.subject = (tender_complaints_v1_Subject)0;
    EXPECT(
        TND_STATUS_INVALID_ARGUMENT,
        scn_call(&sup, CFX(File), &tender_complaints_v1_FileComplaintRequest_desc, &q, NULL, NULL));
}

/* 59 */
static void complaints_file_late(void **state)
{
    (void)state;
    scn_tender tl;
    create_tender(&tl, 1500, 2000, NULL); /* within the 1 s lead already at 500 ms */
    scn_wait_until(&ts, tl.deadline_ms - 999);
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           cfx_file(&sup, tl.id, SUBJ(CONDITIONS), NULL, NULL, NULL, NULL));
}

/* The supplier's bid to a tender of its own, opened by the committee
 * (officer and admin) and awarded to it: the award into a. */
static void awarded(scn_tender *tl, tender_awards_v1_Award *a)
{
    char bid[40];
    uint8_t nonce[32];
    create_tender(tl, 1000, 1500, NULL);
    submitted(tl, bid, nonce);
    scn_wait_until(&ts, tl->opening_ms + 50);
    EXPECT(TND_STATUS_OK, submit_share(&off, tl, 0, tl->cm.shares[0]));
    EXPECT(TND_STATUS_OK, submit_share(&adm, tl, 1, tl->cm.shares[1]));
    tender_common_v1_Money p = {.minor_units = 1000, .currency = "KRW"};
    tender_awards_v1_BidEvaluation ev = {.bid_id = bid, .valid = true, .price = &p};
    tender_awards_v1_Decision d = {.tender_id = tl->id,
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
    tender_awards_v1_AwardRequest r = {.decision = &d, .signature = {sig, 64}};
    tender_awards_v1_Award_init(a);
    EXPECT(TND_STATUS_OK,
           scn_call(&off, "tender.awards.v1.Awards/Record", &tender_awards_v1_AwardRequest_desc, &r,
                    &tender_awards_v1_Award_desc, a));
}

/* 60 */
static void complaints_file_award_not_a_bidder(void **state)
{
    (void)state;
    scn_tender tl;
    tender_awards_v1_Award a;
    awarded(&tl, &a);
    EXPECT(TND_STATUS_PERMISSION_DENIED,
           cfx_file(&sup2, tl.id, SUBJ(AWARD), a.id, NULL, NULL, NULL));
    tender_awards_v1_Award_free(&a);
}

/* 61 */
static void complaints_file_too_many(void **state)
{
    (void)state;
    scn_tender tl;
    create_tender(&tl, 3600000, 3601000, NULL);
    /* One supplier's 60 (--max-complaints-per-supplier), then the tender's 100. */
    for (int i = 0; i < 60; i++)
        assert_int_equal(cfx_file(&sup, tl.id, SUBJ(CONDITIONS), NULL, NULL, NULL, NULL), 0);
    EXPECT(TND_STATUS_RESOURCE_EXHAUSTED,
           cfx_file(&sup, tl.id, SUBJ(CONDITIONS), NULL, NULL, NULL, NULL));
    for (int i = 0; i < 40; i++)
        assert_int_equal(cfx_file(&sup2, tl.id, SUBJ(CONDITIONS), NULL, NULL, NULL, NULL), 0);
    EXPECT(TND_STATUS_RESOURCE_EXHAUSTED,
           cfx_file(&sup2, tl.id, SUBJ(CONDITIONS), NULL, NULL, NULL, NULL));
}

/* 62 */
static void complaints_file_no_such_award(void **state)
{
    (void)state;
    char aid[96];
    snprintf(aid, sizeof aid, "%s-A7", ta.id);
    EXPECT(TND_STATUS_NOT_FOUND, cfx_file(&sup, ta.id, SUBJ(AWARD), aid, NULL, NULL, NULL));
}

/* 63 */
static void complaints_review_bad_signature(void **state)
{
    (void)state;
    char id[96];
    complaint_on_a(id);
    EXPECT(TND_STATUS_INVALID_ARGUMENT,
           cfx_review(&ts, &rev, "officer", id, ta.id, OUTC(ACCEPT), false, NULL));
}

/* 64 */
static void complaints_review_outcome_not_allowed(void **state)
{
    (void)state;
    char id[96];
    complaint_on_a(id);
    EXPECT(TND_STATUS_FAILED_PRECONDITION,
           cfx_review(&ts, &rev, "reviewer", id, ta.id, OUTC(REJECT), false, NULL));
}

/* 65 */
static void complaints_withdraw_by_another(void **state)
{
    (void)state;
    char id[96];
    complaint_on_a(id);
    EXPECT(TND_STATUS_OK, cfx_review(&ts, &rev, "reviewer", id, ta.id, OUTC(ACCEPT), false, NULL));
    EXPECT(TND_STATUS_PERMISSION_DENIED, cfx_withdraw(&sup2, id, NULL));
}

/* 66 */
static void complaints_withdraw_decided(void **state)
{
    (void)state;
    char id[96];
    complaint_on_a(id);
    EXPECT(TND_STATUS_OK, cfx_review(&ts, &rev, "reviewer", id, ta.id, OUTC(REFUSE), false, NULL));
    EXPECT(TND_STATUS_FAILED_PRECONDITION, cfx_withdraw(&sup, id, NULL));
}

/* 67 */
static void complaints_get_not_visible(void **state)
{
    (void)state;
    char id[96];
    complaint_on_a(id);
    EXPECT(TND_STATUS_OK, cfx_get(&off, id, NULL));
    EXPECT(TND_STATUS_NOT_FOUND, cfx_get(&anon, id, NULL));
    EXPECT(TND_STATUS_NOT_FOUND, cfx_get(&sup2, id, NULL));
    EXPECT(TND_STATUS_NOT_FOUND, cfx_withdraw(&sup2, id, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(any_unknown_method),
        cmocka_unit_test(any_anonymous_non_public),
        cmocka_unit_test(any_role_not_allowed),
        cmocka_unit_test(any_request_does_not_decode),
        cmocka_unit_test(any_unary_without_message),
        cmocka_unit_test(any_unary_two_messages),
        cmocka_unit_test(log_checkpoint_empty),
        cmocka_unit_test(log_inclusion_empty),
        cmocka_unit_test(log_leaves_empty),
        cmocka_unit_test(log_inclusion_bad_hash),
        cmocka_unit_test(log_beyond),
        cmocka_unit_test(log_consistency_from_zero),
        cmocka_unit_test(tenders_get_unknown),
        cmocka_unit_test(tenders_get_draft_of_others),
        cmocka_unit_test(tenders_get_no_such_version),
        cmocka_unit_test(tenders_get_no_id),
        cmocka_unit_test(required_fields_named),
        cmocka_unit_test(required_own_messages),
        cmocka_unit_test(tenders_create_without_title),
        cmocka_unit_test(tenders_edit_of_another_buyer),
        cmocka_unit_test(tenders_publish_incomplete_draft),
        cmocka_unit_test(tenders_publish_twice),
        cmocka_unit_test(tenders_cancel_without_reason),
        cmocka_unit_test(tenders_ask_on_draft),
        cmocka_unit_test(tenders_answer_unknown_question),
        cmocka_unit_test(tenders_answer_bad_question_id),
        cmocka_unit_test(bids_submit_nothing),
        cmocka_unit_test(bids_submit_first_without_envelope),
        cmocka_unit_test(bids_submit_bad_bid_id),
        cmocka_unit_test(bids_submit_wrong_owner_nonce),
        cmocka_unit_test(bids_submit_bad_signature),
        cmocka_unit_test(bids_submit_unknown_tender),
        cmocka_unit_test(bids_submit_other_key),
        cmocka_unit_test(bids_submit_too_large),
        cmocka_unit_test(bids_submit_same_id_twice),
        cmocka_unit_test(bids_submit_replaces_others),
        cmocka_unit_test(bids_status_wrong_nonce),
        cmocka_unit_test(bids_withdraw_without_nonce),
        cmocka_unit_test(bids_withdraw_twice),
        cmocka_unit_test(bids_submit_replaces_withdrawn),
        cmocka_unit_test(bids_opening_before_opened),
        cmocka_unit_test(bids_sealed_before_opened),
        cmocka_unit_test(bids_share_not_a_member),
        cmocka_unit_test(bids_share_before_opening),
        cmocka_unit_test(bids_submit_late),
        cmocka_unit_test(tenders_ask_after_enquiry),
        cmocka_unit_test(bids_share_does_not_fit),
        cmocka_unit_test(bids_share_twice),
        cmocka_unit_test(bids_share_after_opening),
        cmocka_unit_test(awards_get_none),
        cmocka_unit_test(awards_get_by_bad_id),
        cmocka_unit_test(admin_backup_off),
        cmocka_unit_test(health_unknown_service),
        cmocka_unit_test(reflection_unknown_service),
        cmocka_unit_test(complaints_file_shape),
        cmocka_unit_test(complaints_file_late),
        cmocka_unit_test(complaints_file_award_not_a_bidder),
        cmocka_unit_test(complaints_file_too_many),
        cmocka_unit_test(complaints_file_no_such_award),
        cmocka_unit_test(complaints_review_bad_signature),
        cmocka_unit_test(complaints_review_outcome_not_allowed),
        cmocka_unit_test(complaints_withdraw_by_another),
        cmocka_unit_test(complaints_withdraw_decided),
        cmocka_unit_test(complaints_get_not_visible),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
