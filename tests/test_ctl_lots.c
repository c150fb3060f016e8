/* A two-lot life cycle end to end with the real tenderctl against the real
 * $BUILD/bin/tenderd (--standstill 4), nothing written by hand: tenders
 * created with --lot, bids with --lot-price, the committee's opening, an
 * award per lot to two suppliers (one lot weighted, on its own criteria),
 * one lot's award cancelled while the other's stands and recorded again,
 * both standstills ending; and a second
 * tender with one lot unsuccessful (its only price above the lot's value)
 * beside an awarded one. audit verify passes every check at each step. */
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

#define STANDSTILL 4

static char vkey[400];
static char two[64], lo[64],
    hi[64];                    /* the two-winner tender; the supplier's and supplier2's bids */
static char one[64], only[64]; /* the tender with an unsuccessful lot; its one bid */

static int submit(const char *who, const char *tender, const char *p1, const char *p2, char *id,
                  size_t len)
{
    char bids[300], a[64], b[64];
    path(bids, sizeof bids, who);
    snprintf(a, sizeof a, "L1=%s", p1);
    snprintf(b, sizeof b, "L2=%s", p2);
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--lot-price", a, "--lot-price", b,
        "--currency", "KRW", "--bids-dir", bids, NULL);
    if (!ctl_ok("bid submit", 0, "receipt verified"))
        return -1;
    first_line(id, len);
    return 0;
}

/* Lots L1 (600000 KRW) and L2 (400000), L1 at the lowest price, L2 as l2
 * says (its criteria). */
static int create(const char *title, const char *committee, const char *dl, const char *op,
                  const char *l2, char *id, size_t len)
{
    ctl("officer", "tender", "create", "--title", title, "--currency", "KRW", "--deadline", dl,
        "--opening", op, "--committee", committee, "--threshold", "2", "--lot",
        "L1: North roads; 600000", "--lot", l2, NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return -1;
    first_line(id, len);
    ctl("officer", "tender", "publish", id, NULL);
    return ctl_ok("tender publish", 0, NULL) ? 0 : -1;
}

static int open_tender(const char *id)
{
    char kf[400];
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    return ctl_ok("open", 0, "tender opened") ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    char db[300], dl[32], op[32], pub[3][64], text[1024], committee[300];
    if (ctlrun_init("/tmp/tnd_lots_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    static const char *const extra[] = {"--standstill", "4", NULL};
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 || ctlrun_start_server(extra) != 0)
        return -1;
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    path(committee, sizeof committee, "members.txt");
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL);
    at(dl, sizeof dl, t0 + 12);
    at(op, sizeof op, t0 + 13);
    if (create("Roads in two lots", committee, dl, op,
               "L2: South roads; 400000; criteria=price:60,quality:40", two, sizeof two) != 0 ||
        create("Roads, one lot unsuccessful", committee, dl, op, "L2: South roads; 400000", one,
               sizeof one) != 0 ||
        submit("supplier", two, "100000", "300000", lo, sizeof lo) != 0 ||
        submit("supplier2", two, "150000", "200000", hi, sizeof hi) != 0 ||
        /* 900000 is above L2's value: that line opens invalid. */
        submit("supplier", one, "100000", "900000", only, sizeof only) != 0)
        return -1;
    sleep_until(t0 + 13);
    return open_tender(two) || open_tender(one) ? -1 : 0;
}

/* audit verify passes every check; its award line says detail. */
static void verify_passes(const char *id, const char *detail)
{
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, NULL);
    EXPECT(0);
    HAS_NOT(R.out, "FAIL");
    HAS(R.out, detail);
}

static void award(const char *id, const char *lot, const char *winner, const char *why)
{
    ctl("officer", "award", id, "--lot", lot, "--winner", winner, "--criterion", "lowest-price",
        "--rationale", why, NULL);
    EXPECT(0);
}

/* Wait (a while) until award show prints want. */
static void show_until(const char *id, const char *want)
{
    for (int i = 0; i < 60; i++) {
        ctl(NULL, "award", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, want))
            return;
        usleep(250000);
    }
    HAS(R.out, want);
}

static void test_two_lots_two_winners(void **state)
{
    (void)state;
    char want[200];
    award(two, "L1", lo, "lowest valid price for L1");
    verify_passes(two, "1 lot decision(s) follow");
    /* L2 is weighted (price 60 %, quality 40 %): its own criteria, not L1's. */
    char s[4][120];
    snprintf(s[0], sizeof s[0], "%s:price=67", lo);
    snprintf(s[1], sizeof s[1], "%s:quality=90", lo);
    snprintf(s[2], sizeof s[2], "%s:price=100", hi);
    snprintf(s[3], sizeof s[3], "%s:quality=80", hi);
    ctl("officer", "award", two, "--lot", "L2", "--winner", hi, "--criterion", "lowest-price",
        "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "lot L2 of tender");
    ctl("officer", "award", two, "--lot", "L2", "--winner", hi, "--criterion", "weighted",
        "--score", s[0], "--score", s[1], "--score", s[2], "--score", s[3], "--rationale",
        "highest weighted total for L2", NULL);
    EXPECT(0);
    HAS(R.out, "total 92.00");
    HAS(R.out, "total 76.20");
    snprintf(want, sizeof want, "winner %s (criterion weighted)", hi);
    ctl(NULL, "award", "show", two, NULL);
    EXPECT(0);
    HAS(R.out, "lot L1 (North roads): awarded");
    HAS(R.out, "lot L2 (South roads): awarded");
    HAS(R.out, want);
    HAS(R.out, "200000 KRW");
    /* L1's award withdrawn while L2's stands: the tender is still awarded. */
    ctl("officer", "award", "cancel", two, "--lot", "L1", "--reason", "complaint upheld",
        "--reason-code", "complaint-upheld", NULL);
    EXPECT(0);
    ctl(NULL, "--json", "tender", "show", two, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"AWARDED\"");
    verify_passes(two, "2 lot decision(s) follow");
    award(two, "L1", lo, "lowest valid price for L1, after review");
    time_t recorded = time(NULL);
    sleep_until(recorded + STANDSTILL);
    show_until(two, "lot L1 (North roads): complete");
    HAS(R.out, "lot L2 (South roads): complete");
    ctl(NULL, "--json", "tender", "show", two, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"COMPLETE\"");
    verify_passes(two, "the tender is complete");
}

static void test_an_unsuccessful_lot_beside_an_awarded_one(void **state)
{
    (void)state;
    char why[200];
    /* tenderctl disqualifies the invalid line with its reason. */
    ctl("officer", "award", "unsuccessful", one, "--lot", "L2", "--rationale",
        "the only price is above the lot's value", NULL);
    EXPECT(0);
    HAS(R.out, "lot L2: unsuccessful");
    award(one, "L1", only, "the only valid price");
    ctl(NULL, "award", "show", one, NULL);
    EXPECT(0);
    HAS(R.out, "lot L2 (South roads): unsuccessful");
    snprintf(why, sizeof why, "%s", "lot L1 (North roads): awarded");
    HAS(R.out, why);
    verify_passes(one, "2 lot decision(s) follow");
    show_until(one, "lot L1 (North roads): complete");
    ctl(NULL, "--json", "tender", "show", one, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"COMPLETE\"");
    verify_passes(one, "the tender is complete");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_lots_two_winners),
        cmocka_unit_test(test_an_unsuccessful_lot_beside_an_awarded_one),
    };
    return cmocka_run_group_tests_name("ctl_lots", tests, setup, ctlrun_teardown);
}
