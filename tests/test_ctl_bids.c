/* End-to-end tests of tenderctl's sealed bids: keys gen, a committee with
 * real member keys, bid submit / replace / withdraw / status / receipt and
 * open / opening show, against the real $BUILD/bin/tenderd running as a
 * child process on a free loopback port with a fresh PKI. The committee's
 * members are the dev PKI's officer, admin and auditor (their certificate
 * CNs); the suppliers are supplier and supplier2.
 *
 * Tests of the time before the deadline each make their own tender. The
 * group setup makes two tenders that close and open while it waits: O, with
 * the usual bids, which it opens (the tests after the opening only read
 * it), and P, without bids, which a test opens. */
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

#define DOC "%PDF-1.4 our offer\n"

static char vkey[400], other_vkey[400];
static char committee[300];         /* the members file: officer, admin, auditor */
static char bids1[300], bids2[300]; /* the suppliers' bid folders */

/* Made by the group setup: tender O and its bids (b1 with a document, bw
 * withdrawn, b2a replaced by b2b), opened by officer and admin; tender P,
 * past its opening time, not opened. */
static char o_id[64], p_id[64], b1[64], bw[64], b2a[64], b2b[64];

/* ---- steps ---- */

/* Create and publish a tender of the officer closing at deadline and
 * opening at opening; its id into id (64 bytes). */
static bool create_tender(time_t deadline, time_t opening, char *id)
{
    char dl[32], op[32];
    ctl("officer", "tender", "create", "--title", "Sealed road works", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    if (!ctl_ok("tender create", 0, NULL))
        return false;
    first_line(id, 64);
    ctl("officer", "tender", "publish", id, NULL);
    return ctl_ok("tender publish", 0, NULL);
}

/* A tender open for bids for an hour, for a test of the time before. */
static void new_tender(char id[64])
{
    time_t t0 = time(NULL);
    assert_true(create_tender(t0 + 3600, t0 + 3660, id));
}

/* The usual bids on tender id: the supplier's with a document (b1) and one
 * it withdraws (bw); supplier2's replaced by a lower one, as JSON (b2a, then
 * b2b). Each id 64 bytes. */
static bool place_bids(const char *id, char *p1, char *pw, char *p2a, char *p2b)
{
    char doc[300], text[128];
    path(doc, sizeof doc, "offer.pdf");
    write_file(doc, DOC, strlen(DOC));
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "100000", "--currency",
        "KRW", "--doc", doc, "--notes", "valid for 90 days", "--bids-dir", bids1, NULL);
    if (!ctl_ok("bid submit", 0, "receipt verified"))
        return false;
    first_line(p1, 64);
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "1", "--currency", "KRW",
        "--bids-dir", bids1, NULL);
    if (!ctl_ok("bid submit", 0, "receipt verified"))
        return false;
    first_line(pw, 64);
    ctl("supplier2", "--log-key", vkey, "bid", "submit", id, "--price", "200000", "--currency",
        "KRW", "--bids-dir", bids2, NULL);
    if (!ctl_ok("bid submit", 0, "receipt verified"))
        return false;
    first_line(p2a, 64);
    ctl("supplier2", "--log-key", vkey, "--json", "bid", "replace", id, p2a, "--price", "150000",
        "--currency", "KRW", "--bids-dir", bids2, NULL);
    snprintf(text, sizeof text, "\"replaces\":\"%s\"", p2a);
    if (!ctl_ok("bid replace", 0, "\"verified\":true") || !ctl_ok("bid replace", 0, text))
        return false;
    const char *p = strstr(R.out, "\"bid_id\":\"");
    if (!p)
        return ctl_ok("bid replace", 0, "\"bid_id\":\"");
    snprintf(p2b, 64, "%.34s", p + 10);
    ctl("supplier", "--log-key", vkey, "bid", "withdraw", id, pw, "--bids-dir", bids1, NULL);
    return ctl_ok("bid withdraw", 0, "withdrawn") && ctl_ok("bid withdraw", 0, "receipt verified");
}

