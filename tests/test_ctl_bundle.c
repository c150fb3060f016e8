/* End-to-end tests of evidence bundles: `tenderctl audit bundle` after a
 * whole life cycle (published, a question answered, two sealed bids,
 * opened by 2 of 3, awarded, the award cancelled, awarded again), then tenderd is stopped and
 * `tenderctl audit verify --bundle` passes every check from the file alone. Then one byte of each
 * part of the bundle is changed (a leaf, a version, the opening record, a sealed bid, the award, a
 * cancelled earlier award, a document, the checkpoint note, an inclusion proof, the consistency
 * proof) and the check that covers it must fail by name; a truncated file, another format version
 * and another tender are refused with their message. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "ctlrun.h"
#include "tender/bundle.h"
#include "tender/witness.h"
#include "tender_schema.h"

static char vkey[400], tender[64], saved[300], bundle[300];
static uint8_t *orig; /* the bundle as written */
static size_t orig_len;

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_bundle_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    path(saved, sizeof saved, "saved.checkpoint");
    path(bundle, sizeof bundle, "tender.bundle");
    return ctlrun_start_server(NULL);
}

static int teardown(void **state)
{
    free(orig);
    return ctlrun_teardown(state);
}

static void submit(const char *who, const char *price, char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency", "KRW",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(id, len);
}

/* verify --bundle FILE with the pinned key; its exit code in R. */
static void verify_bundle(const char *file)
{
    ctl(NULL, "--log-key", vkey, "audit", "verify", "--bundle", file, NULL);
}

static void test_bundle_of_life_cycle_verifies_offline(void **state)
{
    (void)state;
    char pub[3][64], committee[300], text[1024], dl[32], op[32], kf[400], bid[2][64];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    char spec[300];
    path(spec, sizeof spec, "spec.txt");
    write_file(spec, "span 40 m, two lanes\n", 21);
    time_t t0 = time(NULL), deadline = t0 + 4, opening = t0 + 5;
    ctl("officer", "tender", "create", "--title", "Bundled bridge repair", "--budget", "900000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", "--doc", spec,
        NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);
    ctl("supplier", "question", "ask", tender, "--text", "Is the old deck removed?", NULL);
    EXPECT(0);
    ctl("officer", "question", "answer", tender, "Q-1", "--text", "Yes, by the contractor.", NULL);
    EXPECT(0);
    submit("supplier", "120000", bid[0], sizeof bid[0]);
    submit("supplier2", "150000", bid[1], sizeof bid[1]);
    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", tender, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("officer", "award", tender, "--winner", bid[0], "--criterion", "lowest-price",
        "--rationale", "lowest valid price", NULL);
    EXPECT(0);
    ctl("officer", "award", "cancel", tender, "--reason", "complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(0);
    ctl("officer", "award", tender, "--winner", bid[0], "--criterion", "lowest-price",
        "--rationale", "lowest valid price, after review", NULL);
    EXPECT(0);

    ctl(NULL, "--log-key", vkey, "audit", "bundle", tender, "--out", bundle, "--checkpoint", saved,
        NULL);
    EXPECT(0);
    HAS(R.out, "wrote ");
    HAS(R.out, "2 sealed bid(s)");
    HAS(R.out, "1 document(s)");

    /* No server from here on: every check runs from the file. */
    int status;
    assert_int_equal(kill(ctl_srv_pid, SIGTERM), 0);
    assert_int_equal(waitpid(ctl_srv_pid, &status, 0), ctl_srv_pid);
    ctl_srv_pid = 0;

    verify_bundle(bundle);
    EXPECT(0);
    HAS_NOT(R.out, "FAIL");
    static const char *const all_ok[] = {
        "ok    checkpoint", "ok    consistency", "ok    inclusion",  "ok    published",
        "ok    documents",  "ok    questions",   "ok    deadline",   "ok    opening",
        "ok    decryption", "ok    award",       "ok    signatures",
    };
    for (size_t i = 0; i < sizeof all_ok / sizeof *all_ok; i++)
        HAS(R.out, all_ok[i]);
    HAS(R.out, "1 answered question(s)");
    HAS(R.out, "re-decrypting the 2 bid(s) in force");
    HAS(R.out, "1 earlier decision(s) each as its last event logged");
    HAS(R.out, "verified against the checkpoint");
    HAS_NOT(R.err, "taken from the bundle");

    /* The tender named must be the one it holds; --json says where it came from. */
    ctl(NULL, "--json", "--log-key", vkey, "audit", "verify", tender, "--bundle", bundle, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"failed\":0");
    HAS(R.out, "\"log_key_from_bundle\":false");
    ctl(NULL, "--log-key", vkey, "audit", "verify", "T-2026-999999", "--bundle", bundle, NULL);
    EXPECT(2);
    HAS(R.err, "not T-2026-999999");

    /* Without --log-key the bundle's key is used, and the user is told to compare it. */
    ctl(NULL, "audit", "verify", "--bundle", bundle, NULL);
    EXPECT(0);
    HAS(R.err, "was taken from the bundle: compare it with the key the log's operator publishes");
    HAS(R.err, vkey);

    /* A witness policy applies to the note the bundle keeps: it has no cosignature. */
    EVP_PKEY *wk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t pub_w[32];
    size_t pub_len = sizeof pub_w;
    char wkey[TND_NOTE_VKEY_MAX];
    assert_non_null(wk);
    assert_int_equal(EVP_PKEY_get_raw_public_key(wk, pub_w, &pub_len), 1);
    EVP_PKEY_free(wk);
    assert_int_equal(tnd_cosigner_format("witness.example", pub_w, wkey, sizeof wkey), 0);
    ctl(NULL, "--log-key", vkey, "--witness", wkey, "audit", "verify", "--bundle", bundle, NULL);
    EXPECT(4);
    HAS(R.out, "FAIL  checkpoint   the checkpoint of size");
    HAS(R.out, "lacks the witness cosignatures the policy needs");

    char p[300];
    path(p, sizeof p, "tender.bundle");
    size_t cap = 64u << 20;
    orig = malloc(cap);
    assert_non_null(orig);
    long n = read_file(p, (char *)orig, cap);
    assert_true(n > 0 && (size_t)n < cap - 1);
    orig_len = (size_t)n;
}

