/* End-to-end test of tenderctl export ocds: a tender's whole public life
 * (a committee from keys gen, publish, amend, a question answered, two
 * sealed bids, the deadline, the opening by two members) against the real
 * $BUILD/bin/tenderd on a free loopback port, then the OCDS 1.1.5 release
 * package validated by tests/ocds_validate.py with Debian's /usr/bin/python3
 * (python3-jsonschema): the package schema, each release against the release
 * schema with the bids extension merged in, no bids before the opening and
 * the opened bids' values. The helpers come from test_ctl_bids.c. */
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

static char dir[256], pki[300], ctl_bin[300], srv_bin[300], vkey[400], repo[256];
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
        if (strstr(R.err, "Sanitizer"))                                                            \
            fail_msg("tenderctl under a sanitizer:\n%s", R.err);                                   \
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
    /* Tests run from the repository root: the validator is tests/ocds_validate.py. */
    if (!getcwd(repo, sizeof repo) || access("tests/ocds_validate.py", R_OK) != 0 ||
        access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    snprintf(dir, sizeof dir, "/tmp/tnd_ocds_XXXXXX");
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
              "--db", db, "--min-tender-period", "0", "--min-amend-period", "0", "--log-level",
              "warn", (char *)NULL);
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
    if (!getenv("OCDS_KEEP"))
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
    assert_int_equal(strlen(pub), 44);
}

static const char *key_file(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/keys/%s.key", dir, name);
    return buf;
}

/* tests/ocds_validate.py on package file f with more arguments; fails the
 * test with the validator's messages unless it exits 0. */
static void validate(const char *f, const char *args)
{
    char cmd[3000], log[300], text[65536];
    path(log, sizeof log, "validate.log");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/ocds_validate.py' '%s' %s >'%s' 2>&1",
             repo, f, args, log);
    int rc = system(cmd);
    if (read_file(log, text, sizeof text) < 0)
        text[0] = '\0';
    if (rc != 0)
        fail_msg("ocds_validate.py %s %s: status %d\n%s", f, args, rc, text);
    HAS(text, "releases valid");
}

/* submit as who (its bid folder: dir/who); the bid id into id. */
static void submit(const char *who, const char *tender, const char *price, char *id, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", tender, "--price", price, "--currency", "EUR",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "B-", 2) == 0);
}

