/* One client call across its attempts: metadata, request queue with
 * per-stream flow control, responses and credit, deadline, cancellation,
 * retries with backoff, and the single on_status (see tender/client.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "arena.h"
#include "tender/encoding.h"

static void attach(tnd_client_call *call);
static void on_backoff(uv_timer_t *t);

/* ---- lifetime ------------------------------------------------------------- */

static void call_release(tnd_client_call *call)
{
    if (call->refs > 0 || call->timers_open > 0)
        return;
    tnd_client *c = call->client;
    for (size_t i = 0; i < call->n_reqs; i++)
        free(call->reqs[i].data);
    free(call->reqs);
    for (size_t i = 0; i < call->n_md; i++) {
        free((char *)call->md[i].key);
        free((uint8_t *)call->md[i].value);
    }
    free(call->md);
    free(call);
    tnd__client_unref(c);
}

static void unref(tnd_client_call *call)
{
    call->refs--;
    call_release(call);
}

static void on_timer_closed(uv_handle_t *h)
{
    tnd_client_call *call = h->data;
    call->timers_open--;
    call_release(call);
}

static bool one_request(const tnd_method_desc *m)
{
    return m->kind == TND_CALL_UNARY || m->kind == TND_CALL_SERVER_STREAM;
}

static bool one_response(const tnd_method_desc *m)
{
    return m->kind == TND_CALL_UNARY || m->kind == TND_CALL_CLIENT_STREAM;
}

/* ---- frames out ------------------------------------------------------------ */

static void send_cancel(tnd_client_call *call)
{
    tnd_cconn *cc = call->conn;
    if (!cc || !call->sid || cc->state != CCONN_READY)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_cancel(&sb, call->sid) == 0)
        (void)tnd__conn_write(cc, &sb);
    msgpack_sbuffer_destroy(&sb);
}

/* Leave the attempt's connection (sending CANCEL when the server still runs
 * the stream). */
static void detach(tnd_client_call *call, bool cancel)
{
    tnd_cconn *cc = call->conn;
    if (!cc)
        return;
    if (cancel)
        send_cancel(call);
    tnd__conn_remove_call(cc, call);
    call->sid = 0;
    tnd__conn_maybe_idle(cc);
}

/* ---- ending -------------------------------------------------------------- */

void tnd__call_end(tnd_client_call *call, int code, const char *message)
{
    if (call->ended)
        return;
    tnd_client *c = call->client;
    call->ended = true;
    uv_timer_stop(&call->deadline);
    uv_timer_stop(&call->backoff);
    detach(call, true);
    if (call->prev)
        call->prev->next = call->next;
    else
        c->calls = call->next;
    if (call->next)
        call->next->prev = call->prev;
    call->refs++;
    call->cb.on_status(call, code, message ? message : "", call->user);
    free(call->details);
    call->details = NULL;
    call->details_len = 0;
    uv_close((uv_handle_t *)&call->deadline, on_timer_closed);
    uv_close((uv_handle_t *)&call->backoff, on_timer_closed);
    call->refs--; /* the reference the call held while running */
    unref(call);
}

static void __attribute__((format(printf, 3, 4)))
end_fmt(tnd_client_call *call, int code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tnd__call_end(call, code, msg);
}

/* An attempt failed with code: retry after a backoff, or end the call.
 * unsent: no server saw the call (its connection never became ready). */
static void attempt_failed(tnd_client_call *call, int code, const char *why, bool permanent,
                           bool unsent)
{
    tnd_client *c = call->client;
    uint64_t now = uv_now(c->loop);
    uint64_t delay = tnd__backoff_delay(c->backoff_base_ms, c->backoff_max_ms, call->attempt + 1,
                                        tnd__client_random(c));
    snprintf(call->last_error, sizeof call->last_error, "%s", why);
    bool repeatable = tnd__call_repeatable(call->method, call->keyed, unsent, c->n_addrs);
    if (!c->closing && tnd__should_retry(repeatable, code, permanent, call->delivered,
                                         call->retained, call->attempt, call->max_attempts, now,
                                         delay, call->deadline_ms)) {
        call->attempt++;
        call->pending_fail = false;
        uv_timer_start(&call->backoff, on_backoff, delay, 0);
        return;
    }
    if (call->attempt > 1)
        end_fmt(call, code, "%s (after %d attempts)", why, call->attempt);
    else
        tnd__call_end(call, code, why);
}

/* The backoff is over (next attempt), or a failure found while starting an
 * attempt is reported here, outside the caller's stack. */
