/* Blocking calls on a client's private loop (tnd_client_open): unary calls
 * and a stream object for the streaming kinds. Built on the asynchronous
 * calls; responses wait in a queue, and flow-control credit goes back to the
 * server only as the caller takes them (tnd_client_stream_next). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

typedef struct queued {
    void *msg;  /* a decoded response struct (malloc'd; what it points to is owned
                 * unless the stream has an arena) */
    size_t len; /* its payload bytes, for credit */
} queued;

struct tnd_client_stream {
    tnd_client *client;
    const tnd_method_desc *method;
    tnd_client_call *call; /* NULL once on_status ran */
    tnd_arena *arena;      /* responses are decoded into it (they are its), or NULL */
    queued *q;
    size_t q_head, q_len, q_cap;
    bool done;
    bool answered; /* the status is the server's (tnd_client_stream_answered) */
    tnd_status_info st;
};

static void set_status(tnd_status_info *st, int code, const char *msg)
{
    if (!st)
        return;
    st->code = code;
    snprintf(st->message, sizeof st->message, "%s", msg ? msg : "");
    st->details_len = 0;
}

static void on_message(tnd_client_call *call, const void *response, void *user)
{
    tnd_client_stream *s = user;
    const tnd_msg_desc *d = s->method->response;
    void *copy = malloc(d->size);
    if (copy && s->q_head > 0 && s->q_head == s->q_len)
        s->q_head = s->q_len = 0;
    if (copy && s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? s->q_cap * 2 : 8;
        queued *n = realloc(s->q, cap * sizeof *n);
        if (n) {
            s->q = n;
            s->q_cap = cap;
        }
    }
    if (!copy || s->q_len == s->q_cap) {
        /* The call keeps ownership only without keep_response: free here. */
        if (!s->arena)
            tnd_msg_free(d, (void *)response);
        free(copy);
        tnd_client_call_cancel(call); /* on_status(CANCELLED) follows at once */
        set_status(&s->st, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory queueing a response");
        return;
    }
    memcpy(copy, response, d->size); /* takes over what the decoded struct owns */
    s->q[s->q_len].msg = copy;
    s->q[s->q_len].len = call->cur_len;
    s->q_len++;
}

static void on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    tnd_client_stream *s = user;
    s->call = NULL;
    s->answered = call->answered;
    if (!s->done && s->st.code == 0 && s->st.message[0] == '\0') {
        set_status(&s->st, code, message);
        size_t n;
        const uint8_t *d = tnd_client_call_details(call, &n);
        if (n > sizeof s->st.details)
            n = sizeof s->st.details;
        if (d && n)
            memcpy(s->st.details, d, n);
        s->st.details_len = n;
    }
    s->done = true;
}

static const tnd_call_cb stream_cb = {.on_message = on_message, .on_status = on_status};

/* Run the private loop once; false when it has nothing left to do. */
static bool run_once(tnd_client_stream *s)
{
    if (uv_run(s->client->loop, UV_RUN_ONCE) == 0 && !s->done && s->q_head == s->q_len) {
        if (s->call)
            tnd__call_end(s->call, TND_STATUS_INTERNAL, "the event loop has nothing to wait for");
        return false;
    }
    return true;
}

