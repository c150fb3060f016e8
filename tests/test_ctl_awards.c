/* End-to-end tests of tenderctl award: a tender opened through tenderctl
 * (committee keys, two sealed bids, open by 2 of 3), then award refusals
 * (another organisation, not the lowest price, weighted without weights, a
 * disqualified winner), an award, its cancellation, a second award that
 * the real tenderd (--standstill 6) completes, and award show; a tender
 * with weighted criteria (weights checked at create) awarded on its
 * weighted totals; against the real $BUILD/bin/tenderd running as a child
 * process. */
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

static char vkey[400];

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_awards_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    /* Before the server starts: this creates the log key in its --db. */
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    /* Long enough for the steps between an award and its cancellation on a
     * loaded machine; the test waits for it once. */
    static const char *const extra[] = {"--standstill", "6", NULL};
    return ctlrun_start_server(extra);
}

/* bid submit as who into its bid folder; the new bid's id into id. */
static void submit(const char *who, const char *tender, const char *price, char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency", "KRW",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    HAS_NOT(R.err, "warning");
    first_line(id, len);
    assert_true(strncmp(id, "B-", 2) == 0 && strlen(id) == 34);
}

/* The committee file (officer, admin, auditor), their keys made once. */
static const char *committee_file(char *committee, size_t len)
{
    static bool made;
    char pub[3][64], text[1024];
    static const char *const members[] = {"officer", "admin", "auditor"};
    path(committee, len, "members.txt");
    if (made)
        return committee;
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    made = true;
    return committee;
}

/* Open tender id with the officer's and the admin's shares once its opening time has come. */
static void open_tender(const char *id, time_t opening)
{
    char kf[400];
    sleep_until(opening);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
}

static void test_award_flow(void **state)
{
    (void)state;
    char committee[300], text[1024], id[64], dl[32], op[32], b1[64], b2[64], arg[200];
    committee_file(committee, sizeof committee);
    /* Room for the steps before the deadline on a loaded machine (and under ASan). */
    time_t t0 = time(NULL), deadline = t0 + 12, opening = t0 + 13;
    ctl("officer", "tender", "create", "--title", "Awarded road works", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    submit("supplier", id, "100000", b1, sizeof b1);
    submit("supplier2", id, "150000", b2, sizeof b2);

    /* No award before the opening. */
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "early", NULL);
    EXPECT(10 + 5); /* NOT_FOUND: no opening record yet */
    open_tender(id, opening);

    /* Refusals. */
    ctl("officer2", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale", "r",
        NULL);
    EXPECT(10 + 7);
    HAS(R.err, "only its officers");
    ctl("officer", "award", id, "--winner", b2, "--criterion", "lowest-price", "--rationale", "r",
        NULL);
    EXPECT(10 + 9);
    HAS(R.err, "not the lowest valid price");
    ctl("officer", "award", id, "--winner", b1, "--criterion", "weighted", "--score",
        (snprintf(arg, sizeof arg, "%s:price=80", b1), arg), "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "publishes no award weights");
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--score", arg,
        "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--score goes with --criterion weighted");
    snprintf(arg, sizeof arg, "%s:missing guarantee", b1);
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--disqualify", arg,
        "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "disqualified in this decision");
    ctl("officer", "award", id, "--winner", b1, "--criterion", "cheapest", "--rationale", "r",
        NULL);
    EXPECT(2);
    ctl("officer", "award", "unsuccessful", id, "--rationale", "none valid", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "cannot be unsuccessful");

    /* The award, shown to everyone, then cancelled. */
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "lowest valid price", NULL);
    EXPECT(0);
    HAS(R.out, "standstill until");
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    snprintf(text, sizeof text, "winner %s (criterion lowest_price)", b1);
    HAS(R.out, text);
    HAS(R.out, ": standstill");
    HAS(R.out, "100000 KRW");
    ctl(NULL, "--json", "award", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"signature\":\"");
    HAS(R.out, "\"officer_key\":\"");
    ctl("officer", "award", "cancel", id, NULL);
    EXPECT(2);
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled: complaint upheld");

    /* Again; after the standstill (6 s here) the tender is complete. */
    time_t recorded = time(NULL);
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "lowest valid price, after review", NULL);
    EXPECT(0);
    sleep_until(recorded + 6);
    /* The scheduler completes it soon after: look again for a while. */
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "award", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, ": final"))
            break;
        usleep(250000);
    }
    HAS(R.out, ": final");
    HAS(R.out, "-A2 ");
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"COMPLETE\"");
    ctl("officer", "award", "cancel", id, "--reason", "too late", NULL);
    EXPECT(10 + 9);
}

/* A tender that publishes weighted criteria, awarded on them through
 * tenderctl: the higher price wins on quality. */
