/* tenderd's logs, captured from an in-process server through the log sink:
 * one logfmt line per event with time and level; every call's line has the
 * request id (the client's x-request-id when sane, else 16 generated hex
 * digits), method, peer identity, status and duration, refused calls too;
 * start-up, settings, certificate reload, checkpoints, group commits and
 * the drain are logged; a sealed bid's bytes never reach the log. Each test
 * starts the server afresh on the group's folder, with an empty log. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <ctype.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/logging.h"
#include "rawconn.h"
#include "scenario.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/client.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define HEALTH "tender.health.v1.Health/Check"
#define MARKER "SEALED-CONTENT-MARKER-51c9"

static testsrv ts;

/* ---- the captured log ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;

static void capture(const char *line, size_t len, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    if (log_len + len + 1 > log_cap) {
        log_cap = (log_len + len + 1) * 2;
        log_buf = realloc(log_buf, log_cap);
    }
    memcpy(log_buf + log_len, line, len);
    log_len += len;
    log_buf[log_len] = '\0';
    pthread_mutex_unlock(&log_mu);
}

/* A copy of the log so far (free it). */
static char *log_text(void)
{
    pthread_mutex_lock(&log_mu);
    char *t = strdup(log_buf ? log_buf : "");
    pthread_mutex_unlock(&log_mu);
    return t;
}

/* The first line with needle (copied into out), or false. The server
 * writes a call's line as the call ends, on its own thread, maybe just after
 * the client has the status: wait for it a while. */
static bool find_line(const char *needle, char *out, size_t len)
{
    for (int tries = 0; tries < 500; tries++) {
        char *t = log_text();
        char *hit = strstr(t, needle);
        if (hit) {
            char *start = hit;
            while (start > t && start[-1] != '\n')
                start--;
            snprintf(out, len, "%.*s", (int)strcspn(start, "\n"), start);
        }
        free(t);
        if (hit)
            return true;
        usleep(10000);
    }
    return false;
}

static int count(const char *needle)
{
    char *t = log_text();
    int n = 0;
    for (const char *p = t; (p = strstr(p, needle)) != NULL; p++)
        n++;
    free(t);
    return n;
}

/* Wait until the log has more than n lines with needle. */
static void wait_more(const char *needle, int n)
{
    for (int tries = 0; tries < 500 && count(needle) <= n; tries++)
        usleep(10000);
    assert_true(count(needle) > n);
}

#define LINE_HAS(line, part)                                                                       \
    do {                                                                                           \
        if (!strstr((line), (part)))                                                               \
            fail_msg("expected \"%s\" in the log line:\n%s", (part), (line));                      \
    } while (0)

/* ---- the server and connections ---- */

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
}

/* Before tnd_server_start: capture everything from info up. */
static void setup_logs(tnd_server *srv)
{
    (void)srv;
    tnd_log_set_sink(capture, NULL);
    tnd_log_set_level(TND_LOG_INFO);
}

static int call_md(scn_conn *c, const char *m, const tnd_msg_desc *qd, const void *q,
                   const tnd_msg_desc *rd, void *r, const char *request_id)
{
    tnd_md md = {"x-request-id", (const uint8_t *)request_id, request_id ? strlen(request_id) : 0};
    int st = rawconn_call(&c->rc, c->sid, m, qd, q, rd, r, scn_msg, sizeof scn_msg,
                          request_id ? &md : NULL, request_id ? 1 : 0);
    c->sid += 2;
    return st;
}

static int health(scn_conn *c, const char *request_id)
{
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    memset(&resp, 0, sizeof resp);
    return call_md(c, HEALTH, &tender_health_v1_HealthCheckRequest_desc, &req,
                   &tender_health_v1_HealthCheckResponse_desc, &resp, request_id);
}

/* One test's world: the server started afresh, an empty log, connections. */
typedef struct world {
    scn_conn anon, sup, off;
    scn_tender t;
} world;

static int group_setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tnd_log_set_sink(NULL, NULL);
    test_rmtree(ts.dir);
    free(log_buf);
    return 0;
}

