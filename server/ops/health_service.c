/* tender.health.v1.Health: Check and Watch with grpc.health.v1 semantics.
 * The server as a whole ("") and each registered service report SERVING,
 * or NOT_SERVING while the server drains. */
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "store/store.h"
#include "tender_schema.h"

struct tnd_health_watch {
    tnd_call *call;
    int last_sent; /* the status last sent, to send only changes */
    tnd_health_watch *next;
};

/* The status of a service name, or -1 when the server has no such service. */
static int status_of(const tnd_server *srv, const char *service)
{
    /* A store that cannot take writes (full at its maximum size, or failed)
     * makes the whole server NOT_SERVING: load balancers should look elsewhere. */
    int serving = srv->serving;
    if (serving == 1 && srv->store && !tnd_store_writable(srv->store))
        serving = 2;
    if (!service || !*service)
        return serving;
    for (size_t i = 0; i < srv->n_handlers; i++) {
        const char *full = srv->handlers[i]->method->full_name;
        const char *slash = strchr(full, '/');
        if (slash && strlen(service) == (size_t)(slash - full) &&
            strncmp(full, service, (size_t)(slash - full)) == 0)
            return serving;
    }
    return -1;
}

/* A response with the status and the node's role in its group. */
static tender_health_v1_HealthCheckResponse response(const tnd_server *srv, int st)
{
    tender_health_v1_HealthCheckResponse r = {.status = (tender_health_v1_ServingStatus)st};
    if (!srv->is_writer || srv->replica) {
        r.role = srv->is_writer ? tender_health_v1_NodeRole_WRITER
                                : tender_health_v1_NodeRole_FOLLOWER;
        r.writer = (char *)srv->writer; /* encoded before the call returns */
    }
    return r;
}

static void check_on_message(tnd_call *call, void *request)
{
    const tender_health_v1_HealthCheckRequest *req = request;
    int st = status_of(tnd_call_server(call), req->service);
    if (st < 0) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND,
                        "unknown service \"%s\" (`tenderctl methods` lists the services)",
                        req->service);
        return;
    }
    tender_health_v1_HealthCheckResponse resp = response(tnd_call_server(call), st);
    if (tnd_call_send(call, &resp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static void watch_send(tnd_health_watch *w, int st)
{
    if (st == w->last_sent)
        return;
    tender_health_v1_HealthCheckResponse resp = response(tnd_call_server(w->call), st);
    /* A watcher that does not read keeps only its latest status: if a
     * previous message still waits for credit, this one is skipped and the
     * next change is sent once credit returns. */
    if (tnd_call_send(w->call, &resp) == 0)
        w->last_sent = st;
}

static void watch_on_message(tnd_call *call, void *request)
{
    const tender_health_v1_HealthCheckRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    int st = status_of(srv, req->service);
    tnd_health_watch *w = calloc(1, sizeof *w);
    if (!w) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    w->call = call;
    w->last_sent = -2;
    w->next = srv->watches;
    srv->watches = w;
    tnd_call_set_user(call, w);
    tnd_call_ref(call);
    watch_send(w, st < 0 ? 3 /* SERVICE_UNKNOWN */ : st);
}

static void watch_on_cancel(tnd_call *call)
{
    tnd_health_watch *w = tnd_call_user(call);
    tnd_server *srv = tnd_call_server(call);
    if (!w || !srv)
        return;
    for (tnd_health_watch **p = &srv->watches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    tnd_call_set_user(call, NULL);
    free(w);
    tnd_call_unref(call);
}

void tnd_health_set_serving(tnd_server *srv, int status)
{
    srv->serving = status;
    for (tnd_health_watch *w = srv->watches; w; w = w->next)
        watch_send(w, status);
}

static const tnd_handler health_check = {
    .method = tender_health_v1_Health_Check_method,
    .on_message = check_on_message,
};

static const tnd_handler health_watch = {
    .method = tender_health_v1_Health_Watch_method,
    .on_message = watch_on_message,
    .on_cancel = watch_on_cancel,
};

int tnd_health_register(tnd_server *srv)
{
    int rc = tnd_server_register(srv, &health_check);
    return rc ? rc : tnd_server_register(srv, &health_watch);
}
