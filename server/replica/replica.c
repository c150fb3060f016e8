/* The replica thread: connect, check the cluster, follow the batches, take
 * and renew the lease; and the node's role as the loop thread sees it. See
 * replica.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/logging.h"
#include "replica_internal.h"
#include "tender/error.h"

#define DEFAULT_TTL_MS 5000u
#define DEFAULT_POLL_MS 100u
#define RECONNECT_MS 1000u

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* ---- the loop thread's side ---- */

static void on_async(uv_async_t *h)
{
    tnd_replica *r = h->data;
    pthread_mutex_lock(&r->mu);
    bool dirty = r->role_dirty;
    r->role_dirty = false;
    char addr[sizeof r->writer_addr], fatal[sizeof r->fatal];
    memcpy(addr, r->writer_addr, sizeof addr);
    memcpy(fatal, r->fatal, sizeof fatal);
    r->fatal[0] = '\0';
    pthread_mutex_unlock(&r->mu);
    if (fatal[0] && r->on_fatal)
        r->on_fatal(r->arg, fatal);
    else if (dirty && r->on_role)
        r->on_role(r->arg, atomic_load(&r->writer), addr[0] ? addr : NULL);
    if (dirty)
        tnd_metrics_set_replica(r->metrics, atomic_load(&r->writer), atomic_load(&r->term));
}

void tnd__replica_publish(tnd_replica *r, bool writer, const char *writer_addr)
{
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->writer, writer);
    snprintf(r->writer_addr, sizeof r->writer_addr, "%s", writer_addr ? writer_addr : "");
    r->role_dirty = true;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
}

static void set_fatal(tnd_replica *r, const char *why)
{
    tnd_log(TND_LOG_ERROR, "replica cannot join the cluster", "error", why, NULL);
    atomic_store(&r->writer, false);
    pthread_mutex_lock(&r->mu);
    snprintf(r->fatal, sizeof r->fatal, "%s", why);
    r->stopping = true;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->async);
}

bool tnd_replica_store_is_postgresql(const char *store)
{
    return strncmp(store, "postgresql://", 13) == 0 || strncmp(store, "postgres://", 11) == 0;
}

bool tnd_replica_is_writer(const tnd_replica *r)
{
    return r && atomic_load(&r->writer);
}

/* ---- the replica thread ---- */

/* Sleep up to ms, or until woken (stop, a lost lease). False when stopping. */
static bool nap(tnd_replica *r, uint32_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    while (!r->stopping && !atomic_load(&r->lost_term)) {
        if (pthread_cond_timedwait(&r->wake, &r->mu, &until) == ETIMEDOUT)
            break;
    }
    bool go_on = !r->stopping;
    pthread_mutex_unlock(&r->mu);
    return go_on;
}

static void drop_conn(tnd_replica *r)
{
    PQfinish(r->conn);
    r->conn = NULL;
}

static void demote(tnd_replica *r, const char *why)
{
    atomic_store(&r->writer, false);
    atomic_store(&r->lost_term, 0);
    char term[24];
    snprintf(term, sizeof term, "%" PRIu64, atomic_load(&r->term));
    tnd_log(TND_LOG_WARN, "replica is a follower again", "term", term, "reason", why, NULL);
    tnd__replica_publish(r, false, NULL);
}

/* Apply what PostgreSQL has beyond this store. A batch that does not fit
 * (out of order, a delete of a missing key) means this node's database is
 * not a copy of the cluster's: it cannot go on. */
static int follow(tnd_replica *r, long *applied)
{
    char err[512];
    long n = tnd__replica_catch_up(r, r->conn, tnd_store_apply, err, sizeof err);
    if (n >= 0) {
        *applied = n;
        return 0;
    }
    if (n == TND_EIO) {
        tnd_log(TND_LOG_WARN, "replica lost PostgreSQL", "error", err, NULL);
        drop_conn(r);
        return (int)n;
    }
    if (n == TND_ECLOSED)
        return (int)n;
    char why[700];
    snprintf(why, sizeof why,
             "this node's database does not follow the cluster's batches after batch %" PRIu64
             " (%s): rebuild it from an empty folder or a backup of the cluster",
             tnd_store_batch_seq(r->store), err);
    set_fatal(r, why);
    return (int)n;
}

