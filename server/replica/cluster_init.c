/* tenderd cluster-init: a database one node wrote alone becomes the start
 * of a replicated group (docs/OPERATIONS.md, "Running several nodes").
 *
 * Every entry of every table is written to PostgreSQL as the group's first
 * batches (change sets of puts, at most CHUNK bytes each, each carrying its
 * batch number in META), in one PostgreSQL transaction under the writer
 * lease; then the database records the last batch number, in the same LMDB
 * write transaction that read it, so nothing can change in between (a
 * tenderd still running on the folder would wait for it, then find itself
 * refused by the lease). Other nodes then start on empty folders and catch
 * up from batch 1. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "be.h"
#include "config/config.h"
#include "pg.h"
#include "replica.h"
#include "store/changeset.h"
#include "store/keys.h"
#include "tender/error.h"
#include "tlog/tlog.h"

/* Bytes of puts per batch: well under PostgreSQL's 1 GiB for one value. */
#define CHUNK ((size_t)32 << 20)
#define HOLDER "tenderd cluster-init"
#define LEASE_MS 600000u /* held while the batches are written; given up after */

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tenderd cluster-init --db DIR --store postgresql://... [--log-origin NAME]\n"
            "\n"
            "Make the database in DIR, written by one tenderd alone, the start of a replicated\n"
            "group: every entry goes to PostgreSQL as the group's first batches, and DIR\n"
            "records them, so that tenderd --store postgresql://... starts on it. Then start the\n"
            "other nodes on empty folders holding DIR's log.key: they catch up from PostgreSQL.\n"
            "Refused when the group already has batches, or DIR already belongs to one.\n"
            "Stop tenderd on DIR first.\n"
            "\n"
            "  --db DIR          the database folder (with its log.key)\n"
            "  --store URL       the group's PostgreSQL (libpq URI; see tenderd --help)\n"
            "  --log-origin NAME the log's name, as tenderd runs with it (default\n"
            "                    tenderd.local/log)\n");
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

typedef struct seeding {
    PGconn *pg;
    uint64_t term;
    tnd_changeset_buf buf;
    uint64_t seq;      /* batches written */
    uint64_t entries;  /* entries written */
    uint64_t bytes;
} seeding;

/* Close the change set under construction as the next batch and insert it. */
static int flush(seeding *sd, char *err, size_t err_len)
{
    if (sd->buf.count == 0)
        return 0;
    uint64_t seq = sd->seq + 1;
    uint8_t be[8];
    tnd_be64_put(be, seq);
    if (tnd_changeset_add(&sd->buf, TND_CHANGE_PUT, TND_TABLE_META, TND_META_BATCH_SEQ,
                          sizeof TND_META_BATCH_SEQ - 1, be, 8) != 0) {
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    tnd_changeset_finish(&sd->buf, seq, now_ms());
    int rc = tnd_pg_batch_insert(sd->pg, HOLDER, sd->term, seq, now_ms(), sd->buf.data,
                                 sd->buf.len, NULL, NULL, err, err_len);
    if (rc != 0)
        return rc;
    sd->seq = seq;
    sd->bytes += sd->buf.len;
    tnd_changeset_reset(&sd->buf);
    return 0;
}

static bool is_batch_seq(tnd_table t, const MDB_val *k)
{
    return t == TND_TABLE_META && k->mv_size == sizeof TND_META_BATCH_SEQ - 1 &&
           memcmp(k->mv_data, TND_META_BATCH_SEQ, k->mv_size) == 0;
}

/* Every entry of every table, as puts, in batches. */
static int write_batches(seeding *sd, MDB_txn *txn, const MDB_dbi *dbi, char *err, size_t err_len)
{
    for (int t = 0; t < TND_TABLE_COUNT; t++) {
        MDB_cursor *cur;
        if (mdb_cursor_open(txn, dbi[t], &cur) != 0) {
            snprintf(err, err_len, "cannot read the table %s", tnd_changeset_table_name(t));
            return TND_EIO;
        }
        MDB_val k, v;
        int rc = 0;
        for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op) == 0;
             op = MDB_NEXT) {
            if (is_batch_seq((tnd_table)t, &k))
                continue;
            if (tnd_changeset_add(&sd->buf, TND_CHANGE_PUT, (tnd_table)t, k.mv_data, k.mv_size,
                                  v.mv_data, v.mv_size) != 0) {
                snprintf(err, err_len, "an entry of %s cannot go into a batch (out of memory?)",
                         tnd_changeset_table_name(t));
                rc = TND_ENOMEM;
                break;
            }
            sd->entries++;
            if (sd->buf.len >= CHUNK && (rc = flush(sd, err, err_len)) != 0)
                break;
        }
        mdb_cursor_close(cur);
        if (rc != 0)
            return rc;
    }
    return flush(sd, err, err_len);
}

/* Open DIR's environment and its tables in a write transaction; check it
 * is this tenderd's format, holds events and no batch number yet. */
