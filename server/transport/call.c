/* One call on a connection: admission (method, roles, limits), request
 * decoding, responses with per-stream flow control, deadlines, cancellation,
 * the final STATUS and the call's log line. */
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "text.h"
#include "tender_schema.h"
#include "server.h"
#include "tender/error.h"
#include "tender/limits.h"

/* ---- the connection's table of calls ---- */

tnd_call *tnd__conn_find_call(tnd_conn *c, uint32_t sid)
{
    for (tnd_call *k = c->calls[sid % TND_CALL_BUCKETS]; k; k = k->hnext)
        if (k->sid == sid)
            return k;
    return NULL;
}

void tnd__conn_track_call(tnd_conn *c, tnd_call *call)
{
    tnd_call **b = &c->calls[call->sid % TND_CALL_BUCKETS];
    call->hnext = *b;
    *b = call;
    c->n_calls++;
}

static void unlink_blocked(tnd_conn *c, tnd_call *call)
{
    if (!call->blocked)
        return;
    for (tnd_call **p = &c->blocked; *p; p = &(*p)->bnext) {
        if (*p == call) {
            *p = call->bnext;
            break;
        }
    }
    call->blocked = false;
}

void tnd__conn_untrack_call(tnd_conn *c, tnd_call *call)
{
    for (tnd_call **p = &c->calls[call->sid % TND_CALL_BUCKETS]; *p; p = &(*p)->hnext) {
        if (*p == call) {
            *p = call->hnext;
            c->n_calls--;
            break;
        }
    }
    unlink_blocked(c, call);
}

/* ---- accessors ---- */

bool tnd_call_active(const tnd_call *call)
{
    return !call->ended && !(call->conn && call->conn->write_failed);
}

const tnd_peer_identity *tnd_call_peer(const tnd_call *call)
{
    static const tnd_peer_identity nobody;
    return call->conn ? &call->conn->peer : &nobody;
}

const msgpack_object *tnd_call_metadata(const tnd_call *call)
{
    return call->metadata;
}

const tnd_method_desc *tnd_call_method(const tnd_call *call)
{
    return call->method;
}

tnd_server *tnd_call_server(const tnd_call *call)
{
    return call->conn ? call->conn->srv : NULL;
}

void *tnd_call_user(const tnd_call *call)
{
    return call->user;
}

void tnd_call_set_user(tnd_call *call, void *user)
{
    call->user = user;
}

tnd_arena *tnd_call_arena(tnd_call *call)
{
    return &call->arena;
}

void tnd_call_ref(tnd_call *call)
{
    call->refs++;
}

static void on_deadline_closed(uv_handle_t *h)
{
    free(h->data);
}

void tnd_call_unref(tnd_call *call)
{
    if (--call->refs > 0)
        return;
    free(call->head);
    if (call->zone)
        msgpack_zone_free(call->zone);
    free(call->queued);
    free(call->fin_msg);
    tnd_arena_free(&call->arena);
    tnd_arena_free(&call->msgs);
    uv_close((uv_handle_t *)&call->deadline, on_deadline_closed);
}

/* ---- ending a call ---- */

static void log_call(const tnd_call *call, const char *label, uint32_t code, const char *message,
                     uint64_t start_ms, uint64_t now_ms)
{
    tnd_log_level level = code == TND_STATUS_OK ? TND_LOG_INFO : TND_LOG_WARN;
    if (!tnd_log_enabled(level))
        return;
    char dur[32];
    snprintf(dur, sizeof dur, "%llu", (unsigned long long)(now_ms - start_ms));
    tnd_log(level, "call", "method",
            call->method ? call->method->full_name : "?", "peer", label, "status",
            tnd_status_name((int)code), "duration_ms", dur, "request_id", call->request_id,
            "error", code == TND_STATUS_OK ? NULL : message, NULL);
}

/* ---- upload memory ---- */

