/* httpbench: a closed-loop load generator for tenderd's public HTTP listener
 * (--http; docs/BENCHMARKS.md).
 *
 * N keep-alive HTTP/1.1 connections over plain sockets, driven by poll() in
 * one thread, each sending one GET at a time (no pipelining): when an answer
 * is complete the connection sends the next request at once. Each connection
 * first makes --warmup requests, then --requests more; answers are counted
 * from the moment every connection is past its warm-up. A path is --path with "{W}" (W a digit: the
 * zero-padded width) replaced by a random number from --range FIRST:COUNT, so one run reads many
 * tenders or tiles, e.g. --path '/log/tile/0/{3}' --range 0:390.
 *
 * Latency is from the first byte of a request written to the last byte of
 * its answer read, in tools/bench/hist.c's histogram. An answer that is not
 * 200 counts as an error by its status; a connection the server closes is
 * reopened (counted as reconnects). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "proc.h"

#define BUF_CAP (256 * 1024) /* an answer's head and body; tiles are 8 KiB, tenders a few */

typedef struct conn {
    int fd;
    char req[1024];
    size_t req_len, req_off;
    char *buf;
    size_t got;
    long done; /* requests answered on this connection, warm-up included */
    uint64_t started;
} conn;

typedef struct opts {
    const char *host, *path;
    int port;
    long connections, requests, warmup, first, count, server_pid;
    bool json;
} opts;

