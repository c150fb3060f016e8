/* Unit tests of common/cosig.c and common/witness_policy.c: a cosignature
 * made by an independent implementation (Python's cryptography, below) is
 * reproduced byte for byte and verified; altered ones are refused; the
 * add-checkpoint body round-trips and its malformed forms are refused; the
 * C2SP tlog-policy rules and quorums, with the message that names the
 * missing witnesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tender/witness.h"

/* The checkpoint of docs/LOG.md section 7 (8 leaves, RFC 8032 test key 1). */
static const char checkpoint_text[] = "example.com/tender-log\n8\n"
                                      "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
static const char log_sig[] = "\xe2\x80\x94 example.com/tender-log "
                              "B0b/q20cPFjYJSj+yHk5mNGKCXX/7/I4qsi8Y+aeLA3tcgP6/g+GdADaqeIMVkHF"
                              "AADG3A1A9cu6x0mCx7jht8d7sgo=\n";

/* Cosigned by RFC 8032 test key 2 as "witness.example/w1" at 1700000000,
 * computed with Python's cryptography (Ed25519PrivateKey.sign over
 * "cosignature/v1\ntime 1700000000\n" + the checkpoint text). */
static const char w1_seed[] = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
static const char w1_vkey[] =
    "witness.example/w1+04d2d833+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM";
static const char w1_line[] =
    "\xe2\x80\x94 witness.example/w1 BNLYMwAAAABlU/EA1Nlc3itcglxzaR5zgWhYz"
    "CZj13rKndAnpX6grS/2j05f1T6RCvg/TAIxONEDxGqAL+8mA87bCDIJHn2BGi07Aw==\n";

static EVP_PKEY *key_from_seed(const char *hex)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i++) {
        unsigned b;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
        seed[i] = (uint8_t)b;
    }
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    assert_non_null(k);
    return k;
}

static EVP_PKEY *fresh_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    return k;
}

/* The checkpoint note with the log's signature and extra lines. */
static char *note_with(const char *lines)
{
    size_t n = strlen(checkpoint_text) + 1 + strlen(log_sig) + strlen(lines) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s\n%s%s", checkpoint_text, log_sig, lines);
    return s;
}

static void test_vector_signs_and_verifies(void **state)
{
    (void)state;
    EVP_PKEY *k = key_from_seed(w1_seed);
    char line[TND_COSIG_LINE_MAX];
    assert_int_equal(
        tnd_cosig_sign(checkpoint_text, "witness.example/w1", k, 1700000000, line, sizeof line), 0);
    assert_string_equal(line, w1_line);

    uint8_t pub[32];
    size_t pl = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    char vkey[TND_NOTE_VKEY_MAX];
    assert_int_equal(tnd_cosigner_format("witness.example/w1", pub, vkey, sizeof vkey), 0);
    assert_string_equal(vkey, w1_vkey);

    tnd_note_verifier w;
    assert_int_equal(tnd_cosigner_parse(w1_vkey, &w), 0);
    char *note = note_with(w1_line);
    uint64_t ts = 0;
    assert_int_equal(tnd_cosig_verify(note, strlen(note), &w, &ts), 0);
    assert_int_equal(ts, 1700000000);
    /* The log's own key still verifies the note: cosignatures are lines of other keys. */
    tnd_note_verifier lv;
    assert_int_equal(
        tnd_note_verifier_parse(
            "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea", &lv),
        0);
    tnd_checkpoint cp;
    assert_int_equal(tnd_checkpoint_verify(note, strlen(note), &lv, &cp), 0);
    assert_int_equal(cp.size, 8);
    free(note);
    EVP_PKEY_free(k);
}