int tnd_call_upload_reserve(tnd_call *call, size_t n, char *why, size_t why_len)
{
    tnd_conn *c = call->conn;
    if (!c || !c->principal) {
        snprintf(why, why_len, "the call has ended");
        return TND_ECANCELLED;
    }
    tnd_server *srv = c->srv;
    tnd_principal *p = c->principal;
    if (n > srv->cfg.max_upload_per_identity ||
        p->upload_bytes > srv->cfg.max_upload_per_identity - n) {
        snprintf(why, why_len,
                 "your unfinished uploads already hold %zu bytes of the %llu this server keeps "
                 "for one certificate (max-upload-per-identity); finish or cancel them first",
                 p->upload_bytes, (unsigned long long)srv->cfg.max_upload_per_identity);
        return TND_ELIMIT;
    }
    if (n > srv->cfg.max_upload_memory || srv->upload_bytes > srv->cfg.max_upload_memory - n) {
        snprintf(why, why_len, "the server is busy receiving other uploads; retry shortly");
        return TND_EAGAIN;
    }
    p->upload_bytes += n;
    c->upload_bytes += n;
    srv->upload_bytes += n;
    call->upload_bytes += n;
    return 0;
}

void tnd_call_upload_release(tnd_call *call, size_t n)
{
    tnd_conn *c = call->conn;
    if (n > call->upload_bytes)
        n = call->upload_bytes;
    if (!c || n == 0)
        return;
    call->upload_bytes -= n;
    c->upload_bytes -= n;
    c->srv->upload_bytes -= n;
    if (c->principal)
        c->principal->upload_bytes -= n;
}

/* ---- deadlines ----
 * A deadline under TICKED_DEADLINE_MS runs on the call's own timer. A
 * longer one (libtender's default is 30 s) is checked by the server's tick
 * of every connection (conn.c), so it ends the call up to a tick late:
 * thousands of calls in flight at a deadline then cost no timer-heap
 * insertion and removal each. */
#define TICKED_DEADLINE_MS 1000u

static void untick_deadline(tnd_call *call)
{
    if (!call->deadline_ticked)
        return;
    call->deadline_ticked = false;
    tnd_server *srv = call->conn->srv;
    if (call->dprev)
        call->dprev->dnext = call->dnext;
    else
        srv->ticked_deadlines = call->dnext;
    if (call->dnext)
        call->dnext->dprev = call->dprev;
    call->dprev = call->dnext = NULL;
}

static void deadline_passed(tnd_call *call)
{
    char msg[96];
    snprintf(msg, sizeof msg, "deadline exceeded after %llu ms",
             (unsigned long long)(tnd__now_ms(call->conn->srv) - call->start_ms));
    tnd__call_on_cancel(call, TND_STATUS_DEADLINE_EXCEEDED, msg);
}

void tnd__calls_tick(tnd_server *srv, uint64_t now_ms)
{
    /* A cancel takes its call out of the list; nothing is freed meanwhile. */
    for (tnd_call *call = srv->ticked_deadlines, *next; call; call = next) {
        next = call->dnext;
        if (now_ms >= call->deadline_ms && !call->ended)
            deadline_passed(call);
    }
}

/* Take the call out of its connection, stop its deadline, drop the
 * transport's reference. */
static void end_call(tnd_call *call, uint32_t code, const char *message)
{
    tnd_conn *c = call->conn;
    call->ended = true;
    if (call->deadline_armed)
        uv_timer_stop(&call->deadline);
    if (c) {
        untick_deadline(call);
        tnd_call_upload_release(call, call->upload_bytes);
        log_call(call, c->peer_label, code, message, call->start_ms, tnd__now_ms(c->srv));
        tnd_metrics_call(c->srv->metrics, call->method, code, uv_hrtime() - call->start_ns);
        tnd__conn_untrack_call(c, call);
        call->conn = NULL;
        tnd__conn_maybe_done(c);
    }
    tnd_call_unref(call);
}

static void send_status_details(tnd_conn *c, uint32_t sid, uint32_t code, const char *message,
                                const uint8_t *details, size_t details_len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_status(&sb, sid, code, message, details, details_len, NULL, 0) == 0)
        tnd__conn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
}