/* The lease has expired: try to take it, catch up, and become the writer. */
static void try_take(tnd_replica *r)
{
    char err[512];
    uint64_t term;
    int rc = tnd_pg_lease_take(r->conn, r->me, r->ttl_ms, &term, err, sizeof err);
    if (rc == TND_EIO) {
        drop_conn(r);
        return;
    }
    if (rc != 0)
        return; /* another node was quicker */
    r->renewed_ms = mono_ms();
    /* Taking the lease waited for the old writer's last commit: what is in
     * PostgreSQL now is the whole history to continue. */
    long n;
    if (follow(r, &n) != 0)
        return;
    uint64_t last_seq;
    int64_t last_ms;
    if (tnd_pg_last_batch(r->conn, &last_seq, &last_ms, err, sizeof err) != 0) {
        drop_conn(r);
        return;
    }
    tnd_store_set_time_floor(r->store, last_ms);
    atomic_store(&r->term, term);
    char t[24], s[24];
    snprintf(t, sizeof t, "%" PRIu64, term);
    snprintf(s, sizeof s, "%" PRIu64, tnd_store_batch_seq(r->store));
    tnd_log(TND_LOG_INFO, "replica is the writer", "term", t, "batch", s, "node", r->me, NULL);
    tnd__replica_publish(r, true, r->me);
}

/* A follower's round: new batches, else the lease. */
static void follower_round(tnd_replica *r, char *known_writer, size_t known_len)
{
    /* A batch that found the lease gone after this node gave the role up
     * says nothing new; left set, it would cut every nap short. */
    atomic_store(&r->lost_term, 0);
    long n = 0;
    if (follow(r, &n) != 0 || n > 0)
        return;
    char holder[256], err[512];
    bool live;
    if (tnd_pg_lease_read(r->conn, holder, sizeof holder, &live, err, sizeof err) != 0) {
        drop_conn(r);
        return;
    }
    if (!live) {
        try_take(r);
        if (atomic_load(&r->writer))
            return;
        holder[0] = '\0';
    }
    if (strcmp(holder, known_writer) != 0) {
        snprintf(known_writer, known_len, "%s", holder);
        tnd__replica_publish(r, false, holder[0] ? holder : NULL);
    }
    nap(r, r->poll_ms);
}

/* A writer's round: renew every third of the ttl; give the role up when the
 * lease is gone or could not be renewed for a whole ttl. */
static void writer_round(tnd_replica *r)
{
    /* Only the term this node holds now: a batch of an earlier term that
     * PostgreSQL held past that lease tells nothing about this one. */
    uint64_t lost = atomic_exchange(&r->lost_term, 0);
    if (lost && lost == atomic_load(&r->term)) {
        demote(r, "a batch found the lease gone");
        return;
    }
    char err[512];
    int rc = tnd_pg_lease_renew(r->conn, r->me, atomic_load(&r->term), r->ttl_ms, err, sizeof err);
    if (rc == 0) {
        r->renewed_ms = mono_ms();
    } else if (rc == TND_ENOTFOUND) {
        demote(r, err);
        return;
    } else {
        drop_conn(r);
        if (mono_ms() - r->renewed_ms >= r->ttl_ms)
            demote(r, "the lease could not be renewed in time");
        return;
    }
    nap(r, r->ttl_ms / 3);
}

static void *replica_main(void *arg)
{
    tnd_replica *r = arg;
    bool checked = false;
    bool warned_sync = false; /* the standby check ran on this connection */
    char known_writer[256] = "";
    for (;;) {
        pthread_mutex_lock(&r->mu);
        bool stop = r->stopping;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        char err[512];
        if (!r->conn) {
            if (tnd_pg_connect(r->uri, &r->conn, err, sizeof err) != 0) {
                tnd_log(TND_LOG_WARN, "replica cannot reach PostgreSQL; retrying", "error", err,
                        NULL);
                if (atomic_load(&r->writer) && mono_ms() - r->renewed_ms >= r->ttl_ms)
                    demote(r, "PostgreSQL unreachable for a whole lease");
                nap(r, RECONNECT_MS);
                continue;
            }
            warned_sync = false; /* a new connection, perhaps to a new primary */
        }
        if (!checked) {
            int rc = tnd_pg_setup(r->conn, TND_STORE_FORMAT, r->log_key, err, sizeof err);
            if (rc == TND_ERANGE) {
                set_fatal(r, err);
                break;
            }
            if (rc != 0) {
                drop_conn(r);
                nap(r, RECONNECT_MS);
                continue;
            }
            checked = true;
            tnd_log(TND_LOG_INFO, "replica joined the cluster", "node", r->me, NULL);
        }
        if (!warned_sync) {
            /* Said once per connection: after a failover the new primary may
             * run without a standby until one is back. */
            char names[256];
            if (tnd_pg_sync_standbys(r->conn, names, sizeof names, err, sizeof err) == 0) {
                warned_sync = true;
                if (!names[0])
                    tnd_log(TND_LOG_WARN,
                            "PostgreSQL has no synchronous standby: an acknowledged write is on "
                            "one machine only until one is configured",
                            NULL);
            }
        }
        if (atomic_load(&r->writer)) {
            writer_round(r);
            if (!atomic_load(&r->writer))
                known_writer[0] = '\0';
        } else {
            follower_round(r, known_writer, sizeof known_writer);
        }
    }
    drop_conn(r);
    return NULL;
}

