/* End-to-end tests of tenderctl award: a tender opened through tenderctl
 * (committee keys, two sealed bids, open by 2 of 3), then award refusals
 * (another organisation, not the lowest price, weighted without weights, a
 * disqualified winner), an award, its cancellation, a second award that
 * the real tenderd (--standstill 2) completes, and award show, against the
 * real $BUILD/bin/tenderd running as a child process. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tender/pki.h"
#include "testsrv.h"

#define MAX_OUT (1 << 20)

static char dir[256], pki[300], ctl_bin[300], srv_bin[300], vkey[400];
static int port;
static pid_t srv_pid;

/* The result of the last tenderctl run. */
static struct {
    int code;
    char out[MAX_OUT];
    char err[65536];
} R;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) != 0)
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

static void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Read a whole file into buf (NUL-terminated); returns its length or -1. */
static long read_file(const char *p, char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

/* Run tenderctl as who ("officer", "supplier", or NULL: anonymous) with the
 * NULL-terminated arguments, in folder cwd (NULL: the test folder). */
static int vrun(const char *who, const char *cwd, va_list ap)
{
    char server[64], ca[320], cert[320], key[320], out[300], err[300];
    const char *argv[64];
    int n = 0;
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    argv[n++] = ctl_bin;
    argv[n++] = "--server";
    argv[n++] = server;
    argv[n++] = "--ca";
    argv[n++] = ca;
    if (who) {
        snprintf(cert, sizeof cert, "%s/%s.crt", pki, who);
        snprintf(key, sizeof key, "%s/%s.key", pki, who);
        argv[n++] = "--cert";
        argv[n++] = cert;
        argv[n++] = "--key";
        argv[n++] = key;
    }
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 63;)
        argv[n++] = a;
    argv[n] = NULL;
    path(out, sizeof out, "ctl.out");
    path(err, sizeof err, "ctl.err");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsetenv("TENDER_SERVER");
        unsetenv("TENDER_CA");
        unsetenv("TENDER_CERT");
        unsetenv("TENDER_KEY");
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd ? cwd : dir) != 0)
            _exit(126);
        execv(ctl_bin, (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    R.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (read_file(out, R.out, sizeof R.out) < 0)
        R.out[0] = '\0';
    if (read_file(err, R.err, sizeof R.err) < 0)
        R.err[0] = '\0';
    return R.code;
}

static int ctl(const char *who, ...)
{
    va_list ap;
    va_start(ap, who);
    int rc = vrun(who, NULL, ap);
    va_end(ap);
    return rc;
}

/* Assert the last run ended with code; show its output when it did not. */
#define EXPECT(want)                                                                               \
    do {                                                                                           \
        if (R.code != (want))                                                                      \
            fail_msg("tenderctl exit %d, expected %d\nstdout: %s\nstderr: %s", R.code, (want),     \
                     R.out, R.err);                                                                \
    } while (0)

#define HAS(text, needle)                                                                          \
    do {                                                                                           \
        if (!strstr((text), (needle)))                                                             \
            fail_msg("expected \"%s\" in:\n%s", (needle), (text));                                 \
    } while (0)

#define HAS_NOT(text, needle)                                                                      \
    do {                                                                                           \
        if (strstr((text), (needle)))                                                              \
            fail_msg("did not expect \"%s\" in:\n%s", (needle), (text));                           \
    } while (0)

/* Does text parse as JSON? (python3's json module is the judge.) */
static bool json_ok(const char *text)
{
    char p[300], cmd[700];
    path(p, sizeof p, "check.json");
    write_file(p, text, strlen(text));
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; json.load(sys.stdin)' < '%s'", p);
    return system(cmd) == 0;
}

/* The first line of the last stdout. */
static const char *first_line(char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)strcspn(R.out, "\n"), R.out);
    return buf;
}

/* ---- the server ---- */

static int wait_listening(void)
{
    for (int i = 0; i < 600; i++) {
        int status;
        if (waitpid(srv_pid, &status, WNOHANG) == srv_pid)
            return -1;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        usleep(20000);
    }
    return -1;
}

