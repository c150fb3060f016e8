/* End-to-end test of tenderctl export ocds: a tender's whole public life
 * (a committee from keys gen, weighted award criteria, publish, amend, a
 * question answered, two sealed bids, the deadline, the opening by two
 * members, a weighted award, its cancellation, a second award completed
 * after the standstill) against the real
 * $BUILD/bin/tenderd on a free loopback port, then the OCDS 1.1.5 release
 * package validated by tests/ocds_validate.py with Debian's /usr/bin/python3
 * (python3-jsonschema): the package schema, each release against the release
 * schema with the bids extension merged in, no bids before the opening and
 * the opened bids' values, the awards as they stood at each release. The
 * helpers come from test_ctl_bids.c; the
 * harness is tests/support/ctlrun.c. */
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "testsrv.h"

static char vkey[400], repo[256];

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

static int start(void)
{
    char db[300];
    /* Tests run from the repository root: the validator is tests/ocds_validate.py. */
    if (!getcwd(repo, sizeof repo) || access("tests/ocds_validate.py", R_OK) != 0 ||
        access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_ocds_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    /* Before the server starts: this creates the log key in its --db. */
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    /* Long enough to cancel an award on a loaded machine; waited for once. */
    static const char *const extra[] = {"--standstill", "6", NULL};
    return ctlrun_start_server(extra);
}

static int teardown(void **state)
{
    (void)state;
    ctlrun_kill_server();
    if (!getenv("OCDS_KEEP"))
        test_rmtree(ctl_dir);
    return 0;
}

/* tests/ocds_validate.py on package file f with more arguments; fails the
 * test with the validator's messages unless it exits 0. */
static void validate(const char *f, const char *args)
{
    char cmd[3000], log[300], text[65536];
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

/* ---- a tender's whole public life, exported at each stage ---- */

/* Made by the group setup: the life's tender, its bids, its opening time,
 * and the exports taken along the way (files in the test folder). */
static char life_id[64], b1[64], b2[64], life_op[32];

/* The life of one tender, as the group setup runs it, exporting after each
 * stage: before.json (before the opening), after.json (opened), all.json
 * (every tender, stdout), since.json (--since the opening, another ocid
 * prefix), awarded.json (an award, cancelled, recorded again) and
 * complete.json (the standstill over). Each step's exit code is checked;
 * the tests below check the exports. */
static int life(void)
{
    char pub[2][64], committee[300], text[1024], q[64], dl[32], eq[32], doc[300], out[300], kf[400],
        keys[300];
    path(keys, sizeof keys, "keys");
    static const char *const members[] = {"officer", "admin"};
    for (int i = 0; i < 2; i++) {
        ctl(NULL, "keys", "gen", members[i], "--dir", keys, NULL);
        if (!ctl_ok("keys gen", 0, NULL))
            return -1;
        first_line(pub[i], sizeof pub[i]);
    }
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    path(doc, sizeof doc, "spec.pdf");
    write_file(doc, "%PDF-1.4 specification\n", 24);

    /* Questions for 20 s, bids for 22 s, opened from 23 s on by both: room for
     * the steps before on a loaded machine (and under ASan). */
    time_t t0 = time(NULL), enquiry = t0 + 20, deadline = t0 + 22, opening = t0 + 23;
    ctl("officer", "tender", "create", "--title", "Bridge repair", "--description",
        "Repair of the old bridge", "--budget", "1234567.89", "--currency", "EUR", "--deadline",
        at(dl, sizeof dl, deadline), "--opening", at(life_op, sizeof life_op, opening),
        "--enquiry-deadline", at(eq, sizeof eq, enquiry), "--cpv", "45221111-3", "--method", "open",
        "--category", "works", "--committee", committee, "--threshold", "2", "--doc", doc,
        "--criterion", "price:70", "--criterion", "quality:30", NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return -1;
    first_line(life_id, sizeof life_id);
    /* A draft is never exported, not even to its buyer's officer (and this
     * server has nothing published yet). */
    ctl("officer", "export", "ocds", NULL);
    if (!ctl_ok("export of a draft", 1, NULL))
        return -1;
    if (!strstr(R.err, "no release")) {
        fprintf(stderr, "export of a draft: expected \"no release\" in: %s\n", R.err);
        return -1;
    }
    ctl("officer", "tender", "publish", life_id, NULL);
    if (!ctl_ok("tender publish", 0, NULL))
        return -1;
    ctl("officer", "tender", "amend", life_id, "--description",
        "Repair and repaint of the old bridge", "--note", "Repainting added", NULL);
    if (!ctl_ok("tender amend", 0, NULL))
        return -1;
    ctl("supplier", "question", "ask", life_id, "--text", "Which paint?", NULL);
    if (!ctl_ok("question ask", 0, NULL))
        return -1;
    first_line(q, sizeof q);
    ctl("officer", "question", "answer", life_id, q, "--text", "Lead-free, RAL 7035", NULL);
    if (!ctl_ok("question answer", 0, NULL))
        return -1;
    const char *who[2] = {"supplier", "supplier2"}, *price[2] = {"100000.50", "150000"};
    char *bid[2] = {b1, b2};
    for (int i = 0; i < 2; i++) {
        char bids[300];
        path(bids, sizeof bids, who[i]);
        ctl(who[i], "--log-key", vkey, "bid", "submit", life_id, "--price", price[i], "--currency",
            "EUR", "--bids-dir", bids, NULL);
        if (!ctl_ok("bid submit", 0, NULL))
            return -1;
        first_line(bid[i], 64);
        if (strncmp(bid[i], "B-", 2) != 0) {
            fprintf(stderr, "bid submit: not a bid id: %s\n", bid[i]);
            return -1;
        }
    }
    path(out, sizeof out, "before.json");
    ctl(NULL, "export", "ocds", "--tender", life_id, "--output", out, NULL);
    if (!ctl_ok("export before the opening", 0, NULL))
        return -1;
    if (R.out[0]) {
        fprintf(stderr, "export --output wrote to stdout: %s\n", R.out);
        return -1;
    }
    if (time(NULL) >= enquiry) {
        fprintf(stderr, "the steps before the enquiry deadline took more than %lld s\n",
                (long long)(enquiry - t0));
        return -1;
    }

    /* The opening by both members. */
    sleep_until(opening);
    ctl("officer", "open", life_id, "--key", key_file("officer", kf, sizeof kf), NULL);
    if (!ctl_ok("open", 0, NULL))
        return -1;
    ctl("admin", "open", life_id, "--key", key_file("admin", kf, sizeof kf), NULL);
    if (!ctl_ok("open", 0, "tender opened"))
        return -1;
    path(out, sizeof out, "after.json");
    ctl(NULL, "export", "ocds", "--tender", life_id, "--output", out, NULL);
    if (!ctl_ok("export after the opening", 0, NULL))
        return -1;
    /* Every tender, to stdout; --since the opening: the opened release only. */
    ctl(NULL, "export", "ocds", NULL);
    if (!ctl_ok("export of every tender", 0, NULL))
        return -1;
    path(out, sizeof out, "all.json");
    write_file(out, R.out, strlen(R.out));
    ctl(NULL, "export", "ocds", "--since", life_op, "--ocid-prefix", "ocds-abc123", NULL);
    if (!ctl_ok("export --since", 0, NULL))
        return -1;
    path(out, sizeof out, "since.json");
    write_file(out, R.out, strlen(R.out));

    /* A weighted award (b1: 70*100 + 30*50 = 85.00; b2: 70*67 + 30*80 =
     * 70.90), cancelled during the standstill, recorded again and complete
     * once the standstill (6 s) ends. */
    char sc[4][120];
    snprintf(sc[0], sizeof sc[0], "%s:price=100", b1);
    snprintf(sc[1], sizeof sc[1], "%s:quality=50", b1);
    snprintf(sc[2], sizeof sc[2], "%s:price=67", b2);
    snprintf(sc[3], sizeof sc[3], "%s:quality=80", b2);
    ctl("officer", "award", life_id, "--winner", b1, "--criterion", "weighted", "--score", sc[0],
        "--score", sc[1], "--score", sc[2], "--score", sc[3], "--rationale",
        "Highest weighted total", NULL);
    if (!ctl_ok("award", 0, NULL))
        return -1;
    ctl("officer", "award", "cancel", life_id, "--reason", "Complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    if (!ctl_ok("award cancel", 0, NULL))
        return -1;
    time_t recorded = time(NULL);
    ctl("officer", "award", life_id, "--winner", b1, "--criterion", "weighted", "--score", sc[0],
        "--score", sc[1], "--score", sc[2], "--score", sc[3], "--rationale",
        "Highest weighted total, after review", NULL);
    if (!ctl_ok("award again", 0, NULL))
        return -1;
    path(out, sizeof out, "awarded.json");
    ctl(NULL, "export", "ocds", "--tender", life_id, "--output", out, NULL);
    if (!ctl_ok("export of the award", 0, NULL))
        return -1;
    sleep_until(recorded + 6);
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "award", "show", life_id, NULL);
        if (!ctl_ok("award show", 0, NULL))
            return -1;
        if (strstr(R.out, ": final"))
            break;
        usleep(250000);
    }
    if (!ctl_ok("the award after the standstill", 0, ": final"))
        return -1;
    path(out, sizeof out, "complete.json");
    ctl(NULL, "export", "ocds", "--tender", life_id, "--output", out, NULL);
    return ctl_ok("export of the complete tender", 0, NULL) ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    return start() == 0 ? life() : -1;
}

/* Read export file name of the test folder into R.out. */
static void read_export(const char *name)
{
    char out[300];
    path(out, sizeof out, name);
    assert_true(read_file(out, R.out, sizeof R.out) > 0);
}

/* Before the opening: valid, and no bids anywhere. */
static void test_before_the_opening_no_bid_is_released(void **state)
{
    (void)state;
    char out[300], ocid[128];
    path(out, sizeof out, "before.json");
    validate(out, "--no-bids --tags tender,tenderAmendment --award-criteria ratedCriteria");
    read_export("before.json");
    snprintf(ocid, sizeof ocid, "\"ocid\": \"ocds-tndrd-%s\"", life_id);
    HAS(R.out, ocid);
    HAS(R.out, "\"amount\": 1234567.89");
    HAS(R.out, "\"rationale\": \"Repainting added\"");
    HAS(R.out, "\"id\": \"45221111-3\"");
    HAS(R.out, "\"procurementMethod\": \"open\"");
    HAS(R.out, "\"mainProcurementCategory\": \"works\"");
    HAS(R.out, "\"title\": \"spec.pdf\"");
    HAS(R.out, "\"awardCriteriaDetails\": \"Weighted criteria, 0..100 points each: price 70%, "
               "quality 30%\"");
    HAS_NOT(R.out, "\"awards\"");
    HAS_NOT(R.out, b1);
    HAS_NOT(R.out, "Acme");
    HAS_NOT(R.out, "100000.5");
}

static void test_the_opening_releases_the_bids_and_answers(void **state)
{
    (void)state;
    char out[300], args[600];
    path(out, sizeof out, "after.json");
    snprintf(args, sizeof args,
             "--opening %s --tags tender,tenderAmendment,tenderUpdate --bids "
             "100000.5:EUR,150000:EUR",
             life_op);
    validate(out, args);
    read_export("after.json");
    HAS(R.out, b1);
    HAS(R.out, b2);
    HAS(R.out, "\"name\": \"Acme Construction\"");
    HAS(R.out, "\"name\": \"Globex Ltd\"");
    HAS(R.out, "\"tenderer\"");
    HAS(R.out, "\"answer\": \"Lead-free, RAL 7035\"");
    HAS(R.out, "\"hasEnquiries\": true");
}

static void test_every_tender_exports_to_stdout(void **state)
{
    (void)state;
    char out[300];
    path(out, sizeof out, "all.json");
    validate(out, "--tags tender,tenderAmendment,tenderUpdate");
}

/* --since the opening: the opened release only, under another ocid prefix;
 * nothing since a time to come. */
static void test_since_exports_the_releases_after_a_time(void **state)
{
    (void)state;
    char out[300], ocid[128];
    path(out, sizeof out, "since.json");
    validate(out, "--tags tenderUpdate --bids 100000.5:EUR,150000:EUR");
    read_export("since.json");
    snprintf(ocid, sizeof ocid, "\"ocid\": \"ocds-abc123-%s\"", life_id);
    HAS(R.out, ocid);
    ctl(NULL, "export", "ocds", "--since", "2999-01-01T00:00:00Z", NULL);
    EXPECT(1);
}

static void test_an_award_cancelled_and_recorded_again_is_released(void **state)
{
    (void)state;
    char out[300];
    path(out, sizeof out, "awarded.json");
    validate(out, "--tags tender,tenderAmendment,tenderUpdate,award,awardCancellation,award "
                  "--awards cancelled,pending --award-criteria ratedCriteria");
}

static void test_the_complete_tender_releases_both_awards(void **state)
{
    (void)state;
    char out[300], args[600];
    path(out, sizeof out, "complete.json");
    validate(out, "--tags tender,tenderAmendment,tenderUpdate,award,awardCancellation,award,"
                  "tenderUpdate+awardUpdate --awards cancelled,active "
                  "--award-criteria ratedCriteria");
    read_export("complete.json");
    snprintf(args, sizeof args, "\"id\": \"%s-A1\"", life_id);
    HAS(R.out, args);
    snprintf(args, sizeof args, "\"relatedBid\": \"%s\"", b1);
    HAS(R.out, args);
    HAS(R.out, "\"description\": \"Highest weighted total\\nCancelled (A complaint was upheld): "
               "Complaint upheld\"");
    HAS(R.out, "\"description\": \"Highest weighted total, after review\"");
    HAS(R.out, "\"status\": \"complete\"");
    HAS(R.out, "\"supplier\"");
}

/* A cancelled tender: its cancellation release, never any bids. */
static void test_cancelled(void **state)
{
    (void)state;
    char id[64], dl[32], op[32], out[300], pub[2][64], committee[300], text[256];
    ctl_keys_gen("chair1", pub[0], sizeof pub[0]);
    ctl_keys_gen("chair2", pub[1], sizeof pub[1]);
    path(committee, sizeof committee, "chairs.txt");
    snprintf(text, sizeof text, "chair1 %s\nchair2 %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--committee", committee, "--title", "Office chairs",
        "--budget", "5000000", "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 3600),
        "--opening", at(op, sizeof op, t0 + 3700), "--category", "goods", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    ctl("officer", "tender", "cancel", id, "--reason", "Budget withdrawn", "--reason-code",
        "budget-cut", NULL);
    EXPECT(0);
    path(out, sizeof out, "cancelled.json");
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    validate(out, "--no-bids --tags tender,tenderCancellation --award-criteria priceOnly");
    assert_true(read_file(out, R.out, sizeof R.out) > 0);
    HAS(R.out, "\"status\": \"cancelled\"");
    HAS(R.out, "\"statusDetails\": \"The budget was cut: Budget withdrawn\"");
    HAS(R.out, "\"amount\": 5000000,");
    HAS(R.out, "\"currency\": \"KRW\"");
    HAS(R.out, "\"mainProcurementCategory\": \"goods\"");
    HAS_NOT(R.out, "\"items\"");
    /* The output file is replaced, never left half written. */
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    validate(out, "--no-bids");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    ctl(NULL, "export", "ocds", "--since", "yesterday", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "--ocid-prefix", "", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "extra", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "--tender", "T-2026-999999", NULL);
    EXPECT(10 + 5);
    ctl(NULL, "export", "nothing", NULL);
    EXPECT(2);
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "export", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "ocds");
    ctl(NULL, "export", "ocds", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--ocid-prefix");
    ctl(NULL, "export", NULL);
    EXPECT(2);
    ctl(NULL, "--help", NULL);
    EXPECT(0);
    HAS(R.out, "export ocds");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_the_opening_no_bid_is_released),
        cmocka_unit_test(test_the_opening_releases_the_bids_and_answers),
        cmocka_unit_test(test_every_tender_exports_to_stdout),
        cmocka_unit_test(test_since_exports_the_releases_after_a_time),
        cmocka_unit_test(test_an_award_cancelled_and_recorded_again_is_released),
        cmocka_unit_test(test_the_complete_tender_releases_both_awards),
        cmocka_unit_test(test_cancelled),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
