/* End-to-end tests of tenderctl's tender and question commands: the real
 * $BUILD/bin/tenderd runs as a child process on a free loopback port with a
 * fresh PKI, and every step runs the real $BUILD/bin/tenderctl, checking its
 * exit status, stdout and stderr. */
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

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "tender/pki.h"
#include "testsrv.h"

#define MAX_OUT (1 << 20)

static char dir[256], pki[300], ctl_bin[300], srv_bin[300], committee[300];
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

static int ctl_in(const char *cwd, const char *who, ...)
{
    va_list ap;
    va_start(ap, who);
    int rc = vrun(who, cwd, ap);
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

/* RFC 3339 UTC text of now + days (whole seconds). */
static const char *future(char *buf, size_t len, double days)
{
    time_t t = time(NULL) + (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* The first line of the last stdout. */
static const char *first_line(char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)strcspn(R.out, "\n"), R.out);
    return buf;
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
    uint8_t d[32];
    SHA256(data, len, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
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
    }
    snprintf(dir, sizeof dir, "/tmp/tnd_ctl_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    path(pki, sizeof pki, "pki");
    if (tnd_pki_init(pki, err, sizeof err) != 0) {
        fprintf(stderr, "pki: %s\n", err);
        return -1;
    }
    /* A committee of three, with random X25519-sized keys. */
    path(committee, sizeof committee, "committee.txt");
    FILE *f = fopen(committee, "w");
    if (!f)
        return -1;
    fputs("# the opening committee\n", f);
    const char *names[] = {"Kim Min-jun", "Lee Ji-eun", "Park Seo-yeon"};
    for (int i = 0; i < 3; i++) {
        uint8_t k[32];
        unsigned char b64[64];
        if (RAND_bytes(k, sizeof k) != 1)
            return -1;
        EVP_EncodeBlock(b64, k, sizeof k);
        fprintf(f, "%s  %s\n%s", names[i], b64, i == 0 ? "\n" : "");
    }
    fclose(f);
    port = free_port();
    path(db, sizeof db, "db");
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
    if (srv_pid > 0) { /* only when test_server_stops_cleanly did not run */
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
    }
    test_rmtree(dir);
    return 0;
}

/* ---- tests ---- */

/* Create a tender with the committee and the usual fields; its id into id. */
static void create(const char *title, const char *budget, const char *currency, char *id,
                   size_t len)
{
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", title, "--budget", budget, "--currency", currency,
        "--deadline", dl, "--opening", op, "--committee", committee, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "T-", 2) == 0);
}

