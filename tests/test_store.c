/* The LMDB store (server/store*.c): format, durability, group commit,
 * per-request rollback, events, back-pressure, a full map, map growth,
 * reads while the writer writes, close, and the metrics the store reports. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "digest.h"
#include "store/store.h"
#include "tender/status.h"

#define T_DATA TND_TABLE_DOCUMENTS /* any table will do for raw test data */
#define MAX_VAL (64 * 1024)

typedef struct fixture {
    uv_loop_t loop;
    char tmp[64];
    char db[96];
    tnd_store *s;
    pthread_t loop_thread;
    int ndone;
    sem_t started, release;
} fixture;

/* One write request: put key -> a pattern of vlen bytes, maybe append an
 * event, maybe block until the test releases it, maybe fail at the end. */
typedef struct op {
    fixture *fx;
    char key[32];
    size_t vlen;
    bool event;
    int complaint; /* 1: put a complaint, seq vlen, of tender key, that suspends; 2: one that does not */
    size_t hog;  /* bytes to take from the write's arena before the event */
    bool block;
    int fail;
    uint64_t seq;
    int64_t now_ms;
    int status;
    char msg[TND_STORE_MSG_MAX + 1];
    bool done;
} op;

static void fill(uint8_t *buf, size_t len, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(key[i % kl] + i);
}

static int op_fn(tnd_wtx *w, void *arg)
{
    op *o = arg;
    o->now_ms = tnd_wtx_now_ms(w);
    if (o->block) {
        sem_post(&o->fx->started);
        sem_wait(&o->fx->release);
    }
    if (o->complaint) {
        /* A complaint about the conditions, accepted; suspend_deadline decides. */
        tender_complaints_v1_ReviewDecision d = {.outcome = tender_complaints_v1_Outcome_ACCEPT,
                                                 .suspend_deadline = o->complaint == 1};
        tender_complaints_v1_Review acc = {.decision = &d};
        tender_complaints_v1_Complaint c;
        tender_complaints_v1_Complaint_init(&c);
        c.subject = tender_complaints_v1_Subject_CONDITIONS;
        c.state = tender_complaints_v1_ComplaintState_ACCEPTED;
        c.acceptance = &acc;
        uint8_t key[128];
        size_t kl = tnd_key_complaints(key, sizeof key, o->key, (uint32_t)o->vlen);
        int rc = tnd_wtx_put_msg(w, TND_TABLE_COMPLAINTS, key, kl,
                                 &tender_complaints_v1_Complaint_desc, &c);
        return rc ? tnd_wtx_fail(w, 13, "complaint: %s", tnd_strerror(rc)) : 0;
    }
    if (o->key[0]) {
        static uint8_t buf[MAX_VAL]; /* the writer is one thread */
        fill(buf, o->vlen, o->key);
        int rc = tnd_wtx_put_raw(w, T_DATA, o->key, strlen(o->key), buf, o->vlen);
        if (rc != 0)
            return tnd_wtx_fail(w, 13, "put %s: %s", o->key, tnd_strerror(rc));
    }
    /* Memory the write asks for and may not get; its failure is not checked
     * here, as a careless write function would not check it either. */
    if (o->hog)
        (void)tnd_arena_alloc(tnd_wtx_arena(w), o->hog);
    if (o->event) {
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        ev.kind = tender_events_v1_EventKind_TENDER_CREATED;
        ev.tender_id = tnd_arena_strdup(tnd_wtx_arena(w), o->key);
        int rc = tnd_wtx_append_event(w, &ev, &o->seq);
        if (rc == 0) {
            assert_int_equal(ev.seq, o->seq);
            assert_non_null(ev.time);
        }
        if (rc != 0 && !o->hog) /* a hog's write returns 0: the store must notice */
            return tnd_wtx_fail(w, 13, "event: %s", tnd_strerror(rc));
    }
    if (o->fail)
        return tnd_wtx_fail(w, o->fail, "refused %s", o->key);
    return 0;
}

static void op_done(void *arg, int status, const char *message)
{
    op *o = arg;
    assert_true(pthread_equal(pthread_self(), o->fx->loop_thread));
    assert_false(o->done);
    assert_non_null(message);
    o->status = status;
    snprintf(o->msg, sizeof o->msg, "%s", message);
    o->done = true;
    o->fx->ndone++;
}

static void op_set(op *o, fixture *fx, const char *key, size_t vlen)
{
    memset(o, 0, sizeof *o);
    o->fx = fx;
    snprintf(o->key, sizeof o->key, "%s", key);
    o->vlen = vlen;
}

static void submit_ok(fixture *fx, op *o)
{
    assert_int_equal(tnd_store_submit(fx->s, op_fn, op_done, o), 0);
}

static void wait_done(fixture *fx, int n)
{
    while (fx->ndone < n)
        uv_run(&fx->loop, UV_RUN_ONCE);
}

/* Submit a blocking request and wait until the writer is inside it, so
 * that what is submitted next queues up behind it in one batch. */
static void block_writer(fixture *fx, op *blocker)
{
    op_set(blocker, fx, "", 0);
    blocker->block = true;
    submit_ok(fx, blocker);
    sem_wait(&fx->started);
}

