/* The store writer's commit gate in the replicated mode (replica.h): each
 * batch is committed to PostgreSQL, under the lease, before LMDB commits
 * it. Runs on the store's writer thread, with its own connection. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ops/logging.h"
#include "ops/metrics.h"
#include "replica_internal.h"
#include "tender/error.h"
#include "tender/status.h"

#define CATCH_UP_CHUNK 16

long tnd__replica_catch_up(tnd_replica *r, PGconn *c,
                           int (*apply)(tnd_store *, const uint8_t *, size_t, char *, size_t),
                           char *err, size_t err_len)
{
    long applied = 0;
    for (;;) {
        PGresult *res;
        int rc = tnd_pg_batches_after(c, tnd_store_batch_seq(r->store), CATCH_UP_CHUNK, &res, err,
                                      err_len);
        if (rc != 0)
            return rc;
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            rc = apply(r->store, (const uint8_t *)PQgetvalue(res, i, 1),
                       (size_t)PQgetlength(res, i, 1), err, err_len);
            /* Read before this node's writer thread committed its own last
             * batch (PostgreSQL first, then LMDB, so what LMDB holds is
             * always a prefix of PostgreSQL's batches): it is here. */
            if (rc == TND_EEXISTS)
                continue;
            if (rc != 0) {
                PQclear(res);
                return rc;
            }
            applied++;
        }
        PQclear(res);
        if (n < CATCH_UP_CHUNK)
            return applied;
    }
}

static int unavailable(char *msg, size_t msg_len, const char *fmt, const char *why)
{
    snprintf(msg, msg_len, fmt, why);
    return TND_STATUS_UNAVAILABLE;
}

static void drop_conn(tnd_replica *r)
{
    PQfinish(r->wconn);
    r->wconn = NULL;
}

static int gate_before(void *arg, tnd_store *s, char *msg, size_t msg_len)
{
    (void)s;
    tnd_replica *r = arg;
    if (!atomic_load(&r->writer))
        return unavailable(msg, msg_len, "%s",
                           "this node is not the writer; retry on the writer (the client "
                           "moves to it)");
    char err[400];
    if (!r->wconn && tnd_pg_connect(r->uri, &r->wconn, err, sizeof err) != 0)
        return unavailable(msg, msg_len, "cannot reach the replicated store (%s); retry", err);
    if (r->need_sync) {
        long n = tnd__replica_catch_up(r, r->wconn, tnd_store_apply_on_writer, err, sizeof err);
        if (n < 0) {
            if (n == TND_EIO)
                drop_conn(r);
            tnd_log(TND_LOG_ERROR, "replica cannot catch up before writing", "error", err,
                    NULL);
            return unavailable(msg, msg_len, "the writer is catching up (%s); retry", err);
        }
        r->need_sync = false;
    }
    return 0;
}

/* PostgreSQL holds the commit: a synchronous standby that is down holds
 * every commit until it is back (or the primary stops waiting for it).
 * Said in the log after 5 s and every 30 s after, and in the metrics. */
typedef struct commit_wait {
    tnd_replica *r;
    uint64_t seq; /* the batch being committed */
} commit_wait;

static void commit_waiting(void *arg, unsigned seconds)
{
    const commit_wait *cw = arg;
    tnd_metrics_set_replica_commit_wait(cw->r->metrics, seconds);
    if (seconds != 5 && (seconds < 30 || seconds % 30 != 0))
        return;
    char batch[24], waited[16];
    snprintf(batch, sizeof batch, "%" PRIu64, cw->seq);
    snprintf(waited, sizeof waited, "%u", seconds);
    tnd_log(TND_LOG_WARN,
            "PostgreSQL has not confirmed a batch's commit; writes wait for it, reads are served. "
            "A synchronous standby that is down holds every commit: see pg_stat_replication on "
            "the primary",
            "batch", batch, "waited_s", waited, NULL);
}

static int gate_commit(void *arg, uint64_t seq, int64_t time_ms, const uint8_t *changes,
                       size_t len, char *msg, size_t msg_len)
{
    tnd_replica *r = arg;
    char err[400];
    uint64_t term = atomic_load(&r->term);
    commit_wait cw = {r, seq};
    int rc = tnd_pg_batch_insert(r->wconn, r->me, term, seq, time_ms, changes, len,
                                 commit_waiting, &cw, err, sizeof err);
    tnd_metrics_set_replica_commit_wait(r->metrics, 0);
    if (rc == 0)
        return 0;
    /* Whatever happened, the next batch first takes what PostgreSQL has. */
    r->need_sync = true;
    switch (rc) {
    case TND_ENOTFOUND:
        /* The replica thread demotes the node, unless it holds a newer term
         * by now; the batches until then find the lease gone as well. */
        atomic_store(&r->lost_term, term);
        tnd_log(TND_LOG_WARN, "replica lost the writer lease; batch rolled back", "error", err,
                NULL);
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->mu);
        return unavailable(msg, msg_len, "%s",
                           "this node is no longer the writer; nothing of this call was "
                           "stored: retry (the client moves to the new writer)");
    case TND_EIO:
        drop_conn(r);
        tnd_log(TND_LOG_ERROR, "replica commit not confirmed", "error", err, NULL);
        return unavailable(msg, msg_len,
                           "the replicated store did not confirm the write (%s); retry with the "
                           "same idempotency key",
                           err);
    default:
        tnd_log(TND_LOG_ERROR, "replica commit refused", "error", err, NULL);
        return unavailable(msg, msg_len, "the replicated store refused the write (%s); retry",
                           err);
    }
}

void tnd__replica_install_gate(tnd_replica *r)
{
    tnd_store_gate g = {.before = gate_before, .commit = gate_commit, .arg = r};
    tnd_store_set_gate(r->store, &g);
}
