/* The --metrics listener of a real server (in-process, own loop thread):
 * calls, a failing call and a failed TLS handshake show up in a scrape that
 * the Prometheus client's parser reads; other paths and methods are
 * refused; and without --metrics no port is opened. */
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

#include "rawconn.h"
#include "scrape.h"
#include "tender_schema.h"
#include "testsrv.h"

#define CHECK "tender.health.v1.Health/Check"
#define M_CHECK "method=\"tender.health.v1.Health/Check\""

static testsrv ts;
static char parsed[1 << 20];

static void metrics_on(tnd_config *cfg)
{
    snprintf(cfg->metrics, sizeof cfg->metrics, "127.0.0.1:0");
    cfg->outage_extension_ms = 0; /* no sign-of-life writes: an idle server writes nothing */
}

static int setup_metrics(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, metrics_on, NULL);
    return 0;
}

static int setup_plain(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

/* Scrape until no connection is open: the loop thread counts a call before
 * it closes the call's connection, so by then every call made is counted. */
static void scrape_settled(void)
{
    int port = tnd_server_metrics_port(ts.srv);
    for (int i = 0; i < 500; i++) {
        if (scrape_parsed(port, parsed, sizeof parsed) != 0)
            fail_msg("scrape failed");
        if (scrape_value(parsed, "tenderd_connections{}") == 0)
            return;
        usleep(10000);
    }
    fail_msg("a connection stayed open:\n%s", parsed);
}

static int health_check(rawconn *c, uint32_t sid, const char *service)
{
    tender_health_v1_HealthCheckRequest req = {.service = (char *)service};
    tender_health_v1_HealthCheckResponse resp;
    tender_health_v1_HealthCheckResponse_init(&resp);
    return rawconn_call(c, sid, CHECK, &tender_health_v1_HealthCheckRequest_desc, &req,
                        &tender_health_v1_HealthCheckResponse_desc, &resp, NULL, 0, NULL, 0);
}

/* The buckets of one labelled histogram: le ascending, counts never falling,
 * the last le +Inf, and its count equal to _count. Returns _count. */
static double assert_histogram(const char *name, const char *labels)
{
    char prefix[300], sample[400];
    int n = snprintf(prefix, sizeof prefix, "%s_bucket{le=\"", name);
    double last_le = -1, last = -1;
    int buckets = 0;
    for (const char *line = parsed; *line;) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, prefix, (size_t)n) == 0) {
            char *after;
            double le = strtod(line + n, &after);
            size_t ll = strlen(labels);
            bool ours = ll ? strncmp(after, "\",", 2) == 0 && strncmp(after + 2, labels, ll) == 0 &&
                                 after[2 + ll] == '}'
                           : strncmp(after, "\"}", 2) == 0;
            if (ours) {
                double v = strtod(strchr(after, ' ') + 1, NULL);
                if (le <= last_le || v < last)
                    fail_msg("%s{%s}: buckets not cumulative at le=%g", name, labels, le);
                last_le = le;
                last = v;
                buckets++;
            }
        }
        if (!end)
            break;
        line = end + 1;
    }
    assert_true(buckets > 1);
    assert_true(last_le > 1e300); /* +Inf */
    snprintf(sample, sizeof sample, "%s_count{%s}", name, labels);
    assert_true(scrape_value(parsed, sample) == last);
    return last;
}

static void test_calls_scraped(void **state)
{
    (void)state;
    char ca[512];
    int port = tnd_server_metrics_port(ts.srv);
    assert_true(port > 0 && port != ts.port);
    rawconn c;
    assert_int_equal(rawconn_open(&c, ts.port, testsrv_path(&ts, "ca.crt", ca, sizeof ca), NULL,
                                  NULL),
                     0);
    rawconn_settings(&c);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(health_check(&c, 1 + 2 * i, ""), TND_STATUS_OK);
    assert_int_equal(health_check(&c, 7, "no.such.v1.Service"), TND_STATUS_NOT_FOUND);
    /* A made-up method name counts as "unknown", never as its own series. */
    tender_health_v1_HealthCheckRequest req = {0};
    assert_int_equal(rawconn_call(&c, 9, "made.up.v1.Name/Call",
                                  &tender_health_v1_HealthCheckRequest_desc, &req, NULL, NULL, NULL,
                                  0, NULL, 0),
                     TND_STATUS_UNIMPLEMENTED);
    rawconn_close(&c);
    /* Plain HTTP at the TLS port: a failed handshake. */
    assert_int_equal(scrape_http(ts.port, "GET", "/", NULL, 0), -1);
    scrape_settled();

    assert_true(scrape_value(parsed, "tenderd_calls_total{" M_CHECK ",status=\"OK\"}") == 3);
    assert_true(scrape_value(parsed, "tenderd_calls_total{" M_CHECK ",status=\"NOT_FOUND\"}") == 1);
    assert_true(scrape_value(parsed,
                             "tenderd_calls_total{method=\"unknown\",status=\"UNIMPLEMENTED\"}") ==
                1);
    assert_null(strstr(parsed, "made.up"));
    assert_true(assert_histogram("tenderd_call_duration_seconds", M_CHECK) == 4);
    assert_true(assert_histogram("tenderd_call_duration_seconds", "method=\"unknown\"") == 1);
    assert_true(scrape_value(parsed, "tenderd_tls_handshakes_total{result=\"completed\"}") == 1);
    assert_true(scrape_value(parsed, "tenderd_tls_handshakes_total{result=\"failed\"}") == 1);
    assert_true(scrape_value(parsed, "tenderd_connections{}") == 0);
    /* Nothing was written: an empty store and log, no batch. */
    assert_true(assert_histogram("tenderd_store_batch_size", "") == 0);
    assert_true(scrape_value(parsed, "tenderd_store_write_queue_depth{}") == 0);
    assert_true(scrape_value(parsed, "tenderd_transparency_log_leaves{}") == 0);
    assert_true(scrape_value(parsed, "tenderd_bids_received_total{}") == 0);
    double map = scrape_value(parsed, "tenderd_store_map_size_bytes{}");
    double used = scrape_value(parsed, "tenderd_store_used_bytes{}");
    assert_true(map >= 1 << 20 && used > 0 && used <= map);
    /* Every family with the type docs/OPERATIONS.md gives it. */
    static const char *const types[][2] = {
        {"tenderd_build_info", "gauge"},
        {"tenderd_calls", "counter"},
        {"tenderd_call_duration_seconds", "histogram"},
        {"tenderd_connections", "gauge"},
        {"tenderd_tls_handshakes", "counter"},
        {"tenderd_tls_resumptions", "counter"},
        {"tenderd_tls_tickets_issued", "counter"},
        {"tenderd_store_batch_size", "histogram"},
        {"tenderd_store_write_queue_depth", "gauge"},
        {"tenderd_store_map_size_bytes", "gauge"},
        {"tenderd_store_used_bytes", "gauge"},
        {"tenderd_transparency_log_leaves", "gauge"},
        {"tenderd_bids_received", "counter"},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        char type[32];
        if (scrape_type(parsed, types[i][0], type, sizeof type) != 0)
            fail_msg("no family %s in:\n%s", types[i][0], parsed);
        assert_string_equal(type, types[i][1]);
    }
    assert_non_null(strstr(parsed, "tenderd_build_info{"));
}

