/* The store on a full disk: a write that does not fit on the file system
 * fails with a message saying so ("no space left on device"), not LMDB's
 * "Input/output error" for the short write it sees. The disk is a tiny
 * tmpfs mounted for the test (and unmounted after); where mounting is not
 * permitted (not root, a container without CAP_SYS_ADMIN) the test is
 * skipped, saying why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

#define VAL (32 * 1024)

typedef struct fixture {
    uv_loop_t loop;
    char mnt[64];
    char db[96];
    bool mounted;
    tnd_store *s;
} fixture;

typedef struct op {
    char key[32];
    int status;
    char msg[TND_STORE_MSG_MAX + 1];
    bool done;
} op;

static int put_fn(tnd_wtx *w, void *arg)
{
    op *o = arg;
    static uint8_t buf[VAL];
    for (size_t i = 0; i < VAL; i++) /* not all zero, not compressible anyway */
        buf[i] = (uint8_t)(i * 7 + (uint8_t)o->key[4]);
    int rc = tnd_wtx_put_raw(w, TND_TABLE_DOCUMENTS, o->key, strlen(o->key), buf, VAL);
    return rc ? tnd_wtx_fail(w, 13, "put %s: %s", o->key, tnd_strerror(rc)) : 0;
}

static void put_done(void *arg, int status, const char *message)
{
    op *o = arg;
    o->status = status;
    snprintf(o->msg, sizeof o->msg, "%s", message);
    o->done = true;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    *state = fx;
    snprintf(fx->mnt, sizeof fx->mnt, "/tmp/tnd_full_XXXXXX");
    assert_non_null(mkdtemp(fx->mnt));
    snprintf(fx->db, sizeof fx->db, "%s/db", fx->mnt);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    if (mount("tnd_full", fx->mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=512k,mode=0700") != 0) {
        fprintf(stderr, "test_store_full: cannot mount a tmpfs (%s): full-disk test skipped\n",
                strerror(errno));
        return 0;
    }
    fx->mounted = true;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (fx->s) {
        tnd_store_close(fx->s);
        uv_run(&fx->loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(&fx->loop);
    if (fx->mounted && umount(fx->mnt) != 0)
        fprintf(stderr, "test_store_full: cannot unmount %s: %s\n", fx->mnt, strerror(errno));
    rmdir(fx->mnt);
    free(fx);
    return 0;
}

static void test_full_disk_named(void **state)
{
    fixture *fx = *state;
    if (!fx->mounted)
        skip();
    char err[256] = "";
    tnd_store_opts o = {.dir = fx->db, .map_size = 64 << 20};
    if (tnd_store_open(&fx->loop, &o, &fx->s, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    /* 512 KiB hold about 15 values of 32 KiB: write until one fails. */
    op ops[64];
    int failed = -1;
    for (int i = 0; i < 64 && failed < 0; i++) {
        memset(&ops[i], 0, sizeof ops[i]);
        snprintf(ops[i].key, sizeof ops[i].key, "doc-%02d", i);
        assert_int_equal(tnd_store_submit(fx->s, put_fn, put_done, &ops[i]), 0);
        while (!ops[i].done)
            uv_run(&fx->loop, UV_RUN_ONCE);
        if (ops[i].status != 0)
            failed = i;
    }
    assert_true(failed > 0); /* some fitted, then the disk was full */
    if (!strstr(ops[failed].msg, "no space left on device"))
        fail_msg("write %d failed with \"%s\"", failed, ops[failed].msg);
    assert_null(strstr(ops[failed].msg, "Input/output error"));
    assert_int_equal(ops[failed].status, TND_STATUS_UNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_disk_named, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
