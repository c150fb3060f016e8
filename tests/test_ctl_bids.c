/* End-to-end tests of tenderctl's sealed bids: keys gen, a committee with
 * real member keys, bid submit / replace / withdraw / status / receipt and
 * open / opening show, against the real $BUILD/bin/tenderd running as a
 * child process on a free loopback port with a fresh PKI. The committee's
 * members are the dev PKI's officer, admin and auditor (their certificate
 * CNs); the suppliers are supplier and supplier2. */
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

static char vkey[400], other_vkey[400];

static int setup(void **state)
{
    (void)state;
    char db[300], other[300];
    if (ctlrun_init("/tmp/tnd_bids_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    path(other, sizeof other, "other_db");
    /* Before the server starts: this creates the log key in its --db. */
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 ||
        ctlrun_print_log_key(other, other_vkey, sizeof other_vkey) != 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    return ctlrun_start_server(NULL);
}

static mode_t file_mode(const char *p)
{
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    return sb.st_mode & 0777;
}

/* keys gen NAME into the test's keys folder; the public key into pub. */
static void keys_gen(const char *name, char *pub, size_t len)
{
    char keys[300], f[400], text[128];
    path(keys, sizeof keys, "keys");
    ctl(NULL, "keys", "gen", name, "--dir", keys, NULL);
    EXPECT(0);
    first_line(pub, len);
    assert_int_equal(strlen(pub), 44);
    snprintf(f, sizeof f, "%s/%s.key", keys, name);
    assert_int_equal(file_mode(f), 0600);
    assert_true(read_file(f, text, sizeof text) > 0);
    HAS(text, "-----BEGIN PRIVATE KEY-----");
    snprintf(f, sizeof f, "%s/%s.pub", keys, name);
    assert_true(read_file(f, text, sizeof text) > 0);
    text[strcspn(text, "\n")] = '\0';
    assert_string_equal(text, pub);
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

static void test_sealed_bids(void **state)
{
    (void)state;
    char pub[3][64], committee[300], text[1024], id[64], dl[32], op[32], doc[300], bids1[300],
        bids2[300], f[600], b1[64], bw[64], b2a[64], b2b[64], kf[400];
    static const char *const members[] = {"officer", "admin", "auditor"};

    /* Three members, named by their certificates' CNs. */
    for (int i = 0; i < 3; i++)
        keys_gen(members[i], pub[i], sizeof pub[i]);
    ctl(NULL, "keys", "gen", "officer", "--dir", "keys", NULL);
    EXPECT(1); /* a key is never overwritten */
    HAS(R.err, "exists");
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "# opening committee\nofficer %s\nadmin %s\n\nauditor %s\n", pub[0],
             pub[1], pub[2]);
    write_file(committee, text, strlen(text));

    /* The tender: bids for 12 s (about 20 tenderctl runs come first, on a
     * machine that may be busy), opened from 13 s on, by 2 of the 3. */
    time_t t0 = time(NULL), deadline = t0 + 12, opening = t0 + 13;
    ctl("officer", "tender", "create", "--title", "Sealed road works", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"threshold\":2");
    HAS(R.out, "\"opening_public_key\":\"");
    HAS(R.out, "\"documents_public_key\":\""); /* bid documents are sealed to it */
    HAS(R.out, "\"share_hash\":\"");
    HAS(R.out, pub[1]);

    /* supplier: a bid with a document, and one it withdraws. */
    path(doc, sizeof doc, "offer.pdf");
    write_file(doc, "%PDF-1.4 our offer\n", 19);
    path(bids1, sizeof bids1, "supplier");
    path(bids2, sizeof bids2, "supplier2");
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "100000", "--currency",
        "KRW", "--doc", doc, "--notes", "valid for 90 days", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    first_line(b1, sizeof b1);
    snprintf(f, sizeof f, "%s/%s/%s.bid", bids1, id, b1);
    assert_int_equal(file_mode(f), 0600);
    snprintf(f, sizeof f, "%s/%s", bids1, id);
    assert_int_equal(file_mode(f), 0700);
    assert_int_equal(file_mode(bids1), 0700);
    submit("supplier", id, "1", bw, sizeof bw);
    /* supplier2: a bid, replaced by a lower one (JSON this time). */
    submit("supplier2", id, "200000", b2a, sizeof b2a);
    ctl("supplier2", "--log-key", vkey, "--json", "bid", "replace", id, b2a, "--price", "150000",
        "--currency", "KRW", "--bids-dir", bids2, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"verified\":true");
    snprintf(text, sizeof text, "\"replaces\":\"%s\"", b2a);
    HAS(R.out, text);
    const char *p = strstr(R.out, "\"bid_id\":\"");
    assert_non_null(p);
    snprintf(b2b, sizeof b2b, "%.34s", p + 10);
    ctl("supplier2", "--log-key", vkey, "bid", "replace", id, b2a, "--price", "1", "--currency",
        "KRW", "--bids-dir", bids2, NULL);
    EXPECT(10 + 9); /* FAILED_PRECONDITION: already replaced */
    ctl("supplier", "--log-key", vkey, "bid", "withdraw", id, bw, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn");
    HAS(R.out, "receipt verified");

    /* Status: for the owner only. */
    ctl("supplier", "bid", "status", id, b1, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "submitted");
    ctl("supplier", "bid", "status", id, bw, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn");
    ctl("supplier2", "bid", "status", id, b2a, "--bids-dir", bids2, NULL);
    EXPECT(0);
    HAS(R.out, "replaced");
    ctl("supplier2", "bid", "status", id, b1, "--bids-dir", bids1, NULL);
    EXPECT(10 + 5); /* NOT_FOUND: another supplier's bid does not exist for supplier2 */
    ctl("officer", "bid", "status", id, b1, "--bids-dir", bids1, NULL);
    EXPECT(10 + 7); /* PERMISSION_DENIED */

    /* No share before the opening time. */
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(10 + 9);
    HAS(R.err, "opens at");

    /* A receipt checked with another log's key does not verify. */
    ctl(NULL, "--log-key", other_vkey, "bid", "receipt", id, b1, "--verify", "--bids-dir", bids1,
        NULL);
    EXPECT(4);
    HAS(R.err, "verification failed");

    /* Everything above ran before the deadline (else the steps above would
     * have failed for the wrong reason). */
    if (time(NULL) >= deadline)
        fail_msg("the steps before the deadline took more than %lld s", (long long)(deadline - t0));
    /* After the deadline no bid is taken. */
    sleep_until(deadline);
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "5", "--currency", "KRW",
        "--bids-dir", bids1, NULL);
    EXPECT(10 + 9);
    HAS(R.err, "bids are closed");

    /* The opening: a stranger's key, then 2 of 3, then the third is too late. */
    sleep_until(opening);
    char stranger[64];
    keys_gen("stranger", stranger, sizeof stranger);
    ctl("officer", "open", id, "--key", key_file("stranger", kf, sizeof kf), NULL);
    EXPECT(1);
    HAS(R.err, "not a member's key");
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "share accepted (1 of 2)");
    HAS_NOT(R.out, "tender opened");
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
    ctl("auditor", "open", id, "--key", key_file("auditor", kf, sizeof kf), NULL);
    EXPECT(10 + 6); /* ALREADY_EXISTS */

    ctl(NULL, "opening", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "2 bids, 2 valid");
    HAS(R.out, b1);
    HAS(R.out, b2b);
    HAS_NOT(R.out, b2a);
    HAS_NOT(R.out, bw);
    HAS(R.out, "100000 KRW");
    HAS(R.out, "150000 KRW");
    HAS_NOT(R.out, "200000 KRW");
    HAS(R.out, "Acme Construction / supplier\n");
    HAS(R.out, "Globex Ltd / supplier2\n");
    char hex[65];
    sha_hex("%PDF-1.4 our offer\n", 19, hex);
    snprintf(text, sizeof text, "document offer.pdf  19 bytes  sha256 %s", hex);
    HAS(R.out, text);
    ctl(NULL, "--json", "opening", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"minor_units\":150000");

    /* The document stays private: everyone sees its name, size and hash;
     * nobody but the buyer's officers, the committee and auditors its bytes. */
    char out[300], got[64];
    path(out, sizeof out, "docs_out");
    ctl(NULL, "opening", "documents", id, "--out", out, NULL);
    EXPECT(10 + 16); /* UNAUTHENTICATED */
    ctl("supplier2", "opening", "documents", id, "--out", out, NULL);
    EXPECT(10 + 7); /* PERMISSION_DENIED: another supplier */
    HAS(R.err, "role supplier");
    ctl("supplier", "opening", "documents", id, b1, "--out", out, NULL);
    EXPECT(10 + 7); /* its own bid too: the record is what suppliers see */
    snprintf(f, sizeof f, "%s/%s/0-offer.pdf", out, b1);
    assert_int_not_equal(access(f, F_OK), 0);
    ctl("auditor", "opening", "documents", id, "--out", out, NULL);
    EXPECT(0);
    HAS(R.out, "0-offer.pdf  19 bytes");
    HAS(R.out, hex);
    HAS(R.out, "ok");
    assert_int_equal(read_file(f, got, sizeof got), 19);
    assert_memory_equal(got, "%PDF-1.4 our offer\n", 19);
    assert_int_equal(file_mode(f), 0600);
    snprintf(f, sizeof f, "%s/%s", out, b1);
    assert_int_equal(file_mode(f), 0700);
    /* The buyer's officer, one bid, as JSON, into another folder. */
    path(out, sizeof out, "docs_officer");
    ctl("officer", "--json", "opening", "documents", id, b1, "--out", out, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, hex);
    /* A committee member who gave a share (admin role). */
    path(out, sizeof out, "docs_admin");
    ctl("admin", "opening", "documents", id, b1, "--out", out, NULL);
    EXPECT(0);
    /* The public re-decryption check holds without the documents. */
    ctl(NULL, "--log-key", vkey, "audit", "verify", id, NULL);
    EXPECT(0);
    HAS(R.out, "re-decrypting the 2 bid(s) in force");

    /* The receipts still verify, and the log only grew since. */
    ctl(NULL, "--log-key", vkey, "bid", "receipt", id, b1, "--verify", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified; its checkpoint is a prefix of today's");
    ctl(NULL, "--log-key", vkey, "bid", "receipt", id, bw, "--verify", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn:");
    ctl(NULL, "--json", "bid", "receipt", id, b2b, "--bids-dir", bids2, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"verified\":false");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char bids[300], kf[400];
    path(bids, sizeof bids, "supplier");
    ctl("supplier", "bid", "submit", "T-2026-000001", "--price", "1", NULL);
    EXPECT(2);
    HAS(R.err, "--currency");
    ctl("supplier", "bid", "submit", "T-2026-000001", "--price", "1.5", "--currency", "KRW", NULL);
    EXPECT(2);
    HAS(R.err, "more decimals");
    ctl(NULL, "bid", "submit", "T-2026-000001", "--price", "1", "--currency", "KRW", NULL);
    EXPECT(2);
    HAS(R.err, "--cert");
    ctl("supplier", "bid", "submit", "T-2026-999999", "--price", "1", "--currency", "KRW",
        "--bids-dir", bids, "--log-key", vkey, NULL);
    EXPECT(10 + 5);
    ctl("supplier", "bid", "status", "T-2026-000001", "B-nothex", NULL);
    EXPECT(2);
    ctl("supplier", "bid", "status", "T-2026-000001", "B-0123456789abcdef0123456789abcdef",
        "--bids-dir", bids, NULL);
    EXPECT(1);
    ctl("supplier", "--log-key", "not a key", "bid", "withdraw", "T-2026-000001",
        "B-0123456789abcdef0123456789abcdef", "--bids-dir", bids, NULL);
    EXPECT(1); /* no such bid file, before any call */
    ctl(NULL, "keys", "gen", "../escape", NULL);
    EXPECT(2);
    /* A TLS key is not a member key. */
    snprintf(kf, sizeof kf, "%s/officer.key", ctl_pki);
    ctl("officer", "open", "T-2026-000001", "--key", kf, NULL);
    EXPECT(2);
    HAS(R.err, "not an X25519 key");
    ctl(NULL, "opening", "show", "T-2026-999999", NULL);
    EXPECT(10 + 5);
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "bid", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "withdraw TENDER BID");
    ctl(NULL, "bid", "submit", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--price AMOUNT");
    ctl(NULL, "open", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "X25519");
    ctl(NULL, "keys", "gen", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "0600");
    ctl(NULL, "opening", "show", "--help", NULL);
    EXPECT(0);
    ctl(NULL, "bid", NULL);
    EXPECT(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sealed_bids),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
