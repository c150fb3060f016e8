/* The LMDB store: one environment, named tables, a writer thread that owns
 * every write transaction and commits queued requests in groups.
 *
 * Reads run on the loop thread in short read transactions (copy what you
 * need out before ending them: LMDB values die with the transaction).
 *
 * Writes: a service submits a write function with an argument. The writer
 * thread takes up to max_batch queued requests, runs each inside its own
 * nested transaction (a failing request is rolled back alone), runs the
 * batch hook (the transparency log appends its leaves and signs one
 * checkpoint there), commits once (one fsync), and only then hands every
 * result back to the loop thread, where the done callbacks run. A request is
 * acknowledged only after the commit returned 0: if the commit fails, every
 * request of the batch fails.
 */
#ifndef TND_SERVER_STORE_H
#define TND_SERVER_STORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tender/codec.h"
#include "tender/error.h"
#include "tender_schema.h"

/* The on-disk format; a database with a newer one is refused at open. */
#define TND_STORE_FORMAT 1

/* Named databases. Keys are documented next to each; integers in keys are
 * big-endian so that LMDB's byte order is numeric order. */
#define TND_TABLE_MAP(X)                                                                           \
    X(META, "meta")                       /* "format" -> u32 BE; other store settings */           \
    X(EVENTS, "events")                   /* seq u64 BE -> tender.events.v1.Event */               \
    X(IDEMPOTENCY, "idempotency")         /* caller key | request id -> stored reply */            \
    X(TENDERS, "tenders")                 /* tender id -> latest tender */                         \
    X(TENDER_VERSIONS, "tender_versions") /* tender id | version u32 BE -> tender */               \
    X(TENDER_INDEX, "tender_index")       /* secondary keys for listing -> tender id */            \
    X(SCHEDULE, "schedule")               /* due time ms u64 BE | tender id -> transition */       \
    X(QUESTIONS, "questions")             /* tender id | seq u32 BE -> question */                 \
    X(DOCUMENTS, "documents")             /* document id -> content */                             \
    X(LOG, "log")                         /* transparency log (its own key layout) */

typedef enum tnd_table {
#define TND_TABLE_ENUM(name, str) TND_TABLE_##name,
    TND_TABLE_MAP(TND_TABLE_ENUM)
#undef TND_TABLE_ENUM
        TND_TABLE_COUNT
} tnd_table;

typedef struct tnd_store tnd_store;
typedef struct tnd_wtx tnd_wtx;

typedef struct tnd_store_opts {
    const char *dir;       /* created (0700) if missing */
    size_t map_size;       /* initial map size; 0: 1 GiB */
    size_t max_map_size;   /* the map grows (doubling) up to this; 0: 1 TiB */
    unsigned queue_cap;    /* queued write requests before RESOURCE_EXHAUSTED; 0: 4096 */
    unsigned max_batch;    /* requests per group commit; 0: 256 */
} tnd_store_opts;

/* A write request, run on the writer thread inside its own nested
 * transaction. Return 0 to keep its changes, or a gRPC status code (> 0)
 * set with tnd_wtx_fail to roll them back. */
typedef int (*tnd_write_fn)(tnd_wtx *w, void *arg);

/* On the loop thread, after the batch's commit: status 0 when the write is
 * durable, else the code and message (the write left no trace). */
typedef void (*tnd_write_done_fn)(void *arg, int status, const char *message);

/* Runs on the writer thread once per batch, after the requests and before
 * the commit, inside the batch transaction (nonzero fails the batch). */
typedef int (*tnd_batch_hook_fn)(tnd_wtx *batch, void *arg);

/** Open (or create) the store. Checks the format version, clears stale
 * reader slots (mdb_reader_check) and starts the writer thread, which
 * reports on loop. Returns 0 or a negative code with a message in err. */
int tnd_store_open(uv_loop_t *loop, const tnd_store_opts *opts, tnd_store **out, char *err,
                   size_t err_len);

/** Finish the queued writes, stop the writer thread, close the environment. */
void tnd_store_close(tnd_store *s);

/** Queue a write. Returns 0, or TND_EAGAIN when the queue is full (answer
 * RESOURCE_EXHAUSTED), TND_ECLOSED when the store is closing. done is
 * called exactly once when 0 is returned. */
int tnd_store_submit(tnd_store *s, tnd_write_fn fn, tnd_write_done_fn done, void *arg);

void tnd_store_set_batch_hook(tnd_store *s, tnd_batch_hook_fn hook, void *arg);

/** True while writes can be accepted (not closing, map not exhausted, writer healthy). */
bool tnd_store_writable(const tnd_store *s);

/* ---- reading (loop thread) ---- */

/** Begin / end a read transaction. */
int tnd_store_read_begin(tnd_store *s, MDB_txn **txn);
void tnd_store_read_end(tnd_store *s, MDB_txn *txn);

MDB_dbi tnd_store_dbi(const tnd_store *s, tnd_table t);

/** Read and decode one record. Returns 0, TND_ENOTFOUND, or a decode error
 * (a corrupt record: report DATA_LOSS). out must be initialised. */
int tnd_store_get_msg(tnd_store *s, MDB_txn *txn, tnd_table t, const void *key, size_t klen,
                      const tnd_msg_desc *d, void *out);

/* ---- inside a write function (writer thread) ---- */

/** Record why this request fails; returns code, for `return tnd_wtx_fail(...)`. */
int tnd_wtx_fail(tnd_wtx *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

MDB_txn *tnd_wtx_txn(tnd_wtx *w);
tnd_store *tnd_wtx_store(tnd_wtx *w);

/** The batch's time (UTC, ms since the epoch): the time of receipt of
 * everything committed in it. */
int64_t tnd_wtx_now_ms(const tnd_wtx *w);

int tnd_wtx_get_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    void *out);
/** Encode and store. A full map gives TND_ELIMIT (answer RESOURCE_EXHAUSTED). */
int tnd_wtx_put_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    const void *msg);
int tnd_wtx_put_raw(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const void *val,
                    size_t vlen);
int tnd_wtx_del(tnd_wtx *w, tnd_table t, const void *key, size_t klen);

/** Append an event (the next sequence number is assigned and returned). */
int tnd_wtx_append_event(tnd_wtx *w, tender_events_v1_Event *event, uint64_t *seq);

#endif
