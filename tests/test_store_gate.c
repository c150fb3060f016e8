/* The store's replication seams (store.h, "replication"): a commit gate
 * that refuses rolls the whole batch back with its status and message and
 * uses no batch number; the change sets a gate accepted, applied to a
 * second store from another thread, give it the same batches; a gate's
 * before() can bring its store up to date first, after which the store's
 * own batch continues the numbering; applying refuses a batch out of
 * order and tells one applied already apart; and the time floor dates a batch no earlier than it. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "store/changeset.h"
#include "tender/error.h"
#include "tender/status.h"

/* The store's two files, its folder and the test's folder. */
static void remove_dir(const char *dir)
{
    char path[160];
    snprintf(path, sizeof path, "%s/db/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/db/lock.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/db", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* What the gate saw and what it answers. */
typedef struct gate_state {
    int answer; /* 0 accept, else a status */
    size_t n;
    uint8_t *bytes[16];
    size_t len[16];
    uint64_t seq[16];
    int64_t time_ms[16];
    /* before(): apply these first (change sets of another store). */
    const uint8_t *pending;
    size_t pending_len;
    int before_rc;
} gate_state;

static int gate_before(void *arg, tnd_store *s, char *msg, size_t msg_len)
{
    gate_state *g = arg;
    if (!g->pending)
        return 0;
    g->before_rc = tnd_store_apply_on_writer(s, g->pending, g->pending_len, msg, msg_len);
    g->pending = NULL;
    return g->before_rc == 0 ? 0 : TND_STATUS_UNAVAILABLE;
}

static int gate_commit(void *arg, uint64_t seq, int64_t time_ms, const uint8_t *changes,
                       size_t len, char *msg, size_t msg_len)
{
    gate_state *g = arg;
    if (g->answer != 0) {
        snprintf(msg, msg_len, "not the writer any more");
        return g->answer;
    }
    assert_true(g->n < 16);
    g->bytes[g->n] = malloc(len);
    assert_non_null(g->bytes[g->n]);
    memcpy(g->bytes[g->n], changes, len);
    g->len[g->n] = len;
    g->seq[g->n] = seq;
    g->time_ms[g->n] = time_ms;
    g->n++;
    return 0;
}

static void gate_clear(gate_state *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->bytes[i]);
    memset(g, 0, sizeof *g);
}

typedef struct node {
    uv_loop_t loop;
    char dir[64];
    tnd_store *s;
    gate_state gate;
} node;

static void node_open(node *n)
{
    memset(n, 0, sizeof *n);
    uv_loop_init(&n->loop);
    snprintf(n->dir, sizeof n->dir, "/tmp/tnd_gate.XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    char err[512], db[96];
    snprintf(db, sizeof db, "%s/db", n->dir);
    tnd_store_opts o = {.dir = db};
    assert_int_equal(tnd_store_open(&n->loop, &o, &n->s, err, sizeof err), 0);
    tnd_store_gate g = {.before = gate_before, .commit = gate_commit, .arg = &n->gate};
    tnd_store_set_gate(n->s, &g);
}

static void node_close(node *n)
{
    tnd_store_close(n->s);
    uv_run(&n->loop, UV_RUN_DEFAULT);
    uv_loop_close(&n->loop);
    remove_dir(n->dir);
    gate_clear(&n->gate);
}

typedef struct put_op {
    const char *key;
    int status;
    char msg[256];
    bool done;
} put_op;

static int put_fn(tnd_wtx *w, void *arg)
{
    put_op *o = arg;
    int rc = tnd_wtx_put_raw(w, TND_TABLE_DOCUMENTS, o->key, strlen(o->key), "v", 1);
    return rc == 0 ? 0 : tnd_wtx_fail(w, TND_STATUS_INTERNAL, "put: %s", tnd_strerror(rc));
}

static void put_done(void *arg, int status, const char *message)
{
    put_op *o = arg;
    o->status = status;
    snprintf(o->msg, sizeof o->msg, "%s", message);
    o->done = true;
}

static void put(node *n, put_op *o)
{
    o->done = false;
    assert_int_equal(tnd_store_submit(n->s, put_fn, put_done, o), 0);
    while (!o->done)
        uv_run(&n->loop, UV_RUN_ONCE);
}

static bool has_key(node *n, const char *key)
{
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(n->s, &txn), 0);
    MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key}, v;
    bool found = mdb_get(txn, tnd_store_dbi(n->s, TND_TABLE_DOCUMENTS), &k, &v) == 0;
    tnd_store_read_end(n->s, txn);
    return found;
}

static void test_refused_commit_rolls_back(void **state)
{
    (void)state;
    node a;
    node_open(&a);
    a.gate.answer = TND_STATUS_UNAVAILABLE;
    put_op o = {.key = "refused"};
    put(&a, &o);
    assert_int_equal(o.status, TND_STATUS_UNAVAILABLE);
    assert_string_equal(o.msg, "not the writer any more");
    assert_false(has_key(&a, "refused"));
    assert_int_equal(tnd_store_batch_seq(a.s), 0);

    a.gate.answer = 0;
    put_op ok = {.key = "kept"};
    put(&a, &ok);
    assert_int_equal(ok.status, 0);
    assert_true(has_key(&a, "kept"));
    assert_int_equal(a.gate.n, 1);
    assert_int_equal(a.gate.seq[0], 1); /* the refused batch used no number */
    assert_int_equal(tnd_store_batch_seq(a.s), 1);
    node_close(&a);
}

