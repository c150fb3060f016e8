/* A version that only moves the deadline keeps the terms bids answer
 * (docs/SEALED.md, "When an opened bid is valid"): a bid sealed to version
 * 1, the deadline then postponed by the outage rule (version 2, whose
 * postponement keeps terms_version 1), opens valid, and audit verify's
 * decryption check agrees (it takes the version bids answer from the
 * latest version's postponement or resumption, not from the count of
 * versions). The same code holds a TENDER_RESUMED version (complaints). */
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
#include <unistd.h>

#include "scenario.h"
#include "tender/verify.h"
#include "testsrv.h"

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->outage_min_ms = 1000; /* a heartbeat every 333 ms */
    c->outage_window_ms = 2000;
    c->outage_extension_ms = 5000;
}

typedef struct seen {
    int decryption, deadline, published;
    char detail[600];
} seen;

static void on_check(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    seen *s = ctx;
    if (strcmp(check, "decryption") == 0) {
        s->decryption = (int)result;
        snprintf(s->detail, sizeof s->detail, "%s", detail);
    } else if (strcmp(check, "deadline") == 0) {
        s->deadline = (int)result;
    } else if (strcmp(check, "published") == 0) {
        s->published = (int)result;
    }
}

static uint32_t version_of(scn_conn *anon, const char *id)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(anon, "tender.tenders.v1.Tenders/Get",
                              &tender_tenders_v1_TenderRef_desc, &r,
                              &tender_tenders_v1_Tender_desc, &t),
                     0);
    uint32_t v = t.version;
    tender_tenders_v1_Tender_free(&t);
    return v;
}

static void test_bid_to_the_postponed_version_opens_valid(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    scn_conn off, sup, aud, anon;
    scn_connect(&ts, &off, "officer");
    scn_connect(&ts, &sup, "supplier");
    scn_tender t;
    memset(&t, 0, sizeof t);
    scn_create_and_publish(&ts, &off, &t, "Postponed", 1500, 30000);

    /* The supplier's bid, sealed to version 1. */
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
    scn_seal(&ts, &t, "supplier", &c, NULL, &b, nonce, bid);
    tender_bids_v1_BidContent_free(&c);
    if (scn_submit(&sup, &b, nonce, NULL, NULL, NULL) != 0)
        fail_msg("submit: %s", scn_msg);
    tender_bids_v1_SealedBid_free(&b);

    /* Down across the deadline: the outage rule postpones it (version 2). */
    testsrv_advance(&ts, 500); /* a heartbeat records the server alive */
    rawconn_close(&off.rc);
    rawconn_close(&sup.rc);
    testsrv_halt(&ts);
    testsrv_advance(&ts, 2500);
    testsrv_start(&ts, cfg, NULL);
    scn_connect(&ts, &anon, NULL);
    for (int i = 0; i < 100 && version_of(&anon, t.id) != 2; i++)
        usleep(50000);
    assert_int_equal(version_of(&anon, t.id), 2);

    /* Closed at the new deadline, opened at the opening time. */
    scn_connect(&ts, &off, "officer");
    scn_connect(&ts, &aud, "auditor");
    scn_wait_until(&ts, t.opening_ms + 10000);
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(scn_share(&off, &t, 0, &acc), 0);
    tender_bids_v1_ShareAccepted_init(&acc);
    if (scn_share(&aud, &t, 2, &acc) != 0)
        fail_msg("share: %s", scn_msg);
    assert_true(acc.opened);

    seen s = {.decryption = -1, .deadline = -1, .published = -1};
    (void)scn_audit(&ts, &anon, t.id, true, on_check, &s);
    assert_int_equal(s.published, TND_CHECK_OK);
    assert_int_equal(s.deadline, TND_CHECK_OK);
    if (s.decryption != TND_CHECK_OK || !strstr(s.detail, "re-decrypting the 1 bid(s) in force"))
        fail_msg("decryption: %d %s", s.decryption, s.detail);
    rawconn_close(&off.rc);
    rawconn_close(&aud.rc);
    rawconn_close(&anon.rc);
    testsrv_stop(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bid_to_the_postponed_version_opens_valid)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
