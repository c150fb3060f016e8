/* `make install` into a staging folder (DESTDIR, PREFIX=/usr), then the installed
 * files in use: the installed tenderd serves, the installed tenderctl talks to it, a
 * program built with `pkg-config tender` links libtender statically and as a shared
 * library and calls the server; the shared library exports only the public API; the man
 * pages render and document every flag of the help texts; the bash completion parses
 * and completes; the systemd unit has its sandbox and verifies; `make uninstall`
 * removes every file. The steps are tests/install_check.sh. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctlrun.h"

static char stage[300];

/* Run one step of tests/install_check.sh; its exit status. */
static int step(const char *name, const char *args)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "tests/install_check.sh %s '%s' %s", name, stage, args ? args : "");
    fflush(stdout);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

static int setup(void **state)
{
    (void)state;
    if (access("tests/install_check.sh", X_OK) != 0) {
        fprintf(stderr, "test_install: run from the top of the source tree\n");
        return -1;
    }
#if defined(__SANITIZE_ADDRESS__)
    setenv("SAN", "1", 1);
#else
    unsetenv("SAN");
#endif
    if (ctlrun_init("/tmp/tnd_install_XXXXXX", NULL) != 0)
        return -1;
    path(stage, sizeof stage, "stage");
    if (step("install", NULL) != 0)
        return -1;
    /* From here on the installed programs run, not the build tree's. */
    if (snprintf(ctl_bin, sizeof ctl_bin, "%s/usr/bin/tenderctl", stage) >= (int)sizeof ctl_bin ||
        snprintf(ctl_srv_bin, sizeof ctl_srv_bin, "%s/usr/bin/tenderd", stage) >=
            (int)sizeof ctl_srv_bin)
        return -1;
    return ctlrun_start_server(NULL);
}

static int teardown(void **state)
{
    char work[320];
    snprintf(work, sizeof work, "%s.work", stage);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    if (system(cmd) != 0)
        fprintf(stderr, "test_install: cannot remove %s\n", work);
    return ctlrun_teardown(state);
}

static void test_layout(void **state)
{
    (void)state;
    assert_int_equal(step("layout", NULL), 0);
}

/* The installed tenderctl, against the installed tenderd. */
static void test_installed_programs(void **state)
{
    (void)state;
    ctl(NULL, "health", NULL);
    EXPECT(0);
    HAS(R.out, "SERVING");
    ctl(NULL, "--help", NULL);
    EXPECT(0);
    HAS(R.out, "usage: tenderctl");
}

static void test_pkgconfig(void **state)
{
    (void)state;
    assert_int_equal(step("pkgconfig", NULL), 0);
}

static void client(const char *kind)
{
    char args[400];
    snprintf(args, sizeof args, "%d '%s' libcheck-%s", ctl_port, ctl_pki, kind);
    assert_int_equal(step(kind, args), 0);
}

static void test_static_client(void **state)
{
    (void)state;
    client("static");
}

static void test_shared_client(void **state)
{
    (void)state;
    client("shared");
}

static void test_exports(void **state)
{
    (void)state;
    assert_int_equal(step("exports", NULL), 0);
}

static void test_man_pages(void **state)
{
    (void)state;
    assert_int_equal(step("man", NULL), 0);
}

static void test_completion(void **state)
{
    (void)state;
    assert_int_equal(step("completion", NULL), 0);
}

static void test_unit(void **state)
{
    (void)state;
    assert_int_equal(step("unit", NULL), 0);
}

static void test_uninstall(void **state)
{
    (void)state;
    assert_int_equal(step("uninstall", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),        cmocka_unit_test(test_installed_programs),
        cmocka_unit_test(test_pkgconfig),     cmocka_unit_test(test_static_client),
        cmocka_unit_test(test_shared_client), cmocka_unit_test(test_exports),
        cmocka_unit_test(test_man_pages),     cmocka_unit_test(test_completion),
        cmocka_unit_test(test_unit),          cmocka_unit_test(test_server_stops_cleanly),
        cmocka_unit_test(test_uninstall),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
