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

#include "keys.h"
#include "ops/clock.h"
#include "ops/metrics.h"
#include "tender/codec.h"
#include "tender/error.h"
#include "tender_schema.h"

/* The on-disk format; a database with another one is refused at open
 * (docs/STORE.md lists what each changed). 2: question events hash the
 * question without its asker, and the opening_keys table; 3: bids seal the
 * tender version they answer, and the opening judges them against the tender;
 * 4: bid events name no tender but a blinded tag, the bid_tag_keys table holds
 * each tender's tag key until its deadline (docs/LOG.md), and bid_ids makes
 * bid ids unique across tenders; 5: bid documents are sealed to the
 * tender's documents key, which the committee's shares hold too; 6: the
 * complaints and complaint_documents tables, and lot states keep the time
 * they were cancelled; 7: the derived indexes tender_events and
 * suspending_complaints (derived.h; a format-6 database is converted at
 * open: they are built from its tables). */
#define TND_STORE_FORMAT 7

/* Named databases. Keys are sketched next to each; keys.h builds and reads
 * every one of them (integers big-endian, so LMDB's byte order is numeric
 * order). */
#define TND_TABLE_MAP(X)                                                                           \
    X(META, "meta")                       /* "format" -> u32 BE; other store settings */           \
    X(EVENTS, "events")                   /* seq u64 BE -> tender.events.v1.Event */               \
    X(IDEMPOTENCY, "idempotency")         /* org 0x00 name 0x00 idempotency key -> stored reply */ \
    X(TENDERS, "tenders")                 /* tender id -> latest tender */                         \
    X(TENDER_VERSIONS, "tender_versions") /* tender id 0x00 version u32 BE -> tender */            \
    X(SCHEDULE, "schedule")               /* due time ms u64 BE | tender id -> transition */       \
    X(QUESTIONS, "questions")             /* tender id 0x00 seq u32 BE -> question */              \
    X(DOCUMENTS, "documents")             /* document id -> content */                             \
    X(LOG, "log")                         /* transparency log (its own key layout) */            \
    X(BIDS, "bids")                       /* tender id 0x00 bid id -> sealed bid */              \
    X(BID_OWNERS, "bid_owners")           /* tender id 0x00 owner tag -> current bid id */       \
    X(SHARES, "shares")                   /* tender id 0x00 member index -> opening-key share */ \
    X(OPENINGS, "openings")               /* tender id -> opening record */                      \
    X(AWARDS, "awards")                   /* tender id 0x00 seq u32 BE -> award decision */      \
    X(IDEM_EXPIRY, "idempotency_expiry")  /* expiry ms u64 BE | IDEMPOTENCY key -> "" */       \
    X(OPENING_KEYS, "opening_keys")       /* opening public key (32 bytes) -> tender id */       \
    X(BID_TAG_KEYS, "bid_tag_keys")       /* tender id -> bid tag key (32 bytes) */              \
    X(BID_IDS, "bid_ids")                 /* bid id -> tender id: bid ids are unique */     \
    X(COMPLAINTS, "complaints")           /* tender id 0x00 seq u32 BE -> complaint */         \
    X(COMPLAINT_DOCUMENTS, "complaint_documents") /* document id -> content */                \
    X(TENDER_EVENTS, "tender_events")     /* tender id 0x00 seq u64 BE -> "" (derived.h) */ \
    X(SUSPENDING_COMPLAINTS, "suspending_complaints") /* tender id 0x00 seq u32 BE -> "" */

typedef enum tnd_table {
#define TND_TABLE_ENUM(name, str) TND_TABLE_##name,
    TND_TABLE_MAP(TND_TABLE_ENUM)
#undef TND_TABLE_ENUM
        TND_TABLE_COUNT
} tnd_table;

/* LMDB's default largest key (mdb_env_get_maxkeysize): the longest any
 * table holds. */
#define TND_STORE_KEY_MAX 511

