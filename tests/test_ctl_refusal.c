/* End-to-end: tenderctl tells a refused bid from one whose fate is unknown.
 * The real tenderd keeps its database on a small tmpfs mounted for the
 * test; once a tender is published the disk is filled, so the server
 * answers the bid with STATUS UNAVAILABLE "... no space left on device".
 * That is the server's word: tenderctl must not say "the bid may have
 * arrived" (as it did for every UNAVAILABLE) and must not keep the bid
 * file. Where mounting is not permitted the test is skipped, saying why. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctlrun.h"

static char db[300], vkey[400];
static bool mounted;

static int setup(void **state)
{
    (void)state;
    if (ctlrun_init("/tmp/tnd_refusal_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (mkdir(db, 0700) != 0)
        return -1;
    if (mount("tnd_refusal", db, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0700") != 0) {
        fprintf(stderr, "test_ctl_refusal: cannot mount a tmpfs (%s): test skipped\n",
                strerror(errno));
        return 0;
    }
    mounted = true;
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    return ctlrun_start_server(NULL);
}

static int teardown(void **state)
{
    ctlrun_kill_server();
    if (mounted && umount(db) != 0)
        fprintf(stderr, "test_ctl_refusal: cannot unmount %s: %s\n", db, strerror(errno));
    return ctlrun_teardown(state);
}

/* Fill the file system of dir, leaving nothing. */
static void fill_disk(const char *dir)
{
    char f[400];
    snprintf(f, sizeof f, "%s/filler", dir);
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char block[4096];
    memset(block, 0xa5, sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    while (write(fd, block, 1) > 0)
        ;
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

/* Files in dir whose name ends in .bid (0 when dir is absent). */
static int bid_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        n += l > 4 && strcmp(e->d_name + l - 4, ".bid") == 0;
    }
    closedir(d);
    return n;
}

static void test_refused_bid_is_not_maybe(void **state)
{
    (void)state;
    if (!mounted)
        skip();
    char pub[3][64], committee[300], text[1024], id[64], dl[32], op[32], bids[300], f[400];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL);
    ctl("officer", "tender", "create", "--title", "Snow clearing", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 3600), "--opening",
        at(op, sizeof op, t0 + 3660), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);

    fill_disk(db);
    path(bids, sizeof bids, "bids");
    ctl("supplier", "--log-key", vkey, "bid", "submit", id, "--price", "100000", "--currency",
        "KRW", "--bids-dir", bids, NULL);
    EXPECT(10 + 14); /* UNAVAILABLE, from the server */
    HAS(R.err, "no space left on device");
    HAS_NOT(R.err, "may have arrived");
    snprintf(f, sizeof f, "%s/%s", bids, id);
    assert_int_equal(bid_files(f), 0); /* refused: nothing to keep */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_bid_is_not_maybe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
