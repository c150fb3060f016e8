/* The transparency log's tree, key, checkpoints and start-up check (tlog.h).
 *
 * The LOG table's layout is in store/keys.h. Leaf i is the canonical
 * encoding of event i (EVENTS seq i).
 */
#include "tlog.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "be.h"
#include "ops/logging.h"
#include "store/keys.h"
#include "tlog_check.h"
#include "witnesses.h"

/* Direct-mapped: a slot per (level, index) hash, 40 bytes each; at a
 * million leaves the 7,812 nodes of level 8 and above nearly all fit. */
#define CACHE_SLOTS 8192 /* 2^13 */

typedef struct node_cache {
    uint64_t key[CACHE_SLOTS]; /* (index << 6 | level) + 1; 0 is an empty slot */
    uint8_t hash[CACHE_SLOTS][32];
    uint64_t hits, misses;
} node_cache;

struct tnd_tlog {
    node_cache cache; /* loop thread only (tnd_tlog_node_get_cached) */
    EVP_PKEY *key;
    char name[128];
    char vkey[400];
    tnd_metrics *metrics; /* the server's; published once a batch commits */
    tnd_witnesses *witnesses; /* --witness-policy's collector, or NULL */
};

/* ---- reading and writing nodes ---- */

int tnd_tlog_node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    tnd_tlog_reader *r = ctx;
    uint8_t k[TND_KEY_LOG_NODE_LEN];
    MDB_val key = {.mv_size = tnd_key_log_node(k, level, index), .mv_data = k}, v;
    int rc = mdb_get(r->txn, tnd_store_dbi(r->store, TND_TABLE_LOG), &key, &v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0 || v.mv_size != 32)
        return TND_EIO;
    memcpy(out, v.mv_data, 32);
    return 0;
}

int tnd_tlog_node_get_cached(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    tnd_tlog_cached_reader *cr = ctx;
    if (!cr->log || level < TND_TLOG_CACHE_LEVEL || level > 63 || index >= UINT64_C(1) << 57)
        return tnd_tlog_node_get(&cr->r, level, index, out);
    node_cache *c = &cr->log->cache;
    uint64_t key = (index << 6 | level) + 1;
    size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 51); /* 13 bits: CACHE_SLOTS */
    if (c->key[slot] == key) {
        c->hits++;
        memcpy(out, c->hash[slot], 32);
        return 0;
    }
    c->misses++;
    int rc = tnd_tlog_node_get(&cr->r, level, index, out);
    if (rc == 0) {
        c->key[slot] = key;
        memcpy(c->hash[slot], out, 32);
    }
    return rc;
}

void tnd_tlog_cache_stats(const tnd_tlog *log, uint64_t *hits, uint64_t *misses)
{
    *hits = log ? log->cache.hits : 0;
    *misses = log ? log->cache.misses : 0;
}

static int node_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[32])
{
    tnd_wtx *w = ctx;
    uint8_t k[TND_KEY_LOG_NODE_LEN];
    return tnd_wtx_put_raw(w, TND_TABLE_LOG, k, tnd_key_log_node(k, level, index), h, 32);
}

static int wtx_node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    tnd_wtx *w = ctx;
    tnd_tlog_reader r = {tnd_wtx_store(w), tnd_wtx_txn(w)};
    return tnd_tlog_node_get(&r, level, index, out);
}

static int get_u64(tnd_store *s, MDB_txn *txn, const char *name, uint64_t *v)
{
    MDB_val k = {.mv_size = strlen(name), .mv_data = (void *)name}, d;
    int rc = mdb_get(txn, tnd_store_dbi(s, TND_TABLE_LOG), &k, &d);
    if (rc == MDB_NOTFOUND) {
        *v = 0;
        return 0;
    }
    if (rc != 0 || d.mv_size != 8)
        return TND_EIO;
    *v = tnd_be64_get(d.mv_data);
    return 0;
}

int tnd__tlog_text(tnd_store *s, MDB_txn *txn, const void *key, size_t klen, char **out,
                   size_t *len)
{
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, d;
    int rc = mdb_get(txn, tnd_store_dbi(s, TND_TABLE_LOG), &k, &d);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0)
        return TND_EIO;
    *out = malloc(d.mv_size + 1);
    if (!*out)
        return TND_ENOMEM;
    memcpy(*out, d.mv_data, d.mv_size);
    (*out)[d.mv_size] = '\0';
    if (len)
        *len = d.mv_size;
    return 0;
}

