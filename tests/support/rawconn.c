/* Blocking raw-frame TLS client for tests (see rawconn.h). */
#include "rawconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int rawconn_open_ctx(rawconn *c, int port, SSL_CTX *ctx, const char *host)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    tnd_frame_reader_init(&c->reader, 64u << 20);
    SSL_CTX_up_ref(ctx);
    c->ctx = ctx;
    c->fd = tcp_connect(port);
    if (c->fd < 0) {
        snprintf(c->err, sizeof c->err, "connect: %s", strerror(errno));
        return -1;
    }
    c->ssl = SSL_new(ctx);
    if (tnd_tls_client_set_host(c->ssl, host ? host : "127.0.0.1") != 0) {
        snprintf(c->err, sizeof c->err, "bad host");
        return -1;
    }
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(c->err, sizeof c->err, "handshake: %s", e ? ERR_error_string(e, NULL) : "closed");
        ERR_clear_error();
        return -1;
    }
    return 0;
}

int rawconn_open(rawconn *c, int port, const char *ca, const char *cert, const char *key)
{
    char err[512];
    SSL_CTX *ctx = tnd_tls_client_ctx_new(ca, cert, key, err, sizeof err);
    if (!ctx) {
        memset(c, 0, sizeof *c);
        c->fd = -1;
        snprintf(c->err, sizeof c->err, "ctx: %.400s", err);
        return -1;
    }
    int rc = rawconn_open_ctx(c, port, ctx, "127.0.0.1");
    SSL_CTX_free(ctx);
    return rc;
}