static void test_life_cycle(void **state)
{
    (void)state;
    char spec[300], big[300], id[64], line[200], dl[32], dl2[32], op[32], op2[32], enq[32];
    static char content[2500000], got[2600000];
    const char *pdf = "%PDF-1.4 the tender specification\n";
    path(spec, sizeof spec, "spec.pdf");
    write_file(spec, pdf, strlen(pdf));
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (char)(i * 7 + i / 1000);
    path(big, sizeof big, "drawings.zip"); /* three chunks of AddDocument and Download */
    write_file(big, content, sizeof content);
    future(dl, sizeof dl, 30);
    future(op, sizeof op, 30.5);
    future(enq, sizeof enq, 20);

    /* Create with two documents and a committee: the id, then each document's id. */
    ctl("officer", "tender", "create", "--title", "Road resurfacing, Gangnam lot", "--budget",
        "1234.56", "--currency", "EUR", "--deadline", dl, "--opening", op, "--cpv", "45233140-2",
        "--method", "open", "--category", "works", "--committee", committee, "--threshold", "2",
        "--doc", spec, "--doc", big, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    snprintf(line, sizeof line, "%s\n%s-D1\n%s-D2\n", id, id, id);
    assert_string_equal(R.out, line); /* distinct idempotency keys: D2 is not a replay of D1 */

    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "status:               draft");
    HAS(R.out, "buyer:                Ministry of Works");
    HAS(R.out, "value:                1234.56 EUR");
    HAS(R.out, "method:               open");
    HAS(R.out, "category:             works");
    HAS(R.out, "cpv:                  45233140-2");
    HAS(R.out, "committee:            3 members, threshold 2");
    HAS(R.out, "documents:            2");

    /* A draft is invisible to others. */
    ctl(NULL, "tender", "show", id, NULL);
    EXPECT(10 + 5);

    ctl("officer", "tender", "edit", id, "--title", "Road resurfacing, lot 2", "--enquiry-deadline",
        enq, NULL);
    EXPECT(0);
    HAS(R.out, "edited");
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "title:                Road resurfacing, lot 2");
    HAS(R.out, "value:                1234.56 EUR"); /* untouched fields kept */
    HAS(R.out, "committee:            3 members, threshold 2");

    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    HAS(R.out, "published (status active, version 1)");

    ctl("supplier", "question", "ask", id, "--text", "Is asphalt removal included?", NULL);
    EXPECT(0);
    assert_string_equal(R.out, "Q-1\n");
    ctl(NULL, "question", "list", id, NULL); /* unanswered: not public yet */
    EXPECT(0);
    HAS_NOT(R.out, "asphalt");
    ctl("officer", "question", "answer", id, "Q-1", "--text", "Yes, 5 cm.", NULL);
    EXPECT(0);
    HAS(R.out, "Q-1 answered");
    ctl(NULL, "question", "list", id, NULL);
    EXPECT(0);
    HAS(R.out, "Q-1");
    HAS(R.out, "Q: Is asphalt removal included?");
    HAS(R.out, "A: Yes, 5 cm.");
    HAS_NOT(R.out, "Acme"); /* the asker stays the buyer's to know */
    ctl("officer", "question", "list", id, NULL);
    HAS(R.out, "by Acme Construction");

    future(dl2, sizeof dl2, 40);
    future(op2, sizeof op2, 40.5);
    ctl("officer", "tender", "amend", id, "--deadline", dl2, "--opening", op2, "--note",
        "ten more days", NULL);
    EXPECT(0);
    HAS(R.out, "amended (status active, version 2)");
    ctl(NULL, "tender", "show", id, "--version", "1", NULL);
    EXPECT(0);
    HAS(R.out, "version:              1\n");
    snprintf(line, sizeof line, "submission deadline:  %s", dl);
    HAS(R.out, line);
    HAS_NOT(R.out, "ten more days");
    ctl(NULL, "tender", "show", id, "--version", "2", NULL);
    EXPECT(0);
    HAS(R.out, "version:              2\n");
    snprintf(line, sizeof line, "submission deadline:  %s", dl2);
    HAS(R.out, line);
    HAS(R.out, "amendment note:       ten more days");

    char hex_pdf[65], hex_big[65];
    sha_hex(pdf, strlen(pdf), hex_pdf);
    sha_hex(content, sizeof content, hex_big);
    ctl(NULL, "tender", "documents", id, NULL);
    EXPECT(0);
    snprintf(line, sizeof line, "%s-D1  spec.pdf  application/pdf  %zu  %s", id, strlen(pdf),
             hex_pdf);
    HAS(R.out, line);
    snprintf(line, sizeof line, "%s-D2  drawings.zip  application/zip  2500000  %s", id, hex_big);
    HAS(R.out, line);

    /* Download into a fresh folder under the document's own name. */
    char dl_dir[300], dl_file[400], doc[80];
    path(dl_dir, sizeof dl_dir, "downloads");
    assert_int_equal(mkdir(dl_dir, 0700), 0);
    snprintf(doc, sizeof doc, "%s-D2", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(0);
    snprintf(dl_file, sizeof dl_file, "%s/drawings.zip", dl_dir);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)sizeof content);
    assert_memory_equal(got, content, sizeof content);
    /* Never over an existing file without --force. */
    write_file(dl_file, "keep me", 7);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(1);
    HAS(R.err, "exists");
    assert_int_equal(read_file(dl_file, got, sizeof got), 7);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, "--force", NULL);
    EXPECT(0);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)sizeof content);
    assert_memory_equal(got, content, sizeof content);
    snprintf(doc, sizeof doc, "%s-D1", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, "--output", "renamed.pdf", NULL);
    EXPECT(0);
    snprintf(dl_file, sizeof dl_file, "%s/renamed.pdf", dl_dir);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)strlen(pdf));
    assert_memory_equal(got, pdf, strlen(pdf));
    snprintf(doc, sizeof doc, "%s-D9", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(10 + 5);

    /* Filters. */
    char from[32], to[32];
    future(from, sizeof from, 35);
    future(to, sizeof to, 45);
    ctl(NULL, "tender", "list", "--status", "active", "--cpv", "4523", "--text", "LOT 2",
        "--deadline-from", from, "--deadline-to", to, NULL);
    EXPECT(0);
    HAS(R.out, id);
    HAS(R.out, "1234.56 EUR");
    HAS(R.out, "Road resurfacing, lot 2");
    ctl(NULL, "tender", "list", "--status", "draft", NULL);
    EXPECT(0);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--cpv", "3000", NULL);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--deadline-to", from, NULL);
    HAS_NOT(R.out, id);

    ctl("officer", "tender", "cancel", id, "--reason", "funding withdrawn", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled");
    ctl(NULL, "tender", "show", id, NULL);
    HAS(R.out, "status:               cancelled");
    HAS(R.out, "cancel reason:        funding withdrawn");
}

