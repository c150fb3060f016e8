/* A listening TCP socket (see listen.h). */
#include "listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tender/error.h"

int tnd_listen_tcp(const struct sockaddr *addr, int backlog, const char *spec, const char *what,
                   int *fd_out, int *port, char *err, size_t err_len)
{
    socklen_t alen =
        addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, addr, alen) != 0 || listen(fd, backlog) != 0)
        goto close_fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        goto close_fd;
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
close_fd:;
    int e = errno;
    close(fd);
    errno = e;
fail:
    snprintf(err, err_len, "cannot listen on %s for %s: %s", spec, what, strerror(errno));
    return TND_EIO;
}
