/* One client connection: resolve, TCP connect, TLS (server verified against
 * the CA and the host name; the kept session offered for resumption),
 * SETTINGS, frames in and out, connection-level flow control, PING answers
 * and GOAWAY. Calls live in call.c. */
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "tls.h"

/* snprintf through a va_list: reasons are cut at the buffer's end on purpose. */
static void __attribute__((format(printf, 3, 4))) whyf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static void conn_start_next(tnd_cconn *cc);
static const tnd_tls_stream_cb conn_cb;

/* ---- lifetime ------------------------------------------------------------ */

static void on_timer_closed(uv_handle_t *h)
{
    tnd_cconn *cc = h->data;
    tnd_client *c = cc->client;
    for (tnd_cconn **p = &c->conns; *p; p = &(*p)->next) {
        if (*p == cc) {
            *p = cc->next;
            break;
        }
    }
    if (c->current == cc)
        c->current = NULL;
    tnd_frame_reader_free(&cc->reader);
    if (cc->ai_list)
        uv_freeaddrinfo(cc->ai_list);
    free(cc);
    tnd__client_unref(c);
}

/* Last step: the TCP handle (if any) is closed; close the timer, then free. */
static void conn_release(tnd_cconn *cc)
{
    if (cc->timer_open) {
        cc->timer_open = false;
        uv_close((uv_handle_t *)&cc->timer, on_timer_closed);
    }
}

static void on_stream_closed(tnd_tls_stream *s)
{
    tnd_cconn *cc = (tnd_cconn *)s;
    cc->tcp_open = false;
    if (cc->try_next && cc->state != CCONN_CLOSED) {
        cc->try_next = false;
        conn_start_next(cc); /* another address of the name */
        return;
    }
    if (cc->state != CCONN_CLOSED) /* a write failed: the calls learn it now */
        tnd__conn_fail(cc, cc->tls.error[0] ? cc->tls.error : "connection closed");
    else
        conn_release(cc);
}

/* Stop using the connection and release it once its handles have closed. */
static void conn_shutdown(tnd_cconn *cc)
{
    uv_timer_stop(&cc->timer);
    if (cc->resolving)
        return; /* on_resolved finishes the job */
    if (cc->tcp_open)
        tnd_tls_stream_close(&cc->tls);
    else
        conn_release(cc);
}

void tnd__conn_fail(tnd_cconn *cc, const char *why)
{
    tnd_client *c = cc->client;
    if (cc->state == CCONN_CLOSED)
        return;
    cc->state = CCONN_CLOSED;
    if (c->current == cc)
        c->current = NULL;
    /* Unreachable, or dropped with calls on it (not the close that follows
     * a GOAWAY once the calls are done): with several servers, the calls'
     * next attempts and new calls go to the next one. */
    if (!cc->goaway || cc->calls)
        tnd__client_next_server(c, cc->addr.server);
    snprintf(cc->why, sizeof cc->why, "%s", why);
    cc->ai_next = NULL;
    while (cc->calls) {
        tnd_client_call *call = cc->calls;
        tnd__conn_remove_call(cc, call);
        tnd__call_on_conn_lost(call, cc->why, false, cc->permanent);
    }
    conn_shutdown(cc);
}

void tnd__conn_maybe_idle(tnd_cconn *cc)
{
    if (cc->n_calls > 0 || cc->state == CCONN_CLOSED)
        return;
    if (cc->goaway || cc->client->closing) {
        cc->state = CCONN_CLOSED;
        snprintf(cc->why, sizeof cc->why, "closed");
        if (cc->client->current == cc)
            cc->client->current = NULL;
        conn_shutdown(cc);
    }
}

void tnd__conn_close_all(tnd_client *c)
{
    for (tnd_cconn *cc = c->conns; cc; cc = cc->next)
        tnd__conn_maybe_idle(cc);
    c->current = NULL;
}

void tnd_client_disconnect(tnd_client *c)
{
    for (tnd_cconn *cc = c->conns; cc; cc = cc->next) {
        cc->goaway = true; /* as if the server had said so: no new calls here */
        tnd__conn_maybe_idle(cc);
    }
    c->current = NULL;
}

/* ---- session resumption ------------------------------------------------------ */

/* The latest ticket wins. tenderd sends one after a full handshake and
 * after resuming from a ticket made under its previous key; until then the
 * client offers copies of the one it has (OpenSSL marks the session a
 * connection resumed as used up, so the kept one is never handed over). */
