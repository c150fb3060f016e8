/* The metrics module on its own: what tnd_metrics_render prints, read back
 * with the Prometheus client's parser (tests/metrics_parse.py), and
 * counters updated from several threads while another renders (the part
 * `make tsan` checks). */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/metrics.h"
#include "tender/error.h"
#include "tender/status.h"

static char parsed[1 << 20];

/* Render m and parse it as a scraper would; the parser's lines into parsed. */
static void render_parse(tnd_metrics *m)
{
    char *text, f[] = "/tmp/tnd_metrics_XXXXXX", cmd[300];
    size_t len;
    assert_int_equal(tnd_metrics_render(m, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    int fd = mkstemp(f);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    free(text);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/metrics_parse.py %s", f);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(parsed, 1, sizeof parsed - 1, p);
    parsed[n] = '\0';
    int rc = pclose(p);
    unlink(f);
    if (rc != 0)
        fail_msg("the Prometheus parser refused the text (see stderr)");
}

static double value(const char *sample)
{
    size_t sl = strlen(sample);
    for (const char *line = parsed; *line;) {
        if (strncmp(line, sample, sl) == 0 && line[sl] == ' ')
            return strtod(line + sl + 1, NULL);
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    fail_msg("no sample %s in:\n%s", sample, parsed);
    return -1;
}

static const int method_a = 0, method_b = 0; /* their addresses are the keys */

/* The lowest buckets tell a call of a tenth of a millisecond (a health
 * check, an inclusion proof) from one of a quarter or half. */
static void test_fast_call_buckets(void **state)
{
    (void)state;
    tnd_metrics *m = tnd_metrics_new();
    assert_non_null(m);
    assert_int_equal(tnd_metrics_add_method(m, &method_a, "pkg.A/Get"), 0);
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 40000);  /* 40 us */
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 100000); /* exactly 100 us */
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 150000);
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 300000);
    render_parse(m);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"0.0001\",method=\"pkg.A/Get\"}") ==
                2);
    assert_true(
        value("tenderd_call_duration_seconds_bucket{le=\"0.00025\",method=\"pkg.A/Get\"}") == 3);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"0.0005\",method=\"pkg.A/Get\"}") ==
                4);
    tnd_metrics_free(m);
}