/* ---- one byte changed ------------------------------------------------------ */

/* The bundle decoded, one byte of one part changed by edit, encoded again
 * (the same length: one byte of the file differs), written to bad.bundle. */
static void write_changed(void (*edit)(tender_bundle_v1_Bundle *b))
{
    assert_non_null(orig);
    tender_bundle_v1_Bundle b;
    tender_bundle_v1_Bundle_init(&b);
    assert_int_equal(tender_bundle_v1_Bundle_decode(&b, orig, orig_len, NULL), 0);
    edit(&b);
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_bundle_v1_Bundle_desc, &b, &enc, &len, NULL), 0);
    tender_bundle_v1_Bundle_free(&b);
    assert_int_equal(len, orig_len);
    size_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff += enc[i] != orig[i];
    assert_int_equal(diff, 1);
    char p[300];
    path(p, sizeof p, "bad.bundle");
    write_file(p, enc, len);
    free(enc);
}

/* Change the byte at the first needle in part (to another letter: text stays text). */
static void change_at(tnd_bytes *part, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= part->len; i++)
        if (memcmp(part->data + i, needle, nl) == 0) {
            part->data[i] = part->data[i] == 'x' ? 'y' : 'x';
            return;
        }
    fail_msg("\"%s\" is not in the part", needle);
}

static void flip_middle(tnd_bytes *part)
{
    assert_true(part->len > 0);
    part->data[part->len / 2] ^= 0x01;
}

static void expect_fail(void (*edit)(tender_bundle_v1_Bundle *b), const char *check,
                        const char *why)
{
    char p[300], line[64];
    write_changed(edit);
    path(p, sizeof p, "bad.bundle");
    verify_bundle(p);
    EXPECT(4);
    snprintf(line, sizeof line, "FAIL  %-11s", check);
    HAS(R.out, line);
    HAS(R.out, why);
    HAS(R.out, "FAILED");
}