int tnd__conn_new_session(SSL *ssl, SSL_SESSION *sess)
{
    tnd_client *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!c || !SSL_SESSION_is_resumable(sess))
        return 0;
    SSL_SESSION_free(c->session);
    c->session = sess;
    return 1;
}

/* ---- the call list ---------------------------------------------------------- */

void tnd__conn_add_call(tnd_cconn *cc, tnd_client_call *call)
{
    call->cnext = cc->calls;
    cc->calls = call;
    cc->n_calls++;
    call->conn = cc;
}

void tnd__conn_remove_call(tnd_cconn *cc, tnd_client_call *call)
{
    for (tnd_client_call **p = &cc->calls; *p; p = &(*p)->cnext) {
        if (*p == call) {
            *p = call->cnext;
            cc->n_calls--;
            break;
        }
    }
    call->cnext = NULL;
    call->conn = NULL;
}

static tnd_client_call *find_call(tnd_cconn *cc, uint32_t sid)
{
    for (tnd_client_call *k = cc->calls; k; k = k->cnext)
        if (k->sid == sid && sid != 0)
            return k;
    return NULL;
}

/* ---- output -------------------------------------------------------------------- */

/* The loop turned: what each corked connection gathered goes out. */
static void on_uncork(uv_prepare_t *h)
{
    tnd_client *c = h->data;
    uv_prepare_stop(h);
    for (tnd_cconn *cc = c->conns; cc; cc = cc->next) {
        if (cc->corked) {
            cc->corked = false;
            tnd_tls_stream_release(&cc->tls, true); /* a failed write closes the stream */
        }
    }
}

/* Hold cc's output until the loop turns, unless a read callback already
 * holds it (its answers go out when the read is handled). */
static void cork(tnd_cconn *cc)
{
    tnd_client *c = cc->client;
    if (cc->corked || !c->uncork_open || !tnd_tls_stream_hold(&cc->tls))
        return;
    if (uv_prepare_start(&c->uncork, on_uncork) != 0) {
        tnd_tls_stream_release(&cc->tls, true);
        return;
    }
    cc->corked = true;
}

int tnd__conn_write(tnd_cconn *cc, msgpack_sbuffer *sb)
{
    int rc = 0;
    if (cc->state == CCONN_READY && sb->size > 0)
        cork(cc);
    if (cc->state != CCONN_READY)
        rc = TND_ECLOSED;
    else if (sb->size > 0 && (rc = tnd_tls_stream_write(&cc->tls, sb->data, sb->size)) < 0)
        tnd_tls_stream_abort(&cc->tls); /* calls fail from on_stream_closed, not re-entrantly */
    msgpack_sbuffer_clear(sb);
    return rc;
}

int tnd__conn_write_message(tnd_cconn *cc, uint32_t sid, const uint8_t *payload, size_t len,
                            bool end_stream)
{
    tnd_frame_parts f;
    int rc = tnd_frame_message_parts(&f, sid, len, end_stream);
    if (rc != 0)
        return rc;
    if (cc->state != CCONN_READY)
        return TND_ECLOSED;
    cork(cc);
    uv_buf_t parts[3] = {uv_buf_init((char *)f.head, (unsigned)f.head_len),
                         uv_buf_init((char *)payload, (unsigned)len),
                         uv_buf_init((char *)&f.tail, 1)};
    if ((rc = tnd_tls_stream_writev(&cc->tls, parts, 3)) < 0)
        tnd_tls_stream_abort(&cc->tls); /* calls fail from on_stream_closed, not re-entrantly */
    return rc;
}

void tnd__conn_credit(tnd_cconn *cc, size_t len)
{
    cc->recv_unacked += (uint32_t)len;
    if (cc->recv_unacked < TND_CLIENT_CONN_WINDOW / 2 || cc->state != CCONN_READY)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_window(&sb, 0, cc->recv_unacked) == 0)
        (void)tnd__conn_write(cc, &sb);
    msgpack_sbuffer_destroy(&sb);
    cc->recv_unacked = 0;
}

/* Give every call on the connection a chance to send what waits. */
static void flush_calls(tnd_cconn *cc)
{
    tnd_client_call *k = cc->calls;
    while (k && cc->state == CCONN_READY) {
        tnd_client_call *next = k->cnext;
        tnd__call_flush(k);
        k = next;
    }
}

/* ---- input ------------------------------------------------------------------------ */