static void test_weighted_flow(void **state)
{
    (void)state;
    char committee[300], id[64], dl[32], op[32], lo[64], hi[64], s[4][200], want[300];
    committee_file(committee, sizeof committee);
    /* Four refused creates come first: more room than in the flow above. */
    time_t t0 = time(NULL), deadline = t0 + 16, opening = t0 + 17;
    at(dl, sizeof dl, deadline);
    at(op, sizeof op, opening);
    /* The weights must add up to 100. */
    ctl("officer", "tender", "create", "--title", "Weighted bridge", "--budget", "500000",
        "--currency", "KRW", "--deadline", dl, "--opening", op, "--committee", committee,
        "--award-criteria", "weighted", "--criterion", "price:60", "--criterion", "quality:30",
        NULL);
    EXPECT(10 + 3);
    HAS(R.err, "the weights add up to 90%; they must add up to 100");
    ctl("officer", "tender", "create", "--title", "Weighted bridge", "--budget", "500000",
        "--currency", "KRW", "--deadline", dl, "--opening", op, "--committee", committee,
        "--award-criteria", "weighted", NULL);
    EXPECT(2);
    HAS(R.err, "--criterion NAME:WEIGHT");
    ctl("officer", "tender", "create", "--title", "Weighted bridge", "--budget", "500000",
        "--currency", "KRW", "--deadline", dl, "--opening", op, "--committee", committee,
        "--criterion", "price:sixty", NULL);
    EXPECT(2);
    HAS(R.err, "expected NAME:WEIGHT");
    ctl("officer", "tender", "create", "--title", "Weighted bridge", "--budget", "500000",
        "--currency", "KRW", "--deadline", dl, "--opening", op, "--committee", committee,
        "--award-criteria", "weighted", "--criterion", "price:60", "--criterion", "quality:40",
        NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "award criteria:       weighted: price 60%, quality 40%");
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    submit("supplier", id, "100000", lo, sizeof lo);
    submit("supplier2", id, "150000", hi, sizeof hi);
    open_tender(id, opening);

    snprintf(s[0], sizeof s[0], "%s:price=100", lo);
    snprintf(s[1], sizeof s[1], "%s:quality=40", lo);
    snprintf(s[2], sizeof s[2], "%s:price=67", hi);
    snprintf(s[3], sizeof s[3], "%s:quality=100", hi);
    /* Lowest price on a weighted tender; a winner without the highest total. */
    ctl("officer", "award", id, "--winner", lo, "--criterion", "lowest-price", "--rationale", "r",
        NULL);
    EXPECT(10 + 9);
    HAS(R.err, "published weighted award criteria");
    ctl("officer", "award", id, "--winner", lo, "--criterion", "weighted", "--score", s[0],
        "--score", s[1], "--score", s[2], "--score", s[3], "--rationale", "r", NULL);
    EXPECT(10 + 9);
    snprintf(want, sizeof want,
             "winner %s totals 76.00 points, not the highest weighted total: 1 valid bid totals "
             "more: %s (80.20)",
             lo, hi);
    HAS(R.err, want);
    /* A missing score; points out of range. */
    ctl("officer", "award", id, "--winner", hi, "--criterion", "weighted", "--score", s[0],
        "--score", s[2], "--score", s[3], "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "no score for published criterion \"quality\"");
    ctl("officer", "award", id, "--winner", hi, "--criterion", "weighted", "--score",
        (snprintf(want, sizeof want, "%s:price=101", hi), want), "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "0 to 100");

    ctl("officer", "award", id, "--winner", hi, "--criterion", "weighted", "--score", s[0],
        "--score", s[1], "--score", s[2], "--score", s[3], "--rationale", "highest weighted total",
        NULL);
    EXPECT(0);
    HAS(R.out, "standstill until");
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "winner %s (criterion weighted)", hi);
    HAS(R.out, want);
    HAS(R.out, "150000 KRW  total 80.20 (price 67, quality 100)");
    HAS(R.out, "100000 KRW  total 76.00 (price 100, quality 40)");
    ctl(NULL, "--json", "award", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"criterion\":\"quality\",\"points\":100");
}

static void test_award_usage(void **state)
{
    (void)state;
    ctl(NULL, "award", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--disqualify BID:REASON");
    ctl(NULL, "award", "show", "--help", NULL);
    EXPECT(0);
    ctl("officer", "award", "T-2026-000001", "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--winner");
    ctl(NULL, "award", "T-2026-000001", "--winner", "B-1", "--criterion", "lowest-price",
        "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--cert");
    ctl(NULL, "award", "show", "T-2026-999999", NULL);
    EXPECT(10 + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_award_flow),
        cmocka_unit_test(test_weighted_flow),
        cmocka_unit_test(test_award_usage),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