static void on_backoff(uv_timer_t *t)
{
    tnd_client_call *call = t->data;
    if (call->ended)
        return;
    if (call->pending_fail) {
        call->pending_fail = false;
        attempt_failed(call, TND_STATUS_UNAVAILABLE, call->last_error, call->pending_permanent,
                       true);
        return;
    }
    attach(call);
}

static void on_deadline(uv_timer_t *t)
{
    tnd_client_call *call = t->data;
    uint64_t ms = call->deadline_ms - call->start_ms;
    if (call->attempt > 1 || (call->last_error[0] && !call->conn))
        end_fmt(call, TND_STATUS_DEADLINE_EXCEEDED,
                "deadline of %llu ms exceeded after %d attempts; last error: %s",
                (unsigned long long)ms, call->attempt, call->last_error);
    else
        end_fmt(call, TND_STATUS_DEADLINE_EXCEEDED, "deadline of %llu ms exceeded",
                (unsigned long long)ms);
}

/* ---- attempts ------------------------------------------------------------------ */

/* Put the call on a connection; it opens its stream once that is ready. */
static void attach(tnd_client_call *call)
{
    tnd_client *c = call->client;
    tnd_cconn *cc = tnd__conn_get(c);
    if (!cc || cc->state == CCONN_CLOSED) {
        snprintf(call->last_error, sizeof call->last_error, "%s",
                 cc ? cc->why : "out of memory opening a connection");
        call->pending_fail = true;
        call->pending_permanent = cc ? cc->permanent : false;
        uv_timer_start(&call->backoff, on_backoff, 0, 0);
        return;
    }
    call->next_send = 0;
    call->half_close_sent = false;
    call->answered = false;
    call->recv_unacked = 0;
    tnd__conn_add_call(cc, call);
    if (cc->state == CCONN_READY)
        tnd__call_on_ready(call);
}

void tnd__call_on_ready(tnd_client_call *call)
{
    tnd_cconn *cc = call->conn;
    tnd_client *c = call->client;
    if (cc->next_sid > 0x7fffffffu) { /* ids used up: the next call needs a new connection */
        cc->goaway = true;
        if (c->current == cc)
            c->current = NULL;
        detach(call, false);
        attach(call);
        return;
    }
    call->sid = cc->next_sid;
    cc->next_sid += 2;
    call->send_window = cc->got_settings ? (int64_t)cc->peer.initial_window
                                         : TND_CLIENT_ASSUMED_WINDOW;
    uint64_t timeout = 0;
    if (call->deadline_ms) {
        uint64_t now = uv_now(c->loop);
        timeout = call->deadline_ms > now ? call->deadline_ms - now : 1;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = tnd_frame_put_call(&sb, call->sid, call->method->full_name, call->md, call->n_md,
                                timeout);
    if (rc == 0)
        rc = tnd__conn_write(cc, &sb);
    msgpack_sbuffer_destroy(&sb);
    if (rc == 0)
        tnd__call_flush(call);
}

void tnd__call_on_conn_lost(tnd_client_call *call, const char *why, bool never_seen,
                            bool permanent)
{
    bool unsent = call->sid == 0; /* the connection failed before the call's CALL */
    call->sid = 0;
    if (call->ended)
        return;
    if (never_seen && call->retained && !call->client->closing) {
        attach(call); /* the server never saw it: a new connection, not a new attempt */
        return;
    }
    attempt_failed(call, TND_STATUS_UNAVAILABLE, why, permanent, unsent);
}

/* ---- sending -------------------------------------------------------------------- */

/* Forget requests already sent once a replay is no longer possible. */
static void drop_sent(tnd_client_call *call)
{
    for (size_t i = 0; i < call->next_send; i++) {
        free(call->reqs[i].data);
        call->reqs[i].data = NULL;
    }
    if (call->next_send == call->n_reqs)
        call->n_reqs = call->next_send = 0;
}

static bool window_allows(const tnd_client_call *call, size_t len)
{
    const tnd_cconn *cc = call->conn;
    if (tnd_tls_stream_congested(&cc->tls))
        return false;
    if (!cc->got_settings) /* no overshoot before we know the real windows */
        return (int64_t)len <= call->send_window && (int64_t)len <= cc->send_window;
    /* Windows may go negative by one message (docs/PROTOCOL.md, section 5). */
    return call->send_window > 0 && cc->send_window > 0;
}

void tnd__call_flush(tnd_client_call *call)
{
    tnd_cconn *cc = call->conn;
    if (call->ended || !cc || !call->sid || cc->state != CCONN_READY)
        return;
    call->refs++;
    while (call->next_send < call->n_reqs && call->conn == cc && cc->state == CCONN_READY) {
        reqbuf *r = &call->reqs[call->next_send];
        uint32_t max_frame = cc->got_settings ? cc->peer.max_frame : TND_CLIENT_ASSUMED_MAX_FRAME;
        if (r->len + 64 > max_frame) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "request of %zu bytes is larger than the server accepts (%u bytes per frame)",
                     r->len, max_frame);
            tnd__call_end(call, TND_STATUS_RESOURCE_EXHAUSTED, msg);
            break;
        }
        if (!window_allows(call, r->len))
            break;
        bool last = call->half_close && call->next_send + 1 == call->n_reqs;
        if (tnd__conn_write_message(cc, call->sid, r->data, r->len, last) != 0)
            break;
        call->send_window -= (int64_t)r->len;
        cc->send_window -= (int64_t)r->len;
        call->next_send++;
        if (last)
            call->half_close_sent = true;
        if (!call->retained)
            drop_sent(call);
    }
    if (!call->ended && call->conn == cc && cc->state == CCONN_READY &&
        call->next_send == call->n_reqs) {
        if (call->half_close && !call->half_close_sent) {
            call->half_close_sent = true;
            (void)tnd__conn_write_message(cc, call->sid, NULL, 0, true);
        }
        if (call->writable_wanted && call->cb.on_writable) {
            call->writable_wanted = false;
            call->cb.on_writable(call, call->user);
        }
    }
    unref(call);
}