static void apply_settings(tnd_cconn *cc, const tnd_settings *s)
{
    tnd_settings old = cc->peer;
    tnd_settings *p = &cc->peer;
    *p = tnd_settings_with_defaults(s);
    int64_t old_conn = cc->got_settings ? old.conn_window : TND_CLIENT_ASSUMED_WINDOW;
    int64_t old_stream = cc->got_settings ? old.initial_window : TND_CLIENT_ASSUMED_WINDOW;
    cc->got_settings = true;
    cc->send_window += (int64_t)p->conn_window - old_conn;
    for (tnd_client_call *k = cc->calls; k; k = k->cnext)
        if (k->sid)
            k->send_window += (int64_t)p->initial_window - old_stream;
    flush_calls(cc);
}

/* Calls above the server's last stream id were never seen by it: they go
 * to a new connection. The rest finish here. */
static void handle_goaway(tnd_cconn *cc, const tnd_frame *f)
{
    tnd_client *c = cc->client;
    char why[512];
    whyf(why, sizeof why, "server %s is going away (%s%s%.*s)", cc->addr.server,
             tnd_status_name((int)f->u.goaway.code), f->u.goaway.message.len ? ": " : "",
             (int)(f->u.goaway.message.len > 300 ? 300 : f->u.goaway.message.len),
             f->u.goaway.message.ptr ? (const char *)f->u.goaway.message.ptr : "");
    cc->goaway = true;
    if (c->current == cc)
        c->current = NULL;
    /* UNAUTHENTICATED: the server refused our certificate, and would again
     * on a new connection; the calls end with its reason. */
    bool refused = f->u.goaway.code == TND_STATUS_UNAUTHENTICATED;
    if (refused) {
        cc->permanent = true;
        whyf(why, sizeof why, "server %s: %.*s", cc->addr.server,
             (int)(f->u.goaway.message.len > 300 ? 300 : f->u.goaway.message.len),
             f->u.goaway.message.ptr ? (const char *)f->u.goaway.message.ptr : "");
    }
    tnd_client_call *k = cc->calls;
    while (k) {
        tnd_client_call *next = k->cnext;
        if (k->sid == 0 || k->sid > f->u.goaway.last_stream_id) {
            tnd__conn_remove_call(cc, k);
            if (refused) {
                k->answered = true;
                tnd__call_end(k, TND_STATUS_UNAUTHENTICATED, why);
            }
            else
                tnd__call_on_conn_lost(k, why, true, false);
        }
        k = next;
    }
    snprintf(cc->why, sizeof cc->why, "%s", why);
    tnd__conn_maybe_idle(cc);
}

static void handle_frame(tnd_cconn *cc, const tnd_frame *f)
{
    tnd_client_call *call;
    msgpack_sbuffer sb;
    switch (f->type) {
    case TND_FRAME_SETTINGS:
        apply_settings(cc, &f->u.settings);
        return;
    case TND_FRAME_MESSAGE:
        tnd__conn_credit(cc, f->u.message.payload.len);
        /* fall through */
    case TND_FRAME_STATUS:
        if ((call = find_call(cc, f->stream_id)) != NULL)
            tnd__call_on_frame(call, f);
        return; /* a call we already ended: dropped */
    case TND_FRAME_PING:
        if (f->u.ping.ack)
            return;
        msgpack_sbuffer_init(&sb);
        if (tnd_frame_put_ping(&sb, f->u.ping.opaque, true) == 0)
            (void)tnd__conn_write(cc, &sb);
        msgpack_sbuffer_destroy(&sb);
        return;
    case TND_FRAME_GOAWAY:
        handle_goaway(cc, f);
        return;
    case TND_FRAME_WINDOW:
        if (f->stream_id == 0) {
            cc->send_window += f->u.window.increment;
            flush_calls(cc);
        } else if ((call = find_call(cc, f->stream_id)) != NULL) {
            tnd__call_on_window(call, f->u.window.increment);
        }
        return;
    case TND_FRAME_CALL:
    case TND_FRAME_CANCEL:
        break;
    }
    char why[512];
    whyf(why, sizeof why, "protocol error: server %s sent a frame of type %d",
             cc->addr.server, (int)f->type);
    tnd__conn_fail(cc, why);
}