static void edit_leaf(tender_bundle_v1_Bundle *b)
{
    assert_true(b->n_events > 0);
    change_at(&b->events[0].leaf, tender); /* the tender's id in its first event */
}

static void edit_version(tender_bundle_v1_Bundle *b)
{
    assert_int_equal(b->n_versions, 1);
    change_at(&b->versions[0], "Bundled");
}

static void edit_opening(tender_bundle_v1_Bundle *b)
{
    assert_true(b->opening.len > 0);
    change_at(&b->opening, tender);
}

static void edit_bid(tender_bundle_v1_Bundle *b)
{
    assert_int_equal(b->n_bids, 2);
    flip_middle(&b->bids[1]); /* in its ciphertext */
}

static void edit_award(tender_bundle_v1_Bundle *b)
{
    assert_true(b->award.len > 0);
    change_at(&b->award, "lowest valid price");
}

static void edit_earlier_award(tender_bundle_v1_Bundle *b)
{
    assert_int_equal(b->n_earlier_awards, 1);
    change_at(&b->earlier_awards[0], "complaint upheld");
}

static void edit_document(tender_bundle_v1_Bundle *b)
{
    assert_int_equal(b->n_documents, 1);
    change_at(&b->documents[0].content, "span");
}

static void edit_document_id(tender_bundle_v1_Bundle *b)
{
    assert_int_equal(b->n_documents, 1);
    b->documents[0].id[0] = 'x'; /* the bytes of another document */
}

static void edit_note(tender_bundle_v1_Bundle *b)
{
    change_at(&b->checkpoint, "\n\xe2\x80\x94 "); /* the line break before the signature */
}

static void edit_proof(tender_bundle_v1_Bundle *b)
{
    assert_true(b->n_events > 0 && b->events[b->n_events - 1].proof.len >= 32);
    b->events[b->n_events - 1].proof.data[5] ^= 0x01;
}

static void edit_consistency(tender_bundle_v1_Bundle *b)
{
    assert_true(b->consistency.len >= 32);
    b->consistency.data[0] ^= 0x01;
}

static void test_changed_leaf(void **state)
{
    (void)state;
    expect_fail(edit_leaf, "inclusion", "leaf 0 is not an event of tender");
}

static void test_changed_version(void **state)
{
    (void)state;
    expect_fail(edit_version, "published", "version 1");
}

static void test_changed_opening(void **state)
{
    (void)state;
    expect_fail(edit_opening, "opening", "the opening record differs from what event");
}

static void test_changed_bid(void **state)
{
    (void)state;
    expect_fail(edit_bid, "deadline", "differs from the envelope logged by event");
    HAS(R.out, "FAIL  decryption");
}

static void test_changed_award(void **state)
{
    (void)state;
    expect_fail(edit_award, "award", "differs from what event");
    HAS(R.out, "FAIL  signatures");
    expect_fail(edit_earlier_award, "award",
                "the earlier decision T-2026-000001-A1 differs from what event");
}

static void test_changed_document(void **state)
{
    (void)state;
    expect_fail(edit_document, "documents", "is not the one logged");
    expect_fail(edit_document_id, "documents", "has document x-2026-000001-D1 in its place");
}

static void test_changed_checkpoint_note(void **state)
{
    (void)state;
    expect_fail(edit_note, "checkpoint", "is not signed by the log key");
}

static void test_changed_inclusion_proof(void **state)
{
    (void)state;
    expect_fail(edit_proof, "inclusion", "is not in the checkpoint of size");
}

static void test_changed_consistency_proof(void **state)
{
    (void)state;
    expect_fail(edit_consistency, "consistency", "the log was rewritten");
}

/* ---- the CA the bundle carries ----------------------------------------------- */

/* tenderctl with args and without --ca (ctl() always gives one): exit code
 * into R.code, stdout and stderr into R. */
static void run_without_ca(const char *args)
{
    char cmd[2048], out[300], err[300];
    path(out, sizeof out, "noca.out");
    path(err, sizeof err, "noca.err");
    snprintf(cmd, sizeof cmd, "'%s' --log-key '%s' %s >'%s' 2>'%s'", ctl_bin, vkey, args, out, err);
    int st = system(cmd);
    R.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    if (read_file(out, R.out, sizeof R.out) < 0)
        R.out[0] = '\0';
    if (read_file(err, R.err, sizeof R.err) < 0)
        R.err[0] = '\0';
}

