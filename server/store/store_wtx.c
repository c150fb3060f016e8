/* What a write function can do inside its transaction on the writer thread:
 * read, put, delete, append events, keep idempotent replies, fail. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "digest.h"
#include "derived.h"
#include "keys.h"
#include "store_internal.h"

static const MDB_val next_seq_key = {.mv_size = sizeof TND_META_NEXT_EVENT_SEQ - 1,
                                     .mv_data = TND_META_NEXT_EVENT_SEQ};

/* Map an LMDB write error to ours, remembering a full map so that the
 * writer can grow it or answer with its own message. */
int tnd__wtx_mdb_err(tnd_wtx *w, int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case MDB_MAP_FULL:
        w->map_full = true;
        return TND_ELIMIT;
    case MDB_TXN_FULL:
        return TND_ELIMIT;
    case MDB_BAD_VALSIZE:
        return TND_EINVAL;
    case MDB_NOTFOUND:
        return TND_ENOTFOUND;
    case MDB_KEYEXIST:
        return TND_EEXISTS;
    default:
        return TND_EIO;
    }
}

int tnd_wtx_fail(tnd_wtx *w, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, TND_STORE_MSG_MAX + 1, fmt, ap);
    va_end(ap);
    return code;
}

MDB_txn *tnd_wtx_txn(tnd_wtx *w)
{
    return w->txn;
}

tnd_arena *tnd_wtx_arena(tnd_wtx *w)
{
    return w->arena;
}

tnd_store *tnd_wtx_store(tnd_wtx *w)
{
    return w->s;
}

int64_t tnd_wtx_now_ms(const tnd_wtx *w)
{
    return w->now_ms;
}

int tnd__wtx_get_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    void *out)
{
    return tnd_store_get_msg(w->s, w->txn, t, key, klen, d, out);
}

/* Read and decode one record into arena a. */
static int read_in(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                   tnd_arena *a, void *out)
{
    tnd_msg_init(d, out);
    MDB_val v;
    int rc = tnd__store_get_val(w->s, w->txn, t, key, klen, &v);
    return rc ? rc : tnd_msg_decode_in(d, a, v.mv_data, v.mv_size, out, NULL);
}

int tnd_wtx_get_msg_in(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                       const tnd_msg_desc *d, void *out)
{
    return read_in(w, t, key, klen, d, w->arena, out);
}

void tnd__wtx_memo_forget(tnd_store *s)
{
    s->memo.valid = false;
}

int tnd_wtx_get_msg_cached(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                           const tnd_msg_desc *d, void *out)
{
    tnd_wtx_memo *m = &w->s->memo;
    if (m->valid && m->table == t && m->desc == d && m->klen == klen &&
        memcmp(m->key, key, klen) == 0) {
        memcpy(out, m->msg, d->size);
        return 0;
    }
    if (klen > sizeof m->key)
        return tnd_wtx_get_msg_in(w, t, key, klen, d, out);
    m->valid = false;
    tnd_msg_init(d, out);
    tnd_arena_reset(&m->arena);
    m->msg = tnd_arena_alloc(&m->arena, d->size);
    if (!m->msg)
        return TND_ENOMEM;
    int rc = read_in(w, t, key, klen, d, &m->arena, m->msg);
    if (rc != 0)
        return rc;
    m->table = t;
    m->desc = d;
    memcpy(m->key, key, klen);
    m->klen = klen;
    m->valid = true;
    memcpy(out, m->msg, d->size);
    return 0;
}

/* A write to the memo's table: what it holds may be changed. */
static void memo_written(tnd_wtx *w, tnd_table t)
{
    if (w->s->memo.table == t)
        w->s->memo.valid = false;
}

static int put(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const void *val, size_t vlen,
               unsigned flags)
{
    if (klen == 0)
        return TND_EINVAL;
    memo_written(w, t);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    MDB_val v = {.mv_size = vlen, .mv_data = (void *)val};
    int rc = tnd__wtx_mdb_err(w, mdb_put(w->txn, w->s->dbi[t], &k, &v, flags));
    if (rc == 0 && w->rec)
        rc = tnd_changeset_add(w->rec, TND_CHANGE_PUT, t, key, klen, val, vlen);
    /* A complaint's derived entry, not recorded (derived.h). An event's is
     * derived by tnd_wtx_append_event, the only writer of EVENTS, from the
     * struct it has in hand. */
    if (rc == 0 && t == TND_TABLE_COMPLAINTS)
        rc = tnd__wtx_mdb_err(w, tnd__derived_put_encoded(w->txn, w->s->dbi, t, key, klen, val,
                                                          vlen));
    return rc;
}

int tnd_wtx_put_raw(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const void *val,
                    size_t vlen)
{
    return put(w, t, key, klen, val, vlen, 0);
}

int tnd_wtx_put_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    const void *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = tnd_msg_encode(d, msg, &buf, &len, NULL);
    if (rc == 0)
        rc = put(w, t, key, klen, buf, len, 0);
    free(buf);
    return rc;
}

int tnd_wtx_put_msg_hashed(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                           const tnd_msg_desc *d, const void *msg, uint8_t hash[32])
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = tnd_msg_encode(d, msg, &buf, &len, NULL);
    if (rc == 0)
        rc = tnd_sha256(buf, len, hash);
    if (rc == 0)
        rc = put(w, t, key, klen, buf, len, 0);
    free(buf);
    return rc;
}