static void on_data(tnd_tls_stream *s, const uint8_t *data, size_t len)
{
    tnd_cconn *cc = (tnd_cconn *)s;
    char why[512];
    if (cc->state != CCONN_READY)
        return;
    if (tnd_frame_reader_feed(&cc->reader, data, len) != 0) {
        tnd__conn_fail(cc, "out of memory reading from the server");
        return;
    }
    while (cc->state == CCONN_READY) {
        const uint8_t *body;
        size_t blen;
        int rc = tnd_frame_reader_next(&cc->reader, &body, &blen);
        if (rc == 0)
            return;
        if (rc < 0) {
            whyf(why, sizeof why, "server %s sent a frame of %zu bytes, above our limit of %u",
                     cc->addr.server, blen, cc->client->max_frame);
            tnd__conn_fail(cc, why);
            return;
        }
        tnd_frame f;
        msgpack_zone *zone = NULL;
        tnd_codec_err err = {{0}};
        if (tnd_frame_parse(body, blen, &f, &zone, &err) != 0) {
            whyf(why, sizeof why, "malformed frame from server %s: %s", cc->addr.server,
                     err.text);
            tnd__conn_fail(cc, why);
            return;
        }
        handle_frame(cc, &f);
        msgpack_zone_free(zone);
    }
}

static void on_eof(tnd_tls_stream *s, int status)
{
    tnd_cconn *cc = (tnd_cconn *)s;
    char why[512];
    if (cc->goaway && cc->n_calls == 0)
        whyf(why, sizeof why, "%s", cc->why);
    else if (status == TND_ETLS && strstr(s->error, " alert ")) /* the server refused us */
        whyf(why, sizeof why, "server %s refused the TLS session (check --cert/--key): %s",
             cc->addr.server, strstr(s->error, "alert ") ? strstr(s->error, "alert ") : "");
    else
        whyf(why, sizeof why, "connection to %s lost: %s", cc->addr.server,
             s->error[0] ? s->error : "closed");
    if (status == TND_ETLS)
        cc->permanent = true; /* a TLS failure: retrying will not help */
    tnd__conn_fail(cc, why);
}

static void on_drain(tnd_tls_stream *s)
{
    flush_calls((tnd_cconn *)s);
}

static void on_handshake(tnd_tls_stream *s, int status)
{
    tnd_cconn *cc = (tnd_cconn *)s;
    tnd_client *c = cc->client;
    char why[512];
    if (cc->state == CCONN_CLOSED)
        return;
    if (status < 0) {
        const char *e = s->error;
        /* Whatever the server had to say about it, the session is not
         * offered again. */
        SSL_SESSION_free(c->session);
        c->session = NULL;
        if (strncmp(e, "TLS handshake failed: ", 22) == 0)
            e += 22;
        whyf(why, sizeof why, "TLS handshake with %s failed: %s", cc->addr.server, e);
        cc->permanent = status == TND_ETLS;
        tnd__conn_fail(cc, why);
        return;
    }
    if (tnd_tls_check_alpn(s->ssl) != 0) {
        whyf(why, sizeof why, "TLS handshake with %s failed: no ALPN tender/1", cc->addr.server);
        cc->permanent = true;
        tnd__conn_fail(cc, why);
        return;
    }
    uv_timer_stop(&cc->timer);
    cc->state = CCONN_READY;
    c->resumed = SSL_session_reused(s->ssl) ? 1 : 0;
    tnd_settings ours = {c->max_frame, TND_SETTINGS_DEFAULT_MAX_STREAMS, TND_CLIENT_STREAM_WINDOW,
                         TND_SETTINGS_DEFAULT_MAX_METADATA, TND_CLIENT_CONN_WINDOW};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_settings(&sb, &ours) != 0 || tnd__conn_write(cc, &sb) != 0) {
        msgpack_sbuffer_destroy(&sb);
        return;
    }
    msgpack_sbuffer_destroy(&sb);
    tnd_client_call *k = cc->calls;
    while (k && cc->state == CCONN_READY) {
        tnd_client_call *next = k->cnext;
        if (k->sid == 0)
            tnd__call_on_ready(k);
        k = next;
    }
}

static const tnd_tls_stream_cb conn_cb = {
    .on_handshake = on_handshake,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_drain = on_drain,
    .on_close = on_stream_closed,
};

/* ---- connecting ---------------------------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
    tnd_cconn *cc = req->data;
    char why[512];
    if (cc->state == CCONN_CLOSED)
        return;
    if (status < 0) {
        whyf(why, sizeof why, "cannot connect to %s: %s", cc->addr.server,
                 uv_strerror(status));
        if (cc->ai_next) { /* try the next address once this handle closed */
            cc->try_next = true;
            tnd_tls_stream_abort(&cc->tls);
            return;
        }
        tnd__conn_fail(cc, why);
        return;
    }
    cc->state = CCONN_HANDSHAKING;
    int rc = tnd_tls_stream_start(&cc->tls);
    if (rc != 0) {
        whyf(why, sizeof why, "TLS handshake with %s failed: %s", cc->addr.server,
                 cc->tls.error);
        tnd__conn_fail(cc, why);
    }
}

