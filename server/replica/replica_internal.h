/* What replica.c (the replica thread, the lease, the role) and gate.c (the
 * store writer's commit gate) share. */
#ifndef TND_SERVER_REPLICA_INTERNAL_H
#define TND_SERVER_REPLICA_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pg.h"
#include "replica.h"

struct tnd_replica {
    uv_loop_t *loop;
    tnd_store *store;
    char *uri, *me, *log_key;
    uint32_t ttl_ms, poll_ms;
    tnd_metrics *metrics;
    tnd_replica_role_fn on_role;
    tnd_replica_fatal_fn on_fatal;
    void *arg;

    /* The role, read by the writer thread's gate. The gate writes only
     * while writer is true, under term. */
    atomic_bool writer;
    _Atomic uint64_t term;
    /* The gate found the lease of this term gone (0: not): the replica
     * thread demotes the node if it still holds that term, and not if it
     * took a new one meanwhile (a commit PostgreSQL held past the lease). */
    _Atomic uint64_t lost_term;

    /* mu guards what follows, and wakes the replica thread. */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping;
    bool role_dirty;      /* the loop has not yet heard of the latest role */
    char writer_addr[256]; /* the writer's advertised address, "" unknown */
    char fatal[512];      /* set once: the node cannot take part */

    pthread_t thread;
    bool thread_started;
    uv_async_t async;

    /* The replica thread's own. */
    PGconn *conn;
    uint64_t renewed_ms; /* monotonic: when the lease was last taken or renewed */

    /* The store writer thread's own (gate.c). */
    PGconn *wconn;
    bool need_sync; /* PostgreSQL may hold batches this store lacks */
};

/* gate.c */
void tnd__replica_install_gate(tnd_replica *r);
/** Apply the batches after the store's last one, on whichever thread may
 * (apply: tnd_store_apply or tnd_store_apply_on_writer), until none is
 * left; the number applied, or a negative TND_E code with err. */
long tnd__replica_catch_up(tnd_replica *r, PGconn *c,
                           int (*apply)(tnd_store *, const uint8_t *, size_t, char *, size_t),
                           char *err, size_t err_len);

/* replica.c */
/** From any thread: the role changed; tell the loop. */
void tnd__replica_publish(tnd_replica *r, bool writer, const char *writer_addr);

#endif
