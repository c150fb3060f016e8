/* Expiry of idempotency records (idem.h). IDEM_EXPIRY is keyed by expiry
 * time (u64 BE ms) then the IDEMPOTENCY key, so the due records are the
 * first ones. A timer looks at the first entry in a read transaction and
 * submits a write only when something is due: an idle server makes no
 * empty commits. */
#include "idem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "store/keys.h"
#include "svc.h"

#define MAX_PER_WRITE 1000
#define CHECK_EVERY_MS 60000 /* at most; shorter windows are checked as often as they last */
#define KEY_MAX 512

struct tnd_idem_pruner {
    uv_timer_t timer;
    tnd_server *srv;
    bool busy;      /* a prune write is queued */
    bool stopped;   /* tnd_idem_pruner_stop: freed once the timer closed and no write is queued */
    bool closed;    /* the timer's close callback ran */
    size_t removed; /* by the last write */
};

/* A stopped pruner (a writer that became a follower, or the server
 * stopping) may still have a write queued whose done callback is to come:
 * freed by the later of that and the timer's close. True when stopped: the
 * caller must not touch p again. */
static bool release_if_stopped(tnd_idem_pruner *p)
{
    if (!p->stopped)
        return false;
    if (p->closed && !p->busy)
        free(p);
    return true;
}

int tnd__idem_expire_at(tnd_wtx *w, const char *key, size_t klen, uint64_t window_ms)
{
    uint8_t k[8 + KEY_MAX];
    if (klen > KEY_MAX)
        return TND_EINVAL;
    uint64_t due = (uint64_t)tnd_wtx_now_ms(w) + window_ms;
    size_t kl = tnd_key_idem_expiry(k, sizeof k, due, key, klen);
    return tnd_wtx_put_raw(w, TND_TABLE_IDEM_EXPIRY, k, kl, "", 0);
}

/* The expiry time of the first entry: UINT64_MAX when there is none, 0
 * for a damaged one (pruned at once). */
static uint64_t first_due(tnd_server *srv)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    uint64_t due = UINT64_MAX;
    if (tnd_store_read_begin(srv->store, &txn) != 0)
        return UINT64_MAX;
    if (mdb_cursor_open(txn, tnd_store_dbi(srv->store, TND_TABLE_IDEM_EXPIRY), &cur) == 0) {
        MDB_val k, v;
        const uint8_t *rec;
        size_t rl;
        if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 &&
            (!tnd_key_idem_expiry_parse(k.mv_data, k.mv_size, &due, &rec, &rl) || rl == 0))
            due = 0;
        mdb_cursor_close(cur);
    }
    tnd_store_read_end(srv->store, txn);
    return due;
}

/* Writer thread: remove up to MAX_PER_WRITE due records. */
static int prune(tnd_wtx *w, void *arg)
{
    tnd_idem_pruner *p = arg;
    uint64_t now = (uint64_t)tnd_wtx_now_ms(w);
    MDB_cursor *cur;
    p->removed = 0;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_IDEM_EXPIRY),
                        &cur) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read the idempotency expiry");
    MDB_val k, v;
    int rc = 0;
    uint64_t due;
    const uint8_t *rec;
    size_t rl;
    while (p->removed < MAX_PER_WRITE && mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0) {
        /* A damaged entry (shorter than its time, or naming no record)
         * sorts among the rest: dropped, so that it cannot stop the
         * pruning of every entry after it. */
        bool whole = tnd_key_idem_expiry_parse(k.mv_data, k.mv_size, &due, &rec, &rl) && rl > 0;
        if (whole && due > now)
            break;
        /* Through the store (its change set records both deletes), with a
         * copy of the key: k points into a page the deletes change. The
         * cursor is placed again (MDB_FIRST) before it is read. */
        uint8_t key[TND_STORE_KEY_MAX];
        size_t klen = k.mv_size <= sizeof key ? k.mv_size : 0;
        if (!klen) {
            rc = TND_EINVAL;
            break;
        }
        memcpy(key, k.mv_data, klen);
        if (whole) {
            size_t off = (size_t)(rec - (const uint8_t *)k.mv_data);
            rc = tnd_wtx_del(w, TND_TABLE_IDEMPOTENCY, key + off, rl);
        }
        if (rc == 0 || rc == TND_ENOTFOUND)
            rc = tnd_wtx_del(w, TND_TABLE_IDEM_EXPIRY, key, klen);
        if (rc != 0)
            break;
        p->removed++;
    }
    mdb_cursor_close(cur);
    return rc ? tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot prune idempotency records: %s",
                             tnd_strerror(rc))
              : 0;
}

static void check(tnd_idem_pruner *p);

static void pruned(void *arg, int status, const char *message)
{
    tnd_idem_pruner *p = arg;
    p->busy = false;
    if (release_if_stopped(p))
        return;
    if (status != 0) {
        tnd_log(TND_LOG_ERROR, "pruning expired idempotency records failed", "error", message,
                NULL);
        return; /* the timer tries again */
    }
    char n[24];
    snprintf(n, sizeof n, "%zu", p->removed);
    tnd_log(TND_LOG_DEBUG, "expired idempotency records pruned", "count", n, NULL);
    if (p->removed == MAX_PER_WRITE)
        check(p); /* more are due: go on at once */
}

static void check(tnd_idem_pruner *p)
{
    uint64_t due = first_due(p->srv);
    if (p->busy || due > (uint64_t)tnd_clock_ms(p->srv->clock))
        return;
    p->busy = tnd_store_submit(p->srv->store, prune, pruned, p) == 0;
}

static void on_timer(uv_timer_t *t)
{
    check(t->data);
}

int tnd_idem_pruner_start(tnd_server *srv)
{
    tnd_idem_pruner *p = calloc(1, sizeof *p);
    if (!p)
        return TND_ENOMEM;
    p->srv = srv;
    uv_timer_init(srv->loop, &p->timer);
    p->timer.data = p;
    uint64_t every = srv->cfg.idempotency_window_ms;
    if (every > CHECK_EVERY_MS)
        every = CHECK_EVERY_MS;
    if (every < 100)
        every = 100;
    uv_timer_start(&p->timer, on_timer, every, every);
    srv->idem_pruner = p;
    return 0;
}

void tnd_idem_pruner_clock_moved(tnd_server *srv)
{
    if (srv->idem_pruner)
        check(srv->idem_pruner);
}

static void on_closed(uv_handle_t *h)
{
    tnd_idem_pruner *p = h->data;
    p->closed = true;
    release_if_stopped(p);
}

void tnd_idem_pruner_stop(tnd_server *srv)
{
    tnd_idem_pruner *p = srv->idem_pruner;
    if (!p)
        return;
    srv->idem_pruner = NULL;
    p->stopped = true;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, on_closed);
}
