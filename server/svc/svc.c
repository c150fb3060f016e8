/* Pending writes, idempotent retries and small helpers for services (svc.h). */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "idem.h"
#include "ops/logging.h"
#include "store/keys.h"

char *tnd__strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int64_t tnd_wall_ms(void)
{
    return tnd_clock_ms(NULL);
}

int64_t tnd_ts_ms(const tender_common_v1_Timestamp *t)
{
    if (!t)
        return 0;
    return t->seconds * 1000 + (int64_t)(t->nanos / 1000000u);
}

void tnd_ts_set(tender_common_v1_Timestamp **t, int64_t ms)
{
    if (!*t)
        *t = calloc(1, sizeof **t);
    if (!*t)
        return;
    int64_t s = ms / 1000, r = ms % 1000;
    if (r < 0) {
        s -= 1;
        r += 1000;
    }
    (*t)->seconds = s;
    (*t)->nanos = (uint32_t)r * 1000000u;
}

const char *tnd_ms_text(int64_t ms, char *buf, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

tender_common_v1_Actor *tnd_actor_in(tnd_arena *a, const tnd_peer_identity *p)
{
    tender_common_v1_Actor *r = tnd_arena_alloc(a, sizeof *r);
    if (!r)
        return NULL;
    r->name = tnd_arena_strdup(a, p->name);
    r->organisation = tnd_arena_strdup(a, p->org);
    r->role = tnd_arena_strdup(a, p->role_name);
    return tnd_arena_failed(a) ? NULL : r;
}

tender_common_v1_Timestamp *tnd_ts_in(tnd_arena *a, int64_t ms)
{
    tender_common_v1_Timestamp *t = tnd_arena_alloc(a, sizeof *t);
    if (t) {
        t->seconds = 0;
        t->nanos = 0;
        /* tnd_ts_set's arithmetic, on a box that already exists */
        tnd_ts_set(&t, ms);
    }
    return t;
}

int tnd_call_read_begin(tnd_call *call, MDB_txn **txn)
{
    if (tnd_store_read_begin(tnd_call_server(call)->store, txn) == 0)
        return 0;
    tnd_call_finish(call, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    return -1;
}

/* What the write may take for its reply; tests lower it to make a reply
 * (or a receipt built after the commit) run out of memory. */
_Atomic size_t tnd_op_arena_max = TND_OP_ARENA_MAX;

static int out_of_reply_memory(tnd_wtx *w, const tnd_op *op)
{
    return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                        "the reply needed more server memory than it may use (%zu bytes); "
                        "nothing was stored: retry later",
                        op->arena.cap);
}

int tnd_op_reply(tnd_wtx *w, tnd_op *op, const void *msg)
{
    return tnd_msg_copy_in(op->resp_desc, &op->arena, msg, op->resp) == 0
               ? 0
               : out_of_reply_memory(w, op);
}

static void op_free(tnd_op *op)
{
    tnd_arena_free(&op->arena);
    free(op->extra);
    tnd_call_unref(op->call);
    free(op);
}

/* An idempotency record: the request's fingerprint (idem_fp), then the
 * encoded reply. */
#define FP_LEN 32

/* Writer thread: the stored reply of a retried request into op->resp (0),
 * TND_ENOTFOUND when the key is new, or a failure status. */
static int idem_replay(tnd_wtx *w, tnd_op *op)
{
    uint8_t *rec = NULL;
    size_t len = 0;
    int rc = tnd_wtx_idem_get(w, op->idem_key, op->idem_key_len, &rec, &len);
    if (rc == TND_ENOTFOUND)
        return rc;
    if (rc == 0 && len >= FP_LEN && memcmp(rec, op->idem_fp, FP_LEN) != 0) {
        free(rec);
        const uint8_t *k = op->idem_key;
        size_t kl = 0;
        tnd_key_idempotency_parse(op->idem_key, op->idem_key_len, &k, &kl);
        return tnd_wtx_fail(w, TND_STATUS_FAILED_PRECONDITION,
                            "idempotency-key \"%.*s\" was already used for a different request "
                            "(another method or other request content); send a new request "
                            "with a new key",
                            (int)kl, (const char *)k);
    }
    if (rc == 0 && len >= FP_LEN)
        rc = tnd_msg_decode_in(op->resp_desc, &op->arena, rec + FP_LEN, len - FP_LEN, op->resp,
                               NULL);
    else if (rc == 0)
        rc = TND_EMALFORMED;
    free(rec);
    if (rc != 0 && tnd_arena_failed(&op->arena)) /* the record is fine; memory is short */
        return out_of_reply_memory(w, op);
    return rc == 0 ? 0
                   : tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "idempotency record unreadable: %s",
                                  tnd_strerror(rc));
}