/* `tenderd --db DB --print-log-key` into out (its one line, no newline). */
static int print_log_key(const char *db, char *out, size_t len)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' --print-log-key 2>/dev/null", srv_bin, db);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(out, (int)len, p))
        out[0] = '\0';
    int rc = pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return rc == 0 && out[0] ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    char err[512], db[300], listen[64], cert[400], key[400], ca[400], log[300];
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    snprintf(ctl_bin, sizeof ctl_bin, "%s/bin/tenderctl", build);
    snprintf(srv_bin, sizeof srv_bin, "%s/bin/tenderd", build);
    if (build[0] != '/') { /* children run in other folders */
        char cwd[200];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        snprintf(ctl_bin, sizeof ctl_bin, "%s/%s/bin/tenderctl", cwd, build);
        snprintf(srv_bin, sizeof srv_bin, "%s/%s/bin/tenderd", cwd, build);
    }
    snprintf(dir, sizeof dir, "/tmp/tnd_awards_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    path(pki, sizeof pki, "pki");
    if (tnd_pki_init(pki, err, sizeof err) != 0) {
        fprintf(stderr, "pki: %s\n", err);
        return -1;
    }
    path(db, sizeof db, "db");
    /* Before the server starts: this creates the log key in its --db. */
    if (print_log_key(db, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    port = free_port();
    path(log, sizeof log, "tenderd.log");
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    fflush(NULL);
    srv_pid = fork();
    if (srv_pid < 0)
        return -1;
    if (srv_pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execl(srv_bin, srv_bin, "--listen", listen, "--cert", cert, "--key", key, "--ca", ca,
              "--db", db, "--min-tender-period", "0", "--min-amend-period", "0", "--standstill",
              "2", "--log-level", "warn", (char *)NULL);
        _exit(127);
    }
    return wait_listening();
}

static int teardown(void **state)
{
    (void)state;
    if (srv_pid > 0) {
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
    }
    test_rmtree(dir);
    return 0;
}

/* RFC 3339 UTC text of a time. */
static const char *at(char *buf, size_t len, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void sleep_until(time_t t)
{
    while (time(NULL) < t)
        usleep(50000);
    usleep(300000); /* the server's timers are not ours to the millisecond */
}

/* keys gen NAME into the test's keys folder; the public key into pub. */
static void keys_gen(const char *name, char *pub, size_t len)
{
    char keys[300];
    path(keys, sizeof keys, "keys");
    ctl(NULL, "keys", "gen", name, "--dir", keys, NULL);
    EXPECT(0);
    first_line(pub, len);
}

static const char *key_file(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/keys/%s.key", dir, name);
    return buf;
}

/* bid submit as who into its bid folder; the new bid's id into id. */
static void submit(const char *who, const char *tender, const char *price, char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency", "KRW",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    HAS_NOT(R.err, "warning");
    first_line(id, len);
    assert_true(strncmp(id, "B-", 2) == 0 && strlen(id) == 34);
}

static void test_award_flow(void **state)
{
    (void)state;
    char pub[3][64], committee[300], text[1024], id[64], dl[32], op[32], b1[64], b2[64], kf[400],
        arg[200];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        keys_gen(members[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL), deadline = t0 + 4, opening = t0 + 5;
    ctl("officer", "tender", "create", "--title", "Awarded road works", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    submit("supplier", id, "100000", b1, sizeof b1);
    submit("supplier2", id, "150000", b2, sizeof b2);

    /* No award before the opening. */
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "early", NULL);
    EXPECT(10 + 5); /* NOT_FOUND: no opening record yet */
    sleep_until(opening);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");

    /* Refusals. */
    ctl("officer2", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale", "r",
        NULL);
    EXPECT(10 + 7);
    HAS(R.err, "only its officers");
    ctl("officer", "award", id, "--winner", b2, "--criterion", "lowest-price", "--rationale", "r",
        NULL);
    EXPECT(10 + 9);
    HAS(R.err, "not the lowest valid price");
    ctl("officer", "award", id, "--winner", b1, "--criterion", "weighted", "--score",
        (snprintf(arg, sizeof arg, "%s:80", b1), arg), "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "publishes no award weights");
    snprintf(arg, sizeof arg, "%s:missing guarantee", b1);
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--disqualify", arg,
        "--rationale", "r", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "disqualified in this decision");
    ctl("officer", "award", id, "--winner", b1, "--criterion", "cheapest", "--rationale", "r",
        NULL);
    EXPECT(2);
    ctl("officer", "award", "unsuccessful", id, "--rationale", "none valid", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "cannot be unsuccessful");

    /* The award, shown to everyone, then cancelled. */
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "lowest valid price", NULL);
    EXPECT(0);
    HAS(R.out, "standstill until");
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    snprintf(text, sizeof text, "winner %s (criterion lowest_price)", b1);
    HAS(R.out, text);
    HAS(R.out, ": standstill");
    HAS(R.out, "100000 KRW");
    ctl(NULL, "--json", "award", "show", id, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"signature\":\"");
    HAS(R.out, "\"officer_key\":\"");
    ctl("officer", "award", "cancel", id, NULL);
    EXPECT(2);
    ctl("officer", "award", "cancel", id, "--reason", "complaint upheld", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled: complaint upheld");

    /* Again; after the standstill (2 s here) the tender is complete. */
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "lowest valid price, after review", NULL);
    EXPECT(0);
    sleep_until(time(NULL) + 3);
    ctl(NULL, "award", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, ": final");
    HAS(R.out, "-A2 ");
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"status\":\"COMPLETE\"");
    ctl("officer", "award", "cancel", id, "--reason", "too late", NULL);
    EXPECT(10 + 9);
}

static void test_award_usage(void **state)
{
    (void)state;
    ctl(NULL, "award", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--disqualify BID:REASON");
    ctl(NULL, "award", "show", "--help", NULL);
    EXPECT(0);
    ctl("officer", "award", "T-2026-000001", "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--winner");
    ctl(NULL, "award", "T-2026-000001", "--winner", "B-1", "--criterion", "lowest-price",
        "--rationale", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--cert");
    ctl(NULL, "award", "show", "T-2026-999999", NULL);
    EXPECT(10 + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_award_flow),
        cmocka_unit_test(test_award_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