static void open_store(fixture *fx, const tnd_store_opts *opts)
{
    char err[256] = "";
    tnd_store_opts o = opts ? *opts : (tnd_store_opts){0};
    o.dir = fx->db;
    int rc = tnd_store_open(&fx->loop, &o, &fx->s, err, sizeof err);
    if (rc != 0)
        fail_msg("open: %s", err);
}

static void close_store(fixture *fx)
{
    tnd_store_close(fx->s);
    fx->s = NULL;
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0); /* frees the store */
}

/* Read key from T_DATA: returns its length, or -1 when absent; checks the
 * pattern. */
static long read_key(fixture *fx, const char *key)
{
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)key}, v;
    int rc = mdb_get(txn, tnd_store_dbi(fx->s, T_DATA), &k, &v);
    long len = -1;
    if (rc == 0) {
        static uint8_t want[MAX_VAL];
        assert_true(v.mv_size <= MAX_VAL);
        fill(want, v.mv_size, key);
        assert_memory_equal(v.mv_data, want, v.mv_size);
        len = (long)v.mv_size;
    } else {
        assert_int_equal(rc, MDB_NOTFOUND);
    }
    tnd_store_read_end(fx->s, txn);
    return len;
}

static size_t count_entries(fixture *fx, tnd_table t)
{
    MDB_txn *txn;
    MDB_stat st;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    assert_int_equal(mdb_stat(txn, tnd_store_dbi(fx->s, t), &st), 0);
    tnd_store_read_end(fx->s, txn);
    return st.ms_entries;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->tmp, sizeof fx->tmp, "/tmp/tnd_store_XXXXXX");
    assert_non_null(mkdtemp(fx->tmp));
    snprintf(fx->db, sizeof fx->db, "%s/db", fx->tmp);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    fx->loop_thread = pthread_self();
    sem_init(&fx->started, 0, 0);
    sem_init(&fx->release, 0, 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->s)
        close_store(fx);
    assert_int_equal(uv_loop_close(&fx->loop), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", fx->db);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", fx->db);
    unlink(path);
    rmdir(fx->db);
    assert_int_equal(rmdir(fx->tmp), 0);
    sem_destroy(&fx->started);
    sem_destroy(&fx->release);
    free(fx);
    return 0;
}

/* ---- format and durability ---- */

/* Write format n into the database behind the store's back. */
static void put_format(const fixture *fx, uint32_t n)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t b[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    MDB_val k = {.mv_size = 6, .mv_data = "format"}, v = {.mv_size = 4, .mv_data = b};
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, fx->db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_create_and_format(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    struct stat st;
    assert_int_equal(stat(fx->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    MDB_val k = {.mv_size = 6, .mv_data = "format"}, v;
    assert_int_equal(mdb_get(txn, tnd_store_dbi(fx->s, TND_TABLE_META), &k, &v), 0);
    assert_int_equal(v.mv_size, 4);
    const uint8_t this_format[4] = {0, 0, 0, TND_STORE_FORMAT};
    assert_memory_equal(v.mv_data, this_format, 4);
    tnd_store_read_end(fx->s, txn);
    assert_true(tnd_store_writable(fx->s));
    close_store(fx);

    /* A newer tenderd wrote the next format, an older one the one before:
     * this one refuses both, untouched, saying which way to go. */
    for (int older = 0; older < 2; older++) {
        /* (format 6 is converted: test_format_6_is_converted) */
        uint32_t format = older ? TND_STORE_FORMAT - 2 : TND_STORE_FORMAT + 1;
        put_format(fx, format);

        char err[512] = "", want[512];
        tnd_store_opts o = {.dir = fx->db};
        tnd_store *s = NULL;
        assert_int_equal(tnd_store_open(&fx->loop, &o, &s, err, sizeof err), TND_ERANGE);
        assert_null(s);
        snprintf(want, sizeof want, "database in %s has format %u; this tenderd reads format %u: %s",
                 fx->db, format, TND_STORE_FORMAT,
                 older ? "an older tenderd wrote it (docs/STORE.md, \"Format\", says what "
                         "changed); keep serving it with that tenderd"
                       : "upgrade tenderd");
        assert_string_equal(err, want);
    }
}

/* A derived index as "id/seq" lines, in key order: tender_events, or
 * suspending_complaints. */
static void index_lines(fixture *fx, tnd_table t, char *out, size_t cap)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t at = 0;
    out[0] = '\0';
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(fx->s, t), &cur), 0);
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *id = k.mv_data;
        uint64_t seq = 0;
        uint32_t seq32 = 0;
        if (t == TND_TABLE_TENDER_EVENTS)
            assert_true(tnd_key_tender_events_parse(k.mv_data, k.mv_size, id, &seq));
        else
            assert_true(tnd_key_complaints_parse(k.mv_data, k.mv_size, id, &seq32));
        seq += seq32;
        assert_int_equal(v.mv_size, 0);
        at += (size_t)snprintf(out + at, cap - at, "%s/%llu ", id, (unsigned long long)seq);
        assert_true(at < cap);
    }
    mdb_cursor_close(cur);
    tnd_store_read_end(fx->s, txn);
}

