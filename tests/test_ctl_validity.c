/* End-to-end test of "valid means valid for this tender" (docs/SEALED.md)
 * through tenderctl against the real tenderd: a bid answering the version
 * before an amendment and a bid in another currency open invalid with their
 * reasons, shown by `opening show` and exported to OCDS as disqualified
 * (tests/ocds_validate.py); `bid replace` answers the amended version;
 * `audit verify` passes, and catches an opening record altered behind the
 * server's back to call the foreign-currency bid valid. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "tender_schema.h"

static char vkey[400], tender[64], saved[300], repo[300];
static char usd_bid[64];

static int setup(void **state)
{
    (void)state;
    char db[300];
    /* Tests run from the repository root: the validator is tests/ocds_validate.py. */
    if (!getcwd(repo, sizeof repo) || access("tests/ocds_validate.py", R_OK) != 0 ||
        access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_validity_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    path(saved, sizeof saved, "saved.checkpoint");
    return ctlrun_start_server(NULL);
}

/* The opening record in the database, read and rewritten behind the
 * server's back. No assertion runs inside a transaction (a failed one would
 * leave the writer's lock held). */
static int opening_rw(uint8_t **value, size_t *len, bool write)
{
    char db[300];
    path(db, sizeof db, "db");
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (rc != 0)
        return rc;
    if ((rc = mdb_env_set_maxdbs(env, 32)) == 0 &&
        (rc = mdb_env_open(env, db, MDB_NOTLS, 0600)) == 0 &&
        (rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, &txn)) == 0) {
        MDB_val k = {.mv_size = strlen(tender), .mv_data = tender}, v;
        if ((rc = mdb_dbi_open(txn, "openings", 0, &dbi)) == 0) {
            if (write) {
                v = (MDB_val){.mv_size = *len, .mv_data = *value};
                rc = mdb_put(txn, dbi, &k, &v, 0);
            } else if ((rc = mdb_get(txn, dbi, &k, &v)) == 0) {
                *value = malloc(v.mv_size);
                *len = v.mv_size;
                if (*value)
                    memcpy(*value, v.mv_data, v.mv_size);
                else
                    rc = ENOMEM;
            }
        }
        if (rc == 0 && write)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return rc;
}

static void submit(const char *who, const char *replaces, const char *price, const char *cur,
                   char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    if (replaces)
        ctl(who, "--log-key", vkey, "bid", "replace", tender, replaces, "--price", price,
            "--currency", cur, "--bids-dir", bids, NULL);
    else
        ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency", cur,
            "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "B-", 2) == 0);
}

/* The line of the last output that starts with id. */
static const char *line_of(const char *id, char *buf, size_t len)
{
    const char *p = strstr(R.out, id);
    if (!p)
        fail_msg("no line for %s in:\n%s", id, R.out);
    size_t n = strcspn(p, "\n");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

static void test_invalid_bids_shown_and_verified(void **state)
{
    (void)state;
    char pub[3][64], committee[300], text[1024], dl[32], op[32], kf[400];
    char old_bid[64], replaced[64], new_bid[64];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    /* Time for five tenderctl runs and an amendment before the deadline, also
     * under a sanitizer on a loaded machine. */
    time_t t0 = time(NULL), deadline = t0 + 10, opening = t0 + 11;
    ctl("officer", "tender", "create", "--title", "Road lighting", "--budget", "100000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    ctl(NULL, "tender", "show", tender, NULL);
    EXPECT(0);
    HAS(R.out, "price cap:            on (a bid above the value opens invalid)");
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);

    /* Two bids for version 1; the tender is amended (version 2); one of them
     * is replaced, answering version 2, the other is left as it was. */
    submit("supplier", NULL, "80000", "KRW", old_bid, sizeof old_bid);
    HAS_NOT(R.err, "warning");
    submit("supplier", NULL, "95000", "KRW", replaced, sizeof replaced);
    ctl("officer", "tender", "amend", tender, "--title", "Road lighting, LED", "--note",
        "LED lamps only", NULL);
    EXPECT(0);
    HAS(R.out, "version 2");
    submit("supplier", replaced, "90000", "KRW", new_bid, sizeof new_bid);
    /* Another currency: sent, with a warning. */
    submit("supplier2", NULL, "500", "USD", usd_bid, sizeof usd_bid);
    HAS(R.err, "warning: this bid will open invalid: priced in USD; the tender is in KRW");

    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", tender, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);

    ctl(NULL, "opening", "show", tender, NULL);
    EXPECT(0);
    HAS(R.out, "3 bids, 1 valid");
    char line[600];
    HAS(line_of(old_bid, line, sizeof line),
        "failed: answers version 1; the tender was at version 2 at its deadline (Acme "
        "Construction / supplier, 80000 KRW)");
    HAS(line_of(usd_bid, line, sizeof line),
        "failed: priced in USD; the tender is in KRW (Globex Ltd / supplier2, 500.00 USD)");
    HAS(line_of(new_bid, line, sizeof line), "  valid  ");
    HAS_NOT(R.out, replaced); /* replaced bids are not opened */

    /* OCDS: one valid bid at its price, two disqualified. */
    char out[300], cmd[1200], log[300], vtext[65536];
    path(out, sizeof out, "ocds.json");
    ctl(NULL, "export", "ocds", "--tender", tender, "--output", out, NULL);
    EXPECT(0);
    path(log, sizeof log, "validate.log");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s/tests/ocds_validate.py' '%s' --bids 90000:KRW --disqualified 2 "
             ">'%s' 2>&1",
             repo, out, log);
    int rc = system(cmd);
    if (read_file(log, vtext, sizeof vtext) < 0)
        vtext[0] = '\0';
    if (rc != 0)
        fail_msg("ocds_validate.py: status %d\n%s", rc, vtext);
    HAS(vtext, "releases valid");

    /* The auditor re-applies the rules and agrees. */
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, "--checkpoint", saved, NULL);
    EXPECT(0);
    HAS(R.out, "ok    decryption");
    HAS(R.out, "re-decrypting the 3 bid(s) in force");
}

