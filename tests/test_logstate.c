/* tender/logstate.h against a real server: the key pinned or fetched, the
 * checkpoint fetched and verified, the state advanced only with a proof of
 * consistency; another key, another origin and a bad signature refused; and
 * a forked, a shrunk and a rewritten log caught, with both signed notes and
 * the proof kept as evidence. The forged checkpoints are signed with the
 * server's own log key, as a server that lies would sign them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/svc.h"
#include "tender/logstate.h"
#include "testsrv.h"

static testsrv ts;
static tnd_client *anon, *officer;
static EVP_PKEY *log_key; /* the server's signing key, read from its folder */

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
}

static tnd_client *open_as(const char *who)
{
    char server[64], ca[700], crt[700], key[700], f[64], err[512] = "";
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    o.server = server;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    if (who) {
        snprintf(f, sizeof f, "%s.crt", who);
        o.cert_file = testsrv_path(&ts, f, crt, sizeof crt);
        snprintf(f, sizeof f, "%s.key", who);
        o.key_file = testsrv_path(&ts, f, key, sizeof key);
    }
    tnd_client *c = NULL;
    int rc = tnd_client_open(&o, &c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "tnd_client_open: %s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    anon = open_as(NULL);
    officer = open_as("officer");
    char path[400];
    snprintf(path, sizeof path, "%s/db/log.key", ts.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    log_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(log_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(log_key);
    tnd_client_free(anon);
    tnd_client_free(officer);
    testsrv_stop(&ts);
    return 0;
}

/* One more event in the log: a draft tender. */
static void grow_log(void)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Log growth");
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    int rc = tender_tenders_v1_Tenders_Create(officer, &q, &t, NULL, &st);
    if (rc != 0)
        fprintf(stderr, "Tenders/Create: %s\n", st.message);
    assert_int_equal(rc, 0);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
}

/* A checkpoint note signed by the server's key as name. */
static char *forge(const char *name, const char *origin, uint64_t size, const uint8_t root[32])
{
    tnd_checkpoint c = {.size = size};
    snprintf(c.origin, sizeof c.origin, "%s", origin);
    memcpy(c.root, root, 32);
    char text[TND_CHECKPOINT_TEXT_MAX], *note;
    assert_int_equal(tnd_checkpoint_format(&c, text, sizeof text), 0);
    assert_int_equal(tnd_note_sign(text, name, log_key, &note), 0);
    return note;
}

static void fetched_state(tnd_log_state *ls)
{
    tnd_status_info st;
    assert_int_equal(tnd_log_state_fetch_key(ls, anon, &st), 0);
    assert_false(ls->has_checkpoint);
}

static void test_key(void **state)
{
    (void)state;
    tnd_log_state ls, pinned;
    assert_int_equal(tnd_log_state_init(&ls, "not a key"), TND_EMALFORMED);
    assert_int_equal(tnd_log_state_init(&ls, ""), TND_EMALFORMED);
    assert_int_equal(tnd_log_state_init(NULL, "x"), TND_EINVAL);
    fetched_state(&ls);
    /* The text fetched is the key of the server's signing key, and pins it. */
    uint8_t pub[32];
    size_t pl = 32;
    char vkey[TND_NOTE_VKEY_MAX];
    assert_int_equal(EVP_PKEY_get_raw_public_key(log_key, pub, &pl), 1);
    assert_int_equal(tnd_note_verifier_format(ls.v.name, pub, vkey, sizeof vkey), 0);
    assert_string_equal(ls.vkey, vkey);
    assert_int_equal(tnd_log_state_init(&pinned, vkey), 0);
    assert_memory_equal(pinned.v.key, pub, 32);
    tnd_log_state_free(&ls);
    tnd_log_state_free(&pinned);
}

static void test_update(void **state)
{
    (void)state;
    tnd_log_state ls;
    tnd_status_info st;
    tnd_log_evidence ev;
    fetched_state(&ls);
    grow_log();
    assert_int_equal(tnd_log_state_update(&ls, anon, &ev, &st), 0);
    assert_true(ls.has_checkpoint);
    assert_non_null(ls.note);
    uint64_t first = ls.cp.size;
    assert_true(first >= 1);
    /* Unchanged: equal sizes, equal roots. */
    assert_int_equal(tnd_log_state_update(&ls, anon, &ev, &st), 0);
    assert_int_equal(ls.cp.size, first);
    /* Grown: a proof from the old size to the new one holds. */
    grow_log();
    grow_log();
    assert_int_equal(tnd_log_state_update(&ls, anon, &ev, &st), 0);
    assert_true(ls.cp.size >= first + 2);
    assert_null(ev.proof);
    /* The note kept is the one verified, byte for byte. */
    tnd_checkpoint again;
    assert_int_equal(tnd_log_verify_note(&ls, "kept", ls.note, strlen(ls.note), &again, &st), 0);
    assert_int_equal(again.size, ls.cp.size);
    tnd_log_state_free(&ls);
}

static void test_wrong_key_origin_signature(void **state)
{
    (void)state;
    tnd_log_state ls, other;
    tnd_status_info st;
    tnd_checkpoint cp;
    char *note;
    fetched_state(&ls);
    /* A key of the same name but another key: not signed by it. */
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t pub[32];
    size_t pl = 32;
    char vkey[TND_NOTE_VKEY_MAX];
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &pl), 1);
    assert_int_equal(tnd_note_verifier_format(ls.v.name, pub, vkey, sizeof vkey), 0);
    EVP_PKEY_free(k);
    assert_int_equal(tnd_log_state_init(&other, vkey), 0);
    assert_int_equal(tnd_log_fetch_checkpoint(&other, anon, &note, &cp, &st), TND_ECRYPTO);
    assert_null(note);
    assert_non_null(strstr(st.message, "the latest checkpoint is not signed by the log key"));
    assert_non_null(strstr(st.message, vkey));
    assert_int_equal(tnd_log_state_update(&other, anon, NULL, &st), TND_ECRYPTO);
    assert_false(other.has_checkpoint);
    tnd_log_state_free(&other);

    /* Signed by the right key, for another log. */
    uint8_t root[32] = {1};
    note = forge(ls.v.name, "another.example/log", 1, root);
    assert_int_equal(tnd_log_verify_note(&ls, "the note", note, strlen(note), &cp, &st),
                     TND_ECRYPTO);
    assert_non_null(strstr(st.message, "is a checkpoint of the log \"another.example/log\""));
    free(note);

    /* A signature with one bit changed. */
    assert_int_equal(tnd_log_fetch_checkpoint(&ls, anon, &note, &cp, &st), 0);
    char *sig = strstr(note, "\n\n");
    assert_non_null(sig);
    char *b64 = strrchr(note, ' ') + 1;
    b64[10] = b64[10] == 'A' ? 'B' : 'A';
    assert_int_equal(tnd_log_verify_note(&ls, "the note", note, strlen(note), &cp, &st),
                     TND_ECRYPTO);
    assert_non_null(strstr(st.message, "the note: the signature is bad"));
    assert_int_equal(tnd_log_state_set(&ls, "the note", note, strlen(note), &st), TND_ECRYPTO);
    assert_false(ls.has_checkpoint);
    free(note);
    tnd_log_state_free(&ls);
}

