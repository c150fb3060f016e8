/* End-to-end tests of the deadline suspension on an in-process server with
 * a manual clock (docs/COMPLAINTS.md, "The clock"): a complaint about the
 * conditions accepted with suspend_deadline stops the tender's deadline:
 * bids and withdrawals wait, the deadline passes without closing the
 * tender, also across a restart. Rejected or withdrawn, a new version
 * (TENDER_RESUMED) moves the deadline and the opening by the time lost, a
 * bid sealed to the first version is taken again and the tender closes at
 * the moved deadline. Satisfied, the suspension goes on until the officer
 * amends the tender, which Tenders/Amend allows past the old deadline. */
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
#include "httpget.h"
#include "scrape.h"
#include "svc/svc.h"
#include "tender/complaint.h"

#define SUB TND_COMPLAINT_SUBJECT
#define OUT TND_REVIEW_OUTCOME
#define EV(x) tender_events_v1_EventKind_##x
#define TST(x) tender_tenders_v1_TenderStatus_##x
#define DEADLINE 5000
#define OPENING 6000
#define LEAD 1000

static testsrv ts;
static int http_port; /* the public HTTP API, for the OCDS export */

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->complaint_lead_ms = LEAD;
    snprintf(c->http, sizeof c->http, "127.0.0.1:%d", http_port);
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

static int group_setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    http_port = scrape_free_port();
    assert_true(http_port > 0);
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

/* who bids for w's tender, answering version 1: the status code. */
static int bid(cfx_world *w, scn_conn *c, const char *who)
{
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    char id[40];
    cfx_seal_bid(&ts, &w->t, who, 120000, 1, &b, nonce, id);
    int rc = scn_submit(c, &b, nonce, NULL, NULL, NULL);
    tender_bids_v1_SealedBid_free(&b);
    return rc;
}

/* A published tender and supplier2's complaint about its conditions,
 * accepted with the deadline suspended: the complaint's id into id. */
static void suspended(cfx_world *w, char id[96])
{
    scn_create_and_publish(&ts, &w->off, &w->t, "Suspension", DEADLINE, OPENING);
    tender_complaints_v1_Complaint k;
    if (cfx_file(&w->sup2, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, &k) != 0)
        fail_msg("file: %s", scn_msg);
    snprintf(id, 96, "%s", k.id);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance(&ts, 500);
    if (cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(ACCEPT), true, NULL) != 0)
        fail_msg("accept: %s", scn_msg);
    tender_events_v1_Event ev;
    assert_true(cfx_event(&ts, w->t.id, EV(COMPLAINT_ACCEPTED), id, &ev));
    assert_string_equal(ev.note, TND_COMPLAINT_SUSPENDS_NOTE);
    tender_events_v1_Event_free(&ev);
}

/* GET /api/v1/tenders/ID/complaints: the body into body (cap bytes). */
static void public_complaints(const char *tender_id, char *body, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/tenders/%s/complaints", tender_id);
    hresp r;
    http_req(http_port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    snprintf(body, cap, "%s", r.body);
    http_free(&r);
}

/* audit verify's report: failures printed, so a failing test says which. */
static void report(void *ctx, const char *check, tnd_check_result res, const char *detail)
{
    (void)ctx;
    if (res == TND_CHECK_FAILED)
        print_message("audit: %s FAILED: %s\n", check, detail);
}

/* libtender's audit of w's tender passes, the complaints check included. */
static void expect_audit_passes(cfx_world *w)
{
    assert_int_equal(scn_audit(&ts, &w->anon, w->t.id, true, report, NULL), 0);
}

static void expect_not_closed(cfx_world *w)
{
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(ACTIVE));
    tender_events_v1_Event ev;
    assert_false(cfx_event(&ts, w->t.id, EV(TENDER_CLOSED), "", &ev));
}

/* The resumed version: from the acceptance to the end, the deadline and
 * opening moved by as much, the bid terms those of version 1. */
