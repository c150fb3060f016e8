/* Helpers shared by the service handlers: a pending write (tnd_op) that
 * carries a call through the store's writer thread and back, idempotent
 * retries, and time conversions. */
#ifndef TND_SERVER_SVC_H
#define TND_SERVER_SVC_H

#include "arena.h"
#include "transport/server.h"
#include "store/store.h"
#include "tender_schema.h"

typedef struct tnd_op tnd_op;

/* Longest idempotency record key: org and name (each under 128 bytes, no
 * NUL), two NULs and a key of at most TND_IDEM_KEY_LEN bytes. */
#define TND_IDEM_KEY_LEN 64
#define TND_IDEM_KEY_MAX (2 * 128 + TND_IDEM_KEY_LEN)

/* The service's part of a write, run on the writer thread. Fill op->resp
 * (already initialised) from op->arena and return 0, or return
 * tnd_wtx_fail(...). An allocation from op->arena that failed fails the
 * write as a whole (RESOURCE_EXHAUSTED, nothing stored), as one from
 * tnd_wtx_arena does. */
typedef int (*tnd_op_fn)(tnd_wtx *w, tnd_op *op);

/* The most memory the reply of one write may take (op->arena), and the
 * variable ops take it from (tests lower it to exhaust a reply). */
#define TND_OP_ARENA_MAX (16u * 1024u * 1024u)
extern _Atomic size_t tnd_op_arena_max;

/* Runs on the loop thread after a successful commit, before the reply:
 * 0, or a status (message in op->post_msg) that the call ends with instead
 * of the reply; the write stays committed (a retry with the same
 * idempotency key gets the stored reply). */
typedef int (*tnd_op_then_fn)(tnd_op *op);

/* On the writer thread, after the batch hook (the batch's checkpoint is
 * signed) and before the commit, for an op whose write succeeded: may fill
 * op->resp further from the batch transaction (tnd_wtx_txn), reading only;
 * it cannot fail the write. It sets op->after_done when the reply is
 * complete, so that then() can skip rebuilding it after the commit. */
typedef void (*tnd_op_after_fn)(tnd_wtx *w, tnd_op *op);

struct tnd_op {
    tnd_call *call;             /* referenced until the reply: it keeps req alive */
    tnd_server *srv;
    tnd_peer_identity peer;     /* copied: the connection may go away */
    const tnd_msg_desc *req_desc;
    const void *req;            /* the request, in the call's memory (not copied) */
    const tnd_msg_desc *resp_desc;
    void *resp;                 /* in arena */
    tnd_arena arena;            /* the reply and what it points to; reset when fn reruns */
    tnd_op_fn fn;
    uint8_t idem_key[TND_IDEM_KEY_MAX]; /* org NUL name NUL idempotency-key (svc.c) */
    size_t idem_key_len;        /* 0: no idempotency-key */
    uint8_t idem_fp[32];        /* what the key stands for: method and request */
    void *extra;                /* handler-owned data, freed with free() */
    size_t extra_len;
    tnd_op_then_fn then;        /* on the loop thread after a successful commit, or NULL */
    tnd_op_after_fn after;      /* set before tnd_op_submit, or NULL */
    bool after_done;            /* set by after: the reply is complete */
    int post_status;            /* set by fn: commit, but answer with this status */
    char post_msg[400];
    uint64_t event_seq;         /* set by fn: the event it logged, for receipts */
    bool replayed;              /* the reply is a stored one: fn did not run */
};

/** Start a write for call: copies the caller, and submits fn to the store.
 * request is not copied: it must live as long as the call (the request
 * on_message got for a call with one request message, or a message in
 * tnd_call_arena), which the op holds a reference to. The reply (response + OK, or the failure) is sent after the commit.
 * On a full queue the call ends at once with RESOURCE_EXHAUSTED. extra
 * (may be NULL) passes to op->extra and is freed with the op.
 * With an idempotency-key in the call's metadata (1 to TND_IDEM_KEY_LEN
 * bytes, else INVALID_ARGUMENT), the same caller sending the same method
 * and request with that key again gets the stored reply, and the key used
 * with another method or request gets FAILED_PRECONDITION. */
void tnd_op_run(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc, tnd_op_fn fn,
                void *extra, size_t extra_len);

/** As tnd_op_run, and then(op) runs on the loop thread after a successful
 * commit, before the reply (e.g. to re-arm a timer). */
void tnd_op_run_then(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                     tnd_op_fn fn, tnd_op_then_fn then);

/** The steps of tnd_op_run, for handlers with work between them (e.g. a
 * signature check in the thread pool): make the op (NULL: the call was
 * finished with an error), then submit it or fail it. */
tnd_op *tnd_op_new(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                   tnd_op_fn fn, void *extra, size_t extra_len, tnd_op_then_fn then);
void tnd_op_submit(tnd_op *op);
void tnd_op_fail(tnd_op *op, tnd_status code, const char *message);

/** Begin a read transaction for a handler; on failure the call is finished
 * with UNAVAILABLE and -1 returned. */
int tnd_call_read_begin(tnd_call *call, MDB_txn **txn);

/** The reply of op: a deep copy of msg (of type op->resp_desc) in op->arena.
 * Returns 0, or RESOURCE_EXHAUSTED with the write failed (tnd_wtx_fail). */
int tnd_op_reply(tnd_wtx *w, tnd_op *op, const void *msg);

/* Time: tender.common.v1.Timestamp <-> milliseconds since the epoch. */
int64_t tnd_ts_ms(const tender_common_v1_Timestamp *t);
/** Set *t (malloc'd when NULL) to ms; a malloc that fails leaves it NULL
 * unsaid. For malloc'd messages only: a write sets the records it stores
 * with tnd_ts_in, whose failure fails the write. */
void tnd_ts_set(tender_common_v1_Timestamp **t, int64_t ms);
/** RFC 3339 UTC text of a time in ms ("2026-12-01T10:00:00Z"). */
const char *tnd_ms_text(int64_t ms, char *buf, size_t len);
/** The real time (not the server's clock: tnd_clock_ms(srv->clock)). */
int64_t tnd_wall_ms(void);

/** The actor of a caller in arena (NULL when the arena failed). */
tender_common_v1_Actor *tnd_actor_in(tnd_arena *a, const tnd_peer_identity *p);

/** A timestamp of ms in arena (NULL when the arena failed). */
tender_common_v1_Timestamp *tnd_ts_in(tnd_arena *a, int64_t ms);


/** strdup that never returns NULL for a non-NULL input without failing loudly. */
char *tnd__strdup(const char *s);

#endif