int tnd_tlog_latest(tnd_store *s, MDB_txn *txn, char **note, uint64_t *size)
{
    if (!note) { /* the size alone: written with the note, in the same batch */
        int rc = get_u64(s, txn, TND_KEY_LOG_SIZE, size);
        return rc ? rc : *size ? 0 : TND_ENOTFOUND;
    }
    int rc = tnd__tlog_text(s, txn, TND_KEY_LOG_LATEST, sizeof TND_KEY_LOG_LATEST - 1, note, NULL);
    return rc ? rc : get_u64(s, txn, TND_KEY_LOG_SIZE, size);
}

int tnd__tlog_index_of(tnd_store *s, MDB_txn *txn, const uint8_t hash[32], uint64_t *index)
{
    uint8_t k[TND_KEY_LOG_LEAF_LEN];
    MDB_val key = {.mv_size = tnd_key_log_leaf(k, hash), .mv_data = k}, d;
    int rc = mdb_get(txn, tnd_store_dbi(s, TND_TABLE_LOG), &key, &d);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0 || d.mv_size != 8)
        return TND_EIO;
    *index = tnd_be64_get(d.mv_data);
    return 0;
}

/* ---- the key ---- */

int tnd_tlog_key_load(const char *db_dir, const char *origin, EVP_PKEY **key, char *name,
                      size_t name_len, char *err, size_t err_len)
{
    char path[1100], tmp[1120];
    snprintf(path, sizeof path, "%s/log.key", db_dir);
    snprintf(name, name_len, "%s", origin);
    if (mkdir(db_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot create %s: %s", db_dir, strerror(errno));
        return TND_EIO;
    }
    FILE *f = fopen(path, "r");
    if (f) {
        *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        if (!*key || EVP_PKEY_get_base_id(*key) != EVP_PKEY_ED25519) {
            EVP_PKEY_free(*key);
            *key = NULL;
            snprintf(err, err_len, "%s is not an Ed25519 private key", path);
            return TND_ECRYPTO;
        }
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return TND_EIO;
    }
    /* First start: a new key, written 0600 to a temporary name, synced, renamed. */
    *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = *key ? open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    bool ok = f && PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL) == 1 &&
              fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f)
        fclose(f);
    else if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        EVP_PKEY_free(*key);
        *key = NULL;
        snprintf(err, err_len, "cannot create the log key %s: %s", path, strerror(errno));
        return TND_EIO;
    }
    tnd_log(TND_LOG_INFO, "created the transparency log key", "file", path, NULL);
    return 0;
}

int tnd_tlog_verifier_key(EVP_PKEY *key, const char *name, char *out, size_t cap)
{
    uint8_t pub[32];
    size_t pl = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(key, pub, &pl) != 1 || pl != 32)
        return TND_ECRYPTO;
    return tnd_note_verifier_format(name, pub, out, cap);
}

tnd_witnesses *tnd_tlog_witnesses(const tnd_server *srv)
{
    return srv->tlog ? srv->tlog->witnesses : NULL;
}

const char *tnd_tlog_vkey(const tnd_server *srv)
{
    return srv->tlog ? srv->tlog->vkey : "";
}

/* ---- appending, once per batch (writer thread) ---- */

static int sign_checkpoint(tnd_tlog *lg, tnd_wtx *w, uint64_t size)
{
    tnd_checkpoint cp = {.size = size};
    snprintf(cp.origin, sizeof cp.origin, "%s", lg->name);
    if (tnd_merkle_root(wtx_node_get, w, size, cp.root) != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the log tree is incomplete at size %llu",
                            (unsigned long long)size);
    char text[512];
    char *note = NULL;
    if (tnd_checkpoint_format(&cp, text, sizeof text) != 0 ||
        tnd_note_sign(text, lg->name, lg->key, &note) != 0)
        return tnd_wtx_fail(w, TND_STATUS_INTERNAL, "cannot sign the log checkpoint");
    uint8_t ck[TND_KEY_LOG_CHECKPOINT_LEN];
    size_t ckl = tnd_key_log_checkpoint(ck, size);
    int rc = tnd_wtx_put_raw(w, TND_TABLE_LOG, TND_KEY_LOG_LATEST, sizeof TND_KEY_LOG_LATEST - 1,
                             note, strlen(note));
    if (rc == 0)
        rc = tnd_wtx_put_raw(w, TND_TABLE_LOG, ck, ckl, note, strlen(note));
    free(note);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store the checkpoint");
    char sz[24];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    tnd_log(TND_LOG_INFO, "log checkpoint signed", "size", sz, "origin", lg->name, NULL);
    return 0;
}