static void send_status_md(tnd_conn *c, uint32_t sid, uint32_t code, const char *message,
                           const tnd_md *md, size_t n_md)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_status(&sb, sid, code, message, NULL, 0, md, n_md) == 0)
        tnd__conn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
}

static void send_status(tnd_conn *c, uint32_t sid, uint32_t code, const char *message)
{
    send_status_md(c, sid, code, message, NULL, 0);
}

static void finish_now(tnd_call *call, uint32_t code, const char *message)
{
    if (call->conn && !call->conn->closing)
        send_status(call->conn, call->sid, code, message);
    end_call(call, code, message);
}

void tnd_call_finish(tnd_call *call, tnd_status code, const char *fmt, ...)
{
    if (call->ended || call->finish_pending)
        return;
    char message[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
    }
    if (call->queued) {
        call->finish_pending = true;
        call->fin_code = code;
        call->fin_msg = strdup(message);
        return;
    }
    finish_now(call, code, message);
}

void tnd__call_finish_details(tnd_call *call, tnd_status code, const uint8_t *details,
                             size_t details_len, const char *fmt, ...)
{
    if (call->ended || call->finish_pending)
        return;
    char message[512] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (call->queued) {
        /* Rare (an error after streamed responses): the details are dropped,
         * the status and message still follow the queued message. */
        tnd_call_finish(call, code, "%s", message);
        return;
    }
    if (call->conn && !call->conn->closing)
        send_status_details(call->conn, call->sid, code, message, details, details_len);
    end_call(call, code, message);
}

/* The ErrorDetail of a decode error: the field path is the text before ": ". */
static void finish_decode_error(tnd_call *call, const tnd_msg_desc *d, const char *text)
{
    tender_common_v1_ErrorDetail ed;
    tender_common_v1_ErrorDetail_init(&ed);
    char field[512];
    const char *colon = strstr(text, ": ");
    size_t fl = colon ? (size_t)(colon - text) : 0;
    if (fl >= sizeof field)
        fl = sizeof field - 1;
    memcpy(field, text, fl);
    field[fl] = '\0';
    ed.field = field;
    ed.reason = (char *)(colon ? colon + 2 : text);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (tnd_msg_encode(&tender_common_v1_ErrorDetail_desc, &ed, &buf, &len, NULL) != 0)
        len = 0;
    tnd__call_finish_details(call, TND_STATUS_INVALID_ARGUMENT, buf, len, "invalid %s: %s",
                            d->full_name, text);
    free(buf);
}

void tnd__call_on_cancel(tnd_call *call, tnd_status why, const char *message)
{
    if (call->ended)
        return;
    call->ended = true;
    tnd_call_ref(call);
    /* The handler hears first, so a client that sees the status knows the
     * handler has stopped. */
    if (call->h->on_cancel)
        call->h->on_cancel(call);
    /* A client's CANCEL needs no answer; a deadline or a drain does. */
    if (why != TND_STATUS_CANCELLED && call->conn && !call->conn->closing)
        send_status(call->conn, call->sid, why, message);
    end_call(call, why, message ? message : "cancelled by the client");
    tnd_call_unref(call);
}

/* ---- sending ---- */

static bool can_send(const tnd_call *call)
{
    const tnd_conn *c = call->conn;
    /* Windows may go negative by one message: a message larger than the
     * window still makes progress, and the peer buffers at most one. */
    return call->send_window > 0 && c->send_window > 0 && !tnd__conn_output_capped(c);
}

static void write_message(tnd_call *call, const uint8_t *data, size_t len)
{
    tnd_conn *c = call->conn;
    tnd__conn_send_message(c, call->sid, data, len, false);
    call->send_window -= (int64_t)len;
    c->send_window -= (int64_t)len;
}

static void block(tnd_call *call)
{
    if (call->blocked)
        return;
    call->blocked = true;
    call->bnext = call->conn->blocked;
    call->conn->blocked = call;
}

