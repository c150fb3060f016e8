/* tenderd's settings: the table is consistent and documented, a config file
 * is read, flags win over it wherever they stand, bad files and values are
 * refused with FILE:LINE and the key (exit 2 from the real binary), and
 * --print-config reads back to the same settings. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "testsrv.h"

static char dir[64];
static char err[512];

static const char *tmp(const char *name)
{
    static char p[4][200];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static const char *put(const char *name, const char *text)
{
    const char *p = tmp(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return p;
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

/* Parse a NULL-terminated argument list (after "tenderd"). */
static int args(tnd_config *c, tnd_config_action *action, ...)
{
    char *argv[32] = {"tenderd"};
    int argc = 1;
    va_list ap;
    va_start(ap, action);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return tnd_config_from_args(c, argc, argv, action, err, sizeof err);
}

/* Run the real tenderd with the arguments; its stdout and stderr land in
 * dir/out and dir/err. Returns the exit status. */
static int run_tenderd(const char *const *argv_tail)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[200];
    snprintf(bin, sizeof bin, "%s/bin/tenderd", build);
    const char *argv[32] = {bin};
    int n = 1;
    for (; argv_tail[n - 1] && n < 31; n++)
        argv[n] = argv_tail[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(tmp("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(tmp("err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_not_equal(WEXITSTATUS(st), 127);
    return WEXITSTATUS(st);
}

static void expect_file_error(const char *text, const char *want)
{
    tnd_config c;
    tnd_config_action action;
    const char *p = put("bad.ini", text);
    assert_int_equal(args(&c, &action, "--config", p, NULL), -1);
    char full[300];
    snprintf(full, sizeof full, "%s/bad.ini:%s", dir, want);
    if (!strstr(err, full))
        fail_msg("expected \"%s\" in \"%s\"", full, err);
}

/* Every row: unique key and flag, a default that parses and prints back
 * as written, a doc line and an argument name. */
static void test_table_is_consistent(void **state)
{
    (void)state;
    assert_true(tnd_config_rows_count > 20);
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        const tnd_setting *s = &tnd_config_rows[i];
        assert_non_null(s->section);
        assert_true(s->doc && *s->doc && s->arg && *s->arg && s->def);
        assert_ptr_equal(tnd_setting_by_key(s->key), s);
        if (s->flag)
            assert_ptr_equal(tnd_setting_by_flag(s->flag), s);
        assert_true(s->offset + s->size <= sizeof(tnd_config));
        tnd_config c;
        memset(&c, 0, sizeof c);
        if (tnd_setting_set(&c, s, s->def, err, sizeof err) != 0)
            fail_msg("%s: default \"%s\": %s", s->key, s->def, err);
        char back[1100];
        tnd_setting_format(&c, s, back, sizeof back);
        assert_string_equal(back, s->def);
    }
    tnd_config d;
    tnd_config_defaults(&d);
    assert_string_equal(d.listen, "127.0.0.1:7443");
    assert_int_equal(d.max_frame, 4u << 20);
    assert_int_equal(d.grace_ms, 10000);
    assert_int_equal(d.min_tender_period_ms, 86400000ull);
    assert_int_equal(d.standstill_ms, 10ull * 86400000);
    assert_int_equal(d.max_ping_strikes, 5); /* internal settings still set */
}

/* Every setting is in docs/OPERATIONS.md: a table row with its key, flag and default. */
static void test_every_key_documented(void **state)
{
    (void)state;
    char *doc = slurp("docs/OPERATIONS.md");
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        const tnd_setting *s = &tnd_config_rows[i];
        char key[128];
        snprintf(key, sizeof key, "| `%s` |", s->key);
        const char *row = strstr(doc, key);
        if (!row)
            fail_msg("docs/OPERATIONS.md has no row \"%s\"", key);
        size_t len = strcspn(row, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, row);
        char want[200];
        snprintf(want, sizeof want, "`--%s %s`", s->flag ? s->flag : "", s->arg);
        if (s->flag && !strstr(line, want))
            fail_msg("docs row for %s lacks %s: %s", s->key, want, line);
        snprintf(want, sizeof want, *s->def ? "`%s`" : "none%s", s->def);
        if (!strstr(line, want))
            fail_msg("docs row for %s lacks the default %s: %s", s->key, want, line);
    }
    free(doc);
}