typedef struct tnd_store tnd_store;
typedef struct tnd_wtx tnd_wtx;

typedef struct tnd_store_opts {
    const char *dir;     /* created (0700) if missing */
    size_t map_size;     /* initial map size; 0: 1 GiB */
    size_t max_map_size; /* the map grows (doubling) up to this; 0: 1 TiB */
    unsigned queue_cap;  /* queued write requests before RESOURCE_EXHAUSTED; 0: 4096 */
    unsigned max_batch;  /* requests per group commit; 0: 256 */
    tnd_metrics *metrics; /* where queue, batch and size figures go; may be NULL */
    const tnd_clock *clock; /* the time of each batch (tnd_wtx_now_ms); NULL: the real one */
    size_t write_arena_max; /* bytes one write may take from tnd_wtx_arena; 0: 64 MiB */
} tnd_store_opts;

/* A write request, run on the writer thread inside its own nested
 * transaction. Return 0 to keep its changes, or a gRPC status code (> 0)
 * set with tnd_wtx_fail to roll them back. An allocation that failed in
 * the write's arena (tnd_wtx_arena) fails the whole write even when it
 * returns 0, as a failed put poisons an LMDB transaction. */
typedef int (*tnd_write_fn)(tnd_wtx *w, void *arg);

/* When not 0, what each write may take from its arena instead of
 * write_arena_max, from the next write on, every allocation then in a chunk
 * of its own: tests step it up to fail a write at each allocation in turn. */
extern _Atomic size_t tnd_write_arena_max;

/* On the loop thread, after the batch's commit: status 0 when the write is
 * durable, else the code and message (the write left no trace). */
typedef void (*tnd_write_done_fn)(void *arg, int status, const char *message);

/* Runs on the writer thread once per batch, after the requests and before
 * the commit, inside the batch transaction, and only when at least one
 * request succeeded. Nonzero (a gRPC code, set with tnd_wtx_fail) fails
 * every request of the batch. Like a write function it may run again. */
typedef int (*tnd_batch_hook_fn)(tnd_wtx *batch, void *arg);

/** Open (or create) the store in opts->dir (created 0700 if missing; its
 * parent must exist). Checks the format version (another one is refused:
 * "database in DIR has format N; this tenderd reads format M: upgrade
 * tenderd", or for an older one, "an older tenderd wrote it ..."), clears
 * stale reader slots (mdb_reader_check) and starts the writer thread, which
 * reports to loop through a uv_async_t.
 * Call on the loop thread. Returns 0, or a negative code (TND_EINVAL bad
 * options, TND_EIO cannot create or open, TND_ERANGE another
 * format, TND_EMALFORMED damaged META, TND_ENOMEM) with a message in err. */
int tnd_store_open(uv_loop_t *loop, const tnd_store_opts *opts, tnd_store **out, char *err,
                   size_t err_len);

/** Close the store, on the loop thread: refuse new writes (TND_ECLOSED),
 * let the writer commit everything already queued, join it, run every
 * remaining done callback synchronously before returning (a done callback
 * may still read through the store; a submit from it gets TND_ECLOSED),
 * close the environment, then uv_close the store's async handle. The store's
 * memory is freed by that handle's close callback, so the owner must run the
 * loop once more (uv_run until it returns) after this call. The caller must
 * not hold a read transaction. NULL is allowed. */
void tnd_store_close(tnd_store *s);

/** Queue a write, on the loop thread. Returns 0, or TND_EAGAIN when the
 * queue is full (answer RESOURCE_EXHAUSTED), TND_ECLOSED when the store is
 * closing, TND_EINVAL for a NULL fn or done, TND_ENOMEM. When 0 is
 * returned, done is called exactly once, on the loop thread, after the
 * request's batch committed or failed.
 *
 * fn may run more than once: when a batch hits the end of the map and the
 * map can still grow, the whole batch is rolled back, the map grows, and
 * the batch runs again with the same time. A write function must therefore
 * keep its effects inside the transaction, or overwrite (not accumulate)
 * whatever it leaves in arg. */