static void expect_resumed(cfx_world *w, const char *id, int64_t accepted, int64_t ended)
{
    tender_tenders_v1_Tender t;
    scn_get_tender(&w->anon, w->t.id, &t);
    assert_int_equal(t.version, 2);
    assert_non_null(t.resumption);
    assert_string_equal(t.resumption->complaint_id, id);
    assert_int_equal(tnd_ts_ms(t.resumption->suspended_from), accepted);
    assert_int_equal(tnd_ts_ms(t.resumption->suspended_to), ended);
    assert_int_equal(tnd_ts_ms(t.resumption->previous_deadline), w->t.deadline_ms);
    assert_int_equal(t.resumption->terms_version, 1);
    int64_t lost = ended - accepted;
    assert_int_equal(tnd_ts_ms(t.fields->submission_deadline), w->t.deadline_ms + lost);
    assert_int_equal(tnd_ts_ms(t.fields->opening_time), w->t.opening_ms + lost);
    tender_tenders_v1_Tender_free(&t);
    tender_events_v1_Event ev;
    assert_true(cfx_event(&ts, w->t.id, EV(TENDER_RESUMED), "", &ev));
    assert_int_equal(ev.tender_version, 2);
    assert_non_null(strstr(ev.note, id));
    tender_events_v1_Event_free(&ev);
}

/* Suspended: no bids, no closing at the deadline, also after a restart;
 * rejected: resumed by the time lost, bids again, closed at the moved
 * deadline. */
static void test_a_suspension_ends_with_the_deadline_moved(void **state)
{
    cfx_world *w = *state;
    char id[96];
    suspended(w, id);
    int64_t accepted = testsrv_now(&ts);
    cfx_expect(bid(w, &w->sup, "supplier"), TND_STATUS_FAILED_PRECONDITION,
               "is suspended by complaint");

    testsrv_advance_to(&ts, w->t.deadline_ms + 200);
    expect_not_closed(w);
    cfx_close(w);
    testsrv_restart(&ts); /* nothing to restore, nothing closes */
    cfx_connect(&ts, w);
    testsrv_advance(&ts, 100);
    expect_not_closed(w);
    cfx_expect(bid(w, &w->sup, "supplier"), TND_STATUS_FAILED_PRECONDITION,
               "is suspended by complaint");

    if (cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(REJECT), false, NULL) != 0)
        fail_msg("reject: %s", scn_msg);
    int64_t ended = testsrv_now(&ts);
    expect_resumed(w, id, accepted, ended);
    /* A bid sealed to version 1 still answers the terms. */
    if (bid(w, &w->sup, "supplier") != 0)
        fail_msg("bid after the suspension: %s", scn_msg);
    int64_t moved = w->t.deadline_ms + (ended - accepted);
    testsrv_advance_to(&ts, moved - 10);
    expect_not_closed(w);
    testsrv_advance_to(&ts, moved + 10);
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(CLOSED));
    expect_audit_passes(w);

    /* OCDS: the resumed version is an amendment of the tender. */
    char path[128], want[128];
    snprintf(path, sizeof path, "/api/v1/tenders/%s/ocds", w->t.id);
    hresp r;
    http_req(http_port, "GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    snprintf(want, sizeof want, "%s-amendment-2\"", w->t.id);
    if (!strstr(r.body, want))
        fail_msg("no amendment %s in the OCDS export:\n%.2000s", want, r.body);
    http_free(&r);
}

/* Withdrawn by the complainant: the same resumption. */
static void test_a_withdrawal_ends_the_suspension(void **state)
{
    cfx_world *w = *state;
    char id[96];
    suspended(w, id);
    int64_t accepted = testsrv_now(&ts);
    testsrv_advance(&ts, 2000);
    assert_int_equal(cfx_withdraw(&w->sup2, id, NULL), 0);
    expect_resumed(w, id, accepted, testsrv_now(&ts));
    assert_int_equal(bid(w, &w->sup, "supplier"), 0);
    expect_audit_passes(w);
}

/* Satisfied: suspended until the officer amends, past the old deadline
 * too; the amendment's own deadline then applies. */
