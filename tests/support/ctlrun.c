/* Test support for the end-to-end tests of tenderctl: see ctlrun.h. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ctlrun.h"
#include "tender/pki.h"
#include "testsrv.h"

struct ctl_result R;
char ctl_dir[256], ctl_pki[300], ctl_bin[300], ctl_srv_bin[300];
int ctl_port;
const char *ctl_server_arg, *ctl_server_env;
pid_t ctl_srv_pid;
static const char *const *ctl_unset;

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

void path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", ctl_dir, name);
}

void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

long read_file(const char *p, char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

int ctlrun_init(const char *dir_template, const char *const *unset)
{
    char err[512];
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    ctl_unset = unset;
    snprintf(ctl_bin, sizeof ctl_bin, "%s/bin/tenderctl", build);
    snprintf(ctl_srv_bin, sizeof ctl_srv_bin, "%s/bin/tenderd", build);
    if (build[0] != '/') { /* children run in other folders */
        char cwd[200];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        snprintf(ctl_bin, sizeof ctl_bin, "%s/%s/bin/tenderctl", cwd, build);
        snprintf(ctl_srv_bin, sizeof ctl_srv_bin, "%s/%s/bin/tenderd", cwd, build);
    }
    snprintf(ctl_dir, sizeof ctl_dir, "%s", dir_template);
    if (!mkdtemp(ctl_dir))
        return -1;
    path(ctl_pki, sizeof ctl_pki, "pki");
    if (tnd_pki_init(ctl_pki, err, sizeof err) != 0) {
        fprintf(stderr, "pki: %s\n", err);
        return -1;
    }
    return 0;
}

int ctlrun_print_log_key(const char *db, char *out, size_t len)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' --print-log-key 2>/dev/null", ctl_srv_bin, db);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(out, (int)len, p))
        out[0] = '\0';
    int rc = pclose(p);
    out[strcspn(out, "\n")] = '\0';
    return rc == 0 && out[0] ? 0 : -1;
}

static int wait_listening(void)
{
    for (int i = 0; i < 600; i++) {
        int status;
        if (waitpid(ctl_srv_pid, &status, WNOHANG) == ctl_srv_pid)
            return -1;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ctl_port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        usleep(20000);
    }
    return -1;
}

/* The extra arguments of the last start, kept for test_server_stops_cleanly
 * to start the server again the same way. */
static char start_extra[40][300];
static const char *start_extra_ptr[41];

