/* Change sets: building one as the writer writes, encoding, the strict
 * decoder, and applying one to another environment (changeset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "changeset.h"
#include "derived.h"
#include "keys.h"

static const char *const names[TND_TABLE_COUNT] = {
#define TND_CS_NAME(name, str) str,
    TND_TABLE_MAP(TND_CS_NAME)
#undef TND_CS_NAME
};

const char *tnd_changeset_table_name(tnd_table t)
{
    return (unsigned)t < TND_TABLE_COUNT ? names[t] : NULL;
}

int tnd_changeset_table(const char *name, size_t name_len)
{
    for (int t = 0; t < TND_TABLE_COUNT; t++)
        if (strlen(names[t]) == name_len && memcmp(names[t], name, name_len) == 0)
            return t;
    return -1;
}

/* ---- building ---- */

static bool reserve(tnd_changeset_buf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len)
        return false;
    size_t need = b->len + more;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

void tnd_changeset_reset(tnd_changeset_buf *b)
{
    b->len = 0;
    b->count = 0;
    b->failed = false;
    if (reserve(b, TND_CHANGESET_HEADER_LEN))
        b->len = TND_CHANGESET_HEADER_LEN;
    else
        b->failed = true;
}

int tnd_changeset_add(tnd_changeset_buf *b, int op, tnd_table t, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    const char *name = tnd_changeset_table_name(t);
    if (op == TND_CHANGE_DEL)
        vlen = 0;
    if (!name || (op != TND_CHANGE_PUT && op != TND_CHANGE_DEL) || klen == 0 ||
        klen > TND_CHANGESET_KEY_MAX || vlen > UINT32_MAX || b->count == UINT32_MAX) {
        b->failed = true;
        return TND_EINVAL;
    }
    size_t nl = strlen(name);
    if (b->len < TND_CHANGESET_HEADER_LEN || !reserve(b, 1 + 1 + nl + 2 + klen + 4 + vlen)) {
        b->failed = true;
        return TND_ENOMEM;
    }
    uint8_t *p = b->data + b->len;
    *p++ = (uint8_t)op;
    *p++ = (uint8_t)nl;
    memcpy(p, name, nl);
    p += nl;
    tnd_be16_put(p, (uint16_t)klen);
    memcpy(p + 2, key, klen);
    p += 2 + klen;
    if (op == TND_CHANGE_PUT) {
        tnd_be32_put(p, (uint32_t)vlen);
        if (vlen)
            memcpy(p + 4, val, vlen);
        p += 4 + vlen;
    }
    b->len = (size_t)(p - b->data);
    b->count++;
    return 0;
}

tnd_changeset_mark tnd_changeset_save(const tnd_changeset_buf *b)
{
    return (tnd_changeset_mark){.len = b->len, .count = b->count};
}

void tnd_changeset_cut(tnd_changeset_buf *b, tnd_changeset_mark m)
{
    b->len = m.len;
    b->count = m.count;
    b->failed = m.len < TND_CHANGESET_HEADER_LEN;
}

void tnd_changeset_finish(tnd_changeset_buf *b, uint64_t seq, int64_t time_ms)
{
    if (b->len < TND_CHANGESET_HEADER_LEN)
        return;
    memcpy(b->data, TND_CHANGESET_MAGIC, TND_CHANGESET_MAGIC_LEN);
    tnd_be64_put(b->data + TND_CHANGESET_MAGIC_LEN, seq);
    tnd_be64_put(b->data + TND_CHANGESET_MAGIC_LEN + 8, (uint64_t)time_ms);
    tnd_be32_put(b->data + TND_CHANGESET_MAGIC_LEN + 16, b->count);
}

void tnd_changeset_buf_free(tnd_changeset_buf *b)
{
    free(b->data);
    *b = (tnd_changeset_buf){0};
}

/* ---- decoding ---- */

/* The smallest entry: op, a 1-byte name, a 1-byte key (a delete). */
#define ENTRY_MIN (1 + 1 + 1 + 2 + 1)

static int bad(char *err, size_t err_len, const char *fmt, uint32_t i, size_t off)
{
    char what[200];
    snprintf(what, sizeof what, fmt, (unsigned)i);
    snprintf(err, err_len, "malformed change set: %s (at byte %zu)", what, off);
    return TND_EMALFORMED;
}

