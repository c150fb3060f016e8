/* Applying another store's change sets (a follower of a replicated store,
 * docs/SCALING.md) and the commit gate's settings: see store.h,
 * "replication". Apply requests go through the writer's queue, so the
 * writer thread stays the only one that writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "keys.h"
#include "ops/logging.h"
#include "store_internal.h"

void tnd__store_raise_floor(tnd_store *s, int64_t ms)
{
    int64_t cur = atomic_load(&s->time_floor);
    while (ms > cur && !atomic_compare_exchange_weak(&s->time_floor, &cur, ms))
        ;
}

void tnd_store_set_time_floor(tnd_store *s, int64_t time_ms)
{
    tnd__store_raise_floor(s, time_ms);
}

void tnd_store_set_gate(tnd_store *s, const tnd_store_gate *gate)
{
    pthread_mutex_lock(&s->mu);
    s->gate = gate ? *gate : (tnd_store_gate){0};
    pthread_mutex_unlock(&s->mu);
}

uint64_t tnd_store_batch_seq(tnd_store *s)
{
    MDB_txn *txn;
    if (tnd_store_read_begin(s, &txn) != 0)
        return 0;
    MDB_val k = {.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ}, v;
    uint64_t seq = 0;
    if (mdb_get(txn, s->dbi[TND_TABLE_META], &k, &v) == 0 && v.mv_size == 8)
        seq = tnd_be64_get(v.mv_data);
    tnd_store_read_end(s, txn);
    return seq;
}

int tnd_store_apply_on_writer(tnd_store *s, const uint8_t *changes, size_t len, char *err,
                              size_t err_len)
{
    tnd_changeset cs;
    int rc = tnd_changeset_decode(changes, len, &cs, err, err_len);
    if (rc != 0)
        return rc;
    tnd__store_grow(s, false);
    for (;;) {
        rc = tnd_changeset_apply(s->env, s->dbi, &cs, err, err_len);
        /* The same change set fits once the map has grown. */
        if (rc != TND_ELIMIT || !tnd__store_grow(s, true))
            break;
    }
    if (rc == 0) {
        tnd__store_raise_floor(s, cs.time_ms);
        tnd_metrics_set_batch_seq(s->metrics, cs.seq);
        tnd__store_publish_size(s);
        pthread_mutex_lock(&s->mu);
        s->stats.batches++;
        pthread_mutex_unlock(&s->mu);
    } else if (rc == TND_ELIMIT) {
        atomic_store(&s->full, true);
    }
    tnd_changeset_free(&cs);
    return rc;
}

void tnd__store_run_apply(tnd_store *s, tnd_store_req *r)
{
    char err[TND_STORE_MSG_MAX + 1] = "";
    int rc = tnd_store_apply_on_writer(s, r->apply, r->apply_len, err, sizeof err);
    r->status = rc;
    snprintf(r->msg, sizeof r->msg, "%s", err);
}

int tnd_store_apply(tnd_store *s, const uint8_t *changes, size_t len, char *err, size_t err_len)
{
    tnd_store_req *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    r->apply = changes;
    r->apply_len = len;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        free(r);
        snprintf(err, err_len, "the store is closing");
        return TND_ECLOSED;
    }
    /* Not counted against queue_cap: the follower sends one at a time. */
    tnd__store_enqueue(s, r);
    while (!r->finished)
        pthread_cond_wait(&s->applied, &s->mu);
    pthread_mutex_unlock(&s->mu);
    int rc = r->status;
    if (rc != 0)
        snprintf(err, err_len, "%s", r->msg);
    free(r);
    return rc;
}
