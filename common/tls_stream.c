/* TLS over a libuv TCP handle (see tls_stream.h). */
#include "tls_stream.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "tls.h"
#include "tender/error.h"

#define DEFAULT_HIGH_WATER (1u << 20)
#define HELD_MIN 512 /* first size of the held-bytes buffer: a few frames (malloc caches it) */
/* Plaintext is encrypted and handed to the network this much at a time, so
 * OpenSSL's output buffer (which keeps its largest size) stays this small. */
#define ENCRYPT_PIECE (64u * 1024u)

typedef struct write_req {
    uv_write_t req;
    tnd_tls_stream *s;
    size_t len;
    char data[];
} write_req;

static void set_error(tnd_tls_stream *s, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char buf[160] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(s->error, sizeof s->error, "%s%s%s", what, e ? ": " : "", buf);
    ERR_clear_error();
}

#define GRACEFUL_CLOSE_MS 2000

static void on_handle_closed(uv_handle_t *h)
{
    tnd_tls_stream *s = h->data;
    if (--s->open_handles > 0)
        return;
    if (s->ssl)
        SSL_free(s->ssl); /* frees both BIOs too */
    s->ssl = NULL;
    tnd_tls_input_free(&s->in);
    tnd_tls_output_clear(&s->out);
    free(s->held); /* dropped unsent, as the rest of the output */
    s->held = NULL;
    s->held_len = s->held_cap = 0;
    s->cb->on_close(s);
}

void tnd_tls_stream_abort(tnd_tls_stream *s)
{
    s->closing = true;
    s->reading = false;
    if (uv_is_closing((uv_handle_t *)&s->tcp))
        return;
    uv_close((uv_handle_t *)&s->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&s->close_timer, on_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    tnd_tls_stream_abort(req->handle->data);
}

static void on_close_timeout(uv_timer_t *t)
{
    tnd_tls_stream_abort(t->data);
}

static int flush_out(tnd_tls_stream *s);
static int flush_held(tnd_tls_stream *s);

void tnd_tls_stream_close(tnd_tls_stream *s)
{
    if (s->closing)
        return;
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->reading = false;
    s->holding = false;
    (void)flush_held(s); /* what the owner wrote before closing goes out before close_notify */
    if (s->handshake_done && s->ssl && SSL_is_init_finished(s->ssl)) {
        SSL_shutdown(s->ssl);
        ERR_clear_error();
        flush_out(s);
    }
    s->closing = true;
    uv_timer_start(&s->close_timer, on_close_timeout, GRACEFUL_CLOSE_MS, 0);
    if (uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp, on_shutdown) != 0)
        tnd_tls_stream_abort(s);
}

static void fail(tnd_tls_stream *s, int status)
{
    if (s->closing)
        return;
    if (!s->handshake_done && s->cb->on_handshake) {
        s->handshake_done = true; /* report the failure once */
        s->cb->on_handshake(s, status);
    } else if (s->cb->on_eof) {
        s->cb->on_eof(s, status);
    }
    if (status == TND_EIO)
        tnd_tls_stream_abort(s);
    else
        tnd_tls_stream_close(s);
}

static void on_written(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    tnd_tls_stream *s = w->s;
    s->unsent -= w->len;
    if (s->unsent_total)
        *s->unsent_total -= w->len;
    if (status >= 0)
        s->written += w->len;
    free(w);
    if (status < 0) {
        if (!s->closing) {
            snprintf(s->error, sizeof s->error, "write failed: %s", uv_strerror(status));
            fail(s, TND_EIO);
        }
        return;
    }
    if (s->was_high && s->unsent == 0 && !s->closing) {
        s->was_high = false;
        if (s->cb->on_drain)
            s->cb->on_drain(s);
    }
}

/* What OpenSSL produced that fits here goes to the socket straight away
 * (uv_try_write): no allocation, no request waiting for its callback, and
 * no change to the loop's epoll registration, which libuv would otherwise
 * redo after every completed write. */
#define DIRECT_MAX 16384

/* Hand w (its data filled in) to uv_write. */
static int queue_out(tnd_tls_stream *s, write_req *w, size_t len)
{
    w->s = s;
    w->len = len;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written);
    if (rc < 0) {
        free(w);
        snprintf(s->error, sizeof s->error, "write failed: %s", uv_strerror(rc));
        return TND_EIO;
    }
    s->unsent += len;
    if (s->unsent_total)
        *s->unsent_total += len;
    if (s->unsent > s->high_water)
        s->was_high = true;
    return 0;
}

/* Move everything OpenSSL produced to the network: what the socket takes at
 * once directly, the rest in one uv_write. Output above the high-water mark
 * (or already waiting on on_drain) is queued whole, so on_drain follows. */
