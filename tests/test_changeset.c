/* Change sets (server/store/changeset.h): a real workload on the in-process
 * server (tenders published, bids, an opening, an award, a complaint, the
 * scheduler closing at deadlines, an idempotency prune, a restart) recorded
 * batch by batch and applied in order to an empty copy gives the same
 * database byte for byte; a request rolled back leaves nothing, a batch run
 * again after the map grew is recorded once; the decoder refuses every kind
 * of malformed input; applying refuses a batch out of order and a delete
 * the copy cannot make; and no server code writes to LMDB around
 * tnd_wtx_* (whose writes alone are recorded). */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be.h"
#include "complaintfix.h"
#include "store/changeset.h"
#include "store/keys.h"
#include "svc/svc.h"
#include "tender/complaint.h"

/* ---- the recorder: every change set handed over, in order ---- */

typedef struct recorded {
    pthread_mutex_t mu;
    size_t n;
    uint8_t *bytes[4096];
    size_t len[4096];
    uint64_t seq[4096];
} recorded;

static recorded rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void on_changes(void *arg, uint64_t seq, int64_t time_ms, const uint8_t *changes,
                       size_t len)
{
    recorded *r = arg;
    (void)time_ms;
    pthread_mutex_lock(&r->mu);
    if (r->n < sizeof r->bytes / sizeof *r->bytes) {
        r->bytes[r->n] = malloc(len);
        if (r->bytes[r->n])
            memcpy(r->bytes[r->n], changes, len);
        r->len[r->n] = len;
        r->seq[r->n] = seq;
    }
    r->n++; /* one too many fails the test below */
    pthread_mutex_unlock(&r->mu);
}

static void rec_clear(recorded *r)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n && i < sizeof r->bytes / sizeof *r->bytes; i++)
        free(r->bytes[i]);
    r->n = 0;
    pthread_mutex_unlock(&r->mu);
}

/* Entries of op in table t (key, when not NULL, equal to key) over every
 * recorded change set. */