static int setup(void **state)
{
    (void)state;
    char db[300], other[300], keys[300], pub[3][64], text[1024];
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
    if (ctlrun_start_server(NULL) != 0)
        return -1;
    path(bids1, sizeof bids1, "supplier");
    path(bids2, sizeof bids2, "supplier2");
    /* Three members, named by their certificates' CNs. */
    static const char *const members[] = {"officer", "admin", "auditor"};
    path(keys, sizeof keys, "keys");
    for (int i = 0; i < 3; i++) {
        ctl(NULL, "keys", "gen", members[i], "--dir", keys, NULL);
        if (!ctl_ok("keys gen", 0, NULL))
            return -1;
        first_line(pub[i], sizeof pub[i]);
    }
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "# opening committee\nofficer %s\nadmin %s\n\nauditor %s\n", pub[0],
             pub[1], pub[2]);
    write_file(committee, text, strlen(text));

    /* O and P: bids for 12 s (about 15 tenderctl runs come first, on a
     * machine that may be busy), opened from 13 s on, by 2 of the 3. */
    time_t t0 = time(NULL), deadline = t0 + 12, opening = t0 + 13;
    if (!create_tender(deadline, opening, o_id) || !create_tender(deadline, opening, p_id) ||
        !place_bids(o_id, b1, bw, b2a, b2b))
        return -1;
    if (time(NULL) >= deadline) {
        fprintf(stderr, "the steps before the deadline took more than %lld s\n",
                (long long)(deadline - t0));
        return -1;
    }
    sleep_until(opening);
    char kf[400];
    ctl("officer", "open", o_id, "--key", key_file("officer", kf, sizeof kf), NULL);
    if (!ctl_ok("open", 0, "share accepted (1 of 2)"))
        return -1;
    ctl("admin", "open", o_id, "--key", key_file("admin", kf, sizeof kf), NULL);
    return ctl_ok("open", 0, "tender opened") ? 0 : -1;
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

/* ---- before the deadline ---- */

static void test_keys_gen_writes_a_private_key_once(void **state)
{
    (void)state;
    char pub[64];
    keys_gen("member4", pub, sizeof pub);
    ctl(NULL, "keys", "gen", "member4", "--dir", "keys", NULL);
    EXPECT(1); /* a key is never overwritten */
    HAS(R.err, "exists");
}

static void test_a_tender_publishes_its_committee(void **state)
{
    (void)state;
    char id[64], pub[128], text[1024];
    new_tender(id);
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"threshold\":2");
    HAS(R.out, "\"opening_public_key\":\"");
    HAS(R.out, "\"documents_public_key\":\""); /* bid documents are sealed to it */
    HAS(R.out, "\"share_hash\":\"");
    assert_true(read_file(committee, text, sizeof text) > 0);
    const char *admin = strstr(text, "\nadmin ");
    assert_non_null(admin);
    snprintf(pub, sizeof pub, "%.44s", admin + 7);
    HAS(R.out, pub);
}

/* The bid file and its folders are the supplier's alone. */
static void test_a_bid_is_kept_private_on_disk(void **state)
{
    (void)state;
    char id[64], doc[300], b[64], f[600];
    new_tender(id);
    path(doc, sizeof doc, "offer.pdf");
    write_file(doc, DOC, strlen(DOC));
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "100000", "--currency",
        "KRW", "--doc", doc, "--notes", "valid for 90 days", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    first_line(b, sizeof b);
    snprintf(f, sizeof f, "%s/%s/%s.bid", bids1, id, b);
    assert_int_equal(file_mode(f), 0600);
    snprintf(f, sizeof f, "%s/%s", bids1, id);
    assert_int_equal(file_mode(f), 0700);
    assert_int_equal(file_mode(bids1), 0700);
}

