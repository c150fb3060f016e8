/* End-to-end tests of the tender service on an in-process server: the life
 * cycle, who may do what, amendments, the deadline timer (also across a
 * restart), paging, persistence, idempotent retries and a full database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawconn.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/cancel.h"
#include "tender/limits.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define M(name) "tender.tenders.v1.Tenders/" #name
#define T_DESC (&tender_tenders_v1_Tender_desc)

typedef tender_tenders_v1_Tender Tender;

static testsrv ts;
static uint64_t amend_period_ms;
static uint64_t map_bytes;

static uint64_t outage_min_ms; /* 0: the default rule */

static void cfg(tnd_config *c)
{
    if (outage_min_ms) {
        c->outage_min_ms = outage_min_ms;
        c->outage_window_ms = 2000;
        c->outage_extension_ms = 5000;
    }
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = amend_period_ms;
    if (map_bytes) {
        c->map_size = map_bytes;
        c->max_map_size = map_bytes;
    }
}

static int setup(void **state)
{
    (void)state;
    amend_period_ms = 0;
    map_bytes = 0;
    outage_min_ms = 0;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

static void close_all(void);

static int teardown(void **state)
{
    (void)state;
    close_all(); /* also after a failed test: connections belong to this server */
    testsrv_stop(&ts);
    return 0;
}

/* Connections per identity, opened lazily, closed after each test. */
static const char *const who_names[] = {"officer", "officer2", "supplier", "auditor", NULL};
enum { OFFICER, OFFICER2, SUPPLIER, AUDITOR, ANON, N_WHO };
static rawconn conns[N_WHO];
static bool open_[N_WHO];
static uint32_t next_sid[N_WHO];

static rawconn *as(int who)
{
    if (!open_[who]) {
        char crt[700], key[700], ca[700];
        testsrv_path(&ts, "ca.crt", ca, sizeof ca);
        int rc;
        if (who == ANON) {
            rc = rawconn_open(&conns[who], ts.port, ca, NULL, NULL);
        } else {
            char f[64];
            snprintf(f, sizeof f, "%s.crt", who_names[who]);
            testsrv_path(&ts, f, crt, sizeof crt);
            snprintf(f, sizeof f, "%s.key", who_names[who]);
            testsrv_path(&ts, f, key, sizeof key);
            rc = rawconn_open(&conns[who], ts.port, ca, crt, key);
        }
        assert_int_equal(rc, 0);
        rawconn_settings(&conns[who]);
        open_[who] = true;
        next_sid[who] = 1;
    }
    return &conns[who];
}

static void close_all(void)
{
    for (int i = 0; i < N_WHO; i++) {
        if (open_[i])
            rawconn_close(&conns[i]);
        open_[i] = false;
    }
}

static char last_msg[512];

static int call(int who, const char *method, const tnd_msg_desc *qd, const void *q,
                const tnd_msg_desc *rd, void *r)
{
    rawconn *c = as(who);
    uint32_t sid = next_sid[who];
    next_sid[who] += 2;
    return rawconn_call(c, sid, method, qd, q, rd, r, last_msg, sizeof last_msg, NULL, 0);
}

static void ts_in(tender_common_v1_Timestamp **t, int64_t ms_from_now)
{
    tnd_ts_set(t, testsrv_now(&ts) + ms_from_now);
}

/* Fields of a publishable tender with its deadline dl_ms from now. */
static void fill_fields(tender_tenders_v1_TenderFields *f, const char *title, int64_t dl_ms)
{
    tender_tenders_v1_TenderFields_init(f);
    f->title = strdup(title);
    f->description = strdup("Resurfacing of the ring road, 12 km");
    f->method = tender_tenders_v1_ProcurementMethod_OPEN;
    f->category = tender_tenders_v1_MainCategory_WORKS;
    f->classification = calloc(1, sizeof *f->classification);
    f->classification->scheme = strdup("CPV");
    f->classification->code = strdup("45233140-2");
    f->estimated_value = calloc(1, sizeof *f->estimated_value);
    f->estimated_value->minor_units = 150000000;
    f->estimated_value->currency = strdup("KRW");
    ts_in(&f->submission_deadline, dl_ms);
    ts_in(&f->opening_time, dl_ms + 1000);
    f->committee = calloc(1, sizeof *f->committee);
    f->committee->threshold = 1;
    f->committee->n_members = 1;
    f->committee->members = calloc(1, sizeof *f->committee->members);
    f->committee->members[0].name = strdup("Kim");
    /* Fresh keys (an opening key serves one tender); stand-in shares: these
     * tests take no bids, so the opening key's private half is dropped. */
    uint8_t sk[32];
    f->committee->members[0].public_key.data = malloc(32);
    f->committee->members[0].public_key.len = 32;
    assert_int_equal(tnd_x25519_keygen(sk, f->committee->members[0].public_key.data), 0);
    f->committee->opening_public_key.data = malloc(32);
    f->committee->opening_public_key.len = 32;
    assert_int_equal(tnd_x25519_keygen(sk, f->committee->opening_public_key.data), 0);
    f->committee->members[0].share_hash.data = calloc(1, 32);
    f->committee->members[0].share_hash.len = 32;
    f->committee->members[0].encrypted_share.data = calloc(1, 81);
    f->committee->members[0].encrypted_share.len = 81;
}

/* Create a draft as `who`; returns its id (static buffer per call site). */
static char *create(int who, const char *title, int64_t dl_ms, int *status)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, title, dl_ms);
    Tender t;
    tender_tenders_v1_Tender_init(&t);
    int st = call(who, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, T_DESC, &t);
    char *id = st == 0 && t.id ? strdup(t.id) : NULL;
    if (st == 0) {
        assert_int_equal(t.status, tender_tenders_v1_TenderStatus_DRAFT);
        assert_string_equal(t.buyer, who == OFFICER ? "Ministry of Works" : "City of Springfield");
    }
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    if (status)
        *status = st;
    return id;
}