int tnd_changeset_decode(const uint8_t *data, size_t len, tnd_changeset *out, char *err,
                         size_t err_len)
{
    *out = (tnd_changeset){0};
    if (len < TND_CHANGESET_MAGIC_LEN || memcmp(data, TND_CHANGESET_MAGIC, TND_CHANGESET_MAGIC_LEN))
        return bad(err, err_len, "it does not begin with \"tnd-changes 1\"", 0, 0);
    if (len < TND_CHANGESET_HEADER_LEN)
        return bad(err, err_len, "the header is cut short", 0, len);
    uint64_t seq = tnd_be64_get(data + TND_CHANGESET_MAGIC_LEN);
    int64_t time_ms = (int64_t)tnd_be64_get(data + TND_CHANGESET_MAGIC_LEN + 8);
    uint32_t count = tnd_be32_get(data + TND_CHANGESET_MAGIC_LEN + 16);
    size_t off = TND_CHANGESET_HEADER_LEN;
    if (seq == 0)
        return bad(err, err_len, "batch number 0 (they start at 1)", 0, TND_CHANGESET_MAGIC_LEN);
    /* Refused before any allocation: a count the bytes cannot hold. */
    if (count > (len - off) / ENTRY_MIN)
        return bad(err, err_len, "%u entries do not fit in what follows", count, off);
    tnd_change *ch = count ? calloc(count, sizeof *ch) : NULL;
    if (count && !ch) {
        snprintf(err, err_len, "out of memory decoding a change set");
        return TND_ENOMEM;
    }
    int rc = 0;
    uint32_t i;
    for (i = 0; i < count; i++) {
        tnd_change *c = &ch[i];
        if (len - off < 2) {
            rc = bad(err, err_len, "entry %u is cut short", i, off);
            break;
        }
        c->op = data[off];
        if (c->op != TND_CHANGE_PUT && c->op != TND_CHANGE_DEL) {
            rc = bad(err, err_len, "entry %u has an unknown operation", i, off);
            break;
        }
        size_t nl = data[off + 1];
        off += 2;
        if (len - off < nl + 2) {
            rc = bad(err, err_len, "entry %u is cut short", i, off);
            break;
        }
        int t = tnd_changeset_table((const char *)data + off, nl);
        if (t < 0) {
            rc = bad(err, err_len, "entry %u names an unknown table", i, off);
            break;
        }
        c->table = (tnd_table)t;
        off += nl;
        c->klen = tnd_be16_get(data + off);
        off += 2;
        if (c->klen == 0 || c->klen > TND_CHANGESET_KEY_MAX) {
            rc = bad(err, err_len, "entry %u has a key length out of range", i, off - 2);
            break;
        }
        if (len - off < c->klen) {
            rc = bad(err, err_len, "entry %u is cut short", i, off);
            break;
        }
        c->key = data + off;
        off += c->klen;
        if (c->op == TND_CHANGE_DEL)
            continue;
        if (len - off < 4) {
            rc = bad(err, err_len, "entry %u is cut short", i, off);
            break;
        }
        c->vlen = tnd_be32_get(data + off);
        off += 4;
        if (len - off < c->vlen) {
            rc = bad(err, err_len, "entry %u has a value longer than what follows", i, off - 4);
            break;
        }
        c->val = data + off;
        off += c->vlen;
    }
    if (rc == 0 && off != len)
        rc = bad(err, err_len, "bytes follow the last entry", 0, off);
    if (rc != 0) {
        free(ch);
        return rc;
    }
    *out = (tnd_changeset){.seq = seq, .time_ms = time_ms, .n = count, .changes = ch};
    return 0;
}

void tnd_changeset_free(tnd_changeset *cs)
{
    free(cs->changes);
    *cs = (tnd_changeset){0};
}

/* ---- applying ---- */

static int mdb_code(int rc)
{
    return rc == MDB_MAP_FULL || rc == MDB_TXN_FULL ? TND_ELIMIT
           : rc == MDB_NOTFOUND                     ? TND_ENOTFOUND
                                                    : TND_EIO;
}

int tnd_changeset_apply(MDB_env *env, const MDB_dbi *dbi, const tnd_changeset *cs, char *err,
                        size_t err_len)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot begin a transaction: %s", mdb_strerror(rc));
        return TND_EIO;
    }
    MDB_val k = {.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ}, v;
    uint64_t last = 0;
    rc = mdb_get(txn, dbi[TND_TABLE_META], &k, &v);
    if (rc == 0 && v.mv_size == 8)
        last = tnd_be64_get(v.mv_data);
    else if (rc != MDB_NOTFOUND) {
        snprintf(err, err_len, "cannot read the last batch applied: %s",
                 rc ? mdb_strerror(rc) : "not 8 bytes");
        mdb_txn_abort(txn);
        return TND_EIO;
    }
    if (cs->seq <= last) {
        snprintf(err, err_len, "batch %llu is applied already: the last applied is %llu",
                 (unsigned long long)cs->seq, (unsigned long long)last);
        mdb_txn_abort(txn);
        return TND_EEXISTS;
    }
    if (cs->seq != last + 1) {
        snprintf(err, err_len, "change set of batch %llu out of order: the last applied is %llu",
                 (unsigned long long)cs->seq, (unsigned long long)last);
        mdb_txn_abort(txn);
        return TND_ERANGE;
    }
    for (size_t i = 0; i < cs->n; i++) {
        const tnd_change *c = &cs->changes[i];
        MDB_val ck = {.mv_size = c->klen, .mv_data = (void *)c->key};
        MDB_val cv = {.mv_size = c->vlen, .mv_data = (void *)c->val};
        rc = c->op == TND_CHANGE_PUT ? mdb_put(txn, dbi[c->table], &ck, &cv, 0)
                                     : mdb_del(txn, dbi[c->table], &ck, NULL);
        /* The writer derived its indexes without recording them: so does the copy. */
        if (rc == 0 && c->op == TND_CHANGE_PUT)
            rc = tnd__derived_put_encoded(txn, dbi, c->table, c->key, c->klen, c->val, c->vlen);
        if (rc != 0) {
            snprintf(err, err_len, "batch %llu, entry %zu (%s %s): %s%s",
                     (unsigned long long)cs->seq, i, c->op == TND_CHANGE_PUT ? "put in" : "delete from",
                     names[c->table], mdb_strerror(rc),
                     rc == MDB_NOTFOUND ? ": this copy has diverged from the writer's" : "");
            mdb_txn_abort(txn);
            return mdb_code(rc);
        }
    }
    /* The writer's change set records this too; a copy keeps count either way. */
    uint8_t n8[8];
    tnd_be64_put(n8, cs->seq);
    v = (MDB_val){.mv_size = 8, .mv_data = n8};
    rc = mdb_put(txn, dbi[TND_TABLE_META], &k, &v, 0);
    if (rc != 0) {
        snprintf(err, err_len, "cannot record batch %llu as applied: %s",
                 (unsigned long long)cs->seq, mdb_strerror(rc));
        mdb_txn_abort(txn);
        return mdb_code(rc);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot commit batch %llu: %s", (unsigned long long)cs->seq,
                 mdb_strerror(rc));
        return mdb_code(rc);
    }
    return 0;
}