int tnd_store_submit(tnd_store *s, tnd_write_fn fn, tnd_write_done_fn done, void *arg);

/* Runs on the writer thread for a write that succeeded, after the batch
 * hook (it sees what the hook wrote: the batch's signed checkpoint) and
 * before the commit, inside the batch transaction. It reads (never puts:
 * it cannot fail the write) and fills only what arg holds for the reply,
 * e.g. a receipt from the data the batch has in hand instead of from the
 * store after the commit; the reply still waits for the commit. Like fn it
 * may run again. */
typedef void (*tnd_write_after_fn)(tnd_wtx *batch, void *arg);

/** As tnd_store_submit, and after (may be NULL) runs as above. */
int tnd_store_submit_after(tnd_store *s, tnd_write_fn fn, tnd_write_after_fn after,
                           tnd_write_done_fn done, void *arg);

/** Set (or clear, with NULL) the batch hook, on the loop thread; it applies
 * from the next batch the writer takes. */
void tnd_store_set_batch_hook(tnd_store *s, tnd_batch_hook_fn hook, void *arg);

/* A committed batch's change set (changeset.h: its encoding, decoder and
 * how to apply it): every put and delete its requests and the batch hook
 * made through tnd_wtx_*, in write order, with the batch's number seq (1,
 * 2, ...: META TND_META_BATCH_SEQ, kept in the batch itself, so it survives
 * restarts and a copy counts along) and time. Called on the writer thread,
 * after the commit and before the batch's done callbacks run; the bytes
 * live only during the call. A request rolled back leaves nothing in it; a
 * batch run again after the map grew gives the change set of the attempt
 * that committed. */
typedef void (*tnd_changes_fn)(void *arg, uint64_t seq, int64_t time_ms, const uint8_t *changes,
                               size_t len);

/** Record change sets and hand each to fn (NULL: stop recording), on the
 * loop thread, from the next batch the writer takes: set it before the
 * first submit to have every batch. Off by default; while off, writes do
 * no extra work and no batch number is kept. A change set that cannot be
 * recorded (out of memory) fails its request, or its batch, with
 * RESOURCE_EXHAUSTED: a recorded store never commits what it did not
 * record. */
void tnd_store_set_changes_hook(tnd_store *s, tnd_changes_fn fn, void *arg);

/* ---- replication (docs/SCALING.md; server/replica) ---- */

/* The commit gate: how a replicated store makes each batch durable
 * elsewhere before it commits locally. Both functions run on the writer
 * thread; with a gate set, change sets are recorded (whether or not a
 * changes hook is set). */
typedef struct tnd_store_gate {
    /* Before a batch's transaction begins (none is open): bring the store
     * up to date with tnd_store_apply_on_writer, or refuse. 0, or a gRPC
     * code with a message in msg: every request of the batch fails with it
     * and nothing is written. */
    int (*before)(void *arg, tnd_store *s, char *msg, size_t msg_len);
    /* After the batch hook and the after steps, before the local commit,
     * with the batch's finished change set (bytes valid during the call):
     * 0 commits locally; a gRPC code with msg rolls the batch back and
     * fails its requests with it. When this returns 0 and the local commit
     * then fails, the batch is durable elsewhere but not here: the store
     * stops writing (restart, and before() applies it). */
    int (*commit)(void *arg, uint64_t seq, int64_t time_ms, const uint8_t *changes, size_t len,
                  char *msg, size_t msg_len);
    void *arg;
} tnd_store_gate;

/** Set (or clear, with NULL) the gate, on the loop thread, before the
 * first submit: it applies from the next batch the writer takes. The
 * struct is copied. */
void tnd_store_set_gate(tnd_store *s, const tnd_store_gate *gate);

