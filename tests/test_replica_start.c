/* Starting a node of the replicated mode (--store postgresql://,
 * docs/SCALING.md) without PostgreSQL: a node on an empty database starts
 * and serves as a follower while it cannot reach PostgreSQL (it refuses
 * writes, naming no writer); a database a node wrote alone, outside a
 * cluster, is refused with a message that says what to do; and a --store
 * that is neither lmdb nor a postgresql:// URI is refused. The cluster
 * itself, with PostgreSQL, is tested by make test-ha (tests/ha/). */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "services.h"
#include "tender/status.h"
#include "testsrv.h"

/* A port nothing listens on: PostgreSQL is out of reach. */
#define NO_POSTGRES "postgresql://tender@127.0.0.1:1/tender?connect_timeout=1"

static testsrv ts;

static void replicated(tnd_config *c)
{
    snprintf(c->store, sizeof c->store, "%s", NO_POSTGRES);
    snprintf(c->advertise, sizeof c->advertise, "127.0.0.1:7999");
}

/* tnd_services_new on the test server's folder with store; its error. */
static int open_services(const char *store, char *err, size_t err_len)
{
    tnd_config cfg;
    tnd_config_defaults(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    testsrv_path(&ts, "server.crt", cfg.cert, sizeof cfg.cert);
    testsrv_path(&ts, "server.key", cfg.key, sizeof cfg.key);
    testsrv_path(&ts, "ca.crt", cfg.ca, sizeof cfg.ca);
    snprintf(cfg.db, sizeof cfg.db, "%s/db", ts.dir);
    snprintf(cfg.store, sizeof cfg.store, "%s", store);
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    int rc = tnd_services_new(&loop, &cfg, NULL, &srv, err, err_len);
    if (srv) {
        tnd_server_shutdown(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        tnd_server_free(srv);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc;
}

static void test_follower_without_postgres(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, replicated, NULL);
    scn_conn off;
    scn_connect(&ts, &off, "officer");
    scn_tender t = {0};
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &t, "Bridge repairs", 3600000, 3700000, &q);
    int code = scn_call(&off, SCN_T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                        NULL, NULL);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    if (code != TND_STATUS_UNAVAILABLE)
        fail_msg("Create on a follower: %d %s", code, scn_msg);
    assert_non_null(strstr(scn_msg, "no writer at the moment"));
    /* Reads are served from the node's own copy. */
    tender_tenders_v1_ListTendersRequest lq;
    tender_tenders_v1_ListTendersRequest_init(&lq);
    assert_int_equal(scn_call(&off, SCN_T(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                              NULL, NULL),
                     0);
    /* Health says what the node is, and that it knows no writer. */
    tender_health_v1_HealthCheckRequest hq = {.service = ""};
    tender_health_v1_HealthCheckResponse hr;
    tender_health_v1_HealthCheckResponse_init(&hr);
    assert_int_equal(scn_call(&off, "tender.health.v1.Health/Check",
                              &tender_health_v1_HealthCheckRequest_desc, &hq,
                              &tender_health_v1_HealthCheckResponse_desc, &hr),
                     0);
    assert_int_equal(hr.status, tender_health_v1_ServingStatus_SERVING);
    assert_int_equal(hr.role, tender_health_v1_NodeRole_FOLLOWER);
    assert_true(!hr.writer || !*hr.writer);
    tender_health_v1_HealthCheckResponse_free(&hr);
    rawconn_close(&off.rc);
    testsrv_stop(&ts);
}

static void test_database_written_alone_is_refused(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, NULL);
    scn_conn off;
    scn_connect(&ts, &off, "officer");
    scn_tender t = {0};
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &t, "Bridge repairs", 3600000, 3700000, &q);
    scn_tender_create(&off, &q, t.id);
    rawconn_close(&off.rc);
    testsrv_halt(&ts);

    char err[512] = "";
    assert_int_equal(open_services(NO_POSTGRES, err, sizeof err), TND_ERANGE);
    assert_non_null(strstr(err, "written by this node alone"));
    assert_non_null(strstr(err, "empty database folder"));
    assert_non_null(strstr(err, "tenderd cluster-init"));
    /* The same database still opens alone. */
    assert_int_equal(open_services("lmdb", err, sizeof err), 0);
    testsrv_stop(&ts);
}

static void test_bad_store_refused(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    char err[512] = "";
    assert_int_equal(open_services("mysql://somewhere", err, sizeof err), TND_EINVAL);
    assert_non_null(strstr(err, "--store"));
    testsrv_stop(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follower_without_postgres),
        cmocka_unit_test(test_database_written_alone_is_refused),
        cmocka_unit_test(test_bad_store_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
