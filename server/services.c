/* tenderd's composition root (services.h): the services, in the order they
 * are built (store, log, methods), started (--http before the listener,
 * timers after it) and torn down (listeners, backups, timers, store, log). */
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awards/awards.h"
#include "bids/bid_verify.h"
#include "bids/bids.h"
#include "complaints/complaints.h"
#include "http/http.h"
#include "ops/backup.h"
#include "ops/health.h"
#include "ops/logging.h"
#include "replica/replica.h"
#include "store/store.h"
#include "svc/idem.h"
#include "tenders/tenders.h"
#include "tender/error.h"
#include "tlog/tlog.h"
#include "tlog/witnesses.h"

static int before_listen(tnd_server *srv, char *err, size_t err_len)
{
    if (!srv->cfg.http[0] || strcmp(srv->cfg.http, "off") == 0)
        return 0;
    struct sockaddr_storage hs;
    int rc = tnd__parse_hostport("--http", srv->cfg.http, &hs, err, err_len);
    if (rc == 0)
        rc = tnd_http_start(srv->store, tnd_tlog_vkey(srv), tnd_tlog_witnesses(srv),
                            (const struct sockaddr *)&hs,
                            srv->cfg.http, srv->cfg.http_timeout_ms / 1000, &srv->http, err,
                            err_len);
    if (rc != 0)
        return rc;
    char hp[16];
    snprintf(hp, sizeof hp, "%d", tnd_http_port(srv->http));
    tnd_log(TND_LOG_INFO, "serving http", "address", srv->cfg.http, "port", hp, NULL);
    return 0;
}

/* What only the writer runs: the scheduler and the idempotency pruner. */
static int start_writer_duties(tnd_server *srv)
{
    if ((!srv->scheduler && tnd_scheduler_start(srv) != 0) ||
        (!srv->idem_pruner && tnd_idem_pruner_start(srv) != 0))
        return TND_ENOMEM;
    return 0;
}

static int after_listen(tnd_server *srv, char *err, size_t err_len)
{
    if (srv->replica)
        return 0; /* the writer's duties start when this node becomes the writer */
    if (start_writer_duties(srv) != 0) {
        snprintf(err, err_len, "out of memory starting the scheduler");
        return TND_ENOMEM;
    }
    return 0;
}

static void draining(tnd_server *srv)
{
    tnd_health_set_serving(srv, 2 /* NOT_SERVING */);
}

static void stop(tnd_server *srv)
{
    tnd_http_stop(srv->http); /* before the store: its threads read it */
    srv->http = NULL;
    tnd_backup_service_stop(srv);
    tnd_bid_verifier_stop(srv);
    tnd_scheduler_stop(srv);
    tnd_idem_pruner_stop(srv);
    tnd_witnesses_stop(tnd_tlog_witnesses(srv)); /* no new round or write */
    tnd_replica_stop(srv->replica); /* before the store: its gate is the store's */
    srv->replica = NULL;
    if (srv->store)
        tnd_store_close(srv->store);
    srv->store = NULL;
    tnd_tlog_close(srv); /* after the store: its batch hook uses the log */
    tnd_log_unset_clock(srv->clock); /* the log lines' time is real again */
}

static const tnd_server_hooks hooks = {
    .before_listen = before_listen,
    .after_listen = after_listen,
    .draining = draining,
    .shutdown = stop,
};

/* ---- the replicated mode (--store postgresql://, docs/SCALING.md) ---- */

void tnd_services_set_role(tnd_server *srv, bool is_writer, const char *writer)
{
    tnd_server_set_writer(srv, is_writer, writer);
    if (is_writer) {
        if (start_writer_duties(srv) != 0)
            tnd_log(TND_LOG_ERROR, "out of memory starting the scheduler", NULL);
    } else {
        tnd_scheduler_stop(srv);
        tnd_idem_pruner_stop(srv);
    }
    tnd_log(TND_LOG_INFO, is_writer ? "role: writer" : "role: follower", "writer",
            writer ? writer : "(none yet)", NULL);
}

static void on_role(void *arg, bool is_writer, const char *writer)
{
    tnd_services_set_role(arg, is_writer, writer);
}

