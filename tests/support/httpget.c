/* Test support: plain HTTP/1.1 requests (httpget.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpget.h"

int http_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Send req (len bytes), read the answer until the server closes. */
void http_raw(int port, const char *req, size_t len, hresp *r)
{
    int fd = http_connect(port);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may refuse before reading it all */
        off += (size_t)n;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (got == cap) {
            cap *= 2;
            assert_true(cap <= (64u << 20));
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    memset(r, 0, sizeof *r);
    char *end = got ? memmem(buf, got, "\r\n\r\n", 4) : NULL;
    if (!end)
        fail_msg("no HTTP answer (%zu bytes) to %.60s", got, req); /* buf leaks: the test ends */
    size_t hl = (size_t)(end - buf) + 4;
    assert_true(hl < sizeof r->head);
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    assert_int_equal(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
    r->len = got - hl;
    r->body = malloc(r->len + 1);
    assert_non_null(r->body);
    memcpy(r->body, buf + hl, r->len);
    r->body[r->len] = '\0';
    free(buf);
}

void http_req(int port, const char *method, const char *path_, const char *headers, hresp *r)
{
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method,
                     path_, headers ? headers : "");
    assert_true(n > 0 && (size_t)n < sizeof req);
    http_raw(port, req, (size_t)n, r);
}

/* A header's value (case-insensitive name) into buf; NULL when absent. */
const char *http_header(const hresp *r, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(buf, len, "%.*s", (int)(e - v), v);
            return buf;
        }
    }
    return NULL;
}

void http_free(hresp *r)
{
    free(r->body);
    r->body = NULL;
}