/* Writer thread: keep op->resp under the key for the idempotency window. */
static int idem_keep(tnd_wtx *w, tnd_op *op)
{
    uint8_t *enc = NULL, *rec = NULL;
    size_t len = 0;
    int rc = tnd_msg_encode(op->resp_desc, op->resp, &enc, &len, NULL);
    if (rc == 0 && !(rec = malloc(FP_LEN + len)))
        rc = TND_ENOMEM;
    if (rc == 0) {
        memcpy(rec, op->idem_fp, FP_LEN);
        if (len)
            memcpy(rec + FP_LEN, enc, len);
        rc = tnd_wtx_idem_put(w, op->idem_key, op->idem_key_len, rec, FP_LEN + len);
    }
    if (rc == 0)
        rc = tnd__idem_expire_at(w, (const char *)op->idem_key, op->idem_key_len,
                                op->srv->cfg.idempotency_window_ms);
    free(enc);
    free(rec);
    if (rc == 0)
        return 0;
    return rc == TND_ELIMIT ? tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                                           "cannot store the idempotency record: database full")
                            : tnd_wtx_fail(w, TND_STATUS_INTERNAL,
                                           "cannot store the idempotency record: %s",
                                           tnd_strerror(rc));
}

/* Writer thread: replay a stored reply for a retried request, else run the
 * service's function and remember its reply under the idempotency key. */
static int op_write(tnd_wtx *w, void *arg)
{
    tnd_op *op = arg;
    /* The store may run a write twice (after growing the map): start clean. */
    tnd_arena_reset(&op->arena);
    op->resp = tnd_msg_new_in(op->resp_desc, &op->arena);
    if (!op->resp)
        return out_of_reply_memory(w, op);
    op->replayed = false;
    op->after_done = false;
    if (op->idem_key_len > 0) {
        int rc = idem_replay(w, op);
        if (rc == 0) {
            op->replayed = true;
            return 0;
        }
        if (rc != TND_ENOTFOUND)
            return rc;
    }
    op->post_status = 0;
    int st = op->fn(w, op);
    if (tnd_arena_failed(&op->arena))
        st = out_of_reply_memory(w, op); /* the reply may lack a field: keep nothing */
    if (st != 0 || op->idem_key_len == 0)
        return st;
    return idem_keep(w, op);
}

/* Writer thread, after the batch hook: the service's after function. */
static void op_after(tnd_wtx *w, void *arg)
{
    tnd_op *op = arg;
    if (op->post_status == 0)
        op->after(w, op);
}

/* Loop thread, after the commit. */
static void op_done(void *arg, int status, const char *message)
{
    tnd_op *op = arg;
    int then_status = status == 0 && op->then ? op->then(op) : 0;
    if (then_status) {
        /* Committed, but the reply could not be made: no incomplete OK. */
        tnd_call_finish(op->call, (tnd_status)then_status, "%s", op->post_msg);
    } else if (status == 0 && op->post_status) {
        /* Recorded, and still an error for the caller (e.g. a share that did not fit). */
        tnd_call_finish(op->call, (tnd_status)op->post_status, "%s", op->post_msg);
    } else if (status == 0) {
        (void)tnd_call_reply(op->call, op->resp); /* message and status in one write */
    } else {
        tnd_call_finish(op->call, (tnd_status)status, "%s", message);
    }
    op_free(op);
}

/* The idempotency key of a write: scoped to the caller (org NUL name NUL
 * key: neither name holds a NUL, metadata values are printable ASCII), so
 * one caller cannot replay another's; and the fingerprint of the method and
 * request it stands for, so that a reused key is told from a retry.
 * 0, or -1 with the call finished. */
