/* Revocation: tenderd --crl refuses revoked client certificates; SIGHUP's
 * reload re-reads the CRL with the certificates, so a certificate revoked
 * while the server runs is refused on new connections after the reload,
 * while other identities still connect, and the revoked client's open
 * connection is closed. A reload that fails keeps the old TLS configuration. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawconn.h"
#include "tender/pki.h"
#include "tender/status.h"
#include "tender_schema.h"
#include "testsrv.h"

#define HEALTH "tender.health.v1.Health/Check"
#define T_MS 5000

static testsrv ts;
static char err[512];

static void with_crl(tnd_config *c)
{
    testsrv_path(&ts, "ca.crl", c->crl, sizeof c->crl);
}

/* Open a connection as who (a PKI name). 0, or -1 when the handshake fails. */
static int open_as(rawconn *c, const char *who)
{
    char ca[400], crt[400], key[400], f[80];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(f, sizeof f, "%s.crt", who);
    testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    testsrv_path(&ts, f, key, sizeof key);
    return rawconn_open(c, ts.port, ca, crt, key);
}

/* One Health/Check on an open connection: its status, or -1 when the
 * connection is gone (in TLS 1.3 the server's verdict on the client
 * certificate arrives after the client's side of the handshake is done). */
static int health(rawconn *c, uint32_t sid)
{
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    memset(&resp, 0, sizeof resp);
    char msg[256];
    return rawconn_call(c, sid, HEALTH, &tender_health_v1_HealthCheckRequest_desc, &req,
                        &tender_health_v1_HealthCheckResponse_desc, &resp, msg, sizeof msg, NULL,
                        0);
}

/* Can who connect and make a call on a new connection? */
static bool admitted(const char *who)
{
    rawconn c;
    if (open_as(&c, who) != 0)
        return false;
    rawconn_settings(&c);
    int code = health(&c, 1);
    rawconn_close(&c);
    return code == TND_STATUS_OK;
}

static void test_revoke_then_reload(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    /* A CRL exists from the start: one certificate is revoked already. */
    assert_int_equal(tnd_pki_issue(ts.pki, "former", "supplier", "Gone Ltd", 0, err, sizeof err),
                     0);
    assert_int_equal(tnd_pki_revoke(ts.pki, "former", err, sizeof err), 0);
    testsrv_start(&ts, with_crl, NULL);

    assert_false(admitted("former"));
    assert_true(admitted("supplier"));
    assert_true(admitted("supplier2"));

    /* Connections held across the revocation: the supplier's and supplier2's. */
    rawconn held, other;
    assert_int_equal(open_as(&held, "supplier"), 0);
    rawconn_settings(&held);
    assert_int_equal(health(&held, 1), TND_STATUS_OK);
    assert_int_equal(open_as(&other, "supplier2"), 0);
    rawconn_settings(&other);
    assert_int_equal(health(&other, 1), TND_STATUS_OK);

    assert_int_equal(tnd_pki_revoke(ts.pki, "supplier", err, sizeof err), 0);
    /* Not yet re-read: the running server still admits the supplier. */
    assert_true(admitted("supplier"));
    testsrv_reload(&ts); /* what SIGHUP does */
    assert_false(admitted("supplier"));
    assert_true(admitted("supplier2"));
    assert_true(admitted("officer"));
    /* The connection the supplier held is checked again and closed: GOAWAY
     * UNAUTHENTICATED, then the end of the connection. */
    tnd_frame fr;
    bool goaway = false;
    while (rawconn_read(&held, &fr, T_MS, true) == 0)
        if (fr.type == TND_FRAME_GOAWAY) {
            goaway = true;
            assert_int_equal(fr.u.goaway.code, TND_STATUS_UNAUTHENTICATED);
        }
    assert_true(goaway);
    assert_int_equal(health(&held, 3), -1);
    rawconn_close(&held);
    /* supplier2's connection is untouched. */
    assert_int_equal(health(&other, 3), TND_STATUS_OK);
    rawconn_close(&other);

    /* A CRL that cannot be read: the reload fails and the old configuration
     * (with the supplier revoked) stays. */
    char crl[400];
    testsrv_path(&ts, "ca.crl", crl, sizeof crl);
    FILE *f = fopen(crl, "w");
    assert_non_null(f);
    fputs("not a CRL\n", f);
    fclose(f);
    testsrv_reload(&ts);
    assert_false(admitted("supplier"));
    assert_true(admitted("supplier2"));
    testsrv_stop(&ts);
}

/* A configured CRL that cannot be read stops the server from starting. */
static void test_missing_crl_refuses_start(void **state)
{
    (void)state;
    testsrv t;
    memset(&t, 0, sizeof t);
    testsrv_pki(&t);
    tnd_config cfg;
    tnd_config_defaults(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    testsrv_path(&t, "server.crt", cfg.cert, sizeof cfg.cert);
    testsrv_path(&t, "server.key", cfg.key, sizeof cfg.key);
    testsrv_path(&t, "ca.crt", cfg.ca, sizeof cfg.ca);
    testsrv_path(&t, "ca.crl", cfg.crl, sizeof cfg.crl); /* never made */
    snprintf(cfg.db, sizeof cfg.db, "%s/db", t.dir);
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    assert_int_not_equal(tnd_services_new(&loop, &cfg, NULL, &srv, err, sizeof err), 0);
    assert_null(srv);
    assert_non_null(strstr(err, "CRL"));
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    test_rmtree(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_revoke_then_reload),
        cmocka_unit_test(test_missing_crl_refuses_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
