/* rttfloor: the machine's own floor under the ping-pong (docs/BENCHMARKS.md).
 *
 * One round trip over loopback TCP with nothing on top: no TLS, no frames,
 * no RPC. A child process echoes what it reads, waiting in epoll_wait and
 * answering with one read and one write, as an event-loop server does; the
 * parent writes a message, waits in epoll_wait for the whole echo and times
 * it. No server, whatever its protocol, answers a lone call on this machine
 * faster than this, so `make bench` prints it beside the ping-pong: what a
 * server adds is its p50 minus this one.
 *
 *   rttfloor [--bytes N] [--duration S] [--warmup S] [--json]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: rttfloor [--bytes N] [--duration S] [--warmup S] [--json]\n"
               "\n"
               "Times round trips of N bytes (default 100) over loopback TCP between two\n"
               "processes that wait in epoll_wait, read and write, and nothing else: the\n"
               "floor under any server's ping-pong on this machine. S seconds measured\n"
               "(default 3) after the warm-up (default 1).\n");
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An epoll set watching fd for input. */
static int watch(int fd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    return ep;
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The child: echo until the parent closes. */
static void echo(int listener)
{
    int c = accept(listener, NULL, NULL);
    if (c < 0)
        _exit(1);
    nodelay(c);
    int ep = watch(c);
    if (ep < 0)
        _exit(1);
    static char buf[65536];
    for (;;) {
        struct epoll_event ev;
        if (epoll_wait(ep, &ev, 1, -1) < 1)
            continue;
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0)
            _exit(n == 0 ? 0 : 1);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(c, buf + off, (size_t)(n - off));
            if (w < 0)
                _exit(1);
            off += w;
        }
    }
}

/* One timed round trip: 0, or -1 when the echo failed. */
static int round_trip(int fd, int ep, const char *msg, char *buf, size_t bytes)
{
    if (write(fd, msg, bytes) != (ssize_t)bytes)
        return -1;
    for (size_t got = 0; got < bytes;) {
        struct epoll_event ev;
        if (epoll_wait(ep, &ev, 1, -1) < 1)
            continue;
        ssize_t n = read(fd, buf, bytes - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bytes", required_argument, NULL, 'b'},  {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    long bytes = 100, duration = 3, warmup = 1;
    int json = 0, opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        long *dst = opt == 'b' ? &bytes : opt == 'd' ? &duration : opt == 'w' ? &warmup : NULL;
        if (dst) {
            *dst = strtol(optarg, &end, 10);
            if (!end || *end || *dst < (opt == 'b' ? 1 : 0) || *dst > (opt == 'b' ? 65536 : 3600)) {
                fprintf(stderr, "rttfloor: --%s %s is out of range\n",
                        opt == 'b' ? "bytes" : opt == 'd' ? "duration" : "warmup", optarg);
                return 2;
            }
        } else if (opt == 'j') {
            json = 1;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || duration < 1) {
        usage(stderr);
        return 2;
    }

    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "rttfloor: cannot listen on 127.0.0.1: %s\n", strerror(errno));
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "rttfloor: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0)
        echo(l);
    close(l);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "rttfloor: cannot connect: %s\n", strerror(errno));
        kill(child, SIGKILL);
        return 1;
    }
    nodelay(fd);
    int ep = watch(fd);
    char *msg = calloc(1, (size_t)bytes), *buf = malloc((size_t)bytes);
    size_t cap = 1 << 20, n = 0;
    uint64_t *lat = malloc(cap * sizeof *lat);
    if (ep < 0 || !msg || !buf || !lat) {
        fprintf(stderr, "rttfloor: out of memory\n");
        kill(child, SIGKILL);
        return 1;
    }
    int failed = 0;
    uint64_t t = now_ns(), measure_from = t + (uint64_t)warmup * 1000000000u,
             end = measure_from + (uint64_t)duration * 1000000000u;
    while (t < end && !failed) {
        failed = round_trip(fd, ep, msg, buf, (size_t)bytes) != 0;
        uint64_t t2 = now_ns();
        if (t >= measure_from) {
            if (n == cap) {
                uint64_t *more = realloc(lat, 2 * cap * sizeof *lat);
                failed |= !more;
                if (more) {
                    lat = more;
                    cap *= 2;
                }
            }
            if (n < cap)
                lat[n++] = t2 - t;
        }
        t = t2;
    }
    close(fd);
    int status = 0;
    waitpid(child, &status, 0);
    if (failed || n == 0) {
        fprintf(stderr, "rttfloor: the echo failed after %zu round trips\n", n);
        return 1;
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
#define PCT(p) (lat[(size_t)((double)(n - 1) * (p))] / 1000.0)
    if (json)
        printf("{\"bytes\":%ld,\"round_trips\":%zu,\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,"
               "\"p99\":%.1f}}\n",
               bytes, n, PCT(0.5), PCT(0.9), PCT(0.99));
    else
        printf("loopback TCP round trip, %ld bytes each way, %zu round trips: p50 %.1f us, "
               "p90 %.1f us, p99 %.1f us\n",
               bytes, n, PCT(0.5), PCT(0.9), PCT(0.99));
    free(lat);
    free(msg);
    free(buf);
    return 0;
}