int tnd_wtx_del(tnd_wtx *w, tnd_table t, const void *key, size_t klen)
{
    if (klen == 0)
        return TND_EINVAL;
    memo_written(w, t);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
    int rc = tnd__wtx_mdb_err(w, mdb_del(w->txn, w->s->dbi[t], &k, NULL));
    if (rc == 0 && w->rec) /* a key that was not there changed nothing */
        rc = tnd_changeset_add(w->rec, TND_CHANGE_DEL, t, key, klen, NULL, 0);
    return rc;
}

/* The batch's number: one past META's, stored back (and recorded) in the
 * batch, so that it survives restarts and a copy applying it counts too. */
int tnd__wtx_next_batch(tnd_wtx *w, uint64_t *seq)
{
    MDB_val k = {.mv_size = sizeof TND_META_BATCH_SEQ - 1, .mv_data = TND_META_BATCH_SEQ}, v;
    int rc = mdb_get(w->txn, w->s->dbi[TND_TABLE_META], &k, &v);
    uint64_t last = 0;
    if (rc == 0 && v.mv_size == 8)
        last = tnd_be64_get(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return rc == 0 ? TND_EMALFORMED : TND_EIO;
    uint8_t buf[8];
    tnd_be64_put(buf, last + 1);
    rc = put(w, TND_TABLE_META, k.mv_data, k.mv_size, buf, 8, 0);
    if (rc == 0)
        *seq = last + 1;
    return rc;
}

/* The next event number as this request's transaction sees it: the META
 * counter, else one past the last EVENTS key (a database from before the
 * counter), else 0. Read in the nested transaction, so a request rolled
 * back leaves the counter where it was. */
static int next_event_seq(tnd_wtx *w, uint64_t *seq)
{
    MDB_val k = next_seq_key, v;
    int rc = mdb_get(w->txn, w->s->dbi[TND_TABLE_META], &k, &v);
    if (rc == 0 && v.mv_size == 8) {
        *seq = tnd_be64_get(v.mv_data);
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return rc == 0 ? TND_EMALFORMED : TND_EIO;
    MDB_cursor *cur;
    if (mdb_cursor_open(w->txn, w->s->dbi[TND_TABLE_EVENTS], &cur) != 0)
        return TND_EIO;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        return 0;
    }
    if (rc != 0)
        return TND_EIO;
    if (!tnd_key_events_parse(k.mv_data, k.mv_size, seq))
        return TND_EMALFORMED;
    ++*seq;
    return 0;
}

int tnd_wtx_append_event(tnd_wtx *w, tender_events_v1_Event *event, uint64_t *seq_out)
{
    /* Something the event was built from may be missing: log nothing. */
    if (tnd_arena_failed(w->arena))
        return TND_ENOMEM;
    uint64_t seq;
    int rc = next_event_seq(w, &seq);
    if (rc != 0)
        return rc;
    if (!event->time) {
        event->time = tnd_arena_alloc(w->arena, sizeof *event->time);
        if (!event->time)
            return TND_ENOMEM;
    }
    if (event->time->seconds == 0 && event->time->nanos == 0) {
        /* Floor division, so that a time before 1970 stays well-formed. */
        int64_t ms = w->now_ms, sec = ms / 1000 - (ms % 1000 < 0);
        event->time->seconds = sec;
        event->time->nanos = (uint32_t)(ms - sec * 1000) * 1000000u;
    }
    event->seq = seq;
    uint8_t key[TND_KEY_EVENTS_LEN], next[8];
    tnd_key_events(key, seq);
    tnd_be64_put(next, seq + 1);
    uint8_t *buf = NULL;
    size_t len = 0;
    rc = tnd_msg_encode(&tender_events_v1_Event_desc, event, &buf, &len, NULL);
    /* MDB_APPEND: keys only grow; a smaller one is a bug (MDB_KEYEXIST). */
    if (rc == 0)
        rc = put(w, TND_TABLE_EVENTS, key, 8, buf, len, MDB_APPEND);
    free(buf);
    /* Derived, so not recorded: whoever applies the change set derives the
     * entry itself (derived.h). */
    if (rc == 0)
        rc = tnd__wtx_mdb_err(w, tnd__derived_put(w->txn, w->s->dbi, TND_TABLE_EVENTS, key, 8,
                                                  event));
    if (rc == 0)
        rc = put(w, TND_TABLE_META, next_seq_key.mv_data, next_seq_key.mv_size, next, 8, 0);
    if (rc == 0 && seq_out)
        *seq_out = seq;
    return rc;
}

int tnd_wtx_idem_get(tnd_wtx *w, const void *key, size_t klen, uint8_t **reply, size_t *len)
{
    if (klen == 0 || klen > (size_t)mdb_env_get_maxkeysize(w->s->env))
        return TND_EINVAL;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v;
    int rc = mdb_get(w->txn, w->s->dbi[TND_TABLE_IDEMPOTENCY], &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? TND_ENOTFOUND : TND_EIO;
    *reply = malloc(v.mv_size ? v.mv_size : 1);
    if (!*reply)
        return TND_ENOMEM;
    memcpy(*reply, v.mv_data, v.mv_size);
    *len = v.mv_size;
    return 0;
}

int tnd_wtx_idem_put(tnd_wtx *w, const void *key, size_t klen, const void *reply, size_t len)
{
    return put(w, TND_TABLE_IDEMPOTENCY, key, klen, reply, len, 0);
}
