/* End-to-end tests of tenderctl award against the real $BUILD/bin/tenderd
 * running as a child process (--standstill 6). The group setup opens four
 * tenders through tenderctl (committee keys, two sealed bids each, open by 2
 * of 3), all on one deadline so the suite waits for it once; each is used
 * by one test only: award refusals (another organisation, not the lowest
 * price, weighted without weights, a disqualified winner); an award shown
 * and cancelled; a second award the server completes; a tender with
 * weighted criteria awarded on its weighted totals. */
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

/* An opened tender of the fixture: its id, the supplier's bid at 100000 KRW
 * (lo) and supplier2's at 150000 KRW (hi). */
typedef struct opened {
    char id[64], lo[64], hi[64];
} opened;

static opened refusing, cancelling, completing, weighted;

static void open_all(void);

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
    if (ctlrun_start_server(extra) != 0)
        return -1;
    open_all();
    return 0;
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

/* Create tender o with the committee (weighted: price 60 %, quality 40 %),
 * publish it and take its two bids. */
static void prepare(opened *o, const char *title, const char *dl, const char *op, bool weights)
{
    char committee[300];
    committee_file(committee, sizeof committee);
    if (weights)
        ctl("officer", "tender", "create", "--title", title, "--budget", "500000", "--currency",
            "KRW", "--deadline", dl, "--opening", op, "--committee", committee, "--award-criteria",
            "weighted", "--criterion", "price:60", "--criterion", "quality:40", NULL);
    else
        ctl("officer", "tender", "create", "--title", title, "--budget", "500000", "--currency",
            "KRW", "--deadline", dl, "--opening", op, "--committee", committee, "--threshold", "2",
            NULL);
    EXPECT(0);
    first_line(o->id, sizeof o->id);
    ctl("officer", "tender", "publish", o->id, NULL);
    EXPECT(0);
    submit("supplier", o->id, "100000", o->lo, sizeof o->lo);
    submit("supplier2", o->id, "150000", o->hi, sizeof o->hi);
}

/* The fixture's four tenders, opened. */
static void open_all(void)
{
    char dl[32], op[32];
    /* Room for the sixteen steps before the deadline on a loaded machine
     * (and under ASan). */
    time_t t0 = time(NULL), deadline = t0 + 20, opening = t0 + 21;
    at(dl, sizeof dl, deadline);
    at(op, sizeof op, opening);
    prepare(&refusing, "Awarded road works", dl, op, false);
    prepare(&cancelling, "Awarded then cancelled", dl, op, false);
    prepare(&completing, "Awarded to completion", dl, op, false);
    prepare(&weighted, "Weighted bridge", dl, op, true);
    opened *all[] = {&refusing, &cancelling, &completing, &weighted};
    for (int i = 0; i < 4; i++)
        open_tender(all[i]->id, opening);
}

static void test_no_award_before_the_opening(void **state)
{
    (void)state;
    char committee[300], id[64], dl[32], op[32], b1[64];
    committee_file(committee, sizeof committee);
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--title", "Not yet opened", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 600), "--opening",
        at(op, sizeof op, t0 + 601), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    submit("supplier", id, "100000", b1, sizeof b1);
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "early", NULL);
    EXPECT(10 + 5); /* NOT_FOUND: no opening record yet */
}

/* Another organisation, not the lowest price, weights the tender does not
 * publish, a disqualified winner, an unknown criterion, unsuccessful with
 * valid bids: refused. */
static void test_an_award_off_the_rules_is_refused(void **state)
{
    (void)state;
    const char *id = refusing.id, *b1 = refusing.lo, *b2 = refusing.hi;
    char arg[200];
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
}

/* The award, shown to everyone, then cancelled (with a reason) in its
 * standstill. */
static void test_an_award_is_shown_and_cancelled_in_its_standstill(void **state)
{
    (void)state;
    const char *id = cancelling.id, *b1 = cancelling.lo;
    char text[1024];
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
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", "--reason-code", "nope",
        NULL);
    EXPECT(2);
    HAS(R.err, "award cancel: --reason-code CODE is required, one of: no-longer-needed");
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled: complaint upheld");
    HAS(R.out, "cancel code: complaint-upheld (A complaint was upheld)");
    ctl(NULL, "--json", "award", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"cancel_code\":\"COMPLAINT_UPHELD\"");
}

/* After a cancelled award, a second one; after its standstill (6 s here)
 * the tender is complete and the award can no longer be cancelled. */
static void test_a_second_award_completes_after_its_standstill(void **state)
{
    (void)state;
    const char *id = completing.id, *b1 = completing.lo;
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "lowest valid price", NULL);
    EXPECT(0);
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(0);
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
    ctl("officer", "award", "cancel", id, "--reason", "too late", "--reason-code", "other", NULL);
    EXPECT(10 + 9);
}

/* Weighted criteria are checked at create, and shown with the tender. */
static void test_weighted_criteria_are_checked_at_create(void **state)
{
    (void)state;
    char committee[300], id[64], dl[32], op[32];
    committee_file(committee, sizeof committee);
    time_t t0 = time(NULL);
    at(dl, sizeof dl, t0 + 600);
    at(op, sizeof op, t0 + 601);
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
}

/* On published weights, tenderctl awards on the weighted totals: the
 * higher price wins on quality; a lowest-price award, a winner without the
 * highest total, a missing score and points out of range are refused. */
static void test_a_weighted_award_goes_to_the_highest_total(void **state)
{
    (void)state;
    const char *id = weighted.id, *lo = weighted.lo, *hi = weighted.hi;
    char s[4][200], want[300];
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
        cmocka_unit_test(test_no_award_before_the_opening),
        cmocka_unit_test(test_an_award_off_the_rules_is_refused),
        cmocka_unit_test(test_an_award_is_shown_and_cancelled_in_its_standstill),
        cmocka_unit_test(test_a_second_award_completes_after_its_standstill),
        cmocka_unit_test(test_weighted_criteria_are_checked_at_create),
        cmocka_unit_test(test_a_weighted_award_goes_to_the_highest_total),
        cmocka_unit_test(test_award_usage),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