static int get(int who, const char *id, uint32_t version, Tender *out)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id, .version = version};
    tender_tenders_v1_Tender_init(out);
    return call(who, M(Get), &tender_tenders_v1_TenderRef_desc, &r, T_DESC, out);
}

static int publish(int who, const char *id)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    Tender t;
    tender_tenders_v1_Tender_init(&t);
    int st = call(who, M(Publish), &tender_tenders_v1_TenderRef_desc, &r, T_DESC, &t);
    if (st == 0) {
        assert_int_equal(t.status, tender_tenders_v1_TenderStatus_ACTIVE);
        assert_int_equal(t.version, 1);
    }
    tender_tenders_v1_Tender_free(&t);
    return st;
}

/* An amendment keeps the committee: copy the one tender id has now. */
static void keep_committee(const char *id, tender_tenders_v1_TenderFields *f)
{
    Tender cur;
    assert_int_equal(get(OFFICER, id, 0, &cur), 0);
    tender_tenders_v1_Committee_free(f->committee);
    assert_int_equal(tnd_msg_copy(&tender_tenders_v1_Committee_desc, cur.fields->committee,
                                   f->committee),
                     0);
    tender_tenders_v1_Tender_free(&cur);
}

static int amend(int who, const char *id, const char *title, int64_t dl_ms, Tender *out)
{
    tender_tenders_v1_AmendTenderRequest q;
    tender_tenders_v1_AmendTenderRequest_init(&q);
    q.id = strdup(id);
    q.note = strdup("corrected title");
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, title, dl_ms);
    keep_committee(id, q.fields);
    tender_tenders_v1_Tender_init(out);
    int st = call(who, M(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &q, T_DESC, out);
    tender_tenders_v1_AmendTenderRequest_free(&q);
    return st;
}

static void test_life_cycle(void **state)
{
    (void)state;
    char *id = create(OFFICER, "Ring road", 3600000, NULL);
    assert_non_null(id);
    /* edit the draft */
    tender_tenders_v1_EditTenderRequest e;
    tender_tenders_v1_EditTenderRequest_init(&e);
    e.id = strdup(id);
    e.fields = calloc(1, sizeof *e.fields);
    fill_fields(e.fields, "Ring road, lot 1", 3600000);
    Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(OFFICER, M(Edit), &tender_tenders_v1_EditTenderRequest_desc, &e, T_DESC,
                          &t),
                     0);
    assert_string_equal(t.fields->title, "Ring road, lot 1");
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_EditTenderRequest_free(&e);
    /* publish; now everyone sees it, and edit is refused */
    assert_int_equal(publish(OFFICER, id), 0);
    assert_int_equal(get(ANON, id, 0, &t), 0);
    assert_int_equal(t.version, 1);
    tender_tenders_v1_Tender_free(&t);
    /* amend: version 2, version 1 still readable */
    assert_int_equal(amend(OFFICER, id, "Ring road, lot 1 (corrected)", 7200000, &t), 0);
    assert_int_equal(t.version, 2);
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(get(SUPPLIER, id, 1, &t), 0);
    assert_string_equal(t.fields->title, "Ring road, lot 1");
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(get(SUPPLIER, id, 2, &t), 0);
    assert_string_equal(t.fields->title, "Ring road, lot 1 (corrected)");
    assert_string_equal(t.amendment_note, "corrected title");
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(get(SUPPLIER, id, 3, &t), TND_STATUS_NOT_FOUND);
    tender_tenders_v1_Tender_free(&t);
    /* a question, answered, is public */
    tender_tenders_v1_AskQuestionRequest a = {.tender_id = id, .text = "Is night work allowed?"};
    tender_tenders_v1_Question qn;
    tender_tenders_v1_Question_init(&qn);
    assert_int_equal(call(SUPPLIER, M(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &a,
                          &tender_tenders_v1_Question_desc, &qn),
                     0);
    assert_string_equal(qn.id, "Q-1");
    tender_tenders_v1_Question_free(&qn);
    tender_tenders_v1_ListQuestionsRequest lq = {.tender_id = id};
    tender_tenders_v1_ListQuestionsResponse lr;
    tender_tenders_v1_ListQuestionsResponse_init(&lr);
    assert_int_equal(call(ANON, M(Questions), &tender_tenders_v1_ListQuestionsRequest_desc, &lq,
                          &tender_tenders_v1_ListQuestionsResponse_desc, &lr),
                     0);
    assert_int_equal(lr.n_questions, 0); /* not answered yet */
    tender_tenders_v1_ListQuestionsResponse_free(&lr);
    tender_tenders_v1_AnswerQuestionRequest an = {
        .tender_id = id, .question_id = "Q-1", .answer = "Yes, 22:00-06:00."};
    tender_tenders_v1_Question_init(&qn);
    assert_int_equal(call(OFFICER, M(Answer), &tender_tenders_v1_AnswerQuestionRequest_desc, &an,
                          &tender_tenders_v1_Question_desc, &qn),
                     0);
    tender_tenders_v1_Question_free(&qn);
    tender_tenders_v1_ListQuestionsResponse_init(&lr);
    assert_int_equal(call(ANON, M(Questions), &tender_tenders_v1_ListQuestionsRequest_desc, &lq,
                          &tender_tenders_v1_ListQuestionsResponse_desc, &lr),
                     0);
    assert_int_equal(lr.n_questions, 1);
    assert_string_equal(lr.questions[0].answer, "Yes, 22:00-06:00.");
    assert_null(lr.questions[0].asked_by_org); /* who asked stays with the buyer */
    tender_tenders_v1_ListQuestionsResponse_free(&lr);
    /* cancel with a reason: its code is required, from the codelist */
    tender_tenders_v1_CancelTenderRequest c = {.id = id, .reason = "budget withdrawn"};
    assert_int_equal(
        call(OFFICER, M(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &c, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "reason_code: required, one of NO_LONGER_NEEDED"));
    c.reason_code = (tender_common_v1_CancelReason)99;
    assert_int_equal(
        call(OFFICER, M(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &c, NULL, NULL),
        TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "BUDGET_CUT, NO_VALID_OFFER, COMPLAINT_UPHELD, OTHER"));
    c.reason_code = tender_common_v1_CancelReason_BUDGET_CUT;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(OFFICER, M(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &c,
                          T_DESC, &t),
                     0);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_CANCELLED);
    assert_int_equal(t.cancel_code, tender_common_v1_CancelReason_BUDGET_CUT);
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(publish(OFFICER, id), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(last_msg, "cancelled"));
    free(id);
    close_all();
}