/* supplier2: a bid replaced by a lower one (JSON this time), only once. */
static void test_a_bid_is_replaced_once(void **state)
{
    (void)state;
    char id[64], a[64], text[128];
    new_tender(id);
    submit("supplier2", id, "200000", a, sizeof a);
    ctl("supplier2", "--log-key", vkey, "--json", "bid", "replace", id, a, "--price", "150000",
        "--currency", "KRW", "--bids-dir", bids2, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"verified\":true");
    snprintf(text, sizeof text, "\"replaces\":\"%s\"", a);
    HAS(R.out, text);
    assert_non_null(strstr(R.out, "\"bid_id\":\""));
    ctl("supplier2", "--log-key", vkey, "bid", "replace", id, a, "--price", "1", "--currency",
        "KRW", "--bids-dir", bids2, NULL);
    EXPECT(10 + 9); /* FAILED_PRECONDITION: already replaced */
}

static void test_a_bid_is_withdrawn_with_a_verified_receipt(void **state)
{
    (void)state;
    char id[64], w[64];
    new_tender(id);
    submit("supplier", id, "1", w, sizeof w);
    ctl("supplier", "--log-key", vkey, "bid", "withdraw", id, w, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn");
    HAS(R.out, "receipt verified");
}

/* Status: for the owner only. */
static void test_a_bids_status_is_for_its_owner_only(void **state)
{
    (void)state;
    char id[64], p1[64], pw[64], p2a[64], p2b[64];
    new_tender(id);
    assert_true(place_bids(id, p1, pw, p2a, p2b));
    ctl("supplier", "bid", "status", id, p1, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "submitted");
    ctl("supplier", "bid", "status", id, pw, "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn");
    ctl("supplier2", "bid", "status", id, p2a, "--bids-dir", bids2, NULL);
    EXPECT(0);
    HAS(R.out, "replaced");
    ctl("supplier2", "bid", "status", id, p1, "--bids-dir", bids1, NULL);
    EXPECT(10 + 5); /* NOT_FOUND: another supplier's bid does not exist for supplier2 */
    ctl("officer", "bid", "status", id, p1, "--bids-dir", bids1, NULL);
    EXPECT(10 + 7); /* PERMISSION_DENIED */
}

static void test_no_share_before_the_opening_time(void **state)
{
    (void)state;
    char id[64], kf[400];
    new_tender(id);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(10 + 9);
    HAS(R.err, "opens at");
}

/* A receipt checked with another log's key does not verify. */
static void test_a_receipt_checked_with_another_logs_key_fails(void **state)
{
    (void)state;
    ctl(NULL, "--log-key", other_vkey, "bid", "receipt", o_id, b1, "--verify", "--bids-dir", bids1,
        NULL);
    EXPECT(4);
    HAS(R.err, "verification failed");
}

/* ---- after the deadline ---- */

static void test_no_bid_is_taken_after_the_deadline(void **state)
{
    (void)state;
    ctl("supplier", "--log-key", vkey, "bid", "submit", o_id, "--price", "5", "--currency", "KRW",
        "--bids-dir", bids1, NULL);
    EXPECT(10 + 9);
    HAS(R.err, "bids are closed");
}

/* The opening of P: a stranger's key, then 2 of 3, then the third is too late. */
static void test_k_of_n_members_keys_open_the_tender(void **state)
{
    (void)state;
    char stranger[64], kf[400];
    keys_gen("stranger", stranger, sizeof stranger);
    ctl("officer", "open", p_id, "--key", key_file("stranger", kf, sizeof kf), NULL);
    EXPECT(1);
    HAS(R.err, "not a member's key");
    ctl("officer", "open", p_id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "share accepted (1 of 2)");
    HAS_NOT(R.out, "tender opened");
    ctl("admin", "open", p_id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");
    ctl("auditor", "open", p_id, "--key", key_file("auditor", kf, sizeof kf), NULL);
    EXPECT(10 + 6); /* ALREADY_EXISTS */
}

static void test_the_opening_record_lists_the_bids_in_force(void **state)
{
    (void)state;
    char text[300], hex[65];
    ctl(NULL, "opening", "show", o_id, NULL);
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
    sha_hex(DOC, strlen(DOC), hex);
    snprintf(text, sizeof text, "document offer.pdf  19 bytes  sha256 %s", hex);
    HAS(R.out, text);
    ctl(NULL, "--json", "opening", "show", o_id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"minor_units\":150000");
}

/* The document stays private: everyone sees its name, size and hash;
 * nobody but the buyer's officers, the committee and auditors its bytes. */
static void test_documents_stay_private_after_the_opening(void **state)
{
    (void)state;
    char out[300], got[64], f[600], hex[65];
    sha_hex(DOC, strlen(DOC), hex);
    path(out, sizeof out, "docs_out");
    ctl(NULL, "opening", "documents", o_id, "--out", out, NULL);
    EXPECT(10 + 16); /* UNAUTHENTICATED */
    ctl("supplier2", "opening", "documents", o_id, "--out", out, NULL);
    EXPECT(10 + 7); /* PERMISSION_DENIED: another supplier */
    HAS(R.err, "role supplier");
    ctl("supplier", "opening", "documents", o_id, b1, "--out", out, NULL);
    EXPECT(10 + 7); /* its own bid too: the record is what suppliers see */
    snprintf(f, sizeof f, "%s/%s/0-offer.pdf", out, b1);
    assert_int_not_equal(access(f, F_OK), 0);
    ctl("auditor", "opening", "documents", o_id, "--out", out, NULL);
    EXPECT(0);
    HAS(R.out, "0-offer.pdf  19 bytes");
    HAS(R.out, hex);
    HAS(R.out, "ok");
    assert_int_equal(read_file(f, got, sizeof got), 19);
    assert_memory_equal(got, DOC, 19);
    assert_int_equal(file_mode(f), 0600);
    snprintf(f, sizeof f, "%s/%s", out, b1);
    assert_int_equal(file_mode(f), 0700);
    /* The buyer's officer, one bid, as JSON, into another folder. */
    path(out, sizeof out, "docs_officer");
    ctl("officer", "--json", "opening", "documents", o_id, b1, "--out", out, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, hex);
    /* A committee member who gave a share (admin role). */
    path(out, sizeof out, "docs_admin");
    ctl("admin", "opening", "documents", o_id, b1, "--out", out, NULL);
    EXPECT(0);
}

/* The public re-decryption check holds without the documents. */
static void test_the_audit_re_decrypts_the_bids_without_their_documents(void **state)
{
    (void)state;
    ctl(NULL, "--log-key", vkey, "audit", "verify", o_id, NULL);
    EXPECT(0);
    HAS(R.out, "re-decrypting the 2 bid(s) in force");
}

/* The receipts still verify, and the log only grew since. */
static void test_receipts_still_verify_after_the_opening(void **state)
{
    (void)state;
    ctl(NULL, "--log-key", vkey, "bid", "receipt", o_id, b1, "--verify", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified; its checkpoint is a prefix of today's");
    ctl(NULL, "--log-key", vkey, "bid", "receipt", o_id, bw, "--verify", "--bids-dir", bids1, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn:");
    ctl(NULL, "--json", "bid", "receipt", o_id, b2b, "--bids-dir", bids2, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"verified\":false");
}

/* ---- any time ---- */

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
        cmocka_unit_test(test_keys_gen_writes_a_private_key_once),
        cmocka_unit_test(test_a_tender_publishes_its_committee),
        cmocka_unit_test(test_a_bid_is_kept_private_on_disk),
        cmocka_unit_test(test_a_bid_is_replaced_once),
        cmocka_unit_test(test_a_bid_is_withdrawn_with_a_verified_receipt),
        cmocka_unit_test(test_a_bids_status_is_for_its_owner_only),
        cmocka_unit_test(test_no_share_before_the_opening_time),
        cmocka_unit_test(test_a_receipt_checked_with_another_logs_key_fails),
        cmocka_unit_test(test_no_bid_is_taken_after_the_deadline),
        cmocka_unit_test(test_k_of_n_members_keys_open_the_tender),
        cmocka_unit_test(test_the_opening_record_lists_the_bids_in_force),
        cmocka_unit_test(test_documents_stay_private_after_the_opening),
        cmocka_unit_test(test_the_audit_re_decrypts_the_bids_without_their_documents),
        cmocka_unit_test(test_receipts_still_verify_after_the_opening),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