static int flush_out(tnd_tls_stream *s)
{
    size_t pending;
    const uint8_t *bytes = tnd_tls_output_bytes(&s->out, &pending);
    if (pending == 0)
        return 0;
    int rc = 0;
    if (s->closing)
        goto out; /* dropped, as the rest of the output */
    s->writes++;
    size_t done = 0;
    if (pending <= DIRECT_MAX && !s->was_high && s->unsent + pending <= s->high_water) {
        uv_buf_t b = uv_buf_init((char *)bytes, (unsigned)pending);
        int n = uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
        if (n == UV_EAGAIN)
            n = 0; /* the socket is full, or writes wait before these bytes */
        if (n < 0) {
            snprintf(s->error, sizeof s->error, "write failed: %s", uv_strerror(n));
            rc = TND_EIO;
            goto out;
        }
        s->written += (uint64_t)n;
        done = (size_t)n;
    }
    if (done < pending) {
        size_t rest = pending - done;
        write_req *w = malloc(sizeof *w + rest);
        if (!w) {
            rc = TND_ENOMEM;
            goto out;
        }
        memcpy(w->data, bytes + done, rest);
        rc = queue_out(s, w, rest);
    }
out:
    tnd_tls_output_clear(&s->out);
    return rc;
}

static bool alpn_ok(SSL *ssl)
{
    const unsigned char *p = NULL;
    unsigned int n = 0;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return n == strlen(TND_TLS_ALPN) && memcmp(p, TND_TLS_ALPN, n) == 0;
}

/* Advance the handshake; 1 when done, 0 when more bytes are needed, <0 on failure. */
static int drive_handshake(tnd_tls_stream *s)
{
    int r = SSL_do_handshake(s->ssl);
    int frc = flush_out(s); /* alerts and handshake records go out either way */
    if (r == 1) {
        if (frc < 0)
            return frc;
        if (!alpn_ok(s->ssl)) {
            snprintf(s->error, sizeof s->error,
                     "TLS handshake failed: the peer did not agree on ALPN \"%s\"", TND_TLS_ALPN);
            return TND_ETLS;
        }
        s->handshake_done = true;
        return 1;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return frc < 0 ? frc : 0;
    if (s->ssl && SSL_get_verify_result(s->ssl) != X509_V_OK) {
        snprintf(s->error, sizeof s->error, "TLS handshake failed: certificate rejected: %s",
                 X509_verify_cert_error_string(SSL_get_verify_result(s->ssl)));
        ERR_clear_error();
    } else {
        set_error(s, "TLS handshake failed");
    }
    return TND_ETLS;
}

/* Decrypt everything available and hand it to the owner. */
static int drain_plaintext(tnd_tls_stream *s)
{
    uint8_t buf[16384];
    for (;;) {
        if (s->closing)
            return 0;
        int n = SSL_read(s->ssl, buf, sizeof buf);
        if (n > 0) {
            s->cb->on_data(s, buf, (size_t)n);
            continue;
        }
        int e = SSL_get_error(s->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return flush_out(s);
        if (e == SSL_ERROR_ZERO_RETURN) {
            snprintf(s->error, sizeof s->error, "peer closed the connection");
            return TND_ECLOSED;
        }
        set_error(s, "TLS read failed");
        return TND_ETLS;
    }
}

/* One read buffer per thread, shared by every stream of its loop: OpenSSL
 * reads what arrived from it during read_cb, and what it has not read by
 * the end is copied out (tnd_tls_input_keep) before the loop reads into the
 * buffer again, so an idle connection holds no buffer of its own. */
static _Thread_local uint8_t readbuf[65536];

/* Advance the handshake, then hand every decrypted byte to the owner. */
static int handle_input(tnd_tls_stream *s)
{
    if (!s->handshake_done) {
        int rc = drive_handshake(s);
        if (rc <= 0)
            return rc;
        if (s->cb->on_handshake)
            s->cb->on_handshake(s, 0);
    }
    return drain_plaintext(s);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)readbuf, sizeof readbuf);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    tnd_tls_stream *s = st->data;
    if (nread == 0 || s->closing)
        return;
    if (nread < 0) {
        snprintf(s->error, sizeof s->error, "%s",
                 nread == UV_EOF ? "peer closed the connection" : uv_strerror((int)nread));
        fail(s, nread == UV_EOF ? TND_ECLOSED : TND_EIO);
        return;
    }
    if (tnd_tls_input_add(&s->in, (const uint8_t *)buf->base, (size_t)nread) != 0) {
        snprintf(s->error, sizeof s->error, "out of memory buffering TLS input");
        fail(s, TND_ENOMEM);
        return;
    }
    /* The answers to everything this read brings go out together, below. */
    s->holding = true;
    int rc = handle_input(s);
    s->holding = false;
    int frc = flush_held(s);
    if (rc == 0)
        rc = frc;
    if (rc < 0 || s->closing)
        tnd_tls_input_free(&s->in); /* nothing more is read */
    else if (tnd_tls_input_keep(&s->in) != 0) {
        snprintf(s->error, sizeof s->error, "out of memory buffering TLS input");
        tnd_tls_input_free(&s->in);
        rc = TND_ENOMEM;
    }
    if (rc < 0)
        fail(s, rc);
}

