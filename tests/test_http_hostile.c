/* Hostile clients of tenderd --http, against the real $BUILD/bin/tenderd on
 * free loopback ports (tests/support/ctlrun.c): 2,000 connections opened and
 * left idle are refused past the documented limit of 64 per address, the
 * ones held cost bounded memory and are closed after the timeout, and a
 * request dribbled one byte a second is cut off by the same timeout, while
 * the RPC keeps answering. (Huge URLs and headers, half-sent requests and
 * path traversal are in test_http.) The server runs with --http-timeout 20s
 * (30 s by default), so the test takes about 25 s. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"
#include "scrape.h"

/* docs/OPERATIONS.md, Public HTTP: the limits this test holds tenderd to. */
#define PER_ADDRESS 64
#define TIMEOUT_S 20
/* The most tenderd may grow while a full address's worth of connections sits
 * idle (OPERATIONS.md): 64 request buffers of 32 KiB are 2 MiB. */
#define IDLE_GROWTH_KIB (8 * 1024)

#define FLOOD 2000

static int http_port;

static int setup(void **state)
{
    (void)state;
    char spec[64];
    if (ctlrun_init("/tmp/tnd_http_hostile_XXXXXX", NULL) != 0)
        return -1;
    http_port = scrape_free_port();
    snprintf(spec, sizeof spec, "127.0.0.1:%d", http_port);
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%ds", TIMEOUT_S);
    const char *const extra[] = {"--http", spec, "--http-timeout", timeout, NULL};
    return http_port > 0 ? ctlrun_start_server(extra) : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long server_rss_kib(void)
{
    char p[64], text[8192];
    snprintf(p, sizeof p, "/proc/%d/status", (int)ctl_srv_pid);
    assert_true(read_file(p, text, sizeof text) > 0);
    const char *l = strstr(text, "VmRSS:");
    assert_non_null(l);
    return strtol(l + 6, NULL, 10);
}

/* A connection to the HTTP port, non-blocking once connected; -1 when the
 * connect itself fails. */
static int connect_http(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Has the server closed fd (EOF or reset)? Reads and drops any answer. */
static bool closed_by_server(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return true;
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
}

/* Of fds[0..n), close those the server closed (set to -1); how many remain. */
static int sweep(int *fds, int n)
{
    int open = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        if (closed_by_server(fds[i])) {
            close(fds[i]);
            fds[i] = -1;
        } else {
            open++;
        }
    }
    return open;
}

static void rpc_serves(void)
{
    ctl(NULL, "--timeout", "5", "health", NULL);
    EXPECT(0);
    HAS(R.out, "SERVING");
}

/* One GET on a fresh connection: its status line's code. */
static int get_status(const char *path_)
{
    int fd = connect_http();
    assert_true(fd >= 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    char req[256], buf[512];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path_);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
    close(fd);
    int status = 0;
    if (got > 0) {
        buf[got] = '\0';
        sscanf(buf, "HTTP/1.%*d %d", &status);
    }
    return status;
}

static void test_idle_flood_and_slow_client(void **state)
{
    (void)state;
    /* Each connection is a descriptor here: raise the soft limit. */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < FLOOD + 200) {
        rl.rlim_cur =
            rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= FLOOD + 200 ? FLOOD + 200 : rl.rlim_max;
        if (rl.rlim_cur < FLOOD + 200 || setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            print_message("SKIP: the open-file limit (hard %llu) is below the %d needed\n",
                          (unsigned long long)rl.rlim_max, FLOOD + 200);
            skip();
        }
    }
    assert_int_equal(get_status("/api/v1/tenders"), 200);
    long rss0 = server_rss_kib();

    /* A slow client: one byte a second of a request that never ends. */
    static const char slow[] = "GET /api/v1/tenders HTTP/1.1\r\nHost: x\r\nX-Slow: "
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    int drip = connect_http();
    assert_true(drip >= 0);
    double t0 = now_s();
    size_t sent = 0;
    assert_int_equal(send(drip, slow, 1, MSG_NOSIGNAL), 1);
    sent = 1;

    /* The flood: past the limit per address each is accepted and closed. */
    int *fds = malloc(FLOOD * sizeof *fds);
    assert_non_null(fds);
    int failed = 0;
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = connect_http();
        failed += fds[i] < 0;
    }
    double flooded = now_s();
    usleep(500 * 1000);
    int held = sweep(fds, FLOOD);
    print_message("%d connections opened (%d failed to connect), %d held by the server, after "
                  "%.1f s\n",
                  FLOOD, failed, held, now_s() - t0);
    assert_true(held <= PER_ADDRESS - 1); /* the slow client holds one */
    assert_true(held > 0);

    /* Bounded memory, and the RPC serves. */
    long rss1 = server_rss_kib();
    print_message("tenderd RSS %ld KiB -> %ld KiB with %d idle HTTP connections\n", rss0, rss1,
                  held);
    if (rss1 - rss0 > IDLE_GROWTH_KIB)
        fail_msg("tenderd grew by %ld KiB (bound %d KiB)", rss1 - rss0, IDLE_GROWTH_KIB);
    rpc_serves();

    /* The slow client drips on; the timeout cuts it off, and the idle ones. */
    double cut = 0;
    while (now_s() - t0 < TIMEOUT_S + 15) {
        usleep(1000 * 1000);
        if (closed_by_server(drip) ||
            (sent < sizeof slow - 1 && send(drip, slow + sent, 1, MSG_NOSIGNAL) != 1)) {
            cut = now_s() - t0;
            break;
        }
        sent++;
    }
    close(drip);
    if (cut == 0)
        fail_msg("a request dribbled one byte a second (%zu bytes) was still open after %.0f s",
                 sent, now_s() - t0);
    print_message("the slow client was cut off after %.1f s and %zu bytes\n", cut, sent);
    assert_true(cut >= TIMEOUT_S - 2);
    while (now_s() < flooded + TIMEOUT_S + 2)
        usleep(100 * 1000);
    int left = sweep(fds, FLOOD);
    for (int i = 0; i < FLOOD; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    assert_int_equal(left, 0); /* idle past the timeout: closed */

    /* The slots are free again, and the RPC still serves. */
    assert_int_equal(get_status("/api/v1/tenders"), 200);
    rpc_serves();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_flood_and_slow_client),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
