/* Connecting to tenderd with the global options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The addresses --server (or else TENDER_SERVER) gives, commas split, in
 * order: each in text (one copy, commas made NULs) and in list. Returns the
 * count (0: none given), or -1 for an empty address or too many (message
 * printed). */
static int split_servers(const ctl_global *g, char **text, const char *list[], size_t max)
{
    const char *one = g->server_env;
    const char *const *vals = g->servers.n ? g->servers.v : &one;
    size_t n_vals = g->servers.n ? g->servers.n : (one ? 1 : 0), total = 0, n = 0;
    *text = NULL;
    for (size_t i = 0; i < n_vals; i++)
        total += strlen(vals[i]) + 1;
    if (n_vals == 0)
        return 0;
    char *p = *text = malloc(total);
    if (!p) {
        ctl_err("out of memory");
        return -1;
    }
    for (size_t i = 0; i < n_vals; i++) {
        size_t len = strlen(vals[i]);
        memcpy(p, vals[i], len + 1);
        for (char *a = p, *end = p + len; a <= end; a++) {
            char *comma = strchr(a, ',');
            if (comma)
                *comma = '\0';
            if (!*a || n == max) {
                ctl_err(!*a ? "--server %s: an empty address in the list (expected "
                              "HOST:PORT[,HOST:PORT...])"
                            : "--server %s: more than %zu addresses",
                        vals[i], max);
                free(*text);
                *text = NULL;
                return -1;
            }
            list[n++] = a;
            a += strlen(a);
        }
        p += len + 1;
    }
    return (int)n;
}

const char *ctl_first_server(const ctl_global *g, char *buf, size_t len)
{
    char *text;
    const char *list[TND_CLIENT_MAX_SERVERS];
    int n = split_servers(g, &text, list, TND_CLIENT_MAX_SERVERS);
    snprintf(buf, len, "%s", n > 0 ? list[0] : TND_CLIENT_DEFAULT_SERVER);
    free(text);
    return buf;
}

int ctl_connect(const ctl_global *g, tnd_client **out)
{
    char err[512], *text;
    const char *list[TND_CLIENT_MAX_SERVERS];
    int n = split_servers(g, &text, list, TND_CLIENT_MAX_SERVERS);
    if (n < 0)
        return CTL_EXIT_USAGE;
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.servers = n > 0 ? list : NULL;
    o.n_servers = (size_t)n;
    o.ca_file = g->ca;
    o.cert_file = g->cert;
    o.key_file = g->key;
    o.timeout_ms = g->timeout.ms;
    o.request_id = g->request_id;
    /* One process per command: a session ticket would never be offered,
     * and without the request tenderd does not build one (PROTOCOL.md). */
    o.no_resumption = true;
    if (!g->ca) {
        free(text);
        ctl_err("no CA certificate: give --ca FILE or set TENDER_CA");
        return CTL_EXIT_USAGE;
    }
    if (!g->cert != !g->key) {
        free(text);
        ctl_err("--cert and --key go together (or TENDER_CERT and TENDER_KEY)");
        return CTL_EXIT_USAGE;
    }
    int rc = tnd_client_open(&o, out, err, sizeof err);
    free(text); /* the client keeps its own copies */
    if (rc != 0) {
        ctl_err("%s", err);
        return rc == TND_EINVAL ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
    }
    return 0;
}

uint32_t ctl_stream_timeout(const ctl_global *g)
{
    return g->timeout.given ? g->timeout.ms : TND_NO_DEADLINE;
}