/* A cancellation stored before the codelist has no code: one at 0 is not
 * encoded, so its bytes, and the hash the log holds of them, are as before;
 * a code set is encoded, so the object hash covers it. */
static void expect_encoding(const tnd_msg_desc *d, const void *m, const char *want_reason,
                            uint32_t reason_field, uint32_t code_field, int code)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, code ? 2 : 1);
    msgpack_pack_uint32(&pk, reason_field);
    msgpack_pack_str(&pk, strlen(want_reason));
    msgpack_pack_str_body(&pk, want_reason, strlen(want_reason));
    if (code) {
        msgpack_pack_uint32(&pk, code_field);
        msgpack_pack_int32(&pk, code);
    }
    uint8_t *buf;
    size_t len;
    tnd_codec_err err;
    assert_int_equal(tnd_msg_encode(d, m, &buf, &len, &err), 0);
    assert_int_equal(len, sb.size);
    assert_memory_equal(buf, sb.data, len);
    free(buf);
    msgpack_sbuffer_destroy(&sb);
}

static void test_cancel_code_encoding(void **state)
{
    (void)state;
    tender_tenders_v1_Tender t = {.cancel_reason = "r"};
    expect_encoding(T_DESC, &t, "r", 10, 15, 0);
    t.cancel_code = tender_common_v1_CancelReason_BUDGET_CUT;
    expect_encoding(T_DESC, &t, "r", 10, 15, 4);
    tender_tenders_v1_LotState ls = {.cancel_reason = "r"};
    expect_encoding(&tender_tenders_v1_LotState_desc, &ls, "r", 3, 4, 0);
    ls.cancel_code = tender_common_v1_CancelReason_OTHER;
    expect_encoding(&tender_tenders_v1_LotState_desc, &ls, "r", 3, 4, 7);
    tender_awards_v1_Award a = {.cancel_reason = "r"};
    expect_encoding(&tender_awards_v1_Award_desc, &a, "r", 10, 13, 0);
    a.cancel_code = tender_common_v1_CancelReason_COMPLAINT_UPHELD;
    expect_encoding(&tender_awards_v1_Award_desc, &a, "r", 10, 13, 6);
}

