/* The LMDB environment: creating the folder, opening the named tables,
 * the format version, map growth, and read transactions on the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "be.h"
#include "derived.h"
#include "keys.h"
#include "ops/logging.h"
#include "store_internal.h"

static const char *const table_names[TND_TABLE_COUNT] = {
#define TND_TABLE_NAME(name, str) str,
    TND_TABLE_MAP(TND_TABLE_NAME)
#undef TND_TABLE_NAME
};

static const MDB_val format_key = {.mv_size = sizeof TND_META_FORMAT - 1,
                                   .mv_data = TND_META_FORMAT};

/* Format 6 to 7: the derived indexes, built from their source tables in
 * the open transaction (derived.h). 0, or why not in err. */
static int build_derived(tnd_store *s, MDB_txn *txn, char *err, size_t err_len)
{
    uint64_t n = 0;
    int rc = tnd__derived_build(txn, s->dbi, &n);
    if (rc == MDB_CORRUPTED || rc == MDB_BAD_VALSIZE) {
        snprintf(err, err_len, "cannot convert the database in %s to format %d: its record %llu "
                 "(events, then complaints) is unreadable", s->dir, TND_STORE_FORMAT,
                 (unsigned long long)n);
        return TND_EMALFORMED;
    }
    if (rc != 0) {
        snprintf(err, err_len, "cannot convert the database in %s to format %d: %s", s->dir,
                 TND_STORE_FORMAT, mdb_strerror(rc));
        return TND_EIO;
    }
    char count[24];
    snprintf(count, sizeof count, "%llu", (unsigned long long)n);
    tnd_log(TND_LOG_INFO, "store converted from format 6 to 7: derived indexes built", "dir",
            s->dir, "records", count, NULL);
    return 0;
}

/* Open every table (creating the missing ones) and check or write the
 * format, all in one transaction: a refused database is left untouched. */
static int init_tables(tnd_store *s, char *err, size_t err_len)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot write to the database in %s: %s", s->dir, mdb_strerror(rc));
        return TND_EIO;
    }
    int ret = TND_EIO;
    for (int t = 0; t < TND_TABLE_COUNT; t++) {
        rc = mdb_dbi_open(txn, table_names[t], MDB_CREATE, &s->dbi[t]);
        if (rc != 0) {
            snprintf(err, err_len, "cannot open table %s in %s: %s", table_names[t], s->dir,
                     mdb_strerror(rc));
            goto abort_txn;
        }
    }
    MDB_val key = format_key, val;
    rc = mdb_get(txn, s->dbi[TND_TABLE_META], &key, &val);
    if (rc == MDB_NOTFOUND) {
        uint8_t buf[4];
        tnd_be32_put(buf, TND_STORE_FORMAT);
        val = (MDB_val){.mv_size = 4, .mv_data = buf};
        rc = mdb_put(txn, s->dbi[TND_TABLE_META], &key, &val, 0);
    } else if (rc == 0 && val.mv_size != 4) {
        snprintf(err, err_len, "database in %s has a damaged format record (%zu bytes, expected 4)",
                 s->dir, val.mv_size);
        ret = TND_EMALFORMED;
        goto abort_txn;
    } else if (rc == 0) {
        uint32_t format = tnd_be32_get(val.mv_data);
        if (format == 6) {
            /* What changed are derived indexes: built here, then the format is 7. */
            uint8_t buf[4];
            tnd_be32_put(buf, TND_STORE_FORMAT);
            MDB_val now = {.mv_size = 4, .mv_data = buf};
            if ((ret = build_derived(s, txn, err, err_len)) != 0)
                goto abort_txn;
            if ((rc = mdb_put(txn, s->dbi[TND_TABLE_META], &key, &now, 0)) != 0) {
                snprintf(err, err_len, "cannot convert the database in %s to format %d: %s",
                         s->dir, TND_STORE_FORMAT, mdb_strerror(rc));
                ret = TND_EIO;
                goto abort_txn;
            }
            format = TND_STORE_FORMAT;
        }
        if (format != TND_STORE_FORMAT) {
            snprintf(err, err_len, "database in %s has format %u; this tenderd reads format %u: %s",
                     s->dir, format, TND_STORE_FORMAT,
                     format > TND_STORE_FORMAT ? "upgrade tenderd"
                     : format >= 1 ? "an older tenderd wrote it (docs/STORE.md, \"Format\", "
                                     "says what changed); keep serving it with that tenderd"
                                   : "it is not a tenderd database");
            ret = TND_ERANGE;
            goto abort_txn;
        }
    }
    if (rc != 0) {
        snprintf(err, err_len, "cannot read the format of the database in %s: %s", s->dir,
                 mdb_strerror(rc));
        goto abort_txn;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot initialise the database in %s: %s", s->dir,
                 mdb_strerror(rc));
        return TND_EIO;
    }
    return 0;
abort_txn:
    mdb_txn_abort(txn);
    return ret;
}

/* Open the environment with default durability flags. MDB_NOTLS because
 * read transactions are not tied to threads here (the loop reads while
 * the writer writes, and a handler may nest reads). */
