/* The client object: options, TLS context, lifetime (see tender/client.h). */
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "tls.h"

static void set_err(char *err, size_t err_len, const char *fmt, const char *arg)
{
    if (err && err_len)
        snprintf(err, err_len, fmt, arg);
}

void tnd_client_opts_init(tnd_client_opts *opts)
{
    memset(opts, 0, sizeof *opts);
}

uint64_t tnd__client_random(tnd_client *c)
{
    /* xorshift64*: jitter and request ids need spread, not secrecy. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 2685821657736338717ull;
}

bool tnd__request_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > TND_MAX_REQUEST_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
            return false;
    return true;
}

/* One address into a; false when it is no HOST:PORT. */
static bool addr_set(tnd_addr *a, const char *server, size_t len)
{
    if (len == 0 || len >= sizeof a->server)
        return false;
    memcpy(a->server, server, len);
    a->server[len] = '\0';
    if (strlen(a->server) != len) /* a NUL inside */
        return false;
    return tnd__split_hostport(a->server, a->host, sizeof a->host, a->port, sizeof a->port) == 0;
}

/* opts->servers, or opts->server as a list of one, or the default. */
static int set_servers(tnd_client *c, const tnd_client_opts *opts, char *err, size_t err_len)
{
    const char *one = opts->server && *opts->server ? opts->server : TND_CLIENT_DEFAULT_SERVER;
    const char *const *list = opts->n_servers ? opts->servers : &one;
    size_t n = opts->n_servers ? opts->n_servers : 1;
    if (opts->n_servers && opts->server) {
        set_err(err, err_len, "%s", "give the server or the list of servers, not both");
        return TND_EINVAL;
    }
    if (!list || n > TND_CLIENT_MAX_SERVERS) {
        if (err && err_len)
            snprintf(err, err_len, "%zu servers given: at most %d", n, TND_CLIENT_MAX_SERVERS);
        return TND_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!list[i] || !addr_set(&c->addrs[i], list[i], strlen(list[i]))) {
            set_err(err, err_len, "bad server address \"%.200s\": expected HOST:PORT",
                    list[i] ? list[i] : "(null)");
            return TND_EINVAL;
        }
    }
    c->n_addrs = n;
    return 0;
}

/* New calls go to addrs[to]: a connection to another server takes no more. */
static void go_to(tnd_client *c, size_t to)
{
    c->at = to;
    tnd_cconn *cur = c->current;
    if (cur && strcmp(cur->addr.server, c->addrs[to].server) != 0) {
        c->current = NULL;
        cur->goaway = true; /* its calls finish there; it closes when idle */
        tnd__conn_maybe_idle(cur);
    }
}

void tnd__client_next_server(tnd_client *c, const char *from)
{
    if (c->n_addrs < 2 || strcmp(c->addrs[c->at].server, from) != 0)
        return;
    /* From a writer named outside the list, back to the list's start. */
    go_to(c, c->at + 1 < c->n_addrs ? c->at + 1 : 0);
}

bool tnd__client_redirect(tnd_client *c, const char *server, size_t len)
{
    tnd_addr a;
    if (!addr_set(&a, server, len) || strcmp(a.server, c->addrs[c->at].server) == 0)
        return false;
    size_t i = 0;
    while (i < c->n_addrs && strcmp(c->addrs[i].server, a.server) != 0)
        i++;
    if (i == c->n_addrs)
        c->addrs[i] = a; /* the slot after the list */
    go_to(c, i);
    return true;
}

