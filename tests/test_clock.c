/* The server's one wall clock (ops/clock.h): on a manual clock the time of
 * the store's writes and of the log lines is the clock's, it moves only
 * when the test moves it, and the log goes back to the real time when the
 * server stops. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/logging.h"
#include "svc/svc.h"
#include "tender/client.h"
#include "tender_schema.h"
#include "testsrv.h"

#define T0 1893553445678 /* 2030-01-02T03:04:05.678Z */

static testsrv ts;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[1 << 16];
static size_t log_len;

static void capture(const char *line, size_t len, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    if (log_len + len < sizeof log_buf) {
        memcpy(log_buf + log_len, line, len);
        log_len += len;
        log_buf[log_len] = '\0';
    }
    pthread_mutex_unlock(&log_mu);
}

static bool log_has(const char *needle)
{
    pthread_mutex_lock(&log_mu);
    bool hit = strstr(log_buf, needle) != NULL;
    pthread_mutex_unlock(&log_mu);
    return hit;
}

static void log_setup(tnd_server *srv)
{
    (void)srv;
    tnd_log_set_sink(capture, NULL);
    tnd_log_set_level(TND_LOG_INFO);
}

static int setup(void **state)
{
    (void)state;
    log_len = 0;
    log_buf[0] = '\0';
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, T0);
    testsrv_start(&ts, NULL, log_setup);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    tnd_log_set_sink(NULL, NULL);
    return 0;
}

/* Create a draft as the officer; its created time. */
static int64_t create_draft(void)
{
    char addr[64], ca[400], cert[400], key[400], err[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = addr;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    o.cert_file = testsrv_path(&ts, "officer.crt", cert, sizeof cert);
    o.key_file = testsrv_path(&ts, "officer.key", key, sizeof key);
    tnd_client *c = NULL;
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), 0);
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    assert_non_null(q.fields);
    tender_tenders_v1_TenderFields_init(q.fields);
    q.fields->title = strdup("Clock tower repair");
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    tnd_status_info st;
    assert_int_equal(
        tnd_client_unary(c, tender_tenders_v1_Tenders_Create_method, &q, &t, NULL, &st), 0);
    int64_t created = tnd_ts_ms(t.created);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    tender_tenders_v1_Tender_free(&t);
    tnd_client_free(c);
    return created;
}

static void test_writes_and_logs_read_the_clock(void **state)
{
    (void)state;
    assert_int_equal(testsrv_now(&ts), T0);
    assert_true(log_has("ts=2030-01-02T03:04:05.678Z level=info msg=listening"));
    assert_int_equal(create_draft(), T0); /* the writer's batch time */
    testsrv_advance(&ts, 3600 * 1000);
    assert_int_equal(testsrv_now(&ts), T0 + 3600 * 1000);
    assert_int_equal(create_draft(), T0 + 3600 * 1000);
}

/* Stopped, the server gives the log back to the real time. */
static void test_log_real_time_after_stop(void **state)
{
    (void)state;
    testsrv_halt(&ts);
    log_len = 0;
    tnd_log(TND_LOG_INFO, "after the stop", NULL);
    assert_false(log_has("ts=2030-"));
    assert_true(log_has("msg=\"after the stop\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_and_logs_read_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_real_time_after_stop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