static int start_error(int rc, const tnd_client *c, tnd_status_info *st)
{
    if (rc == TND_ECLOSED)
        set_status(st, TND_STATUS_CANCELLED, "the client is closed");
    else if (rc == TND_ENOMEM)
        set_status(st, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    else
        set_status(st, TND_STATUS_INVALID_ARGUMENT,
                   c && !c->owns_loop ? "blocking calls need a client from tnd_client_open"
                                      : "invalid call: check the method and the metadata keys "
                                        "(lowercase a-z 0-9 - _ .) and values");
    return st ? st->code : TND_STATUS_INVALID_ARGUMENT;
}

static int stream_open(tnd_client *c, const tnd_method_desc *method, tnd_arena *arena,
                       const void *req, const tnd_call_opts *opts, tnd_client_stream **out,
                       tnd_status_info *st)
{
    tnd_status_info local;
    if (!st)
        st = &local;
    set_status(st, TND_STATUS_OK, "");
    if (out)
        *out = NULL;
    if (!c || !method || !out || !c->owns_loop)
        return start_error(TND_EINVAL, c, st);
    /* Take in what arrived while the loop was not running (a GOAWAY, an idle
     * close), so the call does not go out on a connection that is gone. */
    uv_run(c->loop, UV_RUN_NOWAIT);
    tnd_client_stream *s = calloc(1, sizeof *s);
    if (!s)
        return start_error(TND_ENOMEM, c, st);
    s->client = c;
    s->method = method;
    int rc = tnd_client_call_start(c, method, opts, &stream_cb, s, &s->call);
    if (rc != 0) {
        free(s);
        return start_error(rc, c, st);
    }
    s->call->keep_response = true;
    s->call->arena = s->arena = arena;
    s->call->manual_credit = true;
    if (req) {
        rc = tnd_client_call_send(s->call, req);
        if (rc != 0) {
            set_status(st, rc == TND_ENOMEM ? TND_STATUS_RESOURCE_EXHAUSTED
                                            : TND_STATUS_INVALID_ARGUMENT,
                       s->call->last_error[0] ? s->call->last_error : "invalid request");
            tnd_client_stream_close(s);
            return st->code;
        }
        (void)tnd_client_call_close_send(s->call);
    }
    *out = s;
    return 0;
}

int tnd_client_stream_open(tnd_client *c, const tnd_method_desc *method, const void *req,
                           const tnd_call_opts *opts, tnd_client_stream **out,
                           tnd_status_info *st)
{
    return stream_open(c, method, NULL, req, opts, out, st);
}

int tnd_client_stream_send(tnd_client_stream *s, const void *request, tnd_status_info *st)
{
    for (;;) {
        if (s->done) {
            if (s->st.code != TND_STATUS_OK) {
                if (st)
                    *st = s->st;
                return s->st.code;
            }
            set_status(st, TND_STATUS_FAILED_PRECONDITION, "the call has already ended");
            return TND_STATUS_FAILED_PRECONDITION;
        }
        int rc = tnd_client_call_send(s->call, request);
        if (rc == 0)
            return 0;
        if (rc != TND_EAGAIN) {
            set_status(st, rc == TND_ENOMEM ? TND_STATUS_RESOURCE_EXHAUSTED
                                            : TND_STATUS_INVALID_ARGUMENT,
                       s->call->last_error);
            return st ? st->code : TND_STATUS_INVALID_ARGUMENT;
        }
        if (!run_once(s) && !s->done)
            return TND_STATUS_INTERNAL;
    }
}

int tnd_client_stream_close_send(tnd_client_stream *s)
{
    if (s->call)
        (void)tnd_client_call_close_send(s->call);
    return 0;
}

int tnd_client_stream_next(tnd_client_stream *s, void *resp, tnd_status_info *st)
{
    const tnd_msg_desc *d = s->method->response;
    tnd_msg_init(d, resp);
    for (;;) {
        if (s->q_head < s->q_len) {
            queued *e = &s->q[s->q_head++];
            memcpy(resp, e->msg, d->size);
            free(e->msg);
            if (s->call)
                tnd__call_consumed(s->call, e->len);
            return 1;
        }
        if (s->done) {
            if (st)
                *st = s->st;
            return 0;
        }
        run_once(s);
    }
}

int tnd_client_stream_finish(tnd_client_stream *s, void *resp, tnd_status_info *st)
{
    tnd_status_info local;
    const tnd_msg_desc *d = s->method->response;
    if (!st)
        st = &local;
    (void)tnd_client_stream_close_send(s);
    int got = tnd_client_stream_next(s, resp, st);
    if (got == 1) {
        void *extra = calloc(1, d->size);
        if (!extra) {
            if (!s->arena)
                tnd_msg_free(d, resp);
            tnd_msg_init(d, resp);
            set_status(st, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            return st->code;
        }
        while (tnd_client_stream_next(s, extra, st) == 1)
            if (!s->arena) /* already refused by call.c for one-response kinds */
                tnd_msg_free(d, extra);
        free(extra);
    }
    if (st->code != TND_STATUS_OK) {
        if (!s->arena)
            tnd_msg_free(d, resp);
        tnd_msg_init(d, resp);
        return st->code;
    }
    if (got != 1) {
        set_status(st, TND_STATUS_INTERNAL, "the server ended the call without a response");
        return st->code;
    }
    return 0;
}

bool tnd_client_stream_answered(const tnd_client_stream *s)
{
    return s && s->answered;
}

void tnd_client_stream_close(tnd_client_stream *s)
{
    if (!s)
        return;
    if (s->call)
        tnd_client_call_cancel(s->call);
    for (size_t i = s->q_head; i < s->q_len; i++) {
        if (!s->arena)
            tnd_msg_free(s->method->response, s->q[i].msg);
        free(s->q[i].msg);
    }
    free(s->q);
    free(s);
}

static int unary(tnd_client *c, const tnd_method_desc *method, tnd_arena *arena, const void *req,
                 void *resp, const tnd_call_opts *opts, tnd_status_info *st)
{
    tnd_status_info local;
    tnd_client_stream *s;
    if (!st)
        st = &local;
    if (method && resp)
        tnd_msg_init(method->response, resp);
    if (!req || !resp)
        return start_error(TND_EINVAL, c, st);
    int rc = stream_open(c, method, arena, req, opts, &s, st);
    if (rc != 0)
        return rc;
    rc = tnd_client_stream_finish(s, resp, st);
    tnd_client_stream_close(s);
    return rc;
}

int tnd_client_unary(tnd_client *c, const tnd_method_desc *method, const void *req, void *resp,
                     const tnd_call_opts *opts, tnd_status_info *st)
{
    return unary(c, method, NULL, req, resp, opts, st);
}

int tnd_client_unary_in(tnd_client *c, const tnd_method_desc *method, tnd_arena *arena,
                        const void *req, void *resp, const tnd_call_opts *opts, tnd_status_info *st)
{
    if (!arena)
        return start_error(TND_EINVAL, c, st);
    return unary(c, method, arena, req, resp, opts, st);
}
