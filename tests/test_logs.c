/* tenderd's logs, captured from an in-process server through the log sink:
 * one logfmt line per event with time and level; every call's line has the
 * request id (the client's x-request-id when sane, else 16 generated hex
 * digits), method, peer identity, status and duration, refused calls too;
 * start-up, settings, certificate reload, checkpoints, group commits and
 * the drain are logged; a sealed bid's bytes never reach the log. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/logging.h"
#include "rawconn.h"
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
static char msg[512];

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

typedef struct conn {
    rawconn rc;
    uint32_t sid;
} conn;

static void connect_as(conn *c, const char *who)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    int r;
    if (!who) {
        r = rawconn_open(&c->rc, ts.port, ca, NULL, NULL);
    } else {
        snprintf(f, sizeof f, "%s.crt", who);
        testsrv_path(&ts, f, crt, sizeof crt);
        snprintf(f, sizeof f, "%s.key", who);
        testsrv_path(&ts, f, key, sizeof key);
        r = rawconn_open(&c->rc, ts.port, ca, crt, key);
    }
    assert_int_equal(r, 0);
    rawconn_settings(&c->rc);
    c->sid = 1;
}

static int call_md(conn *c, const char *m, const tnd_msg_desc *qd, const void *q,
                   const tnd_msg_desc *rd, void *r, const char *request_id)
{
    tnd_md md = {"x-request-id", (const uint8_t *)request_id, request_id ? strlen(request_id) : 0};
    int st = rawconn_call(&c->rc, c->sid, m, qd, q, rd, r, msg, sizeof msg, request_id ? &md : NULL,
                          request_id ? 1 : 0);
    c->sid += 2;
    return st;
}

static int health(conn *c, const char *request_id)
{
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    memset(&resp, 0, sizeof resp);
    return call_md(c, HEALTH, &tender_health_v1_HealthCheckRequest_desc, &req,
                   &tender_health_v1_HealthCheckResponse_desc, &resp, request_id);
}

/* ---- a tender with a committee, and a sealed bid (as tests/test_bids.c) ---- */

static uint8_t opening_pk[32];
static char tender_id[64];

static void make_committee(tender_tenders_v1_Committee *cm)
{
    static const char *const members[3] = {"officer", "admin", "auditor"};
    uint8_t open_sk[32], shares[3][33];
    assert_int_equal(tnd_x25519_keygen(open_sk, opening_pk), 0);
    assert_int_equal(tnd_shamir_split(open_sk, 32, 2, 3, &shares[0][0]), 0);
    tender_tenders_v1_Committee_init(cm);
    cm->threshold = 2;
    cm->n_members = 3;
    cm->members = calloc(3, sizeof *cm->members);
    cm->opening_public_key.data = malloc(32);
    memcpy(cm->opening_public_key.data, opening_pk, 32);
    cm->opening_public_key.len = 32;
    for (int i = 0; i < 3; i++) {
        uint8_t sk[32], pk[32], fp[32], info[TND_SEALED_SHARE_INFO_LEN],
            aad[TND_SEALED_SHARE_AAD_LEN];
        assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
        tender_tenders_v1_CommitteeMember *m = &cm->members[i];
        m->name = strdup(members[i]);
        m->public_key.data = malloc(32);
        memcpy(m->public_key.data, pk, 32);
        m->public_key.len = 32;
        assert_int_equal(tnd_opening_key_fingerprint(opening_pk, fp), 0);
        assert_int_equal(tnd_sealed_share_info(fp, info), 0);
        assert_int_equal(tnd_sealed_share_aad(2, 3, aad), 0);
        m->encrypted_share.data = malloc(32 + 33 + 16);
        assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, pk, info, sizeof info, aad, sizeof aad,
                                       shares[i], 33, m->encrypted_share.data,
                                       m->encrypted_share.data + 32),
                         0);
        m->encrypted_share.len = 32 + 33 + 16;
        m->share_hash.data = malloc(32);
        assert_int_equal(tnd_share_hash(shares[i], 33, m->share_hash.data), 0);
        m->share_hash.len = 32;
    }
    OPENSSL_cleanse(open_sk, sizeof open_sk);
    OPENSSL_cleanse(shares, sizeof shares);
}

static void create_and_publish(conn *off)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Logged tender");
    tnd_ts_set(&q.fields->submission_deadline, tnd_wall_ms() + 3600 * 1000);
    tnd_ts_set(&q.fields->opening_time, tnd_wall_ms() + 7200 * 1000);
    q.fields->committee = calloc(1, sizeof *q.fields->committee);
    make_committee(q.fields->committee);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    if (call_md(off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                &tender_tenders_v1_Tender_desc, &t, NULL) != 0)
        fail_msg("create: %s", msg);
    snprintf(tender_id, sizeof tender_id, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    tender_tenders_v1_TenderRef r = {.id = tender_id};
    if (call_md(off, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL, NULL) != 0)
        fail_msg("publish: %s", msg);
}

static void seal_bid(tender_bids_v1_SealedBid *b, uint8_t nonce[32])
{
    char path[700];
    FILE *fp = fopen(testsrv_path(&ts, "supplier.key", path, sizeof path), "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    c.tender_version = 1; /* the version published, never amended here */
    c.price = calloc(1, sizeof *c.price);
    c.price->minor_units = 123456;
    c.price->currency = strdup("KRW");
    c.notes = strdup(MARKER);
    c.supplier_org = strdup("supplier");
    c.supplier_name = strdup("supplier");
    uint8_t r[16];
    char id[40] = "B-";
    assert_int_equal(RAND_bytes(r, 16), 1);
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 + 2 * i, 3, "%02x", r[i]);
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(testsrv_seal_certs(&ts, "supplier", &c), 0);
    assert_int_equal(tnd_bid_seal(&c, tender_id, id, opening_pk, k, NULL, b, nonce), 0);
    tender_bids_v1_BidContent_free(&c);
    EVP_PKEY_free(k);
}

