/* One client connection: TLS, frames in and out, connection-level flow
 * control, keepalive, idle and handshake timeouts, GOAWAY. Calls live in
 * call.c; this file routes frames to them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "server.h"
#include "tender/error.h"

#define TICK_MS 250u

static void conn_send_goaway_and_close(tnd_conn *c, uint32_t code, const char *msg);
static void process_frames(tnd_conn *c);

uint64_t tnd__now_ms(const tnd_server *srv)
{
    return uv_now(srv->loop);
}

bool tnd__conn_output_capped(const tnd_conn *c)
{
    const tnd_server *srv = c->srv;
    return tnd_tls_stream_congested(&c->tls) || srv->output_bytes > srv->cfg.max_output_memory;
}

/* A connection whose write failed is closed right after the loop's I/O
 * callbacks (a check handle), not inside the write: the handler that was
 * sending (a stream's pump, in the middle of its loop) must never have its
 * call cancelled and its state freed under it. Until then the connection
 * reads nothing more, writes nothing more, and its calls are no longer
 * active (tnd_call_send answers TND_ECANCELLED). */
static void close_failed(uv_check_t *h)
{
    tnd_server *srv = h->data;
    uv_check_stop(h);
    while (srv->write_failed) {
        tnd_conn *c = srv->write_failed;
        srv->write_failed = c->failed_next;
        c->failed_next = NULL;
        tnd__conn_close(c);
    }
}

static void after_write(tnd_conn *c, int rc)
{
    if (rc < 0 && !c->closing && !c->write_failed) {
        tnd_log(TND_LOG_INFO, "connection write failed", "peer", c->peer_addr, "error",
                c->tls.error, NULL);
        c->write_failed = true;
        c->failed_next = c->srv->write_failed;
        c->srv->write_failed = c;
        uv_check_start(&c->srv->conn_closer, close_failed);
        tnd_tls_stream_pause(&c->tls);
        return;
    }
    if (!c->closing && tnd__conn_output_capped(c))
        tnd_tls_stream_pause(&c->tls);
}

static bool can_write(const tnd_conn *c)
{
    return !c->closing && !c->write_failed;
}

/* Write frames now; when the peer reads too slowly, stop reading from it so
 * it cannot make us buffer more (on_drain or the tick resumes). */
void tnd__conn_send(tnd_conn *c, msgpack_sbuffer *frames)
{
    if (frames->size == 0)
        return;
    if (can_write(c))
        after_write(c, tnd_tls_stream_write(&c->tls, frames->data, frames->size));
    msgpack_sbuffer_clear(frames);
}

void tnd__conn_send_message(tnd_conn *c, uint32_t sid, const uint8_t *payload, size_t len,
                            bool end_stream)
{
    tnd_frame_parts f;
    if (!can_write(c))
        return;
    int rc = tnd_frame_message_parts(&f, sid, len, end_stream);
    if (rc != 0) { /* larger than any frame: never the case within max_frame */
        after_write(c, rc);
        return;
    }
    uv_buf_t parts[3] = {uv_buf_init((char *)f.head, (unsigned)f.head_len),
                         uv_buf_init((char *)payload, (unsigned)len),
                         uv_buf_init((char *)&f.tail, 1)};
    after_write(c, tnd_tls_stream_writev(&c->tls, parts, 3));
}

static void send_one(tnd_conn *c, int rc, msgpack_sbuffer *sb)
{
    if (rc == 0)
        tnd__conn_send(c, sb);
    else
        tnd__conn_close(c);
    msgpack_sbuffer_destroy(sb);
}

void tnd__conn_goaway(tnd_conn *c, uint32_t code, const char *message)
{
    if (c->goaway_sent || c->closing)
        return;
    c->goaway_sent = true;
    c->goaway_last_id = c->last_stream_id;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    send_one(c, tnd_frame_put_goaway(&sb, c->goaway_last_id, code, message), &sb);
}

void tnd__conn_maybe_done(tnd_conn *c)
{
    if (c->goaway_sent && c->n_calls == 0)
        tnd__conn_close(c);
}

static void conn_send_goaway_and_close(tnd_conn *c, uint32_t code, const char *msg)
{
    tnd_log(TND_LOG_INFO, "closing connection", "peer", c->peer_addr, "identity", c->peer_label,
            "status", tnd_status_name((int)code), "reason", msg, NULL);
    tnd__conn_goaway(c, code, msg);
    tnd__conn_close(c);
}

/* Cancel every call, then close TLS; freeing follows in on_closed. */
void tnd__conn_close(tnd_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    for (size_t b = 0; b < TND_CALL_BUCKETS; b++)
        while (c->calls[b])
            tnd__call_on_cancel(c->calls[b], TND_STATUS_UNAVAILABLE, "connection closed");
    tnd_tls_stream_close(&c->tls);
}

