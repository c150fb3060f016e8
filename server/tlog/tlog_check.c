/* The stored transparency log against its last signed checkpoint
 * (tlog_check.h). The LOG table's layout is in store/keys.h. */
#include "tlog_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "store/keys.h"
#include "tender/error.h"

typedef struct tree_reader {
    MDB_txn *txn;
    MDB_dbi log;
} tree_reader;

static int node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
    tree_reader *r = ctx;
    uint8_t k[TND_KEY_LOG_NODE_LEN];
    MDB_val key = {.mv_size = tnd_key_log_node(k, level, index), .mv_data = k}, v;
    int rc = mdb_get(r->txn, r->log, &key, &v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0 || v.mv_size != 32)
        return TND_EIO;
    memcpy(out, v.mv_data, 32);
    return 0;
}

/* A value of LOG by name: *found false when absent. */
static int log_get(tree_reader *r, const char *name, MDB_val *out, bool *found)
{
    MDB_val k = {.mv_size = strlen(name), .mv_data = (void *)name};
    int rc = mdb_get(r->txn, r->log, &k, out);
    *found = rc == 0;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : TND_EIO;
}

int tnd_tlog_check_origin(MDB_txn *txn, MDB_dbi log, char *out, size_t cap)
{
    tree_reader r = {txn, log};
    MDB_val v;
    bool found;
    if (log_get(&r, TND_KEY_LOG_LATEST, &v, &found) != 0)
        return TND_EIO;
    if (!found)
        return TND_ENOTFOUND;
    const char *nl = memchr(v.mv_data, '\n', v.mv_size);
    size_t len = nl ? (size_t)(nl - (const char *)v.mv_data) : 0;
    if (len == 0 || len >= cap || memchr(v.mv_data, '\0', len))
        return TND_EMALFORMED;
    memcpy(out, v.mv_data, len);
    out[len] = '\0';
    return 0;
}

/* Rebuild every stored node from the events themselves and compare: an
 * event, a leaf or an inner node changed behind the server's back shows up
 * here. O(n) hashing. */
static int verify_nodes(tree_reader *r, MDB_dbi events, uint64_t size, char *err, size_t err_len)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(r->txn, events, &cur) != 0) {
        snprintf(err, err_len, "cannot read the events");
        return TND_EIO;
    }
    MDB_val k, v;
    uint64_t i = 0, seq;
    int rc = 0;
    for (int c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0 && i < size && !rc;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
        uint8_t h[32], stored[32], left[32];
        if (!tnd_key_events_parse(k.mv_data, k.mv_size, &seq) || seq != i ||
            tnd_merkle_leaf_hash(v.mv_data, v.mv_size, h) != 0 ||
            node_get(r, 0, i, stored) != 0 || memcmp(h, stored, 32) != 0) {
            snprintf(err, err_len,
                     "event %llu does not match leaf %llu of the log: the database was altered",
                     (unsigned long long)i, (unsigned long long)i);
            rc = TND_ECRYPTO;
            break;
        }
        unsigned level = 0;
        for (uint64_t idx = i; idx & 1; idx >>= 1) {
            if (node_get(r, level, idx - 1, left) != 0 ||
                tnd_merkle_node_hash(left, h, h) != 0 ||
                node_get(r, level + 1, idx >> 1, stored) != 0 || memcmp(h, stored, 32) != 0) {
                snprintf(err, err_len,
                         "log node (%u, %llu) does not match the events below it: the database "
                         "was altered",
                         level + 1, (unsigned long long)(idx >> 1));
                rc = TND_ECRYPTO;
                break;
            }
            level++;
        }
    }
    mdb_cursor_close(cur);
    if (!rc && i != size) {
        snprintf(err, err_len,
                 "the log has %llu leaves but only %llu events: the database was altered",
                 (unsigned long long)size, (unsigned long long)i);
        rc = TND_ECRYPTO;
    }
    return rc;
}

/* The number of events: one past the last sequence number. */
static int count_events(MDB_txn *txn, MDB_dbi events, uint64_t *n)
{
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, events, &cur) != 0)
        return TND_EIO;
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    *n = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0 || !tnd_key_events_parse(k.mv_data, k.mv_size, n))
        return TND_EIO;
    ++*n;
    return 0;
}

int tnd_tlog_check(MDB_txn *txn, MDB_dbi events, MDB_dbi log, const tnd_note_verifier *v,
                   tnd_tlog_checked *out, char *err, size_t err_len)
{
    tree_reader r = {txn, log};
    uint64_t n_events, size = 0;
    MDB_val cp_val, size_val;
    bool have_cp, have_size;
    if (count_events(txn, events, &n_events) != 0 || log_get(&r, TND_KEY_LOG_LATEST, &cp_val, &have_cp) != 0 ||
        log_get(&r, TND_KEY_LOG_SIZE, &size_val, &have_size) != 0 ||
        (have_size && size_val.mv_size != 8)) {
        snprintf(err, err_len, "the events or the log are unreadable");
        return TND_EIO;
    }
    if (have_size)
        size = tnd_be64_get(size_val.mv_data);
    if (!have_cp) {
        if (n_events > 0 || size > 0) {
            snprintf(err, err_len, "the database holds %llu events but no signed log checkpoint",
                     (unsigned long long)n_events);
            return TND_ECRYPTO;
        }
        if (out)
            *out = (tnd_tlog_checked){0};
        return 0;
    }
    tnd_checkpoint cp;
    if (tnd_checkpoint_verify(cp_val.mv_data, cp_val.mv_size, v, &cp) != 0) {
        char vkey[TND_NOTE_VKEY_MAX];
        if (tnd_note_verifier_format(v->name, v->key, vkey, sizeof vkey) != 0)
            snprintf(vkey, sizeof vkey, "%s", v->name);
        snprintf(err, err_len, "the latest log checkpoint is not signed by the log key %s", vkey);
        return TND_ECRYPTO;
    }
    if (cp.size != size || n_events != size) {
        snprintf(err, err_len,
                 "the log does not match its checkpoint: checkpoint size %llu, tree size %llu, "
                 "%llu events",
                 (unsigned long long)cp.size, (unsigned long long)size,
                 (unsigned long long)n_events);
        return TND_ECRYPTO;
    }
    int rc = verify_nodes(&r, events, size, err, err_len);
    if (rc != 0)
        return rc;
    uint8_t root[32];
    if (tnd_merkle_root(node_get, &r, size, root) != 0 || memcmp(root, cp.root, 32) != 0) {
        snprintf(err, err_len,
                 "the stored log tree does not match its signed checkpoint at size %llu: the "
                 "database was altered",
                 (unsigned long long)size);
        return TND_ECRYPTO;
    }
    if (out) {
        out->size = size;
        memcpy(out->root, root, 32);
        snprintf(out->origin, sizeof out->origin, "%s", cp.origin);
    }
    return 0;
}