/* Each method x each kind of caller, with the expected status. */
static void test_authorization_matrix(void **state)
{
    (void)state;
    enum { OK = 0, PD = TND_STATUS_PERMISSION_DENIED, NF = TND_STATUS_NOT_FOUND,
           UA = TND_STATUS_UNAUTHENTICATED };
    /* rows: OFFICER, OFFICER2, SUPPLIER, AUDITOR, ANON */
    static const int create_exp[N_WHO] = {OK, OK, PD, PD, UA};
    static const int edit_draft_exp[N_WHO] = {OK, NF, PD, PD, UA};
    static const int get_draft_exp[N_WHO] = {OK, NF, NF, NF, NF};
    static const int publish_exp[N_WHO] = {OK, NF, PD, PD, UA};
    static const int get_active_exp[N_WHO] = {OK, OK, OK, OK, OK};
    static const int amend_exp[N_WHO] = {OK, PD, PD, PD, UA};
    static const int ask_exp[N_WHO] = {PD, PD, OK, PD, UA};
    static const int answer_exp[N_WHO] = {OK, PD, PD, PD, UA};
    static const int list_exp[N_WHO] = {OK, OK, OK, OK, OK};
    static const int cancel_exp[N_WHO] = {OK, PD, PD, PD, UA};

    for (int w = 0; w < N_WHO; w++) {
        int st;
        char *id = create(w, "matrix", 3600000, &st);
        assert_int_equal(st, create_exp[w]);
        free(id);
    }
    char *draft = create(OFFICER, "draft", 3600000, NULL);
    for (int w = 0; w < N_WHO; w++) {
        tender_tenders_v1_EditTenderRequest e;
        tender_tenders_v1_EditTenderRequest_init(&e);
        e.id = strdup(draft);
        e.fields = calloc(1, sizeof *e.fields);
        fill_fields(e.fields, "draft edited", 3600000);
        Tender t;
        tender_tenders_v1_Tender_init(&t);
        int st = call(w, M(Edit), &tender_tenders_v1_EditTenderRequest_desc, &e, T_DESC, &t);
        if (st != edit_draft_exp[w])
            fail_msg("Edit as %d: %d (%s)", w, st, last_msg);
        tender_tenders_v1_Tender_free(&t);
        tender_tenders_v1_EditTenderRequest_free(&e);
        assert_int_equal(get(w, draft, 0, &t), get_draft_exp[w]);
        tender_tenders_v1_Tender_free(&t);
    }
    /* Publish: everyone else first (all refused), then the owner. */
    for (int w = N_WHO - 1; w >= 0; w--)
        if (publish(w, draft) != publish_exp[w])
            fail_msg("Publish as %d: %s", w, last_msg);
    for (int w = 0; w < N_WHO; w++) {
        Tender t;
        assert_int_equal(get(w, draft, 0, &t), get_active_exp[w]);
        tender_tenders_v1_Tender_free(&t);
        int st = amend(w, draft, "amended", 3600000, &t);
        if (st != amend_exp[w])
            fail_msg("Amend as %d: %d (%s)", w, st, last_msg);
        tender_tenders_v1_Tender_free(&t);
        tender_tenders_v1_AskQuestionRequest a = {.tender_id = draft, .text = "?"};
        tender_tenders_v1_Question qn;
        tender_tenders_v1_Question_init(&qn);
        st = call(w, M(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &a,
                  &tender_tenders_v1_Question_desc, &qn);
        if (st != ask_exp[w])
            fail_msg("Ask as %d: %d (%s)", w, st, last_msg);
        tender_tenders_v1_Question_free(&qn);
        tender_tenders_v1_ListTendersRequest lq = {.page_size = 10};
        tender_tenders_v1_ListTendersResponse lr;
        tender_tenders_v1_ListTendersResponse_init(&lr);
        assert_int_equal(call(w, M(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                              &tender_tenders_v1_ListTendersResponse_desc, &lr),
                         list_exp[w]);
        tender_tenders_v1_ListTendersResponse_free(&lr);
    }
    /* Answers, once the supplier's question Q-1 exists. */
    for (int w = 0; w < N_WHO; w++) {
        tender_tenders_v1_AnswerQuestionRequest an = {
            .tender_id = draft, .question_id = "Q-1", .answer = "!"};
        tender_tenders_v1_Question qn;
        tender_tenders_v1_Question_init(&qn);
        int st = call(w, M(Answer), &tender_tenders_v1_AnswerQuestionRequest_desc, &an,
                      &tender_tenders_v1_Question_desc, &qn);
        if (st != answer_exp[w])
            fail_msg("Answer as %d: %d (%s)", w, st, last_msg);
        tender_tenders_v1_Question_free(&qn);
    }
    for (int w = N_WHO - 1; w >= 0; w--) {
        tender_tenders_v1_CancelTenderRequest c = {
            .id = draft, .reason = "test", .reason_code = tender_common_v1_CancelReason_OTHER};
        Tender t;
        tender_tenders_v1_Tender_init(&t);
        int st = call(w, M(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &c, T_DESC, &t);
        if (st != cancel_exp[w])
            fail_msg("Cancel as %d: %d (%s)", w, st, last_msg);
        tender_tenders_v1_Tender_free(&t);
    }
    free(draft);
    close_all();
}

static void test_amendment_must_extend_near_deadline(void **state)
{
    (void)state;
    testsrv_halt(&ts);
    amend_period_ms = 3600000; /* one hour */
    testsrv_start(&ts, cfg, NULL);
    char *id = create(OFFICER, "close call", 1800000, NULL); /* closes in 30 min */
    assert_int_equal(publish(OFFICER, id), 0);
    Tender t;
    assert_int_equal(amend(OFFICER, id, "same deadline", 1800000, &t),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(last_msg, "must move the submission deadline"));
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(amend(OFFICER, id, "extended", 2 * 3600000, &t), 0);
    assert_int_equal(t.version, 2);
    tender_tenders_v1_Tender_free(&t);
    free(id);
    close_all();
}

static void wait_status(const char *id, int want, int ms)
{
    Tender t;
    for (int i = 0; i < ms / 50; i++) {
        assert_int_equal(get(ANON, id, 0, &t), 0);
        int s = t.status;
        tender_tenders_v1_Tender_free(&t);
        if (s == want)
            return;
        usleep(50000);
    }
    fail_msg("tender %s did not reach status %d", id, want);
}

static int status_now(const char *id)
{
    Tender t;
    assert_int_equal(get(ANON, id, 0, &t), 0);
    int s = t.status;
    tender_tenders_v1_Tender_free(&t);
    return s;
}

static void test_deadline_closes_tender(void **state)
{
    (void)state;
    char *id = create(OFFICER, "quick", 1500, NULL);
    assert_int_equal(publish(OFFICER, id), 0);
    testsrv_advance(&ts, 1499);
    assert_int_equal(status_now(id), tender_tenders_v1_TenderStatus_ACTIVE);
    testsrv_advance(&ts, 1);
    assert_int_equal(status_now(id), tender_tenders_v1_TenderStatus_CLOSED);
    /* Closed: no more questions or amendments. */
    tender_tenders_v1_AskQuestionRequest a = {.tender_id = id, .text = "late?"};
    assert_int_equal(call(SUPPLIER, M(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &a, NULL,
                          NULL),
                     TND_STATUS_FAILED_PRECONDITION);
    free(id);
    close_all();
}

static void test_deadline_across_restart(void **state)
{
    (void)state;
    char *id = create(OFFICER, "restart", 1000, NULL);
    assert_int_equal(publish(OFFICER, id), 0);
    close_all();
    testsrv_halt(&ts);
    testsrv_advance(&ts, 1500); /* the deadline passes while the server is down */
    testsrv_start(&ts, cfg, NULL);
    wait_status(id, tender_tenders_v1_TenderStatus_CLOSED, 5000);
    free(id);
    close_all();
}

/* The outage rule: with the server down across a deadline (and one just
 * after the outage), both deadlines move to the extension after the later
 * of the deadline and the outage's end, in a new version that says why; a
 * deadline beyond the window stays. */
static void test_deadline_postponed_after_outage(void **state)
{
    (void)state;
    outage_min_ms = 1000; /* heartbeat every 333 ms */
    close_all();
    testsrv_restart(&ts);
    char *during = create(OFFICER, "during", 1500, NULL);
    char *after = create(OFFICER, "after", 3500, NULL);
    char *later = create(OFFICER, "later", 60000, NULL);
    assert_int_equal(publish(OFFICER, during), 0);
    assert_int_equal(publish(OFFICER, after), 0);
    assert_int_equal(publish(OFFICER, later), 0);
    Tender t, v1;
    assert_int_equal(get(ANON, during, 0, &v1), 0);
    int64_t d_during = tnd_ts_ms(v1.fields->submission_deadline);
    int64_t open_during = tnd_ts_ms(v1.fields->opening_time);
    tender_tenders_v1_Tender_free(&v1);
    assert_int_equal(get(ANON, after, 0, &v1), 0);
    int64_t d_after = tnd_ts_ms(v1.fields->submission_deadline);
    tender_tenders_v1_Tender_free(&v1);
    testsrv_advance(&ts, 500); /* a heartbeat records the server alive */
    close_all();
    testsrv_halt(&ts);
    testsrv_advance(&ts, 2500); /* "during" passes while the server is down */
    int64_t back = testsrv_now(&ts);
    testsrv_start(&ts, cfg, NULL);

    /* The start-up write applies the rule, just after the server listens. */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(get(ANON, during, 0, &t), 0);
        if (t.version == 2 || i == 99)
            break; /* checked below */
        tender_tenders_v1_Tender_free(&t);
        usleep(50000);
    }
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_ACTIVE);
    assert_int_equal(t.version, 2);
    assert_non_null(t.postponement);
    assert_int_equal(tnd_ts_ms(t.postponement->previous_deadline), d_during);
    int64_t to = tnd_ts_ms(t.postponement->outage_to);
    assert_true(to >= back && to < back + 2000);
    assert_true(tnd_ts_ms(t.postponement->outage_from) < d_during);
    assert_int_equal(t.postponement->extension_ms, 5000);
    /* Bids sealed to version 1 still answer the tender: the postponement
     * changed no terms (docs/SEALED.md, "When an opened bid is valid"). */
    assert_int_equal(t.postponement->terms_version, 1);
    assert_int_equal(tnd_bid_terms_of(&t).version, 1);
    assert_int_equal(tnd_ts_ms(t.fields->submission_deadline), to + 5000);
    assert_int_equal(tnd_ts_ms(t.fields->opening_time), open_during + (to + 5000 - d_during));
    tender_tenders_v1_Tender_free(&t);
    /* Version 1 is kept as published. */
    assert_int_equal(get(ANON, during, 1, &t), 0);
    assert_int_equal(tnd_ts_ms(t.fields->submission_deadline), d_during);
    assert_null(t.postponement);
    tender_tenders_v1_Tender_free(&t);

    assert_int_equal(get(ANON, after, 0, &t), 0); /* within the window after the outage */
    assert_int_equal(t.version, 2);
    assert_int_equal(tnd_ts_ms(t.fields->submission_deadline), d_after + 5000);
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(get(ANON, later, 0, &t), 0); /* beyond the window: untouched */
    assert_int_equal(t.version, 1);
    assert_null(t.postponement);
    tender_tenders_v1_Tender_free(&t);

    /* Still taking questions until the new deadline; then closed. */
    tender_tenders_v1_AskQuestionRequest a = {.tender_id = during, .text = "still open?"};
    assert_int_equal(call(SUPPLIER, M(Ask), &tender_tenders_v1_AskQuestionRequest_desc, &a, NULL,
                          NULL),
                     0);
    testsrv_advance_to(&ts, to + 5000 - 1);
    assert_int_equal(status_now(during), tender_tenders_v1_TenderStatus_ACTIVE);
    testsrv_advance(&ts, 1);
    assert_int_equal(status_now(during), tender_tenders_v1_TenderStatus_CLOSED);
    free(during);
    free(after);
    free(later);
    close_all();
}

static void test_paging_thousand(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        char title[32];
        snprintf(title, sizeof title, "tender %04d", i);
        free(create(OFFICER, title, 3600000, NULL));
    }
    char cursor[300] = "";
    int pages = 0, total = 0;
    char last[64] = "";
    for (;;) {
        tender_tenders_v1_ListTendersRequest q = {.page_size = 100, .cursor = cursor};
        tender_tenders_v1_ListTendersResponse r;
        tender_tenders_v1_ListTendersResponse_init(&r);
        assert_int_equal(call(OFFICER, M(List), &tender_tenders_v1_ListTendersRequest_desc, &q,
                              &tender_tenders_v1_ListTendersResponse_desc, &r),
                         0);
        pages++;
        for (size_t i = 0; i < r.n_tenders; i++) {
            assert_true(strcmp(r.tenders[i].id, last) > 0); /* sorted, no repeats */
            snprintf(last, sizeof last, "%s", r.tenders[i].id);
        }
        total += (int)r.n_tenders;
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tender_tenders_v1_ListTendersResponse_free(&r);
        if (!*cursor)
            break;
        assert_true(pages < 20);
    }
    assert_int_equal(total, 1000);
    assert_int_equal(pages, 10);
    /* Another organisation sees none of these drafts. */
    tender_tenders_v1_ListTendersRequest q = {.page_size = 100};
    tender_tenders_v1_ListTendersResponse r;
    tender_tenders_v1_ListTendersResponse_init(&r);
    assert_int_equal(call(OFFICER2, M(List), &tender_tenders_v1_ListTendersRequest_desc, &q,
                          &tender_tenders_v1_ListTendersResponse_desc, &r),
                     0);
    assert_int_equal(r.n_tenders, 0);
    tender_tenders_v1_ListTendersResponse_free(&r);
    close_all();
}

static void test_restart_persistence(void **state)
{
    (void)state;
    char *id = create(OFFICER, "persistent", 3600000, NULL);
    assert_int_equal(publish(OFFICER, id), 0);
    close_all();
    testsrv_restart(&ts);
    Tender t;
    assert_int_equal(get(ANON, id, 0, &t), 0);
    assert_string_equal(t.fields->title, "persistent");
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_ACTIVE);
    assert_int_equal(t.fields->estimated_value->minor_units, 150000000);
    tender_tenders_v1_Tender_free(&t);
    free(id);
    close_all();
}

