/* tenderd's Prometheus metrics: counters, gauges and histograms kept in C11
 * atomics, so that the loop thread and the store's writer thread update them
 * without locks and the metrics listener's thread (metrics_http.c) renders
 * them at any time. docs/OPERATIONS.md lists every metric.
 *
 * Every update function accepts a NULL metrics object and then does nothing,
 * so that parts used without a server (the store in its own tests) need no
 * metrics. */
#ifndef TND_SERVER_METRICS_H
#define TND_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tnd_metrics tnd_metrics;

/* Methods with their own series; calls to more (or to unknown names) count
 * under method="unknown". */
#define TND_METRICS_MAX_METHODS 256

/** A new metrics object with every value at zero, or NULL without memory. */
tnd_metrics *tnd_metrics_new(void);

/** Free; NULL is allowed. No thread may use m any more. */
void tnd_metrics_free(tnd_metrics *m);

/** Give a method its own series (loop thread, usually at start-up). key
 * identifies the method (its descriptor); name is its wire name and must
 * outlive m. Adding a key twice is harmless. Returns 0, or TND_ELIMIT when
 * TND_METRICS_MAX_METHODS are taken (the method then counts as "unknown"). */
int tnd_metrics_add_method(tnd_metrics *m, const void *key, const char *name);

/** One call ended with gRPC status code after duration_ns nanoseconds.
 * key is the method's descriptor, NULL (or not added) for an unknown one. */
void tnd_metrics_call(tnd_metrics *m, const void *key, unsigned code, uint64_t duration_ns);

/** Open connections now. */
void tnd_metrics_set_connections(tnd_metrics *m, uint64_t n);

/** A TLS handshake ended: ok, or failed (error, timeout, refused certificate). */
void tnd_metrics_handshake(tnd_metrics *m, bool ok);
/** A completed handshake (counted by tnd_metrics_handshake too) resumed a session. */
void tnd_metrics_handshake_resumed(tnd_metrics *m);
/** Session tickets issued so far (tnd_tls_tickets_issued), after a handshake. */
void tnd_metrics_set_tickets_issued(tnd_metrics *m, uint64_t n);

/** Writer thread: a group commit of n requests was durably committed. Also
 * publishes the transparency log size its batch hook set with
 * tnd_metrics_tlog_pending, if any. */
void tnd_metrics_batch_committed(tnd_metrics *m, size_t n);

/** Writer thread, from the batch hook: the log will have this many leaves
 * if the batch commits. tnd_metrics_batch_begin forgets it. */
void tnd_metrics_tlog_pending(tnd_metrics *m, uint64_t leaves);

/** Writer thread: a batch attempt starts (no log size pending yet). */
void tnd_metrics_batch_begin(tnd_metrics *m);

/** The transparency log's size in leaves (at start-up). */
void tnd_metrics_set_tlog_leaves(tnd_metrics *m, uint64_t leaves);

/** Write requests waiting for the writer. */
void tnd_metrics_set_queue_depth(tnd_metrics *m, uint64_t n);

/** The LMDB map's size and the bytes its pages use. */
void tnd_metrics_set_store_size(tnd_metrics *m, uint64_t map_bytes, uint64_t used_bytes);

/** The replicated mode: this node's role and the lease term (from the
 * first call on, the replica series are served). */
void tnd_metrics_set_replica(tnd_metrics *m, bool writer, uint64_t term);

/** How long the batch being committed has waited for PostgreSQL's answer,
 * in whole seconds (0 when none waits); the store's writer thread. */
void tnd_metrics_set_replica_commit_wait(tnd_metrics *m, uint64_t seconds);

/** The last batch committed or applied (recorded stores only). */
void tnd_metrics_set_batch_seq(tnd_metrics *m, uint64_t seq);

/** A sealed bid was accepted (durably stored). */
void tnd_metrics_bid_received(tnd_metrics *m);

/** A call to a write method was refused because this node is not the writer. */
void tnd_metrics_write_refused(tnd_metrics *m);

/* Witnesses with their own series (tenderd --witness-policy). */
#define TND_METRICS_MAX_WITNESSES 32

/** Name witness i (0 .. TND_METRICS_MAX_WITNESSES - 1), loop thread, at
 * start-up; name is copied (at most 255 bytes). */
void tnd_metrics_add_witness(tnd_metrics *m, size_t i, const char *name);

/** Witness i has cosigned the checkpoint of this size. */
void tnd_metrics_witness_cosigned(tnd_metrics *m, size_t i, uint64_t size);

/** A request to witness i failed: reason is one of "network", "timeout",
 * "too_large", "status", "conflict", "bad_response". */
void tnd_metrics_witness_failed(tnd_metrics *m, size_t i, const char *reason);

/** Render every metric in the Prometheus text format 0.0.4 (any thread).
 * *out is malloc'd, NUL-terminated, *len bytes without the NUL. Returns 0 or
 * TND_ENOMEM. */
int tnd_metrics_render(tnd_metrics *m, char **out, size_t *len)
    __attribute__((warn_unused_result));

#endif
