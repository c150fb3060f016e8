/* Connecting to tenderd with the global options. */
#include "ctl.h"

int ctl_connect(const ctl_global *g, tnd_client **out)
{
    char err[512];
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = g->server;
    o.ca_file = g->ca;
    o.cert_file = g->cert;
    o.key_file = g->key;
    o.timeout_ms = g->timeout.ms;
    o.request_id = g->request_id;
    /* One process per command: a session ticket would never be offered,
     * and without the request tenderd does not build one (PROTOCOL.md). */
    o.no_resumption = true;
    if (!g->ca) {
        ctl_err("no CA certificate: give --ca FILE or set TENDER_CA");
        return CTL_EXIT_USAGE;
    }
    if (!g->cert != !g->key) {
        ctl_err("--cert and --key go together (or TENDER_CERT and TENDER_KEY)");
        return CTL_EXIT_USAGE;
    }
    int rc = tnd_client_open(&o, out, err, sizeof err);
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
