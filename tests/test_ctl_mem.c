/* tenderctl's run memory (client/ctl/cli/mem.c) and its failure (out.c):
 * a request string is a copy in the run's arena, and an arena that runs
 * out, building a request or decoding a reply, is the local failure "out of
 * memory" (exit 1), not a crash and not the call's status. The two files
 * are compiled in here: they need nothing of tenderctl but ctl.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../client/ctl/cli/mem.c"
#include "../client/ctl/cli/out.c"

/* Run f with stderr in a file; what it wrote into out. */
static int with_stderr(int (*f)(void *), void *arg, char *out, size_t len)
{
    char name[] = "/tmp/tnd_ctl_mem_XXXXXX";
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0 && dup2(fd, 2) == 2);
    int rc = f(arg);
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    ssize_t n = pread(fd, out, len - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(name);
    return rc;
}

typedef struct reply {
    tnd_arena *arena;
    tnd_status_info st;
} reply;

static int fail_reply(void *arg)
{
    reply *r = arg;
    return ctl_reply_fail(r->arena, &r->st);
}

static void test_str_in_arena(void **state)
{
    (void)state;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    ctl_call c = {.arena = &a};
    const char *arg = "T-1";
    char *s = ctl_str(&c, arg);
    assert_non_null(s);
    assert_ptr_not_equal(s, arg); /* a copy the request may own */
    assert_string_equal(s, "T-1");
    assert_null(ctl_str(&c, NULL));
    assert_false(tnd_arena_failed(&a)); /* NULL is no failure */
    tnd_arena_free(&a);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    char big[4096], err[512];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tnd_arena a;
    tnd_arena_init(&a, 256);
    ctl_call c = {.arena = &a};
    assert_null(ctl_str(&c, big));
    assert_null(ctl_str(&c, "small")); /* sticky: checked once */
    assert_true(tnd_arena_failed(&a));

    /* A call that failed because the arena ran out: exit 1, "out of memory". */
    reply r = {.arena = &a, .st = {.code = TND_STATUS_RESOURCE_EXHAUSTED}};
    snprintf(r.st.message, sizeof r.st.message, "out of memory decoding a response");
    assert_int_equal(with_stderr(fail_reply, &r, err, sizeof err), CTL_EXIT_FAIL);
    assert_string_equal(err, "tenderctl: out of memory reading the server's answer\n");
    tnd_arena_free(&a);

    /* With room left, the call's own status, as before. */
    tnd_arena_init(&a, 0);
    r.st.code = TND_STATUS_RESOURCE_EXHAUSTED;
    snprintf(r.st.message, sizeof r.st.message, "too many calls");
    assert_int_equal(with_stderr(fail_reply, &r, err, sizeof err),
                     CTL_EXIT_STATUS + TND_STATUS_RESOURCE_EXHAUSTED);
    assert_string_equal(err, "tenderctl: RESOURCE_EXHAUSTED: too many calls\n");
    tnd_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_in_arena),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests_name("ctl_mem", tests, NULL, NULL);
}