static size_t rec_count(recorded *r, int op, tnd_table t, const char *key)
{
    size_t n = 0;
    char err[256];
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n; i++) {
        tnd_changeset cs;
        assert_int_equal(tnd_changeset_decode(r->bytes[i], r->len[i], &cs, err, sizeof err), 0);
        for (size_t j = 0; j < cs.n; j++)
            n += cs.changes[j].op == op && cs.changes[j].table == t &&
                 (!key || (cs.changes[j].klen == strlen(key) &&
                           memcmp(cs.changes[j].key, key, cs.changes[j].klen) == 0));
        tnd_changeset_free(&cs);
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* ---- an empty copy, and comparing two databases ---- */

typedef struct copy {
    char dir[64];
    MDB_env *env;
    MDB_dbi dbi[TND_TABLE_COUNT];
} copy;

static void open_env(const char *dir, unsigned flags, MDB_env **env, MDB_dbi *dbi)
{
    assert_int_equal(mdb_env_create(env), 0);
    assert_int_equal(mdb_env_set_maxdbs(*env, TND_TABLE_COUNT), 0);
    assert_int_equal(mdb_env_set_mapsize(*env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(*env, dir, flags, 0600), 0);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(*env, NULL, flags & MDB_RDONLY, &txn), 0);
    for (int t = 0; t < TND_TABLE_COUNT; t++)
        assert_int_equal(mdb_dbi_open(txn, tnd_changeset_table_name((tnd_table)t),
                                      flags & MDB_RDONLY ? 0 : MDB_CREATE, &dbi[t]),
                         0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void copy_open(copy *c)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/tnd_cs_copy.XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    open_env(c->dir, 0, &c->env, c->dbi);
}

static void copy_close(copy *c)
{
    mdb_env_close(c->env);
    test_rmtree(c->dir);
}

/* Apply every recorded change set, in order, to c. */
static void copy_apply_all(copy *c, recorded *r)
{
    char err[512];
    pthread_mutex_lock(&r->mu);
    assert_true(r->n <= sizeof r->bytes / sizeof *r->bytes);
    for (size_t i = 0; i < r->n; i++) {
        tnd_changeset cs;
        assert_non_null(r->bytes[i]);
        if (tnd_changeset_decode(r->bytes[i], r->len[i], &cs, err, sizeof err) != 0)
            fail_msg("change set %zu: %s", i, err);
        assert_int_equal(cs.seq, r->seq[i]);
        if (tnd_changeset_apply(c->env, c->dbi, &cs, err, sizeof err) != 0)
            fail_msg("change set %zu: %s", i, err);
        tnd_changeset_free(&cs);
    }
    pthread_mutex_unlock(&r->mu);
}

/* META "format" alone is node-local: every store writes its own at
 * creation (store_env.c), outside any batch; it describes the file, not
 * the history, and a copy of another format is refused at open anyway. */
static bool node_local(tnd_table t, const MDB_val *k)
{
    return t == TND_TABLE_META && k->mv_size == sizeof TND_META_FORMAT - 1 &&
           memcmp(k->mv_data, TND_META_FORMAT, k->mv_size) == 0;
}

static int next_shared(MDB_cursor *cur, tnd_table t, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
    int rc = mdb_cursor_get(cur, k, v, op);
    while (rc == 0 && node_local(t, k))
        rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
    return rc;
}

/* Every table of a and b holds the same keys and values, byte for byte;
 * the number of records compared. */
static size_t compare(MDB_txn *ta, const MDB_dbi *da, MDB_txn *tb, const MDB_dbi *db)
{
    size_t n = 0;
    for (int t = 0; t < TND_TABLE_COUNT; t++) {
        MDB_cursor *ca, *cb;
        assert_int_equal(mdb_cursor_open(ta, da[t], &ca), 0);
        assert_int_equal(mdb_cursor_open(tb, db[t], &cb), 0);
        MDB_val ka, va, kb, vb;
        int ra = next_shared(ca, (tnd_table)t, &ka, &va, MDB_FIRST);
        int rb = next_shared(cb, (tnd_table)t, &kb, &vb, MDB_FIRST);
        while (ra == 0 && rb == 0) {
            if (ka.mv_size != kb.mv_size || memcmp(ka.mv_data, kb.mv_data, ka.mv_size) != 0 ||
                va.mv_size != vb.mv_size || memcmp(va.mv_data, vb.mv_data, va.mv_size) != 0)
                fail_msg("table %s differs at record %zu", tnd_changeset_table_name((tnd_table)t),
                         n);
            n++;
            ra = next_shared(ca, (tnd_table)t, &ka, &va, MDB_NEXT);
            rb = next_shared(cb, (tnd_table)t, &kb, &vb, MDB_NEXT);
        }
        if (ra != MDB_NOTFOUND || rb != MDB_NOTFOUND)
            fail_msg("table %s: one copy has more records (%d, %d)",
                     tnd_changeset_table_name((tnd_table)t), ra, rb);
        mdb_cursor_close(ca);
        mdb_cursor_close(cb);
    }
    return n;
}

/* ---- the workload on the test server ---- */

#define SUB TND_COMPLAINT_SUBJECT
#define LEAD 2000
#define STANDSTILL 10000

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->standstill_ms = STANDSTILL;
    c->complaint_lead_ms = LEAD;
    c->idempotency_window_ms = 1000;
}

static void record_from_start(tnd_server *srv)
{
    tnd_store_set_changes_hook(srv->store, on_changes, &rec);
}

static size_t entries(tnd_table t)
{
    MDB_txn *txn;
    MDB_stat st;
    assert_int_equal(tnd_store_read_begin(ts.srv->store, &txn), 0);
    assert_int_equal(mdb_stat(txn, tnd_store_dbi(ts.srv->store, t), &st), 0);
    tnd_store_read_end(ts.srv->store, txn);
    return st.ms_entries;
}

static void test_workload_replays_byte_identical(void **state)
{
    (void)state;
    rec_clear(&rec);
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, record_from_start);
    cfx_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    cfx_connect(&ts, w);

    /* A bid with an idempotency-key, sent twice: one record, pruned when
     * its window (1 s) has passed. */
    scn_tender t2 = {0};
    scn_create_and_publish(&ts, &w->off, &t2, "Gravel", 1200, 1400);
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    char bid[40];
    cfx_seal_bid(&ts, &t2, "supplier", 90000, 1, &b, nonce, bid);
    assert_int_equal(scn_submit(&w->sup, &b, nonce, NULL, "gravel-bid-1", NULL), 0);
    assert_int_equal(scn_submit(&w->sup, &b, nonce, NULL, "gravel-bid-1", NULL), 0);
    tender_bids_v1_SealedBid_free(&b);
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 1);

    /* A tender with two bids, closed by the scheduler at its deadline,
     * opened, awarded, and a complaint about the award. */
    cfx_opened(&ts, w, 1200, 1400, 2);
    tender_awards_v1_Award a;
    cfx_award(&ts, w, &a);
    assert_int_equal(cfx_file(&w->sup2, w->t.id, SUB(AWARD), a.id, NULL, "grounds", NULL), 0);
    /* The standstill ends (the award is held by the complaint); a
     * complaint filed after it is refused. */
    testsrv_advance_to(&ts, tnd_ts_ms(a.standstill_end) + 10);
    cfx_expect(cfx_file(&w->sup, w->t.id, SUB(AWARD), a.id, NULL, NULL, NULL),
               TND_STATUS_FAILED_PRECONDITION, "were due by");
    tender_awards_v1_Award_free(&a);
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 0);
    assert_int_equal(scn_status_of(&w->off, t2.id), tender_tenders_v1_TenderStatus_CLOSED);
    cfx_close(w);
    free(w);

    /* The batch number survives a restart: the copy refuses a gap. */
    testsrv_restart(&ts);
    scn_conn off;
    scn_connect(&ts, &off, "officer");
    scn_tender t3 = {0};
    scn_create_and_publish(&ts, &off, &t3, "After the restart", 5000, 6000);
    rawconn_close(&off.rc);
    testsrv_halt(&ts);

    /* What the workload recorded: the scheduler's and the pruner's deletes. */
    assert_true(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_SCHEDULE, NULL) >= 2);
    assert_int_equal(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_IDEMPOTENCY, NULL), 1);
    assert_int_equal(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_IDEM_EXPIRY, NULL), 1);
    assert_true(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_COMPLAINTS, NULL) >= 1);
    assert_true(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_OPENINGS, NULL) == 1);
    assert_true(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_AWARDS, NULL) >= 1);
    /* The derived indexes are never recorded (derived.h). */
    assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_TENDER_EVENTS, NULL), 0);
    assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_SUSPENDING_COMPLAINTS, NULL), 0);
    for (size_t i = 0; i < rec.n; i++)
        assert_int_equal(rec.seq[i], i + 1);

    copy c;
    copy_open(&c);
    copy_apply_all(&c, &rec);
    char db[400];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    MDB_env *env;
    MDB_dbi dbi[TND_TABLE_COUNT];
    open_env(db, MDB_RDONLY, &env, dbi);
    MDB_txn *ta, *tb;
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &ta), 0);
    assert_int_equal(mdb_txn_begin(c.env, NULL, MDB_RDONLY, &tb), 0);
    size_t n = compare(ta, dbi, tb, c.dbi);
    print_message("%zu batches, %zu records identical\n", rec.n, n);
    assert_true(n > 50);
    /* ... yet the copy has it, as the writer does (compare saw them equal). */
    MDB_stat st;
    assert_int_equal(mdb_stat(tb, c.dbi[TND_TABLE_TENDER_EVENTS], &st), 0);
    assert_true(st.ms_entries >= 10);
    mdb_txn_abort(ta);
    mdb_txn_abort(tb);
    mdb_env_close(env);
    copy_close(&c);
    test_rmtree(ts.dir);
    rec_clear(&rec);
}

