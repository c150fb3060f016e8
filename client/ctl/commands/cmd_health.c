/* tenderctl health [--watch] [SERVICE]: tender.health.v1.Health Check / Watch. */
#include <string.h>

#include "ctl.h"
#include "tender_schema.h"

static const char health_usage[] =
    "usage: tenderctl health [--watch] [SERVICE]\n"
    "\n"
    "Ask whether the server (or the named service, e.g. tender.health.v1.Health) is\n"
    "serving. Prints SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN\n"
    "({\"status\":\"SERVING\"} with --json). Exit status 0 when SERVING, 3 otherwise,\n"
    "10 + N when the call fails with gRPC status N.\n"
    "\n"
    "  --watch   keep the call open and print every change (no deadline unless\n"
    "            --timeout is given); ends when the server ends the stream\n";

static const char *status_name(int v)
{
    const tnd_enum_desc *e = &tender_health_v1_ServingStatus_desc;
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number == v)
            return e->values[i].name;
    return "UNKNOWN";
}

static void print_status(const ctl_global *g, int v)
{
    if (g->json) {
        ctl_json_print(json_pack("{s:o}", "status", ctl_json_str(status_name(v))));
    } else {
        printf("%s\n", status_name(v));
    }
    fflush(stdout);
}

int cmd_health(ctl_global *g, int argc, char **argv)
{
    const char *service = NULL;
    bool watch = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(health_usage, stdout);
            return CTL_EXIT_OK;
        }
        if (strcmp(argv[i], "--watch") == 0) {
            watch = true;
            continue;
        }
        int r = ctl_global_option(g, argc, argv, &i);
        if (r < 0)
            return CTL_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || service) {
            ctl_err("health: unexpected argument \"%s\" (see tenderctl health --help)", argv[i]);
            return CTL_EXIT_USAGE;
        }
        service = argv[i];
    }
    tnd_client *c;
    int rc = ctl_connect(g, &c);
    if (rc != 0)
        return rc;
    tender_health_v1_HealthCheckRequest req = {.service = (char *)(service ? service : "")};
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    if (!watch) {
        if (tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp, NULL, &st) !=
            0) {
            tnd_client_free(c);
            return ctl_status_fail(&st);
        }
        print_status(g, resp.status);
        tnd_client_free(c);
        return resp.status == tender_health_v1_ServingStatus_SERVING ? CTL_EXIT_OK
                                                                     : CTL_EXIT_NOT_SERVING;
    }
    tnd_call_opts opts = {.timeout_ms = g->timeout_given ? g->timeout_ms : TND_NO_DEADLINE};
    tnd_client_stream *s;
    if (tnd_client_stream_open(c, tender_health_v1_Health_Watch_method, &req, &opts, &s, &st) !=
        0) {
        tnd_client_free(c);
        return ctl_status_fail(&st);
    }
    int last = -1;
    while (tnd_client_stream_next(s, &resp, &st) == 1) {
        last = resp.status;
        print_status(g, last);
    }
    tnd_client_stream_close(s);
    tnd_client_free(c);
    if (st.code != TND_STATUS_OK)
        return ctl_status_fail(&st);
    return last == tender_health_v1_ServingStatus_SERVING ? CTL_EXIT_OK : CTL_EXIT_NOT_SERVING;
}