static int open_db(const char *db, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi, char *err,
                   size_t err_len)
{
    int rc = mdb_env_create(env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(*env, TND_TABLE_COUNT + 4);
    if (rc == 0)
        rc = mdb_env_set_mapsize(*env, 0); /* the size the file has */
    if (rc == 0)
        rc = mdb_env_open(*env, db, MDB_NOTLS, 0600);
    if (rc == 0)
        rc = mdb_txn_begin(*env, NULL, 0, txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot open the database in %s: %s", db, mdb_strerror(rc));
        return TND_EIO;
    }
    for (int t = 0; t < TND_TABLE_COUNT; t++)
        if ((rc = mdb_dbi_open(*txn, tnd_changeset_table_name(t), 0, &dbi[t])) != 0) {
            snprintf(err, err_len, "%s is not a tenderd database of format %d (no table %s)", db,
                     TND_STORE_FORMAT, tnd_changeset_table_name(t));
            return TND_ERANGE;
        }
    MDB_val k = {.mv_size = sizeof TND_META_FORMAT - 1, .mv_data = TND_META_FORMAT}, v;
    if (mdb_get(*txn, dbi[TND_TABLE_META], &k, &v) != 0 || v.mv_size != 4 ||
        tnd_be32_get(v.mv_data) != TND_STORE_FORMAT) {
        snprintf(err, err_len, "the database in %s is not of format %d: start this tenderd on it "
                 "alone first (it says what to do)", db, TND_STORE_FORMAT);
        return TND_ERANGE;
    }
    k = (MDB_val){.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ};
    if (mdb_get(*txn, dbi[TND_TABLE_META], &k, &v) == 0) {
        snprintf(err, err_len, "the database in %s belongs to a replicated group already", db);
        return TND_EEXISTS;
    }
    MDB_stat st;
    if (mdb_stat(*txn, dbi[TND_TABLE_EVENTS], &st) != 0 || st.ms_entries == 0) {
        snprintf(err, err_len, "the database in %s holds no events: start the node on it with "
                 "--store directly", db);
        return TND_ENOTFOUND;
    }
    return 0;
}

/* Take the lease and check the group is empty. */
static int start_group(seeding *sd, const char *vkey, char *err, size_t err_len)
{
    int rc = tnd_pg_setup(sd->pg, TND_STORE_FORMAT, vkey, err, err_len);
    if (rc != 0)
        return rc;
    uint64_t last;
    int64_t last_ms;
    if ((rc = tnd_pg_last_batch(sd->pg, &last, &last_ms, err, err_len)) != 0)
        return rc;
    if (last != 0) {
        snprintf(err, err_len,
                 "the group already has %" PRIu64 " batches: a node joins it on an empty folder",
                 last);
        return TND_EEXISTS;
    }
    rc = tnd_pg_lease_take(sd->pg, HOLDER, LEASE_MS, &sd->term, err, err_len);
    if (rc == TND_EAGAIN)
        snprintf(err, err_len, "a tenderd node holds the group's writer lease: stop the group's "
                 "nodes first");
    return rc;
}

static int run(const char *db, const char *uri, const char *origin)
{
    char err[600] = "", name[128], vkey[400];
    EVP_PKEY *key = NULL;
    if (tnd_tlog_key_load(db, origin, &key, name, sizeof name, err, sizeof err) != 0 ||
        tnd_tlog_verifier_key(key, name, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd cluster-init: %s\n", *err ? err : "cannot read the log key");
        EVP_PKEY_free(key);
        return 1;
    }
    EVP_PKEY_free(key);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi[TND_TABLE_COUNT];
    seeding sd = {0};
    tnd_changeset_reset(&sd.buf);
    int rc = open_db(db, &env, &txn, dbi, err, sizeof err);
    if (rc == 0)
        rc = tnd_pg_connect(uri, &sd.pg, err, sizeof err);
    if (rc == 0)
        rc = start_group(&sd, vkey, err, sizeof err);
    bool began = rc == 0 && (rc = tnd_pg_exec(sd.pg, "BEGIN", err, sizeof err)) == 0;
    if (rc == 0)
        rc = write_batches(&sd, txn, dbi, err, sizeof err);
    if (rc == 0)
        rc = tnd_pg_exec(sd.pg, "COMMIT", err, sizeof err);
    else if (began)
        tnd_pg_exec(sd.pg, "ROLLBACK", (char[80]){0}, 80);
    if (rc == 0) {
        /* PostgreSQL holds the batches: now this copy says it has them. */
        uint8_t be[8];
        tnd_be64_put(be, sd.seq);
        MDB_val k = {.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ},
                v = {.mv_size = 8, .mv_data = be};
        int mrc = mdb_put(txn, dbi[TND_TABLE_META], &k, &v, 0);
        if (mrc == 0)
            mrc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        txn = NULL;
        if (mrc != 0) {
            snprintf(err, sizeof err,
                     "PostgreSQL holds the batches, but %s could not record them (%s): start "
                     "this node on an empty folder with its log.key instead",
                     db, mdb_strerror(mrc));
            rc = TND_EIO;
        }
    }
    if (sd.term)
        tnd_pg_lease_release(sd.pg, HOLDER, sd.term, (char[80]){0}, 80);
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    PQfinish(sd.pg);
    tnd_changeset_buf_free(&sd.buf);
    if (rc != 0) {
        fprintf(stderr, "tenderd cluster-init: %s\n", err);
        return 1;
    }
    printf("the group starts with %" PRIu64 " batches (%" PRIu64 " entries, %" PRIu64
           " bytes) from %s; start its nodes with --store, the others on empty folders "
           "holding its log.key\n",
           sd.seq, sd.entries, sd.bytes, db);
    return 0;
}

int tnd_cluster_init_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"log-origin", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *uri = NULL, *origin = "tenderd.local/log";
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': db = optarg; break;
        case 's': uri = optarg; break;
        case 'o': origin = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tenderd cluster-init: unexpected argument \"%s\" (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (!db || !*db || !uri || !tnd_replica_store_is_postgresql(uri)) {
        fprintf(stderr, "tenderd cluster-init: --db DIR and --store postgresql://... are "
                        "required (see --help)\n");
        return 2;
    }
    return run(db, uri, origin);
}