/* ---- the store alone: rollback and a batch run again ---- */

typedef struct sfx {
    uv_loop_t loop;
    char dir[64];
    tnd_store *s;
    int ndone;
    atomic_bool go; /* the first write waits for it: the rest queue as one batch */
} sfx;

typedef struct sop {
    sfx *fx;
    char key[16];
    size_t vlen;
    bool fail, wait, del;
    int status;
} sop;

static int sop_fn(tnd_wtx *w, void *arg)
{
    sop *o = arg;
    while (o->wait && !atomic_load(&o->fx->go))
        usleep(1000);
    if (o->del) {
        int rc = tnd_wtx_del(w, TND_TABLE_DOCUMENTS, o->key, strlen(o->key));
        if (rc != 0)
            return tnd_wtx_fail(w, 5, "del %s: %s", o->key, tnd_strerror(rc));
    } else {
        uint8_t *v = calloc(1, o->vlen + 1);
        assert_non_null(v);
        memset(v, o->key[0], o->vlen);
        int rc = tnd_wtx_put_raw(w, TND_TABLE_DOCUMENTS, o->key, strlen(o->key), v, o->vlen);
        free(v);
        if (rc != 0)
            return tnd_wtx_fail(w, 13, "put %s: %s", o->key, tnd_strerror(rc));
    }
    return o->fail ? tnd_wtx_fail(w, 9, "refused %s", o->key) : 0;
}