typedef struct applier {
    node *to;
    gate_state *from;
    int rc[16];
    char err[256];
} applier;

static void *apply_all(void *arg)
{
    applier *ap = arg;
    for (size_t i = 0; i < ap->from->n; i++)
        ap->rc[i] = tnd_store_apply(ap->to->s, ap->from->bytes[i], ap->from->len[i], ap->err,
                                    sizeof ap->err);
    return NULL;
}

static void test_follower_applies_accepted_batches(void **state)
{
    (void)state;
    node a, b;
    node_open(&a);
    node_open(&b);
    const char *keys[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        put_op o = {.key = keys[i]};
        put(&a, &o);
        assert_int_equal(o.status, 0);
    }
    assert_int_equal(a.gate.n, 3);

    /* Out of order: batch 2 before batch 1. */
    char err[256];
    assert_int_equal(tnd_store_apply(b.s, a.gate.bytes[1], a.gate.len[1], err, sizeof err),
                     TND_ERANGE);
    assert_false(has_key(&b, "two"));

    applier ap = {.to = &b, .from = &a.gate};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, apply_all, &ap), 0);
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ap.rc[i], 0);
        assert_true(has_key(&b, keys[i]));
    }
    assert_int_equal(tnd_store_batch_seq(b.s), 3);
    assert_int_equal(b.gate.n, 0); /* applying is not a batch of b's own */

    /* A batch read back after it was committed here (a's own, read from
     * PostgreSQL by a writer just demoted; or b's again) is applied
     * already: said apart from a gap, and nothing changes. */
    assert_int_equal(tnd_store_apply(a.s, a.gate.bytes[2], a.gate.len[2], err, sizeof err),
                     TND_EEXISTS);
    assert_non_null(strstr(err, "applied already"));
    assert_int_equal(tnd_store_apply(b.s, a.gate.bytes[0], a.gate.len[0], err, sizeof err),
                     TND_EEXISTS);
    assert_int_equal(tnd_store_batch_seq(a.s), 3);
    assert_int_equal(tnd_store_batch_seq(b.s), 3);

    /* A garbled change set is refused, nothing applied. */
    uint8_t junk[40] = "not a change set";
    assert_int_equal(tnd_store_apply(b.s, junk, sizeof junk, err, sizeof err), TND_EMALFORMED);
    assert_int_equal(tnd_store_batch_seq(b.s), 3);
    node_close(&a);
    node_close(&b);
}

static void test_before_catches_up_then_numbering_continues(void **state)
{
    (void)state;
    node a, b;
    node_open(&a);
    node_open(&b);
    put_op o = {.key = "from-a"};
    put(&a, &o);
    assert_int_equal(o.status, 0);

    /* b takes over: its first batch applies a's batch, then writes its own. */
    b.gate.pending = a.gate.bytes[0];
    b.gate.pending_len = a.gate.len[0];
    put_op mine = {.key = "from-b"};
    put(&b, &mine);
    assert_int_equal(b.gate.before_rc, 0);
    assert_int_equal(mine.status, 0);
    assert_true(has_key(&b, "from-a"));
    assert_true(has_key(&b, "from-b"));
    assert_int_equal(b.gate.n, 1);
    assert_int_equal(b.gate.seq[0], 2);

    /* A before() that cannot catch up fails the batch with its reason. */
    node c;
    node_open(&c);
    c.gate.pending = b.gate.bytes[0]; /* batch 2 on an empty store: out of order */
    c.gate.pending_len = b.gate.len[0];
    put_op no = {.key = "from-c"};
    put(&c, &no);
    assert_int_equal(c.gate.before_rc, TND_ERANGE);
    assert_int_equal(no.status, TND_STATUS_UNAVAILABLE);
    assert_non_null(strstr(no.msg, "batch"));
    assert_false(has_key(&c, "from-c"));
    node_close(&a);
    node_close(&b);
    node_close(&c);
}

static void test_time_floor(void **state)
{
    (void)state;
    node a;
    node_open(&a);
    int64_t future = (int64_t)4102444800000; /* 2100-01-01 */
    tnd_store_set_time_floor(a.s, future);
    put_op o = {.key = "late"};
    put(&a, &o);
    assert_int_equal(o.status, 0);
    assert_int_equal(a.gate.time_ms[0], future);

    /* A follower's floor rises with what it applies. */
    node b;
    node_open(&b);
    char err[256];
    assert_int_equal(tnd_store_apply(b.s, a.gate.bytes[0], a.gate.len[0], err, sizeof err), 0);
    put_op p = {.key = "after"};
    put(&b, &p);
    assert_int_equal(p.status, 0);
    assert_true(b.gate.time_ms[0] >= future);
    node_close(&a);
    node_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_commit_rolls_back),
        cmocka_unit_test(test_follower_applies_accepted_batches),
        cmocka_unit_test(test_before_catches_up_then_numbering_continues),
        cmocka_unit_test(test_time_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
