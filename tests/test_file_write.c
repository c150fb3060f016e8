/* Unit tests of common/file_write.c: a whole file written through a
 * temporary file, replacing or refusing an existing one, nothing left
 * behind on a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_write.h"

static char dir[64];
static int dfd = -1;

static int setup(void **state)
{
    (void)state;
    umask(022);
    snprintf(dir, sizeof dir, "/tmp/tnd_fw_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    return dfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = fdopendir(dfd);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            (void)unlinkat(dfd, e->d_name, 0);
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

/* The names in the folder other than "." and "..". */
static int entries(void)
{
    int n = 0, fd = dup(dfd);
    DIR *d = fdopendir(fd);
    rewinddir(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void expect_content(const char *name, const char *want, mode_t mode)
{
    char buf[64] = {0};
    int fd = openat(dfd, name, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    close(fd);
    assert_int_equal(n, (ssize_t)strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(sb.st_mode & 0777, mode & ~(mode_t)022);
}

static void test_replace(void **state)
{
    (void)state;
    assert_int_equal(tnd_file_write_at(dfd, "a", "first", 5, 0600, true), 0);
    expect_content("a", "first", 0600);
    assert_int_equal(tnd_file_write_at(dfd, "a", "second", 6, 0600, true), 0);
    expect_content("a", "second", 0600);
    assert_int_equal(entries(), 1); /* no temporary file left */
}

static void test_no_replace_keeps_the_older_file(void **state)
{
    (void)state;
    assert_int_equal(tnd_file_write_at(dfd, "b", "old", 3, 0644, false), 0);
    errno = 0;
    assert_int_equal(tnd_file_write_at(dfd, "b", "new", 3, 0644, false), -1);
    assert_int_equal(errno, EEXIST);
    expect_content("b", "old", 0644);
    assert_int_equal(entries(), 2); /* a and b, no temporary file */
}

static void test_path_from_the_current_folder(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/c", dir);
    assert_int_equal(tnd_file_write_at(AT_FDCWD, p, "", 0, 0600, true), 0);
    expect_content("c", "", 0600);
}

static void test_stale_temporary_file_is_replaced(void **state)
{
    (void)state;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "d.tmp%ld", (long)getpid());
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "crashed", 7), 7);
    close(fd);
    assert_int_equal(tnd_file_write_at(dfd, "d", "whole", 5, 0600, true), 0);
    expect_content("d", "whole", 0600);
    assert_int_equal(faccessat(dfd, tmp, F_OK, 0), -1);
}

static void test_failures_leave_nothing(void **state)
{
    (void)state;
    int before = entries();
    char longname[5000];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    errno = 0;
    assert_int_equal(tnd_file_write_at(dfd, longname, "x", 1, 0600, true), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    /* A folder in the way of the rename: the temporary file is removed. */
    assert_int_equal(mkdirat(dfd, "e", 0700), 0);
    assert_int_equal(tnd_file_write_at(dfd, "e", "x", 1, 0600, true), -1);
    assert_int_equal(entries(), before + 1);
    assert_int_equal(unlinkat(dfd, "e", AT_REMOVEDIR), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_no_replace_keeps_the_older_file),
        cmocka_unit_test(test_path_from_the_current_folder),
        cmocka_unit_test(test_stale_temporary_file_is_replaced),
        cmocka_unit_test(test_failures_leave_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