static void test_render_parses(void **state)
{
    (void)state;
    tnd_metrics *m = tnd_metrics_new();
    assert_non_null(m);
    assert_int_equal(tnd_metrics_add_method(m, &method_a, "pkg.A/Get"), 0);
    assert_int_equal(tnd_metrics_add_method(m, &method_a, "pkg.A/Get"), 0); /* no second slot */
    assert_int_equal(tnd_metrics_add_method(m, &method_b, "odd\"name\\"), 0);
    /* 0 s, exactly 1 ms (le is "less or equal"), 2 ms, and past every bound. */
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 0);
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 1000000);
    tnd_metrics_call(m, &method_a, TND_STATUS_NOT_FOUND, 2000000);
    tnd_metrics_call(m, &method_a, TND_STATUS_OK, 70000000000ull);
    tnd_metrics_call(m, &method_b, TND_STATUS_INTERNAL, 5);
    tnd_metrics_call(m, NULL, TND_STATUS_UNIMPLEMENTED, 0);
    tnd_metrics_call(m, &parsed, 99, 0); /* never added; a code out of range */
    tnd_metrics_set_connections(m, 3);
    tnd_metrics_handshake(m, true);
    tnd_metrics_handshake(m, false);
    tnd_metrics_handshake(m, true);
    tnd_metrics_handshake_resumed(m);
    tnd_metrics_batch_begin(m);
    tnd_metrics_tlog_pending(m, 12);
    tnd_metrics_batch_committed(m, 3);
    tnd_metrics_batch_begin(m);
    tnd_metrics_tlog_pending(m, 99); /* this batch never commits */
    tnd_metrics_batch_begin(m);
    tnd_metrics_batch_committed(m, 300);
    tnd_metrics_set_queue_depth(m, 7);
    tnd_metrics_set_store_size(m, 1 << 20, 4096);
    tnd_metrics_bid_received(m);
    tnd_metrics_write_refused(m);
    tnd_metrics_write_refused(m);
    render_parse(m);

    assert_non_null(strstr(parsed, "# TYPE tenderd_calls counter\n"));
    assert_non_null(strstr(parsed, "# TYPE tenderd_call_duration_seconds histogram\n"));
    assert_non_null(strstr(parsed, "# TYPE tenderd_store_batch_size histogram\n"));
    assert_non_null(strstr(parsed, "# TYPE tenderd_connections gauge\n"));
    assert_true(value("tenderd_calls_total{method=\"pkg.A/Get\",status=\"OK\"}") == 3);
    assert_true(value("tenderd_calls_total{method=\"pkg.A/Get\",status=\"NOT_FOUND\"}") == 1);
    assert_true(value("tenderd_calls_total{method=\"odd\"name\\\",status=\"INTERNAL\"}") == 1);
    assert_true(value("tenderd_calls_total{method=\"unknown\",status=\"UNIMPLEMENTED\"}") == 1);
    assert_true(value("tenderd_calls_total{method=\"unknown\",status=\"UNKNOWN\"}") == 1);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"0.0005\",method=\"pkg.A/Get\"}") ==
                1);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"0.001\",method=\"pkg.A/Get\"}") ==
                2);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"0.0025\",method=\"pkg.A/Get\"}") ==
                3);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"60\",method=\"pkg.A/Get\"}") ==
                3);
    assert_true(value("tenderd_call_duration_seconds_bucket{le=\"+Inf\",method=\"pkg.A/Get\"}") ==
                4);
    assert_true(value("tenderd_call_duration_seconds_count{method=\"pkg.A/Get\"}") == 4);
    double sum = value("tenderd_call_duration_seconds_sum{method=\"pkg.A/Get\"}");
    assert_true(sum > 70.003 - 1e-9 && sum < 70.003 + 1e-9);
    assert_true(value("tenderd_connections{}") == 3);
    assert_true(value("tenderd_tls_handshakes_total{result=\"completed\"}") == 2);
    assert_true(value("tenderd_tls_handshakes_total{result=\"failed\"}") == 1);
    assert_true(value("tenderd_tls_resumptions_total{}") == 1);
    assert_true(value("tenderd_store_batch_size_bucket{le=\"4\"}") == 1);
    assert_true(value("tenderd_store_batch_size_bucket{le=\"256\"}") == 1);
    assert_true(value("tenderd_store_batch_size_bucket{le=\"512\"}") == 2);
    assert_true(value("tenderd_store_batch_size_count{}") == 2);
    assert_true(value("tenderd_store_batch_size_sum{}") == 303);
    /* Only a committed batch publishes its log size. */
    assert_true(value("tenderd_transparency_log_leaves{}") == 12);
    assert_true(value("tenderd_store_write_queue_depth{}") == 7);
    assert_true(value("tenderd_store_map_size_bytes{}") == 1 << 20);
    assert_true(value("tenderd_store_used_bytes{}") == 4096);
    assert_true(value("tenderd_bids_received_total{}") == 1);
    assert_true(value("tenderd_writes_refused_total{}") == 2);
    assert_non_null(strstr(parsed, "tenderd_build_info{"));
    tnd_metrics_free(m);
}

/* A method never called has no series; nothing at all renders and parses. */
static void test_empty(void **state)
{
    (void)state;
    tnd_metrics *m = tnd_metrics_new();
    assert_int_equal(tnd_metrics_add_method(m, &method_a, "pkg.A/Get"), 0);
    render_parse(m);
    assert_null(strstr(parsed, "pkg.A/Get"));
    assert_true(value("tenderd_store_batch_size_count{}") == 0);
    assert_true(value("tenderd_bids_received_total{}") == 0);
    tnd_metrics_free(m);
}