/* Behind the store's back: empty a table, or put one value. */
static void raw_edit(const fixture *fx, const char *table, const MDB_val *key, const MDB_val *val)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, fx->db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, table, 0, &dbi), 0);
    if (key)
        assert_int_equal(mdb_put(txn, dbi, (MDB_val *)key, (MDB_val *)val, 0), 0);
    else
        assert_int_equal(mdb_drop(txn, dbi, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* The derived indexes (derived.h) as the writer writes: every event that
 * names a tender is in tender_events, every complaint whose acceptance
 * suspends the deadline in suspending_complaints. A format-6 database (which
 * has neither) gets the same indexes built from its tables at open and
 * becomes format 7; one whose log cannot be read is refused and left as it
 * was. */
static void test_format_6_is_converted(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    const char *ids[] = {"T-a", "T-b", "", "T-a"}; /* "" names no tender, as a bid's event */
    op ops[4], cops[3];
    for (int i = 0; i < 4; i++) {
        op_set(&ops[i], fx, ids[i], 0);
        ops[i].event = true;
        submit_ok(fx, &ops[i]);
        wait_done(fx, i + 1);
        assert_int_equal(ops[i].status, 0);
    }
    /* T-a's complaint 1 suspends, 2 does not; T-b's complaint 7 suspends. */
    const int kinds[] = {1, 2, 1}, seqs[] = {1, 2, 7};
    for (int i = 0; i < 3; i++) {
        op_set(&cops[i], fx, i < 2 ? "T-a" : "T-b", (size_t)seqs[i]);
        cops[i].complaint = kinds[i];
        submit_ok(fx, &cops[i]);
        wait_done(fx, 5 + i);
        assert_int_equal(cops[i].status, 0);
    }
    char want[256], got[256];
    snprintf(want, sizeof want, "T-a/%llu T-a/%llu T-b/%llu ", (unsigned long long)ops[0].seq,
             (unsigned long long)ops[3].seq, (unsigned long long)ops[1].seq);
    index_lines(fx, TND_TABLE_TENDER_EVENTS, got, sizeof got);
    assert_string_equal(got, want);
    index_lines(fx, TND_TABLE_SUSPENDING_COMPLAINTS, got, sizeof got);
    assert_string_equal(got, "T-a/1 T-b/7 ");
    close_store(fx);

    raw_edit(fx, "tender_events", NULL, NULL);
    raw_edit(fx, "suspending_complaints", NULL, NULL);
    put_format(fx, 6);
    open_store(fx, NULL);
    index_lines(fx, TND_TABLE_TENDER_EVENTS, got, sizeof got);
    assert_string_equal(got, want);
    index_lines(fx, TND_TABLE_SUSPENDING_COMPLAINTS, got, sizeof got);
    assert_string_equal(got, "T-a/1 T-b/7 ");
    MDB_txn *txn;
    MDB_val fk = {.mv_size = 6, .mv_data = "format"}, fv;
    const uint8_t seven[4] = {0, 0, 0, 7};
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    assert_int_equal(mdb_get(txn, tnd_store_dbi(fx->s, TND_TABLE_META), &fk, &fv), 0);
    assert_memory_equal(fv.mv_data, seven, 4);
    tnd_store_read_end(fx->s, txn);
    close_store(fx);

    /* An unreadable event: refused, the format record still 6. */
    uint8_t k8[TND_KEY_EVENTS_LEN];
    MDB_val ek = {.mv_size = tnd_key_events(k8, ops[2].seq), .mv_data = k8};
    MDB_val junk = {.mv_size = 3, .mv_data = "\xc1\xc1\xc1"};
    raw_edit(fx, "events", &ek, &junk);
    put_format(fx, 6);
    char err[512] = "";
    tnd_store_opts o = {.dir = fx->db};
    tnd_store *s = NULL;
    assert_int_equal(tnd_store_open(&fx->loop, &o, &s, err, sizeof err), TND_EMALFORMED);
    assert_null(s);
    assert_non_null(strstr(err, "cannot convert the database"));
    assert_non_null(strstr(err, "is unreadable"));
    MDB_env *env;
    MDB_dbi dbi;
    const uint8_t six[4] = {0, 0, 0, 6};
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, fx->db, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &fk, &fv), 0);
    assert_memory_equal(fv.mv_data, six, 4); /* the refused open changed nothing */
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

static void test_open_errors(void **state)
{
    fixture *fx = *state;
    char err[256] = "", dir[160];
    tnd_store *s = NULL;
    snprintf(dir, sizeof dir, "%s/missing/db", fx->tmp);
    tnd_store_opts o = {.dir = dir};
    assert_int_equal(tnd_store_open(&fx->loop, &o, &s, err, sizeof err), TND_EIO);
    assert_null(s);
    assert_non_null(strstr(err, "cannot create"));
    o.dir = NULL;
    assert_int_equal(tnd_store_open(&fx->loop, &o, &s, err, sizeof err), TND_EINVAL);
}

static void test_durable_after_done(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    op o;
    op_set(&o, fx, "durable", 1000);
    submit_ok(fx, &o);
    wait_done(fx, 1);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.msg, "");
    close_store(fx);
    open_store(fx, NULL);
    assert_int_equal(read_key(fx, "durable"), 1000);
}

/* ---- group commit and rollback ---- */