/* Submit in one message (envelope with its ciphertext); the status code. */
static int submit(conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32])
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

/* ---- the test ---- */

static void test_log_lines(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, setup_logs);
    char line[2048];

    /* Start-up: the address, the database, every setting. */
    assert_true(find_line("msg=listening", line, sizeof line));
    LINE_HAS(line, "level=info");
    LINE_HAS(line, " address=127.0.0.1:0 ");
    LINE_HAS(line, " db=");
    assert_true(find_line("msg=settings", line, sizeof line));
    LINE_HAS(line, " max-frame=4MiB");
    LINE_HAS(line, " standstill=10d");
    LINE_HAS(line, " crl=\"\"");

    conn anon, sup, off;
    connect_as(&anon, NULL);
    connect_as(&sup, "supplier");
    connect_as(&off, "officer");

    /* The client's request id is echoed, with every field of the call. */
    assert_int_equal(health(&anon, "ops-test-42"), TND_STATUS_OK);
    assert_true(find_line("request_id=ops-test-42", line, sizeof line));
    assert_memory_equal(line, "ts=20", 5);
    LINE_HAS(line, " level=info msg=call ");
    LINE_HAS(line, " method=tender.health.v1.Health/Check ");
    LINE_HAS(line, " peer=anonymous ");
    LINE_HAS(line, " status=OK ");
    LINE_HAS(line, " duration_ms=");

    /* Without one, the server makes 16 hex digits; the peer is the certificate's. */
    assert_int_equal(health(&sup, NULL), TND_STATUS_OK);
    assert_true(find_line("peer=\"supplier/Acme Construction/supplier\"", line, sizeof line));
    const char *rid = strstr(line, "request_id=");
    assert_non_null(rid);
    rid += strlen("request_id=");
    assert_int_equal(strspn(rid, "0123456789abcdef"), 16);
    assert_true(rid[16] == ' ' || rid[16] == '\0');

    /* Ids that are not sane are replaced: a space, a control byte, too long. */
    char too_long[TND_MAX_REQUEST_ID + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    const char *bad_ids[] = {"has space", "ctl\x01id", too_long};
    for (int i = 0; i < 3; i++) {
        /* A control byte in metadata is refused (INVALID_ARGUMENT), still logged. */
        int before = count("msg=call ");
        int st = health(&anon, bad_ids[i]);
        assert_true(st == TND_STATUS_OK || st == TND_STATUS_INVALID_ARGUMENT);
        wait_more("msg=call ", before);
        char *t = log_text();
        assert_null(strstr(t, bad_ids[i]));
        free(t);
    }
    too_long[TND_MAX_REQUEST_ID] = '\0'; /* exactly the limit is kept */
    assert_int_equal(health(&anon, too_long), TND_STATUS_OK);
    assert_true(find_line(too_long, line, sizeof line));

    /* libtender's client-wide request id (tenderctl --request-id) reaches the log. */
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

    /* A call refused before it starts has the same fields. */
    tender_tenders_v1_TenderRef ref = {.id = "T-none"};
    assert_int_equal(
        call_md(&sup, T(Publish), &tender_tenders_v1_TenderRef_desc, &ref, NULL, NULL, "refused-7"),
        TND_STATUS_PERMISSION_DENIED);
    assert_true(find_line("request_id=refused-7", line, sizeof line));
    LINE_HAS(line, " level=warn msg=call ");
    LINE_HAS(line, " method=tender.tenders.v1.Tenders/Publish ");
    LINE_HAS(line, " peer=\"supplier/Acme Construction/supplier\" ");
    LINE_HAS(line, " status=PERMISSION_DENIED ");
    LINE_HAS(line, " duration_ms=0 ");

    /* Writes: group commits and signed checkpoints. */
    create_and_publish(&off);
    assert_true(find_line("msg=\"group commit\"", line, sizeof line));
    LINE_HAS(line, " batch=");
    LINE_HAS(line, " duration_ms=");
    assert_true(find_line("msg=\"log checkpoint signed\"", line, sizeof line));
    LINE_HAS(line, " size=");

    /* A sealed bid, and a forged one whose "ciphertext" is readable text. */
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    seal_bid(&b, nonce);
    if (submit(&sup, &b, nonce) != TND_STATUS_OK)
        fail_msg("submit: %s", msg);
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
    assert_int_not_equal(submit(&sup, &b, nonce), TND_STATUS_OK);
    tender_bids_v1_SealedBid_free(&b);

    testsrv_reload(&ts);
    assert_true(find_line("msg=\"certificates reloaded\"", line, sizeof line));
    LINE_HAS(line, "level=info");

    rawconn_close(&anon.rc);
    rawconn_close(&sup.rc);
    rawconn_close(&off.rc);
    testsrv_stop(&ts);
    tnd_log_set_sink(NULL, NULL);

    char *t = log_text();
    assert_non_null(strstr(t, "msg=draining"));
    assert_null(strstr(t, MARKER));
    assert_not_logged(t, sealed, 12);
    assert_not_logged(t, sealed + 12, 12);
    assert_not_logged(t, sig, 12);
    assert_not_logged(t, nonce, 12);
    /* One event per line: each starts with its time and has a level. */
    for (char *p = t; *p; p = strchr(p, '\n') + 1) {
        if (strncmp(p, "ts=", 3) != 0 || !strstr(p, " level="))
            fail_msg("not a log line: %.*s", (int)strcspn(p, "\n"), p);
    }
    free(t);
    free(log_buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