static void sop_done(void *arg, int status, const char *message)
{
    (void)message;
    sop *o = arg;
    o->status = status;
    o->fx->ndone++;
}

static void sfx_open(sfx *fx, size_t map_size)
{
    memset(fx, 0, sizeof *fx);
    uv_loop_init(&fx->loop);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tnd_cs_store.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char err[512], db[96];
    snprintf(db, sizeof db, "%s/db", fx->dir);
    tnd_store_opts o = {.dir = db, .map_size = map_size};
    assert_int_equal(tnd_store_open(&fx->loop, &o, &fx->s, err, sizeof err), 0);
    tnd_store_set_changes_hook(fx->s, on_changes, &rec);
}

static void sfx_run(sfx *fx, sop *ops, size_t n)
{
    atomic_store(&fx->go, false);
    fx->ndone = 0;
    for (size_t i = 0; i < n; i++) {
        ops[i].fx = fx;
        ops[i].wait = i == 0;
        assert_int_equal(tnd_store_submit(fx->s, sop_fn, sop_done, &ops[i]), 0);
    }
    atomic_store(&fx->go, true);
    while (fx->ndone < (int)n)
        uv_run(&fx->loop, UV_RUN_ONCE);
}

/* Compare the live store with a copy made of its change sets. */
static void sfx_compare(sfx *fx)
{
    copy c;
    copy_open(&c);
    copy_apply_all(&c, &rec);
    MDB_txn *ta, *tb;
    MDB_dbi dbi[TND_TABLE_COUNT];
    for (int t = 0; t < TND_TABLE_COUNT; t++)
        dbi[t] = tnd_store_dbi(fx->s, (tnd_table)t);
    assert_int_equal(tnd_store_read_begin(fx->s, &ta), 0);
    assert_int_equal(mdb_txn_begin(c.env, NULL, MDB_RDONLY, &tb), 0);
    assert_true(compare(ta, dbi, tb, c.dbi) > 0);
    tnd_store_read_end(fx->s, ta);
    mdb_txn_abort(tb);
    copy_close(&c);
}

static void sfx_close(sfx *fx)
{
    tnd_store_close(fx->s);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    uv_loop_close(&fx->loop);
    test_rmtree(fx->dir);
}