static void test_money_round_trip(void **state)
{
    (void)state;
    char id[64];
    create("Money EUR", "1234.56", "EUR", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                1234.56 EUR");
    ctl("officer", "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"estimated_value\":{\"minor_units\":123456,\"currency\":\"EUR\"}");
    assert_true(json_ok(R.out));

    create("Money KRW", "1500000", "KRW", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                1500000 KRW");
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":1500000,\"currency\":\"KRW\"");

    create("Money KWD", "12.345", "kwd", id, sizeof id); /* three decimals; any case */
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":12345,\"currency\":\"KWD\"");
    create("Money USD whole", "7", "USD", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                7.00 USD");
    /* Amounts past what a double holds exactly stay exact. */
    create("Money big", "92233720368547758.07", "EUR", id, sizeof id);
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":9223372036854775807,");
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                92233720368547758.07 EUR");
    /* Edit keeps the currency when only the amount changes. */
    ctl("officer", "tender", "edit", id, "--budget", "0.10", NULL);
    EXPECT(0);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                0.10 EUR");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char dl[32];
    future(dl, sizeof dl, 10);
#define CREATE(...)                                                                                \
    ctl("officer", "tender", "create", "--title", "Bad", "--deadline", dl, "--opening", dl,        \
        __VA_ARGS__, NULL)
    CREATE("--budget", "10", "--currency", "EUR", "--deadline", "2026-12-01 10:00");
    EXPECT(2);
    HAS(R.err, "RFC 3339");
    CREATE("--budget", "10", "--currency", "EUR", "--opening", "2026-12-01T10:00:00");
    EXPECT(2);
    HAS(R.err, "time zone");
    CREATE("--budget", "10", "--currency", "EUR", "--deadline", "2026-02-29T10:00:00Z");
    EXPECT(2);
    HAS(R.err, "no such date");
    CREATE("--budget", "1.005", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "1.005 EUR has more decimals than EUR allows (2)");
    CREATE("--budget", "1.5", "--currency", "KRW");
    EXPECT(2);
    HAS(R.err, "1.5 KRW has more decimals than KRW allows (0)");
    CREATE("--budget", "1e3", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "decimal amount");
    CREATE("--budget", "-5", "--currency", "EUR");
    EXPECT(2);
    CREATE("--budget", "10", "--currency", "EURO");
    EXPECT(2);
    HAS(R.err, "not a currency code");
    CREATE("--budget", "10", "--currency", "ZZZ");
    EXPECT(2);
    HAS(R.err, "not an ISO 4217 currency");
    CREATE("--budget", "99999999999999999999", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "too large");
    CREATE("--budget", "10", "--currency", "EUR", "--method", "auction");
    EXPECT(2);
    HAS(R.err, "--method");
    CREATE("--budget", "10", "--currency", "EUR", "--bogus", "x");
    EXPECT(2);
    HAS(R.err, "unknown option --bogus");
    ctl("officer", "tender", "create", "--budget", "10", "--currency", "EUR", "--deadline", dl,
        "--opening", dl, NULL);
    EXPECT(2);
    HAS(R.err, "--title is required");

    char bad[300];
    path(bad, sizeof bad, "bad_committee.txt");
    write_file(bad, "Kim c2hvcnQ=\n", 13);
    CREATE("--budget", "10", "--currency", "EUR", "--committee", bad);
    EXPECT(2);
    HAS(R.err, "bad_committee.txt:1");
    HAS(R.err, "not 32 bytes");
    CREATE("--budget", "10", "--currency", "EUR", "--committee", committee, "--threshold", "4");
    EXPECT(2);
    HAS(R.err, "--threshold 4");
    CREATE("--budget", "10", "--currency", "EUR", "--doc", "/nonexistent/file.pdf");
    EXPECT(1);
    HAS(R.err, "/nonexistent/file.pdf");
#undef CREATE

    ctl("officer", "tender", "amend", "T-1", "--title", "x", NULL);
    EXPECT(2);
    HAS(R.err, "--note");
    ctl("officer", "tender", "cancel", "T-1", NULL);
    EXPECT(2);
    ctl("officer", "tender", "frobnicate", NULL);
    EXPECT(2);
    ctl(NULL, "tender", "show", "T-1999-999999", NULL);
    EXPECT(10 + 5);
    HAS(R.err, "NOT_FOUND");
}