int tnd_call_reply(tnd_call *call, const void *response)
{
    /* The connection is freed only after a close callback, never within
     * these calls: it outlives a close that finishing may start. */
    tnd_conn *c = call->conn;
    bool held = c && !c->closing && tnd_tls_stream_hold(&c->tls);
    int rc = tnd_call_send(call, response);
    if (rc == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    if (held)
        tnd_tls_stream_release(&c->tls, true);
    return rc;
}

size_t tnd_call_max_message(const tnd_call *call)
{
    if (call->ended || !call->conn)
        return 0;
    uint32_t max = call->conn->peer_settings.max_frame;
    return max > TND_FRAME_MESSAGE_OVERHEAD ? max - TND_FRAME_MESSAGE_OVERHEAD : 0;
}

bool tnd_call_writable(tnd_call *call)
{
    if (call->ended || !call->conn || call->finish_pending)
        return true; /* tnd_call_send says so */
    if (!call->queued && can_send(call))
        return true;
    block(call);
    return false;
}

int tnd_call_send(tnd_call *call, const void *response)
{
    if (!tnd_call_active(call) || !call->conn || call->finish_pending)
        return TND_ECANCELLED;
    if (call->queued)
        return TND_EAGAIN;
    uint8_t *buf = NULL;
    size_t len = 0;
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_encode(call->method->response, response, &buf, &len, &err);
    if (rc != 0) {
        tnd_log(TND_LOG_ERROR, "handler produced an invalid response", "method",
                call->method->full_name, "error", err.text, NULL);
        tnd_call_finish(call, TND_STATUS_INTERNAL, "the server produced an invalid response");
        return TND_EINVAL;
    }
    /* A frame above the peer's max_frame would be a protocol violation that
     * ends the connection: this call fails alone, with a status it can read. */
    size_t max = tnd_call_max_message(call);
    if (len > max) {
        char sizes[48];
        snprintf(sizes, sizeof sizes, "%zu > %zu", len, max);
        tnd_log(TND_LOG_WARN, "response larger than the peer's max_frame", "method",
                call->method->full_name, "bytes", sizes, "request_id", call->request_id, NULL);
        free(buf);
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "%s: the response of %zu bytes does not fit in one frame to this client "
                        "(max_frame %u allows %zu bytes per message)",
                        call->method->full_name, len, call->conn->peer_settings.max_frame, max);
        return TND_ELIMIT;
    }
    if (can_send(call)) {
        write_message(call, buf, len);
        free(buf);
        return 0;
    }
    call->queued = buf;
    call->queued_len = len;
    block(call);
    return 0;
}

/* Try to move a blocked call forward: its queued message, then a pending
 * finish, then tell the handler it may produce more. */
static void unblock(tnd_call *call)
{
    if (call->ended || !can_send(call))
        return;
    if (call->queued) {
        write_message(call, call->queued, call->queued_len);
        free(call->queued);
        call->queued = NULL;
    }
    if (call->finish_pending) {
        finish_now(call, call->fin_code, call->fin_msg);
        return;
    }
    if (call->h->on_writable)
        call->h->on_writable(call);
}

void tnd__call_window_opened(tnd_call *call, uint32_t increment)
{
    call->send_window += increment;
    if (!call->blocked || !can_send(call))
        return;
    unlink_blocked(call->conn, call);
    tnd_call_ref(call);
    unblock(call);
    tnd_call_unref(call);
}

void tnd__call_flush_blocked(tnd_conn *c)
{
    tnd_call *list = c->blocked;
    c->blocked = NULL;
    for (tnd_call *k = list; k; k = k->bnext)
        k->blocked = false;
    while (list) {
        tnd_call *k = list;
        list = k->bnext;
        if (c->closing)
            continue;
        if (!can_send(k)) {
            block(k);
            continue;
        }
        tnd_call_ref(k);
        unblock(k);
        tnd_call_unref(k);
    }
}

/* An upload whose client stopped sending would hold its memory for as long
 * as the connection stays open: cancel it after the stall timeout. */
