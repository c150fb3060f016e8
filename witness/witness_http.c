/* The witness's HTTP listener (libmicrohttpd): POST /add-checkpoint and
 * GET /HEX/checkpoint (C2SP tlog-witness); everything else is 404 or 405. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "witness.h"

#define THREADS 4
#define MAX_CLIENTS 256
#define MAX_PER_ADDRESS 32
#define TIMEOUT_S 10
#define MEMORY_LIMIT (32u * 1024u)

struct wit_http {
    struct MHD_Daemon *daemon;
    wit *w;
};

/* One request: the body of an add-checkpoint as it arrives. */
typedef struct req {
    bool add;
    char *buf;
    size_t len;
    size_t seen; /* bytes of body received, kept or not */
} req;

/* A body larger than WIT_MAX_BODY without a Content-Length (chunked) is read
 * and dropped up to this, then answered 413; beyond it the connection is
 * closed. (libmicrohttpd 0.9 cannot answer before the body is in.) */
#define DRAIN_MAX (1u << 20)

static const char too_large[] = "request body too large: an add-checkpoint body is at most "
                                "11 KiB (an 8 KiB note and 63 proof lines)";

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status, const char *type,
                                char *body, size_t len, const char *allow)
{
    struct MHD_Response *resp =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *msg,
                                 const char *allow)
{
    size_t n = strlen(msg);
    char *b = malloc(n + 1);
    if (b) {
        memcpy(b, msg, n);
        b[n] = '\n';
    }
    return send_buf(conn, status, "text/plain; charset=utf-8", b, b ? n + 1 : 0, allow);
}

/* "/HEX/checkpoint" with 64 lowercase hex digits: HEX into hex. */
static bool monitor_path(const char *url, char hex[65])
{
    if (strlen(url) != 1 + 64 + 11 || url[0] != '/' || strcmp(url + 65, "/checkpoint") != 0)
        return false;
    for (int i = 0; i < 64; i++) {
        char c = url[1 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        hex[i] = c;
    }
    hex[64] = '\0';
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)version;
    wit *w = cls;
    req *r = *req_cls;
    if (!r) {
        /* The headers are in. */
        bool add = strcmp(url, "/add-checkpoint") == 0;
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        bool get =
            strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        char hex[65];
        if (add && !post)
            return send_text(conn, 405, "add-checkpoint takes POST", "POST");
        if (!add && !get)
            return send_text(conn, 405, "only POST /add-checkpoint and GET /HEX/checkpoint",
                             "GET, HEAD");
        if (!add && !monitor_path(url, hex))
            return send_text(conn, 404,
                             "not found: POST /add-checkpoint, or GET /HEX/checkpoint with HEX the "
                             "lowercase hex SHA-256 of a log's origin",
                             NULL);
        if (add) {
            const char *cl =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > WIT_MAX_BODY)
                return send_text(conn, 413, too_large, NULL);
        }
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->add = add;
        *req_cls = r;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (!r->add)
            return MHD_YES; /* a GET's body is read and ignored */
        r->seen += n;
        if (r->seen > DRAIN_MAX)
            return MHD_NO;
        if (r->seen > WIT_MAX_BODY) {
            free(r->buf);
            r->buf = NULL;
            r->len = 0;
            return MHD_YES;
        }
        if (!r->buf && !(r->buf = malloc(WIT_MAX_BODY)))
            return MHD_NO;
        memcpy(r->buf + r->len, upload, n);
        r->len += n;
        return MHD_YES;
    }
    if (r->add && r->seen > WIT_MAX_BODY)
        return send_text(conn, 413, too_large, NULL);
    if (r->add) {
        wit_answer a;
        char peer[INET6_ADDRSTRLEN + 8] = "?";
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        if (sa && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof peer);
        else if (sa && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
        wit_add_checkpoint(w, r->buf ? r->buf : "", r->len, peer, &a);
        if (!a.body)
            return MHD_NO;
        return send_buf(conn, a.status, a.type, a.body, a.len, NULL);
    }
    char hex[65];
    size_t len = 0;
    char *note = monitor_path(url, hex) ? wit_monitor_checkpoint(w, hex, &len) : NULL;
    if (!note)
        return send_text(conn, 404, "this witness has cosigned no checkpoint of that log", NULL);
    return send_buf(conn, 200, "text/plain; charset=utf-8", note, len, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req *r = *req_cls;
    if (r) {
        free(r->buf);
        free(r);
        *req_cls = NULL;
    }
}

/* "HOST:PORT": an IPv4 address, [IPv6] or localhost. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        host[hl - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &a->sin_addr) ==
                   1
               ? 0
               : -1;
}

int wit_http_start(wit *w, const char *spec, wit_http **out, char *err, size_t err_len)
{
    struct sockaddr_storage ss;
    if (parse_listen(spec, &ss) != 0) {
        snprintf(err, err_len,
                 "--listen %s: expected HOST:PORT with an IP address, e.g. "
                 "127.0.0.1:7380 or [::1]:7380",
                 spec);
        return -1;
    }
    int fd, port;
    if (tnd_listen_tcp((struct sockaddr *)&ss, 128, spec, "the witness", &fd, &port, err,
                       err_len) != 0)
        return -1;
    wit_http *h = calloc(1, sizeof *h);
    if (!h) {
        close(fd);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    h->w = w;
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
            (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        (uint16_t)port, NULL, NULL, on_request, w, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)MAX_CLIENTS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_ADDRESS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)MEMORY_LIMIT, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        free(h);
        snprintf(err, err_len, "cannot start the HTTP listener on %s", spec);
        return -1;
    }
    *out = h;
    return 0;
}

void wit_http_stop(wit_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