/** Apply another store's change set (changeset.h) here, from a thread that
 * is neither the loop thread nor the writer (the replica's follower): it
 * queues behind the writes already queued and waits until the writer has
 * applied it, alone in its own transaction (no batch hook, no gate, no
 * change set of its own). It must be the next batch (its seq one past
 * tnd_store_batch_seq). Returns 0, or TND_EMALFORMED, TND_EEXISTS (this
 * batch is here already: nothing done), TND_ERANGE (out of order, a gap), TND_ENOTFOUND (the copy diverged), TND_ELIMIT (the map is full
 * at its maximum), TND_EIO, TND_ECLOSED (the store is closing), TND_ENOMEM;
 * the reason in err. */
int tnd_store_apply(tnd_store *s, const uint8_t *changes, size_t len, char *err, size_t err_len);

/** The same, on the writer thread itself (from the gate's before()). */
int tnd_store_apply_on_writer(tnd_store *s, const uint8_t *changes, size_t len, char *err,
                              size_t err_len);

/** The number of the last batch committed or applied (META
 * TND_META_BATCH_SEQ; 0 for none), any thread. */
uint64_t tnd_store_batch_seq(tnd_store *s);

/** From the next batch on, a batch's time is at least time_ms even if the
 * clock says less: a writer that takes over from another never dates an
 * event before the last one (any thread). Applied change sets raise it
 * too. */
void tnd_store_set_time_floor(tnd_store *s, int64_t time_ms);

/** True while writes can be accepted: not closing, the writer healthy (no
 * failed commit), and the map not full at its maximum size. The "full"
 * state clears when a later batch commits without reaching the end of the
 * map (e.g. after deletions); an operator raises max_map_size and restarts. */
bool tnd_store_writable(const tnd_store *s);

/** Counters for tests, metrics and the operator. */
typedef struct tnd_store_stats {
    uint64_t batches;   /* batches committed */
    uint64_t committed; /* requests acknowledged with status 0 */
    uint64_t failed;    /* requests answered with a failure */
    uint64_t reruns;    /* batches rolled back and run again after the map grew */
    uint64_t grows;     /* times the map grew */
    size_t largest_batch; /* most requests in one committed batch */
    size_t map_size;    /* current map size in bytes */
    size_t max_map_size;
    size_t queued; /* requests waiting for the writer */
} tnd_store_stats;

/** Copy the counters (any thread). */
void tnd_store_get_stats(tnd_store *s, tnd_store_stats *out);

/* ---- reading (loop thread) ---- */

/** Begin a read transaction (a snapshot of the last commit). Keep it
 * short: while it lives, the writer cannot grow the map (it waits). Values
 * read through it die with it. Returns 0 or TND_EIO. */
int tnd_store_read_begin(tnd_store *s, MDB_txn **txn);

/** End a read transaction from tnd_store_read_begin. */
void tnd_store_read_end(tnd_store *s, MDB_txn *txn);

/** The handle of a table, valid for the store's life in any transaction. */
MDB_dbi tnd_store_dbi(const tnd_store *s, tnd_table t);

/** Read and decode one record. Returns 0, TND_ENOTFOUND, or a decode error
 * (a corrupt record: report DATA_LOSS). out must be initialised. */
int tnd_store_get_msg(tnd_store *s, MDB_txn *txn, tnd_table t, const void *key, size_t klen,
                      const tnd_msg_desc *d, void *out);

/* ---- inside a write function (writer thread) ---- */

/* The longest failure message handed to a done callback, without the NUL;
 * longer ones are cut. */
#define TND_STORE_MSG_MAX 512

/** Record why this request fails; returns code, for `return tnd_wtx_fail(...)`.
 * When the request reached the end of the map, the store replaces the code
 * and message with its own RESOURCE_EXHAUSTED "database is full ...". */
int tnd_wtx_fail(tnd_wtx *w, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** The request's own (nested) transaction, for raw LMDB reads (cursors,
 * mdb_get). Write only through tnd_wtx_put_raw, tnd_wtx_put_msg and
 * tnd_wtx_del: change sets record nothing else (tests/test_changeset.c
 * refuses a raw mdb_put or mdb_del in server/). */