static void test_life_cycle(void **state)
{
    (void)state;
    char pub[2][64], committee[300], text[1024], id[64], q[64], dl[32], eq[32], op[32], doc[300],
        out[300], args[600], kf[400], b1[64], b2[64], ocid[128];
    keys_gen("officer", pub[0], sizeof pub[0]);
    keys_gen("admin", pub[1], sizeof pub[1]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    path(doc, sizeof doc, "spec.pdf");
    write_file(doc, "%PDF-1.4 specification\n", 24);

    /* Questions for 8 s, bids for 10 s, opened from 11 s on by both. */
    time_t t0 = time(NULL), enquiry = t0 + 8, deadline = t0 + 10, opening = t0 + 11;
    ctl("officer", "tender", "create", "--title", "Bridge repair", "--description",
        "Repair of the old bridge", "--budget", "1234567.89", "--currency", "EUR", "--deadline",
        at(dl, sizeof dl, deadline), "--opening", at(op, sizeof op, opening), "--enquiry-deadline",
        at(eq, sizeof eq, enquiry), "--cpv", "45221111-3", "--method", "open", "--category",
        "works", "--committee", committee, "--threshold", "2", "--doc", doc, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    snprintf(ocid, sizeof ocid, "\"ocid\": \"ocds-tndrd-%s\"", id);
    /* A draft is never exported, not even to its buyer's officer. */
    ctl("officer", "export", "ocds", NULL);
    EXPECT(1);
    HAS(R.err, "no release");
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    ctl("officer", "tender", "amend", id, "--description", "Repair and repaint of the old bridge",
        "--note", "Repainting added", NULL);
    EXPECT(0);
    ctl("supplier", "question", "ask", id, "--text", "Which paint?", NULL);
    EXPECT(0);
    first_line(q, sizeof q);
    ctl("officer", "question", "answer", id, q, "--text", "Lead-free, RAL 7035", NULL);
    EXPECT(0);
    submit("supplier", id, "100000.50", b1, sizeof b1);
    submit("supplier2", id, "150000", b2, sizeof b2);

    /* Before the opening: valid, and no bids anywhere. */
    path(out, sizeof out, "before.json");
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    assert_string_equal(R.out, "");
    validate(out, "--no-bids --tags tender,tenderAmendment");
    assert_true(read_file(out, R.out, sizeof R.out) > 0);
    HAS(R.out, ocid);
    HAS(R.out, "\"amount\": 1234567.89");
    HAS(R.out, "\"rationale\": \"Repainting added\"");
    HAS(R.out, "\"id\": \"45221111-3\"");
    HAS(R.out, "\"procurementMethod\": \"open\"");
    HAS(R.out, "\"mainProcurementCategory\": \"works\"");
    HAS(R.out, "\"title\": \"spec.pdf\"");
    HAS_NOT(R.out, b1);
    HAS_NOT(R.out, "Acme");
    HAS_NOT(R.out, "100000.5");
    if (time(NULL) >= enquiry)
        fail_msg("the steps before the enquiry deadline took more than %lld s",
                 (long long)(enquiry - t0));

    /* The opening by both members. */
    sleep_until(opening);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    HAS(R.out, "tender opened");

    path(out, sizeof out, "after.json");
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    snprintf(args, sizeof args,
             "--opening %s --tags tender,tenderAmendment,tenderUpdate --bids "
             "100000.5:EUR,150000:EUR",
             op);
    validate(out, args);
    assert_true(read_file(out, R.out, sizeof R.out) > 0);
    HAS(R.out, b1);
    HAS(R.out, b2);
    HAS(R.out, "\"name\": \"Acme Construction\"");
    HAS(R.out, "\"name\": \"Globex Ltd\"");
    HAS(R.out, "\"tenderer\"");
    HAS(R.out, "\"answer\": \"Lead-free, RAL 7035\"");
    HAS(R.out, "\"hasEnquiries\": true");

    /* Every tender, to stdout; --since the opening: the opened release only. */
    ctl(NULL, "export", "ocds", NULL);
    EXPECT(0);
    path(out, sizeof out, "all.json");
    write_file(out, R.out, strlen(R.out));
    validate(out, "--tags tender,tenderAmendment,tenderUpdate");
    ctl(NULL, "export", "ocds", "--since", op, "--ocid-prefix", "ocds-abc123", NULL);
    EXPECT(0);
    path(out, sizeof out, "since.json");
    write_file(out, R.out, strlen(R.out));
    validate(out, "--tags tenderUpdate --bids 100000.5:EUR,150000:EUR");
    snprintf(ocid, sizeof ocid, "\"ocid\": \"ocds-abc123-%s\"", id);
    HAS(R.out, ocid);
    ctl(NULL, "export", "ocds", "--since", "2999-01-01T00:00:00Z", NULL);
    EXPECT(1);
}

/* A cancelled tender: its cancellation release, never any bids. */
static void test_cancelled(void **state)
{
    (void)state;
    char id[64], dl[32], op[32], out[300], pub[2][64], committee[300], text[256];
    keys_gen("chair1", pub[0], sizeof pub[0]);
    keys_gen("chair2", pub[1], sizeof pub[1]);
    path(committee, sizeof committee, "chairs.txt");
    snprintf(text, sizeof text, "chair1 %s\nchair2 %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--committee", committee, "--title", "Office chairs",
        "--budget", "5000000", "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 3600),
        "--opening", at(op, sizeof op, t0 + 3700), "--category", "goods", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    ctl("officer", "tender", "cancel", id, "--reason", "Budget withdrawn", NULL);
    EXPECT(0);
    path(out, sizeof out, "cancelled.json");
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    validate(out, "--no-bids --tags tender,tenderCancellation");
    assert_true(read_file(out, R.out, sizeof R.out) > 0);
    HAS(R.out, "\"status\": \"cancelled\"");
    HAS(R.out, "\"statusDetails\": \"Budget withdrawn\"");
    HAS(R.out, "\"amount\": 5000000,");
    HAS(R.out, "\"currency\": \"KRW\"");
    HAS(R.out, "\"mainProcurementCategory\": \"goods\"");
    HAS_NOT(R.out, "\"items\"");
    /* The output file is replaced, never left half written. */
    ctl(NULL, "export", "ocds", "--tender", id, "--output", out, NULL);
    EXPECT(0);
    validate(out, "--no-bids");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    ctl(NULL, "export", "ocds", "--since", "yesterday", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "--ocid-prefix", "", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "extra", NULL);
    EXPECT(2);
    ctl(NULL, "export", "ocds", "--tender", "T-2026-999999", NULL);
    EXPECT(10 + 5);
    ctl(NULL, "export", "nothing", NULL);
    EXPECT(2);
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "export", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "ocds");
    ctl(NULL, "export", "ocds", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--ocid-prefix");
    ctl(NULL, "export", NULL);
    EXPECT(2);
    ctl(NULL, "--help", NULL);
    EXPECT(0);
    HAS(R.out, "export ocds");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_cycle),
        cmocka_unit_test(test_cancelled),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
