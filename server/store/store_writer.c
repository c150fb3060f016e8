/* The writer thread: takes batches off the queue, runs each request in a
 * nested transaction of one batch transaction, runs the batch hook, commits
 * once, and hands the results to the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "ops/logging.h"
#include "store_internal.h"
#include "tender/status.h"

typedef struct batch {
    tnd_store_req *head;
    size_t n;
    int64_t now_ms;
    tnd_batch_hook_fn hook;
    void *hook_arg;
    tnd_changes_fn changes_fn; /* NULL: no one is handed the change set */
    void *changes_arg;
    tnd_store_gate gate;    /* gate.commit NULL: none */
    tnd_changeset_buf *rec; /* the store's, while recorded */
} batch;

/* What the operator and the caller see when the map cannot take more. */
static void full_message(tnd_store *s, char *msg)
{
    size_t map = tnd__store_map_size(s);
    if (map >= s->max_map_size)
        snprintf(msg, TND_STORE_MSG_MAX + 1,
                 "database is full (map size %zu bytes at its maximum %zu); reads still work", map,
                 s->max_map_size);
    else
        snprintf(msg, TND_STORE_MSG_MAX + 1,
                 "database is full (map size %zu bytes, could not grow toward its maximum %zu); "
                 "reads still work",
                 map, s->max_map_size);
}

static void fail_all(batch *b, int code, const char *msg)
{
    for (tnd_store_req *r = b->head; r; r = r->next) {
        r->status = code;
        snprintf(r->msg, sizeof r->msg, "%s", msg);
    }
}

/* A status a done callback can pass on the wire: a write function that
 * returned a negative TND_E code, or a number that is no gRPC code, is an
 * internal error. */
static int sane_status(tnd_wtx *w, int st)
{
    if (st > 0 && st <= TND_STATUS_UNAUTHENTICATED)
        return st;
    if (w->msg[0])
        return TND_STATUS_INTERNAL; /* keep the function's own words */
    if (st < 0)
        return tnd_wtx_fail(w, TND_STATUS_INTERNAL, "write failed: %s", tnd_strerror(st));
    return tnd_wtx_fail(w, TND_STATUS_INTERNAL, "write failed with status %d", st);
}

/* A gate's answer as the status its batch's calls get: a gRPC code as
 * given, anything else UNAVAILABLE (the batch is not stored: retry). */
static int gate_status(int st)
{
    return st > 0 && st <= TND_STATUS_UNAUTHENTICATED ? st : TND_STATUS_UNAVAILABLE;
}

/* An allocation in the write's arena failed: whatever the write function
 * made of it may lack a field, so none of it is kept. */
static int arena_failed(tnd_wtx *w)
{
    return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the write needed more server memory than it may use (%zu bytes); "
                        "nothing of it was stored: retry, or send a smaller request",
                        w->arena->cap);
}

_Atomic size_t tnd_write_arena_max = 0;

/* The arena, empty, for the next write function or batch hook. */
static void arena_start(tnd_store *s)
{
    size_t max = tnd_write_arena_max;
    if (max) {
        /* Counted from nothing (a kept chunk would not count), a chunk per
         * allocation (next_size 0): each cap fails one allocation, in order. */
        tnd_arena_free(&s->arena);
        tnd_arena_init(&s->arena, max);
        s->arena.next_size = 0;
    } else {
        tnd_arena_reset(&s->arena);
        s->arena.cap = s->arena_cap;
    }
}

/* A change set that lost an entry must not commit: the copies would miss it. */
static int record_failed(tnd_wtx *w)
{
    return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the server ran out of memory recording the write; nothing of it was "
                        "stored: retry");
}

/* Run one request in its own transaction nested in the batch, so that its
 * failure rolls back only its own changes (and its part of the change
 * set). Returns true if it reached the end of the map. */