MDB_txn *tnd_wtx_txn(tnd_wtx *w);

/** Memory for what this run of the write builds and does not keep (events,
 * records on their way into a table): given back when the write function
 * returns. When an allocation from it fails, the write fails as a whole
 * with RESOURCE_EXHAUSTED and nothing of it is committed, whatever the
 * function returns; tnd_wtx_append_event refuses to log an event once it
 * has failed. */
tnd_arena *tnd_wtx_arena(tnd_wtx *w);
tnd_store *tnd_wtx_store(tnd_wtx *w);

/** The batch's time (UTC, ms since the epoch): the time of receipt of
 * everything committed in it. */
int64_t tnd_wtx_now_ms(const tnd_wtx *w);

/** Read and decode one record as this request sees it (its own writes
 * included). Returns 0, TND_ENOTFOUND, a decode error, or TND_EIO.
 * tnd_wtx_get_msg_in decodes into tnd_wtx_arena (out need not be
 * initialised and is not freed). */
int tnd_wtx_get_msg_in(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                       const tnd_msg_desc *d, void *out);
int tnd__wtx_get_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    void *out);
/** As tnd_wtx_get_msg_in, but the record read last in this batch is not
 * decoded again while nothing was written to its table (and no request
 * that may have was undone): at a deadline, hundreds of bids in a batch
 * read the same tender. out then shares the store's copy: read-only, and
 * valid until the next tnd_wtx_get_msg_cached or the write function's end. */
int tnd_wtx_get_msg_cached(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                           const tnd_msg_desc *d, void *out);
/** Encode and store (replacing). Returns 0, a tnd_msg_encode error, TND_EINVAL
 * (key empty or longer than LMDB's 511 bytes), TND_ELIMIT (the map is full:
 * answer RESOURCE_EXHAUSTED) or TND_EIO. The same for put_raw and del. */
int tnd_wtx_put_msg(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const tnd_msg_desc *d,
                    const void *msg);

/** As tnd_wtx_put_msg, and hash = SHA-256 of the bytes stored (what
 * tnd_msg_hash gives for msg), from the one encoding. */
int tnd_wtx_put_msg_hashed(tnd_wtx *w, tnd_table t, const void *key, size_t klen,
                           const tnd_msg_desc *d, const void *msg, uint8_t hash[32]);
int tnd_wtx_put_raw(tnd_wtx *w, tnd_table t, const void *key, size_t klen, const void *val,
                    size_t vlen);
int tnd_wtx_del(tnd_wtx *w, tnd_table t, const void *key, size_t klen);

/** Append an event: assign the next sequence number (0, 1, 2, ... in
 * commit order, no gaps: a request rolled back consumes none) to
 * event->seq and *seq (seq may be NULL); when event->time is NULL or zero
 * set it to the batch time (a NULL time is allocated from tnd_wtx_arena:
 * build events there); encode and store it under EVENTS seq.
 * Returns 0, TND_ENOMEM when the write's arena has failed (an event that
 * may miss a field is never logged), or a tnd_wtx_put_msg error. */
int tnd_wtx_append_event(tnd_wtx *w, tender_events_v1_Event *event, uint64_t *seq);

/** Look up a stored reply in IDEMPOTENCY under key (its layout is the
 * services', server/svc.c). On 0, *reply is a malloc'd copy (free() it) of
 * *len bytes. Returns 0, TND_ENOTFOUND, TND_EINVAL (key empty or too long),
 * TND_ENOMEM or TND_EIO. */
int tnd_wtx_idem_get(tnd_wtx *w, const void *key, size_t klen, uint8_t **reply, size_t *len);

/** Store a reply in IDEMPOTENCY under key (replacing). Returns as
 * tnd_wtx_put_raw. */
int tnd_wtx_idem_put(tnd_wtx *w, const void *key, size_t klen, const void *reply, size_t len);

#endif
