/* The server addresses of a benchmark's command line: --server repeated or a
 * comma-separated list, for the nodes of a replicated group (docs/SCALING.md,
 * "Clients"); libtender moves between them (tender/client.h). */
#ifndef TND_BENCH_SERVERS_H
#define TND_BENCH_SERVERS_H

#include <stddef.h>

#include "tender/client.h"

typedef struct bench_servers {
    const char *v[TND_CLIENT_MAX_SERVERS];
    size_t n;
} bench_servers;

/** Add the addresses of one --server value (split at commas, in place:
 * arg is changed and must outlive s). 0, or -1 with a message on stderr
 * starting with tool (an empty address, more than TND_CLIENT_MAX_SERVERS). */
int bench_servers_add(bench_servers *s, char *arg, const char *tool);

/** Point co at them: server for one (as before lists existed), servers for
 * several. */
void bench_servers_use(const bench_servers *s, tnd_client_opts *co);

#endif