/* NULL is "no metrics": every update is a no-op. */
static void test_null_is_harmless(void **state)
{
    (void)state;
    tnd_metrics_call(NULL, NULL, 0, 0);
    tnd_metrics_set_connections(NULL, 1);
    tnd_metrics_handshake(NULL, true);
    tnd_metrics_handshake_resumed(NULL);
    tnd_metrics_batch_begin(NULL);
    tnd_metrics_tlog_pending(NULL, 1);
    tnd_metrics_batch_committed(NULL, 1);
    tnd_metrics_set_queue_depth(NULL, 1);
    tnd_metrics_set_store_size(NULL, 1, 1);
    tnd_metrics_bid_received(NULL);
    assert_int_equal(tnd_metrics_add_method(NULL, &method_a, "x"), 0);
    tnd_metrics_free(NULL);
}

/* Past TND_METRICS_MAX_METHODS a method counts as "unknown". */
static void test_method_limit(void **state)
{
    (void)state;
    tnd_metrics *m = tnd_metrics_new();
    static char keys[TND_METRICS_MAX_METHODS + 1];
    for (int i = 0; i < TND_METRICS_MAX_METHODS; i++)
        assert_int_equal(tnd_metrics_add_method(m, &keys[i], "pkg.M/Many"), 0);
    assert_int_equal(tnd_metrics_add_method(m, &keys[TND_METRICS_MAX_METHODS], "pkg.M/Last"),
                     TND_ELIMIT);
    tnd_metrics_call(m, &keys[TND_METRICS_MAX_METHODS], TND_STATUS_OK, 0);
    render_parse(m);
    assert_true(value("tenderd_calls_total{method=\"unknown\",status=\"OK\"}") == 1);
    tnd_metrics_free(m);
}

/* ---- threads: writers count while a reader renders ---- */

#define PER_THREAD 20000

static void *count_calls(void *arg)
{
    tnd_metrics *m = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        tnd_metrics_call(m, &method_a, TND_STATUS_OK, (uint64_t)i * 1000);
        tnd_metrics_set_connections(m, (uint64_t)i);
        tnd_metrics_handshake(m, i % 2);
    }
    return NULL;
}

static void *count_batches(void *arg)
{
    tnd_metrics *m = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        tnd_metrics_batch_begin(m);
        tnd_metrics_tlog_pending(m, (uint64_t)i + 1);
        tnd_metrics_batch_committed(m, 2);
        tnd_metrics_set_queue_depth(m, (uint64_t)i);
        tnd_metrics_set_store_size(m, 1 << 20, (uint64_t)i);
        tnd_metrics_bid_received(m);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    tnd_metrics *m = tnd_metrics_new();
    assert_int_equal(tnd_metrics_add_method(m, &method_a, "pkg.A/Get"), 0);
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, count_calls, m), 0);
    assert_int_equal(pthread_create(&b, NULL, count_batches, m), 0);
    for (int i = 0; i < 20; i++) {
        char *text;
        size_t len;
        assert_int_equal(tnd_metrics_render(m, &text, &len), 0);
        free(text);
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    render_parse(m);
    assert_true(value("tenderd_calls_total{method=\"pkg.A/Get\",status=\"OK\"}") == PER_THREAD);
    assert_true(value("tenderd_call_duration_seconds_count{method=\"pkg.A/Get\"}") == PER_THREAD);
    assert_true(value("tenderd_store_batch_size_count{}") == PER_THREAD);
    assert_true(value("tenderd_transparency_log_leaves{}") == PER_THREAD);
    assert_true(value("tenderd_bids_received_total{}") == PER_THREAD);
    tnd_metrics_free(m);
}

int main(void)
{
    if (access("tests/metrics_parse.py", R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_parses),
        cmocka_unit_test(test_fast_call_buckets),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_null_is_harmless),
        cmocka_unit_test(test_method_limit),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