static void test_other_paths_and_methods(void **state)
{
    (void)state;
    char body[4096];
    int port = tnd_server_metrics_port(ts.srv);
    assert_int_equal(scrape_http(port, "GET", "/metrics", body, sizeof body), 200);
    assert_non_null(strstr(body, "# TYPE tenderd_calls_total counter"));
    assert_int_equal(scrape_http(port, "HEAD", "/metrics", body, sizeof body), 200);
    assert_string_equal(body, "");
    assert_int_equal(scrape_http(port, "GET", "/", body, sizeof body), 404);
    assert_non_null(strstr(body, "/metrics"));
    assert_int_equal(scrape_http(port, "GET", "/metrics/", NULL, 0), 404);
    assert_int_equal(scrape_http(port, "GET", "/metricsx", NULL, 0), 404);
    assert_int_equal(scrape_http(port, "POST", "/metrics", NULL, 0), 405);
    assert_int_equal(scrape_http(port, "PUT", "/metrics", NULL, 0), 405);
    assert_int_equal(scrape_http(port, "DELETE", "/metrics", NULL, 0), 405);
    /* A query string does not change the path. */
    assert_int_equal(scrape_http(port, "GET", "/metrics?x=1", NULL, 0), 200);
    /* Still serving after all that. */
    assert_int_equal(scrape_parsed(port, parsed, sizeof parsed), 0);
}

/* The metrics listener is the second listening socket of this process;
 * without --metrics there is none. */
static void test_listener_only_with_flag(void **state)
{
    (void)state;
    assert_int_equal(scrape_listening_sockets(), 2);
    testsrv_stop(&ts);
    assert_int_equal(scrape_listening_sockets(), 0); /* stopped: the port is closed */
    setup_plain(state);
    assert_int_equal(tnd_server_metrics_port(ts.srv), -1);
    assert_int_equal(scrape_listening_sockets(), 1);
}

/* A --metrics address that cannot be used fails the start with a reason. */
static void test_bad_address(void **state)
{
    (void)state;
    char err[512];
    uv_loop_t loop;
    tnd_config cfg = ts.srv->cfg;
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.db, sizeof cfg.db, "%s/db2", ts.dir);
    static const char *const bad[][2] = {
        {"nonsense", "expected HOST:PORT"},
        {"127.0.0.1:99999", "port must be"},
        {"example.org:9464", "is not an IP address"},
        {"192.0.2.1:9464", "cannot listen on 192.0.2.1:9464 for metrics"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cfg.metrics, sizeof cfg.metrics, "%s", bad[i][0]);
        tnd_server *srv = NULL;
        uv_loop_init(&loop);
        assert_int_equal(tnd_services_new(&loop, &cfg, NULL, &srv, err, sizeof err), 0);
        err[0] = '\0';
        assert_int_not_equal(tnd_server_start(srv, err, sizeof err), 0);
        if (!strstr(err, bad[i][1]) || !strstr(err, "metrics"))
            fail_msg("--metrics %s: %s", bad[i][0], err);
        tnd_server_free(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
}

int main(void)
{
    if (access("tests/metrics_parse.py", R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_calls_scraped, setup_metrics, teardown),
        cmocka_unit_test_setup_teardown(test_other_paths_and_methods, setup_metrics, teardown),
        cmocka_unit_test_setup_teardown(test_listener_only_with_flag, setup_metrics, teardown),
        cmocka_unit_test_setup_teardown(test_bad_address, setup_metrics, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