static void test_altered_cosignatures_are_refused(void **state)
{
    (void)state;
    tnd_note_verifier w;
    assert_int_equal(tnd_cosigner_parse(w1_vkey, &w), 0);

    /* Another time in the signature: the signed message differs. */
    char line[sizeof w1_line];
    memcpy(line, w1_line, sizeof line);
    char *b64 = strchr(line + 4, ' ') + 1;
    b64[10] = b64[10] == 'A' ? 'B' : 'A'; /* inside the 8-byte time */
    char *note = note_with(line);
    assert_int_equal(tnd_cosig_verify(note, strlen(note), &w, NULL), TND_ECRYPTO);
    free(note);

    /* The same line on another checkpoint (another size). */
    const char *other =
        "example.com/tender-log\n9\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n";
    size_t n = strlen(other) + strlen(w1_line) + 1;
    note = malloc(n);
    snprintf(note, n, "%s%s", other, w1_line);
    assert_int_equal(tnd_cosig_verify(note, strlen(note), &w, NULL), TND_ECRYPTO);
    free(note);

    /* No line of this witness; two lines of it. */
    note = note_with("");
    assert_int_equal(tnd_cosig_verify(note, strlen(note), &w, NULL), TND_ENOTFOUND);
    free(note);
    char two[2 * sizeof w1_line];
    snprintf(two, sizeof two, "%s%s", w1_line, w1_line);
    note = note_with(two);
    assert_int_equal(tnd_cosig_verify(note, strlen(note), &w, NULL), TND_EMALFORMED);
    free(note);

    /* A log key is not a witness key, and a witness key is not a log key. */
    assert_int_equal(
        tnd_cosigner_parse(
            "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea", &w),
        TND_EMALFORMED);
    tnd_note_verifier lv;
    assert_int_equal(tnd_note_verifier_parse(w1_vkey, &lv), TND_EMALFORMED);

    /* A witness signs only a checkpoint, at a time that fits. */
    EVP_PKEY *k = fresh_key();
    char out[TND_COSIG_LINE_MAX];
    assert_int_equal(tnd_cosig_sign("not a checkpoint\n", "w", k, 1, out, sizeof out), TND_EINVAL);
    assert_int_equal(tnd_cosig_sign(checkpoint_text, "w", k, UINT64_MAX, out, sizeof out),
                     TND_EINVAL);
    assert_int_equal(tnd_cosig_sign(checkpoint_text, "w", k, 1, out, 20), TND_ERANGE);
    EVP_PKEY_free(k);
}

static void test_request_round_trip(void **state)
{
    (void)state;
    uint8_t proof[3][32];
    for (int i = 0; i < 3; i++)
        memset(proof[i], 0x11 * (i + 1), 32);
    char *note = note_with(w1_line);
    char *body;
    size_t len;
    assert_int_equal(tnd_witness_request_format(5, (const uint8_t(*)[32])proof, 3, note,
                                                strlen(note), &body, &len),
                     0);
    assert_true(strncmp(body, "old 5\nERERERERERERERERERERERERERERERERERERERERERE=\n", 51) == 0);
    tnd_witness_request r;
    assert_int_equal(tnd_witness_request_parse(body, len, &r), 0);
    assert_int_equal(r.old_size, 5);
    assert_int_equal(r.n_proof, 3);
    assert_memory_equal(r.proof[2], proof[2], 32);
    assert_int_equal(r.note_len, strlen(note));
    assert_memory_equal(r.note, note, r.note_len);
    free(body);

    /* old 0 without a proof: the empty line follows at once. */
    assert_int_equal(tnd_witness_request_format(0, NULL, 0, note, strlen(note), &body, &len), 0);
    assert_int_equal(tnd_witness_request_parse(body, len, &r), 0);
    assert_int_equal(r.old_size, 0);
    assert_int_equal(r.n_proof, 0);
    free(body);
    free(note);
}

static void test_malformed_requests_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "old\n\nx",
        "old 05\n\nx",
        "old -1\n\nx",
        "old 1 \n\nx",
        "new 1\n\nx",
        "old 1\nnot base64\n\nx",
        "old 1\nERERERERERERERERERERERERERERERERERERERERERE\n\nx", /* no padding */
        "old 1\nERERERERERERERERERERERERERERERERERERERERERE=\n",   /* no empty line */
        "old 1\n\n",                                               /* no note */
        "old 99999999999999999999\n\nx",
    };
    tnd_witness_request r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = tnd_witness_request_parse(bad[i], strlen(bad[i]), &r);
        if (rc != TND_EMALFORMED && rc != TND_ERANGE)
            fail_msg("request %zu was accepted (%d)", i, rc);
    }
    /* 64 proof lines: one more than tlog-witness allows. */
    char body[64 * 45 + 32] = "old 1\n";
    for (int i = 0; i < 64; i++)
        strcat(body, "ERERERERERERERERERERERERERERERERERERERERERE=\n");
    strcat(body, "\nx");
    assert_int_equal(tnd_witness_request_parse(body, strlen(body), &r), TND_EMALFORMED);
}