/* The stream's handles are closed: the connection goes. */
static void on_closed(tnd_tls_stream *s)
{
    tnd_conn *c = (tnd_conn *)s;
    tnd_server *srv = c->srv;
    for (tnd_conn **p = &srv->write_failed; *p; p = &(*p)->failed_next)
        if (*p == c) { /* closed another way before close_failed ran */
            *p = c->failed_next;
            break;
        }
    tnd_frame_reader_free(&c->reader);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    tnd__principal_put(&srv->principals, c->principal);
    srv->n_conns--;
    tnd_metrics_set_connections(srv->metrics, srv->n_conns);
    free(c);
    if (srv->draining && srv->n_conns == 0 && !srv->stopped) {
        srv->stopped = true;
        tnd_log(TND_LOG_INFO, "drained", NULL);
        uv_stop(srv->loop);
    }
}

static void on_eof(tnd_tls_stream *s, int status)
{
    tnd_conn *c = (tnd_conn *)s;
    if (status != TND_ECLOSED)
        tnd_log(TND_LOG_INFO, "connection lost", "peer", c->peer_addr, "identity", c->peer_label,
                "error", s->error, NULL);
    tnd__conn_close(c);
}

/* Output fell below the caps: take frames again (those that waited first),
 * then let calls waiting to send go on. */
static void resume_output(tnd_conn *c)
{
    if (!can_write(c) || tnd__conn_output_capped(c))
        return;
    tnd_tls_stream_resume(&c->tls);
    if (c->frames_held)
        process_frames(c);
    if (!c->closing)
        tnd__call_flush_blocked(c);
}

static void on_drain(tnd_tls_stream *s)
{
    resume_output((tnd_conn *)s);
}

static void describe_peer(tnd_conn *c)
{
    if (c->peer.authenticated)
        snprintf(c->peer_label, sizeof c->peer_label, "%s/%s/%s", c->peer.role_name, c->peer.org,
                 c->peer.name);
    else
        snprintf(c->peer_label, sizeof c->peer_label, "anonymous");
}

static void on_handshake(tnd_tls_stream *s, int status)
{
    tnd_conn *c = (tnd_conn *)s;
    if (status < 0) {
        tnd_log(TND_LOG_INFO, "TLS handshake failed", "peer", c->peer_addr, "error", s->error,
                NULL);
        tnd_metrics_handshake(c->srv->metrics, false);
        return;
    }
    char why[256];
    const tnd_config *cfg = &c->srv->cfg;
    tnd_settings ours = {cfg->max_frame, cfg->max_streams, cfg->initial_window, cfg->max_metadata,
                         cfg->conn_window};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_tls_peer_identity_ex(s->ssl, &c->peer, why, sizeof why) != 0) {
        tnd_log(TND_LOG_WARN, "refused client certificate", "peer", c->peer_addr, "reason", why,
                NULL);
        tnd_metrics_handshake(c->srv->metrics, false);
        /* The client learns why, instead of a bare close: SETTINGS (always
         * the first frame), then GOAWAY UNAUTHENTICATED with the reason. */
        char msg[320];
        snprintf(msg, sizeof msg, "client certificate refused: %s", why);
        send_one(c, tnd_frame_put_settings(&sb, &ours), &sb);
        tnd__conn_goaway(c, TND_STATUS_UNAUTHENTICATED, msg);
        tnd__conn_close(c);
        return;
    }
    tnd_metrics_handshake(c->srv->metrics, true);
    if (SSL_session_reused(s->ssl))
        tnd_metrics_handshake_resumed(c->srv->metrics);
    if (c->srv->tickets) /* a ticket goes out within the handshake */
        tnd_metrics_set_tickets_issued(c->srv->metrics, tnd_tls_tickets_issued(c->srv->tickets));
    describe_peer(c);
    c->last_active_ms = c->last_recv_ms = c->last_progress_ms = tnd__now_ms(c->srv);
    tnd_log(TND_LOG_DEBUG, "connected", "peer", c->peer_addr, "identity", c->peer_label, NULL);
    send_one(c, tnd_frame_put_settings(&sb, &ours), &sb);
    /* One identity (a certificate, or an address without one) gets at most
     * its share of the connection slots. */
    c->principal = tnd__principal_get(&c->srv->principals, &c->peer, c->peer_ip);
    uint32_t share = c->srv->cfg.max_conns_per_identity;
    if (!c->principal || c->principal->refs > share) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "too many connections from %s (max-connections-per-identity = %u); close some "
                 "or send calls over fewer connections",
                 c->peer.authenticated ? "this certificate" : "this address", share);
        tnd_log(TND_LOG_WARN, "connection limit per identity reached; closing new connection",
                "peer", c->peer_addr, "identity", c->peer_label, NULL);
        conn_send_goaway_and_close(c, TND_STATUS_RESOURCE_EXHAUSTED, msg);
        return;
    }
    if (c->srv->draining)
        tnd__conn_goaway(c, TND_STATUS_UNAVAILABLE, "server is shutting down");
}