static bool run_request(tnd_store *s, MDB_txn *parent, batch *b, tnd_store_req *r)
{
    r->status = 0;
    r->msg[0] = '\0';
    arena_start(s);
    tnd_changeset_mark mark = {0};
    if (b->rec)
        mark = tnd_changeset_save(b->rec);
    tnd_wtx w = {.s = s, .now_ms = b->now_ms, .msg = r->msg, .arena = &s->arena, .rec = b->rec};
    int rc = mdb_txn_begin(s->env, parent, 0, &w.txn);
    if (rc != 0) {
        r->status = tnd_wtx_fail(&w, TND_STATUS_UNAVAILABLE, "cannot begin a transaction: %s",
                                 mdb_strerror(rc));
        return false;
    }
    int st = r->fn(&w, r->arg);
    if (tnd_arena_failed(w.arena)) /* whatever the function made of it, and answers */
        st = arena_failed(&w);
    if (st == 0 && b->rec && b->rec->failed)
        st = record_failed(&w);
    if (st == 0) {
        /* A raw put that failed poisons the transaction: this commit then
         * fails, so the request is never acknowledged falsely. */
        rc = mdb_txn_commit(w.txn);
        if (rc == MDB_MAP_FULL)
            w.map_full = true;
        else if (rc != 0)
            st = tnd_wtx_fail(&w, TND_STATUS_UNAVAILABLE, "cannot apply the write: %s",
                              mdb_strerror(rc));
    } else {
        mdb_txn_abort(w.txn);
    }
    if (w.map_full) {
        st = TND_STATUS_RESOURCE_EXHAUSTED;
        full_message(s, r->msg);
    }
    if (st != 0) {
        st = sane_status(&w, st);
        if (!r->msg[0])
            snprintf(r->msg, sizeof r->msg, "write failed");
        tnd__wtx_memo_forget(s); /* it may hold what the request wrote, now undone */
    }
    r->status = st;
    if (st != 0 && b->rec)
        tnd_changeset_cut(b->rec, mark);
    return w.map_full;
}

/* Run the batch hook; 0 or the code to fail the batch with (message in msg). */
static int run_hook(tnd_store *s, batch *b, MDB_txn *txn, char *msg, bool *map_full)
{
    msg[0] = '\0';
    arena_start(s);
    tnd_wtx w = {.s = s, .txn = txn, .now_ms = b->now_ms, .msg = msg, .arena = &s->arena,
                 .rec = b->rec};
    int st = b->hook(&w, b->hook_arg);
    if (tnd_arena_failed(w.arena))
        st = arena_failed(&w);
    if (st == 0 && b->rec && b->rec->failed)
        st = record_failed(&w);
    *map_full = w.map_full;
    if (w.map_full) {
        full_message(s, msg);
        return TND_STATUS_RESOURCE_EXHAUSTED;
    }
    if (st != 0) {
        st = sane_status(&w, st);
        if (!msg[0])
            snprintf(msg, TND_STORE_MSG_MAX + 1, "the batch hook failed");
    }
    return st;
}

/* A recorded batch's number, kept in META inside the batch (and so in its
 * change set); 0 or the code to fail the batch with (message in msg). */
static int next_batch(tnd_store *s, batch *b, MDB_txn *txn, char *msg, uint64_t *seq,
                      bool *map_full)
{
    msg[0] = '\0';
    tnd_wtx w = {.s = s, .txn = txn, .now_ms = b->now_ms, .msg = msg, .arena = &s->arena,
                 .rec = b->rec};
    int rc = tnd__wtx_next_batch(&w, seq);
    if (w.map_full) {
        *map_full = true;
        full_message(s, msg);
        return TND_STATUS_RESOURCE_EXHAUSTED;
    }
    if (rc == 0 && b->rec->failed)
        return record_failed(&w);
    if (rc != 0)
        return tnd_wtx_fail(&w, TND_STATUS_UNAVAILABLE, "cannot number the batch: %s",
                            tnd_strerror(rc));
    return 0;
}

/* The after functions of the writes that succeeded, in the batch
 * transaction once the hook has run. */
static void run_after(tnd_store *s, batch *b, MDB_txn *txn)
{
    char msg[TND_STORE_MSG_MAX + 1];
    for (tnd_store_req *r = b->head; r; r = r->next) {
        if (r->status != 0 || !r->after)
            continue;
        msg[0] = '\0';
        arena_start(s);
        tnd_wtx w = {.s = s, .txn = txn, .now_ms = b->now_ms, .msg = msg, .arena = &s->arena};
        r->after(&w, r->arg);
    }
}

/* Below this many free bytes, a failed commit is put down to a full disk. */
#define LOW_SPACE (1u << 20)

/* Whether a commit failed for want of disk space. LMDB reports a write cut
 * short by a file system that filled up as EIO ("short write, filesystem
 * full?"): when the database's file system has (almost) no space left,
 * that is what it was. */
