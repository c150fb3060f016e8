/* End-to-end tests of the transparency log: every change becomes a leaf,
 * checkpoints are signed and verify offline, inclusion and consistency
 * proofs verify, leaves stream back byte for byte, one checkpoint covers a
 * whole group commit, and a server refuses to start on an altered tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <uv.h>

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawconn.h"
#include "svc/svc.h"
#include "tender/audit.h"
#include "tender/sealed.h"
#include "testsrv.h"
#include "tlog/tlog.h"

#define L(name) "tender.log.v1.Log/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name

static testsrv ts;
static rawconn anon, officer;
static uint32_t sid_anon, sid_off;
static char msg[512];

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
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
    int new_rc = tnd_services_new(&loop, &c, NULL, &srv, err, sizeof err);
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

/* Read the leaves [start, end) (end 0: all) of one tender into events. */
static int read_events(const char *tender_id, tender_events_v1_Event *evs, uint64_t *idx, int cap)
{
    tender_log_v1_LeavesRequest lr = {.tender_id = (char *)tender_id};
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
    int n = 0;
    tnd_frame f;
    while (rawconn_read(&anon, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
        tender_log_v1_Leaf leaf;
        tender_log_v1_Leaf_init(&leaf);
        assert_int_equal(tender_log_v1_Leaf_decode(&leaf, f.u.message.payload.ptr,
                                                   f.u.message.payload.len, NULL),
                         0);
        assert_true(n < cap);
        tender_events_v1_Event_init(&evs[n]);
        assert_int_equal(tender_events_v1_Event_decode(&evs[n], leaf.data.data, leaf.data.len,
                                                       NULL),
                         0);
        idx[n++] = leaf.index;
        tender_log_v1_Leaf_free(&leaf);
    }
    assert_int_equal(f.type, TND_FRAME_STATUS);
    sid_anon += 2;
    return n;
}

static int ocall(const char *m, const tnd_msg_desc *qd, const void *q)
{
    int st = rawconn_call(&officer, sid_off, m, qd, q, NULL, NULL, msg, sizeof msg, NULL, 0);
    sid_off += 2;
    return st;
}

static void prove_leaf(uint64_t index, const tnd_checkpoint *cp, int want)
{
    tender_log_v1_InclusionProofRequest q = {.index = index, .tree_size = cp->size};
    tender_log_v1_InclusionProof p;
    tender_log_v1_InclusionProof_init(&p);
    assert_int_equal(acall(L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                           &tender_log_v1_InclusionProof_desc, &p),
                     0);
    uint8_t proof[64][32];
    for (size_t k = 0; k < p.n_hashes; k++)
        memcpy(proof[k], p.hashes[k].data, 32);
    int rc = tnd_merkle_verify_inclusion(index, cp->size, p.leaf_hash.data,
                                         (const uint8_t(*)[32])proof, p.n_hashes, cp->root);
    if (want == 0)
        assert_int_equal(rc, 0);
    else
        assert_int_not_equal(rc, 0);
    tender_log_v1_InclusionProof_free(&p);
}

/* A full life cycle: its events are all in the log, in order, provable. */
static void test_life_cycle_events(void **state)
{
    (void)state;
    tender_tenders_v1_CreateTenderRequest cq;
    tender_tenders_v1_CreateTenderRequest_init(&cq);
    cq.fields = calloc(1, sizeof *cq.fields);
    cq.fields->title = strdup("logged life");
    tnd_ts_set(&cq.fields->submission_deadline, tnd_wall_ms() + 3600000);
    tnd_ts_set(&cq.fields->opening_time, tnd_wall_ms() + 3700000);
    cq.fields->committee = calloc(1, sizeof *cq.fields->committee);
    cq.fields->committee->threshold = 1;
    cq.fields->committee->n_members = 1;
    cq.fields->committee->members = calloc(1, sizeof *cq.fields->committee->members);
    uint8_t sk[32];
    cq.fields->committee->members[0].name = strdup("Kim");
    cq.fields->committee->members[0].public_key.data = malloc(32);
    cq.fields->committee->members[0].public_key.len = 32;
    assert_int_equal(tnd_x25519_keygen(sk, cq.fields->committee->members[0].public_key.data), 0);
    cq.fields->committee->opening_public_key.data = malloc(32);
    cq.fields->committee->opening_public_key.len = 32;
    assert_int_equal(tnd_x25519_keygen(sk, cq.fields->committee->opening_public_key.data), 0);
    cq.fields->committee->members[0].share_hash.data = calloc(1, 32);
    cq.fields->committee->members[0].share_hash.len = 32;
    cq.fields->committee->members[0].encrypted_share.data = calloc(1, 81);
    cq.fields->committee->members[0].encrypted_share.len = 81;
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(rawconn_call(&officer, sid_off, T(Create),
                                  &tender_tenders_v1_CreateTenderRequest_desc, &cq,
                                  &tender_tenders_v1_Tender_desc, &t, msg, sizeof msg, NULL, 0),
                     0);
    sid_off += 2;
    char id[64];
    snprintf(id, sizeof id, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_EditTenderRequest ed = {.id = id, .fields = cq.fields};
    assert_int_equal(ocall(T(Edit), &tender_tenders_v1_EditTenderRequest_desc, &ed), 0);
    tender_tenders_v1_TenderRef ref = {.id = id};
    if (ocall(T(Publish), &tender_tenders_v1_TenderRef_desc, &ref) != 0)
        fail_msg("publish: %s", msg);
    char ca[700], crt[700], key[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    testsrv_path(&ts, "supplier.crt", crt, sizeof crt);
    testsrv_path(&ts, "supplier.key", key, sizeof key);
    rawconn sup;
    assert_int_equal(rawconn_open(&sup, ts.port, ca, crt, key), 0);
    rawconn_settings(&sup);
    tender_tenders_v1_AskQuestionRequest ask = {.tender_id = id, .text = "when?"};
    assert_int_equal(rawconn_call(&sup, 1, T(Ask), &tender_tenders_v1_AskQuestionRequest_desc,
                                  &ask, NULL, NULL, msg, sizeof msg, NULL, 0),
                     0);
    rawconn_close(&sup);
    tender_tenders_v1_AnswerQuestionRequest ans = {
        .tender_id = id, .question_id = "Q-1", .answer = "soon"};
    assert_int_equal(ocall(T(Answer), &tender_tenders_v1_AnswerQuestionRequest_desc, &ans), 0);
    tender_tenders_v1_AmendTenderRequest am = {.id = id, .fields = cq.fields, .note = "fix"};
    assert_int_equal(ocall(T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am), 0);
    tender_tenders_v1_CancelTenderRequest cn = {
        .id = id, .reason = "no budget", .reason_code = tender_common_v1_CancelReason_BUDGET_CUT};
    assert_int_equal(ocall(T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &cn), 0);
    tender_tenders_v1_CreateTenderRequest_free(&cq);

    static const int want[] = {
        tender_events_v1_EventKind_TENDER_CREATED,    tender_events_v1_EventKind_TENDER_EDITED,
        tender_events_v1_EventKind_TENDER_PUBLISHED,  tender_events_v1_EventKind_QUESTION_ASKED,
        tender_events_v1_EventKind_QUESTION_ANSWERED, tender_events_v1_EventKind_TENDER_AMENDED,
        tender_events_v1_EventKind_TENDER_CANCELLED,
    };
    tender_events_v1_Event evs[16];
    uint64_t idx[16];
    int n = read_events(id, evs, idx, 16);
    assert_int_equal(n, 7);
    tnd_note_verifier v;
    verifier(&v);
    tnd_checkpoint cp;
    checkpoint(&v, &cp);
    for (int i = 0; i < n; i++) {
        assert_int_equal(evs[i].kind, want[i]);
        assert_string_equal(evs[i].tender_id, id);
        assert_true(i == 0 || idx[i] > idx[i - 1]);
        assert_true(i == 0 || tnd_ts_ms(evs[i].time) >= tnd_ts_ms(evs[i - 1].time));
        assert_int_equal(evs[i].object_hash.len, 32);
        prove_leaf(idx[i], &cp, 0);
        tender_events_v1_Event_free(&evs[i]);
    }
    /* The question's event does not name the supplier. */
}

/* The log survives a restart: same checkpoint, proofs still verify. */
static void test_restart_keeps_log(void **state)
{
    (void)state;
    create_drafts(6);
    tnd_note_verifier v;
    verifier(&v);
    tnd_checkpoint before;
    checkpoint(&v, &before);
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_restart(&ts);
    connect_both();
    tnd_note_verifier v2;
    verifier(&v2);
    assert_string_equal(v.name, v2.name); /* the same key */
    assert_memory_equal(v.key, v2.key, 32);
    tnd_checkpoint after;
    checkpoint(&v2, &after);
    assert_int_equal(after.size, before.size);
    assert_memory_equal(after.root, before.root, 32);
    for (uint64_t i = 0; i < after.size; i++)
        prove_leaf(i, &after, 0);
    create_drafts(2); /* appending continues on the same tree */
    tnd_checkpoint later;
    checkpoint(&v2, &later);
    assert_int_equal(later.size, before.size + 2);
}

/* A node altered behind the running server's back: the proofs it serves no
 * longer verify against the signed checkpoint. */
static int alter_node(tnd_wtx *w, void *arg)
{
    (void)arg;
    uint8_t k[10] = {'n', 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* leaf 1 */
    uint8_t h[32];
    memset(h, 0xab, sizeof h);
    return tnd_wtx_put_raw(w, TND_TABLE_LOG, k, sizeof k, h, 32) ? 13 : 0;
}

static volatile int altered;

static void altered_done(void *arg, int status, const char *m)
{
    (void)arg;
    (void)m;
    altered = status == 0 ? 1 : -1;
}

static void test_tampered_node_fails_proofs(void **state)
{
    (void)state;
    create_drafts(4);
    tnd_note_verifier v;
    verifier(&v);
    tnd_checkpoint cp;
    checkpoint(&v, &cp);
    prove_leaf(0, &cp, 0);
    altered = 0;
    /* The store is thread-safe to submit to; its done runs on the server's loop. */
    assert_int_equal(tnd_store_submit(ts.srv->store, alter_node, altered_done, NULL), 0);
    for (int i = 0; i < 200 && !altered; i++)
        usleep(10000);
    assert_int_equal(altered, 1);
    prove_leaf(0, &cp, -1); /* leaf 1 is leaf 0's sibling */
    prove_leaf(1, &cp, -1);
    prove_leaf(3, &cp, 0);  /* the other half of the tree is untouched */
}

/* A proof from an empty log: NOT_FOUND, saying so (the size is read alone). */
static void test_empty_log_has_no_proof(void **state)
{
    (void)state;
    tender_log_v1_InclusionProofRequest q;
    tender_log_v1_InclusionProofRequest_init(&q);
    assert_int_equal(acall(L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                           NULL, NULL),
                     TND_STATUS_NOT_FOUND);
    assert_non_null(strstr(msg, "the log is empty"));
    create_drafts(1);
    tender_log_v1_InclusionProof p;
    tender_log_v1_InclusionProof_init(&p);
    assert_int_equal(acall(L(GetInclusionProof), &tender_log_v1_InclusionProofRequest_desc, &q,
                           &tender_log_v1_InclusionProof_desc, &p),
                     0);
    assert_int_equal(p.tree_size, 1);
    tender_log_v1_InclusionProof_free(&p);
}

/* n drafts, 200 pipelined calls at a time: a tree with nodes of level 8 and up. */
static void burst_drafts(int n)
{
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
    for (int done = 0; done < n;) {
        int burst = n - done < 200 ? n - done : 200;
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        for (int i = 0; i < burst; i++) {
            assert_int_equal(tnd_frame_put_call(&sb, sid_off, T(Create), NULL, 0, 0), 0);
            assert_int_equal(tnd_frame_put_message(&sb, sid_off, buf, len, true), 0);
            sid_off += 2;
        }
        assert_int_equal(rawconn_send(&officer, &sb), 0);
        msgpack_sbuffer_destroy(&sb);
        int ok = 0;
        tnd_frame fr;
        while (ok < burst && rawconn_read(&officer, &fr, 5000, true) == 0)
            if (fr.type == TND_FRAME_STATUS && fr.u.status.code == 0)
                ok++;
        assert_int_equal(ok, burst);
        done += burst;
    }
    free(buf);
}

/* Proofs through the node cache are the proofs read from the store alone,
 * at every size and leaf tried; a second round finds the shared upper nodes
 * in the cache instead of reading them again. */
static void test_cached_nodes_prove_the_same(void **state)
{
    (void)state;
    burst_drafts(600);
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    tnd_tlog_reader plain = {ts.srv->store, txn};
    tnd_tlog_cached_reader cached = {{ts.srv->store, txn}, ts.srv->tlog};
    uint64_t hits0, misses0, hits1, misses1;
    tnd_tlog_cache_stats(ts.srv->tlog, &hits0, &misses0);
    static const uint64_t sizes[] = {256, 257, 511, 512, 513, 600};
    for (int round = 0; round < 2; round++) {
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            for (uint64_t i = 0; i < sizes[s]; i += 7) {
                uint8_t a[64][32], b[64][32];
                size_t na = 0, nb = 0;
                assert_int_equal(
                    tnd_merkle_prove_inclusion(tnd_tlog_node_get, &plain, i, sizes[s], a, 64, &na),
                    0);
                assert_int_equal(tnd_merkle_prove_inclusion(tnd_tlog_node_get_cached, &cached, i,
                                                            sizes[s], b, 64, &nb),
                                 0);
                assert_int_equal(na, nb);
                assert_memory_equal(a, b, 32 * na);
            }
            uint8_t a[64][32], b[64][32];
            size_t na = 0, nb = 0;
            assert_int_equal(tnd_merkle_prove_consistency(tnd_tlog_node_get, &plain, 3, sizes[s], a,
                                                          64, &na),
                             0);
            assert_int_equal(tnd_merkle_prove_consistency(tnd_tlog_node_get_cached, &cached, 3,
                                                          sizes[s], b, 64, &nb),
                             0);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, 32 * na);
        }
        if (round == 0)
            tnd_tlog_cache_stats(ts.srv->tlog, &hits1, &misses1);
    }
    tnd_store_read_end(ts.srv->store, txn);
    uint64_t hits2, misses2;
    tnd_tlog_cache_stats(ts.srv->tlog, &hits2, &misses2);
    assert_true(misses1 > misses0);  /* the first round read level-8 nodes from the store */
    assert_int_equal(misses2, misses1); /* the second read none of them again */
    assert_true(hits2 > hits1);
}

/* Clients that ask for the whole log many times over and hang up without
 * reading (their socket resets): a write fails while a stream is being
 * pumped. The connection closes after the pump has returned, never under
 * it (a cancelled stream freed mid-send crashed the server), and everyone
 * else is still served. */
static void test_clients_gone_mid_stream_leave_the_server_serving(void **state)
{
    (void)state;
    create_drafts(200);
    char ca[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    tender_log_v1_LeavesRequest lr = {.start = 0};
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_log_v1_LeavesRequest_desc, &lr, &buf, &len, NULL), 0);
    for (int round = 0; round < 12; round++) {
        rawconn gone;
        assert_int_equal(rawconn_open(&gone, ts.port, ca, NULL, NULL), 0);
        rawconn_settings(&gone);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        for (uint32_t sid = 1; sid < 2 * 128; sid += 2) {
            assert_int_equal(tnd_frame_put_call(&sb, sid, L(GetLeaves), NULL, 0, 0), 0);
            assert_int_equal(tnd_frame_put_message(&sb, sid, buf, len, true), 0);
        }
        assert_int_equal(rawconn_send(&gone, &sb), 0);
        msgpack_sbuffer_destroy(&sb);
        /* Read for a while, so that the server drains its output and pumps
         * on, then hang up mid-stream. */
        uint64_t until = uv_hrtime() + (uint64_t)(10 + 10 * round) * 1000000u;
        tnd_frame f;
        while (uv_hrtime() < until && rawconn_read(&gone, &f, 100, false) == 0)
            ;
        rawconn_close(&gone); /* unread bytes: the kernel resets the connection */
    }
    free(buf);
    tnd_note_verifier v;
    verifier(&v);
    tnd_checkpoint cp;
    checkpoint(&v, &cp);
    assert_int_equal(cp.size, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_are_leaves_and_prove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consistency_between_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_checkpoint_per_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_tree_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_life_cycle_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_node_fails_proofs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cached_nodes_prove_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_log_has_no_proof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients_gone_mid_stream_leave_the_server_serving,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("tlog", tests, NULL, NULL);
}
