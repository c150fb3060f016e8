/* The tenderd server object: TLS context, listener, signals (drain on
 * SIGTERM/SIGINT, certificate reload on SIGHUP) and the method table. What
 * runs behind it is its owner's (services.c): the hooks. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/logging.h"
#include "tender_schema.h"
#include "tender/error.h"

int tnd_server_register(tnd_server *srv, const tnd_handler *h)
{
    if (srv->n_handlers == srv->cap_handlers) {
        size_t cap = srv->cap_handlers ? srv->cap_handlers * 2 : 16;
        const tnd_handler **nh = realloc(srv->handlers, cap * sizeof *nh);
        if (!nh)
            return TND_ENOMEM;
        srv->handlers = nh;
        srv->cap_handlers = cap;
    }
    srv->handlers[srv->n_handlers++] = h;
    /* Past the metrics' method limit the method still works; its calls
     * count as "unknown". */
    (void)tnd_metrics_add_method(srv->metrics, h->method, h->method->full_name);
    return 0;
}

void tnd_server_set_writer(tnd_server *srv, bool is_writer, const char *writer)
{
    size_t n = writer ? strlen(writer) : 0;
    bool sane = n > 0 && n <= TND_WRITER_ADDR_MAX;
    for (size_t i = 0; sane && i < n; i++)
        sane = writer[i] > ' ' && writer[i] < 0x7f;
    if (writer && !sane)
        tnd_log(TND_LOG_WARN, "writer address unusable: treated as unknown", "writer", writer,
                NULL);
    srv->is_writer = is_writer;
    if (sane)
        memcpy(srv->writer, writer, n + 1);
    else
        srv->writer[0] = '\0';
}

const tnd_handler *tnd__server_find_handler(const tnd_server *srv, const tnd_method_desc *m)
{
    for (size_t i = 0; i < srv->n_handlers; i++)
        if (srv->handlers[i]->method == m)
            return srv->handlers[i];
    return NULL;
}

int tnd_server_add_schema(tnd_server *srv, const tnd_schema_desc *schema)
{
    if (srv->n_schemas == sizeof srv->schemas / sizeof *srv->schemas)
        return TND_ELIMIT;
    srv->schemas[srv->n_schemas++] = schema;
    return 0;
}

const tnd_method_desc *tnd__server_find_method(const tnd_server *srv, const char *full_name)
{
    for (size_t i = 0; i < srv->n_schemas; i++) {
        const tnd_method_desc *m = tnd_schema_find_method(srv->schemas[i], full_name);
        if (m)
            return m;
    }
    return NULL;
}

/* The TLS context for new connections: certificate, key, the CA for client
 * certificates, when configured the CA's revocation list, and the session
 * tickets (the same keys for every context, so a reload keeps sessions
 * resumable). Returns 0 or the loader's code (TND_ETLS: a file OpenSSL
 * cannot use). */
static int make_ssl_ctx(const tnd_config *cfg, tnd_tls_tickets *tickets, SSL_CTX **out, char *err,
                        size_t err_len)
{
    *out = tnd_tls_server_ctx_new(cfg->cert, cfg->key, cfg->ca, err, err_len);
    if (!*out)
        return TND_ETLS;
    int rc = cfg->crl[0] ? tnd_tls_ctx_load_crl(*out, cfg->crl, err, err_len) : 0;
    if (rc == 0 && tickets && (rc = tnd_tls_server_enable_tickets(*out, tickets)) != 0)
        tnd_tls_error(err, err_len, "cannot enable session tickets");
    if (rc != 0) {
        SSL_CTX_free(*out);
        *out = NULL;
    }
    return rc;
}

int tnd_server_new(uv_loop_t *loop, const tnd_config *cfg, const tnd_server_hooks *hooks,
                   tnd_server **out, char *err, size_t err_len)
{
    *out = NULL;
    tnd_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, err_len, "out of memory");
        return TND_ENOMEM;
    }
    srv->loop = loop;
    srv->cfg = *cfg;
    srv->hooks = hooks;
    srv->serving = 1; /* SERVING */
    srv->is_writer = true;
    tnd_server_add_schema(srv, &tnd_schema);
    srv->metrics = tnd_metrics_new();
    int rc = TND_ENOMEM;
    if (cfg->ticket_rotation_ms > 0 && cfg->ticket_rotation_ms < 1000) {
        snprintf(err, err_len, "--ticket-rotation must be 0 (no resumption) or at least 1s");
        rc = TND_EINVAL;
    } else if (!srv->metrics || (cfg->ticket_rotation_ms &&
                                 !(srv->tickets = tnd_tls_tickets_new(cfg->ticket_rotation_ms)))) {
        snprintf(err, err_len, "out of memory");
    } else {
        rc = make_ssl_ctx(cfg, srv->tickets, &srv->ssl_ctx, err, err_len);
    }
    if (rc != 0) {
        tnd_server_free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

int tnd__parse_hostport(const char *flag, const char *spec, struct sockaddr_storage *ss, char *err,
                        size_t err_len)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        snprintf(err, err_len, "%s %s: expected HOST:PORT, e.g. 127.0.0.1:7443", flag, spec);
        return TND_EINVAL;
    }
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        hl = sizeof host - 1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        snprintf(err, err_len, "%s %s: port must be 0..65535", flag, spec);
        return TND_EINVAL;
    }
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) == 0)
            return 0;
    } else if (uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, (int)port,
                           (struct sockaddr_in *)ss) == 0) {
        return 0;
    }
    snprintf(err, err_len, "%s %s: \"%s\" is not an IP address", flag, spec, host);
    return TND_EINVAL;
}