static bool disk_full(const tnd_store *s, int rc)
{
    struct statvfs v;
    return rc == ENOSPC || (rc == EIO && statvfs(s->dir, &v) == 0 &&
                            (unsigned long long)v.f_bavail * v.f_frsize < LOW_SPACE);
}

/* One attempt at the batch. Returns true when the batch was rolled back
 * because it reached the end of a map that may still grow (only when
 * may_rerun); otherwise every request has its status. */
/* One info line per group commit: how many writes one fsync carried and how
 * long the batch took (run, hook, commit). */
static void log_commit(const batch *b, size_t ok, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
    char n[24], nok[24], dur[32];
    snprintf(n, sizeof n, "%zu", b->n);
    snprintf(nok, sizeof nok, "%zu", ok);
    snprintf(dur, sizeof dur, "%.3f", ms);
    tnd_log(TND_LOG_INFO, "group commit", "batch", n, "ok", nok, "duration_ms", dur, NULL);
}

static bool try_batch(tnd_store *s, batch *b, bool may_rerun)
{
    char msg[TND_STORE_MSG_MAX + 1];
    MDB_txn *txn;
    tnd_metrics_batch_begin(s->metrics);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    tnd__wtx_memo_forget(s); /* what it holds may be from an earlier batch, or another writer */
    if (rc != 0) {
        snprintf(msg, sizeof msg, "cannot begin the batch transaction: %s", mdb_strerror(rc));
        fail_all(b, TND_STATUS_UNAVAILABLE, msg);
        return false;
    }
    bool map_full = false, committed = false;
    size_t ok = 0;
    uint64_t seq = 0;
    if (b->rec) /* only the attempt that commits is handed on */
        tnd_changeset_reset(b->rec);
    for (tnd_store_req *r = b->head; r; r = r->next) {
        map_full |= run_request(s, txn, b, r);
        ok += r->status == 0;
    }
    bool rerun = may_rerun && tnd__store_map_size(s) < s->max_map_size;
    if ((map_full && rerun) || ok == 0) {
        mdb_txn_abort(txn); /* nothing to keep: no fsync for a batch of failures */
        goto out;
    }
    if (b->hook) {
        bool hook_full;
        int st = run_hook(s, b, txn, msg, &hook_full);
        map_full |= hook_full;
        if (st != 0) {
            mdb_txn_abort(txn);
            if (!(hook_full && rerun))
                fail_all(b, st, msg);
            goto out;
        }
    }
    if (b->rec) {
        int st = next_batch(s, b, txn, msg, &seq, &map_full);
        if (st != 0) {
            mdb_txn_abort(txn);
            if (!(map_full && rerun))
                fail_all(b, st, msg);
            goto out;
        }
    }
    run_after(s, b, txn);
    if (b->rec)
        tnd_changeset_finish(b->rec, seq, b->now_ms);
    if (b->gate.commit) {
        msg[0] = '\0';
        int st = b->gate.commit(b->gate.arg, seq, b->now_ms, b->rec->data, b->rec->len, msg,
                                sizeof msg);
        if (st != 0) {
            mdb_txn_abort(txn);
            if (!msg[0])
                snprintf(msg, sizeof msg, "the batch could not be replicated; retry");
            fail_all(b, gate_status(st), msg);
            goto out;
        }
    }
    rc = mdb_txn_commit(txn); /* frees txn whatever it returns */
    if (rc == MDB_MAP_FULL) {
        map_full = true;
        full_message(s, msg);
        if (!rerun)
            fail_all(b, TND_STATUS_RESOURCE_EXHAUSTED, msg);
    } else if (rc != 0) {
        /* After a failed fsync nothing written is trustworthy: stop writing. */
        bool full = disk_full(s, rc);
        const char *why = full ? "no space left on device" : mdb_strerror(rc);
        snprintf(msg, sizeof msg, "the database could not save the write: %s; %srestart tenderd",
                 why, full ? "free space on its file system, then " : "");
        fail_all(b, TND_STATUS_UNAVAILABLE, msg);
        atomic_store(&s->failed, true);
        tnd_log(TND_LOG_ERROR, "store commit failed; writes stopped", "dir", s->dir, "error", why,
                NULL);
    } else {
        committed = true;
        pthread_mutex_lock(&s->mu);
        s->stats.batches++;
        if (b->n > s->stats.largest_batch)
            s->stats.largest_batch = b->n;
        pthread_mutex_unlock(&s->mu);
        tnd_metrics_batch_committed(s->metrics, b->n);
        tnd__store_publish_size(s);
        log_commit(b, ok, &t0);
        tnd__store_raise_floor(s, b->now_ms);
        if (seq)
            tnd_metrics_set_batch_seq(s->metrics, seq);
        if (b->changes_fn)
            b->changes_fn(b->changes_arg, seq, b->now_ms, b->rec->data, b->rec->len);
    }
out:
    if (map_full && rerun)
        return true;
    if (map_full)
        atomic_store(&s->full, true);
    else if (committed)
        atomic_store(&s->full, false); /* there was room after all (deletions) */
    return false;
}