/* The peer's settings; zero means "use the default". A later SETTINGS that
 * changes a window moves the send windows already in use by the difference,
 * as HTTP/2 does (docs/PROTOCOL.md, section 5): calls open on this
 * connection keep what they spent and gain or lose only the change. */
static void apply_settings(tnd_conn *c, const tnd_settings *s)
{
    tnd_settings *p = &c->peer_settings;
    int64_t old_conn = p->conn_window;
    int64_t old_stream = p->initial_window;
    *p = tnd_settings_with_defaults(s);
    if (!c->got_settings)
        c->send_window = p->conn_window;
    else
        c->send_window += (int64_t)p->conn_window - old_conn;
    if (c->got_settings && p->initial_window != old_stream)
        for (size_t b = 0; b < TND_CALL_BUCKETS; b++)
            for (tnd_call *k = c->calls[b]; k; k = k->hnext)
                k->send_window += (int64_t)p->initial_window - old_stream;
    c->got_settings = true;
    tnd__call_flush_blocked(c);
}

static void handle_ping(tnd_conn *c, const tnd_frame *f)
{
    uint64_t now = tnd__now_ms(c->srv);
    if (f->u.ping.ack) {
        c->ping_sent_ms = 0;
        return;
    }
    /* Abuse protection: pings closer together than the minimum interval
     * are strikes; too many and the connection goes. */
    if (c->last_ping_recv_ms && now - c->last_ping_recv_ms < c->srv->cfg.min_ping_interval_ms &&
        ++c->ping_strikes > c->srv->cfg.max_ping_strikes) {
        conn_send_goaway_and_close(c, TND_STATUS_RESOURCE_EXHAUSTED,
                                   "too many pings; send at most one per min_ping_interval");
        return;
    }
    c->last_ping_recv_ms = now;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    send_one(c, tnd_frame_put_ping(&sb, f->u.ping.opaque, true), &sb);
}

/* Received MESSAGE bytes count against the connection window; give credit
 * back in batches of half a window. */
static int account_recv(tnd_conn *c, size_t len)
{
    c->recv_unacked += (uint32_t)len;
    if (c->recv_unacked > c->srv->cfg.conn_window + c->srv->cfg.max_frame)
        return -1;
    if (c->recv_unacked >= c->srv->cfg.conn_window / 2) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        send_one(c, tnd_frame_put_window(&sb, 0, c->recv_unacked), &sb);
        c->recv_unacked = 0;
    }
    return 0;
}

static void handle_frame(tnd_conn *c, const tnd_frame *f, const uint8_t *body, size_t len)
{
    char msg[160];
    if (!c->got_settings && f->type != TND_FRAME_SETTINGS) {
        conn_send_goaway_and_close(c, TND_STATUS_INVALID_ARGUMENT,
                                   "the first frame must be SETTINGS");
        return;
    }
    tnd_call *call;
    switch (f->type) {
    case TND_FRAME_SETTINGS:
        apply_settings(c, &f->u.settings);
        return;
    case TND_FRAME_CALL:
        if (f->stream_id % 2 == 0 || f->stream_id <= c->last_stream_id ||
            f->stream_id > 0x7fffffffu) {
            snprintf(msg, sizeof msg,
                     "CALL on stream %u: stream ids must be odd and increasing (last was %u)",
                     f->stream_id, c->last_stream_id);
            conn_send_goaway_and_close(c, TND_STATUS_INVALID_ARGUMENT, msg);
            return;
        }
        c->last_stream_id = f->stream_id;
        c->last_active_ms = tnd__now_ms(c->srv); /* idle means no calls: pings do not count */
        tnd__call_start(c, f, body, len);
        return;
    case TND_FRAME_MESSAGE:
        if (account_recv(c, f->u.message.payload.len) != 0) {
            conn_send_goaway_and_close(c, TND_STATUS_RESOURCE_EXHAUSTED,
                                       "connection flow-control window exceeded");
            return;
        }
        call = tnd__conn_find_call(c, f->stream_id);
        if (call) {
            tnd__call_on_message(call, f);
        } else if (f->stream_id > c->last_stream_id || f->stream_id == 0) {
            snprintf(msg, sizeof msg, "MESSAGE on stream %u, which was never opened",
                     f->stream_id);
            conn_send_goaway_and_close(c, TND_STATUS_INVALID_ARGUMENT, msg);
        }
        return; /* a call that already ended: the message is dropped */
    case TND_FRAME_CANCEL:
        call = tnd__conn_find_call(c, f->stream_id);
        if (call)
            tnd__call_on_cancel(call, TND_STATUS_CANCELLED, NULL);
        return;
    case TND_FRAME_PING:
        handle_ping(c, f);
        return;
    case TND_FRAME_GOAWAY:
        /* The client will open no more calls: finish what runs, then close. */
        c->goaway_sent = true;
        c->goaway_last_id = c->last_stream_id;
        tnd__conn_maybe_done(c);
        return;
    case TND_FRAME_WINDOW:
        if (f->stream_id == 0) {
            c->send_window += f->u.window.increment;
            tnd__call_flush_blocked(c);
        } else if ((call = tnd__conn_find_call(c, f->stream_id)) != NULL) {
            tnd__call_window_opened(call, f->u.window.increment);
        }
        return;
    case TND_FRAME_STATUS:
        conn_send_goaway_and_close(c, TND_STATUS_INVALID_ARGUMENT,
                                   "clients may not send STATUS frames");
        return;
    }
}