static void test_rolled_back_request_leaves_no_change(void **state)
{
    (void)state;
    rec_clear(&rec);
    sfx fx;
    sfx_open(&fx, 0);
    sop ops[4] = {{.key = "kept-1", .vlen = 10},
                  {.key = "refused", .vlen = 10, .fail = true},
                  {.key = "kept-2", .vlen = 10},
                  {.key = "missing", .del = true}};
    sfx_run(&fx, ops, 4);
    assert_int_equal(ops[0].status, 0);
    assert_int_equal(ops[1].status, 9);
    assert_int_equal(ops[2].status, 0);
    assert_int_equal(ops[3].status, 5); /* nothing to delete: refused */
    assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, "kept-1"), 1);
    assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, "kept-2"), 1);
    assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, "refused"), 0);
    assert_int_equal(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_DOCUMENTS, NULL), 0);

    /* A delete that is kept, then one rolled back after it deleted. */
    size_t before = rec.n;
    sop more[2] = {{.key = "kept-1", .del = true}, {.key = "kept-2", .del = true, .fail = true}};
    sfx_run(&fx, more, 2);
    assert_int_equal(more[0].status, 0);
    assert_int_equal(more[1].status, 9);
    assert_true(rec.n > before);
    assert_int_equal(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_DOCUMENTS, "kept-1"), 1);
    assert_int_equal(rec_count(&rec, TND_CHANGE_DEL, TND_TABLE_DOCUMENTS, "kept-2"), 0);

    /* A batch of failures commits nothing: no change set, no number. */
    before = rec.n;
    sop none[1] = {{.key = "refused", .vlen = 1, .fail = true}};
    sfx_run(&fx, none, 1);
    assert_int_equal(rec.n, before);
    sfx_compare(&fx);
    sfx_close(&fx);
    rec_clear(&rec);
}

static void test_rerun_batch_recorded_once(void **state)
{
    (void)state;
    rec_clear(&rec);
    sfx fx;
    sfx_open(&fx, (size_t)1 << 20); /* 1 MiB: the batch below does not fit */
    sop ops[9] = {{.key = "first", .vlen = 8}};
    for (int i = 1; i < 9; i++) {
        snprintf(ops[i].key, sizeof ops[i].key, "big-%d", i);
        ops[i].vlen = 200 * 1024;
    }
    sfx_run(&fx, ops, 9);
    for (int i = 0; i < 9; i++)
        assert_int_equal(ops[i].status, 0);
    tnd_store_stats st;
    tnd_store_get_stats(fx.s, &st);
    assert_true(st.reruns >= 1);
    for (int i = 0; i < 9; i++)
        assert_int_equal(rec_count(&rec, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, ops[i].key), 1);
    assert_int_equal(rec.n, st.batches);
    sfx_compare(&fx);
    sfx_close(&fx);
    rec_clear(&rec);
}

/* ---- the decoder and apply, on made-up change sets ---- */

static void build(tnd_changeset_buf *b, uint64_t seq)
{
    tnd_changeset_reset(b);
    assert_int_equal(tnd_changeset_add(b, TND_CHANGE_PUT, TND_TABLE_TENDERS, "T-1", 3, "abc", 3), 0);
    assert_int_equal(tnd_changeset_add(b, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, "D", 1, "", 0), 0);
    assert_int_equal(tnd_changeset_add(b, TND_CHANGE_DEL, TND_TABLE_TENDERS, "T-1", 3, NULL, 0), 0);
    tnd_changeset_finish(b, seq, 1234);
}

static void expect_refused(const uint8_t *d, size_t len, const char *needle)
{
    tnd_changeset cs;
    char err[256] = "";
    assert_int_equal(tnd_changeset_decode(d, len, &cs, err, sizeof err), TND_EMALFORMED);
    if (needle && !strstr(err, needle))
        fail_msg("expected \"%s\" in \"%s\"", needle, err);
    assert_null(cs.changes);
}