/* ---- start and stop ---- */

static void free_replica(tnd_replica *r)
{
    PQfinish(r->wconn); /* the writer thread has stopped by now */
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->mu);
    free(r->uri);
    free(r->me);
    free(r->log_key);
    free(r);
}

static void on_closed(uv_handle_t *h)
{
    free_replica(h->data);
}

/* Events in a store that has no batch number: written by a node alone,
 * before it joined a cluster. The cluster's batches would land on top of
 * them and the copies diverge, so such a database is refused. */
static uint64_t events_outside_cluster(tnd_store *s)
{
    if (tnd_store_batch_seq(s) != 0)
        return 0;
    MDB_txn *txn;
    MDB_stat st = {0};
    if (tnd_store_read_begin(s, &txn) != 0)
        return 0;
    if (mdb_stat(txn, tnd_store_dbi(s, TND_TABLE_EVENTS), &st) != 0)
        st.ms_entries = 0;
    tnd_store_read_end(s, txn);
    return st.ms_entries;
}

int tnd_replica_start(uv_loop_t *loop, tnd_store *store, const tnd_replica_opts *o,
                      tnd_replica **out, char *err, size_t err_len)
{
    *out = NULL;
    if (!o->uri || !o->me || !*o->me || !o->log_key) {
        snprintf(err, err_len, "the replicated mode needs a PostgreSQL URI and --advertise");
        return TND_EINVAL;
    }
    uint64_t alone = events_outside_cluster(store);
    if (alone) {
        snprintf(err, err_len,
                 "the database holds events written by this node alone (%" PRIu64 "), outside "
                 "a cluster: make them the group's start with `tenderd cluster-init --db DIR "
                 "--store URL`, or start this node on an empty database folder (with the "
                 "cluster's log.key) to take everything from PostgreSQL",
                 alone);
        return TND_ERANGE;
    }
    tnd_replica *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    r->loop = loop;
    r->store = store;
    r->uri = strdup(o->uri);
    r->me = strdup(o->me);
    r->log_key = strdup(o->log_key);
    r->ttl_ms = o->lease_ttl_ms ? o->lease_ttl_ms : DEFAULT_TTL_MS;
    r->poll_ms = o->poll_ms ? o->poll_ms : DEFAULT_POLL_MS;
    r->metrics = o->metrics;
    r->on_role = o->on_role;
    r->on_fatal = o->on_fatal;
    r->arg = o->arg;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (!r->uri || !r->me || !r->log_key || uv_async_init(loop, &r->async, on_async) != 0) {
        free_replica(r);
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    r->async.data = r;
    tnd__replica_install_gate(r);
    if (pthread_create(&r->thread, NULL, replica_main, r) != 0) {
        tnd_store_set_gate(store, NULL);
        uv_close((uv_handle_t *)&r->async, on_closed);
        snprintf(err, err_len, "cannot start the replica thread");
        return TND_ENOMEM;
    }
    r->thread_started = true;
    tnd_metrics_set_replica(r->metrics, false, 0);
    *out = r;
    return 0;
}

void tnd_replica_stop(tnd_replica *r)
{
    if (!r)
        return;
    atomic_store(&r->writer, false); /* queued writes fail the gate from now */
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    r->thread_started = false;
    uv_close((uv_handle_t *)&r->async, on_closed);
}