/* Grow first if the map is filling up; rerun after growing when the batch
 * reached the end of the map. Every attempt uses the same batch time. */
static void run_batch(tnd_store *s, batch *b)
{
    if (atomic_load(&s->failed)) {
        fail_all(b, TND_STATUS_UNAVAILABLE,
                 "the database failed to save an earlier write; restart tenderd");
        return;
    }
    if (b->gate.before) {
        char msg[TND_STORE_MSG_MAX + 1] = "";
        int st = b->gate.before(b->gate.arg, s, msg, sizeof msg);
        if (st != 0) {
            fail_all(b, gate_status(st), msg[0] ? msg : "the store cannot write now; retry");
            return;
        }
    }
    tnd__store_grow(s, false);
    bool may_rerun = true;
    while (try_batch(s, b, may_rerun)) {
        /* If growing fails, the next attempt answers instead of looping. */
        may_rerun = tnd__store_grow(s, true);
        pthread_mutex_lock(&s->mu);
        s->stats.reruns++;
        pthread_mutex_unlock(&s->mu);
    }
}

/* Take up to max_batch requests off the queue (mu held). An apply request
 * is a batch of its own. */
static void take_batch(tnd_store *s, batch *b)
{
    *b = (batch){.head = s->queue.head,
                 .hook = s->hook,
                 .hook_arg = s->hook_arg,
                 .changes_fn = s->changes_fn,
                 .changes_arg = s->changes_arg,
                 .gate = s->gate,
                 .rec = s->changes_fn || s->gate.commit ? &s->changes : NULL};
    tnd_store_req *last = s->queue.head;
    b->n = 1;
    while (!b->head->apply && b->n < s->max_batch && last->next && !last->next->apply) {
        last = last->next;
        b->n++;
    }
    s->queue.head = last->next;
    if (!s->queue.head)
        s->queue.tail = NULL;
    s->queue.n -= b->n;
    tnd_metrics_set_queue_depth(s->metrics, s->queue.n);
    last->next = NULL;
}

/* Append the finished batch to the results (mu held). */
static void put_results(tnd_store *s, batch *b)
{
    tnd_store_req *last = b->head;
    for (tnd_store_req *r = b->head; r; r = r->next) {
        if (r->status == 0)
            s->stats.committed++;
        else
            s->stats.failed++;
        last = r;
    }
    if (s->results.tail)
        s->results.tail->next = b->head;
    else
        s->results.head = b->head;
    s->results.tail = last;
    s->results.n += b->n;
}

void *tnd__store_writer_main(void *arg)
{
    tnd_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->queue.head && !s->stopping)
            pthread_cond_wait(&s->wake, &s->mu);
        if (!s->queue.head)
            break; /* stopping, and everything queued is done */
        batch b;
        take_batch(s, &b);
        pthread_mutex_unlock(&s->mu);
        if (b.head->apply) {
            tnd__store_run_apply(s, b.head);
            pthread_mutex_lock(&s->mu);
            b.head->finished = true; /* the waiter frees it */
            pthread_cond_broadcast(&s->applied);
            continue;
        }

        b.now_ms = tnd_clock_ms(s->clock);
        int64_t floor = atomic_load(&s->time_floor);
        if (b.now_ms < floor)
            b.now_ms = floor;
        run_batch(s, &b);

        pthread_mutex_lock(&s->mu);
        put_results(s, &b);
        pthread_mutex_unlock(&s->mu);
        /* Coalesced: several sends before the loop wakes give one callback,
         * which takes every result there is. */
        uv_async_send(&s->async);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}