static void test_group_commit(void **state)
{
    fixture *fx = *state;
    enum { N = 1000 };
    open_store(fx, NULL);
    op blocker, *ops = calloc(N, sizeof *ops);
    assert_non_null(ops);
    block_writer(fx, &blocker);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "g%04d", i);
        op_set(&ops[i], fx, key, 64);
        submit_ok(fx, &ops[i]);
    }
    sem_post(&fx->release);
    wait_done(fx, N + 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(ops[i].status, 0);
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    assert_int_equal(st.committed, N + 1);
    assert_int_equal(st.failed, 0);
    /* The blocker's batch, then full batches of 256: 1 + 4. */
    assert_int_equal(st.batches, 5);
    assert_int_equal(st.largest_batch, 256);
    assert_int_equal(count_entries(fx, T_DATA), N);
    /* One time per batch: the first 256 share theirs. */
    assert_int_equal(ops[0].now_ms, ops[255].now_ms);
    free(ops);
}

static void test_failure_rolled_back_alone(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    op blocker, a, b, c;
    block_writer(fx, &blocker);
    op_set(&a, fx, "a", 10);
    op_set(&b, fx, "b", 10);
    b.fail = 9;
    op_set(&c, fx, "c", 10);
    submit_ok(fx, &a);
    submit_ok(fx, &b);
    submit_ok(fx, &c);
    sem_post(&fx->release);
    wait_done(fx, 4);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 9);
    assert_string_equal(b.msg, "refused b");
    assert_int_equal(c.status, 0);
    assert_int_equal(read_key(fx, "a"), 10);
    assert_int_equal(read_key(fx, "b"), -1);
    assert_int_equal(read_key(fx, "c"), 10);
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    assert_int_equal(st.batches, 2); /* a, b and c shared one */
    assert_int_equal(st.largest_batch, 3); /* the failed request counts in its batch */
    assert_int_equal(st.failed, 1);
}

/* ---- events ---- */

static uint64_t get_u64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Every event in order: seq == key == position, tender_id as given. */
static void check_events(fixture *fx, const char *const *ids, size_t n)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, tnd_store_dbi(fx->s, TND_TABLE_EVENTS), &cur), 0);
    size_t i = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
        assert_true(i < n);
        assert_int_equal(k.mv_size, 8);
        assert_int_equal(get_u64be(k.mv_data), i);
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        assert_int_equal(tender_events_v1_Event_decode(&ev, v.mv_data, v.mv_size, NULL), 0);
        assert_int_equal(ev.seq, i);
        assert_string_equal(ev.tender_id, ids[i]);
        assert_non_null(ev.time);
        assert_true(ev.time->seconds > 1700000000);
        tender_events_v1_Event_free(&ev);
    }
    assert_int_equal(i, n);
    mdb_cursor_close(cur);
    tnd_store_read_end(fx->s, txn);
}

static void test_events(void **state)
{
    fixture *fx = *state;
    enum { N = 10 };
    open_store(fx, NULL);
    op blocker, ops[N];
    const char *ids[N / 2 + 1];
    block_writer(fx, &blocker);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "e%d", i);
        op_set(&ops[i], fx, key, 8);
        ops[i].event = true;
        ops[i].fail = i % 2 ? 9 : 0; /* odd ones append, then fail */
        submit_ok(fx, &ops[i]);
    }
    sem_post(&fx->release);
    wait_done(fx, N + 1);
    for (int i = 0; i < N; i += 2) {
        assert_int_equal(ops[i].status, 0);
        assert_int_equal(ops[i].seq, (uint64_t)i / 2);
        ids[i / 2] = ops[i].key;
    }
    check_events(fx, ids, N / 2);
    close_store(fx);

    open_store(fx, NULL);
    op next;
    op_set(&next, fx, "after", 8);
    next.event = true;
    submit_ok(fx, &next);
    wait_done(fx, N + 2);
    assert_int_equal(next.status, 0);
    assert_int_equal(next.seq, N / 2);
    ids[N / 2] = "after";
    check_events(fx, ids, N / 2 + 1);
}

/* ---- back-pressure, close ---- */

/* A write whose arena ran out fails as a whole even though its function
 * returns 0: its put is not committed and no event is logged; the next
 * write gets a fresh arena. */
static void test_arena_failure_poisons_write(void **state)
{
    fixture *fx = *state;
    open_store(fx, &(tnd_store_opts){.write_arena_max = 64 * 1024});
    op ok, bad, after;
    op_set(&ok, fx, "ok", 10);
    ok.event = true;
    op_set(&bad, fx, "bad", 10);
    bad.event = true;
    bad.hog = 1 << 20; /* more than the write may take */
    op_set(&after, fx, "after", 10);
    after.event = true;
    after.hog = 1024; /* within the cap */
    submit_ok(fx, &ok);
    submit_ok(fx, &bad);
    submit_ok(fx, &after);
    wait_done(fx, 3);
    assert_int_equal(ok.status, 0);
    assert_int_equal(bad.status, TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(bad.msg, "nothing of it was stored"));
    assert_int_equal(after.status, 0);
    assert_int_equal(read_key(fx, "ok"), 10);
    assert_int_equal(read_key(fx, "bad"), -1);
    assert_int_equal(read_key(fx, "after"), 10);
    /* Two events, numbered without a gap: the failed write logged none. */
    assert_int_equal(count_entries(fx, TND_TABLE_EVENTS), 2);
    assert_int_equal(ok.seq, 0);
    assert_int_equal(after.seq, 1);
}

