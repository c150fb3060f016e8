/* --server lists of the benchmarks (servers.h). */
#include "servers.h"

#include <stdio.h>
#include <string.h>

int bench_servers_add(bench_servers *s, char *arg, const char *tool)
{
    for (char *a = arg;;) {
        char *comma = strchr(a, ',');
        if (comma)
            *comma = '\0';
        if (!*a || s->n == TND_CLIENT_MAX_SERVERS) {
            if (*a)
                fprintf(stderr, "%s: --server: more than %d addresses\n", tool,
                        TND_CLIENT_MAX_SERVERS);
            else
                fprintf(stderr, "%s: --server: an empty address in the list (expected "
                        "HOST:PORT[,HOST:PORT...])\n", tool);
            return -1;
        }
        s->v[s->n++] = a;
        if (!comma)
            return 0;
        a = comma + 1;
    }
}

void bench_servers_use(const bench_servers *s, tnd_client_opts *co)
{
    if (s->n == 1) {
        co->server = s->v[0];
    } else {
        co->servers = s->v;
        co->n_servers = s->n;
    }
}
