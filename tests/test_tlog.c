/* End-to-end tests of the transparency log: every change becomes a leaf,
 * checkpoints are signed and verify offline, inclusion and consistency
 * proofs verify, leaves stream back byte for byte, one checkpoint covers a
 * whole group commit, and a server refuses to start on an altered tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawconn.h"
#include "svc.h"
#include "tender/audit.h"
#include "testsrv.h"

#define L(name) "tender.log.v1.Log/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name

static testsrv ts;
static rawconn anon, officer;
static uint32_t sid_anon, sid_off;
static char msg[512];

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
}

static void connect_both(void)
{
    char ca[700], crt[700], key[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    testsrv_path(&ts, "officer.crt", crt, sizeof crt);
    testsrv_path(&ts, "officer.key", key, sizeof key);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, crt, key), 0);
    rawconn_settings(&anon);
    rawconn_settings(&officer);
    sid_anon = sid_off = 1;
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    connect_both();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_stop(&ts);
    return 0;
}

static int acall(const char *m, const tnd_msg_desc *qd, const void *q, const tnd_msg_desc *rd,
                 void *r)
{
    int st = rawconn_call(&anon, sid_anon, m, qd, q, rd, r, msg, sizeof msg, NULL, 0);
    sid_anon += 2;
    return st;
}

static void create_drafts(int n)
{
    for (int i = 0; i < n; i++) {
        tender_tenders_v1_CreateTenderRequest q;
        tender_tenders_v1_CreateTenderRequest_init(&q);
        tender_tenders_v1_TenderFields f;
        tender_tenders_v1_TenderFields_init(&f);
        f.title = "logged";
        q.fields = &f;
        assert_int_equal(rawconn_call(&officer, sid_off, T(Create),
                                      &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL,
                                      msg, sizeof msg, NULL, 0),
                         0);
        sid_off += 2;
    }
}

static void verifier(tnd_note_verifier *v)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(acall(L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                           &tender_log_v1_VerifierKey_desc, &vk),
                     0);
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, v), 0);
    assert_non_null(strstr(vk.verifier_key, "tenderd.local/log+"));
    tender_log_v1_VerifierKey_free(&vk);
}

static void checkpoint(const tnd_note_verifier *v, tnd_checkpoint *cp)
{
    tender_log_v1_Checkpoint c;
    tender_log_v1_Checkpoint_init(&c);
    tender_common_v1_Empty e = {0};
    assert_int_equal(acall(L(GetCheckpoint), &tender_common_v1_Empty_desc, &e,
                           &tender_log_v1_Checkpoint_desc, &c),
                     0);
    assert_int_equal(tnd_checkpoint_verify(c.note, strlen(c.note), v, cp), 0);
    assert_true(cp->size == c.size);
    assert_memory_equal(cp->root, c.root.data, 32);
    tender_log_v1_Checkpoint_free(&c);
}

static void test_events_are_leaves_and_prove(void **state)
{
    (void)state;
    create_drafts(9);
    tnd_note_verifier v;
    verifier(&v);
    tnd_checkpoint cp;
    checkpoint(&v, &cp);
    assert_int_equal(cp.size, 9);
    assert_string_equal(cp.origin, "tenderd.local/log");
    /* Stream the leaves, hash each, prove each against the checkpoint. */
    tender_log_v1_LeavesRequest lr = {.start = 0};
    uint8_t hashes[9][32];
    int n = 0;
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_log_v1_LeavesRequest_desc, &lr, &buf, &len, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, sid_anon, L(GetLeaves), NULL, 0, 0), 0);
    assert_int_equal(tnd_frame_put_message(&sb, sid_anon, buf, len, true), 0);
    assert_int_equal(rawconn_send(&anon, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    tnd_frame f;
    while (rawconn_read(&anon, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
        tender_log_v1_Leaf leaf;
        tender_log_v1_Leaf_init(&leaf);
        assert_int_equal(tender_log_v1_Leaf_decode(&leaf, f.u.message.payload.ptr,
                                                   f.u.message.payload.len, NULL),
                         0);
        assert_int_equal(leaf.index, n);
        assert_int_equal(tnd_merkle_leaf_hash(leaf.data.data, leaf.data.len, hashes[n]), 0);
        /* A leaf is an event that anyone can decode. */
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        assert_int_equal(tender_events_v1_Event_decode(&ev, leaf.data.data, leaf.data.len, NULL),
                         0);
        assert_int_equal(ev.seq, n);
        assert_int_equal(ev.kind, tender_events_v1_EventKind_TENDER_CREATED);
        tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&leaf);
        n++;
    }
    assert_int_equal(f.type, TND_FRAME_STATUS);
    assert_int_equal(f.u.status.code, 0);
    sid_anon += 2;
    assert_int_equal(n, 9);
    for (uint64_t i = 0; i < 9; i++) {
        tender_log_v1_InclusionProofRequest q = {.index = i};
        tender_log_v1_InclusionProof p;
        tender_log_v1_InclusionProof_init(&p);
        assert_int_equal(acall(L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                               &tender_log_v1_InclusionProof_desc, &p),
                         0);
        uint8_t proof[64][32];
        for (size_t k = 0; k < p.n_hashes; k++)
            memcpy(proof[k], p.hashes[k].data, 32);
        assert_memory_equal(p.leaf_hash.data, hashes[i], 32);
        assert_int_equal(tnd_merkle_verify_inclusion(i, cp.size, hashes[i],
                                                     (const uint8_t(*)[32])proof, p.n_hashes,
                                                     cp.root),
                         0);
        /* The wrong leaf does not verify. */
        assert_int_not_equal(tnd_merkle_verify_inclusion(i, cp.size, hashes[(i + 1) % 9],
                                                         (const uint8_t(*)[32])proof, p.n_hashes,
                                                         cp.root),
                             0);
        tender_log_v1_InclusionProof_free(&p);
    }
    /* By leaf hash too. */
    tender_log_v1_InclusionProofRequest q = {.leaf_hash = {hashes[4], 32}};
    tender_log_v1_InclusionProof p;
    tender_log_v1_InclusionProof_init(&p);
    assert_int_equal(acall(L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                           &tender_log_v1_InclusionProof_desc, &p),
                     0);
    assert_int_equal(p.index, 4);
    tender_log_v1_InclusionProof_free(&p);
}

static void test_consistency_between_checkpoints(void **state)
{
    (void)state;
    tnd_note_verifier v;
    verifier(&v);
    create_drafts(3);
    tnd_checkpoint old;
    checkpoint(&v, &old);
    create_drafts(5);
    tnd_checkpoint now;
    checkpoint(&v, &now);
    assert_true(now.size > old.size);
    tender_log_v1_ConsistencyProofRequest q = {.first = old.size};
    tender_log_v1_ConsistencyProof p;
    tender_log_v1_ConsistencyProof_init(&p);
    assert_int_equal(acall(L(GetConsistencyProof), &tender_log_v1_ConsistencyProofRequest_desc,
                           &q, &tender_log_v1_ConsistencyProof_desc, &p),
                     0);
    assert_int_equal(p.second, now.size);
    uint8_t proof[64][32];
    for (size_t k = 0; k < p.n_hashes; k++)
        memcpy(proof[k], p.hashes[k].data, 32);
    assert_int_equal(tnd_merkle_verify_consistency(old.size, now.size, old.root, now.root,
                                                   (const uint8_t(*)[32])proof, p.n_hashes),
                     0);
    old.root[0] ^= 1;
    assert_int_not_equal(tnd_merkle_verify_consistency(old.size, now.size, old.root, now.root,
                                                       (const uint8_t(*)[32])proof, p.n_hashes),
                         0);
    tender_log_v1_ConsistencyProof_free(&p);
    /* Beyond the log: OUT_OF_RANGE. */
    tender_log_v1_ConsistencyProofRequest bad = {.first = 1, .second = now.size + 10};
    assert_int_equal(acall(L(GetConsistencyProof), &tender_log_v1_ConsistencyProofRequest_desc,
                           &bad, NULL, NULL),
                     TND_STATUS_OUT_OF_RANGE);
}

/* Many creates in flight at once commit in few batches: one signature each. */
static void test_one_checkpoint_per_batch(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_TenderFields f;
    tender_tenders_v1_TenderFields_init(&f);
    f.title = "burst";
    q.fields = &f;
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_tenders_v1_CreateTenderRequest_desc, &q, &buf, &len,
                                    NULL),
                     0);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(tnd_frame_put_call(&sb, sid_off, T(Create), NULL, 0, 0), 0);
        assert_int_equal(tnd_frame_put_message(&sb, sid_off, buf, len, true), 0);
        sid_off += 2;
    }
    free(buf);
    assert_int_equal(rawconn_send(&officer, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    int ok = 0;
    tnd_frame fr;
    while (ok < 200 && rawconn_read(&officer, &fr, 5000, true) == 0)
        if (fr.type == TND_FRAME_STATUS && fr.u.status.code == 0)
            ok++;
    assert_int_equal(ok, 200);
    /* Count the signed checkpoints in the database. */
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    MDB_cursor *cur;
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(ts.srv->store, TND_TABLE_LOG), &cur), 0);
    MDB_val k = {.mv_size = 1, .mv_data = "c"}, v;
    int signed_sizes = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && k.mv_size == 9 && ((char *)k.mv_data)[0] == 'c';
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        signed_sizes++;
    mdb_cursor_close(cur);
    tnd_store_read_end(ts.srv->store, txn);
    print_message("200 creates: %d checkpoints signed\n", signed_sizes);
    assert_true(signed_sizes >= 1 && signed_sizes < 200);
}

