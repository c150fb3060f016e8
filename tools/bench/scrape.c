/* tenderd's /metrics over a plain socket (scrape.h). */
#include "scrape.h"

#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (16u << 20)

/* The whole answer to GET /metrics (HTTP/1.0: the server closes), NUL-ended. */
static char *fetch(const char *hostport, char *err, size_t err_len)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, err_len, "%s: expected HOST:PORT", hostport);
        return NULL;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(host, colon + 1, &hints, &ai);
    if (gai != 0) {
        snprintf(err, err_len, "%s: %s", hostport, gai_strerror(gai));
        return NULL;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        snprintf(err, err_len, "cannot connect to %s for /metrics", hostport);
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return NULL;
    }
    freeaddrinfo(ai);
    char req[300];
    int rl = snprintf(req, sizeof req, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", hostport);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (write(fd, req, (size_t)rl) != rl) {
        snprintf(err, err_len, "cannot send the /metrics request to %s", hostport);
        goto fail;
    }
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            char *p = cap <= MAX_BODY ? realloc(buf, cap + 1) : NULL;
            if (!p) {
                snprintf(err, err_len, "/metrics of %s is too large", hostport);
                goto fail;
            }
            buf = p;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            snprintf(err, err_len, "reading /metrics from %s failed", hostport);
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!buf || len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 9, "200", 3) != 0) {
        snprintf(err, err_len, "%s did not answer /metrics with 200", hostport);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
fail:
    close(fd);
    free(buf);
    return NULL;
}

int bench_scrape_calls(const char *hostport, const char *method, bench_scrape *out, char *err,
                       size_t err_len)
{
    memset(out, 0, sizeof *out);
    char *text = fetch(hostport, err, err_len);
    if (!text)
        return -1;
    char bucket[512], sum[512], count[512];
    snprintf(bucket, sizeof bucket, "tenderd_call_duration_seconds_bucket{method=\"%s\",le=\"",
             method);
    snprintf(sum, sizeof sum, "tenderd_call_duration_seconds_sum{method=\"%s\"} ", method);
    snprintf(count, sizeof count, "tenderd_call_duration_seconds_count{method=\"%s\"} ", method);
    size_t bl = strlen(bucket), sl = strlen(sum), cl = strlen(count);
    int rc = 0;
    for (char *line = text; *line && rc == 0;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, bucket, bl) == 0) {
            const char *le = line + bl;
            double bound = strncmp(le, "+Inf\"", 5) == 0 ? INFINITY : strtod(le, NULL);
            const char *close = strstr(le, "\"} ");
            if (!close || out->n == BENCH_SCRAPE_MAX) {
                snprintf(err, err_len, "unexpected /metrics line: %.200s", line);
                rc = -1;
            } else {
                out->le[out->n] = bound;
                out->cum[out->n++] = strtoull(close + 3, NULL, 10);
            }
        } else if (strncmp(line, sum, sl) == 0) {
            out->sum_s = strtod(line + sl, NULL);
        } else if (strncmp(line, count, cl) == 0) {
            out->count = strtoull(line + cl, NULL, 10);
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    free(text);
    return rc;
}

int bench_scrape_diff(const bench_scrape *after, const bench_scrape *before, bench_scrape *out)
{
    *out = *after;
    if (before->n == 0)
        return 0;
    if (before->n != after->n)
        return -1;
    for (size_t i = 0; i < after->n; i++) {
        if (before->le[i] != after->le[i] || before->cum[i] > after->cum[i])
            return -1;
        out->cum[i] = after->cum[i] - before->cum[i];
    }
    out->sum_s = after->sum_s - before->sum_s;
    out->count = after->count - before->count;
    return 0;
}

double bench_scrape_bound(const bench_scrape *d, double pct)
{
    if (d->n == 0 || d->count == 0)
        return 0;
    for (size_t i = 0; i < d->n; i++)
        if ((double)d->cum[i] * 100.0 >= pct * (double)d->count)
            return d->le[i];
    return INFINITY;
}

double bench_scrape_share(const bench_scrape *d, double le)
{
    if (d->count == 0)
        return -1;
    for (size_t i = 0; i < d->n; i++)
        if (d->le[i] > le - 1e-12 && d->le[i] < le + 1e-12)
            return (double)d->cum[i] / (double)d->count;
    return -1;
}