int rawconn_write(rawconn *c, const void *data, size_t len)
{
    if (!c->ssl)
        return -1;
    const char *p = data;
    while (len > 0) {
        int n = SSL_write(c->ssl, p, len > (1u << 30) ? 1 << 30 : (int)len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rawconn_send(rawconn *c, msgpack_sbuffer *sb)
{
    int rc = rawconn_write(c, sb->data, sb->size);
    msgpack_sbuffer_clear(sb);
    return rc;
}

void rawconn_settings(rawconn *c)
{
    tnd_settings s = {4u << 20, 1024, 8u << 20, 16384, 32u << 20};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (tnd_frame_put_settings(&sb, &s) == 0)
        rawconn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
}

int rawconn_unary(rawconn *c, uint32_t sid, const char *method, const tnd_msg_desc *d,
                  const void *req, uint64_t timeout_ms)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    tnd_codec_err err;
    if (tnd_msg_encode(d, req, &buf, &len, &err) != 0)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = tnd_frame_put_call(&sb, sid, method, NULL, 0, timeout_ms);
    rc = rc ? rc : tnd_frame_put_message(&sb, sid, buf, len, true);
    if (rc == 0)
        rc = rawconn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    return rc;
}

static void drop_last(rawconn *c)
{
    if (c->zone)
        msgpack_zone_free(c->zone);
    c->zone = NULL;
    free(c->last);
    c->last = NULL;
}

/* Fill the reader until one frame is available or the time runs out. */
static int next_body(rawconn *c, const uint8_t **body, size_t *len, int timeout_ms)
{
    for (;;) {
        int r = tnd_frame_reader_next(&c->reader, body, len);
        if (r == 1)
            return 0;
        if (r < 0) {
            snprintf(c->err, sizeof c->err, "oversized frame");
            return -1;
        }
        if (!SSL_pending(c->ssl)) {
            struct pollfd p = {.fd = c->fd, .events = POLLIN};
            if (poll(&p, 1, timeout_ms) <= 0) {
                snprintf(c->err, sizeof c->err, "timeout");
                return -1;
            }
        }
        uint8_t buf[65536];
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n <= 0) {
            int e = SSL_get_error(c->ssl, n);
            if (e == SSL_ERROR_WANT_READ)
                continue;
            snprintf(c->err, sizeof c->err, "closed");
            ERR_clear_error();
            return -1;
        }
        if (tnd_frame_reader_feed(&c->reader, buf, (size_t)n) != 0)
            return -1;
    }
}

int rawconn_read(rawconn *c, tnd_frame *f, int timeout_ms, bool skip_ctl)
{
    for (;;) {
        const uint8_t *body;
        size_t len;
        drop_last(c);
        if (next_body(c, &body, &len, timeout_ms) != 0)
            return -1;
        c->last = malloc(len ? len : 1);
        memcpy(c->last, body, len);
        tnd_codec_err err;
        if (tnd_frame_parse(c->last, len, f, &c->zone, &err) != 0) {
            snprintf(c->err, sizeof c->err, "bad frame from server: %s", err.text);
            return -1;
        }
        if (skip_ctl && (f->type == TND_FRAME_SETTINGS || f->type == TND_FRAME_WINDOW ||
                         (f->type == TND_FRAME_PING && f->u.ping.ack)))
            continue;
        if (skip_ctl && f->type == TND_FRAME_PING) {
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            if (tnd_frame_put_ping(&sb, f->u.ping.opaque, true) == 0)
                rawconn_send(c, &sb);
            msgpack_sbuffer_destroy(&sb);
            continue;
        }
        return 0;
    }
}

int rawconn_wait_status(rawconn *c, uint32_t sid, int timeout_ms, char *msg, size_t msg_len,
                        int *n_msgs)
{
    tnd_frame f;
    while (rawconn_read(c, &f, timeout_ms, true) == 0) {
        if (f.type == TND_FRAME_MESSAGE && f.stream_id == sid && n_msgs)
            (*n_msgs)++;
        if (f.type == TND_FRAME_GOAWAY && msg) {
            snprintf(msg, msg_len, "GOAWAY %u: %.*s", f.u.goaway.code,
                     (int)f.u.goaway.message.len, (const char *)f.u.goaway.message.ptr);
        }
        if (f.type == TND_FRAME_STATUS && f.stream_id == sid) {
            if (msg)
                snprintf(msg, msg_len, "%.*s", (int)f.u.status.message.len,
                         (const char *)f.u.status.message.ptr);
            return (int)f.u.status.code;
        }
    }
    return -1;
}

bool rawconn_closed(rawconn *c, int timeout_ms)
{
    tnd_frame f;
    for (;;) {
        if (rawconn_read(c, &f, timeout_ms, true) != 0)
            return strcmp(c->err, "closed") == 0;
    }
}

void rawconn_close(rawconn *c)
{
    drop_last(c);
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->fd >= 0)
        close(c->fd);
    SSL_CTX_free(c->ctx);
    tnd_frame_reader_free(&c->reader);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

int rawconn_call(rawconn *c, uint32_t sid, const char *method, const tnd_msg_desc *req_desc,
                 const void *req, const tnd_msg_desc *resp_desc, void *resp, char *msg,
                 size_t msg_len, const tnd_md *md, size_t n_md)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    tnd_codec_err err;
    if (tnd_msg_encode(req_desc, req, &buf, &len, &err) != 0)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = tnd_frame_put_call(&sb, sid, method, md, n_md, 0);
    rc = rc ? rc : tnd_frame_put_message(&sb, sid, buf, len, true);
    if (rc == 0)
        rc = rawconn_send(c, &sb);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    if (rc != 0)
        return -1;
    if (msg && msg_len)
        msg[0] = '\0';
    tnd_frame f;
    while (rawconn_read(c, &f, 10000, true) == 0) {
        if (f.stream_id != sid)
            continue;
        if (f.type == TND_FRAME_MESSAGE && resp_desc && resp) {
            if (tnd_msg_decode(resp_desc, f.u.message.payload.ptr, f.u.message.payload.len, resp,
                               &err) != 0)
                return -1;
        } else if (f.type == TND_FRAME_STATUS) {
            if (msg)
                snprintf(msg, msg_len, "%.*s", (int)f.u.status.message.len,
                         (const char *)f.u.status.message.ptr);
            return (int)f.u.status.code;
        }
    }
    return -1;
}