int tnd__store_env_open(tnd_store *s, size_t map_size, char *err, size_t err_len)
{
    if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot create %s: %s", s->dir, strerror(errno));
        return TND_EIO;
    }
    int rc = mdb_env_create(&s->env);
    if (rc != 0) {
        snprintf(err, err_len, "cannot create an LMDB environment: %s", mdb_strerror(rc));
        return TND_ENOMEM;
    }
    if ((rc = mdb_env_set_maxdbs(s->env, TND_TABLE_COUNT)) != 0 ||
        (rc = mdb_env_set_mapsize(s->env, map_size)) != 0 ||
        (rc = mdb_env_open(s->env, s->dir, MDB_NOTLS, 0600)) != 0) {
        snprintf(err, err_len, "cannot open the database in %s: %s", s->dir, mdb_strerror(rc));
        goto close_env;
    }
    int dead = 0;
    if (mdb_reader_check(s->env, &dead) == 0 && dead > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", dead);
        tnd_log(TND_LOG_INFO, "store cleared stale readers", "dir", s->dir, "count", n, NULL);
    }
    rc = init_tables(s, err, err_len);
    if (rc != 0) {
        mdb_env_close(s->env);
        s->env = NULL;
        return rc;
    }
    return 0;
close_env:
    mdb_env_close(s->env);
    s->env = NULL;
    return TND_EIO;
}

void tnd__store_env_close(tnd_store *s)
{
    if (s->env)
        mdb_env_close(s->env);
    s->env = NULL;
}

/* The current map size. */
size_t tnd__store_map_size(tnd_store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_mapsize;
}

/* Tell the metrics the map's size and the bytes in use: at open, then on
 * the writer thread after each commit and growth (the only changes). */
void tnd__store_publish_size(tnd_store *s)
{
    MDB_envinfo info;
    MDB_stat st;
    if (!s->metrics || mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
        return;
    tnd_metrics_set_store_size(s->metrics, info.me_mapsize,
                               ((uint64_t)info.me_last_pgno + 1) * st.ms_psize);
}

/* Writer thread, between batches (no write transaction open): double the
 * map, up to the maximum, when the used pages pass 3/4 of it, or at once
 * when force is set (a batch reached the end). Returns true if it grew. */
bool tnd__store_grow(tnd_store *s, bool force)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &st) != 0)
        return false;
    size_t map = info.me_mapsize;
    size_t used = ((size_t)info.me_last_pgno + 1) * st.ms_psize;
    if (map >= s->max_map_size || (!force && used / 3 < map / 4))
        return false;
    size_t next = map > s->max_map_size / 2 ? s->max_map_size : map * 2;
    /* LMDB may resize only while no transaction of this process is active:
     * wait for the readers to finish and keep new ones out meanwhile. */
    pthread_rwlock_wrlock(&s->resize_lock);
    int rc = mdb_env_set_mapsize(s->env, next);
    pthread_rwlock_unlock(&s->resize_lock);
    if (rc != 0) {
        tnd_log(TND_LOG_ERROR, "store cannot grow the map", "dir", s->dir, "error",
                mdb_strerror(rc), NULL);
        return false;
    }
    char from[24], to[24];
    snprintf(from, sizeof from, "%zu", map);
    snprintf(to, sizeof to, "%zu", next);
    tnd_log(TND_LOG_INFO, "store map grown", "dir", s->dir, "from", from, "to", to, NULL);
    pthread_mutex_lock(&s->mu);
    s->stats.grows++;
    s->stats.map_size = next;
    pthread_mutex_unlock(&s->mu);
    tnd__store_publish_size(s);
    return true;
}

int tnd_store_read_begin(tnd_store *s, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&s->resize_lock);
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc != 0) {
        pthread_rwlock_unlock(&s->resize_lock);
        tnd_log(TND_LOG_ERROR, "store cannot begin a read", "error", mdb_strerror(rc), NULL);
        *txn = NULL;
        return TND_EIO;
    }
    return 0;
}

void tnd_store_read_end(tnd_store *s, MDB_txn *txn)
{
    if (!txn)
        return;
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize_lock);
}

MDB_dbi tnd_store_dbi(const tnd_store *s, tnd_table t)
{
    return s->dbi[t];
}

int tnd__store_get_val(tnd_store *s, MDB_txn *txn, tnd_table t, const void *key, size_t klen,
                       MDB_val *v)
{
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    int rc = mdb_get(txn, s->dbi[t], &k, v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc == MDB_BAD_VALSIZE)
        return TND_EINVAL;
    return rc == 0 ? 0 : TND_EIO;
}

int tnd_store_get_msg(tnd_store *s, MDB_txn *txn, tnd_table t, const void *key, size_t klen,
                      const tnd_msg_desc *d, void *out)
{
    MDB_val v;
    int rc = tnd__store_get_val(s, txn, t, key, klen, &v);
    return rc ? rc : tnd_msg_decode(d, v.mv_data, v.mv_size, out, NULL);
}