static void test_file_is_read(void **state)
{
    (void)state;
    const char *p = put("good.ini", "; a comment\n"
                                    "# another\n"
                                    "[server]\n"
                                    "listen = 127.0.0.1:9443\n"
                                    "db=/srv/tenderd/db\n"
                                    "log-level = warn\n"
                                    "\n"
                                    "[limits]\n"
                                    "max-frame = 8MiB ; inline comment\n"
                                    "max-metadata = 32768\n"
                                    "[tenders]\n"
                                    "standstill = 14d\n"
                                    "min-tender-period = 3600\n"
                                    "[connections]\n"
                                    "idle-timeout = 90s\n");
    tnd_config c;
    tnd_config_action action;
    assert_int_equal(args(&c, &action, "--config", p, NULL), 0);
    assert_int_equal(action, TND_ACTION_RUN);
    assert_string_equal(c.listen, "127.0.0.1:9443");
    assert_string_equal(c.db, "/srv/tenderd/db");
    assert_int_equal(c.log_level, 2);
    assert_int_equal(c.max_frame, 8u << 20);
    assert_int_equal(c.max_metadata, 32768);
    assert_int_equal(c.standstill_ms, 14ull * 86400000);
    assert_int_equal(c.min_tender_period_ms, 3600000ull); /* bare number: seconds */
    assert_int_equal(c.idle_timeout_ms, 90000);
    assert_int_equal(c.initial_window, 8u << 20); /* windows follow max-frame */
    /* What the file leaves alone keeps its default. */
    assert_string_equal(c.cert, "var/pki/server.crt");
    assert_int_equal(c.max_streams, 1024);
}