static void test_queue_full(void **state)
{
    fixture *fx = *state;
    open_store(fx, &(tnd_store_opts){.queue_cap = 4});
    op blocker, ops[5];
    block_writer(fx, &blocker);
    int queued = 0, rc;
    for (;;) {
        op_set(&ops[queued], fx, "q", 4);
        rc = tnd_store_submit(fx->s, op_fn, op_done, &ops[queued]);
        if (rc != 0)
            break;
        queued++;
        assert_true(queued < 5);
    }
    assert_int_equal(rc, TND_EAGAIN);
    assert_int_equal(queued, 4);
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    assert_int_equal(st.queued, 4);
    sem_post(&fx->release);
    wait_done(fx, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ops[i].status, 0);
    assert_false(ops[4].done);
}

static void resubmit_done(void *arg, int status, const char *message)
{
    op *o = arg;
    op_done(arg, status, message);
    /* The store is closing: a submit from a late callback is refused. */
    assert_int_equal(tnd_store_submit(o->fx->s, op_fn, op_done, o), TND_ECLOSED);
}

static void test_close_finishes_queue(void **state)
{
    fixture *fx = *state;
    enum { N = 20 };
    open_store(fx, NULL);
    op ops[N];
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "c%02d", i);
        op_set(&ops[i], fx, key, 32);
        assert_int_equal(
            tnd_store_submit(fx->s, op_fn, i == N - 1 ? resubmit_done : op_done, &ops[i]), 0);
    }
    tnd_store_close(fx->s); /* runs every done callback before it returns */
    assert_int_equal(fx->ndone, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(ops[i].status, 0);
    fx->s = NULL;
    assert_int_equal(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    open_store(fx, NULL);
    assert_int_equal(count_entries(fx, T_DATA), N);
}

/* ---- the map ---- */

static void test_map_full(void **state)
{
    fixture *fx = *state;
    const size_t mib = 1 << 20;
    tnd_store_opts opts = {.map_size = mib, .max_map_size = mib};
    open_store(fx, &opts);
    enum { MAX = 200 };
    op *ops = calloc(MAX, sizeof *ops);
    assert_non_null(ops);
    int acked = 0;
    for (; acked < MAX; acked++) {
        char key[32];
        snprintf(key, sizeof key, "m%03d", acked);
        op_set(&ops[acked], fx, key, 16000);
        submit_ok(fx, &ops[acked]);
        wait_done(fx, acked + 1);
        if (ops[acked].status != 0)
            break;
    }
    assert_true(acked > 10 && acked < MAX);
    assert_int_equal(ops[acked].status, 8);
    assert_string_equal(ops[acked].msg, "database is full (map size 1048576 bytes at its maximum "
                                        "1048576); reads still work");
    assert_false(tnd_store_writable(fx->s));
    /* Reads still work, and a failed write left no trace. */
    assert_int_equal(read_key(fx, ops[acked].key), -1);
    for (int i = 0; i < acked; i++)
        assert_int_equal(read_key(fx, ops[i].key), 16000);
    close_store(fx);

    open_store(fx, &opts);
    for (int i = 0; i < acked; i++)
        assert_int_equal(read_key(fx, ops[i].key), 16000);
    free(ops);
}

static size_t env_map_size(fixture *fx)
{
    MDB_txn *txn;
    MDB_envinfo info;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    assert_int_equal(mdb_env_info(mdb_txn_env(txn), &info), 0);
    tnd_store_read_end(fx->s, txn);
    return info.me_mapsize;
}

/* 4 MiB through a 1 MiB map, queued at once: the first batch of 256 alone
 * is larger than the map, so it is rolled back, the map grows, and it runs
 * again. Meanwhile the loop thread keeps reading. */
static void test_map_growth_with_reads(void **state)
{
    fixture *fx = *state;
    enum { N = 300 };
    tnd_store_opts opts = {.map_size = 1 << 20, .max_map_size = 64 << 20};
    open_store(fx, &opts);
    assert_int_equal(env_map_size(fx), 1 << 20);
    op *ops = calloc(N, sizeof *ops);
    assert_non_null(ops);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "w%03d", i);
        op_set(&ops[i], fx, key, 14000);
        submit_ok(fx, &ops[i]);
    }
    size_t seen = 0, reads = 0;
    while (fx->ndone < N) {
        size_t n = count_entries(fx, T_DATA);
        assert_true(n >= seen); /* a snapshot never goes back */
        seen = n;
        reads++;
        uv_run(&fx->loop, UV_RUN_NOWAIT);
    }
    assert_true(reads > 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(ops[i].status, 0);
    assert_int_equal(count_entries(fx, T_DATA), N);
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    assert_true(st.grows >= 2);
    assert_true(st.reruns >= 1);
    assert_true(env_map_size(fx) >= 4u << 20);
    assert_int_equal(st.map_size, env_map_size(fx));
    assert_true(tnd_store_writable(fx->s));
    free(ops);
}

/* A read transaction held on the loop thread across a commit keeps its
 * snapshot and does not hold the writer up; a new one sees the write. */