static void test_roles_and_rules(void **state)
{
    (void)state;
    char dl[32], id[64];
    future(dl, sizeof dl, 10);
    ctl("supplier", "tender", "create", "--title", "Not mine", "--budget", "10", "--currency",
        "EUR", "--deadline", dl, "--opening", dl, NULL);
    EXPECT(10 + 7);
    HAS(R.err, "PERMISSION_DENIED");
    HAS(R.err, "role officer");

    /* Without --committee the draft is created; publishing it is refused. */
    ctl("officer", "tender", "create", "--title", "No committee", "--budget", "10", "--currency",
        "EUR", "--deadline", dl, "--opening", dl, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(10 + 9); /* FAILED_PRECONDITION: the draft is incomplete */
    HAS(R.err, "committee");
    /* Another organisation's officer cannot see the draft. */
    ctl("officer2", "tender", "edit", id, "--title", "taken", NULL);
    EXPECT(10 + 5);
    /* Documents added by edit to the draft. */
    char f[300];
    path(f, sizeof f, "notes.txt");
    write_file(f, "a,b\n", 4);
    ctl("officer", "tender", "edit", id, "--doc", f, NULL);
    EXPECT(0);
    char want[100];
    snprintf(want, sizeof want, "%s-D1\n", id);
    assert_string_equal(R.out, want);
    ctl("officer", "tender", "documents", id, NULL);
    HAS(R.out, "notes.txt  text/plain  4");
}

static void test_json_outputs_parse(void **state)
{
    (void)state;
    char id[64], dl_dir[300], doc[80], f[300];
    path(f, sizeof f, "data.json");
    write_file(f, "{\"a\": 1}\n", 9);
    char dl[32];
    future(dl, sizeof dl, 10);
    ctl("officer", "--json", "tender", "create", "--title", "JSON \"quoted\"\ttitle", "--budget",
        "5", "--currency", "EUR", "--deadline", dl, "--opening", dl, "--committee", committee,
        "--doc", f, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"id\":\"T-");
    HAS(R.out, "\"name\":\"data.json\",\"media_type\":\"application/json\"");
    snprintf(id, sizeof id, "%.*s", (int)strcspn(strstr(R.out, "T-"), "\""), strstr(R.out, "T-"));
    ctl("officer", "tender", "publish", id, "--json", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"status\":\"ACTIVE\"");
    ctl(NULL, "tender", "show", id, "--json", NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"title\":\"JSON \\\"quoted\\\"\\ttitle\"");
    ctl(NULL, "tender", "list", "--json", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"next_cursor\":\"\"");
    ctl(NULL, "tender", "documents", id, "--json", NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"sha256\":\"");
    ctl("supplier", "--json", "question", "ask", id, "--text", "When?", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    ctl("officer", "--json", "question", "answer", id, "Q-1", "--text", "Now.", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    ctl(NULL, "--json", "question", "list", id, NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"answer\":\"Now.\"");
    path(dl_dir, sizeof dl_dir, "json_dl");
    assert_int_equal(mkdir(dl_dir, 0700), 0);
    snprintf(doc, sizeof doc, "%s-D1", id);
    ctl_in(dl_dir, NULL, "--json", "tender", "download", id, doc, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"size\":9");
}

static void test_list_paging(void **state)
{
    (void)state;
    char id[5][64], cursor[300];
    for (int i = 0; i < 5; i++) {
        char title[32];
        snprintf(title, sizeof title, "Paging %d", i);
        create(title, "1", "EUR", id[i], sizeof id[i]);
    }
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", NULL);
    EXPECT(0);
    HAS(R.out, id[0]);
    HAS(R.out, id[1]);
    HAS_NOT(R.out, id[2]);
    const char *c = strstr(R.err, "--cursor ");
    assert_non_null(c);
    snprintf(cursor, sizeof cursor, "%.*s", (int)strcspn(c + 9, " \n"), c + 9);
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", "--cursor", cursor,
        NULL);
    EXPECT(0);
    HAS(R.out, id[2]);
    HAS(R.out, id[3]);
    HAS_NOT(R.out, id[1]);
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", "--all", NULL);
    EXPECT(0);
    for (int i = 0; i < 5; i++)
        HAS(R.out, id[i]);
    HAS_NOT(R.err, "--cursor");
    ctl("officer", "--json", "tender", "list", "--text", "paging", "--page-size", "2", "--all",
        NULL);
    assert_true(json_ok(R.out));
    for (int i = 0; i < 5; i++)
        HAS(R.out, id[i]);
    ctl("officer", "tender", "list", "--cursor", "zz", NULL);
    EXPECT(10 + 3);
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "tender", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "download ID DOCUMENT_ID");
    ctl(NULL, "tender", "create", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--committee FILE");
    ctl(NULL, "question", "answer", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "QUESTION_ID");
    ctl(NULL, "tender", NULL);
    EXPECT(2);
}

/* Last: SIGTERM drains the server, which exits 0. */
static void test_server_stops_cleanly(void **state)
{
    (void)state;
    int status;
    assert_int_equal(kill(srv_pid, SIGTERM), 0);
    assert_int_equal(waitpid(srv_pid, &status, 0), srv_pid);
    srv_pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_cycle),
        cmocka_unit_test(test_money_round_trip),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_roles_and_rules),
        cmocka_unit_test(test_json_outputs_parse),
        cmocka_unit_test(test_list_paging),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