/* A policy of three fresh witnesses; their keys and lines on the checkpoint. */
typedef struct trio {
    EVP_PKEY *k[3];
    char vkey[3][TND_NOTE_VKEY_MAX];
    char line[3][TND_COSIG_LINE_MAX];
} trio;

static void trio_make(trio *t)
{
    static const char *const names[3] = {"audit.example/w", "review.example/w",
                                         "monitor.example/w"};
    for (int i = 0; i < 3; i++) {
        t->k[i] = fresh_key();
        uint8_t pub[32];
        size_t pl = 32;
        assert_int_equal(EVP_PKEY_get_raw_public_key(t->k[i], pub, &pl), 1);
        assert_int_equal(tnd_cosigner_format(names[i], pub, t->vkey[i], sizeof t->vkey[i]), 0);
        assert_int_equal(tnd_cosig_sign(checkpoint_text, names[i], t->k[i], 1700000000 + i,
                                        t->line[i], sizeof t->line[i]),
                         0);
    }
}

static void trio_free(trio *t)
{
    for (int i = 0; i < 3; i++)
        EVP_PKEY_free(t->k[i]);
}

static void test_threshold_from_keys(void **state)
{
    (void)state;
    trio t;
    trio_make(&t);
    const char *keys[3] = {t.vkey[0], t.vkey[1], t.vkey[2]};
    tnd_policy p;
    char err[512];
    assert_int_equal(tnd_policy_from_keys(keys, 3, 2, &p, err, sizeof err), 0);
    assert_false(tnd_policy_is_none(&p));

    char *one = note_with(t.line[1]);
    bool cos[TND_POLICY_MAX];
    uint64_t times[TND_POLICY_MAX];
    assert_int_equal(tnd_policy_check(&p, one, strlen(one), cos, times, err, sizeof err),
                     TND_EQUORUM);
    assert_string_equal(err, "needs 2 of audit.example/w, review.example/w, monitor.example/w; "
                             "cosigned by: review.example/w; missing: audit.example/w, "
                             "monitor.example/w");
    assert_true(cos[1] && !cos[0] && !cos[2]);
    assert_int_equal(times[1], 1700000001);

    char both[2 * TND_COSIG_LINE_MAX];
    snprintf(both, sizeof both, "%s%s", t.line[2], t.line[0]);
    char *two = note_with(both);
    assert_int_equal(tnd_policy_check(&p, two, strlen(two), cos, NULL, err, sizeof err), 0);
    assert_true(cos[0] && !cos[1] && cos[2]);

    /* A forged line under a trusted name counts as missing, and says so. */
    char forged[2 * TND_COSIG_LINE_MAX];
    snprintf(forged, sizeof forged, "%s%s", t.line[1], t.line[0]);
    char *sig = strstr(forged + strlen(t.line[1]), " ") + 1;
    sig[40] = sig[40] == 'A' ? 'B' : 'A';
    char *bad = note_with(forged);
    assert_int_equal(tnd_policy_check(&p, bad, strlen(bad), NULL, NULL, err, sizeof err),
                     TND_EQUORUM);
    assert_non_null(strstr(err, "audit.example/w (its cosignature does not verify)"));

    /* No keys: quorum none. A threshold above the count, a key twice, a log key. */
    assert_int_equal(tnd_policy_from_keys(NULL, 0, 0, &p, err, sizeof err), 0);
    assert_true(tnd_policy_is_none(&p));
    assert_int_equal(tnd_policy_check(&p, one, strlen(one), NULL, NULL, err, sizeof err), 0);
    assert_int_equal(tnd_policy_from_keys(keys, 3, 4, &p, err, sizeof err), TND_EMALFORMED);
    const char *twice[2] = {t.vkey[0], t.vkey[0]};
    assert_int_equal(tnd_policy_from_keys(twice, 2, 1, &p, err, sizeof err), TND_EMALFORMED);
    const char *logkey[1] = {
        "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"};
    assert_int_equal(tnd_policy_from_keys(logkey, 1, 1, &p, err, sizeof err), TND_EMALFORMED);
    assert_non_null(strstr(err, "is not a witness key"));
    free(one);
    free(two);
    free(bad);
    trio_free(&t);
}