static void edit_ca_to_server_cert(tender_bundle_v1_Bundle *b)
{
    char p[340];
    static char pem[65536];
    snprintf(p, sizeof p, "%s/server.crt", ctl_pki);
    long n = read_file(p, pem, sizeof pem);
    assert_true(n > 0);
    free(b->ca.data);
    b->ca.data = malloc((size_t)n);
    assert_non_null(b->ca.data);
    memcpy(b->ca.data, pem, (size_t)n);
    b->ca.len = (size_t)n;
}

/* Without --ca, who bid is checked against the CA the bundle carries, and
 * the user is told its SHA-256 to compare; another certificate in its
 * place fails the decryption check. */
static void test_bundle_ca(void **state)
{
    (void)state;
    char args[400], p[300], ca[340], hex[65];
    static char pem[65536];
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    long n = read_file(ca, pem, sizeof pem);
    assert_true(n > 0);
    sha_hex(pem, (size_t)n, hex);
    snprintf(args, sizeof args, "audit verify --bundle '%s'", bundle);
    run_without_ca(args);
    EXPECT(0);
    HAS(R.out, "ok    decryption");
    HAS(R.err, "the CA certificate was taken from the bundle (SHA-256 ");
    HAS(R.err, hex);

    tender_bundle_v1_Bundle b;
    tender_bundle_v1_Bundle_init(&b);
    assert_int_equal(tender_bundle_v1_Bundle_decode(&b, orig, orig_len, NULL), 0);
    edit_ca_to_server_cert(&b);
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_bundle_v1_Bundle_desc, &b, &enc, &len, NULL), 0);
    tender_bundle_v1_Bundle_free(&b);
    path(p, sizeof p, "otherca.bundle");
    write_file(p, enc, len);
    free(enc);
    snprintf(args, sizeof args, "audit verify --bundle '%s'", p);
    run_without_ca(args);
    EXPECT(4);
    HAS(R.out, "FAIL  decryption");
    HAS(R.out, "does not verify against the CA at the time of receipt");
}

/* ---- files that are not bundles -------------------------------------------- */

static void edit_version_number(tender_bundle_v1_Bundle *b)
{
    b->version = 2;
}

static void test_refused_files(void **state)
{
    (void)state;
    char p[300];
    path(p, sizeof p, "bad.bundle");
    assert_non_null(orig);
    write_file(p, orig, orig_len - 1); /* truncated */
    verify_bundle(p);
    EXPECT(2);
    HAS(R.err, "not a complete evidence bundle (truncated or damaged");
    HAS_NOT(R.out, "ok ");

    write_changed(edit_version_number);
    verify_bundle(p);
    EXPECT(2);
    HAS(R.err, "an evidence bundle of version 2; this program reads version 1 only");

    write_file(p,
               "\x81\x01\xa3"
               "abc",
               6); /* MessagePack, but another format */
    verify_bundle(p);
    EXPECT(2);
    HAS(R.err, "not a tenderd evidence bundle");

    write_file(p, "", 0);
    verify_bundle(p);
    EXPECT(2);

    /* audit bundle needs somewhere to write; --bundle takes at most the tender. */
    ctl(NULL, "--log-key", vkey, "audit", "bundle", tender, NULL);
    EXPECT(2);
    HAS(R.err, "--out FILE");
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, "extra", "--bundle", bundle, NULL);
    EXPECT(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_of_life_cycle_verifies_offline),
        cmocka_unit_test(test_changed_leaf),
        cmocka_unit_test(test_changed_version),
        cmocka_unit_test(test_changed_opening),
        cmocka_unit_test(test_changed_bid),
        cmocka_unit_test(test_changed_award),
        cmocka_unit_test(test_changed_document),
        cmocka_unit_test(test_changed_checkpoint_note),
        cmocka_unit_test(test_changed_inclusion_proof),
        cmocka_unit_test(test_changed_consistency_proof),
        cmocka_unit_test(test_bundle_ca),
        cmocka_unit_test(test_refused_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
