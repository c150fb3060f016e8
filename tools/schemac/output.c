/* Writing the two generated files so that a failed run leaves neither half-written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write buf to tmp (created fresh, honouring the umask). */
static int write_tmp(const char *tmp, const sc_buf *buf)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        goto fail;
    if (write_all(fd, buf->data ? buf->data : "", buf->len) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        goto fail;
    }
    if (close(fd) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "schemac: cannot write %s: %s\n", tmp, strerror(errno));
    return -1;
}

int sc_write_outputs(sc_arena *a, const char *prefix, const sc_buf *header, const sc_buf *source)
{
    int rc = -1;
    long pid = (long)getpid();
    const char *h = sc_sprintf(a, "%s.h", prefix), *c = sc_sprintf(a, "%s.c", prefix);
    const char *htmp = sc_sprintf(a, "%s.h.tmp%ld", prefix, pid);
    const char *ctmp = sc_sprintf(a, "%s.c.tmp%ld", prefix, pid);
    bool hmade = false, cmade = false;

    if (write_tmp(htmp, header) < 0)
        goto cleanup;
    hmade = true;
    if (write_tmp(ctmp, source) < 0)
        goto cleanup;
    cmade = true;
    /* Both files are complete before either replaces the old one. */
    if (rename(ctmp, c) < 0) {
        fprintf(stderr, "schemac: cannot rename %s to %s: %s\n", ctmp, c, strerror(errno));
        goto cleanup;
    }
    cmade = false;
    if (rename(htmp, h) < 0) {
        fprintf(stderr, "schemac: cannot rename %s to %s: %s\n", htmp, h, strerror(errno));
        unlink(c); /* a .c without its matching .h would not compile */
        goto cleanup;
    }
    hmade = false;
    rc = 0;
cleanup:
    if (hmade)
        unlink(htmp);
    if (cmade)
        unlink(ctmp);
    return rc;
}
