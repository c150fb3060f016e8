/* Bid signature checks in the thread pool, a turn's bids together (see bid_verify.h). */
#include "bid_verify.h"

#include <stdlib.h>

#include "tender/bid.h"

#define POOL_WORKERS 4    /* libuv's default thread pool (UV_THREADPOOL_SIZE) */
#define VERIFY_JOB_MAX 16 /* bids per job at most: a job takes about 1 ms */

typedef struct job {
    uv_work_t work;
    tnd_bid_verifier *v;
    size_t n;
    struct {
        tnd_op *op;
        bool ok;
    } bids[];
} job;

struct tnd_bid_verifier {
    uv_idle_t idle; /* runs once the turn's I/O is handled: hands what came to the pool */
    tnd_op **waiting; /* bids of this turn, not yet handed over */
    size_t n_waiting, cap_waiting;
    size_t jobs_out;   /* in the pool */
    size_t jobs_total; /* handed to the pool since the start */
    bool stopped, idle_closed;
};

static void maybe_free(tnd_bid_verifier *v)
{
    if (v->stopped && v->idle_closed && v->jobs_out == 0) {
        free(v->waiting);
        free(v);
    }
}

static void on_idle_closed(uv_handle_t *h)
{
    tnd_bid_verifier *v = h->data;
    v->idle_closed = true;
    maybe_free(v);
}

static void verify_work(uv_work_t *w)
{
    job *j = w->data;
    for (size_t i = 0; i < j->n; i++) {
        const tnd_op *op = j->bids[i].op;
        const tender_bids_v1_SubmitBidRequest *req = op->req;
        j->bids[i].ok = tnd_bid_verify(req->bid, op->peer.pubkey) == 0;
    }
}

static void end_op(tnd_op *op, int status, bool ok)
{
    if (status != 0)
        tnd_op_fail(op, TND_STATUS_UNAVAILABLE, "the signature check was cancelled");
    else if (!ok)
        tnd_op_fail(op, TND_STATUS_INVALID_ARGUMENT,
                    "bad signature: the envelope is not signed by your certificate's key");
    else
        tnd_op_submit(op);
}

static void verify_done(uv_work_t *w, int status)
{
    job *j = w->data;
    tnd_bid_verifier *v = j->v;
    for (size_t i = 0; i < j->n; i++)
        end_op(j->bids[i].op, status, j->bids[i].ok);
    free(j);
    v->jobs_out--;
    maybe_free(v);
}

/* Hand the waiting bids to the pool: one job per worker while that keeps
 * jobs at VERIFY_JOB_MAX bids or fewer, more jobs beyond. */
static void hand_over(uv_idle_t *c)
{
    tnd_bid_verifier *v = c->data;
    uv_loop_t *loop = c->loop;
    size_t n = v->n_waiting, at = 0;
    uv_idle_stop(c);
    v->n_waiting = 0;
    size_t per = (n + POOL_WORKERS - 1) / POOL_WORKERS;
    if (per > VERIFY_JOB_MAX)
        per = VERIFY_JOB_MAX;
    while (at < n) {
        size_t k = n - at < per ? n - at : per;
        job *j = malloc(sizeof *j + k * sizeof j->bids[0]);
        if (!j) {
            for (; at < n; at++)
                tnd_op_fail(v->waiting[at], TND_STATUS_RESOURCE_EXHAUSTED,
                            "server out of memory");
            break;
        }
        j->work.data = j;
        j->v = v;
        j->n = k;
        for (size_t i = 0; i < k; i++)
            j->bids[i].op = v->waiting[at + i];
        if (uv_queue_work(loop, &j->work, verify_work, verify_done) != 0) {
            for (size_t i = 0; i < k; i++)
                tnd_op_fail(j->bids[i].op, TND_STATUS_UNAVAILABLE,
                            "cannot check the signature now");
            free(j);
        } else {
            v->jobs_out++;
            v->jobs_total++;
        }
        at += k;
    }
}

static tnd_bid_verifier *verifier_new(uv_loop_t *loop)
{
    tnd_bid_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    uv_idle_init(loop, &v->idle);
    v->idle.data = v;
    uv_unref((uv_handle_t *)&v->idle); /* waiting bids hold calls, which hold the loop */
    return v;
}

void tnd_bid_verify_submit(tnd_server *srv, tnd_op *op)
{
    tnd_bid_verifier *v = srv->bid_verifier;
    if (!v && !(v = srv->bid_verifier = verifier_new(srv->loop))) {
        tnd_op_fail(op, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    if (v->n_waiting == v->cap_waiting) {
        size_t cap = v->cap_waiting ? 2 * v->cap_waiting : 64;
        tnd_op **p = realloc(v->waiting, cap * sizeof *p);
        if (!p) {
            tnd_op_fail(op, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            return;
        }
        v->waiting = p;
        v->cap_waiting = cap;
    }
    v->waiting[v->n_waiting++] = op;
    if (v->n_waiting == 1)
        uv_idle_start(&v->idle, hand_over);
}

size_t tnd_bid_verifier_jobs(const tnd_server *srv)
{
    return srv->bid_verifier ? srv->bid_verifier->jobs_total : 0;
}

void tnd_bid_verifier_stop(tnd_server *srv)
{
    tnd_bid_verifier *v = srv->bid_verifier;
    if (!v)
        return;
    srv->bid_verifier = NULL;
    for (size_t i = 0; i < v->n_waiting; i++)
        tnd_op_fail(v->waiting[i], TND_STATUS_UNAVAILABLE, "the server is stopping");
    v->n_waiting = 0;
    v->stopped = true;
    uv_close((uv_handle_t *)&v->idle, on_idle_closed);
}
