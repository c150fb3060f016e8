/* A two-lot tender's life, end to end with the real tenderctl and tenderd
 * (docs/LOTS.md; --standstill 3): tender create with --lot, publish, two
 * suppliers bid with --lot-price (one price above its lot's value), the
 * committee opens, opening show by lot, an award per lot, both lots
 * complete at their standstill's end and so the tender, audit verify passes
 * every check, and the OCDS export with the lots extension validates. */
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

#define STANDSTILL 3

static char vkey[400], id[64], b1[64], b2[64]; /* b1: supplier's, b2: supplier2's */
static const char *const extra[] = {"--standstill", "3", NULL};

static void bid(const char *who, char *out, const char *p1, const char *p2)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", id, "--lot-price", p1, "--lot-price", p2,
        "--currency", "KRW", "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    first_line(out, 64);
}

static int setup(void **state)
{
    (void)state;
    char db[300], pub[3][64], text[1024], committee[300];
    if (access("tests/ocds_validate.py", R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_ctl_lots_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 || ctlrun_start_server(extra) != 0)
        return -1;
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    path(committee, sizeof committee, "members.txt");
    write_file(committee, text, strlen(text));
    return 0;
}

static void test_a_two_lot_tender_from_publication_to_completion(void **state)
{
    (void)state;
    char committee[300], dl[32], op[32], kf[400];
    path(committee, sizeof committee, "members.txt");
    time_t t0 = time(NULL), deadline = t0 + 10;
    ctl("officer", "tender", "create", "--title", "Roads and bridges", "--currency", "KRW",
        "--deadline", at(dl, sizeof dl, deadline), "--opening", at(op, sizeof op, deadline + 1),
        "--committee", committee, "--threshold", "2", "--lot", "LOT-1: Roads; 600000", "--lot",
        "LOT-2: Bridges; 400000", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);

    /* supplier: both lots; supplier2: both, lot 1 above its value. */
    bid("supplier", b1, "LOT-1=550000", "LOT-2=390000");
    HAS_NOT(R.err, "warning");
    bid("supplier2", b2, "LOT-2=380000", "LOT-1=600001");
    HAS(R.err, "warning: this bid will open invalid for lot LOT-1");
    assert_true(time(NULL) < deadline);

    sleep_until(deadline + 1);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
    ctl(NULL, "opening", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "lot LOT-1 (Roads): 2 bids, 1 valid");
    HAS(R.out, "lot LOT-2 (Bridges): 2 bids, 2 valid");
    HAS(R.out, "the price 600001 KRW is above lot LOT-1's value 600000 KRW");

    /* An award per lot: the lowest valid price of each. */
    ctl("officer", "award", id, "--lot", "LOT-1", "--winner", b1, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    HAS(R.out, "550000 KRW");
    ctl("officer", "award", id, "--lot", "LOT-2", "--winner", b1, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "not the lowest valid price");
    ctl("officer", "award", id, "--lot", "LOT-2", "--winner", b2, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    HAS(R.out, "380000 KRW");
    time_t recorded = time(NULL);

    /* Both standstills end: each lot complete, then the tender. */
    sleep_until(recorded + STANDSTILL);
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "--json", "tender", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, "\"status\":\"COMPLETE\""))
            break;
        usleep(250000);
    }
    HAS(R.out, "\"status\":\"COMPLETE\"");
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "lot LOT-1 (Roads): complete");
    HAS(R.out, "lot LOT-2 (Bridges): complete");

    /* Every check of the record passes. */
    ctl(NULL, "--json", "--log-key", vkey, "audit", "verify", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"failed\":0");
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, NULL);
    EXPECT(0);
    HAS(R.out, "ok    decryption");
    HAS(R.out, "ok    award");

    /* The open data: lots, bids per lot, an award per lot. */
    char out[300], cmd[1200], log[300], text[8192];
    path(out, sizeof out, "lots.json");
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    path(log, sizeof log, "validate.log");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 tests/ocds_validate.py '%s' --lot-bids "
             "LOT-1:550000:KRW,LOT-2:390000:KRW,LOT-2:380000:KRW "
             "--lots LOT-1:complete,LOT-2:complete --lot-awards LOT-1:active,LOT-2:active "
             ">'%s' 2>&1",
             out, log);
    int rc = system(cmd);
    long n = read_file(log, text, sizeof text);
    if (rc != 0)
        fail_msg("ocds_validate.py: status %d\n%.*s", rc, (int)(n > 0 ? n : 0), text);
    assert_true(read_file(out, text, sizeof text) > 0);
    HAS(text, "\"lots\"");
    HAS(text, "\"relatedLots\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_two_lot_tender_from_publication_to_completion),
    };
    return cmocka_run_group_tests_name("ctl_lots", tests, setup, ctlrun_teardown);
}