static void test_idempotent_create(void **state)
{
    (void)state;
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, "once", 3600000);
    tnd_md md[] = {{"idempotency-key", (const uint8_t *)"req-42", 6}};
    char ids[2][64];
    for (int i = 0; i < 2; i++) {
        Tender t;
        tender_tenders_v1_Tender_init(&t);
        rawconn *c = as(OFFICER);
        uint32_t sid = next_sid[OFFICER];
        next_sid[OFFICER] += 2;
        assert_int_equal(rawconn_call(c, sid, M(Create), &tender_tenders_v1_CreateTenderRequest_desc,
                                      &q, T_DESC, &t, last_msg, sizeof last_msg, md, 1),
                         0);
        snprintf(ids[i], sizeof ids[i], "%s", t.id);
        tender_tenders_v1_Tender_free(&t);
    }
    assert_string_equal(ids[0], ids[1]);
    /* A different key makes a new tender. */
    char *other = create(OFFICER, "twice", 3600000, NULL);
    assert_string_not_equal(other, ids[0]);
    free(other);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    close_all();
}

static void test_invalid_fields(void **state)
{
    (void)state;
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, "bad currency", 3600000);
    free(q.fields->estimated_value->currency);
    q.fields->estimated_value->currency = strdup("won");
    assert_int_equal(call(OFFICER, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          NULL, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "fields.estimated_value.currency"));
    /* Three capitals, but no currency in use: amounts in it have no known
     * minor unit (include/tender/currency.h). */
    free(q.fields->estimated_value->currency);
    q.fields->estimated_value->currency = strdup("ABC");
    assert_int_equal(call(OFFICER, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          NULL, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "fields.estimated_value.currency"));
    tender_tenders_v1_CreateTenderRequest_free(&q);
    /* Publishing with a deadline in the past names the field. */
    char *id = create(OFFICER, "past", -60000, NULL);
    assert_int_equal(publish(OFFICER, id), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(last_msg, "fields.submission_deadline"));
    free(id);
    close_all();
}

