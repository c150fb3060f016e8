/* Test support: a real tenderd server object running on its own loop thread
 * inside the test process, on a random loopback port, with a fresh
 * development PKI; and helpers for temporary folders. */
#ifndef TND_TEST_TESTSRV_H
#define TND_TEST_TESTSRV_H

#include <pthread.h>

#include "services.h"
#include "tender_schema.h"

typedef struct testsrv {
    char dir[256];  /* temporary folder holding pki/ */
    char pki[300];  /* dir/pki: ca.crt, server.crt, officer.crt, supplier.crt, ... */
    int port;
    uv_loop_t loop;
    uv_async_t stop_async;
    tnd_server *srv;
    pthread_t thread;
    _Atomic int stop_mode; /* 0 drain, 1 reload, 2 the clock moved, 3 set the writer, 4 on_loop */
    bool manual;           /* the server runs on clock (testsrv_manual_clock) */
    tnd_clock clock;
    pthread_mutex_t settle_mu;
    pthread_cond_t settle_cv;
    void (*cfg_edit)(tnd_config *);
    void (*setup)(tnd_server *);
    bool is_writer;     /* testsrv_set_writer's arguments, for the loop thread */
    char writer[300];   /* "": unknown */
    void (*on_loop)(tnd_server *srv, void *arg); /* testsrv_on_loop's */
    void *on_loop_arg;
} testsrv;

/** Make a temporary folder with a development PKI in it. */
void testsrv_pki(testsrv *t);

/** As testsrv_pki, but with from's PKI (the same CA and certificates, as
 * the nodes of one group have) and a folder of its own for the database. */
void testsrv_pki_shared(testsrv *t, const testsrv *from);

/** Start a server (after testsrv_pki). cfg_edit may change the config first;
 * setup may register extra schemas and handlers before the loop starts. */
void testsrv_start(testsrv *t, void (*cfg_edit)(tnd_config *), void (*setup)(tnd_server *));

/** Drain the server, wait for its thread, free it and remove the folder. */
void testsrv_stop(testsrv *t);

/** Drain and free the server but keep its folder (database and PKI). */
void testsrv_halt(testsrv *t);

/** testsrv_halt, then start again on the same folder (a new port). */
void testsrv_restart(testsrv *t);

/** Between testsrv_pki and testsrv_start: the server's wall clock (the time
 * of its writes, deadlines, standstills, idempotency expiry, log lines)
 * starts at ms (0: the real time now) and moves only by testsrv_advance.
 * It keeps its time across testsrv_restart. */
void testsrv_manual_clock(testsrv *t, int64_t ms);

/** The server's time (its manual clock, or the real time). */
int64_t testsrv_now(const testsrv *t);

/** Move the manual clock forward by ms, and wait until the work due by the
 * new time (closing at a deadline, completing at the end of a standstill,
 * pruning idempotency records) has committed. The server runs all along:
 * the clock moves in steps of half outage-min, each with a heartbeat, so
 * the outage rule does not fire. Between testsrv_halt and testsrv_start
 * the time passes while the server is down (an outage). */
void testsrv_advance(testsrv *t, int64_t ms);

/** testsrv_advance to the time ms (nothing when the clock is past it). */
void testsrv_advance_to(testsrv *t, int64_t ms);

/* A test file's cmocka group setup and teardown for its one server on a
 * manual clock starting at 0: TESTSRV_MANUAL_GROUP(ts, cfg) defines
 * group_setup (a PKI, the clock, the server started with cfg_edit cfg) and
 * group_teardown (the server stopped, its folder removed). */
#define TESTSRV_MANUAL_GROUP(ts, cfg)                                                              \
    static int group_setup(void **state)                                                           \
    {                                                                                              \
        (void)state;                                                                               \
        testsrv_pki(&(ts));                                                                        \
        testsrv_manual_clock(&(ts), 0);                                                            \
        testsrv_start(&(ts), (cfg), NULL);                                                         \
        return 0;                                                                                  \
    }                                                                                              \
    static int group_teardown(void **state)                                                        \
    {                                                                                              \
        (void)state;                                                                               \
        testsrv_stop(&(ts));                                                                       \
        return 0;                                                                                  \
    }

/** The node's role changes (tnd_services_set_role, as the replicated mode
 * does) on the loop thread; waits until it is done. writer NULL: unknown. */
void testsrv_set_writer(testsrv *t, bool is_writer, const char *writer);

/** Run fn(srv, arg) on the loop thread, and wait until it returned. */
void testsrv_on_loop(testsrv *t, void (*fn)(tnd_server *srv, void *arg), void *arg);
/** Ask the loop thread to reload certificates (as SIGHUP does), and wait. */
void testsrv_reload(testsrv *t);

/** Path of a file in the PKI folder. */
const char *testsrv_path(const testsrv *t, const char *file, char *buf, size_t len);

/** Put the certificates of PKI identity who (who.crt, DER) into a bid's
 * content, as tenderctl seals them. 0, or -1 when the file cannot be read. */
int testsrv_seal_certs(const testsrv *t, const char *who, tender_bids_v1_BidContent *c);

/** rm -rf a folder made by a test. */
void test_rmtree(const char *dir);

#endif
