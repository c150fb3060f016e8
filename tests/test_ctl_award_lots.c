/* End-to-end tests of tenderctl award on a tender with two lots, against
 * the real $BUILD/bin/tenderd running as a child process (--standstill 4):
 * --lot required and checked, an award per lot to two suppliers, award show
 * lot by lot (and --json), one lot's award cancelled and recorded again,
 * both lots completed at their own standstill's end, and audit verify's
 * award check on each lot's decision, its events and the lots' states,
 * also when a lot's state disagrees with its events.
 *
 * The tender's lots and the opening's per-lot lines are written into the
 * database while the server is stopped (tests/support/lotfix.h): the award
 * rules are pinned on exactly that opening. The tender's published hash no
 * longer matches its event then, so only audit verify's award line is
 * looked at. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "lotfix.h"
#include "store/keys.h"
#include "tender/codec.h"
#include "tender_schema.h"

#define STANDSTILL 4

static char vkey[400], id[64], lo[64], hi[64]; /* lo: the supplier's bid, hi: supplier2's */
static const char *const extra[] = {"--standstill", "4", NULL};

static void submit(const char *who, const char *price, char *out, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", id, "--price", price, "--currency", "KRW",
        "--bids-dir", bids, NULL);
    if (!ctl_ok("bid submit", 0, "receipt verified"))
        return;
    first_line(out, len);
}

static int setup(void **state)
{
    (void)state;
    char db[300], dl[32], op[32], pub[3][64], text[1024], committee[300], kf[400];
    if (ctlrun_init("/tmp/tnd_award_lots_XXXXXX", NULL) != 0)
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
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--title", "Roads in two lots", "--budget", "1000000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 8), "--opening",
        at(op, sizeof op, t0 + 9), "--committee", committee, "--threshold", "2", NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return -1;
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    if (!ctl_ok("tender publish", 0, NULL))
        return -1;
    submit("supplier", "100000", lo, sizeof lo);
    submit("supplier2", "150000", hi, sizeof hi);
    sleep_until(t0 + 9);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    if (!ctl_ok("open", 0, "tender opened"))
        return -1;
    /* supplier: L1 100000, L2 200000; supplier2: L1 150000, L2 180000. */
    static const lotfix_line lines[2][2] = {{{"L1", 100000, NULL}, {"L2", 200000, NULL}},
                                            {{"L1", 150000, NULL}, {"L2", 180000, NULL}}};
    const char *ids[2] = {lo, hi};
    ctlrun_kill_server();
    lotfix_write(db, id, ids, lines);
    return ctlrun_start_server(extra);
}

/* The award line of the last audit verify: the result word and a piece of
 * its detail. */
static void award_line_of_run(const char *word, const char *detail)
{
    char line[64];
    snprintf(line, sizeof line, "%-4s  award        ", word);
    const char *at_line = strstr(R.out, line);
    if (!at_line)
        fail_msg("no \"%s\" line in:\n%s", line, R.out);
    const char *end = strchr(at_line, '\n');
    if (!strstr(at_line, detail) || (end && strstr(at_line, detail) > end))
        fail_msg("expected \"%s\" in the award line:\n%s", detail, R.out);
}

/* audit verify's award line, live. */
static void award_line(const char *word, const char *detail)
{
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, NULL);
    award_line_of_run(word, detail);
}

