/* A tenderd node in the replicated mode (docs/SCALING.md): PostgreSQL holds
 * every committed batch, and the nodes take turns as the one writer under
 * a lease.
 *
 * A node starts as a follower: its replica thread applies the batches its
 * LMDB lacks (tnd_store_apply) and watches the lease. When the lease has
 * expired, the follower takes it (a new term), catches up to the last
 * batch, and becomes the writer: from then on every batch the store's
 * writer thread commits goes first to PostgreSQL, inside the lease check
 * (the store's commit gate, installed here), and the replica thread renews
 * the lease every third of its ttl. A writer that finds its lease gone (a
 * refused batch, a refused renewal, or no renewal for a whole ttl) becomes
 * a follower again at once; what it had not committed to PostgreSQL was
 * rolled back, so its LMDB stays a prefix of the one history.
 *
 * The node's role changes reach the owner on the loop thread (on_role):
 * it starts or stops what only the writer runs (the scheduler, the
 * idempotency pruner) and tells the transport which methods to refuse. */
#ifndef TND_SERVER_REPLICA_H
#define TND_SERVER_REPLICA_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "ops/metrics.h"
#include "store/store.h"

typedef struct tnd_replica tnd_replica;

/* On the loop thread: this node is now the writer (is_writer) or a
 * follower; writer is the writer's advertised address when known, else
 * NULL. */
typedef void (*tnd_replica_role_fn)(void *arg, bool is_writer, const char *writer);

/* On the loop thread: the node cannot take part in the cluster (its log
 * key or store format is not the cluster's, or its database diverged);
 * why says what to do. The owner stops the node. */
typedef void (*tnd_replica_fatal_fn)(void *arg, const char *why);

typedef struct tnd_replica_opts {
    const char *uri;       /* libpq connection string or URI */
    const char *me;        /* this node's advertised HOST:PORT: the lease holder's name */
    const char *log_key;   /* the log's verifier key text: the cluster's identity */
    uint32_t lease_ttl_ms; /* 0: 5 s */
    uint32_t poll_ms;      /* how often a follower looks for new batches; 0: 100 ms */
    tnd_metrics *metrics;  /* the role and term go there; may be NULL */
    tnd_replica_role_fn on_role;
    tnd_replica_fatal_fn on_fatal;
    void *arg;
} tnd_replica_opts;

/** Install the commit gate on store (before any write is submitted) and
 * start the replica thread, as a follower. PostgreSQL need not be up: the
 * thread connects, and reconnects, in the background (reads are served
 * from LMDB meanwhile). Call on the loop thread. Returns 0, or TND_EINVAL,
 * TND_ERANGE (the store holds events but no batch number: written by a
 * node alone, it cannot join a cluster) or TND_ENOMEM, with a message in
 * err. */
int tnd_replica_start(uv_loop_t *loop, tnd_store *store, const tnd_replica_opts *opts,
                      tnd_replica **out, char *err, size_t err_len);

/** Stop the replica thread (a writer gives up its role: its lease simply
 * expires) and close its handle, on the loop thread, before the store
 * closes: writes still queued then fail the gate. The memory is freed by
 * the handle's close callback: run the loop once more. NULL is allowed. */
void tnd_replica_stop(tnd_replica *r);

/** Whether a --store value names PostgreSQL (a postgresql:// or postgres://
 * URI): the replicated mode. */
bool tnd_replica_store_is_postgresql(const char *store);

/** tenderd cluster-init (cluster_init.c): make a database one node wrote
 * alone the first batches of a replicated group. The exit status. */
int tnd_cluster_init_main(int argc, char **argv);

/** Whether this node is the writer now (any thread). */
bool tnd_replica_is_writer(const tnd_replica *r);

#endif