static void test_fork_and_shrink_caught(void **state)
{
    (void)state;
    tnd_log_state ls;
    tnd_status_info st;
    tnd_log_evidence ev;
    fetched_state(&ls);
    grow_log();
    grow_log();
    assert_int_equal(tnd_log_state_update(&ls, anon, NULL, &st), 0);
    tnd_checkpoint real = ls.cp;
    char *real_note = strdup(ls.note);

    /* Fork: a second signed root for the same size. */
    uint8_t root[32];
    memcpy(root, real.root, 32);
    root[0] ^= 1;
    char *forked = forge(ls.v.name, ls.v.name, real.size, root);
    assert_int_equal(
        tnd_log_state_advance(&ls, anon, "a watched checkpoint", forked, strlen(forked), &ev, &st),
        TND_ECRYPTO);
    assert_non_null(strstr(st.message, "the log forked"));
    assert_string_equal(ev.old_note, real_note);
    assert_string_equal(ev.new_note, forked);
    assert_int_equal(ev.new_cp.size, real.size);
    assert_memory_equal(ev.new_cp.root, root, 32);
    assert_int_equal(ev.n_proof, 0);
    /* The state stays with what it had verified. */
    assert_int_equal(ls.cp.size, real.size);
    assert_memory_equal(ls.cp.root, real.root, 32);
    assert_string_equal(ls.note, real_note);
    tnd_log_evidence_free(&ev);
    free(forked);

    /* Shrink: a signed checkpoint smaller than one already trusted. */
    char *smaller = forge(ls.v.name, ls.v.name, real.size - 1, real.root);
    assert_int_equal(tnd_log_state_advance(&ls, anon, "a watched checkpoint", smaller,
                                           strlen(smaller), &ev, &st),
                     TND_ECRYPTO);
    assert_non_null(strstr(st.message, "the log shrank"));
    assert_string_equal(ev.new_note, smaller);
    tnd_log_evidence_free(&ev);

    /* Rewritten history: trust a checkpoint whose root the real log does not
     * extend; the update's proof from the server does not verify, and the
     * evidence holds both notes and that proof. */
    assert_int_equal(tnd_log_state_set(&ls, "a forged checkpoint", smaller, strlen(smaller), &st),
                     0);
    assert_int_equal(tnd_log_state_update(&ls, anon, &ev, &st), TND_ECRYPTO);
    assert_non_null(strstr(st.message, "does not verify: the log was not only appended to"));
    assert_string_equal(ev.old_note, smaller);
    assert_non_null(ev.new_note);
    assert_true(ev.n_proof > 0);
    assert_int_equal(ev.old_cp.size, real.size - 1);
    assert_true(ev.new_cp.size >= real.size);
    /* Anyone can check the evidence again, offline, with the key. */
    tnd_checkpoint a, b;
    assert_int_equal(tnd_log_verify_note(&ls, "old", ev.old_note, strlen(ev.old_note), &a, &st), 0);
    assert_int_equal(tnd_log_verify_note(&ls, "new", ev.new_note, strlen(ev.new_note), &b, &st), 0);
    assert_int_equal(
        tnd_log_check_consistency(&a, &b, (const uint8_t(*)[32])ev.proof, ev.n_proof, NULL, 0),
        TND_ECRYPTO);
    assert_int_equal(ls.cp.size, real.size - 1); /* unchanged */
    tnd_log_evidence_free(&ev);
    free(smaller);
    free(real_note);
    tnd_log_state_free(&ls);
}

