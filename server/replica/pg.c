/* The replicated mode's SQL: see pg.h. */
#include "pg.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "tender/error.h"

/* The advisory lock the table creation runs under (any constant: "tndr"). */
#define SETUP_LOCK "1952740466"

/* What went wrong, from a result (or the connection when there is none);
 * TND_EIO when the connection is gone, else code. */
static int fail(PGconn *c, PGresult *r, int code, const char *what, char *err, size_t err_len)
{
    const char *why = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    if (!why || !*why)
        why = PQerrorMessage(c);
    size_t n = strlen(why);
    while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
        n--;
    snprintf(err, err_len, "PostgreSQL: %s: %.*s", what, (int)n, why);
    if (r)
        PQclear(r);
    return PQstatus(c) == CONNECTION_OK ? code : TND_EIO;
}

/* "relation ... already exists, skipping" and the like: not for the operator. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int tnd_pg_connect(const char *uri, PGconn **out, char *err, size_t err_len)
{
    *out = NULL;
    /* Defaults the URI may override (it is expanded after them): a dead
     * machine must not hang the writer, so connecting and an unanswered
     * socket time out. */
    static const char *const keys[] = {"connect_timeout", "keepalives_idle",
                                       "keepalives_interval", "keepalives_count",
                                       "tcp_user_timeout", "dbname", NULL};
    const char *const vals[] = {"5", "5", "2", "3", "10000", uri, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c) {
        snprintf(err, err_len, "PostgreSQL: out of memory");
        return TND_ENOMEM;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        int rc = fail(c, NULL, TND_EIO, "cannot connect", err, err_len);
        PQfinish(c);
        return rc;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    /* Whatever the server's default: a commit waits for the synchronous
     * standbys PostgreSQL has (synchronous_standby_names). */
    PGresult *r = PQexec(c, "SET synchronous_commit TO on");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        int rc = fail(c, r, TND_EIO, "cannot set synchronous_commit", err, err_len);
        PQfinish(c);
        return rc;
    }
    PQclear(r);
    *out = c;
    return 0;
}

int tnd_pg_sync_standbys(PGconn *c, char *names, size_t names_len, char *err, size_t err_len)
{
    PGresult *r = PQexec(c, "SELECT current_setting('synchronous_standby_names')");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return fail(c, r, TND_EIO, "cannot read synchronous_standby_names", err, err_len);
    snprintf(names, names_len, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t err_len)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, TND_EIO, what, err, err_len);
    PQclear(r);
    return 0;
}

/* One command with text parameters (INSERT, UPDATE); *rows (may be NULL)
 * the rows it changed. */
static int command(PGconn *c, const char *sql, int n, const char *const *p, const char *what,
                   long *rows, char *err, size_t err_len)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        return fail(c, r, TND_EIO, what, err, err_len);
    if (rows)
        *rows = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int tnd_pg_exec(PGconn *c, const char *sql, char *err, size_t err_len)
{
    return exec_ok(c, sql, sql, err, err_len);
}