static int batch_hook(tnd_wtx *w, void *arg)
{
    tnd_tlog *lg = arg;
    tnd_store *s = tnd_wtx_store(w);
    MDB_txn *txn = tnd_wtx_txn(w);
    uint64_t size;
    if (get_u64(s, txn, TND_KEY_LOG_SIZE, &size) != 0)
        return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the log size is unreadable");
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, tnd_store_dbi(s, TND_TABLE_EVENTS), &cur) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read events");
    uint8_t k8[TND_KEY_EVENTS_LEN];
    MDB_val k = {.mv_size = tnd_key_events(k8, size), .mv_data = k8}, v;
    uint64_t start = size, seq;
    int st = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !st;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (!tnd_key_events_parse(k.mv_data, k.mv_size, &seq) || seq != size) {
            st = tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "event %llu is missing from the log",
                              (unsigned long long)size);
            break;
        }
        uint8_t h[32], hk[TND_KEY_LOG_LEAF_LEN];
        if (tnd_merkle_leaf_hash(v.mv_data, v.mv_size, h) != 0 ||
            tnd_merkle_append(wtx_node_get, node_put, w, size, h) != 0) {
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot append to the log");
            break;
        }
        /* The leaf index under its hash (8 BE). */
        uint8_t idx[8];
        tnd_be64_put(idx, size);
        if (tnd_wtx_put_raw(w, TND_TABLE_LOG, hk, tnd_key_log_leaf(hk, h), idx, 8) != 0) {
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot index the log");
            break;
        }
        size++;
    }
    mdb_cursor_close(cur);
    if (st || size == start)
        return st;
    uint8_t sz[8];
    tnd_be64_put(sz, size);
    if (tnd_wtx_put_raw(w, TND_TABLE_LOG, TND_KEY_LOG_SIZE, sizeof TND_KEY_LOG_SIZE - 1, sz, 8) !=
        0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store the log size");
    st = sign_checkpoint(lg, w, size);
    if (st == 0)
        tnd_metrics_tlog_pending(lg->metrics, size);
    return st;
}

/* ---- start-up ---- */

/* The stored tree must match the last checkpoint, which must carry our
 * signature, and every event must be a leaf (tlog_check.c). */
static int check_stored(tnd_server *srv, uint64_t *leaves, char *err, size_t err_len)
{
    tnd_note_verifier v;
    if (tnd_note_verifier_parse(srv->tlog->vkey, &v) != 0) {
        snprintf(err, err_len, "cannot parse the log's verifier key %s", srv->tlog->vkey);
        return TND_ECRYPTO;
    }
    MDB_txn *txn;
    if (tnd_store_read_begin(srv->store, &txn) != 0) {
        snprintf(err, err_len, "cannot read the store");
        return TND_EIO;
    }
    tnd_tlog_checked checked = {0};
    int rc = tnd_tlog_check(txn, tnd_store_dbi(srv->store, TND_TABLE_EVENTS),
                            tnd_store_dbi(srv->store, TND_TABLE_LOG), &v, &checked, err, err_len);
    *leaves = checked.size;
    tnd_store_read_end(srv->store, txn);
    return rc;
}

int tnd_tlog_open(tnd_server *srv, char *err, size_t err_len)
{
    tnd_tlog *lg = calloc(1, sizeof *lg);
    if (!lg)
        return TND_ENOMEM;
    srv->tlog = lg;
    lg->metrics = srv->metrics;
    uint64_t leaves = 0;
    int rc = tnd_tlog_key_load(srv->cfg.db, srv->cfg.log_origin, &lg->key, lg->name,
                               sizeof lg->name, err, err_len);
    if (rc == 0 && tnd_tlog_verifier_key(lg->key, lg->name, lg->vkey, sizeof lg->vkey) != 0) {
        snprintf(err, err_len, "cannot derive the log's verifier key (is --log-origin valid?)");
        rc = TND_ECRYPTO;
    }
    if (rc == 0)
        rc = check_stored(srv, &leaves, err, err_len);
    if (rc != 0)
        return rc;
    tnd_metrics_set_tlog_leaves(srv->metrics, leaves);
    tnd_store_set_batch_hook(srv->store, batch_hook, lg);
    return tnd_witnesses_start(srv, &lg->witnesses, err, err_len);
}

void tnd_tlog_close(tnd_server *srv)
{
    if (!srv->tlog)
        return;
    tnd_witnesses_free(srv->tlog->witnesses);
    EVP_PKEY_free(srv->tlog->key);
    free(srv->tlog);
    srv->tlog = NULL;
}
