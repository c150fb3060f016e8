/* tenderctl health [--watch] [SERVICE]: tender.health.v1.Health Check / Watch. */
#include <stddef.h>

#include "cli/ctl.h"
#include "commands.h"
#include "tender_schema.h"

static const char *status_name(int v)
{
    const tnd_enum_desc *e = &tender_health_v1_ServingStatus_desc;
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number == v)
            return e->values[i].name;
    return "UNKNOWN";
}

/* The status, and in a replicated group the node's role and its writer. */
static void print_status(const ctl_global *g, const tender_health_v1_HealthCheckResponse *r)
{
    const char *role = r->role == tender_health_v1_NodeRole_WRITER     ? "writer"
                       : r->role == tender_health_v1_NodeRole_FOLLOWER ? "follower"
                                                                       : "alone";
    const char *writer = r->writer && *r->writer ? r->writer : NULL;
    if (g->json) {
        json_t *o = json_pack("{s:o, s:o}", "status", ctl_json_str(status_name(r->status)),
                              "role", ctl_json_str(role));
        if (o && writer)
            json_object_set_new(o, "writer", ctl_json_str(writer));
        ctl_json_print(o);
    } else if (r->role == tender_health_v1_NodeRole_WRITER) {
        printf("%s (the writer)\n", status_name(r->status));
    } else if (r->role == tender_health_v1_NodeRole_FOLLOWER) {
        if (writer)
            printf("%s (a follower; the writer is %s)\n", status_name(r->status), writer);
        else
            printf("%s (a follower; no writer at the moment)\n", status_name(r->status));
    } else {
        printf("%s\n", status_name(r->status));
    }
    fflush(stdout);
}

typedef struct health_opts {
    bool watch;
} health_opts;

static int health(ctl_global *g, const ctl_call *call)
{
    const health_opts *o = call->opts;
    const char *service = call->n_pos ? call->pos[0] : NULL;
    bool watch = o->watch;
    tnd_client *c;
    int rc = ctl_connect(g, &c);
    if (rc != 0)
        return rc;
    tender_health_v1_HealthCheckRequest req = {.service = ctl_str(call, service ? service : "")};
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    if (!req.service) {
        tnd_client_free(c);
        return ctl_oom();
    }
    if (!watch) {
        if (tender_health_v1_Health_Check_in(c, call->arena, &req, &resp, NULL, &st) != 0) {
            tnd_client_free(c);
            return ctl_reply_fail(call->arena, &st);
        }
        print_status(g, &resp);
        tnd_client_free(c);
        return resp.status == tender_health_v1_ServingStatus_SERVING ? CTL_EXIT_OK
                                                                     : CTL_EXIT_NOT_SERVING;
    }
    tnd_call_opts opts = {.timeout_ms = ctl_stream_timeout(g)};
    tnd_client_stream *s;
    if (tnd_client_stream_open(c, tender_health_v1_Health_Watch_method, &req, &opts, &s, &st) !=
        0) {
        tnd_client_free(c);
        return ctl_status_fail(&st);
    }
    int last = -1;
    while (tnd_client_stream_next(s, &resp, &st) == 1) {
        last = resp.status;
        print_status(g, &resp);
    }
    tnd_client_stream_close(s);
    tnd_client_free(c);
    if (st.code != TND_STATUS_OK)
        return ctl_status_fail(&st);
    return last == tender_health_v1_ServingStatus_SERVING ? CTL_EXIT_OK : CTL_EXIT_NOT_SERVING;
}

static const ctl_optdef health_optdefs[] = {
    {.name = "--watch", .kind = CTL_BOOL, .at = offsetof(health_opts, watch),
     .help = "Keep the call open and print every change (no deadline unless *--timeout* is\n"
             "given), until the server ends the stream."},
    {0},
};

const ctl_cmd ctl_cmd_health = {
    .name = "health",
    .synopsis = "[*--watch*] [_SERVICE_]",
    .summary = "is the server (or SERVICE) serving?",
    .about = "Whether the server (or the named service, e.g. *tender.health.v1.Health*) is\n"
             "serving: prints SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN\n"
             "({\"status\":\"SERVING\",\"role\":\"alone\"} with *--json*). A node of a replicated\n"
             "group adds its role: \"(the writer)\", or \"(a follower; the writer is HOST:PORT)\"\n"
             "(*--json*: \"role\" writer or follower, and \"writer\"). Exit status 0 when SERVING, 3 otherwise,\n"
             "10 + N when the call fails with gRPC status N. *--watch* keeps the call open and\n"
             "prints every change (no deadline unless *--timeout* is given) until the server\n"
             "ends the stream.",
    .opts = health_optdefs,
    .opts_size = sizeof(health_opts),
    .max_pos = 1,
    .pos_values = "tender.health.v1.Health tender.tenders.v1.Tenders tender.bids.v1.Bids "
                  "tender.log.v1.Log tender.awards.v1.Awards tender.reflection.v1.Reflection",
    .run = health,
};