void tnd__call_on_window(tnd_client_call *call, int64_t delta)
{
    call->send_window += delta;
    tnd__call_flush(call);
}

int tnd_client_call_send(tnd_client_call *call, const void *request)
{
    tnd_codec_err err = {{0}};
    if (!call || !request || call->ended)
        return TND_EINVAL;
    if (call->half_close) {
        snprintf(call->last_error, sizeof call->last_error,
                 "cannot send after the end of the request stream");
        return TND_EINVAL;
    }
    if (one_request(call->method) && (call->n_reqs > 0 || call->next_send > 0)) {
        snprintf(call->last_error, sizeof call->last_error, "%s takes exactly one request",
                 call->method->full_name);
        return TND_EINVAL;
    }
    if (call->next_send < call->n_reqs) {
        call->writable_wanted = true;
        return TND_EAGAIN;
    }
    if (call->n_reqs == call->cap_reqs) {
        size_t cap = call->cap_reqs ? call->cap_reqs * 2 : 4;
        reqbuf *n = realloc(call->reqs, cap * sizeof *n);
        if (!n)
            return TND_ENOMEM;
        call->reqs = n;
        call->cap_reqs = cap;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = tnd_msg_encode(call->method->request, request, &buf, &len, &err);
    if (rc != 0) {
        snprintf(call->last_error, sizeof call->last_error, "invalid %s: %s",
                 call->method->request->full_name, err.text);
        return rc == TND_ENOMEM ? TND_ENOMEM : TND_EINVAL;
    }
    uint32_t max_frame = call->conn && call->conn->got_settings ? call->conn->peer.max_frame
                                                                : TND_CLIENT_ASSUMED_MAX_FRAME;
    if (len + 64 > max_frame) {
        snprintf(call->last_error, sizeof call->last_error,
                 "request of %zu bytes is larger than the server accepts (%u bytes per frame)",
                 len, max_frame);
        free(buf);
        return TND_EINVAL;
    }
    call->reqs[call->n_reqs].data = buf;
    call->reqs[call->n_reqs].len = len;
    call->n_reqs++;
    call->retained_bytes += len;
    if (call->retained && call->retained_bytes > TND_CLIENT_MAX_RETAINED) {
        call->retained = false;
        drop_sent(call);
    }
    tnd__call_flush(call);
    if (!call->ended && call->next_send < call->n_reqs)
        call->writable_wanted = true;
    return 0;
}

int tnd_client_call_close_send(tnd_client_call *call)
{
    if (!call || call->ended || call->half_close)
        return 0;
    call->half_close = true;
    tnd__call_flush(call);
    return 0;
}

void tnd_client_call_cancel(tnd_client_call *call)
{
    if (call && !call->ended)
        tnd__call_end(call, TND_STATUS_CANCELLED, "cancelled by the caller");
}

const tnd_method_desc *tnd_client_call_method(const tnd_client_call *call)
{
    return call->method;
}

/* ---- receiving -------------------------------------------------------------------- */

void tnd__call_consumed(tnd_client_call *call, size_t len)
{
    tnd_cconn *cc = call->conn;
    call->recv_unacked += (uint32_t)len;
    if (call->ended || !cc || !call->sid || cc->state != CCONN_READY ||
        call->recv_unacked < TND_CLIENT_STREAM_WINDOW / 2)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_window(&sb, call->sid, call->recv_unacked) == 0)
        (void)tnd__conn_write(cc, &sb);
    msgpack_sbuffer_destroy(&sb);
    call->recv_unacked = 0;
}