static void test_read_during_commit(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    MDB_txn *old;
    assert_int_equal(tnd_store_read_begin(fx->s, &old), 0);
    op o;
    op_set(&o, fx, "fresh", 16);
    submit_ok(fx, &o);
    wait_done(fx, 1);
    assert_int_equal(o.status, 0);
    MDB_val k = {.mv_size = 5, .mv_data = "fresh"}, v;
    assert_int_equal(mdb_get(old, tnd_store_dbi(fx->s, T_DATA), &k, &v), MDB_NOTFOUND);
    assert_int_equal(read_key(fx, "fresh"), 16); /* a nested read on the same thread */
    tnd_store_read_end(fx->s, old);
}

static int bad_code_fn(tnd_wtx *w, void *arg)
{
    (void)w;
    (void)arg;
    return TND_ELIMIT; /* a TND_E code instead of a gRPC status: a bug */
}

static void test_bad_status_is_internal(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    op o;
    op_set(&o, fx, "", 0);
    assert_int_equal(tnd_store_submit(fx->s, bad_code_fn, op_done, &o), 0);
    wait_done(fx, 1);
    assert_int_equal(o.status, 13);
    assert_string_equal(o.msg, "write failed: limit exceeded");
}

/* ---- the hook and the idempotency helpers ---- */

static int hook_calls;

static int count_hook(tnd_wtx *w, void *arg)
{
    (void)arg;
    hook_calls++;
    uint8_t n = (uint8_t)hook_calls;
    return tnd_wtx_put_raw(w, TND_TABLE_META, "hook", 4, &n, 1) == 0 ? 0 : 13;
}

static int failing_hook(tnd_wtx *w, void *arg)
{
    (void)arg;
    return tnd_wtx_fail(w, 14, "log signer unavailable");
}

static void test_batch_hook(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    hook_calls = 0;
    tnd_store_set_batch_hook(fx->s, count_hook, NULL);
    op a, b;
    op_set(&a, fx, "h1", 4);
    submit_ok(fx, &a);
    wait_done(fx, 1);
    assert_int_equal(a.status, 0);
    assert_int_equal(hook_calls, 1);

    tnd_store_set_batch_hook(fx->s, failing_hook, NULL);
    op_set(&b, fx, "h2", 4);
    submit_ok(fx, &b);
    wait_done(fx, 2);
    assert_int_equal(b.status, 14);
    assert_string_equal(b.msg, "log signer unavailable");
    assert_int_equal(read_key(fx, "h2"), -1);
    tnd_store_set_batch_hook(fx->s, NULL, NULL);
}

/* After the hook and before the commit, for the writes that succeeded: it
 * reads what the hook wrote in the batch transaction, on the writer thread;
 * done follows once the batch committed. */
typedef struct after_seen {
    bool ran, on_loop;
    int hook_value; /* META "hook" as the after function read it; -1: absent */
} after_seen;

static after_seen seen[2];

static void after_fn(tnd_wtx *w, void *arg)
{
    op *o = arg;
    after_seen *a = &seen[o->key[1] - '1'];
    a->ran = true;
    a->on_loop = pthread_equal(pthread_self(), o->fx->loop_thread);
    MDB_val k = {.mv_size = 4, .mv_data = "hook"}, v;
    a->hook_value = mdb_get(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_META), &k,
                            &v) == 0 && v.mv_size == 1
                        ? *(uint8_t *)v.mv_data
                        : -1;
}

static void test_after_runs_after_the_hook(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    memset(seen, 0, sizeof seen);
    hook_calls = 0;
    tnd_store_set_batch_hook(fx->s, count_hook, NULL);
    op a, b;
    op_set(&a, fx, "a1", 4);
    op_set(&b, fx, "a2", 4);
    b.fail = 9;
    assert_int_equal(tnd_store_submit_after(fx->s, op_fn, after_fn, op_done, &a), 0);
    assert_int_equal(tnd_store_submit_after(fx->s, op_fn, after_fn, op_done, &b), 0);
    wait_done(fx, 2);
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 9);
    assert_true(seen[0].ran);
    assert_false(seen[0].on_loop);
    assert_int_equal(seen[0].hook_value, 1); /* the hook of its own batch had run */
    assert_false(seen[1].ran);               /* a failed write gets no after */
    assert_int_equal(read_key(fx, "a1"), 4);
    tnd_store_set_batch_hook(fx->s, NULL, NULL);
}

/* One encoding stored and hashed: the hash is tnd_msg_hash's and that of
 * the bytes stored. */
static uint8_t hashed[32];

static int put_hashed_fn(tnd_wtx *w, void *arg)
{
    (void)arg;
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    ev.kind = tender_events_v1_EventKind_TENDER_CREATED;
    ev.tender_id = "T-2026-000042";
    ev.note = "hashed";
    return tnd_wtx_put_msg_hashed(w, T_DATA, "hashed", 6, &tender_events_v1_Event_desc, &ev,
                                  hashed) == 0
               ? 0
               : 13;
}

/* tnd_wtx_get_msg_cached: one record read by many requests of a batch. A
 * step puts (when put is set) the record "memo" as an Event whose
 * tender_id is put, reads it through the cache (twice), and fails when
 * fail is set; what it read is kept in seen. */
typedef struct memo_step {
    fixture *fx;
    const char *put;
    bool fail;
    char seen[16];
    int status;
    bool done;
} memo_step;

