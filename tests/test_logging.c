/* Log lines held by a thread (ops/logging.h, tnd_log_hold): what tenderd's
 * event loop does so that a busy server writes its call lines once a turn.
 * stderr is pointed at a file here to see what reaches it, and when. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ops/logging.h"

static FILE *out;
static int saved_stderr = -1;

/* What stderr has received so far, NUL-terminated (static storage). */
static const char *written(void)
{
    static char buf[1 << 18];
    fflush(stderr);
    size_t n = (size_t)pread(fileno(out), buf, sizeof buf - 1, 0);
    buf[n] = '\0';
    return buf;
}

static int setup(void **state)
{
    (void)state;
    out = tmpfile();
    saved_stderr = dup(STDERR_FILENO);
    if (!out || saved_stderr < 0 || dup2(fileno(out), STDERR_FILENO) < 0)
        return -1;
    tnd_log_set_level(TND_LOG_DEBUG);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tnd_log_hold(false);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    fclose(out);
    return 0;
}

static void test_lines_not_held_go_out_at_once(void **state)
{
    (void)state;
    tnd_log(TND_LOG_INFO, "call", "method", "a", NULL);
    assert_non_null(strstr(written(), "msg=call method=a\n"));
}

static void test_held_lines_wait_for_the_flush(void **state)
{
    (void)state;
    tnd_log_hold(true);
    tnd_log(TND_LOG_INFO, "call", "method", "a", NULL);
    tnd_log(TND_LOG_DEBUG, "call", "method", "b", NULL);
    assert_string_equal(written(), "");
    tnd_log_flush();
    const char *w = written();
    const char *a = strstr(w, "method=a\n"), *b = strstr(w, "method=b\n");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    tnd_log_flush(); /* nothing held: nothing more */
    assert_int_equal(strlen(written()), strlen(w));
}

static void test_a_warning_goes_out_at_once_after_what_is_held(void **state)
{
    (void)state;
    tnd_log_hold(true);
    tnd_log(TND_LOG_INFO, "call", "method", "a", NULL);
    tnd_log(TND_LOG_WARN, "disk", "free", "1%", NULL);
    const char *w = written();
    const char *a = strstr(w, "method=a\n"), *warn = strstr(w, "level=warn msg=disk free=1%\n");
    assert_non_null(a);
    assert_non_null(warn);
    assert_true(a < warn);
}

static void test_hold_off_writes_what_is_held(void **state)
{
    (void)state;
    tnd_log_hold(true);
    tnd_log(TND_LOG_INFO, "stopping", NULL);
    assert_string_equal(written(), "");
    tnd_log_hold(false);
    assert_non_null(strstr(written(), "msg=stopping\n"));
    tnd_log(TND_LOG_INFO, "stopped", NULL); /* no longer held */
    assert_non_null(strstr(written(), "msg=stopped\n"));
}

static void test_a_full_hold_is_written_and_nothing_is_lost(void **state)
{
    (void)state;
    tnd_log_hold(true);
    char n[16];
    for (int i = 0; i < 2000; i++) { /* about 130 KiB: more than one hold's worth */
        snprintf(n, sizeof n, "%d", i);
        tnd_log(TND_LOG_INFO, "call", "method", "tender.health.v1.Health/Check", "n", n, NULL);
    }
    assert_true(strlen(written()) > 0); /* the first full hold went out */
    tnd_log_flush();
    const char *w = written();
    int lines = 0;
    for (const char *p = w; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 2000);
    assert_non_null(strstr(w, " n=0\n"));
    assert_non_null(strstr(w, " n=1999\n"));
}

static void test_a_line_starts_with_its_time_and_a_long_one_is_cut(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tnd_log(TND_LOG_INFO, "first", "k", "v", NULL);
    tnd_log(TND_LOG_WARN, "long", "value", big, "after", "lost", NULL);
    const char *w = written();
    /* ts=2026-12-06T12:00:00.123Z level=info msg=first k=v */
    assert_int_equal(strncmp(w, "ts=", 3), 0);
    assert_true(w[7] == '-' && w[10] == '-' && w[13] == 'T' && w[16] == ':' && w[19] == ':' &&
                w[22] == '.' && w[26] == 'Z');
    assert_int_equal(strncmp(w + 27, " level=info msg=first k=v\n", 26), 0);
    const char *second = strchr(w, '\n') + 1;
    const char *end = strchr(second, '\n');
    assert_non_null(end);
    assert_true(end - second + 1 <= 2048); /* cut at 2 KiB, still one line */
    assert_null(strstr(second, "after=lost"));
    assert_string_equal(end + 1, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines_not_held_go_out_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_lines_wait_for_the_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_warning_goes_out_at_once_after_what_is_held, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hold_off_writes_what_is_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_full_hold_is_written_and_nothing_is_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_line_starts_with_its_time_and_a_long_one_is_cut,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