int ctlrun_start_server(const char *const *extra)
{
    char db[300], listen[64], cert[400], key[400], ca[400], log[300];
    const char *argv[64];
    int n = 0;
    if (extra != start_extra_ptr) {
        size_t i = 0;
        for (; extra && extra[i] && i < 40; i++) {
            snprintf(start_extra[i], sizeof start_extra[i], "%s", extra[i]);
            start_extra_ptr[i] = start_extra[i];
        }
        start_extra_ptr[i] = NULL;
    }
    ctl_port = free_port();
    path(db, sizeof db, "db");
    path(log, sizeof log, "tenderd.log");
    snprintf(listen, sizeof listen, "127.0.0.1:%d", ctl_port);
    snprintf(cert, sizeof cert, "%s/server.crt", ctl_pki);
    snprintf(key, sizeof key, "%s/server.key", ctl_pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    // clang-format off
    const char *const base[] = {
        ctl_srv_bin, "--listen", listen, "--cert", cert, "--key", key, "--ca", ca, "--db", db,
        "--min-tender-period", "0", "--min-amend-period", "0",
    };
    // clang-format on
    for (size_t i = 0; i < sizeof base / sizeof *base; i++)
        argv[n++] = base[i];
    for (; extra && *extra && n < 60; extra++)
        argv[n++] = *extra;
    argv[n++] = "--log-level";
    argv[n++] = "warn";
    argv[n] = NULL;
    fflush(NULL);
    ctl_srv_pid = fork();
    if (ctl_srv_pid < 0)
        return -1;
    if (ctl_srv_pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execv(ctl_srv_bin, (char *const *)argv);
        _exit(127);
    }
    return wait_listening();
}

void ctlrun_kill_server(void)
{
    if (ctl_srv_pid > 0) { /* only when test_server_stops_cleanly did not run */
        kill(ctl_srv_pid, SIGKILL);
        waitpid(ctl_srv_pid, NULL, 0);
    }
}

int ctlrun_teardown(void **state)
{
    (void)state;
    ctlrun_kill_server();
    test_rmtree(ctl_dir);
    return 0;
}

void test_server_stops_cleanly(void **state)
{
    (void)state;
    int status;
    assert_int_equal(kill(ctl_srv_pid, SIGTERM), 0);
    assert_int_equal(waitpid(ctl_srv_pid, &status, 0), ctl_srv_pid);
    ctl_srv_pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Up again on the same database, so no test depends on running before
     * this one. */
    assert_int_equal(ctlrun_start_server(start_extra_ptr), 0);
}

pid_t ctl_vspawn(const char *who, const char *cwd, const char *out, const char *err, int delay_ms,
                 va_list ap)
{
    char server[64], ca[320], cert[320], key[320];
    const char *argv[64];
    int n = 0;
    snprintf(server, sizeof server, "127.0.0.1:%d", ctl_port);
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    argv[n++] = ctl_bin;
    if (!ctl_server_arg || *ctl_server_arg) {
        argv[n++] = "--server";
        argv[n++] = ctl_server_arg ? ctl_server_arg : server;
    }
    argv[n++] = "--ca";
    argv[n++] = ca;
    if (who) {
        snprintf(cert, sizeof cert, "%s/%s.crt", ctl_pki, who);
        snprintf(key, sizeof key, "%s/%s.key", ctl_pki, who);
        argv[n++] = "--cert";
        argv[n++] = cert;
        argv[n++] = "--key";
        argv[n++] = key;
    }
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 63;)
        argv[n++] = a;
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (ctl_server_arg && !*ctl_server_arg && ctl_server_env)
            setenv("TENDER_SERVER", ctl_server_env, 1);
        else
            unsetenv("TENDER_SERVER");
        unsetenv("TENDER_CA");
        unsetenv("TENDER_CERT");
        unsetenv("TENDER_KEY");
        for (const char *const *u = ctl_unset; u && *u; u++)
            unsetenv(*u);
        if (delay_ms)
            usleep((useconds_t)delay_ms * 1000);
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd ? cwd : ctl_dir) != 0)
            _exit(126);
        execv(ctl_bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

pid_t ctl_later(int delay_ms, const char *who, ...)
{
    va_list ap;
    va_start(ap, who);
    pid_t pid = ctl_vspawn(who, NULL, NULL, NULL, delay_ms, ap);
    va_end(ap);
    return pid;
}

int ctl_wait(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ctl_vrun(const char *who, const char *cwd, va_list ap)
{
    char out[300], err[300];
    path(out, sizeof out, "ctl.out");
    path(err, sizeof err, "ctl.err");
    R.code = ctl_wait(ctl_vspawn(who, cwd, out, err, 0, ap));
    if (read_file(out, R.out, sizeof R.out) < 0)
        R.out[0] = '\0';
    if (read_file(err, R.err, sizeof R.err) < 0)
        R.err[0] = '\0';
    return R.code;
}

int ctl(const char *who, ...)
{
    va_list ap;
    va_start(ap, who);
    int rc = ctl_vrun(who, NULL, ap);
    va_end(ap);
    return rc;
}

int ctl_in(const char *cwd, const char *who, ...)
{
    va_list ap;
    va_start(ap, who);
    int rc = ctl_vrun(who, cwd, ap);
    va_end(ap);
    return rc;
}

bool ctl_ok(const char *what, int code, const char *out_has)
{
    if (R.code == code && (!out_has || strstr(R.out, out_has)) && !strstr(R.err, "Sanitizer"))
        return true;
    fprintf(stderr, "%s: tenderctl exit %d, expected %d%s%s\nstdout: %s\nstderr: %s\n", what,
            R.code, code, out_has ? " with " : "", out_has ? out_has : "", R.out, R.err);
    return false;
}

const char *first_line(char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)strcspn(R.out, "\n"), R.out);
    return buf;
}

bool json_ok(const char *text)
{
    char p[300], cmd[700];
    path(p, sizeof p, "check.json");
    write_file(p, text, strlen(text));
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; json.load(sys.stdin)' < '%s'", p);
    return system(cmd) == 0;
}

void sha_hex(const void *data, size_t len, char hex[65])
{
    uint8_t d[32];
    SHA256(data, len, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

const char *future(char *buf, size_t len, double days)
{
    return at(buf, len, time(NULL) + (time_t)(days * 86400));
}

const char *at(char *buf, size_t len, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void sleep_until(time_t t)
{
    while (time(NULL) < t)
        usleep(50000);
    usleep(300000); /* the server's timers are not ours to the millisecond */
}

void ctl_keys_gen(const char *name, char *pub, size_t len)
{
    char keys[300];
    path(keys, sizeof keys, "keys");
    ctl(NULL, "keys", "gen", name, "--dir", keys, NULL);
    EXPECT(0);
    first_line(pub, len);
    assert_int_equal(strlen(pub), 44);
}

const char *key_file(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/keys/%s.key", ctl_dir, name);
    return buf;
}
