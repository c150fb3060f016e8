/* Handlers of tender.test.v1.Sample for transport tests (see testsvc.h). */
#include "testsvc.h"

#include <stdlib.h>
#include <string.h>

_Atomic int testsvc_cancelled;
_Atomic int testsvc_produced;
_Atomic int testsvc_finished;

void testsvc_reset(void)
{
    testsvc_cancelled = 0;
    testsvc_produced = 0;
    testsvc_finished = 0;
}

/* Unary: echo the request. */
static void unary_msg(tnd_call *call, void *req)
{
    if (tnd_call_send(call, req) == 0) {
        testsvc_finished++;
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    }
}

/* ServerStream state. */
typedef struct stream_state {
    uint32_t left, index;
    char *pad;
    uv_timer_t timer;
    tnd_call *call;
    bool forever;
} stream_state;

static void stream_free(uv_handle_t *h)
{
    stream_state *s = h->data;
    free(s->pad);
    free(s);
}

static void stream_done(tnd_call *call, stream_state *s)
{
    tnd_call_set_user(call, NULL);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, stream_free);
    tnd_call_unref(call);
}

/* Send until done or until flow control pushes back. */
static void stream_pump(tnd_call *call)
{
    stream_state *s = tnd_call_user(call);
    if (!s)
        return;
    while (s->left > 0) {
        tender_test_v1_Scalars m = {.i64 = s->index, .s = s->pad};
        int rc = tnd_call_send(call, &m);
        if (rc == TND_EAGAIN)
            return;
        if (rc != 0)
            return;
        testsvc_produced++;
        s->index++;
        s->left--;
    }
    if (!s->forever && !uv_is_active((uv_handle_t *)&s->timer)) {
        testsvc_finished++;
        tnd_call_finish(call, TND_STATUS_OK, NULL);
        stream_done(call, s);
    }
}

static void stream_later(uv_timer_t *t)
{
    stream_state *s = t->data;
    testsvc_finished++;
    tnd_call_finish(s->call, TND_STATUS_OK, NULL);
    stream_done(s->call, s);
}

static void stream_msg(tnd_call *call, void *request)
{
    const tender_test_v1_Scalars *req = request;
    stream_state *s = calloc(1, sizeof *s);
    s->left = req->u32;
    s->call = call;
    s->forever = req->s && strcmp(req->s, "forever") == 0;
    if (req->i32 > 0) {
        s->pad = malloc((size_t)req->i32 + 1);
        memset(s->pad, 'x', (size_t)req->i32);
        s->pad[req->i32] = '\0';
    }
    uv_timer_init(tnd_call_server(call)->loop, &s->timer);
    s->timer.data = s;
    tnd_call_ref(call);
    tnd_call_set_user(call, s);
    if (req->d > 0)
        uv_timer_start(&s->timer, stream_later, (uint64_t)req->d, 0);
    stream_pump(call);
}

static void stream_cancel(tnd_call *call)
{
    testsvc_cancelled++;
    stream_state *s = tnd_call_user(call);
    if (s)
        stream_done(call, s);
}

/* ClientStream: sum the i64 of every request. */
static void client_msg(tnd_call *call, void *request)
{
    const tender_test_v1_Scalars *req = request;
    intptr_t sum = (intptr_t)tnd_call_user(call);
    tnd_call_set_user(call, (void *)(sum + (intptr_t)req->i64));
}

static void client_half_close(tnd_call *call)
{
    tender_test_v1_Scalars resp = {.i64 = (int64_t)(intptr_t)tnd_call_user(call)};
    if (tnd_call_send(call, &resp) == 0) {
        testsvc_finished++;
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    }
}

static void count_cancel(tnd_call *call)
{
    (void)call;
    testsvc_cancelled++;
}

/* Bidi: echo every Node; finish at half-close. */
static void bidi_msg(tnd_call *call, void *request)
{
    (void)tnd_call_send(call, request);
}

static void bidi_half_close(tnd_call *call)
{
    testsvc_finished++;
    tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static const tnd_handler handlers[] = {
    {.method = tender_test_v1_Sample_Unary_method, .on_message = unary_msg},
    {.method = tender_test_v1_Sample_ServerStream_method,
     .on_message = stream_msg,
     .on_cancel = stream_cancel,
     .on_writable = stream_pump},
    {.method = tender_test_v1_Sample_ClientStream_method,
     .on_message = client_msg,
     .on_half_close = client_half_close,
     .on_cancel = count_cancel},
    {.method = tender_test_v1_Sample_Bidi_method,
     .on_message = bidi_msg,
     .on_half_close = bidi_half_close,
     .on_cancel = count_cancel},
};

void testsvc_setup(tnd_server *srv)
{
    tnd_server_add_schema(srv, &test_schema);
    for (size_t i = 0; i < sizeof handlers / sizeof *handlers; i++)
        tnd_server_register(srv, &handlers[i]);
}