static void test_decoder_refuses_malformed(void **state)
{
    (void)state;
    tnd_changeset_buf b = {0};
    build(&b, 7);
    tnd_changeset cs;
    char err[256];
    assert_int_equal(tnd_changeset_decode(b.data, b.len, &cs, err, sizeof err), 0);
    assert_int_equal(cs.seq, 7);
    assert_int_equal(cs.time_ms, 1234);
    assert_int_equal(cs.n, 3);
    assert_int_equal(cs.changes[0].table, TND_TABLE_TENDERS);
    assert_memory_equal(cs.changes[0].val, "abc", 3);
    assert_int_equal(cs.changes[1].vlen, 0);
    assert_int_equal(cs.changes[2].op, TND_CHANGE_DEL);
    assert_null(cs.changes[2].val);
    tnd_changeset_free(&cs);

    /* Every truncation. */
    for (size_t len = 0; len < b.len; len++)
        expect_refused(b.data, len, NULL);
    /* A byte too many. */
    uint8_t *d = malloc(b.len + 1);
    assert_non_null(d);
    memcpy(d, b.data, b.len);
    d[b.len] = 0;
    expect_refused(d, b.len + 1, "bytes follow");
    /* Another version, another magic. */
    d[12] = '2';
    expect_refused(d, b.len, "tnd-changes 1");
    memcpy(d, b.data, b.len);
    /* Batch 0. */
    memset(d + 14, 0, 8);
    expect_refused(d, b.len, "batch number 0");
    memcpy(d, b.data, b.len);
    /* A count the bytes cannot hold, and one too small (bytes left over). */
    tnd_be32_put(d + 30, 0xffffffffu);
    expect_refused(d, b.len, "do not fit");
    tnd_be32_put(d + 30, 2);
    expect_refused(d, b.len, "bytes follow");
    memcpy(d, b.data, b.len);
    size_t e = TND_CHANGESET_HEADER_LEN; /* the first entry: op 1, "tenders" */
    /* An unknown operation. */
    d[e] = 3;
    expect_refused(d, b.len, "unknown operation");
    memcpy(d, b.data, b.len);
    /* An unknown table ("tenderz"). */
    d[e + 2 + 6] = 'z';
    expect_refused(d, b.len, "unknown table");
    memcpy(d, b.data, b.len);
    /* A name length past the end. */
    d[e + 1] = 0xff;
    expect_refused(d, b.len, "cut short");
    memcpy(d, b.data, b.len);
    /* Key lengths: 0, and one over LMDB's largest. */
    tnd_be16_put(d + e + 2 + 7, 0);
    expect_refused(d, b.len, "key length");
    tnd_be16_put(d + e + 2 + 7, TND_CHANGESET_KEY_MAX + 1);
    expect_refused(d, b.len, "key length");
    memcpy(d, b.data, b.len);
    /* A value length past the end. */
    tnd_be32_put(d + e + 2 + 7 + 2 + 3, 0x7fffffffu);
    expect_refused(d, b.len, "value longer");
    free(d);

    /* The encoder refuses what the decoder would. */
    tnd_changeset_reset(&b);
    assert_int_equal(tnd_changeset_add(&b, TND_CHANGE_PUT, TND_TABLE_META, "", 0, "", 0),
                     TND_EINVAL);
    assert_true(b.failed);
    tnd_changeset_buf_free(&b);
}

static void test_apply_in_order_only(void **state)
{
    (void)state;
    copy c;
    copy_open(&c);
    tnd_changeset_buf b = {0};
    tnd_changeset cs;
    char err[256];
    /* Batch 2 first: out of order. */
    build(&b, 2);
    assert_int_equal(tnd_changeset_decode(b.data, b.len, &cs, err, sizeof err), 0);
    assert_int_equal(tnd_changeset_apply(c.env, c.dbi, &cs, err, sizeof err), TND_ERANGE);
    assert_non_null(strstr(err, "out of order"));
    tnd_changeset_free(&cs);
    /* Batch 1: applied, whole. */
    build(&b, 1);
    assert_int_equal(tnd_changeset_decode(b.data, b.len, &cs, err, sizeof err), 0);
    assert_int_equal(tnd_changeset_apply(c.env, c.dbi, &cs, err, sizeof err), 0);
    /* Again: batch 1 is applied already, and says so apart from a gap. */
    assert_int_equal(tnd_changeset_apply(c.env, c.dbi, &cs, err, sizeof err), TND_EEXISTS);
    assert_non_null(strstr(err, "applied already"));
    tnd_changeset_free(&cs);
    /* Batch 2 deletes T-1, which batch 1 deleted: the copy diverged, and
     * nothing of batch 2 is applied (its put of D2 neither). */
    tnd_changeset_reset(&b);
    assert_int_equal(tnd_changeset_add(&b, TND_CHANGE_PUT, TND_TABLE_DOCUMENTS, "D2", 2, "x", 1), 0);
    assert_int_equal(tnd_changeset_add(&b, TND_CHANGE_DEL, TND_TABLE_TENDERS, "T-1", 3, NULL, 0), 0);
    tnd_changeset_finish(&b, 2, 1235);
    assert_int_equal(tnd_changeset_decode(b.data, b.len, &cs, err, sizeof err), 0);
    assert_int_equal(tnd_changeset_apply(c.env, c.dbi, &cs, err, sizeof err), TND_ENOTFOUND);
    assert_non_null(strstr(err, "diverged"));
    tnd_changeset_free(&cs);
    MDB_txn *txn;
    assert_int_equal(mdb_txn_begin(c.env, NULL, MDB_RDONLY, &txn), 0);
    MDB_val k = {.mv_size = 2, .mv_data = "D2"}, v;
    assert_int_equal(mdb_get(txn, c.dbi[TND_TABLE_DOCUMENTS], &k, &v), MDB_NOTFOUND);
    k = (MDB_val){.mv_size = 1, .mv_data = "D"};
    assert_int_equal(mdb_get(txn, c.dbi[TND_TABLE_DOCUMENTS], &k, &v), 0);
    k = (MDB_val){.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ};
    assert_int_equal(mdb_get(txn, c.dbi[TND_TABLE_META], &k, &v), 0);
    assert_int_equal(tnd_be64_get(v.mv_data), 1);
    mdb_txn_abort(txn);
    tnd_changeset_buf_free(&b);
    copy_close(&c);
}