static void test_flags_override_file(void **state)
{
    (void)state;
    const char *p = put("f.ini", "[limits]\nmax-frame = 2MiB\n[server]\ngrace = 5s\n");
    tnd_config c;
    tnd_config_action action;
    /* A flag before --config still wins. */
    assert_int_equal(args(&c, &action, "--max-frame", "8388608", "--config", p, NULL), 0);
    assert_int_equal(c.max_frame, 8u << 20);
    assert_int_equal(c.grace_ms, 5000);
    /* And after it. */
    assert_int_equal(args(&c, &action, "--config", p, "--grace", "250", NULL), 0);
    assert_int_equal(c.max_frame, 2u << 20);
    assert_int_equal(c.grace_ms, 250);
    /* A bad flag value is an error even when the file sets the key well. */
    assert_int_equal(args(&c, &action, "--config", p, "--max-frame", "12", NULL), -1);
    assert_non_null(strstr(err, "--max-frame"));
    assert_non_null(strstr(err, "out of range"));
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_file_error("[server]\nlisten = a:1\nbogus = 1\n",
                      "3: unknown key \"bogus\" in [server]");
    expect_file_error("\n[nowhere]\n", "2: unknown section [nowhere]");
    expect_file_error("[tls]\nmax-frame = 4MiB\n",
                      "2: key \"max-frame\" belongs in [limits], not [tls]");
    expect_file_error("max-frame = 4MiB\n", "1: key \"max-frame\" outside a section");
    expect_file_error("[limits]\nmax-frame = 12\n", "2: max-frame: \"12\": out of range (1KiB to");
    expect_file_error("[limits]\nmax-frame = 4 parsecs\n",
                      "2: max-frame: \"4 parsecs\": unknown unit");
    expect_file_error("[limits]\nmax-frame = -4\n",
                      "2: max-frame: \"-4\": expected a whole number");
    expect_file_error("[limits]\nmax-frame = 5000000000\n",
                      "2: max-frame: \"5000000000\": out of range");
    expect_file_error("[connections]\nkeepalive = 10 MiB\n",
                      "2: keepalive: \"10 MiB\": unknown unit");
    expect_file_error("[server]\nlog-level = loud\n", "2: log-level: \"loud\": use debug");
    expect_file_error("[server]\ndb =\n", "2: db: must not be empty");
    expect_file_error("[server]\ngrace = 1s\ngrace = 2s\n",
                      "3: key \"grace\" set twice (first on line 2)");
    expect_file_error("[server]\nthis line has no equals sign\n", "2: expected \"[section]\" or");
    char longline[400];
    snprintf(longline, sizeof longline, "[server]\ndb = /%0300d\n", 0);
    expect_file_error(longline, "2: line longer than");
    /* The first problem is the one reported. */
    expect_file_error("[limits]\nmax-frame = x\nnope = 1\n", "2: max-frame");
    tnd_config c;
    tnd_config_action action;
    assert_int_equal(args(&c, &action, "--config", tmp("missing.ini"), NULL), -1);
    assert_non_null(strstr(err, "missing.ini: cannot open"));
    assert_int_equal(args(&c, &action, "--no-such-flag", NULL), -1);
    assert_non_null(strstr(err, "unknown option \"--no-such-flag\""));
    assert_int_equal(args(&c, &action, "--grace", NULL), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(args(&c, &action, "stray", NULL), -1);
    assert_non_null(strstr(err, "unexpected argument"));
}

/* The binary: a bad file is "FILE:LINE: message" on stderr and exit 2. */
static void test_binary_exit_2(void **state)
{
    (void)state;
    const char *p = put("bin.ini", "[server]\n\nunknown-thing = yes\n");
    const char *argv[] = {"--config", p, NULL};
    assert_int_equal(run_tenderd(argv), 2);
    char *e = slurp(tmp("err"));
    char want[300];
    snprintf(want, sizeof want, "%s:3: unknown key \"unknown-thing\"", p);
    if (!strstr(e, want))
        fail_msg("expected \"%s\" in stderr: %s", want, e);
    free(e);
    p = put("bin2.ini", "[limits]\nmax-bid-bytes = 1KB\n");
    const char *argv2[] = {"--config", p, "--print-config", NULL};
    assert_int_equal(run_tenderd(argv2), 2);
    e = slurp(tmp("err"));
    assert_non_null(strstr(e, "bin2.ini:2: max-bid-bytes: \"1KB\": unknown unit"));
    free(e);
}

/* --print-config is a config file that gives the same settings back. */
static void test_print_config_round_trip(void **state)
{
    (void)state;
    const char *p = put("rt.ini", "[server]\nlisten = 0.0.0.0:8443\n"
                                  "[tenders]\nmin-amend-period = 90m\n");
    const char *argv[] = {"--config",    p,      "--max-bid-bytes", "1048577",
                          "--keepalive", "1500", "--print-config",  NULL};
    assert_int_equal(run_tenderd(argv), 0);
    char *first = slurp(tmp("out"));
    assert_non_null(strstr(first, "\n[server]\n"));
    assert_non_null(strstr(first, "\nlisten = 0.0.0.0:8443\n"));
    assert_non_null(strstr(first, "\nmin-amend-period = 90m\n"));
    assert_non_null(strstr(first, "\nmax-bid-bytes = 1048577\n"));
    assert_non_null(strstr(first, "\nkeepalive = 1500ms\n"));
    put("printed.ini", first);
    const char *argv2[] = {"--config", tmp("printed.ini"), "--print-config", NULL};
    assert_int_equal(run_tenderd(argv2), 0);
    char *second = slurp(tmp("out"));
    assert_string_equal(first, second);

    /* In process: the printed file reads back into identical settings. */
    tnd_config a, b;
    tnd_config_action action;
    assert_int_equal(args(&a, &action, "--config", p, "--max-bid-bytes", "1048577", NULL), 0);
    FILE *f = fopen(tmp("inproc.ini"), "w");
    assert_non_null(f);
    tnd_config_print(&a, f);
    fclose(f);
    assert_int_equal(args(&b, &action, "--config", tmp("inproc.ini"), NULL), 0);
    assert_memory_equal(&a, &b, sizeof a);
    free(first);
    free(second);
}

static void test_help_lists_every_flag(void **state)
{
    (void)state;
    const char *argv[] = {"--help", NULL};
    assert_int_equal(run_tenderd(argv), 0);
    char *out = slurp(tmp("out"));
    for (size_t i = 0; i < tnd_config_rows_count; i++) {
        const tnd_setting *s = &tnd_config_rows[i];
        char want[200];
        snprintf(want, sizeof want, "  --%s %s ", s->flag, s->arg);
        if (s->flag && !strstr(out, want))
            fail_msg("--help lacks \"%s\"", want);
    }
    assert_non_null(strstr(out, "--config FILE"));
    assert_non_null(strstr(out, "--print-config"));
    free(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tnd_cfg_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_every_key_documented),
        cmocka_unit_test(test_file_is_read),
        cmocka_unit_test(test_flags_override_file),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_binary_exit_2),
        cmocka_unit_test(test_print_config_round_trip),
        cmocka_unit_test(test_help_lists_every_flag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