/* Handle the frames the reader holds, stopping while output is capped: a
 * client that pipelines calls and does not read their answers gets no more
 * of them started until it reads (resume_output goes on). */
static void process_frames(tnd_conn *c)
{
    char msg[320];
    c->frames_held = false;
    for (;;) {
        if (c->closing || c->write_failed)
            return;
        if (tnd__conn_output_capped(c)) {
            c->frames_held = tnd_frame_reader_pending(&c->reader) > 0;
            tnd_tls_stream_pause(&c->tls);
            return;
        }
        const uint8_t *body;
        size_t blen;
        int rc = tnd_frame_reader_next(&c->reader, &body, &blen);
        if (rc == 0)
            return;
        if (rc < 0) {
            snprintf(msg, sizeof msg,
                     "frame of %zu bytes exceeds the limit of %u bytes (max_frame_size)", blen,
                     c->srv->cfg.max_frame);
            conn_send_goaway_and_close(c, TND_STATUS_RESOURCE_EXHAUSTED, msg);
            return;
        }
        tnd_frame f;
        msgpack_zone *zone = NULL;
        tnd_codec_err err = {{0}};
        rc = tnd_frame_parse(body, blen, &f, &zone, &err);
        if (rc != 0) {
            snprintf(msg, sizeof msg, "malformed frame: %s", err.text);
            conn_send_goaway_and_close(c, TND_STATUS_INVALID_ARGUMENT, msg);
            return;
        }
        handle_frame(c, &f, body, blen);
        msgpack_zone_free(zone);
    }
}

static void on_data(tnd_tls_stream *s, const uint8_t *data, size_t len)
{
    tnd_conn *c = (tnd_conn *)s;
    if (c->closing)
        return;
    if (tnd_frame_reader_feed(&c->reader, data, len) != 0) {
        tnd__conn_close(c);
        return;
    }
    c->last_recv_ms = tnd__now_ms(c->srv);
    process_frames(c);
}