/* ---- no write around tnd_wtx_* ---- */

/* The LMDB calls that change a database, and the only places allowed to
 * make them: the store's own writes (recorded), applying a change set (to
 * a copy), the format record a new store writes at creation or after
 * converting a format-6 one (node-local, outside any batch), the
 * derived indexes, which every node derives from the records it writes or
 * applies (never recorded: derived.h), and tenderd cluster-init's
 * batch number, written once PostgreSQL holds every entry as the group's
 * first batches. */
static const char *const writes[] = {"mdb_put(", "mdb_del(", "mdb_cursor_put(",
                                     "mdb_cursor_del(", "mdb_drop("};
static const struct {
    const char *path;
    int n;
} allowed[] = {
    {"server/store/store_wtx.c", 2},
    {"server/store/changeset.c", 3},
    {"server/store/store_env.c", 2},
    {"server/store/derived.c", 2},
    {"server/replica/cluster_init.c", 1},
};

static int count_writes(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        for (size_t i = 0; i < sizeof writes / sizeof *writes; i++)
            for (const char *p = line; (p = strstr(p, writes[i])) != NULL; p++)
                n += p == line || (p[-1] != '_' && (p[-1] < 'a' || p[-1] > 'z'));
    fclose(f);
    return n;
}

static void walk(const char *dir, int *files, int *allowed_seen)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(path, files, allowed_seen);
            continue;
        }
        size_t l = strlen(path);
        if (l < 2 || path[l - 2] != '.' || (path[l - 1] != 'c' && path[l - 1] != 'h'))
            continue;
        ++*files;
        int n = count_writes(path), want = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
            if (strcmp(path, allowed[i].path) == 0) {
                want = allowed[i].n;
                ++*allowed_seen;
            }
        if (n != want)
            fail_msg("%s makes %d direct LMDB writes (%d allowed): write through tnd_wtx_put_raw, "
                     "tnd_wtx_put_msg or tnd_wtx_del so that change sets record them",
                     path, n, want);
    }
    closedir(d);
}

static void test_no_write_around_the_store(void **state)
{
    (void)state;
    int files = 0, seen = 0;
    walk("server", &files, &seen);
    assert_true(files > 50);
    assert_int_equal(seen, (int)(sizeof allowed / sizeof *allowed));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload_replays_byte_identical),
        cmocka_unit_test(test_rolled_back_request_leaves_no_change),
        cmocka_unit_test(test_rerun_batch_recorded_once),
        cmocka_unit_test(test_decoder_refuses_malformed),
        cmocka_unit_test(test_apply_in_order_only),
        cmocka_unit_test(test_no_write_around_the_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