/* Alter a stored tree node behind the server's back: it refuses to start. */
static void test_altered_tree_refused(void **state)
{
    (void)state;
    create_drafts(5);
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_halt(&ts);
    char db[600];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_mapsize(env, 1ull << 30);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "log", 0, &dbi), 0);
    uint8_t k[10] = {'n', 0, 0, 0, 0, 0, 0, 0, 0, 2}; /* leaf 2 */
    MDB_val key = {.mv_size = 10, .mv_data = k}, val;
    assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
    uint8_t h[32];
    memcpy(h, val.mv_data, 32);
    h[0] ^= 0xff;
    val.mv_data = h;
    assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    tnd_config c;
    tnd_config_defaults(&c);
    snprintf(c.db, sizeof c.db, "%s", db);
    testsrv_path(&ts, "server.crt", c.cert, sizeof c.cert);
    testsrv_path(&ts, "server.key", c.key, sizeof c.key);
    testsrv_path(&ts, "ca.crt", c.ca, sizeof c.ca);
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    char err[512] = "";
    int new_rc = tnd_server_new(&loop, &c, &srv, err, sizeof err);
    print_message("refused: %s\n", err);
    assert_int_not_equal(new_rc, 0);
    assert_non_null(strstr(err, "the database was altered"));
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    /* Leave a fresh server for the teardown. */
    test_rmtree(db);
    testsrv_start(&ts, cfg, NULL);
    connect_both();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_are_leaves_and_prove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consistency_between_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_checkpoint_per_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_tree_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("tlog", tests, NULL, NULL);
}