static int memo_fn(tnd_wtx *w, void *arg)
{
    memo_step *m = arg;
    tender_events_v1_Event ev, again;
    if (m->put) {
        tender_events_v1_Event_init(&ev);
        ev.tender_id = (char *)m->put;
        int rc = tnd_wtx_put_msg(w, T_DATA, "memo", 4, &tender_events_v1_Event_desc, &ev);
        if (rc != 0)
            return tnd_wtx_fail(w, 13, "put: %s", tnd_strerror(rc));
    }
    int rc = tnd_wtx_get_msg_cached(w, T_DATA, "memo", 4, &tender_events_v1_Event_desc, &ev);
    if (rc == 0)
        rc = tnd_wtx_get_msg_cached(w, T_DATA, "memo", 4, &tender_events_v1_Event_desc, &again);
    if (rc != 0)
        return tnd_wtx_fail(w, 13, "read: %s", tnd_strerror(rc));
    snprintf(m->seen, sizeof m->seen, "%s", ev.tender_id ? ev.tender_id : "");
    if (strcmp(ev.tender_id, again.tender_id) != 0)
        return tnd_wtx_fail(w, 13, "the second read differs");
    return m->fail ? tnd_wtx_fail(w, 9, "undone") : 0;
}

static void memo_done(void *arg, int status, const char *message)
{
    (void)message;
    memo_step *m = arg;
    m->status = status;
    m->done = true;
    m->fx->ndone++;
}

static void test_a_cached_read_sees_every_write_and_no_undone_one(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    op blocker;
    block_writer(fx, &blocker); /* the steps below run in one batch */
    memo_step steps[] = {
        {.put = "v1"},              /* written, then read: v1 */
        {.put = NULL},              /* read again: v1, from the cache */
        {.put = "v2"},              /* a write replaces what the cache held */
        {.put = "v3", .fail = true}, /* read v3, then the request is undone */
        {.put = NULL},              /* v2: nothing of the undone request */
    };
    const char *want[] = {"v1", "v1", "v2", "v3", "v2"};
    enum { N = sizeof steps / sizeof *steps };
    for (int i = 0; i < N; i++) {
        steps[i].fx = fx;
        assert_int_equal(tnd_store_submit(fx->s, memo_fn, memo_done, &steps[i]), 0);
    }
    sem_post(&fx->release);
    wait_done(fx, N + 1);
    for (int i = 0; i < N; i++) {
        assert_int_equal(steps[i].status, i == 3 ? 9 : 0);
        assert_string_equal(steps[i].seen, want[i]);
    }
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    assert_int_equal(st.batches, 2); /* the blocker's, then the steps' */
    /* The next batch reads what is stored. */
    memo_step later = {.fx = fx};
    assert_int_equal(tnd_store_submit(fx->s, memo_fn, memo_done, &later), 0);
    wait_done(fx, N + 2);
    assert_int_equal(later.status, 0);
    assert_string_equal(later.seen, "v2");
}

static void test_put_msg_hashed(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    op o;
    op_set(&o, fx, "", 0);
    assert_int_equal(tnd_store_submit(fx->s, put_hashed_fn, op_done, &o), 0);
    wait_done(fx, 1);
    assert_int_equal(o.status, 0);
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    ev.kind = tender_events_v1_EventKind_TENDER_CREATED;
    ev.tender_id = "T-2026-000042";
    ev.note = "hashed";
    tnd_bytes h = {0};
    assert_int_equal(tnd_msg_hash(&tender_events_v1_Event_desc, &ev, &h), 0);
    assert_memory_equal(h.data, hashed, 32);
    free(h.data);
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(fx->s, &txn), 0);
    MDB_val k = {.mv_size = 6, .mv_data = "hashed"}, v;
    assert_int_equal(mdb_get(txn, tnd_store_dbi(fx->s, T_DATA), &k, &v), 0);
    uint8_t want[32];
    assert_int_equal(tnd_sha256(v.mv_data, v.mv_size, want), 0);
    tnd_store_read_end(fx->s, txn);
    assert_memory_equal(want, hashed, 32);
}

/* ---- metrics: what the writer and the loop thread report ---- */

typedef struct scraper {
    tnd_metrics *m;
    atomic_bool stop;
    int renders;
} scraper;

/* Another thread renders all the while, as the metrics listener would. */
static void *scrape_loop(void *arg)
{
    scraper *sc = arg;
    while (!atomic_load(&sc->stop)) {
        char *text;
        size_t len;
        if (tnd_metrics_render(sc->m, &text, &len) == 0) {
            free(text);
            sc->renders++;
        }
    }
    return NULL;
}

static int pending_hook(tnd_wtx *w, void *arg)
{
    tnd_metrics_tlog_pending(arg, 41);
    return failing_hook(w, arg);
}

static int publish_hook(tnd_wtx *w, void *arg)
{
    (void)w;
    tnd_metrics_tlog_pending(arg, 42);
    return 0;
}

/* Has the rendered text of m this exact line? */
static bool has_line(tnd_metrics *m, const char *line)
{
    char *text, want[200];
    size_t len;
    assert_int_equal(tnd_metrics_render(m, &text, &len), 0);
    snprintf(want, sizeof want, "\n%s\n", line);
    bool found = strstr(text, want) != NULL;
    if (!found)
        print_error("no line \"%s\" in:\n%s", line, text);
    free(text);
    return found;
}

