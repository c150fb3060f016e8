/* tenderd's composition root: which services the server runs, and the order
 * in which they are built, started and torn down. The transport
 * (transport/server.h) knows method handlers and hooks only; this file
 * opens the store and the transparency log, registers every service's
 * methods, and through the hooks starts and stops the --http listener, the
 * deadline scheduler and the idempotency pruner. main.c, the tests' server
 * and the benchmark seeder build tenderd here. */
#ifndef TND_SERVER_SERVICES_H
#define TND_SERVER_SERVICES_H

#include "ops/clock.h"
#include "transport/server.h"

/** Build tenderd on loop with cfg. clock is the server's wall clock (NULL:
 * the real one; tests pass a manual one), and must outlive the server.
 * Then tnd_server_start, and at the end tnd_server_shutdown and
 * tnd_server_free as for any server. Returns 0, or the code of the part
 * that failed with its message in err: TND_ETLS (a certificate, key or CA
 * that cannot be used) or the CRL loader's code; the store's (TND_EIO a
 * database folder that cannot be opened, TND_ERANGE another format, ...);
 * the transparency log's (its key file, or a stored tree that does not
 * match its checkpoint); TND_ENOMEM. */
int tnd_services_new(uv_loop_t *loop, const tnd_config *cfg, const tnd_clock *clock,
                     tnd_server **out, char *err, size_t err_len);

/** The --http listener's port; -1 without one. */
int tnd_services_http_port(const tnd_server *srv);

/** What tenderd exits with once its loop has stopped: 0, or 1 when the
 * node stopped because it cannot join its cluster (the replicated mode). */
int tnd_services_exit_status(const tnd_server *srv);

/** On the loop thread: this node's role changed (the replicated mode,
 * replica.h). The gate on writes moves (tnd_server_set_writer; writer: the
 * writer's address, NULL when unknown), and the writer's duties, the
 * deadline scheduler and the idempotency pruner, start or stop. A duty
 * stopped with a write queued is freed once that write's done callback has
 * run. */
void tnd_services_set_role(tnd_server *srv, bool is_writer, const char *writer);

/** On the loop thread, after the server's manual clock moved: submit a
 * heartbeat and what is due by its time now (deadlines, standstills,
 * expired idempotency records), and call done(arg) on the loop thread once
 * those writes have committed. A step longer than outage-min looks like an
 * outage (tnd_scheduler_clock_moved). */
void tnd_services_clock_moved(tnd_server *srv, void (*done)(void *arg), void *arg);

#endif
