/* Writing a whole file through a temporary file (see file_write.h). */
#include "file_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int tnd_file_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      bool replace)
{
    char tmp[4200];
    int e, n = snprintf(tmp, sizeof tmp, "%s.tmp%ld", name, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    (void)unlinkat(dirfd, tmp, 0);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto fail;
    e = close(fd);
    fd = -1;
    if (e != 0)
        goto fail;
    if (replace) {
        if (renameat(dirfd, tmp, dirfd, name) != 0)
            goto fail;
    } else {
        if (linkat(dirfd, tmp, dirfd, name, 0) != 0)
            goto fail;
        (void)unlinkat(dirfd, tmp, 0);
    }
    return 0;
fail:
    e = errno;
    if (fd >= 0)
        close(fd);
    (void)unlinkat(dirfd, tmp, 0);
    errno = e;
    return -1;
}