/* An insider marks the foreign-currency bid valid in the stored record (and
 * clears its reason): re-decryption names the broken rule. */
static void test_record_calling_invalid_bid_valid(void **state)
{
    (void)state;
    uint8_t *orig = NULL, *enc = NULL;
    size_t orig_len = 0, len = 0;
    assert_int_equal(opening_rw(&orig, &orig_len, false), 0);
    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    assert_int_equal(tnd_msg_decode(&tender_bids_v1_OpeningRecord_desc, orig, orig_len, &rec,
                                    NULL),
                     0);
    bool found = false;
    for (size_t i = 0; i < rec.n_bids; i++)
        if (strcmp(rec.bids[i].bid_id, usd_bid) == 0) {
            assert_false(rec.bids[i].valid);
            rec.bids[i].valid = true;
            free(rec.bids[i].failure);
            rec.bids[i].failure = NULL;
            found = true;
        }
    assert_true(found);
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_OpeningRecord_desc, &rec, &enc, &len, NULL),
                     0);
    tender_bids_v1_OpeningRecord_free(&rec);
    assert_int_equal(opening_rw(&enc, &len, true), 0);
    free(enc);

    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, "--checkpoint", saved, NULL);
    EXPECT(4);
    HAS(R.out, "FAIL  decryption");
    char want[300];
    snprintf(want, sizeof want,
             "re-decrypting bid %s does not give the opening record: the record calls it valid, "
             "but it is not: priced in USD; the tender is in KRW",
             usd_bid);
    HAS(R.out, want);

    assert_int_equal(opening_rw(&orig, &orig_len, true), 0);
    free(orig);
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, "--checkpoint", saved, NULL);
    EXPECT(0);
}

/* The flag: on or off, nothing else. */
static void test_price_cap_flag(void **state)
{
    (void)state;
    char dl[32], op[32], id[64];
    ctl("officer", "tender", "create", "--title", "Uncapped", "--budget", "100", "--currency",
        "EUR", "--deadline", future(dl, sizeof dl, 10), "--opening", future(op, sizeof op, 11),
        "--price-cap", "off", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "price cap:            off (bids may ask more than the value)");
    ctl("officer", "tender", "edit", id, "--price-cap", "on", NULL);
    EXPECT(0);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "price cap:            on");
    ctl("officer", "tender", "edit", id, "--price-cap", "maybe", NULL);
    EXPECT(2);
    HAS(R.err, "--price-cap maybe: expected on or off");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_bids_shown_and_verified),
        cmocka_unit_test(test_record_calling_invalid_bid_valid),
        cmocka_unit_test(test_price_cap_flag),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests_name("ctl_validity", tests, setup, ctlrun_teardown);
}
