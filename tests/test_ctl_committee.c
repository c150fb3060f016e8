/* End-to-end: k of n means k different people, through tenderctl against
 * the real tenderd. A committee file that lists one person twice is refused
 * before anything is sent. A tender whose stored committee lists one
 * certificate's name twice (as a database written before the rule could
 * hold it; made here by altering the database behind the server's back)
 * cannot be opened by that one certificate: its second share is refused
 * and the tender stays sealed until a second person gives theirs. `audit
 * verify` fails the `opening` check of such a tender, naming the repeat. */
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

#include "ctlrun.h"
#include "tender_schema.h"

static char vkey[400];

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_committee_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    return ctlrun_start_server(NULL);
}

/* Rename member 1 of the tender stored under key in table to member 0's
 * name, behind the running server's back. No assertion runs while the
 * write transaction is open: tenderd's writer would wait for its lock. */
static void rename_member(const char *table, const void *key, size_t klen)
{
    char db[300];
    path(db, sizeof db, "db");
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v;
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    uint8_t *enc = NULL;
    size_t len = 0;
    int rc = mdb_env_create(&env);
    if (rc == 0 && (rc = mdb_env_set_maxdbs(env, 32)) == 0 &&
        (rc = mdb_env_open(env, db, MDB_NOTLS, 0600)) == 0) {
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0) {
            if ((rc = mdb_dbi_open(txn, table, 0, &dbi)) == 0 &&
                (rc = mdb_get(txn, dbi, &k, &v)) == 0 &&
                (rc = tnd_msg_decode(&tender_tenders_v1_Tender_desc, v.mv_data, v.mv_size, &t,
                                     NULL)) == 0) {
                tender_tenders_v1_Committee *cm = t.fields->committee;
                free(cm->members[1].name);
                cm->members[1].name = strdup(cm->members[0].name);
                rc = tnd_msg_encode(&tender_tenders_v1_Tender_desc, &t, &enc, &len, NULL);
                v = (MDB_val){.mv_size = len, .mv_data = enc};
                if (rc == 0)
                    rc = mdb_put(txn, dbi, &k, &v, 0);
            }
            rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
        }
    }
    mdb_env_close(env);
    free(enc);
    tender_tenders_v1_Tender_free(&t);
    assert_int_equal(rc, 0);
}

static void test_one_certificate_cannot_open(void **state)
{
    (void)state;
    char pub[3][64], file[300], text[1024], dl[32], op[32], kf[400], tender[64];
    static const char *const keys[] = {"k-officer", "k-admin", "k-auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(keys[i], pub[i], sizeof pub[i]);
    time_t t0 = time(NULL), deadline = t0 + 3, opening = t0 + 4;
    at(dl, sizeof dl, deadline);
    at(op, sizeof op, opening);

    /* One person listed twice: tenderctl refuses the file, nothing is sent. */
    path(file, sizeof file, "twice.txt");
    snprintf(text, sizeof text, "officer %s\nofficer %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(file, text, strlen(text));
    ctl("officer", "tender", "create", "--title", "Twice", "--budget", "1000", "--currency", "KRW",
        "--deadline", dl, "--opening", op, "--committee", file, "--threshold", "2", NULL);
    EXPECT(2);
    HAS(R.err, "\"officer\" is also member 0");
    HAS(R.err, "k different people");

    /* A proper committee, then the stored tender altered to list the
     * officer twice, in the tender and in its published version. */
    path(file, sizeof file, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(file, text, strlen(text));
    ctl("officer", "tender", "create", "--title", "Bridge", "--budget", "1000", "--currency",
        "KRW", "--deadline", dl, "--opening", op, "--committee", file, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    rename_member("tenders", tender, strlen(tender));
    uint8_t vk[80];
    size_t vl = strlen(tender);
    memcpy(vk, tender, vl + 1);
    memcpy(vk + vl + 1, "\0\0\0\1", 4); /* version 1 */
    rename_member("tender_versions", vk, vl + 5);
    ctl(NULL, "tender", "show", tender, "--json", NULL);
    EXPECT(0);

    /* The officer gives member 0's share, then tries member 1's. */
    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file(keys[0], kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "share accepted (1 of 2)");
    ctl("officer", "open", tender, "--key", key_file(keys[1], kf, sizeof kf), NULL);
    EXPECT(10 + 6); /* ALREADY_EXISTS */
    HAS(R.err, "officer already gave a share");
    HAS(R.err, "each person gives one share");
    ctl(NULL, "opening", "show", tender, NULL);
    EXPECT(10 + 5); /* not opened */

    /* A second person completes the opening. */
    ctl("auditor", "open", tender, "--key", key_file(keys[2], kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");

    /* The auditor's check names the repeated member. */
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, NULL);
    EXPECT(4);
    HAS(R.out, "FAIL  opening");
    HAS(R.out, "the published committee breaks the rules");
    HAS(R.out, "\"officer\" is also member 0");
    HAS_NOT(R.out, "distinct committee shares");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_certificate_cannot_open),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests_name("ctl_committee", tests, setup, ctlrun_teardown);
}