static void test_check_consistency_rules(void **state)
{
    (void)state;
    tnd_checkpoint empty = {.size = 0}, one = {.size = 1}, two = {.size = 1};
    char msg[300];
    one.root[0] = 1;
    two.root[0] = 2;
    assert_int_equal(tnd_log_check_consistency(&empty, &one, NULL, 0, msg, sizeof msg), 0);
    assert_int_equal(tnd_log_check_consistency(&one, &one, NULL, 0, msg, sizeof msg), 0);
    assert_int_equal(tnd_log_check_consistency(&one, &two, NULL, 0, msg, sizeof msg), TND_ECRYPTO);
    assert_non_null(strstr(msg, "the log forked: two signed checkpoints of size 1"));
    assert_int_equal(tnd_log_check_consistency(&one, &empty, NULL, 0, msg, sizeof msg),
                     TND_ECRYPTO);
    assert_non_null(strstr(msg, "the log shrank"));
    tnd_checkpoint big = {.size = 3};
    assert_int_equal(tnd_log_check_consistency(&one, &big, NULL, 0, NULL, 0), TND_ECRYPTO);
    assert_int_equal(tnd_log_check_consistency(NULL, &big, NULL, 0, NULL, 0), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_wrong_key_origin_signature),
        cmocka_unit_test(test_fork_and_shrink_caught),
        cmocka_unit_test(test_check_consistency_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
