/* End-to-end test of tenderctl export ocds on a tender in three lots,
 * against the real $BUILD/bin/tenderd (--standstill 4): published with
 * items in each lot, two sealed bids with a price per lot (supplier2's
 * price for L3 above the lot's value), the opening, L1 awarded, L2
 * cancelled (Tenders/CancelLot), L3 unsuccessful, L1's standstill over and
 * the tender complete; the OCDS release package after each step validated
 * by tests/ocds_validate.py (Debian's /usr/bin/python3, python3-jsonschema)
 * against OCDS 1.1.5 with the bids, lots and location extensions: the lots
 * and their statuses, the bids per lot, the awards per lot, the releases'
 * tags; and tenderd --http's /api/v1/tenders/ID/ocds the same bytes but for
 * publishedDate. The harness is tests/support/ctlrun.c. */
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
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "httpget.h"
#include "scrape.h"
#include "testsrv.h"

#define STANDSTILL 4

static char vkey[400], repo[256], id[64], b1[64], b2[64];
static int http_port;

/* Also: no sanitizer report from tenderctl. */
#undef EXPECT
#define EXPECT(want)                                                                               \
    do {                                                                                           \
        if (R.code != (want))                                                                      \
            fail_msg("tenderctl exit %d, expected %d\nstdout: %s\nstderr: %s", R.code, (want),     \
                     R.out, R.err);                                                                \
        if (strstr(R.err, "Sanitizer"))                                                            \
            fail_msg("tenderctl under a sanitizer:\n%s", R.err);                                   \
    } while (0)

/* tests/ocds_validate.py on the export file name with more arguments;
 * fails the test with the validator's messages unless it exits 0. */
static void validate(const char *name, const char *args)
{
    char cmd[3000], f[300], log[300], text[65536];
    path(f, sizeof f, name);
    path(log, sizeof log, "validate.log");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/ocds_validate.py' '%s' %s >'%s' 2>&1",
             repo, f, args, log);
    int rc = system(cmd);
    if (read_file(log, text, sizeof text) < 0)
        text[0] = '\0';
    if (rc != 0)
        fail_msg("ocds_validate.py %s %s: status %d\n%s", f, args, rc, text);
    HAS(text, "releases valid");
}

/* tenderctl export ocds --tender ID --output name. */
static void export(const char *name)
{
    char out[300];
    path(out, sizeof out, name);
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
}

static void bid(const char *who, const char *p1, const char *p2, char *out, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", id, "--currency", "EUR", "--lot-price", p1,
        "--lot-price", p2, "--bids-dir", bids, NULL);
    if (ctl_ok("bid submit", 0, NULL))
        first_line(out, len);
}

static time_t opening;