static void on_response(tnd_client_call *call, const tnd_frame *f)
{
    const tnd_msg_desc *d = call->method->response;
    tnd_codec_err err = {{0}};
    size_t len = f->u.message.payload.len;
    if (len == 0)
        return; /* carries nothing */
    if (one_response(call->method) && call->delivered > 0) {
        tnd__call_end(call, TND_STATUS_INTERNAL, "the server sent more than one response");
        return;
    }
    /* Into the caller's arena when it gave one: the response lives as long
     * as the caller's work and is never freed field by field. */
    void *resp = call->arena ? tnd_arena_alloc(call->arena, d->size) : calloc(1, d->size);
    if (!resp) {
        tnd__call_end(call, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory decoding a response");
        return;
    }
    tnd_msg_init(d, resp);
    int rc = call->arena
                 ? tnd_msg_decode_in(d, call->arena, f->u.message.payload.ptr, len, resp, &err)
                 : tnd_msg_decode(d, f->u.message.payload.ptr, len, resp, &err);
    if (rc != 0) {
        if (!call->arena)
            free(resp);
        if (rc == TND_ENOMEM)
            tnd__call_end(call, TND_STATUS_RESOURCE_EXHAUSTED, "out of memory decoding a response");
        else
            end_fmt(call, TND_STATUS_INTERNAL, "cannot decode the server's %s: %s", d->full_name,
                    err.text);
        return;
    }
    call->delivered++;
    call->cur_len = len;
    call->cur_bytes = f->u.message.payload.ptr;
    call->refs++;
    if (call->cb.on_message)
        call->cb.on_message(call, resp, call->user);
    call->cur_bytes = NULL;
    if (!call->arena) {
        if (!call->keep_response)
            tnd_msg_free(d, resp);
        free(resp);
    }
    if (!call->manual_credit)
        tnd__call_consumed(call, len);
    unref(call);
}

void tnd__call_on_frame(tnd_client_call *call, const tnd_frame *f)
{
    if (call->ended)
        return;
    if (f->type == TND_FRAME_MESSAGE) {
        on_response(call, f);
        return;
    }
    /* STATUS: the server closed the stream. */
    call->answered = true;
    char msg[512];
    size_t n = f->u.status.message.len < sizeof msg - 1 ? f->u.status.message.len : sizeof msg - 1;
    if (n)
        memcpy(msg, f->u.status.message.ptr, n);
    msg[n] = '\0';
    int code = f->u.status.code <= 16 ? (int)f->u.status.code : TND_STATUS_UNKNOWN;
    if (f->u.status.details.len && code != TND_STATUS_UNAVAILABLE) {
        call->details = malloc(f->u.status.details.len);
        if (call->details) {
            memcpy(call->details, f->u.status.details.ptr, f->u.status.details.len);
            call->details_len = f->u.status.details.len;
        }
    }
    tnd_client *c = call->client;
    char from[sizeof call->conn->addr.server];
    snprintf(from, sizeof from, "%s", call->conn->addr.server);
    detach(call, false);
    if (code != TND_STATUS_UNAVAILABLE) {
        tnd__call_end(call, code, msg);
        return;
    }
    const msgpack_object *w = tnd_metadata_get(f->u.status.metadata, TND_MD_WRITER);
    if (w && w->type == MSGPACK_OBJECT_STR &&
        tnd__client_redirect(c, w->via.str.ptr, w->via.str.size)) {
        /* A node that is not the writer refused the call before running
         * anything: send it to the writer at once, whatever the method. */
        uint64_t now = uv_now(c->loop);
        snprintf(call->last_error, sizeof call->last_error, "%s", msg);
        if (!c->closing && call->retained && call->delivered == 0 &&
            call->attempt < call->max_attempts &&
            (call->deadline_ms == 0 || now < call->deadline_ms)) {
            call->attempt++;
            call->pending_fail = false;
            uv_timer_start(&call->backoff, on_backoff, 0, 0);
            return;
        }
    } else {
        tnd__client_next_server(c, from);
    }
    attempt_failed(call, code, msg, false, false);
}

const uint8_t *tnd_client_call_message_bytes(const tnd_client_call *call, size_t *len)
{
    *len = call->cur_bytes ? call->cur_len : 0;
    return call->cur_bytes;
}

const uint8_t *tnd_client_call_details(const tnd_client_call *call, size_t *len)
{
    *len = call->details_len;
    return call->details;
}

/* ---- starting ---------------------------------------------------------------------- */

static bool key_ok(const char *k)
{
    if (!k || !*k)
        return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return false;
    return true;
}

static bool is_bin_key(const char *k)
{
    size_t n = strlen(k);
    return n > 4 && strcmp(k + n - 4, "-bin") == 0;
}

/* Copy the caller's metadata, checking it, and add x-request-id. */
static int copy_metadata(tnd_client_call *call, const tnd_call_opts *o)
{
    size_t n = o ? o->n_metadata : 0;
    bool has_id = false;
    if (n > 1024 || (n && !o->metadata))
        return TND_EINVAL;
    call->md = calloc(n + 1, sizeof *call->md);
    if (!call->md)
        return TND_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const tnd_meta *m = &o->metadata[i];
        if (!key_ok(m->key))
            return TND_EINVAL;
        bool bin = is_bin_key(m->key);
        size_t len = m->len;
        if (!bin && len == 0 && m->value)
            len = strlen(m->value);
        if (len && !m->value)
            return TND_EINVAL;
        const uint8_t *v = m->value;
        for (size_t j = 0; !bin && j < len; j++)
            if (v[j] < 0x20 || v[j] > 0x7e)
                return TND_EINVAL;
        uint8_t *copy = malloc(len + 1);
        char *key = strdup(m->key);
        if (!copy || !key) {
            free(copy);
            free(key);
            return TND_ENOMEM;
        }
        if (len)
            memcpy(copy, v, len);
        call->md[call->n_md].key = key;
        call->md[call->n_md].value = copy;
        call->md[call->n_md].value_len = len;
        call->n_md++;
        if (strcmp(m->key, "x-request-id") == 0)
            has_id = true;
        if (strcmp(m->key, "idempotency-key") == 0 && len > 0)
            call->keyed = true;
    }
    if (!has_id) {
        unsigned char rnd[8];
        char *id = malloc(TND_MAX_REQUEST_ID + 1), *key = strdup("x-request-id");
        if (!id || !key) {
            free(id);
            free(key);
            return TND_ENOMEM;
        }
        if (call->client->request_id[0]) { /* the client's own id, for every call */
            snprintf(id, TND_MAX_REQUEST_ID + 1, "%s", call->client->request_id);
        } else {
            /* The client's generator, seeded from RAND_bytes: OpenSSL's
             * would cost a system call (its fork check) on every call. */
            uint64_t r = tnd__client_random(call->client);
            memcpy(rnd, &r, sizeof rnd);
            tnd_hex_encode(rnd, 8, id);
        }
        call->md[call->n_md].key = key;
        call->md[call->n_md].value = (uint8_t *)id;
        call->md[call->n_md].value_len = strlen(id);
        call->n_md++;
    }
    return 0;
}

