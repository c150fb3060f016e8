/* A listening TCP socket for the plain HTTP listeners (the --http portal,
 * the metrics endpoint). */
#ifndef TND_COMMON_LISTEN_H
#define TND_COMMON_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

/** Bind a close-on-exec stream socket with SO_REUSEADDR to addr (IPv4 or
 * IPv6), listen with backlog, and store the descriptor in *fd_out and the
 * bound port (the one the kernel chose when addr's port is 0) in *port.
 * Returns 0, or TND_EIO with "cannot listen on SPEC for WHAT: REASON" in err
 * and nothing left open. */
int tnd_listen_tcp(const struct sockaddr *addr, int backlog, const char *spec, const char *what,
                   int *fd_out, int *port, char *err, size_t err_len);

#endif