static opts o = {.connections = 1, .requests = 1000, .warmup = 100, .count = 1};
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static bench_hist hist;
static uint64_t ok, bytes, reconnects, bad_status[6]; /* by the status's hundreds */
static long measuring;                                /* connections past their warm-up */
static bool window; /* every connection past its warm-up: answers count */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t next_rand(void)
{
    rng ^= rng << 13; /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void die(const char *what)
{
    fprintf(stderr, "httpbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int open_conn(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
    if (inet_pton(AF_INET, o.host, &a.sin_addr) != 1) {
        fprintf(stderr, "httpbench: not an IPv4 address: %s\n", o.host);
        exit(2);
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* The next request of c: the path with its "{W}" filled in. */
static void next_request(conn *c)
{
    char path[512];
    const char *brace = strchr(o.path, '{');
    if (brace && brace[1] >= '1' && brace[1] <= '9' && brace[2] == '}') {
        long n = o.first + (long)(next_rand() % (uint64_t)o.count);
        snprintf(path, sizeof path, "%.*s%0*ld%s", (int)(brace - o.path), o.path, brace[1] - '0', n,
                 brace + 3);
    } else {
        snprintf(path, sizeof path, "%s", o.path);
    }
    int n = snprintf(c->req, sizeof c->req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, o.host);
    c->req_len = (size_t)n;
    c->req_off = 0;
    c->got = 0;
    c->started = now_ns();
}

/* Is a whole answer in c->buf? Its length into *len, its status into *status. */
static bool answer_complete(conn *c, size_t *len, int *status)
{
    char *end = c->got >= 4 ? memmem(c->buf, c->got, "\r\n\r\n", 4) : NULL;
    if (!end)
        return false;
    size_t head = (size_t)(end - c->buf) + 4;
    if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1) {
        fprintf(stderr, "httpbench: not an HTTP answer: %.40s\n", c->buf);
        exit(1);
    }
    size_t body = 0;
    for (char *p = c->buf; p < end; p++) {
        if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
            body = strtoul(p + 15, NULL, 10);
            break;
        }
    }
    if (head + body > BUF_CAP) {
        fprintf(stderr, "httpbench: an answer of %zu bytes is beyond %d\n", head + body, BUF_CAP);
        exit(1);
    }
    *len = head + body;
    return c->got >= *len;
}

static void finish(conn *c, size_t len, int status)
{
    uint64_t t = now_ns();
    c->done++;
    if (window) {
        if (status == 200) {
            ok++;
            bytes += len;
            bench_hist_record(&hist, t - c->started);
        } else {
            bad_status[status / 100 < 6 ? status / 100 : 0]++;
        }
    }
    if (c->done == o.warmup)
        measuring++;
    /* An answer may be followed by nothing else: one request at a time. */
    c->got = 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: httpbench --server HOST:PORT --path PATH [--range FIRST:COUNT]\n"
               "                 [--connections N] [--requests M] [--warmup K]\n"
               "                 [--server-pid PID] [--json]\n"
               "N keep-alive connections (default 1), each making K uncounted (default 100)\n"
               "then M counted GETs (default 1000), one at a time. \"{W}\" in PATH (W a digit)\n"
               "is a random number from FIRST to FIRST+COUNT-1, zero-padded to W digits.\n");
}

static long number(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0) {
        fprintf(stderr, "httpbench: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv)
{
    static const struct option lo[] = {{"server", required_argument, NULL, 's'},
                                       {"path", required_argument, NULL, 'p'},
                                       {"range", required_argument, NULL, 'r'},
                                       {"connections", required_argument, NULL, 'c'},
                                       {"requests", required_argument, NULL, 'n'},
                                       {"warmup", required_argument, NULL, 'w'},
                                       {"server-pid", required_argument, NULL, 'P'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    static char host[64];
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's': {
            const char *colon = strrchr(optarg, ':');
            if (!colon || (size_t)(colon - optarg) >= sizeof host) {
                fprintf(stderr, "httpbench: --server HOST:PORT\n");
                exit(2);
            }
            snprintf(host, sizeof host, "%.*s", (int)(colon - optarg), optarg);
            o.host = host;
            o.port = (int)number(colon + 1);
            break;
        }
        case 'p':
            o.path = optarg;
            break;
        case 'r': {
            char *colon = strchr(optarg, ':');
            if (!colon) {
                fprintf(stderr, "httpbench: --range FIRST:COUNT\n");
                exit(2);
            }
            *colon = '\0';
            o.first = number(optarg);
            o.count = number(colon + 1);
            break;
        }
        case 'c':
            o.connections = number(optarg);
            break;
        case 'n':
            o.requests = number(optarg);
            break;
        case 'w':
            o.warmup = number(optarg);
            break;
        case 'P':
            o.server_pid = number(optarg);
            break;
        case 'j':
            o.json = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(2);
        }
    }
    if (!o.host || !o.path || o.path[0] != '/' || optind != argc || o.connections < 1 ||
        o.requests < 1 || o.count < 1 || o.port < 1 || o.port > 65535) {
        usage(stderr);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    bench_hist_init(&hist);
    conn *cs = calloc((size_t)o.connections, sizeof *cs);
    struct pollfd *pfd = calloc((size_t)o.connections, sizeof *pfd);
    if (!cs || !pfd)
        die("calloc");
    for (long i = 0; i < o.connections; i++) {
        cs[i].buf = malloc(BUF_CAP);
        if (!cs[i].buf)
            die("malloc");
        cs[i].fd = open_conn();
        next_request(&cs[i]);
    }
    if (o.warmup == 0)
        measuring = o.connections;
    long total = o.warmup + o.requests, active = o.connections;
    uint64_t t0 = 0, t1 = 0;
    double cpu0 = 0, cpu1 = 0;
    bool cpu_ok = o.server_pid > 0;
    while (active > 0) {
        /* The window opens when every connection is past its warm-up. */
        if (!t0 && measuring == o.connections) {
            t0 = now_ns();
            window = true;
            if (cpu_ok && bench_proc_cpu_seconds((pid_t)o.server_pid, &cpu0) != 0)
                cpu_ok = false;
        }
        for (long i = 0; i < o.connections; i++) {
            conn *c = &cs[i];
            pfd[i].fd = c->done < total ? c->fd : -1;
            pfd[i].events = c->req_off < c->req_len ? POLLOUT : POLLIN;
        }
        if (poll(pfd, (nfds_t)o.connections, 10000) <= 0) {
            fprintf(stderr, "httpbench: no answer for 10 s\n");
            return 1;
        }
        for (long i = 0; i < o.connections; i++) {
            conn *c = &cs[i];
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            if (c->req_off < c->req_len) {
                ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
                if (n > 0) {
                    c->req_off += (size_t)n;
                    continue;
                }
            } else {
                ssize_t n = recv(c->fd, c->buf + c->got, BUF_CAP - c->got, 0);
                if (n > 0) {
                    c->got += (size_t)n;
                    size_t len;
                    int status;
                    if (answer_complete(c, &len, &status)) {
                        finish(c, len, status);
                        if (c->done == total) {
                            active--;
                            close(c->fd);
                        } else {
                            next_request(c);
                        }
                    }
                    continue;
                }
            }
            /* Closed by the server (or a reset): reopen and ask again. */
            close(c->fd);
            c->fd = open_conn();
            reconnects++;
            next_request(c);
        }
    }
    t1 = now_ns();
    if (cpu_ok && bench_proc_cpu_seconds((pid_t)o.server_pid, &cpu1) != 0)
        cpu_ok = false;
    double secs = (double)(t1 - t0) / 1e9, rate = secs > 0 ? (double)ok / secs : 0;
    uint64_t errors = 0;
    for (int i = 0; i < 6; i++)
        errors += bad_status[i];
    double p[5] = {bench_hist_percentile(&hist, 50) / 1e3, bench_hist_percentile(&hist, 90) / 1e3,
                   bench_hist_percentile(&hist, 99) / 1e3, bench_hist_percentile(&hist, 99.9) / 1e3,
                   hist.max / 1e3};
    if (o.json) {
        printf("{\"path\":\"%s\",\"range\":[%ld,%ld],\"connections\":%ld,\"requests\":%ld,"
               "\"warmup\":%ld,\"duration_s\":%.3f,\"calls\":%llu,\"calls_per_s\":%.1f,"
               "\"answer_bytes\":%.0f,\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
               "\"p99_9\":%.1f,\"max\":%.1f,\"mean\":%.1f},\"errors\":%llu,"
               "\"errors_4xx\":%llu,\"errors_5xx\":%llu,\"reconnects\":%llu",
               o.path, o.first, o.count, o.connections, o.requests, o.warmup, secs,
               (unsigned long long)ok, rate, ok ? (double)bytes / (double)ok : 0, p[0], p[1], p[2],
               p[3], p[4], bench_hist_mean(&hist) / 1e3, (unsigned long long)errors,
               (unsigned long long)bad_status[4], (unsigned long long)bad_status[5],
               (unsigned long long)reconnects);
        if (cpu_ok && ok)
            printf(",\"server_cpu_s\":%.3f,\"server_cpu_s_per_1000_calls\":%.4f", cpu1 - cpu0,
                   (cpu1 - cpu0) * 1000.0 / (double)ok);
        printf("}\n");
    } else {
        printf("%s: %ld x %ld, %.2f s: %llu answers, %.0f/s; p50 %.0f us p99 %.0f us max %.0f us; "
               "errors %llu, reconnects %llu\n",
               o.path, o.connections, o.requests, secs, (unsigned long long)ok, rate, p[0], p[2],
               p[4], (unsigned long long)errors, (unsigned long long)reconnects);
    }
    for (long i = 0; i < o.connections; i++)
        free(cs[i].buf);
    free(cs);
    free(pfd);
    return errors ? 1 : 0;
}
