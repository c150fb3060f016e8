/* tenderd --metrics end to end: the real $BUILD/bin/tenderd started with the
 * flag, a tender published and a sealed bid submitted with the real
 * tenderctl, then /metrics scraped and read with the Prometheus client's
 * parser: calls, the bid, the log's leaves and the group commits add up. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "scrape.h"

static char vkey[400];
static int mport;
static char parsed[1 << 20];

static int setup(void **state)
{
    (void)state;
    char db[300], addr[64];
    if (access("tests/metrics_parse.py", R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_metrics_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    mport = scrape_free_port();
    snprintf(addr, sizeof addr, "127.0.0.1:%d", mport);
    /* The outage rule off: no sign-of-life writes, so the batches counted
     * are the test's own. */
    const char *const extra[] = {"--metrics", addr, "--outage-extension", "0", NULL};
    return ctlrun_start_server(extra);
}

/* Scrape until no connection is open, so every call made is counted. */
static void scrape_settled(void)
{
    for (int i = 0; i < 500; i++) {
        if (scrape_parsed(mport, parsed, sizeof parsed) != 0)
            fail_msg("scrape of 127.0.0.1:%d failed", mport);
        if (scrape_value(parsed, "tenderd_connections{}") == 0)
            return;
        usleep(10000);
    }
    fail_msg("a connection stayed open:\n%s", parsed);
}

static double calls(const char *method, const char *status)
{
    char sample[300];
    snprintf(sample, sizeof sample, "tenderd_calls_total{method=\"%s\",status=\"%s\"}", method,
             status);
    return scrape_value(parsed, sample);
}

static void test_writes_and_bid_counted(void **state)
{
    (void)state;
    char pub[64], keys[300], committee[300], text[256], id[64], dl[32], op[32], bids[300];
    scrape_settled();
    assert_true(scrape_value(parsed, "tenderd_transparency_log_leaves{}") == 0);
    assert_true(scrape_value(parsed, "tenderd_bids_received_total{}") == 0);
    assert_true(scrape_value(parsed, "tenderd_store_batch_size_count{}") == 0);

    path(keys, sizeof keys, "keys");
    ctl(NULL, "keys", "gen", "officer", "--dir", keys, NULL);
    EXPECT(0);
    first_line(pub, sizeof pub);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\n", pub);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--title", "Metered works", "--budget", "1000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 3600), "--opening",
        at(op, sizeof op, t0 + 3700), "--committee", committee, "--threshold", "1", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    path(bids, sizeof bids, "supplier");
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "900", "--currency", "KRW",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    ctl(NULL, "tender", "show", "T-2000-999999", NULL);
    EXPECT(15); /* NOT_FOUND */
    ctl(NULL, "audit", "checkpoint", NULL);
    EXPECT(0);
    char checkpoint[4096];
    snprintf(checkpoint, sizeof checkpoint, "%.4000s", R.out);

    scrape_settled();
    assert_true(calls("tender.tenders.v1.Tenders/Create", "OK") == 1);
    assert_true(calls("tender.tenders.v1.Tenders/Publish", "OK") == 1);
    assert_true(calls("tender.bids.v1.Bids/Submit", "OK") == 1);
    assert_true(calls("tender.tenders.v1.Tenders/Get", "NOT_FOUND") == 1);
    assert_true(scrape_value(parsed, "tenderd_bids_received_total{}") == 1);
    /* The gauge is the size of the signed checkpoint tenderctl fetched. */
    double leaves = scrape_value(parsed, "tenderd_transparency_log_leaves{}");
    char size[32];
    snprintf(size, sizeof size, "\nsize:     %.0f\n", leaves);
    assert_true(leaves >= 3);
    if (!strstr(checkpoint, size))
        fail_msg("log size %.0f is not the checkpoint's:\n%s", leaves, checkpoint);
    /* Three writes at least, one request per commit here. */
    double commits = scrape_value(parsed, "tenderd_store_batch_size_count{}");
    assert_true(commits >= 3);
    assert_true(scrape_value(parsed, "tenderd_store_batch_size_sum{}") >= commits);
    assert_true(scrape_value(parsed, "tenderd_store_write_queue_depth{}") == 0);
    assert_true(scrape_value(parsed, "tenderd_tls_handshakes_total{result=\"completed\"}") >= 5);
    /* tenderctl connects once per command: it asks for no session ticket,
     * and tenderd (tickets on by default) built none. */
    assert_true(scrape_value(parsed, "tenderd_tls_tickets_issued_total{}") == 0);
}

/* A --metrics address that cannot be bound stops tenderd with exit 1 and the reason. */
static void test_bad_address_refused(void **state)
{
    (void)state;
    char cmd[2048], log[300], out[2048];
    path(log, sizeof log, "bad_metrics.log");
    snprintf(cmd, sizeof cmd,
             "'%s' --listen 127.0.0.1:0 --db '%s/db2' --cert '%s/server.crt' --key "
             "'%s/server.key' --ca '%s/ca.crt' --metrics 192.0.2.1:9464 2>'%s'",
             ctl_srv_bin, ctl_dir, ctl_pki, ctl_pki, ctl_pki, log);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    assert_true(read_file(log, out, sizeof out) > 0);
    HAS(out, "cannot listen on 192.0.2.1:9464 for metrics");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_and_bid_counted),
        cmocka_unit_test(test_bad_address_refused),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