int tnd_client_call_start(tnd_client *c, const tnd_method_desc *method,
                          const tnd_call_opts *opts, const tnd_call_cb *cb, void *user,
                          tnd_client_call **out)
{
    if (out)
        *out = NULL;
    if (!c || !method || !cb || !cb->on_status || !out)
        return TND_EINVAL;
    if (c->closing)
        return TND_ECLOSED;
    tnd_client_call *call = calloc(1, sizeof *call);
    if (!call)
        return TND_ENOMEM;
    call->client = c;
    c->refs++;
    call->method = method;
    call->cb = *cb;
    call->user = user;
    call->retained = true;
    call->attempt = 1;
    call->max_attempts = opts && opts->max_attempts > 0 ? opts->max_attempts : c->max_attempts;
    int rc = copy_metadata(call, opts);
    if (rc != 0) {
        call_release(call);
        return rc;
    }
    uv_timer_init(c->loop, &call->deadline);
    uv_timer_init(c->loop, &call->backoff);
    call->deadline.data = call->backoff.data = call;
    call->timers_open = 2;
    call->refs = 1; /* held while the call runs; dropped after on_status */
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    uv_update_time(c->loop);
    call->start_ms = uv_now(c->loop);
    uint32_t timeout = opts && opts->timeout_ms ? opts->timeout_ms : c->timeout_ms;
    if (timeout != TND_NO_DEADLINE) {
        call->deadline_ms = call->start_ms + timeout;
        uv_timer_start(&call->deadline, on_deadline, timeout, 0);
    }
    *out = call;
    attach(call);
    return 0;
}
