/* Pending writes, idempotent retries and small helpers for services (svc.h). */
#include "svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "idem.h"
#include "log.h"

char *tnd_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

int64_t tnd_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

void tnd_actor_set(tender_common_v1_Actor **a, const tnd_peer_identity *p)
{
    if (!*a)
        *a = calloc(1, sizeof **a);
    if (!*a)
        return;
    free((*a)->name);
    free((*a)->organisation);
    free((*a)->role);
    (*a)->name = strdup(p->name);
    (*a)->organisation = strdup(p->org);
    (*a)->role = strdup(p->role_name);
}

int tnd_call_read_begin(tnd_call *call, MDB_txn **txn)
{
    if (tnd_store_read_begin(tnd_call_server(call)->store, txn) == 0)
        return 0;
    tnd_call_finish(call, TND_STATUS_UNAVAILABLE, "the store cannot be read");
    return -1;
}

int tnd_msg_clone(const tnd_msg_desc *d, const void *src, void *dst)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    tnd_msg_init(d, dst);
    int rc = tnd_msg_encode(d, src, &buf, &len, NULL);
    if (rc == 0)
        rc = tnd_msg_decode(d, buf, len, dst, NULL);
    free(buf);
    return rc;
}

static void op_free(tnd_op *op)
{
    if (op->req) {
        tnd_msg_free(op->req_desc, op->req);
        free(op->req);
    }
    if (op->resp) {
        tnd_msg_free(op->resp_desc, op->resp);
        free(op->resp);
    }
    free(op->extra);
    tnd_call_unref(op->call);
    free(op);
}

/* Writer thread: replay a stored reply for a retried request, else run the
 * service's function and remember its reply under the idempotency key. */
static int op_write(tnd_wtx *w, void *arg)
{
    tnd_op *op = arg;
    size_t kl = strlen(op->idem_key);
    /* The store may run a write twice (after growing the map): start clean. */
    tnd_msg_free(op->resp_desc, op->resp);
    op->replayed = false;
    if (kl > 0) {
        int rc = tnd_wtx_get_msg(w, TND_TABLE_IDEMPOTENCY, op->idem_key, kl, op->resp_desc,
                                 op->resp);
        if (rc == 0) {
            op->replayed = true;
            return 0;
        }
        if (rc != TND_ENOTFOUND)
            return tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "idempotency record unreadable");
    }
    op->post_status = 0;
    int st = op->fn(w, op);
    if (st != 0 || kl == 0)
        return st;
    if (tnd_wtx_put_msg(w, TND_TABLE_IDEMPOTENCY, op->idem_key, kl, op->resp_desc, op->resp) !=
            0 ||
        tnd_idem_expire_at(w, op->idem_key, kl, op->srv->cfg.idempotency_window_ms) != 0)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED,
                            "cannot store the idempotency record: database full");
    return 0;
}

/* Loop thread, after the commit. */
static void op_done(void *arg, int status, const char *message)
{
    tnd_op *op = arg;
    if (status == 0 && op->then)
        op->then(op);
    if (status == 0 && op->post_status) {
        /* Recorded, and still an error for the caller (e.g. a share that did not fit). */
        tnd_call_finish(op->call, (tnd_status)op->post_status, "%s", op->post_msg);
    } else if (status == 0) {
        if (tnd_call_send(op->call, op->resp) == 0)
            tnd_call_finish(op->call, TND_STATUS_OK, NULL);
    } else {
        tnd_call_finish(op->call, (tnd_status)status, "%s", message);
    }
    op_free(op);
}

static void set_idem_key(tnd_op *op, const tnd_call *call)
{
    const msgpack_object *v = tnd_metadata_get(tnd_call_metadata(call), "idempotency-key");
    if (!v || v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 || v->via.str.size > 64)
        return;
    /* Scoped to the caller and method, so one caller cannot replay another's,
     * and bound to the request's content, so a reused key with a different
     * request is a new request rather than a replay of the old answer. */
    tnd_bytes h = {0};
    if (tnd_msg_hash(op->req_desc, op->req, &h) != 0)
        return;
    snprintf(op->idem_key, sizeof op->idem_key, "%s|%s|%s|%.*s|%02x%02x%02x%02x%02x%02x%02x%02x",
             op->peer.org, op->peer.name, tnd_call_method(call)->full_name, (int)v->via.str.size,
             v->via.str.ptr, h.data[0], h.data[1], h.data[2], h.data[3], h.data[4], h.data[5],
             h.data[6], h.data[7]);
    free(h.data);
}

tnd_op *tnd_op_new(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                   tnd_op_fn fn, void *extra, size_t extra_len, void (*then)(tnd_op *op))
{
    const tnd_method_desc *m = tnd_call_method(call);
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
    op->resp_desc = resp_desc;
    op->req = calloc(1, m->request->size);
    op->resp = calloc(1, resp_desc->size);
    if (!op->req || !op->resp || tnd_msg_clone(m->request, request, op->req) != 0) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        op_free(op);
        return NULL;
    }
    tnd_msg_init(resp_desc, op->resp);
    set_idem_key(op, call);
    return op;
}

void tnd_op_fail(tnd_op *op, tnd_status code, const char *message)
{
    tnd_call_finish(op->call, code, "%s", message);
    op_free(op);
}

void tnd_op_submit(tnd_op *op)
{
    int rc = tnd_store_submit(op->srv->store, op_write, op_done, op);
    if (rc != 0)
        tnd_op_fail(op, rc == TND_EAGAIN ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_UNAVAILABLE,
                    rc == TND_EAGAIN ? "the server's write queue is full; retry shortly"
                                     : "the store is closed");
}

static void op_start(tnd_call *call, const void *request, const tnd_msg_desc *resp_desc,
                     tnd_op_fn fn, void *extra, size_t extra_len, void (*then)(tnd_op *op))
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
                     tnd_op_fn fn, void (*then)(tnd_op *op))
{
    op_start(call, request, resp_desc, fn, NULL, 0, then);
}