static int conn_connect(tnd_cconn *cc, const struct sockaddr *addr)
{
    tnd_client *c = cc->client;
    char why[512];
    cc->state = CCONN_CONNECTING;
    if (tnd_tls_stream_init(c->loop, &cc->tls, c->ssl_ctx, false, &conn_cb, cc) != 0) {
        tnd__conn_fail(cc, "out of memory");
        return -1;
    }
    cc->tcp_open = true;
    cc->tls.high_water = 4u << 20;
    if (tnd_tls_client_set_host(cc->tls.ssl, cc->addr.host) != 0) {
        whyf(why, sizeof why, "cannot use \"%s\" as a TLS host name", cc->addr.host);
        cc->permanent = true;
        tnd__conn_fail(cc, why);
        return -1;
    }
    /* Offer a copy of the kept session; the server decides whether it resumes. */
    SSL_SESSION *copy = c->session ? SSL_SESSION_dup(c->session) : NULL;
    if (copy && SSL_set_session(cc->tls.ssl, copy) != 1)
        ERR_clear_error();
    SSL_SESSION_free(copy);
    cc->connect_req.data = cc;
    int rc = uv_tcp_connect(&cc->connect_req, &cc->tls.tcp, addr, on_connect);
    if (rc != 0) {
        whyf(why, sizeof why, "cannot connect to %s: %s", cc->addr.server, uv_strerror(rc));
        tnd__conn_fail(cc, why);
        return -1;
    }
    return 0;
}

/* After a refused address: the next one from getaddrinfo. */
static void conn_start_next(tnd_cconn *cc)
{
    struct addrinfo *ai = cc->ai_next;
    cc->ai_next = ai->ai_next;
    cc->tcp_open = false;
    (void)conn_connect(cc, ai->ai_addr);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    tnd_cconn *cc = req->data;
    char why[512];
    cc->resolving = false;
    cc->ai_list = res;
    if (cc->state == CCONN_CLOSED) {
        conn_shutdown(cc);
        return;
    }
    if (status < 0 || !res) {
        whyf(why, sizeof why, "cannot resolve %s: %s", cc->addr.host,
                 uv_strerror(status));
        tnd__conn_fail(cc, why);
        return;
    }
    cc->ai_next = res->ai_next;
    (void)conn_connect(cc, res->ai_addr);
}

static void on_connect_timeout(uv_timer_t *t)
{
    tnd_cconn *cc = t->data;
    char why[512];
    whyf(why, sizeof why, "cannot connect to %s: no TLS session after %u ms",
             cc->addr.server, cc->client->connect_timeout_ms);
    cc->ai_next = NULL;
    tnd__conn_fail(cc, why);
}

tnd_cconn *tnd__conn_get(tnd_client *c)
{
    if (c->current && c->current->state != CCONN_CLOSED && !c->current->goaway)
        return c->current;
    tnd_cconn *cc = calloc(1, sizeof *cc);
    if (!cc)
        return NULL;
    cc->client = c;
    cc->addr = c->addrs[c->at];
    c->refs++;
    cc->next = c->conns;
    c->conns = cc;
    c->current = cc;
    cc->next_sid = 1;
    cc->send_window = TND_CLIENT_ASSUMED_WINDOW;
    tnd_frame_reader_init(&cc->reader, c->max_frame);
    uv_timer_init(c->loop, &cc->timer);
    cc->timer.data = cc;
    cc->timer_open = true;
    uv_timer_start(&cc->timer, on_connect_timeout, c->connect_timeout_ms, 0);

    struct sockaddr_storage ss;
    if (uv_ip4_addr(cc->addr.host, atoi(cc->addr.port), (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(cc->addr.host, atoi(cc->addr.port), (struct sockaddr_in6 *)&ss) == 0) {
        (void)conn_connect(cc, (const struct sockaddr *)&ss);
        return cc;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    cc->gai.data = cc;
    cc->resolving = true;
    int rc = uv_getaddrinfo(c->loop, &cc->gai, on_resolved, cc->addr.host, cc->addr.port, &hints);
    if (rc != 0) {
        char why[512];
        cc->resolving = false;
        whyf(why, sizeof why, "cannot resolve %s: %s", cc->addr.host, uv_strerror(rc));
        tnd__conn_fail(cc, why);
    }
    return cc;
}