static void test_a_satisfied_complaint_suspends_until_the_amendment(void **state)
{
    cfx_world *w = *state;
    char id[96];
    suspended(w, id);
    testsrv_advance(&ts, 300);
    if (cfx_review(&ts, &w->rev, "reviewer", id, w->t.id, OUT(SATISFY), false, NULL) != 0)
        fail_msg("satisfy: %s", scn_msg);
    tender_events_v1_Event ev;
    assert_false(cfx_event(&ts, w->t.id, EV(TENDER_RESUMED), "", &ev));
    cfx_expect(bid(w, &w->sup, "supplier"), TND_STATUS_FAILED_PRECONDITION,
               "waits until the buyer amends them");
    /* One suspension at a time: the upheld one lasts, another cannot start. */
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, &k), 0);
    cfx_expect(cfx_review(&ts, &w->rev, "reviewer", k.id, w->t.id, OUT(ACCEPT), true, NULL),
               TND_STATUS_FAILED_PRECONDITION, "already suspended by complaint");
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", k.id, w->t.id, OUT(ACCEPT), false, NULL),
                     0);
    tender_complaints_v1_Complaint_free(&k);
    testsrv_advance_to(&ts, w->t.deadline_ms + 500);
    expect_not_closed(w);

    tender_tenders_v1_Tender t;
    scn_get_tender(&w->off, w->t.id, &t);
    int64_t now = testsrv_now(&ts);
    t.fields->submission_deadline->seconds = (now + 4000) / 1000;
    t.fields->submission_deadline->nanos = 0;
    t.fields->opening_time->seconds = (now + 5000) / 1000;
    t.fields->opening_time->nanos = 0;
    tender_tenders_v1_AmendTenderRequest q = {
        .id = w->t.id, .fields = t.fields, .note = "The brand name is removed."};
    tender_tenders_v1_Tender out;
    tender_tenders_v1_Tender_init(&out);
    if (scn_call(&w->off, SCN_T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &q,
                 &tender_tenders_v1_Tender_desc, &out) != 0)
        fail_msg("amend past the suspended deadline: %s", scn_msg);
    int64_t deadline = tnd_ts_ms(out.fields->submission_deadline);
    assert_int_equal(out.version, 2);
    assert_null(out.resumption);
    tender_tenders_v1_Tender_free(&out);
    tender_tenders_v1_Tender_free(&t);

    /* No longer suspended: a supplier may withdraw or bid; it closes at the
     * amended deadline. (The bid answers version 1: taken now, judged at
     * the opening.) */
    assert_int_equal(bid(w, &w->sup, "supplier"), 0);
    testsrv_advance_to(&ts, deadline + 10);
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(CLOSED));
    expect_audit_passes(w);
}

/* Without suspend_deadline an accepted complaint about the conditions
 * changes nothing: the tender closes at its deadline. */
static void test_an_acceptance_without_suspension_leaves_the_deadline(void **state)
{
    cfx_world *w = *state;
    scn_create_and_publish(&ts, &w->off, &w->t, "No suspension", DEADLINE, OPENING);
    tender_complaints_v1_Complaint k;
    assert_int_equal(cfx_file(&w->sup2, w->t.id, SUB(CONDITIONS), NULL, NULL, NULL, &k), 0);
    /* The public web shows a complaint once accepted, never who filed it. */
    char body[8192];
    public_complaints(w->t.id, body, sizeof body);
    assert_string_equal(body, "{\"complaints\":[]}");
    assert_int_equal(cfx_review(&ts, &w->rev, "reviewer", k.id, w->t.id, OUT(ACCEPT), false, NULL),
                     0);
    public_complaints(w->t.id, body, sizeof body);
    assert_non_null(strstr(body, k.id));
    assert_non_null(strstr(body, "\"state\":\"ACCEPTED\""));
    assert_non_null(strstr(body, "\"complainant\":null"));
    assert_null(strstr(body, "Globex"));
    assert_null(strstr(body, "supplier2"));
    tender_complaints_v1_Complaint_free(&k);
    assert_int_equal(bid(w, &w->sup, "supplier"), 0);
    testsrv_advance_to(&ts, w->t.deadline_ms + 10);
    assert_int_equal(scn_status_of(&w->anon, w->t.id), TST(CLOSED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_suspension_ends_with_the_deadline_moved, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_withdrawal_ends_the_suspension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_satisfied_complaint_suspends_until_the_amendment,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_acceptance_without_suspension_leaves_the_deadline,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