void tnd__call_cancel_stalled_uploads(tnd_conn *c, uint64_t now)
{
    uint32_t limit = c->srv->cfg.stall_timeout_ms;
    char msg[160];
    for (size_t b = 0; b < TND_CALL_BUCKETS && c->upload_bytes > 0 && !c->closing; b++) {
        for (tnd_call *k = c->calls[b], *next; k; k = next) {
            next = k->hnext;
            if (k->upload_bytes == 0 || k->half_closed || now - k->last_recv_ms < limit)
                continue;
            snprintf(msg, sizeof msg,
                     "upload received nothing for %u ms (stall-timeout); cancelled, send it "
                     "again without pausing",
                     limit);
            tnd__call_on_cancel(k, TND_STATUS_DEADLINE_EXCEEDED, msg);
            if (c->closing)
                return; /* every call went with the connection, next too */
        }
    }
}

/* ---- starting and feeding a call ---- */

static void on_deadline(uv_timer_t *t)
{
    deadline_passed(t->data);
}

static void roles_text(uint32_t roles, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t bit = 1; bit && bit <= TND_ROLE_LAST; bit <<= 1) {
        if (!(roles & bit))
            continue;
        at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? " or " : "",
                               tnd_role_name(bit));
    }
}

/* The call's request id: the client's x-request-id when it is sane (1 to
 * TND_MAX_REQUEST_ID visible ASCII characters), else 16 random hex digits. */