int tnd_tls_stream_init(uv_loop_t *loop, tnd_tls_stream *s, SSL_CTX *ctx, bool is_server,
                        const tnd_tls_stream_cb *cb, void *data)
{
    memset(s, 0, sizeof *s);
    s->cb = cb;
    s->data = data;
    s->is_server = is_server;
    s->high_water = DEFAULT_HIGH_WATER;
    s->ssl = SSL_new(ctx);
    BIO *in = tnd_tls_input_bio(&s->in);
    BIO *out = tnd_tls_output_bio(&s->out);
    if (!s->ssl || !in || !out) {
        SSL_free(s->ssl);
        BIO_free(in);
        BIO_free(out);
        s->ssl = NULL;
        return TND_ENOMEM;
    }
    SSL_set_bio(s->ssl, in, out);
    if (is_server)
        SSL_set_accept_state(s->ssl);
    else
        SSL_set_connect_state(s->ssl);
    uv_tcp_init(loop, &s->tcp);
    uv_timer_init(loop, &s->close_timer);
    s->tcp.data = s;
    s->close_timer.data = s;
    s->open_handles = 2;
    return 0;
}

int tnd_tls_stream_start(tnd_tls_stream *s)
{
    uv_tcp_nodelay(&s->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb);
    if (rc < 0) {
        snprintf(s->error, sizeof s->error, "cannot read: %s", uv_strerror(rc));
        return TND_EIO;
    }
    s->reading = true;
    if (!s->is_server) {
        rc = drive_handshake(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Encrypt len bytes (OpenSSL cuts them into records) and hand them to the
 * network, a piece at a time. */
static int encrypt_out(tnd_tls_stream *s, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        int chunk = len > ENCRYPT_PIECE ? (int)ENCRYPT_PIECE : (int)len;
        int n = SSL_write(s->ssl, p, chunk);
        if (n <= 0) {
            set_error(s, "TLS write failed");
            return TND_ETLS;
        }
        p += n;
        len -= (size_t)n;
        int rc = flush_out(s);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Keep len bytes for flush_held; TND_ENOMEM when they cannot be kept. */
static int hold(tnd_tls_stream *s, const void *data, size_t len)
{
    if (len > SIZE_MAX - s->held_len) {
        snprintf(s->error, sizeof s->error, "out of memory holding TLS output");
        return TND_ENOMEM;
    }
    size_t need = s->held_len + len;
    if (need > s->held_cap) {
        size_t cap = s->held_cap ? s->held_cap : HELD_MIN;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        uint8_t *p = realloc(s->held, cap);
        if (!p) {
            snprintf(s->error, sizeof s->error, "out of memory holding TLS output");
            return TND_ENOMEM;
        }
        s->held = p;
        s->held_cap = cap;
    }
    memcpy(s->held + s->held_len, data, len);
    s->held_len = need;
    return 0;
}

/* Encrypt and write out what was held while a read was handled. A stream
 * that is closing drops it, as it drops the rest of its output. */
static int flush_held(tnd_tls_stream *s)
{
    size_t len = s->held_len;
    s->held_len = 0;
    int rc = 0;
    if (len > 0 && !s->closing && s->ssl) {
        /* The owner saw these bytes make the stream congested: it is owed
         * on_drain, so they are queued even when the socket could take them. */
        if (s->unsent + len > s->high_water)
            s->was_high = true;
        rc = encrypt_out(s, s->held, len);
    }
    /* Freed each time, so that an idle connection keeps no buffer. */
    free(s->held);
    s->held = NULL;
    s->held_cap = 0;
    return rc;
}

int tnd_tls_stream_write(tnd_tls_stream *s, const void *data, size_t len)
{
    if (s->closing || !s->ssl)
        return TND_ECLOSED;
    if (s->holding)
        return hold(s, data, len);
    return encrypt_out(s, data, len);
}

int tnd_tls_stream_writev(tnd_tls_stream *s, const uv_buf_t *parts, size_t n)
{
    if (s->closing || !s->ssl)
        return TND_ECLOSED;
    bool started = tnd_tls_stream_hold(s);
    size_t mark = s->held_len;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (parts[i].len > 0)
            rc = hold(s, parts[i].base, parts[i].len);
    if (rc != 0)
        s->held_len = mark; /* none of the pieces goes out if one could not be kept */
    if (!started)
        return rc; /* whoever holds sends them */
    s->holding = false;
    int frc = flush_held(s);
    return rc != 0 ? rc : frc;
}

bool tnd_tls_stream_hold(tnd_tls_stream *s)
{
    if (s->holding || s->closing || !s->ssl)
        return false;
    s->holding = true;
    return true;
}

void tnd_tls_stream_release(tnd_tls_stream *s, bool started)
{
    if (!started || !s->holding)
        return; /* not ours, or a close already sent (or dropped) what was held */
    s->holding = false;
    int rc = flush_held(s);
    if (rc < 0)
        fail(s, rc);
}

void tnd_tls_stream_pause(tnd_tls_stream *s)
{
    if (s->reading && !s->closing) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->reading = false;
    }
}

void tnd_tls_stream_resume(tnd_tls_stream *s)
{
    if (!s->reading && !s->closing) {
        if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) == 0)
            s->reading = true;
    }
}