static void on_connection(uv_stream_t *listener, int status)
{
    tnd_server *srv = listener->data;
    if (status < 0) {
        tnd_log(TND_LOG_WARN, "accept failed", "error", uv_strerror(status), NULL);
        return;
    }
    tnd__conn_accept(srv);
}

static void on_grace_over(uv_timer_t *t)
{
    tnd_server *srv = t->data;
    tnd_log(TND_LOG_WARN, "grace period over; cancelling remaining calls", NULL);
    for (tnd_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        tnd__conn_close(c);
    }
    if (srv->n_conns == 0 && !srv->stopped) {
        srv->stopped = true;
        uv_stop(srv->loop);
    }
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
}

void tnd_server_drain(tnd_server *srv)
{
    if (srv->draining)
        return;
    srv->draining = true;
    tnd_log(TND_LOG_INFO, "draining", NULL);
    if (srv->hooks && srv->hooks->draining)
        srv->hooks->draining(srv);
    if (!uv_is_closing((uv_handle_t *)&srv->listener))
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    for (tnd_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        tnd__conn_goaway(c, TND_STATUS_UNAVAILABLE, "server is shutting down");
        tnd__conn_maybe_done(c);
    }
    if (srv->n_conns == 0) {
        srv->stopped = true;
        uv_stop(srv->loop);
        return;
    }
    uv_timer_start(&srv->grace_timer, on_grace_over, srv->cfg.grace_ms, 0);
}

int tnd_server_reload_tls(tnd_server *srv)
{
    char err[512];
    SSL_CTX *ctx;
    int rc = make_ssl_ctx(&srv->cfg, srv->tickets, &ctx, err, sizeof err);
    if (rc != 0) {
        tnd_log(TND_LOG_ERROR, "certificate reload failed; keeping the old certificates", "error",
                err, NULL);
        return rc;
    }
    /* Live connections hold their own reference through their SSL. */
    SSL_CTX_free(srv->ssl_ctx);
    srv->ssl_ctx = ctx;
    tnd__server_recheck_peers(srv); /* revoked or no longer trusted: closed */
    tnd_log(TND_LOG_INFO, "certificates reloaded", "cert", srv->cfg.cert, "ca", srv->cfg.ca, "crl",
            srv->cfg.crl[0] ? srv->cfg.crl : NULL, NULL);
    return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
    tnd_server *srv = s->data;
    if (signum == SIGHUP)
        tnd_server_reload_tls(srv);
    else
        tnd_server_drain(srv);
}

int tnd_server_start(tnd_server *srv, char *err, size_t err_len)
{
    struct sockaddr_storage ss;
    int rc = tnd__parse_hostport("--listen", srv->cfg.listen, &ss, err, err_len);
    if (rc != 0)
        return rc;
    /* "off" (the default) or empty: no metrics listener. */
    if (srv->cfg.metrics[0] && strcmp(srv->cfg.metrics, "off") != 0) {
        struct sockaddr_storage ms;
        rc = tnd__parse_hostport("--metrics", srv->cfg.metrics, &ms, err, err_len);
        if (rc == 0)
            rc = tnd_metrics_http_start(srv->metrics, (const struct sockaddr *)&ms,
                                        srv->cfg.metrics, &srv->metrics_http, err, err_len);
        if (rc != 0)
            return rc;
    }
    if (srv->hooks && srv->hooks->before_listen &&
        (rc = srv->hooks->before_listen(srv, err, err_len)) != 0)
        return rc;
    uv_tcp_init(srv->loop, &srv->listener);
    srv->listener.data = srv;
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
    if (rc != 0) {
        snprintf(err, err_len, "cannot listen on %s: %s", srv->cfg.listen, uv_strerror(rc));
        return TND_EIO;
    }
    if (srv->hooks && srv->hooks->after_listen &&
        (rc = srv->hooks->after_listen(srv, err, err_len)) != 0)
        return rc;
    uv_timer_init(srv->loop, &srv->grace_timer);
    srv->grace_timer.data = srv;
    tnd__conns_tick_start(srv);
    uv_signal_t *sigs[] = {&srv->sig_term, &srv->sig_int, &srv->sig_hup};
    int nums[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(srv->loop, sigs[i]);
        sigs[i]->data = srv;
        uv_signal_start(sigs[i], on_signal, nums[i]);
        uv_unref((uv_handle_t *)sigs[i]);
    }
    char port[16];
    snprintf(port, sizeof port, "%d", tnd_server_port(srv));
    tnd_log(TND_LOG_INFO, "listening", "address", srv->cfg.listen, "port", port, "db", srv->cfg.db,
            NULL);
    tnd_config_log(&srv->cfg, "settings");
    return 0;
}

int tnd_server_metrics_port(const tnd_server *srv)
{
    return tnd_metrics_http_port(srv->metrics_http);
}

int tnd_server_port(const tnd_server *srv)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void tnd_server_shutdown(tnd_server *srv)
{
    /* Metrics stay readable through the drain, and stop first here. */
    tnd_metrics_http_stop(srv->metrics_http);
    srv->metrics_http = NULL;
    if (srv->hooks && srv->hooks->shutdown)
        srv->hooks->shutdown(srv);
}

void tnd_server_free(tnd_server *srv)
{
    if (!srv)
        return;
    tnd_server_shutdown(srv);
    SSL_CTX_free(srv->ssl_ctx);
    tnd_tls_tickets_free(srv->tickets); /* after the last SSL_CTX that points at it */
    free(srv->handlers);
    tnd__principals_clear(&srv->principals);
    tnd_metrics_free(srv->metrics);
    free(srv);
}