int tnd_pg_setup(PGconn *c, uint32_t store_format, const char *log_key, char *err,
                 size_t err_len)
{
    static const char create[] =
        "BEGIN;"
        "SELECT pg_advisory_xact_lock(" SETUP_LOCK ");"
        "CREATE TABLE IF NOT EXISTS tender_cluster ("
        " id int PRIMARY KEY CHECK (id = 1), store_format int NOT NULL, log_key text NOT NULL,"
        " created timestamptz NOT NULL DEFAULT now());"
        "CREATE TABLE IF NOT EXISTS writer_lease ("
        " id int PRIMARY KEY CHECK (id = 1), term bigint NOT NULL, holder text NOT NULL,"
        " expires timestamptz NOT NULL);"
        "INSERT INTO writer_lease VALUES (1, 0, '', '-infinity') ON CONFLICT DO NOTHING;"
        "CREATE TABLE IF NOT EXISTS batches ("
        " seq bigint PRIMARY KEY, term bigint NOT NULL, time_ms bigint NOT NULL,"
        " changes bytea NOT NULL);"
        "COMMIT;";
    int rc = exec_ok(c, create, "cannot create the tables", err, err_len);
    if (rc != 0) {
        PQclear(PQexec(c, "ROLLBACK"));
        return rc;
    }
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%" PRIu32, store_format);
    const char *p[2] = {fmt, log_key};
    rc = command(c,
                 "INSERT INTO tender_cluster (id, store_format, log_key) "
                 "VALUES (1, $1, $2) ON CONFLICT DO NOTHING",
                 2, p, "cannot record the cluster", NULL, err, err_len);
    if (rc != 0)
        return rc;
    PGresult *r = PQexec(c, "SELECT store_format, log_key FROM tender_cluster WHERE id = 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return fail(c, r, TND_EIO, "cannot read the cluster", err, err_len);
    rc = 0;
    if (strcmp(PQgetvalue(r, 0, 0), fmt) != 0) {
        snprintf(err, err_len,
                 "the cluster's batches are in store format %s and this tenderd writes format "
                 "%s: run the same tenderd version on every node",
                 PQgetvalue(r, 0, 0), fmt);
        rc = TND_ERANGE;
    } else if (strcmp(PQgetvalue(r, 0, 1), log_key) != 0) {
        snprintf(err, err_len,
                 "this node's log key (%s) is not the cluster's (%s): copy the cluster's "
                 "log.key into this node's database folder",
                 log_key, PQgetvalue(r, 0, 1));
        rc = TND_ERANGE;
    }
    PQclear(r);
    return rc;
}

int tnd_pg_lease_take(PGconn *c, const char *me, uint32_t ttl_ms, uint64_t *term, char *err,
                      size_t err_len)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%" PRIu32, ttl_ms);
    const char *p[2] = {me, ttl};
    PGresult *r = PQexecParams(c,
                               "UPDATE writer_lease SET term = term + 1, holder = $1,"
                               " expires = now() + $2 * interval '1 millisecond'"
                               " WHERE id = 1 AND expires < now() RETURNING term",
                               2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, TND_EIO, "cannot take the writer lease", err, err_len);
    int rc = TND_EAGAIN;
    if (PQntuples(r) == 1) {
        *term = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int tnd_pg_lease_renew(PGconn *c, const char *me, uint64_t term, uint32_t ttl_ms, char *err,
                       size_t err_len)
{
    char ttl[16], t[24];
    snprintf(ttl, sizeof ttl, "%" PRIu32, ttl_ms);
    snprintf(t, sizeof t, "%" PRIu64, term);
    const char *p[3] = {me, ttl, t};
    long rows = 0;
    int rc = command(c,
                     "UPDATE writer_lease SET expires = now() + $2 * interval '1 millisecond'"
                     " WHERE id = 1 AND term = $3 AND holder = $1 AND expires > now()",
                     3, p, "cannot renew the writer lease", &rows, err, err_len);
    if (rc == 0 && rows != 1) {
        snprintf(err, err_len, "the writer lease of term %" PRIu64 " is no longer this node's",
                 term);
        rc = TND_ENOTFOUND;
    }
    return rc;
}

int tnd_pg_lease_release(PGconn *c, const char *me, uint64_t term, char *err, size_t err_len)
{
    char t[24];
    snprintf(t, sizeof t, "%" PRIu64, term);
    const char *p[2] = {me, t};
    return command(c, "UPDATE writer_lease SET expires = now() WHERE id = 1 AND term = $2"
                      " AND holder = $1",
                   2, p, "cannot give the writer lease up", NULL, err, err_len);
}

int tnd_pg_lease_read(PGconn *c, char *holder, size_t holder_len, bool *live, char *err,
                      size_t err_len)
{
    PGresult *r = PQexec(c, "SELECT holder, expires > now() FROM writer_lease WHERE id = 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return fail(c, r, TND_EIO, "cannot read the writer lease", err, err_len);
    snprintf(holder, holder_len, "%s", PQgetvalue(r, 0, 0));
    *live = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    PQclear(r);
    return 0;
}

/* PQexecParams, but waiting for the answer a second at a time: after each
 * second without one, waiting(arg, seconds so far). NULL when the command
 * could not be sent or no result came (PQerrorMessage says why). */
static PGresult *exec_waiting(PGconn *c, const char *sql, int n, const char *const *p,
                              const int *lens, const int *formats, tnd_pg_waiting_fn waiting,
                              void *arg)
{
    if (!PQsendQueryParams(c, sql, n, NULL, p, lens, formats, 0))
        return NULL;
    unsigned seconds = 0;
    while (PQisBusy(c)) {
        struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
        int ready = poll(&pfd, 1, 1000);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready == 0) {
            if (waiting)
                waiting(arg, ++seconds);
            continue;
        }
        if (ready > 0 && !PQconsumeInput(c))
            break; /* the connection failed: PQgetResult gives its error */
    }
    PGresult *last = NULL, *r;
    while ((r = PQgetResult(c)) != NULL) {
        PQclear(last);
        last = r;
    }
    return last;
}

int tnd_pg_batch_insert(PGconn *c, const char *me, uint64_t term, uint64_t seq, int64_t time_ms,
                        const uint8_t *changes, size_t len, tnd_pg_waiting_fn waiting, void *arg,
                        char *err, size_t err_len)
{
    char s[24], t[24], tm[24];
    snprintf(s, sizeof s, "%" PRIu64, seq);
    snprintf(t, sizeof t, "%" PRIu64, term);
    snprintf(tm, sizeof tm, "%" PRId64, time_ms);
    if (len > INT32_MAX) {
        snprintf(err, err_len, "a batch of %zu bytes is more than PostgreSQL takes", len);
        return TND_ELIMIT;
    }
    const char *p[5] = {s, t, tm, (const char *)changes, me};
    const int lens[5] = {0, 0, 0, (int)len, 0};
    const int formats[5] = {0, 0, 0, 1, 0};
    PGresult *r = exec_waiting(c,
                               "INSERT INTO batches (seq, term, time_ms, changes)"
                               " SELECT $1, $2, $3, $4 FROM writer_lease"
                               " WHERE id = 1 AND term = $2 AND holder = $5 AND expires > now()"
                               " FOR SHARE",
                               5, p, lens, formats, waiting, arg);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "23505") == 0) { /* unique_violation */
            snprintf(err, err_len, "batch %s is in PostgreSQL already", s);
            PQclear(r);
            return TND_EEXISTS;
        }
        return fail(c, r, TND_EIO, "cannot commit the batch", err, err_len);
    }
    int rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : TND_ENOTFOUND;
    if (rc != 0)
        snprintf(err, err_len, "the writer lease of term %s is no longer this node's", t);
    PQclear(r);
    return rc;
}