static int set_idem_key(tnd_op *op, const tnd_call *call)
{
    const msgpack_object *v = tnd_metadata_get(tnd_call_metadata(call), "idempotency-key");
    if (!v)
        return 0;
    size_t kl = v->type == MSGPACK_OBJECT_STR ? v->via.str.size : 0;
    if (kl == 0 || kl > TND_IDEM_KEY_LEN) {
        tnd_call_finish(op->call, TND_STATUS_INVALID_ARGUMENT,
                        "idempotency-key must be 1 to %d characters (this one has %zu); "
                        "the write was not run",
                        TND_IDEM_KEY_LEN, kl);
        return -1;
    }
    size_t il = tnd_key_idempotency(op->idem_key, sizeof op->idem_key, op->peer.org,
                                    op->peer.name, v->via.str.ptr, kl);
    if (il == 0) /* cannot happen: the sizes are bounded */
        return 0;
    tnd_bytes h = {0};
    const char *method = tnd_call_method(call)->full_name;
    if (tnd_msg_hash(op->req_desc, op->req, &h) != 0) {
        tnd_call_finish(op->call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return -1;
    }
    /* SHA-256(method NUL SHA-256(request)) */
    const void *parts[] = {method, h.data};
    const size_t lens[] = {strlen(method) + 1, h.len};
    int hrc = tnd_sha256_parts(parts, lens, 2, op->idem_fp);
    free(h.data);
    if (hrc != 0) {
        tnd_call_finish(op->call, TND_STATUS_INTERNAL, "the server could not hash the request; retry");
        return -1;
    }
    op->idem_key_len = il;
    return 0;
}

tnd_op *tnd_op_new(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                   tnd_op_fn fn, void *extra, size_t extra_len, tnd_op_then_fn then)
{
    const tnd_method_desc *m = tnd_call_method(call);
    if (!m->writes) {
        /* A follower serves this method (docs/SCALING.md): its write would
         * be lost or fork the nodes. The schema must say [writes]. */
        tnd_log(TND_LOG_ERROR, "a method not marked [writes] in the schema tried to write",
                "method", m->full_name, NULL);
        free(extra);
        tnd_call_finish(call, TND_STATUS_INTERNAL,
                        "%s is not marked as a write in the server's schema; nothing was written",
                        m->full_name);
        return NULL;
    }
    tnd_op *op = calloc(1, sizeof *op);
    if (!op) {
        free(extra);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return NULL;
    }
    op->call = call;
    tnd_call_ref(call);
    op->srv = tnd_call_server(call);
    op->peer = *tnd_call_peer(call);
    op->fn = fn;
    op->then = then;
    op->extra = extra;
    op->extra_len = extra_len;
    op->req_desc = m->request;
    op->req = request;
    op->resp_desc = resp_desc;
    tnd_arena_init(&op->arena, tnd_op_arena_max);
    if (set_idem_key(op, call) != 0) {
        op_free(op);
        return NULL;
    }
    return op;
}

void tnd_op_fail(tnd_op *op, tnd_status code, const char *message)
{
    tnd_call_finish(op->call, code, "%s", message);
    op_free(op);
}

void tnd_op_submit(tnd_op *op)
{
    int rc = tnd_store_submit_after(op->srv->store, op_write, op->after ? op_after : NULL, op_done,
                                    op);
    if (rc != 0)
        tnd_op_fail(op, rc == TND_EAGAIN ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_UNAVAILABLE,
                    rc == TND_EAGAIN ? "the server's write queue is full; retry shortly"
                                     : "the store is closed");
}

static void op_start(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                     tnd_op_fn fn, void *extra, size_t extra_len, tnd_op_then_fn then)
{
    tnd_op *op = tnd_op_new(call, request, resp_desc, fn, extra, extra_len, then);
    if (op)
        tnd_op_submit(op);
}

void tnd_op_run(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc, tnd_op_fn fn,
                void *extra, size_t extra_len)
{
    op_start(call, request, resp_desc, fn, extra, extra_len, NULL);
}

void tnd_op_run_then(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                     tnd_op_fn fn, tnd_op_then_fn then)
{
    op_start(call, request, resp_desc, fn, NULL, 0, then);
}