int tnd_client_new(uv_loop_t *loop, const tnd_client_opts *opts, tnd_client **out, char *err,
                   size_t err_len)
{
    if (out)
        *out = NULL;
    if (!loop || !opts || !out) {
        set_err(err, err_len, "%s", "tnd_client_new: loop, opts and out are required");
        return TND_EINVAL;
    }
    if (!opts->ca_file || !*opts->ca_file) {
        set_err(err, err_len, "%s", "no CA file: give the CA that issued the server's certificate");
        return TND_EINVAL;
    }
    if (!opts->cert_file != !opts->key_file) {
        set_err(err, err_len, "%s",
                opts->cert_file ? "a client certificate needs its key file"
                                : "a key file needs its client certificate");
        return TND_EINVAL;
    }
    if (opts->request_id && !tnd__request_id_ok(opts->request_id)) {
        if (err && err_len)
            snprintf(err, err_len,
                     "bad request id \"%.80s\": use 1 to %d characters without spaces or "
                     "control characters",
                     opts->request_id, TND_MAX_REQUEST_ID);
        return TND_EINVAL;
    }
    tnd_client *c = calloc(1, sizeof *c);
    if (!c) {
        set_err(err, err_len, "%s", "out of memory");
        return TND_ENOMEM;
    }
    int rc = set_servers(c, opts, err, err_len);
    if (rc != 0) {
        free(c);
        return rc;
    }
    if (opts->request_id)
        snprintf(c->request_id, sizeof c->request_id, "%s", opts->request_id);
    c->ssl_ctx = tnd_tls_client_ctx_new(opts->ca_file, opts->cert_file, opts->key_file, err,
                                        err_len);
    if (!c->ssl_ctx) {
        free(c);
        return TND_ETLS;
    }
    /* The context is this client's alone: its app data leads back here. */
    if (!opts->no_resumption && (SSL_CTX_set_app_data(c->ssl_ctx, c) != 1 ||
                                 tnd_tls_client_keep_sessions(c->ssl_ctx, tnd__conn_new_session))) {
        SSL_CTX_free(c->ssl_ctx);
        free(c);
        set_err(err, err_len, "%s", "cannot enable TLS session resumption");
        return TND_ETLS;
    }
    c->resumed = -1;
    c->loop = loop;
    c->refs = 1;
    c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : TND_CLIENT_DEFAULT_TIMEOUT_MS;
    c->max_frame = opts->max_frame ? opts->max_frame : TND_DEFAULT_MAX_FRAME;
    c->connect_timeout_ms =
        opts->connect_timeout_ms ? opts->connect_timeout_ms : TND_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS;
    c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts
                      : c->n_addrs > 1   ? TND_CLIENT_DEFAULT_MAX_ATTEMPTS_SEVERAL
                                         : TND_CLIENT_DEFAULT_MAX_ATTEMPTS;
    c->backoff_base_ms = opts->backoff_base_ms ? opts->backoff_base_ms
                                               : TND_CLIENT_DEFAULT_BACKOFF_BASE_MS;
    c->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms
                                             : TND_CLIENT_DEFAULT_BACKOFF_MAX_MS;
    if (RAND_bytes((unsigned char *)&c->rng, sizeof c->rng) != 1 || c->rng == 0)
        c->rng = uv_hrtime() | 1;
    if (uv_prepare_init(loop, &c->uncork) == 0) {
        c->uncork.data = c;
        c->uncork_open = true;
        c->refs++; /* dropped when the handle has closed */
    }
    *out = c;
    return 0;
}

int tnd_client_open(const tnd_client_opts *opts, tnd_client **out, char *err, size_t err_len)
{
    if (out)
        *out = NULL;
    uv_loop_t *loop = malloc(sizeof *loop);
    if (!loop) {
        set_err(err, err_len, "%s", "out of memory");
        return TND_ENOMEM;
    }
    int rc = uv_loop_init(loop);
    if (rc != 0) {
        set_err(err, err_len, "cannot create an event loop: %s", uv_strerror(rc));
        free(loop);
        return TND_EIO;
    }
    rc = tnd_client_new(loop, opts, out, err, err_len);
    if (rc != 0) {
        uv_loop_close(loop);
        free(loop);
        return rc;
    }
    (*out)->owns_loop = true;
    return 0;
}

const char *tnd_client_server(const tnd_client *client)
{
    return client->addrs[client->at].server;
}

int tnd_client_resumed(const tnd_client *client)
{
    return client->resumed;
}

/* The last reference: everything the client had is closed. Only clients on
 * the caller's loop get here; tnd_client_free releases a private loop's. */
void tnd__client_unref(tnd_client *c)
{
    if (--c->refs > 0)
        return;
    SSL_SESSION_free(c->session);
    SSL_CTX_free(c->ssl_ctx);
    free(c);
}

static void on_uncork_closed(uv_handle_t *h)
{
    tnd__client_unref(h->data);
}

void tnd_client_free(tnd_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    c->refs++; /* ours, for the duration of this function */
    while (c->calls)
        tnd__call_end(c->calls, TND_STATUS_CANCELLED, "the client was closed");
    tnd__conn_close_all(c);
    if (c->uncork_open) {
        c->uncork_open = false;
        uv_close((uv_handle_t *)&c->uncork, on_uncork_closed);
    }
    c->refs--; /* the client's own reference */
    if (!c->owns_loop) {
        tnd__client_unref(c); /* ours; close callbacks drop the rest */
        return;
    }
    /* Run the private loop until every handle has closed. */
    uv_loop_t *loop = c->loop;
    while (c->refs > 1 && uv_run(loop, UV_RUN_ONCE) != 0) {
    }
    while (uv_run(loop, UV_RUN_NOWAIT) != 0) {
    }
    SSL_SESSION_free(c->session);
    SSL_CTX_free(c->ssl_ctx);
    free(c);
    uv_loop_close(loop);
    free(loop);
}

int tnd__status_fail(tnd_status_info *st, int code, const char *fmt, ...)
{
    st->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    st->details_len = 0;
    return code;
}
