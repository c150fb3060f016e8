/* The replicated mode's SQL (docs/SCALING.md): the cluster's identity, the
 * writer lease and the committed batches, in PostgreSQL. Blocking libpq
 * calls on one connection each: the replica thread has one, the store's
 * writer thread another (never share a PGconn between threads).
 *
 * The tables (created by the first node that starts, under an advisory
 * lock so that two nodes starting together do not race):
 *
 *   tender_cluster (id 1, store_format, log_key, created)
 *       which tenderd store format and which transparency-log key the
 *       batches belong to; a node with another one is refused.
 *   writer_lease   (id 1, term, holder, expires)
 *       the one writer: its term (counts up at each change of hands), its
 *       advertised address, and until when the lease holds (PostgreSQL's
 *       clock decides).
 *   batches        (seq, term, time_ms, changes)
 *       every committed batch's change set (store/changeset.h), seq its
 *       batch number, the primary key: a number is used once.
 *
 * Every function returns 0 or a negative TND_E code with the reason in err:
 * TND_EIO means the connection failed (reconnect and retry), other codes
 * are answers. */
#ifndef TND_SERVER_REPLICA_PG_H
#define TND_SERVER_REPLICA_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Connect to uri (libpq's connection string or URI), with
 * synchronous_commit on for the session. */
int tnd_pg_connect(const char *uri, PGconn **out, char *err, size_t err_len);

/** The primary's synchronous_standby_names ("" when a commit waits for no
 * standby: an acknowledged batch is then on one machine only). */
int tnd_pg_sync_standbys(PGconn *c, char *names, size_t names_len, char *err, size_t err_len);

/** Create the tables if missing, then check this node against the
 * cluster's identity (recorded by the first node): TND_ERANGE with the
 * reason when the store format or the log key differ. */
int tnd_pg_setup(PGconn *c, uint32_t store_format, const char *log_key, char *err,
                 size_t err_len);

/** Take the lease if it has expired (or was never held): on 0, *term is
 * the new term and me its holder for ttl_ms. TND_EAGAIN: another node
 * holds it. */
int tnd_pg_lease_take(PGconn *c, const char *me, uint32_t ttl_ms, uint64_t *term, char *err,
                      size_t err_len);

/** Extend the lease held under term by me: TND_ENOTFOUND when it is no
 * longer ours (expired and taken, or expired). */
int tnd_pg_lease_renew(PGconn *c, const char *me, uint64_t term, uint32_t ttl_ms, char *err,
                       size_t err_len);

/** Give up the lease held under term by me (it expires now): another
 * node may take it at once. */
int tnd_pg_lease_release(PGconn *c, const char *me, uint64_t term, char *err, size_t err_len);

/** Run one SQL command (BEGIN, COMMIT, ROLLBACK). */
int tnd_pg_exec(PGconn *c, const char *sql, char *err, size_t err_len);

/** Who holds the lease (holder, "" if never held) and whether it is still
 * valid. */
int tnd_pg_lease_read(PGconn *c, char *holder, size_t holder_len, bool *live, char *err,
                      size_t err_len);

/** Called while a command waits for PostgreSQL's answer, once a second:
 * seconds, how long it has waited so far. */
typedef void (*tnd_pg_waiting_fn)(void *arg, unsigned seconds);

/** Commit one batch under the lease, in one statement: the lease row is
 * locked FOR SHARE, so a node taking the lease waits for this commit, or
 * this finds the lease gone. TND_ENOTFOUND: the lease is not ours (nothing
 * committed); TND_EEXISTS: batch seq exists already (nothing committed);
 * TND_EIO: the connection failed, and whether it committed is unknown.
 * PostgreSQL holds a commit as long as its synchronous standby does not
 * confirm it (one that is down holds every commit): waiting (may be NULL)
 * hears about it each second meanwhile. */
int tnd_pg_batch_insert(PGconn *c, const char *me, uint64_t term, uint64_t seq, int64_t time_ms,
                        const uint8_t *changes, size_t len, tnd_pg_waiting_fn waiting, void *arg,
                        char *err, size_t err_len);

/** The batches after seq, in order, at most limit of them: on 0, *res
 * holds the rows (column 0 seq as 8 bytes big-endian, column 1 the change
 * set; binary), to PQclear. */
int tnd_pg_batches_after(PGconn *c, uint64_t after, int limit, PGresult **res, char *err,
                         size_t err_len);

/** The last batch's number and time (0 and 0 when there is none). */
int tnd_pg_last_batch(PGconn *c, uint64_t *seq, int64_t *time_ms, char *err, size_t err_len);

#endif