/* One connection's timeouts and keepalive, at each tick of the server. */
static void conn_tick(tnd_conn *c)
{
    const tnd_config *cfg = &c->srv->cfg;
    uint64_t now = tnd__now_ms(c->srv);
    if (c->closing)
        return;
    if (!c->tls.handshake_done) {
        if (now - c->last_active_ms >= cfg->handshake_timeout_ms) {
            tnd_log(TND_LOG_INFO, "TLS handshake timed out", "peer", c->peer_addr, NULL);
            tnd_metrics_handshake(c->srv->metrics, false);
            tnd_tls_stream_abort(&c->tls);
            c->closing = true;
        }
        return;
    }
    if (c->n_calls > 0)
        c->last_active_ms = now;
    if (cfg->idle_timeout_ms && now - c->last_active_ms >= cfg->idle_timeout_ms) {
        conn_send_goaway_and_close(c, TND_STATUS_OK, "idle timeout");
        return;
    }
    /* Output owed to a peer that takes none of it for the stall timeout: the
     * peer is not reading, and what waits for it is freed by closing. Calls
     * held back only by the server-wide cap owe nothing yet. */
    bool owes = c->tls.unsent > 0 ||
                (c->blocked && c->srv->output_bytes <= cfg->max_output_memory);
    if (!owes || c->tls.written != c->written_seen) {
        c->last_progress_ms = now;
        c->written_seen = c->tls.written;
    } else if (now - c->last_progress_ms >= cfg->stall_timeout_ms) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the client read none of its answers for %u ms (stall-timeout)",
                 cfg->stall_timeout_ms);
        conn_send_goaway_and_close(c, TND_STATUS_RESOURCE_EXHAUSTED, msg);
        return;
    }
    if (c->upload_bytes > 0)
        tnd__call_cancel_stalled_uploads(c, now);
    if (c->closing)
        return;
    /* Below the caps again after another connection's output drained. */
    if (c->frames_held || !c->tls.reading || c->blocked)
        resume_output(c);
    if (c->closing)
        return;
    if (c->ping_sent_ms && now - c->ping_sent_ms >= cfg->keepalive_timeout_ms) {
        tnd_log(TND_LOG_INFO, "keepalive timeout", "peer", c->peer_addr, NULL);
        tnd__conn_close(c);
        return;
    }
    if (cfg->keepalive_ms && !c->ping_sent_ms && now - c->last_recv_ms >= cfg->keepalive_ms) {
        c->ping_sent_ms = now;
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        send_one(c, tnd_frame_put_ping(&sb, now, false), &sb);
    }
}

/* Every connection's timeouts, checked by one timer of the server: a timer
 * per connection cost the loop a removal from its timer heap and an
 * insertion per connection per tick, 40,000 a second for 10,000 idle
 * connections. Nothing is freed during the walk (connections go in close
 * callbacks); one accepted meanwhile waits for the next tick. */
static void on_tick(uv_timer_t *t)
{
    tnd_server *srv = t->data;
    for (tnd_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        conn_tick(c);
    }
    tnd__calls_tick(srv, tnd__now_ms(srv));
}

void tnd__conns_tick_start(tnd_server *srv)
{
    uint32_t tick = TICK_MS;
    if (srv->cfg.idle_timeout_ms && srv->cfg.idle_timeout_ms / 2 < tick)
        tick = srv->cfg.idle_timeout_ms / 2 ? srv->cfg.idle_timeout_ms / 2 : 1;
    uv_timer_init(srv->loop, &srv->conn_tick);
    srv->conn_tick.data = srv;
    uv_timer_start(&srv->conn_tick, on_tick, tick, tick);
    uv_unref((uv_handle_t *)&srv->conn_tick); /* the connections keep the loop running */
    uv_check_init(srv->loop, &srv->conn_closer);
    srv->conn_closer.data = srv;
    uv_unref((uv_handle_t *)&srv->conn_closer);
}

static const tnd_tls_stream_cb conn_cb = {
    .on_handshake = on_handshake,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_drain = on_drain,
    .on_close = on_closed,
};

void tnd__conn_accept(tnd_server *srv)
{
    tnd_conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    if (tnd_tls_stream_init(srv->loop, &c->tls, srv->ssl_ctx, true, &conn_cb, c) != 0) {
        free(c);
        return;
    }
    c->srv = srv;
    c->tls.high_water = srv->cfg.high_water;
    c->tls.unsent_total = &srv->output_bytes;
    tnd_frame_reader_init(&c->reader, srv->cfg.max_frame);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    tnd_metrics_set_connections(srv->metrics, srv->n_conns);
    snprintf(c->peer_label, sizeof c->peer_label, "unknown");
    if (uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&c->tls.tcp) != 0) {
        tnd__conn_close(c);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tls.tcp, (struct sockaddr *)&ss, &sl) == 0) {
        char ip[48] = "?";
        if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
            snprintf(c->peer_ip, sizeof c->peer_ip, "%s", ip);
            snprintf(c->peer_addr, sizeof c->peer_addr, "[%s]:%d", ip,
                     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
        } else {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
            snprintf(c->peer_ip, sizeof c->peer_ip, "%s", ip);
            snprintf(c->peer_addr, sizeof c->peer_addr, "%s:%d", ip,
                     ntohs(((struct sockaddr_in *)&ss)->sin_port));
        }
    }
    /* Over the connection limit: accepted (so the backlog does not fill)
     * and closed at once. */
    if (srv->n_conns > srv->cfg.max_connections) {
        tnd_log(TND_LOG_WARN, "connection limit reached; closing new connection", "peer",
                c->peer_addr, NULL);
        c->closing = true;
        tnd_tls_stream_abort(&c->tls);
        return;
    }
    c->last_active_ms = tnd__now_ms(srv);
    if (tnd_tls_stream_start(&c->tls) != 0)
        tnd__conn_close(c);
}
