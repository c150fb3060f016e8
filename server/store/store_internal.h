/* Internals shared by store.c (open, close, submit, results), store_env.c
 * (environment, format, map growth, reads), store_writer.c (the writer
 * thread and its batches) and store_wtx.c (what write functions call). */
#ifndef TND_SERVER_STORE_INTERNAL_H
#define TND_SERVER_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "arena.h"
#include "changeset.h"
#include "store.h"

/* One queued write: a value owned by the store from submit until its done
 * callback returned. */
typedef struct tnd_store_req {
    tnd_write_fn fn;
    tnd_write_after_fn after; /* may be NULL */
    tnd_write_done_fn done;
    void *arg;
    int status;                      /* 0 or a gRPC code, set by the writer */
    char msg[TND_STORE_MSG_MAX + 1]; /* why it failed; "" on success */
    struct tnd_store_req *next;
    /* An apply request (tnd_store_apply) instead of a write: the change
     * set, and finished set by the writer (mu held) for the waiter. */
    const uint8_t *apply;
    size_t apply_len;
    bool finished;
} tnd_store_req;

typedef struct tnd_store_reqlist {
    tnd_store_req *head, *tail;
    size_t n;
} tnd_store_reqlist;

/* The last message tnd_wtx_get_msg_cached decoded, in its own arena:
 * valid within one batch until a write to its table. */
typedef struct tnd_wtx_memo {
    bool valid;
    tnd_table table;
    const tnd_msg_desc *desc;
    uint8_t key[128];
    size_t klen;
    tnd_arena arena;
    void *msg;
} tnd_wtx_memo;

struct tnd_store {
    uv_loop_t *loop;
    MDB_env *env;
    MDB_dbi dbi[TND_TABLE_COUNT];
    char *dir;
    size_t max_map_size;
    unsigned queue_cap;
    unsigned max_batch;
    tnd_metrics *metrics; /* may be NULL; its functions are thread-safe */
    const tnd_clock *clock; /* NULL: the real clock */

    /* Read transactions hold it shared; the writer takes it exclusively to
     * resize the map, which LMDB allows only with no transaction active. */
    pthread_rwlock_t resize_lock;

    /* mu guards the queue, the results, the hook and the stats. */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* the writer waits here for work */
    tnd_store_reqlist queue;
    tnd_store_reqlist results; /* finished, waiting for the loop */
    tnd_batch_hook_fn hook;
    void *hook_arg;
    tnd_changes_fn changes_fn; /* NULL: no one is handed the change sets */
    void *changes_arg;
    tnd_store_gate gate;       /* gate.commit NULL: none */
    pthread_cond_t applied;    /* apply requests' waiters wait here */
    tnd_store_stats stats;
    bool stopping; /* the writer exits once the queue is empty */

    /* The writer thread's: what one write function (or the batch hook)
     * allocates, given back after it (tnd_wtx_arena). */
    tnd_arena arena;
    size_t arena_cap; /* its cap (write_arena_max), unless tnd_write_arena_max */
    tnd_wtx_memo memo; /* the writer's: tnd_wtx_get_msg_cached */
    tnd_changeset_buf changes; /* the writer's: the batch's change set, when recorded */

    pthread_t writer;
    bool writer_started;
    uv_async_t async;
    bool async_started;

    atomic_bool closing; /* no more submits */
    atomic_bool failed;  /* a commit failed for a reason other than space */
    atomic_bool full;    /* the map is full at its maximum size */
    _Atomic int64_t time_floor; /* no batch is dated before this (tnd_store_set_time_floor) */
};

/* What a write function or the batch hook sees. */
struct tnd_wtx {
    tnd_store *s;
    MDB_txn *txn;
    int64_t now_ms;
    char *msg;     /* TND_STORE_MSG_MAX + 1 bytes */
    tnd_arena *arena; /* the store's writer arena, reset for this run */
    bool map_full; /* a put reached the end of the map */
    tnd_changeset_buf *rec; /* where puts and deletes are recorded; NULL: not recorded */
};

/* store_env.c */
int tnd__store_env_open(tnd_store *s, size_t map_size, char *err, size_t err_len);
void tnd__store_env_close(tnd_store *s);
size_t tnd__store_map_size(tnd_store *s);
bool tnd__store_grow(tnd_store *s, bool force);
/** The value of key in table t: 0, TND_ENOTFOUND, TND_EINVAL (a key LMDB
 * cannot hold) or TND_EIO. */
int tnd__store_get_val(tnd_store *s, MDB_txn *txn, tnd_table t, const void *key, size_t klen,
                       MDB_val *v);
void tnd__store_publish_size(tnd_store *s);

/* store.c */
/** Append r to the writer's queue and wake it (mu held). */
void tnd__store_enqueue(tnd_store *s, tnd_store_req *r);

/* store_apply.c */
/** Run an apply request on the writer thread (growing the map as needed). */
void tnd__store_run_apply(tnd_store *s, tnd_store_req *r);
/** Raise the time floor to at least ms. */
void tnd__store_raise_floor(tnd_store *s, int64_t ms);

/* store_writer.c */
void *tnd__store_writer_main(void *arg);

/* store_wtx.c */
int tnd__wtx_mdb_err(tnd_wtx *w, int rc);
int tnd__wtx_next_batch(tnd_wtx *w, uint64_t *seq);
/** A batch begins (or is tried again): what the memo holds may be gone. */
void tnd__wtx_memo_forget(tnd_store *s);

#endif