/* The value of an unlabelled metric in the rendered text of m. */
static unsigned long long value_of(tnd_metrics *m, const char *name)
{
    char *text, want[200];
    size_t len;
    assert_int_equal(tnd_metrics_render(m, &text, &len), 0);
    snprintf(want, sizeof want, "\n%s ", name);
    const char *at = strstr(text, want);
    unsigned long long v = at ? strtoull(at + strlen(want), NULL, 10) : 0;
    free(text);
    assert_non_null(at);
    return v;
}

static void test_metrics(void **state)
{
    fixture *fx = *state;
    enum { N = 300 };
    tnd_metrics *m = tnd_metrics_new();
    assert_non_null(m);
    scraper sc = {.m = m};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, scrape_loop, &sc), 0);
    tnd_store_opts opts = {.metrics = m};
    open_store(fx, &opts);
    char line[200];
    snprintf(line, sizeof line, "tenderd_store_map_size_bytes %zu", env_map_size(fx));
    assert_true(has_line(m, line));
    assert_true(value_of(m, "tenderd_store_used_bytes") > 0);

    /* While the writer is held, the queue fills; then one batch of 1,
     * one of 256 and one of 44. */
    op blocker, *ops = calloc(N, sizeof *ops);
    assert_non_null(ops);
    block_writer(fx, &blocker);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "m%04d", i);
        op_set(&ops[i], fx, key, 64);
        submit_ok(fx, &ops[i]);
    }
    assert_true(has_line(m, "tenderd_store_write_queue_depth 300"));
    sem_post(&fx->release);
    wait_done(fx, N + 1);
    assert_true(has_line(m, "tenderd_store_write_queue_depth 0"));
    assert_true(has_line(m, "tenderd_store_batch_size_bucket{le=\"1\"} 1"));
    assert_true(has_line(m, "tenderd_store_batch_size_bucket{le=\"32\"} 1"));
    assert_true(has_line(m, "tenderd_store_batch_size_bucket{le=\"64\"} 2"));
    assert_true(has_line(m, "tenderd_store_batch_size_bucket{le=\"256\"} 3"));
    assert_true(has_line(m, "tenderd_store_batch_size_count 3"));
    assert_true(has_line(m, "tenderd_store_batch_size_sum 301"));
    tnd_store_stats st;
    tnd_store_get_stats(fx->s, &st);
    snprintf(line, sizeof line, "tenderd_store_map_size_bytes %zu", st.map_size);
    assert_true(has_line(m, line));
    assert_true(value_of(m, "tenderd_store_used_bytes") > N * 64);

    /* The log size a hook sets counts only once its batch commits. */
    tnd_store_set_batch_hook(fx->s, pending_hook, m);
    op f, g;
    op_set(&f, fx, "mf", 4);
    submit_ok(fx, &f);
    wait_done(fx, N + 2);
    assert_int_equal(f.status, 14);
    assert_true(has_line(m, "tenderd_transparency_log_leaves 0"));
    assert_true(has_line(m, "tenderd_store_batch_size_count 3"));
    tnd_store_set_batch_hook(fx->s, publish_hook, m);
    op_set(&g, fx, "mg", 4);
    submit_ok(fx, &g);
    wait_done(fx, N + 3);
    assert_int_equal(g.status, 0);
    assert_true(has_line(m, "tenderd_transparency_log_leaves 42"));
    tnd_store_set_batch_hook(fx->s, NULL, NULL);

    close_store(fx);
    atomic_store(&sc.stop, true);
    pthread_join(th, NULL);
    assert_true(sc.renders > 0);
    tnd_metrics_free(m);
    free(ops);
}

typedef struct idem_op {
    op base;
    int get_rc;
    char reply[32];
} idem_op;

static int idem_fn(tnd_wtx *w, void *arg)
{
    idem_op *o = arg;
    uint8_t *reply = NULL;
    size_t len = 0;
    static const char key[] = "org\0alice\0req-1";
    o->get_rc = tnd_wtx_idem_get(w, key, sizeof key - 1, &reply, &len);
    if (o->get_rc == 0) {
        snprintf(o->reply, sizeof o->reply, "%.*s", (int)len, (const char *)reply);
        free(reply);
        return 0;
    }
    return tnd_wtx_idem_put(w, key, sizeof key - 1, "first", 5) == 0 ? 0 : 13;
}

static void test_idempotency_helpers(void **state)
{
    fixture *fx = *state;
    open_store(fx, NULL);
    idem_op a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.base.fx = b.base.fx = fx;
    assert_int_equal(tnd_store_submit(fx->s, idem_fn, op_done, &a), 0);
    assert_int_equal(tnd_store_submit(fx->s, idem_fn, op_done, &b), 0);
    wait_done(fx, 2);
    assert_int_equal(a.base.status, 0);
    assert_int_equal(a.get_rc, TND_ENOTFOUND);
    assert_int_equal(b.base.status, 0);
    assert_int_equal(b.get_rc, 0); /* sees the first, even within one batch */
    assert_string_equal(b.reply, "first");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format_6_is_converted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_and_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_after_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_rolled_back_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena_failure_poisons_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_finishes_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_growth_with_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_during_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_status_is_internal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_runs_after_the_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_msg_hashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_cached_read_sees_every_write_and_no_undone_one,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
