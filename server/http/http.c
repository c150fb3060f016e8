/* The public HTTP listener (http.h): the daemon, its limits, routing, and
 * the answer helpers of http_internal.h. */
#include "http.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_deadline.h"
#include "http_internal.h"
#include "listen.h"
#include "tender/error.h"
#include "tender/status.h"

/* Limits. The whole request head (request line and headers) must fit in
 * MEMORY_LIMIT: a longer URL is answered 414, longer headers 431, by MHD,
 * which never grows its buffer past it. The timeout (--http-timeout) is both
 * MHD's inactivity timeout and the time a request head may take to arrive
 * (http_deadline.h), so dribbling bytes does not hold a connection. */
#define THREADS 4
#define MAX_CLIENTS 512
#define MAX_PER_ADDRESS 64
#define MEMORY_LIMIT (32u * 1024u)

const tnd_peer_identity tnd_http_anonymous = {.authenticated = false};

struct tnd_http {
    struct MHD_Daemon *daemon;
    tnd_http_deadline *deadline; /* the timeout for a whole request head */
    int port;
    tnd_store *store;
    char vkey[400];
    struct tnd_witnesses *witnesses;
};

static const char *cache_text(tnd_http_cache c)
{
    switch (c) {
    case TND_HTTP_IMMUTABLE:
        return "public, max-age=31536000, immutable";
    case TND_HTTP_SHORT:
        return "public, max-age=5";
    case TND_HTTP_CHECKPOINT:
        return "public, max-age=2";
    }
    return "no-store";
}

/* Does If-None-Match name etag (or "*")? */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return true;
    }
    return false;
}

enum MHD_Result tnd__http_send(tnd_http_req *r, const char *type, char *body, size_t len,
                              tnd_http_cache cache, const char *etag)
{
    char tag[80];
    if (!etag) {
        uint8_t h[32];
        unsigned hl = 0;
        EVP_Digest(body, len, h, &hl, EVP_sha256(), NULL);
        int o = snprintf(tag, sizeof tag, "\"");
        for (int i = 0; i < 16; i++)
            o += snprintf(tag + o, sizeof tag - (size_t)o, "%02x", h[i]);
        snprintf(tag + o, sizeof tag - (size_t)o, "\"");
        etag = tag;
    }
    const char *inm =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    unsigned code = MHD_HTTP_OK;
    struct MHD_Response *resp;
    if (etag_matches(inm, etag)) {
        free(body);
        code = MHD_HTTP_NOT_MODIFIED;
        resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(body);
    }
    if (!resp)
        return MHD_NO;
    if (code == MHD_HTTP_OK)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_text(cache));
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(r->conn, code, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result tnd__http_json(tnd_http_req *r, json_t *v, tnd_http_cache cache)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(v);
    if (!text)
        return tnd__http_error(r, TND_STATUS_RESOURCE_EXHAUSTED, "the server is out of memory");
    return tnd__http_send(r, "application/json", text, strlen(text), cache, NULL);
}

static unsigned http_code(int status)
{
    switch (status) {
    case TND_STATUS_INVALID_ARGUMENT:
    case TND_STATUS_OUT_OF_RANGE:
    case TND_STATUS_FAILED_PRECONDITION:
        return MHD_HTTP_BAD_REQUEST;
    case TND_STATUS_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case TND_STATUS_UNIMPLEMENTED:
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    case TND_STATUS_RESOURCE_EXHAUSTED:
    case TND_STATUS_UNAVAILABLE:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    case TND_STATUS_ABORTED:
        return MHD_HTTP_CONFLICT;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

enum MHD_Result tnd__http_error(tnd_http_req *r, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned code = http_code(status);
    json_t *m = json_string(msg); /* NULL for text that is not UTF-8 */
    json_t *v = json_pack("{s:{s:i,s:s,s:o}}", "error", "code", (int)code, "status",
                          tnd_status_name(status), "message", m ? m : json_string("?"));
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(r->conn, code, resp);
    MHD_destroy_response(resp);
    return rc;
}

const char *tnd__http_arg(tnd_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool tnd__http_id_ok(const char *s, size_t len)
{
    if (len == 0 || len > 80)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok || (c == '.' && i + 1 < len && s[i + 1] == '.'))
            return false;
    }
    return true;
}

/* The raw request target, before MHD decodes it: a "%00" would decode to a
 * NUL that cuts an id short and names another resource, so such requests
 * are marked here (the mark becomes *req_cls) and refused. */
static char nul_mark;

static void *raw_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    for (const char *p = uri; p && (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0')
            return &nul_mark;
    return NULL;
}

/* MHD's threads: one request. Answers at once; a request body (which GET
 * has none of) is never read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    tnd_http *h = cls;
    tnd_http_req r = {
        .conn = conn, .store = h->store, .vkey = h->vkey, .witnesses = h->witnesses, .path = url};
    tnd__http_deadline_head_in(conn);
    if (*req_cls == &nul_mark)
        return tnd__http_error(&r, TND_STATUS_INVALID_ARGUMENT,
                              "a URL must not hold a NUL byte (%%00)");
    /* MHD calls first when the headers are in; answering then makes it
     * close the connection, so a GET is answered on the next call, when the
     * (empty) request is complete and the connection can be kept alive. */
    static char headers_in;
    bool get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (get && *req_cls == NULL) {
        *req_cls = &headers_in;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a body of a GET is read and ignored */
        return MHD_YES;
    }
    if (!get)
        return tnd__http_error(&r, TND_STATUS_UNIMPLEMENTED,
                              "method %s not allowed: this API is read-only (GET, HEAD)",
                              strlen(method) < 16 ? method : "?");
    if (strncmp(url, "/api/v1/", 8) == 0)
        return tnd__http_api(&r, url + 7);
    if (strncmp(url, "/log/", 5) == 0)
        return tnd__http_tlog(&r, url + 4);
    return tnd__http_portal(&r, url);
}

int tnd_http_start(tnd_store *store, const char *vkey, struct tnd_witnesses *witnesses,
                   const struct sockaddr *addr,
                   const char *spec, unsigned timeout_s, tnd_http **out, char *err,
                   size_t err_len)
{
    *out = NULL;
    tnd_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_len, "out of memory starting the http listener");
        return TND_ENOMEM;
    }
    h->store = store;
    h->witnesses = witnesses;
    snprintf(h->vkey, sizeof h->vkey, "%s", vkey);
    int fd, rc = tnd__http_deadline_start(timeout_s, &h->deadline, err, err_len);
    if (rc != 0) {
        free(h);
        return rc;
    }
    if (tnd_listen_tcp(addr, 128, spec, "http", &fd, &h->port, err, err_len) != 0) {
        tnd__http_deadline_stop(h->deadline);
        free(h);
        return TND_EIO;
    }
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
            (addr->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        (uint16_t)h->port, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)MAX_CLIENTS, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_PER_ADDRESS,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK,
        raw_uri, NULL, MHD_OPTION_NOTIFY_CONNECTION, tnd__http_deadline_notify, h->deadline,
        MHD_OPTION_NOTIFY_COMPLETED, tnd__http_deadline_completed, h->deadline, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        tnd__http_deadline_stop(h->deadline);
        free(h);
        snprintf(err, err_len, "cannot start the http listener on %s", spec);
        return TND_EIO;
    }
    *out = h;
    return 0;
}

int tnd_http_port(const tnd_http *h)
{
    return h ? h->port : -1;
}

void tnd_http_stop(tnd_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    tnd__http_deadline_stop(h->deadline);
    free(h);
}