static int setup(void **state)
{
    (void)state;
    char db[300], dl[32], op[32], pub[2][64], text[1024], committee[300];
    if (!getcwd(repo, sizeof repo) || access("tests/ocds_validate.py", R_OK) != 0 ||
        access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_ocds_lots_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    char spec[64];
    http_port = scrape_free_port();
    snprintf(spec, sizeof spec, "127.0.0.1:%d", http_port);
    const char *const extra[] = {"--http", spec, "--standstill", "4", NULL};
    if (http_port <= 0 || ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 ||
        ctlrun_start_server(extra) != 0)
        return -1;
    static const char *const members[] = {"officer", "admin"};
    for (int i = 0; i < 2; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    snprintf(text, sizeof text, "officer %s\nadmin %s\n", pub[0], pub[1]);
    path(committee, sizeof committee, "members.txt");
    write_file(committee, text, strlen(text));
    /* Bids for 12 s, opened from 13 s on: room for the steps before on a
     * loaded machine. */
    time_t t0 = time(NULL);
    opening = t0 + 13;
    ctl("officer", "tender", "create", "--title", "Road materials in three lots", "--currency",
        "EUR", "--deadline", at(dl, sizeof dl, t0 + 12), "--opening", at(op, sizeof op, opening),
        "--method", "open", "--category", "goods", "--committee", committee, "--threshold", "2",
        "--lot", "L1: Gravel; 600", "--lot",
        "L2: Paving; 300; criteria=price:70,quality:30; description=Paving of the access road",
        "--lot", "L3: Signs; 100", "--item",
        "I1: Gravel 0/32; 12.5 TNE; lot=L1; cpv=44113000-2; place=Depot, 1 Quarry Road", "--item",
        "I2: Paving works; 1 E48; lot=L2", "--item", "I3: Speed limit sign; 40 H87; lot=L3", NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return -1;
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    if (!ctl_ok("tender publish", 0, NULL))
        return -1;
    bid("supplier", "L1=500", "L2=250", b1, sizeof b1);
    bid("supplier2", "L1=550.50", "L3=150", b2, sizeof b2);
    return b1[0] && b2[0] ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ctlrun_kill_server();
    if (!getenv("OCDS_KEEP"))
        test_rmtree(ctl_dir);
    return 0;
}

/* Published: the lots active, the items with their lots, no bids yet, the
 * tender's estimated value the lots' sum. */
static void test_published(void **state)
{
    (void)state;
    char text[65536];
    export("published.json");
    validate("published.json", "--tags tender --no-bids --lots L1:active,L2:active,L3:active");
    char f[300];
    path(f, sizeof f, "published.json");
    assert_true(read_file(f, text, sizeof text) > 0);
    HAS(text, "\"relatedLot\": \"L3\"");
    HAS(text, "\"scheme\": \"UNCEFACT\"");
    HAS(text, "\"id\": \"TNE\"");
    HAS(text, "\"quantity\": 12.5");
    HAS(text, "\"description\": \"Depot, 1 Quarry Road\"");
    HAS(text, "ocds_lots_extension");
    HAS(text, "ocds_location_extension");
}

/* The whole life: opened, L1 awarded, L2 cancelled, L3 unsuccessful, L1
 * complete, and with it the tender. */
static void test_life(void **state)
{
    (void)state;
    char kf[400], args[1024];
    sleep_until(opening);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
    export("opened.json");
    /* supplier2's L3 price is above the lot's value: disqualified for L3. */
    validate("opened.json", "--tags tender,tenderUpdate --lots L1:active,L2:active,L3:active "
                            "--lot-bids L1:500:EUR,L1:550.5:EUR,L2:250:EUR");

    ctl("officer", "award", id, "--lot", "L1", "--winner", b1, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    time_t recorded = time(NULL);
    ctl("officer", "tender", "lot-cancel", id, "L2", "--reason", "Paving postponed",
        "--reason-code", "other", NULL);
    EXPECT(0);
    ctl("officer", "award", "unsuccessful", id, "--lot", "L3", "--rationale", "no valid bid", NULL);
    EXPECT(0);
    export("decided.json");
    validate("decided.json", "--tags tender,tenderUpdate,award,tenderUpdate,tenderUpdate+award "
                             "--lots L1:active,L2:cancelled,L3:unsuccessful "
                             "--lot-awards L1:pending,L3:unsuccessful");

    sleep_until(recorded + STANDSTILL);
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "--json", "tender", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, "\"status\":\"COMPLETE\""))
            break;
        usleep(250000);
    }
    HAS(R.out, "\"status\":\"COMPLETE\"");
    export("complete.json");
    snprintf(args, sizeof args,
             "--tags tender,tenderUpdate,award,tenderUpdate,tenderUpdate+award,"
             "tenderUpdate+awardUpdate,tenderUpdate+awardUpdate "
             "--lots L1:complete,L2:cancelled,L3:unsuccessful "
             "--lot-awards L1:active,L3:unsuccessful "
             "--lot-bids L1:500:EUR,L1:550.5:EUR,L2:250:EUR");
    validate("complete.json", args);
    char f[300], text[65536], want[160];
    path(f, sizeof f, "complete.json");
    assert_true(read_file(f, text, sizeof text) > 0);
    snprintf(want, sizeof want, "\"relatedBid\": \"%s/L1\"", b1);
    HAS(text, want);
    HAS(text, "\"status\": \"complete\"");
}

/* Drop the line of the package's top-level key ("  \"key\": ...\n") from text. */
static void drop_line(char *text, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\n  \"%s\": ", key);
    char *at_key = strstr(text, needle);
    assert_non_null(at_key);
    char *eol = strchr(at_key + 1, '\n');
    assert_non_null(eol);
    memmove(at_key, eol, strlen(eol) + 1);
}

/* The server's package of the complete tender: tenderctl's bytes but for
 * publishedDate (the same builder, fed from the store). */
static void test_http(void **state)
{
    (void)state;
    char url[128], f[300];
    hresp r;
    snprintf(url, sizeof url, "/api/v1/tenders/%s/ocds", id);
    http_req(http_port, "GET", url, NULL, &r);
    if (r.status != 200)
        fail_msg("GET %s: %d\n%s", url, r.status, r.body);
    path(f, sizeof f, "http.json");
    write_file(f, r.body, r.len);
    validate("http.json", "--lots L1:complete,L2:cancelled,L3:unsuccessful "
                          "--lot-awards L1:active,L3:unsuccessful");
    ctl(NULL, "export", "ocds", "--tender", id, "--uri", "urn:tenderd:http:ocds", NULL);
    EXPECT(0);
    drop_line(r.body, "publishedDate");
    drop_line(R.out, "publishedDate");
    if (strcmp(r.body, R.out) != 0) {
        path(f, sizeof f, "export.json");
        write_file(f, R.out, strlen(R.out));
        fail_msg("GET %s differs from tenderctl export ocds (see %s)", url, f);
    }
    http_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_life),
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