static int setup(void **state)
{
    pthread_mutex_lock(&log_mu);
    log_len = 0;
    if (log_buf)
        log_buf[0] = '\0';
    pthread_mutex_unlock(&log_mu);
    testsrv_start(&ts, cfg, setup_logs);
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    scn_connect(&ts, &w->anon, NULL);
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->off, "officer");
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    rawconn_close(&w->anon.rc);
    rawconn_close(&w->sup.rc);
    rawconn_close(&w->off.rc);
    testsrv_halt(&ts); /* nothing when the test halted it */
    free(w);
    return 0;
}

/* A sealed bid of the supplier to t. */
static void seal_bid(const scn_tender *t, tender_bids_v1_SealedBid *b, uint8_t nonce[32])
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 1; /* the version published, never amended here */
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = 123456;
    c.price->currency = strdup("KRW");
    c.notes = strdup(MARKER);
    c.supplier_org = strdup("supplier");
    c.supplier_name = strdup("supplier");
    char id[40];
    assert_int_equal(testsrv_seal_certs(&ts, "supplier", &c), 0);
    scn_seal(&ts, t, "supplier", &c, NULL, b, nonce, id);
    tender_bids_v1_BidContent_free(&c);
}

/* Submit in one message (envelope with its ciphertext); the status code. */
static int submit(scn_conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32])
{
    tender_bids_v1_SubmitBidRequest q = {.bid = b, .owner_nonce = {(uint8_t *)nonce, 32}};
    tender_bids_v1_Receipt rcpt;
    tender_bids_v1_Receipt_init(&rcpt);
    int st = call_md(c, B(Submit), &tender_bids_v1_SubmitBidRequest_desc, &q,
                     &tender_bids_v1_Receipt_desc, &rcpt, "bid-submit-1");
    tender_bids_v1_Receipt_free(&rcpt);
    return st;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* None of the bid's secret or sealed bytes, in any usual spelling. */
static void assert_not_logged(const char *log, const uint8_t *p, size_t n)
{
    char h[200], b64[200];
    hex(p, n, h);
    assert_null(strstr(log, h));
    for (char *q = h; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    assert_null(strstr(log, h));
    EVP_EncodeBlock((unsigned char *)b64, p, (int)n);
    assert_null(strstr(log, b64));
    assert_null(memmem(log, strlen(log), p, n));
}

/* Halt the server (its drain is logged) and return the whole log, each
 * line checked to be one event: it starts with its time and has a level. */
static char *halt_and_read(void)
{
    testsrv_halt(&ts);
    char *t = log_text();
    for (char *p = t; *p; p = strchr(p, '\n') + 1) {
        if (strncmp(p, "ts=", 3) != 0 || !strstr(p, " level="))
            fail_msg("not a log line: %.*s", (int)strcspn(p, "\n"), p);
    }
    return t;
}

/* ---- the tests ---- */

/* Start-up: the address, the database, every setting. */
static void test_start_up_logs_the_address_database_and_settings(void **state)
{
    (void)state;
    char line[2048];
    assert_true(find_line("msg=listening", line, sizeof line));
    LINE_HAS(line, "level=info");
    LINE_HAS(line, " address=127.0.0.1:0 ");
    LINE_HAS(line, " db=");
    assert_true(find_line("msg=settings", line, sizeof line));
    LINE_HAS(line, " max-frame=4MiB");
    LINE_HAS(line, " standstill=10d");
    LINE_HAS(line, " crl=\"\"");
}

/* The client's request id is echoed, with every field of the call. */
static void test_a_call_logs_the_clients_request_id_and_its_fields(void **state)
{
    world *w = *state;
    char line[2048];
    assert_int_equal(health(&w->anon, "ops-test-42"), TND_STATUS_OK);
    assert_true(find_line("request_id=ops-test-42", line, sizeof line));
    assert_memory_equal(line, "ts=20", 5);
    LINE_HAS(line, " level=info msg=call ");
    LINE_HAS(line, " method=tender.health.v1.Health/Check ");
    LINE_HAS(line, " peer=anonymous ");
    LINE_HAS(line, " status=OK ");
    LINE_HAS(line, " duration_ms=");
}

/* Without one, the server makes 16 hex digits; the peer is the certificate's. */
static void test_without_a_request_id_the_server_makes_one(void **state)
{
    world *w = *state;
    char line[2048];
    assert_int_equal(health(&w->sup, NULL), TND_STATUS_OK);
    assert_true(find_line("peer=\"supplier/Acme Construction/supplier\"", line, sizeof line));
    const char *rid = strstr(line, "request_id=");
    assert_non_null(rid);
    rid += strlen("request_id=");
    assert_int_equal(strspn(rid, "0123456789abcdef"), 16);
    assert_true(rid[16] == ' ' || rid[16] == '\0');
}

/* Ids that are not sane are replaced: a space, a control byte, too long. */
static void test_a_request_id_that_is_not_sane_is_replaced(void **state)
{
    world *w = *state;
    char line[2048];
    char too_long[TND_MAX_REQUEST_ID + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    const char *bad_ids[] = {"has space", "ctl\x01id", too_long};
    for (int i = 0; i < 3; i++) {
        /* A control byte in metadata is refused (INVALID_ARGUMENT), still logged. */
        int before = count("msg=call ");
        int st = health(&w->anon, bad_ids[i]);
        assert_true(st == TND_STATUS_OK || st == TND_STATUS_INVALID_ARGUMENT);
        wait_more("msg=call ", before);
        char *t = log_text();
        assert_null(strstr(t, bad_ids[i]));
        free(t);
    }
    too_long[TND_MAX_REQUEST_ID] = '\0'; /* exactly the limit is kept */
    assert_int_equal(health(&w->anon, too_long), TND_STATUS_OK);
    assert_true(find_line(too_long, line, sizeof line));
}

/* libtender's client-wide request id (tenderctl --request-id) reaches the log. */
static void test_libtenders_request_id_reaches_the_log(void **state)
{
    (void)state;
    char line[2048];
    char ca[700], errbuf[300], addr[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ts.port);
    tnd_client_opts co;
    tnd_client_opts_init(&co);
    co.server = addr;
    co.ca_file = ca;
    co.request_id = "lib-trace-9";
    tnd_client *cl = NULL;
    assert_int_equal(tnd_client_open(&co, &cl, errbuf, sizeof errbuf), 0);
    tender_health_v1_HealthCheckRequest hreq = {.service = ""};
    tender_health_v1_HealthCheckResponse hresp;
    tnd_status_info st;
    assert_int_equal(tnd_client_unary(cl, tender_health_v1_Health_Check_method, &hreq, &hresp,
                                      NULL, &st),
                     0);
    tnd_client_free(cl);
    assert_true(find_line("request_id=lib-trace-9", line, sizeof line));
    LINE_HAS(line, " status=OK ");
    co.request_id = "no spaces allowed";
    assert_int_equal(tnd_client_open(&co, &cl, errbuf, sizeof errbuf), TND_EINVAL);
    assert_non_null(strstr(errbuf, "bad request id"));
}

/* A call refused before it starts has the same fields. */
static void test_a_refused_call_logs_the_same_fields(void **state)
{
    world *w = *state;
    char line[2048];
    tender_tenders_v1_TenderRef ref = {.id = "T-none"};
    assert_int_equal(call_md(&w->sup, T(Publish), &tender_tenders_v1_TenderRef_desc, &ref, NULL,
                             NULL, "refused-7"),
                     TND_STATUS_PERMISSION_DENIED);
    assert_true(find_line("request_id=refused-7", line, sizeof line));
    LINE_HAS(line, " level=warn msg=call ");
    LINE_HAS(line, " method=tender.tenders.v1.Tenders/Publish ");
    LINE_HAS(line, " peer=\"supplier/Acme Construction/supplier\" ");
    LINE_HAS(line, " status=PERMISSION_DENIED ");
    LINE_HAS(line, " duration_ms=0 ");
}

/* Writes: group commits and signed checkpoints. */
static void test_writes_log_group_commits_and_signed_checkpoints(void **state)
{
    world *w = *state;
    char line[2048];
    scn_create_and_publish(&ts, &w->off, &w->t, "Logged tender", 3600 * 1000, 7200 * 1000);
    assert_true(find_line("msg=\"group commit\"", line, sizeof line));
    LINE_HAS(line, " batch=");
    LINE_HAS(line, " duration_ms=");
    assert_true(find_line("msg=\"log checkpoint signed\"", line, sizeof line));
    LINE_HAS(line, " size=");
}

static void test_a_certificate_reload_is_logged(void **state)
{
    (void)state;
    char line[2048];
    testsrv_reload(&ts);
    assert_true(find_line("msg=\"certificates reloaded\"", line, sizeof line));
    LINE_HAS(line, "level=info");
}

/* A sealed bid, and a forged one whose "ciphertext" is readable text: none
 * of their bytes is logged, through the drain. */
static void test_a_sealed_bid_never_reaches_the_log(void **state)
{
    world *w = *state;
    char line[2048];
    scn_create_and_publish(&ts, &w->off, &w->t, "Logged tender", 3600 * 1000, 7200 * 1000);
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    seal_bid(&w->t, &b, nonce);
    if (submit(&w->sup, &b, nonce) != TND_STATUS_OK)
        fail_msg("submit: %s", scn_msg);
    assert_true(find_line("request_id=bid-submit-1", line, sizeof line));
    LINE_HAS(line, " method=tender.bids.v1.Bids/Submit ");
    LINE_HAS(line, " status=OK ");
    uint8_t sealed[24];
    memcpy(sealed, b.ciphertext.data, sizeof sealed);
    uint8_t sig[24];
    memcpy(sig, b.signature.data, sizeof sig);
    size_t n = b.ciphertext.len;
    for (size_t i = 0; i < n; i++)
        b.ciphertext.data[i] = (uint8_t)MARKER[i % (sizeof MARKER - 1)];
    assert_int_not_equal(submit(&w->sup, &b, nonce), TND_STATUS_OK);
    tender_bids_v1_SealedBid_free(&b);
    char *t = halt_and_read();
    assert_null(strstr(t, MARKER));
    assert_not_logged(t, sealed, 12);
    assert_not_logged(t, sealed + 12, 12);
    assert_not_logged(t, sig, 12);
    assert_not_logged(t, nonce, 12);
    free(t);
}

static void test_the_drain_is_logged(void **state)
{
    world *w = *state;
    assert_int_equal(health(&w->anon, "before-the-drain"), TND_STATUS_OK);
    char *t = halt_and_read();
    assert_non_null(strstr(t, "msg=draining"));
    free(t);
}

/* tnd_log_enabled follows the level set: callers skip formatting a dropped line. */
static void test_log_enabled_follows_the_level(void **state)
{
    (void)state;
    tnd_log_set_level(TND_LOG_WARN);
    assert_false(tnd_log_enabled(TND_LOG_DEBUG));
    assert_false(tnd_log_enabled(TND_LOG_INFO));
    assert_true(tnd_log_enabled(TND_LOG_WARN));
    assert_true(tnd_log_enabled(TND_LOG_ERROR));
    tnd_log_set_level(TND_LOG_INFO);
    assert_true(tnd_log_enabled(TND_LOG_INFO));
    assert_false(tnd_log_enabled(TND_LOG_DEBUG));
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_start_up_logs_the_address_database_and_settings),
        TEST(test_a_call_logs_the_clients_request_id_and_its_fields),
        TEST(test_without_a_request_id_the_server_makes_one),
        TEST(test_a_request_id_that_is_not_sane_is_replaced),
        TEST(test_libtenders_request_id_reaches_the_log),
        TEST(test_a_refused_call_logs_the_same_fields),
        TEST(test_writes_log_group_commits_and_signed_checkpoints),
        TEST(test_a_certificate_reload_is_logged),
        TEST(test_a_sealed_bid_never_reaches_the_log),
        TEST(test_the_drain_is_logged),
        cmocka_unit_test(test_log_enabled_follows_the_level),
    };
    return cmocka_run_group_tests_name("logs", tests, group_setup, group_teardown);
}