static void test_full_database(void **state)
{
    (void)state;
    testsrv_halt(&ts);
    test_rmtree(ts.dir);
    testsrv_pki(&ts);
    map_bytes = 2u << 20; /* 2 MiB, no growth */
    testsrv_start(&ts, cfg, NULL);
    char *first = create(OFFICER, "first", 3600000, NULL);
    assert_non_null(first);
    int st = 0, n = 0;
    while (st == 0 && n < 5000) {
        tender_tenders_v1_CreateTenderRequest q;
        tender_tenders_v1_CreateTenderRequest_init(&q);
        q.fields = calloc(1, sizeof *q.fields);
        fill_fields(q.fields, "filler", 3600000);
        free(q.fields->description);
        q.fields->description = malloc(15001);
        memset(q.fields->description, 'x', 15000);
        q.fields->description[15000] = '\0';
        st = call(OFFICER, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL,
                  NULL);
        tender_tenders_v1_CreateTenderRequest_free(&q);
        n++;
    }
    assert_int_equal(st, TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(last_msg, "full"));
    /* Health tells load balancers that this server cannot take writes. */
    tender_health_v1_HealthCheckRequest hq = {0};
    tender_health_v1_HealthCheckResponse hr;
    tender_health_v1_HealthCheckResponse_init(&hr);
    assert_int_equal(call(ANON, "tender.health.v1.Health/Check",
                          &tender_health_v1_HealthCheckRequest_desc, &hq,
                          &tender_health_v1_HealthCheckResponse_desc, &hr),
                     0);
    assert_int_equal(hr.status, tender_health_v1_ServingStatus_NOT_SERVING);
    /* Reads still work. */
    Tender t;
    assert_int_equal(get(OFFICER, first, 0, &t), 0);
    assert_string_equal(t.fields->title, "first");
    tender_tenders_v1_Tender_free(&t);
    free(first);
    close_all();
}

