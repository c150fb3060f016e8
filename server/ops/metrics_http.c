/* GET /metrics with libmicrohttpd (see metrics_http.h). We bind the socket
 * ourselves so that a failure names its cause, then hand it to MHD, which
 * runs one internal thread and closes the socket when stopped. */
#include "metrics_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "tender/error.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A scraper needs one or two connections; more are refused by MHD. */
#define MAX_CLIENTS 16
#define CLIENT_TIMEOUT_S 10

struct tnd_metrics_http {
    struct MHD_Daemon *daemon;
    int port;
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned code, const char *text,
                                 const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return rc;
}

/* MHD's thread: one request. Answers at once; a request body (which GET
 * has none of) is never read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    tnd_metrics *m = cls;
    if (strcmp(url, "/metrics") != 0)
        return send_text(conn, MHD_HTTP_NOT_FOUND, "not found: metrics are at /metrics\n", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
                         "GET, HEAD");
    char *body;
    size_t len;
    if (tnd_metrics_render(m, &body, &len) != 0)
        return send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

int tnd_metrics_http_start(tnd_metrics *m, const struct sockaddr *addr, const char *spec,
                           tnd_metrics_http **out, char *err, size_t err_len)
{
    *out = NULL;
    tnd_metrics_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_len, "out of memory starting the metrics listener");
        return TND_ENOMEM;
    }
    int fd;
    if (tnd_listen_tcp(addr, 64, spec, "metrics", &fd, &h->port, err, err_len) != 0) {
        free(h);
        return TND_EIO;
    }
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | (addr->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        (uint16_t)h->port, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CLIENTS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CLIENT_TIMEOUT_S, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        free(h);
        snprintf(err, err_len, "cannot start the metrics listener on %s", spec);
        return TND_EIO;
    }
    *out = h;
    return 0;
}

int tnd_metrics_http_port(const tnd_metrics_http *h)
{
    return h ? h->port : -1;
}

void tnd_metrics_http_stop(tnd_metrics_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
