/* Change sets: the whole effect of one committed batch, every put and
 * delete it made through tnd_wtx_* in write order, as bytes that another
 * store applies to reach the same state (docs/SCALING.md, step 1;
 * docs/STORE.md, "Change sets").
 *
 * The encoding (all integers big-endian):
 *
 *   header  "tnd-changes 1\n"        14 bytes: the format and its version
 *           seq       u64            the batch number (1, 2, ... per store)
 *           time_ms   i64            the batch's time (tnd_wtx_now_ms)
 *           count     u32            entries that follow
 *   entry   op        u8             1 put, 2 delete
 *           name_len  u8, name       the table's name (store.h TND_TABLE_MAP)
 *           key_len   u16, key       1 to TND_CHANGESET_KEY_MAX bytes
 *           put only: val_len u32, val
 *
 * Nothing may follow the last entry. Tables travel by name, not by number,
 * so adding a table never changes what an older change set means.
 *
 * The decoder is strict: it refuses another magic or version, a count or a
 * length that runs past the end (truncation), bytes after the last entry,
 * an unknown op or table, an empty key or one longer than LMDB takes. It
 * copies nothing: a decoded change set points into the bytes it came from.
 */
#ifndef TND_SERVER_STORE_CHANGESET_H
#define TND_SERVER_STORE_CHANGESET_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TND_CHANGESET_MAGIC "tnd-changes 1\n"
#define TND_CHANGESET_MAGIC_LEN 14
#define TND_CHANGESET_HEADER_LEN (TND_CHANGESET_MAGIC_LEN + 8 + 8 + 4)
/* A longer key can never have been stored. */
#define TND_CHANGESET_KEY_MAX TND_STORE_KEY_MAX

enum { TND_CHANGE_PUT = 1, TND_CHANGE_DEL = 2 };

/* ---- building one (the store's writer) ---- */

/* A change set under construction: the header's room, then entries. */
typedef struct tnd_changeset_buf {
    uint8_t *data;
    size_t len, cap;
    uint32_t count;
    bool failed; /* an append ran out of memory: the change set is incomplete */
} tnd_changeset_buf;

/* Where a change set stood, to cut back to (a request rolled back). */
typedef struct tnd_changeset_mark {
    size_t len;
    uint32_t count;
} tnd_changeset_mark;

/** Empty b (keeping its memory) for a new change set. */
void tnd_changeset_reset(tnd_changeset_buf *b);

/** Append one entry (val ignored for TND_CHANGE_DEL). Returns 0, TND_EINVAL
 * (a key empty or too long, a value over 4 GiB), or TND_ENOMEM; any failure
 * also sets b->failed. */
int tnd_changeset_add(tnd_changeset_buf *b, int op, tnd_table t, const void *key, size_t klen,
                      const void *val, size_t vlen);

tnd_changeset_mark tnd_changeset_save(const tnd_changeset_buf *b);

/** Forget every entry after mark m (and an append failure since then). */
void tnd_changeset_cut(tnd_changeset_buf *b, tnd_changeset_mark m);

/** Write the header; b->data[0, b->len) is then the encoded change set. */
void tnd_changeset_finish(tnd_changeset_buf *b, uint64_t seq, int64_t time_ms);

void tnd_changeset_buf_free(tnd_changeset_buf *b);

/* ---- reading one ---- */

typedef struct tnd_change {
    int op; /* TND_CHANGE_PUT or TND_CHANGE_DEL */
    tnd_table table;
    const uint8_t *key, *val; /* into the decoded bytes; val NULL for a delete */
    size_t klen, vlen;
} tnd_change;

typedef struct tnd_changeset {
    uint64_t seq;
    int64_t time_ms;
    size_t n;
    tnd_change *changes; /* malloc'd: tnd_changeset_free */
} tnd_changeset;

/** Decode len bytes (which must outlive out). Returns 0, TND_EMALFORMED
 * (what is wrong, and where, in err), or TND_ENOMEM. */
int tnd_changeset_decode(const uint8_t *data, size_t len, tnd_changeset *out, char *err,
                         size_t err_len);

void tnd_changeset_free(tnd_changeset *cs);

/** The table called name (name_len bytes), or -1; and a table's name. */
int tnd_changeset_table(const char *name, size_t name_len);
const char *tnd_changeset_table_name(tnd_table t);

/* ---- applying one ---- */

/** Apply cs to the environment env, whose tables are dbi[tnd_table], in one
 * transaction: all of it or nothing. It must be the next batch: META
 * TND_META_BATCH_SEQ there (0 when absent) must be cs->seq - 1: TND_EEXISTS
 * when cs->seq is at or below it (applied already, nothing done), else
 * TND_ERANGE (out of order, a gap). A delete of a key that is not there means the
 * copy has diverged: TND_ENOTFOUND, nothing applied. Other failures:
 * TND_EIO, TND_ELIMIT (the map is full). The reason in err. */
int tnd_changeset_apply(MDB_env *env, const MDB_dbi *dbi, const tnd_changeset *cs, char *err,
                        size_t err_len);

#endif