static void test_policy_file_groups(void **state)
{
    (void)state;
    trio t;
    trio_make(&t);
    char text[4096];
    snprintf(text, sizeof text,
             "# the national audit office and the review body must both cosign,\n"
             "# or one of them and the monitor\n"
             "log example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea "
             "https://tender.example/\n"
             "witness audit %s https://audit.example/witness\n"
             "\twitness review %s\n"
             "witness monitor %s   \n"
             "\n"
             "group state all audit review\n"
             "group any-state any audit review\n"
             "group fallback all any-state monitor\n"
             "group either any state fallback\n"
             "quorum either\n",
             t.vkey[0], t.vkey[1], t.vkey[2]);
    tnd_policy p;
    char err[512];
    assert_int_equal(tnd_policy_parse(text, strlen(text), &p, err, sizeof err), 0);
    assert_int_equal(p.n_logs, 1);
    assert_string_equal(p.log_urls[0], "https://tender.example/");
    assert_int_equal(p.n_witnesses, 3);
    assert_string_equal(p.witnesses[0].url, "https://audit.example/witness");
    assert_string_equal(p.witnesses[1].url, "");
    assert_int_equal(p.n_groups, 4);

    char lines[3 * TND_COSIG_LINE_MAX];
    /* audit alone: neither state (all) nor fallback (needs the monitor). */
    char *n1 = note_with(t.line[0]);
    assert_int_equal(tnd_policy_check(&p, n1, strlen(n1), NULL, NULL, err, sizeof err),
                     TND_EQUORUM);
    assert_string_equal(err,
                        "needs 1 of state, fallback; cosigned by: audit; missing: review, monitor");
    /* review and monitor: the fallback. */
    snprintf(lines, sizeof lines, "%s%s", t.line[1], t.line[2]);
    char *n2 = note_with(lines);
    assert_int_equal(tnd_policy_check(&p, n2, strlen(n2), NULL, NULL, err, sizeof err), 0);
    /* audit and review: the state. */
    snprintf(lines, sizeof lines, "%s%s", t.line[0], t.line[1]);
    char *n3 = note_with(lines);
    assert_int_equal(tnd_policy_check(&p, n3, strlen(n3), NULL, NULL, err, sizeof err), 0);
    free(n1);
    free(n2);
    free(n3);

    /* Each rule of tlog-policy that a file can break, with the line named. */
    struct {
        const char *text, *says;
    } bad[] = {
        {"quorum nobody\n", "line 1: nobody is not a witness or group defined above"},
        {"", "no quorum line"},
        {"quorum none\nquorum none\n", "line 2: a second quorum line"},
        {"witness a %s\nwitness a %s\nquorum a\n", "line 2: a is defined twice"},
        {"witness a %s\nwitness b %s\nquorum a\n", "the key of b is also the key of a"},
        {"witness none %s\nquorum none\n", "\"none\" is reserved"},
        {"group g any a\nwitness a %s\nquorum g\n", "line 1: a is not a witness or group"},
        {"witness a %s\ngroup g 2 a\nquorum g\n", "the threshold 2 is not"},
        {"witness a %s\ngroup g 0 a\nquorum g\n", "the threshold 0 is not"},
        {"witness a %s\ngroup g any a a\nquorum g\n", "line 2: a is listed twice"},
        {"witness a "
         "example.com/tender-log+0746ffab+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\nquorum a\n",
         "is not a witness key"},
        {"log %s\nquorum none\n", "is not a log verifier key"},
        {"witnes a b\n", "line 1: witnes is not log, witness, group or quorum"},
        {"quorum none\r\n", "control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, bad[i].text, t.vkey[0], t.vkey[0]);
        memset(err, 0, sizeof err);
        int rc = tnd_policy_parse(buf, strlen(buf), &p, err, sizeof err);
        if (rc != TND_EMALFORMED || strstr(err, bad[i].says) == NULL)
            fail_msg("policy %zu: rc %d, message \"%s\", expected \"%s\"", i, rc, err, bad[i].says);
    }
    trio_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_signs_and_verifies),
        cmocka_unit_test(test_altered_cosignatures_are_refused),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_malformed_requests_are_refused),
        cmocka_unit_test(test_threshold_from_keys),
        cmocka_unit_test(test_policy_file_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