/* Once questions have closed, an amendment that keeps the (past) enquiry
 * deadline is still allowed; a new past enquiry deadline is not. */
static void test_amend_after_enquiry_period(void **state)
{
    (void)state;
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, "enquiries", 3600000);
    tnd_ts_set(&q.fields->enquiry_deadline, testsrv_now(&ts) + 800);
    int64_t enq = tnd_ts_ms(q.fields->enquiry_deadline);
    Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(OFFICER, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          T_DESC, &t),
                     0);
    char *id = strdup(t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    assert_int_equal(publish(OFFICER, id), 0);
    testsrv_advance(&ts, 1000);
    tender_tenders_v1_AmendTenderRequest a;
    tender_tenders_v1_AmendTenderRequest_init(&a);
    a.id = strdup(id);
    a.note = strdup("later deadline");
    a.fields = calloc(1, sizeof *a.fields);
    fill_fields(a.fields, "enquiries", 7200000);
    keep_committee(id, a.fields);
    tnd_ts_set(&a.fields->enquiry_deadline, enq);
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(OFFICER, M(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &a,
                          T_DESC, &t),
                     0);
    tender_tenders_v1_Tender_free(&t);
    tnd_ts_set(&a.fields->enquiry_deadline, enq - 1000);
    assert_int_equal(call(OFFICER, M(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &a,
                          T_DESC, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "enquiry_deadline"));
    tender_tenders_v1_AmendTenderRequest_free(&a);
    free(id);
    close_all();
}

/* A listing does bounded work per call: with more drafts of another
 * organisation than one call looks at, the page comes back short (here
 * empty) with a cursor, and the next call finishes the listing. */
static void test_list_scan_bounded(void **state)
{
    (void)state;
    rawconn *c = as(OFFICER2);
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_TenderFields f;
    tender_tenders_v1_TenderFields_init(&f);
    f.title = "hidden draft";
    q.fields = &f;
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_tenders_v1_CreateTenderRequest_desc, &q, &buf, &len,
                                    NULL),
                     0);
    const int total = (int)TND_LIST_MAX_SCAN + 100;
    int done = 0;
    while (done < total) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        int batch = total - done < 500 ? total - done : 500;
        for (int i = 0; i < batch; i++) {
            uint32_t sid = next_sid[OFFICER2];
            next_sid[OFFICER2] += 2;
            assert_int_equal(tnd_frame_put_call(&sb, sid, M(Create), NULL, 0, 0), 0);
            assert_int_equal(tnd_frame_put_message(&sb, sid, buf, len, true), 0);
        }
        assert_int_equal(rawconn_send(c, &sb), 0);
        msgpack_sbuffer_destroy(&sb);
        int ok = 0;
        tnd_frame fr;
        while (ok < batch && rawconn_read(c, &fr, 10000, true) == 0)
            if (fr.type == TND_FRAME_STATUS) {
                assert_int_equal(fr.u.status.code, 0);
                ok++;
            }
        assert_int_equal(ok, batch);
        done += batch;
    }
    free(buf);
    tender_tenders_v1_ListTendersRequest lq = {.page_size = 10};
    tender_tenders_v1_ListTendersResponse lr;
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(call(OFFICER, M(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                          &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     0);
    assert_int_equal(lr.n_tenders, 0);
    assert_non_null(lr.next_cursor);
    assert_true(strlen(lr.next_cursor) > 0);
    char cursor[300];
    snprintf(cursor, sizeof cursor, "%s", lr.next_cursor);
    tender_tenders_v1_ListTendersResponse_free(&lr);
    lq.cursor = cursor;
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(call(OFFICER, M(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                          &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     0);
    assert_int_equal(lr.n_tenders, 0);
    assert_true(!lr.next_cursor || !*lr.next_cursor);
    tender_tenders_v1_ListTendersResponse_free(&lr);
    close_all();
}

/* A draft as OFFICER with its estimated value (minor units in code; code NULL:
 * none). */
static char *create_valued(const char *title, int64_t minor, const char *code)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    fill_fields(q.fields, title, 3600000);
    tender_common_v1_Money_free(q.fields->estimated_value);
    free(q.fields->estimated_value);
    q.fields->estimated_value = NULL;
    if (code) {
        q.fields->estimated_value = calloc(1, sizeof *q.fields->estimated_value);
        q.fields->estimated_value->minor_units = minor;
        q.fields->estimated_value->currency = strdup(code);
    }
    Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(call(OFFICER, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          T_DESC, &t),
                     0);
    char *id = strdup(t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    return id;
}

/* Tenders/List with a value filter (lo or hi NULL: no bound) and "valued" in the
 * title; the titles found, in order, joined by spaces, into out. */
static int list_valued(const tender_common_v1_Money *lo, const tender_common_v1_Money *hi,
                       char *out, size_t len)
{
    tender_tenders_v1_ListTendersRequest q = {.text = "valued",
                                              .value_min = (tender_common_v1_Money *)lo,
                                              .value_max = (tender_common_v1_Money *)hi};
    tender_tenders_v1_ListTendersResponse r;
    tender_tenders_v1_ListTendersResponse_init(&r);
    int st = call(OFFICER, M(List), &tender_tenders_v1_ListTendersRequest_desc, &q,
                  &tender_tenders_v1_ListTendersResponse_desc, &r);
    out[0] = '\0';
    for (size_t i = 0; i < r.n_tenders; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "",
                 r.tenders[i].fields->title);
    tender_tenders_v1_ListTendersResponse_free(&r);
    return st;
}

static void test_list_filters_by_estimated_value(void **state)
{
    (void)state;
    char *ids[] = {create_valued("valued-a", 10000, "EUR"),
                   create_valued("valued-b", 250050, "EUR"),
                   create_valued("valued-c", 150000000, "KRW"),
                   create_valued("valued-d", 0, NULL)};
    char got[256];
    tender_common_v1_Money lo = {.minor_units = 10000, .currency = "EUR"},
                           hi = {.minor_units = 100000, .currency = "EUR"};
    assert_int_equal(list_valued(NULL, NULL, got, sizeof got), 0);
    assert_string_equal(got, "valued-a valued-b valued-c valued-d");
    assert_int_equal(list_valued(&lo, &hi, got, sizeof got), 0);
    assert_string_equal(got, "valued-a");
    /* Both bounds are inclusive; either may be left out. */
    hi.minor_units = 250050;
    assert_int_equal(list_valued(NULL, &hi, got, sizeof got), 0);
    assert_string_equal(got, "valued-a valued-b");
    lo.minor_units = 10001;
    assert_int_equal(list_valued(&lo, NULL, got, sizeof got), 0);
    assert_string_equal(got, "valued-b");
    /* Another currency: only tenders valued in it, whatever the amount. */
    tender_common_v1_Money krw = {.minor_units = 0, .currency = "KRW"};
    assert_int_equal(list_valued(&krw, NULL, got, sizeof got), 0);
    assert_string_equal(got, "valued-c");
    tender_common_v1_Money usd = {.minor_units = 0, .currency = "USD"};
    assert_int_equal(list_valued(&usd, NULL, got, sizeof got), 0);
    assert_string_equal(got, "");
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        free(ids[i]);
    close_all();
}

static void test_list_refuses_a_bad_value_filter(void **state)
{
    (void)state;
    char got[64];
    tender_common_v1_Money eur = {.minor_units = 500, .currency = "EUR"},
                           usd = {.minor_units = 900, .currency = "USD"},
                           abc = {.minor_units = 1, .currency = "ABC"},
                           lower = {.minor_units = 1, .currency = "eur"},
                           none = {.minor_units = 1, .currency = ""},
                           neg = {.minor_units = -1, .currency = "EUR"},
                           small = {.minor_units = 499, .currency = "EUR"};
    assert_int_equal(list_valued(&eur, &usd, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_min is in EUR and value_max in USD"));
    assert_int_equal(list_valued(&abc, NULL, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_min: ABC is not an ISO 4217 currency"));
    assert_int_equal(list_valued(NULL, &lower, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_max: eur is not an ISO 4217 currency"));
    assert_int_equal(list_valued(&none, NULL, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_min: give its currency"));
    assert_int_equal(list_valued(NULL, &neg, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_max: -1 minor units is negative"));
    assert_int_equal(list_valued(&eur, &small, got, sizeof got), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(last_msg, "value_min (500 minor units) is above value_max (499)"));
    /* The connection serves on. */
    assert_int_equal(list_valued(&small, &eur, got, sizeof got), 0);
    close_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amendment_must_extend_near_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_closes_tender, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_across_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_postponed_after_outage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_thousand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amend_after_enquiry_period, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_scan_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_by_estimated_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_refuses_a_bad_value_filter, setup, teardown),
        cmocka_unit_test(test_cancel_code_encoding),
    };
    return cmocka_run_group_tests_name("tenders", tests, NULL, NULL);
}