static void request_id_of(const msgpack_object *md, tnd_server *srv,
                          char out[TND_MAX_REQUEST_ID + 1])
{
    const msgpack_object *v = tnd_metadata_get(md, "x-request-id");
    bool sane = v && v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0 &&
                v->via.str.size <= TND_MAX_REQUEST_ID;
    for (uint32_t i = 0; sane && i < v->via.str.size; i++)
        sane = v->via.str.ptr[i] > ' ' && v->via.str.ptr[i] < 0x7f;
    if (sane) {
        memcpy(out, v->via.str.ptr, v->via.str.size);
        out[v->via.str.size] = '\0';
        return;
    }
    uint8_t r[8];
    if (RAND_bytes(r, sizeof r) != 1) { /* unique within this run, at least */
        uint64_t n = ++srv->next_request_id ^ uv_hrtime();
        memcpy(r, &n, sizeof r);
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

/* Refuse a call before it starts: STATUS (with trailers md, may be NULL)
 * and a log line, no call object. */
static void refuse_md(tnd_conn *c, uint32_t sid, const char *method, const char *request_id,
                      uint32_t code, const char *msg, const tnd_md *md, size_t n_md)
{
    send_status_md(c, sid, code, msg, md, n_md);
    tnd_log(TND_LOG_WARN, "call", "method", method, "peer", c->peer_label, "status",
            tnd_status_name((int)code), "duration_ms", "0", "request_id", request_id, "error", msg,
            NULL);
    /* Counted under the method when the server has it, else as "unknown":
     * a client's made-up names never become series. */
    tnd_metrics_call(c->srv->metrics, tnd__server_find_method(c->srv, method), code, 0);
}

static void refuse(tnd_conn *c, uint32_t sid, const char *method, const char *request_id,
                   uint32_t code, const char *msg)
{
    refuse_md(c, sid, method, request_id, code, msg, NULL, 0);
}

/* A node that is not the writer serves no write method: the client goes to
 * the writer it names (docs/SCALING.md, "The followers"). True when the
 * call was refused. */
static bool refuse_write(tnd_conn *c, uint32_t sid, const tnd_handler *h, const char *rid)
{
    tnd_server *srv = c->srv;
    if (srv->is_writer || !h->method->writes)
        return false;
    tnd_metrics_write_refused(srv->metrics);
    if (!srv->writer[0]) {
        refuse(c, sid, h->method->full_name, rid, TND_STATUS_UNAVAILABLE,
               "no writer at the moment: the nodes are choosing one; retry in a few seconds");
        return true;
    }
    char msg[64 + TND_WRITER_ADDR_MAX];
    snprintf(msg, sizeof msg, "not the writer; the writer is %s", srv->writer);
    tnd_md md = {.key = TND_MD_WRITER, .value = (const uint8_t *)srv->writer,
                 .value_len = strlen(srv->writer)};
    refuse_md(c, sid, h->method->full_name, rid, TND_STATUS_UNAVAILABLE, msg, &md, 1);
    return true;
}

/* Method and role checks, in one place for every method. */
static const tnd_handler *admit(tnd_conn *c, uint32_t sid, const char *name, const char *rid)
{
    char msg[400], roles[64];
    const tnd_method_desc *m = tnd__server_find_method(c->srv, name);
    const tnd_handler *h = m ? tnd__server_find_handler(c->srv, m) : NULL;
    if (!h) {
        snprintf(msg, sizeof msg, "unknown method \"%s\" (`tenderctl methods` lists them)", name);
        refuse(c, sid, name, rid, TND_STATUS_UNIMPLEMENTED, msg);
        return NULL;
    }
    if (m->is_public)
        return h;
    roles_text(m->roles, roles, sizeof roles);
    if (!c->peer.authenticated) {
        snprintf(msg, sizeof msg,
                 "%s needs a client certificate with role %s; connect with --cert and --key",
                 name, roles);
        refuse(c, sid, name, rid, TND_STATUS_UNAUTHENTICATED, msg);
        return NULL;
    }
    if (!(m->roles & c->peer.role)) {
        snprintf(msg, sizeof msg, "%s is for role %s; your certificate has role %s", name, roles,
                 c->peer.role_name);
        refuse(c, sid, name, rid, TND_STATUS_PERMISSION_DENIED, msg);
        return NULL;
    }
    return h;
}

void tnd__call_start(tnd_conn *c, const tnd_frame *f, const uint8_t *body, size_t len)
{
    const tnd_config *cfg = &c->srv->cfg;
    char name[256], msg[200];
    tnd_codec_err err = {{0}};
    /* The name as the client sent it is echoed in STATUS and logged: bytes
     * that are not printable UTF-8 become \xNN (no real method has any). */
    tnd_text_escape(name, sizeof name, f->u.call.method.ptr, f->u.call.method.len);
    char rid[TND_MAX_REQUEST_ID + 1];
    request_id_of(f->u.call.metadata, c->srv, rid);

    if (c->goaway_sent) {
        refuse(c, f->stream_id, name, rid, TND_STATUS_UNAVAILABLE,
               "server is shutting down; retry on a new connection");
        return;
    }
    if (c->n_calls >= cfg->max_streams) {
        snprintf(msg, sizeof msg,
                 "too many concurrent calls on this connection (max_concurrent_streams = %u)",
                 cfg->max_streams);
        refuse(c, f->stream_id, name, rid, TND_STATUS_RESOURCE_EXHAUSTED, msg);
        return;
    }
    int rc = tnd_metadata_check(f->u.call.metadata, cfg->max_metadata, &err);
    if (rc != 0) {
        refuse(c, f->stream_id, name, rid,
               rc == TND_ELIMIT ? TND_STATUS_RESOURCE_EXHAUSTED : TND_STATUS_INVALID_ARGUMENT,
               err.text);
        return;
    }
    const tnd_handler *h = admit(c, f->stream_id, name, rid);
    if (!h || refuse_write(c, f->stream_id, h, rid))
        return;

    tnd_call *call = calloc(1, sizeof *call);
    uint8_t *head = malloc(len);
    tnd_frame copy;
    if (!call || !head || (memcpy(head, body, len), 0) ||
        tnd_frame_parse(head, len, &copy, &call->zone, &err) != 0) {
        free(head);
        free(call);
        refuse(c, f->stream_id, name, rid, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    call->head = head;
    call->head_len = len;
    tnd_arena_init(&call->arena, TND_CALL_ARENA_MAX);
    tnd_arena_init(&call->msgs, TND_CALL_ARENA_MAX);
    call->metadata = copy.u.call.metadata;
    call->conn = c;
    call->sid = f->stream_id;
    call->refs = 1;
    call->method = h->method;
    call->h = h;
    call->send_window = c->peer_settings.initial_window;
    call->start_ms = tnd__now_ms(c->srv);
    call->last_recv_ms = call->start_ms;
    call->start_ns = uv_hrtime();
    memcpy(call->request_id, rid, sizeof rid);
    uv_timer_init(c->srv->loop, &call->deadline);
    call->deadline.data = call;
    tnd__conn_track_call(c, call);
    if (f->u.call.timeout_ms >= TICKED_DEADLINE_MS) {
        call->deadline_ticked = true;
        call->deadline_ms = call->start_ms + f->u.call.timeout_ms;
        call->dnext = c->srv->ticked_deadlines;
        if (call->dnext)
            call->dnext->dprev = call;
        c->srv->ticked_deadlines = call;
    } else if (f->u.call.timeout_ms > 0) {
        call->deadline_armed = true;
        uv_timer_start(&call->deadline, on_deadline, f->u.call.timeout_ms, 0);
    }
}

static bool one_request(const tnd_method_desc *m)
{
    return m->kind == TND_CALL_UNARY || m->kind == TND_CALL_SERVER_STREAM;
}

/* Per-stream receive credit: given back after the handler consumed the
 * message, in batches of half a window. */
static void give_credit(tnd_call *call, size_t len)
{
    tnd_conn *c = call->conn;
    call->recv_unacked += (uint32_t)len;
    if (!c || call->ended || call->half_closed ||
        call->recv_unacked < c->srv->cfg.initial_window / 2)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_window(&sb, call->sid, call->recv_unacked) == 0)
        tnd__conn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
    call->recv_unacked = 0;
}

void tnd__call_on_message(tnd_call *call, const tnd_frame *f)
{
    const tnd_method_desc *m = call->method;
    tnd_codec_err err = {{0}};
    if (call->ended)
        return;
    call->last_recv_ms = tnd__now_ms(call->conn->srv);
    if (call->half_closed) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "MESSAGE after the end of the request stream");
        return;
    }
    if (call->recv_unacked + f->u.message.payload.len >
        (uint64_t)call->conn->srv->cfg.initial_window + call->conn->srv->cfg.max_frame) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "stream flow-control window exceeded");
        return;
    }
    tnd_call_ref(call);
    if (f->u.message.payload.len > 0) { /* an empty payload only half-closes */
        if (call->got_message && one_request(m)) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "%s takes exactly one request message", m->full_name);
            goto out;
        }
        /* One request lives as long as the call; a stream's messages one
         * at a time, their bytes left in the frame (an upload's chunk is
         * copied once, by the handler, to where it is kept). */
        bool stream = !one_request(m);
        tnd_arena *a = stream ? &call->msgs : &call->arena;
        void *req = tnd_msg_new_in(m->request, a);
        const uint8_t *payload = f->u.message.payload.ptr;
        size_t len = f->u.message.payload.len;
        int rc = !req    ? TND_ENOMEM
                 : stream ? tnd_msg_decode_view_in(m->request, a, payload, len, req, &err)
                          : tnd_msg_decode_in(m->request, a, payload, len, req, &err);
        if (rc == TND_ENOMEM) {
            tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                            "%s: the request needs more than %u bytes of server memory once "
                            "decoded; send a smaller one",
                            m->full_name, TND_CALL_ARENA_MAX);
            goto out;
        }
        if (rc != 0) {
            finish_decode_error(call, m->request, err.text);
            goto out;
        }
        /* The schema's required fields and exact lengths ("tender_id: required"). */
        if (tnd_msg_check_rules(m->request, req, &err) != 0) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "%s", err.text);
            goto out; /* req is the arena's: freed with the call */
        }
        call->got_message = true;
        call->h->on_message(call, req);
        if (a == &call->msgs)
            tnd_arena_reset(a);
    }
    give_credit(call, f->u.message.payload.len);
    if (f->u.message.end_stream && !call->ended) {
        call->half_closed = true;
        tnd_arena_free(&call->msgs); /* no message comes after this one */
        if (!call->got_message && one_request(m))
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "%s needs a request message before the end of the stream",
                            m->full_name);
        else if (call->h->on_half_close)
            call->h->on_half_close(call);
    }
out:
    tnd_call_unref(call);
}