static void on_fatal(void *arg, const char *why)
{
    tnd_server *srv = arg;
    tnd_log(TND_LOG_ERROR, "stopping: this node cannot join the cluster", "error", why, NULL);
    srv->exit_status = 1;
    tnd_server_drain(srv);
}

static int start_replica(tnd_server *srv, char *err, size_t err_len)
{
    const tnd_config *cfg = &srv->cfg;
    if (strcmp(cfg->store, "lmdb") == 0)
        return 0;
    if (!tnd_replica_store_is_postgresql(cfg->store)) {
        snprintf(err, err_len, "--store: give lmdb or a postgresql:// URI");
        return TND_EINVAL;
    }
    tnd_replica_opts o = {.uri = cfg->store,
                          .me = cfg->advertise[0] ? cfg->advertise : cfg->listen,
                          .log_key = tnd_tlog_vkey(srv),
                          .lease_ttl_ms = cfg->lease_ttl_ms,
                          .metrics = srv->metrics,
                          .on_role = on_role,
                          .on_fatal = on_fatal,
                          .arg = srv};
    /* A follower until the lease says otherwise: writes are refused meanwhile. */
    tnd_server_set_writer(srv, false, NULL);
    return tnd_replica_start(srv->loop, srv->store, &o, &srv->replica, err, err_len);
}

int tnd_services_exit_status(const tnd_server *srv)
{
    return srv ? srv->exit_status : 0;
}

/* The method table, in the order reflection lists it. */
static int register_services(tnd_server *srv)
{
    int (*const reg[])(tnd_server *) = {
        tnd_health_register, tnd_reflection_register, tnd_tenders_register,
        tnd_tlog_service_register, tnd_bids_register, tnd_awards_register,
        tnd_complaints_register, tnd_backup_service_register,
    };
    for (size_t i = 0; i < sizeof reg / sizeof *reg; i++) {
        int rc = reg[i](srv);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int tnd_services_new(uv_loop_t *loop, const tnd_config *cfg, const tnd_clock *clock,
                     tnd_server **out, char *err, size_t err_len)
{
    tnd_server *srv;
    *out = NULL;
    int rc = tnd_server_new(loop, cfg, &hooks, &srv, err, err_len);
    if (rc != 0)
        return rc;
    srv->clock = clock;
    if (clock)
        tnd_log_set_clock(clock);
    tnd_store_opts so = {.dir = cfg->db,
                         .map_size = cfg->map_size,
                         .max_map_size = cfg->max_map_size,
                         .queue_cap = cfg->write_queue,
                         .metrics = srv->metrics,
                         .clock = clock};
    rc = tnd_store_open(loop, &so, &srv->store, err, err_len);
    if (rc == 0)
        rc = tnd_tlog_open(srv, err, err_len);
    if (rc == 0)
        rc = start_replica(srv, err, err_len);
    if (rc == 0 && (rc = register_services(srv)) != 0)
        snprintf(err, err_len, "out of memory registering services");
    if (rc != 0) {
        tnd_server_free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

int tnd_services_http_port(const tnd_server *srv)
{
    return tnd_http_port(srv->http);
}

typedef struct settle {
    void (*done)(void *arg);
    void *arg;
} settle;

/* The writer runs writes in the order they came: this empty one commits
 * after everything the clock's move submitted before it. */
static int barrier(tnd_wtx *w, void *arg)
{
    (void)w;
    (void)arg;
    return 0;
}

static void settled(void *arg, int status, const char *message)
{
    (void)status;
    (void)message;
    settle *s = arg;
    s->done(s->arg);
    free(s);
}

void tnd_services_clock_moved(tnd_server *srv, void (*done)(void *arg), void *arg)
{
    tnd_scheduler_clock_moved(srv);
    tnd_idem_pruner_clock_moved(srv);
    settle *s = malloc(sizeof *s);
    if (s) {
        *s = (settle){done, arg};
        if (srv->store && tnd_store_submit(srv->store, barrier, settled, s) == 0)
            return;
        free(s);
    }
    done(arg);
}