int tnd_pg_batches_after(PGconn *c, uint64_t after, int limit, PGresult **res, char *err,
                         size_t err_len)
{
    char a[24], l[16];
    snprintf(a, sizeof a, "%" PRIu64, after);
    snprintf(l, sizeof l, "%d", limit);
    const char *p[2] = {a, l};
    PGresult *r = PQexecParams(c,
                               "SELECT seq, changes FROM batches WHERE seq > $1"
                               " ORDER BY seq LIMIT $2",
                               2, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, TND_EIO, "cannot read batches", err, err_len);
    for (int i = 0; i < PQntuples(r); i++)
        if (PQgetlength(r, i, 0) != 8) {
            snprintf(err, err_len, "PostgreSQL: a batch number is not 8 bytes");
            PQclear(r);
            return TND_EMALFORMED;
        }
    *res = r;
    return 0;
}

int tnd_pg_last_batch(PGconn *c, uint64_t *seq, int64_t *time_ms, char *err, size_t err_len)
{
    PGresult *r = PQexec(c, "SELECT seq, time_ms FROM batches ORDER BY seq DESC LIMIT 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        return fail(c, r, TND_EIO, "cannot read the last batch", err, err_len);
    *seq = 0;
    *time_ms = 0;
    if (PQntuples(r) == 1) {
        *seq = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
        *time_ms = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    PQclear(r);
    return 0;
}