static void test_an_award_per_lot(void **state)
{
    (void)state;
    char want[300];
    /* --lot is required with lots, and names one of them. */
    ctl("officer", "award", id, "--winner", lo, "--criterion", "lowest-price", "--rationale",
        "lowest valid price", NULL);
    EXPECT(2);
    HAS(R.err, "has lots: give --lot LOT (one of L1, L2)");
    ctl("officer", "award", id, "--lot", "L9", "--winner", lo, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(2);
    HAS(R.err, "has no lot L9 (its lots: L1, L2)");
    award_line("skip", "no lot is decided");

    ctl("officer", "award", id, "--lot", "L1", "--winner", lo, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "of tender %s, lot L1: standstill", id);
    HAS(R.out, want);
    HAS(R.out, "100000 KRW");
    /* L2's prices: the supplier is not the lowest there. */
    ctl("officer", "award", id, "--lot", "L2", "--winner", lo, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "not the lowest valid price");
    ctl("officer", "award", id, "--lot", "L2", "--winner", hi, "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    HAS(R.out, "180000 KRW");

    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "lot L1 (North roads): awarded");
    HAS(R.out, "lot L2 (South roads): awarded");
    snprintf(want, sizeof want, "winner %s (criterion lowest_price)", hi);
    HAS(R.out, want);
    HAS(R.out, "standstill until");
    ctl(NULL, "--json", "award", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"lot_id\":\"L1\"");
    HAS(R.out, "\"lot_id\":\"L2\"");
    award_line("ok", "2 lot decision(s) follow");

    /* L1's award withdrawn: the lot is open again, L2's stands. */
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(10 + 3);
    HAS(R.err, "lot_id: required");
    ctl("officer", "award", "cancel", id, "--lot", "L1", "--reason", "complaint upheld",
        "--reason-code", "complaint-upheld", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled: complaint upheld");
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "lot L1 (North roads): active");
    HAS(R.out, "lot L2 (South roads): awarded");
    award_line("ok", "the 2 lots' states match");
    ctl("officer", "award", id, "--lot", "L1", "--winner", lo, "--criterion", "lowest-price",
        "--rationale", "lowest valid price, after review", NULL);
    EXPECT(0);
    HAS(R.out, "-A3 ");
    time_t recorded = time(NULL);

    /* Both standstills end; the tender is complete. */
    sleep_until(recorded + STANDSTILL);
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "award", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, "lot L1 (North roads): complete"))
            break;
        usleep(250000);
    }
    HAS(R.out, "lot L1 (North roads): complete");
    HAS(R.out, "lot L2 (South roads): complete");
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"COMPLETE\"");
    award_line("ok", "the tender is complete");
    ctl("officer", "award", "cancel", id, "--lot", "L2", "--reason", "too late", "--reason-code",
        "other", NULL);
    EXPECT(10 + 9);

    /* The bundle keeps the lots' awards: the same check without the server. */
    char bundle[300];
    path(bundle, sizeof bundle, "lots.bundle");
    ctl(NULL, "--log-key", vkey, "audit", "bundle", id, "--out", bundle, NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", vkey, "audit", "verify", "--bundle", bundle, NULL);
    award_line_of_run("ok", "the tender is complete");
}

/* A lot's state that its events do not give fails the award check. */
static void test_a_lot_state_off_its_events_fails_verify(void **state)
{
    (void)state;
    char db[300];
    path(db, sizeof db, "db");
    ctlrun_kill_server();
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "tenders", 0, &dbi), 0);
    uint8_t key[TND_KEY_TENDER_ID_MAX], *enc;
    size_t len;
    MDB_val k = {.mv_size = tnd_key_tenders(key, id), .mv_data = key}, v;
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    assert_int_equal(tnd_msg_decode(&tender_tenders_v1_Tender_desc, v.mv_data, v.mv_size, &t, NULL),
                     0);
    assert_int_equal(t.n_lot_states, 2);
    t.lot_states[1].status = tender_tenders_v1_LotStatus_LOT_ACTIVE;
    assert_int_equal(tnd_msg_encode(&tender_tenders_v1_Tender_desc, &t, &enc, &len, NULL), 0);
    v = (MDB_val){.mv_size = len, .mv_data = enc};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    free(enc);
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(ctlrun_start_server(extra), 0);
    award_line("FAIL", "lot L2 is in state 1, but its events say 4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_award_per_lot),
        cmocka_unit_test(test_a_lot_state_off_its_events_fails_verify),
    };
    return cmocka_run_group_tests_name("ctl_award_lots", tests, setup, ctlrun_teardown);
}
