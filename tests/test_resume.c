/* TLS session resumption end to end: libtender keeps the ticket tenderd gave
 * it and offers it on its next connection; the resumed connection carries
 * the same identity (the role decides what a call may do); after a reload
 * with the client's certificate revoked, the client's ticket does not get it
 * in again, and neither does a full handshake. tests/test_tls.c covers the
 * rules one handshake at a time (rotation, restart, expiry, early data). */
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

#include "tender/client.h"
#include "tender/pki.h"
#include "tender/status.h"
#include "tender_schema.h"
#include "testsrv.h"

static testsrv ts;
static char err[512];

static void with_crl(tnd_config *c)
{
    testsrv_path(&ts, "ca.crl", c->crl, sizeof c->crl);
}

/* A blocking client as who, resumption on unless no_resumption. */
static tnd_client *client_as(const char *who, bool no_resumption)
{
    static char server[64], ca[400], crt[400], key[400];
    char f[80];
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(f, sizeof f, "%s.crt", who);
    testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    testsrv_path(&ts, f, key, sizeof key);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = ca;
    o.cert_file = crt;
    o.key_file = key;
    o.max_attempts = 1;
    o.no_resumption = no_resumption;
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("tnd_client_open: %s", err);
    return c;
}

static int health(tnd_client *c, tnd_status_info *st)
{
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    int code = tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp, NULL, st);
    if (code == TND_STATUS_OK)
        tender_health_v1_HealthCheckResponse_free(&resp);
    return code;
}

/* Admin/Backup: admins only; with no --backup-dir an admin is told the RPC
 * is off, anyone else that the role does not allow it. */
static int backup(tnd_client *c)
{
    tender_common_v1_Empty req;
    memset(&req, 0, sizeof req);
    tender_admin_v1_BackupResult resp;
    tnd_status_info st;
    int code = tender_admin_v1_Admin_Backup(c, &req, &resp, NULL, &st);
    if (code == TND_STATUS_OK)
        tender_admin_v1_BackupResult_free(&resp);
    return code;
}

static void test_reconnect_resumes_with_the_same_role(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, NULL);
    tnd_client *admin = client_as("admin", false);
    tnd_client *officer = client_as("officer", false);
    assert_int_equal(tnd_client_resumed(admin), -1);
    int admin_code = backup(admin);
    int officer_code = backup(officer);
    assert_int_equal(tnd_client_resumed(admin), 0);
    assert_int_equal(officer_code, TND_STATUS_PERMISSION_DENIED);
    assert_int_not_equal(admin_code, TND_STATUS_PERMISSION_DENIED);
    for (int i = 0; i < 3; i++) {
        tnd_client_disconnect(admin);
        tnd_client_disconnect(officer);
        assert_int_equal(backup(admin), admin_code);
        assert_int_equal(backup(officer), officer_code);
        assert_int_equal(tnd_client_resumed(admin), 1);
        assert_int_equal(tnd_client_resumed(officer), 1);
    }
    /* The server counted them: six resumed of eight handshakes. */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(tnd_metrics_render(ts.srv->metrics, &text, &len), 0);
    const char *line = strstr(text, "\ntenderd_tls_resumptions_total ");
    assert_non_null(line);
    assert_int_equal(strtol(line + strlen("\ntenderd_tls_resumptions_total "), NULL, 10), 6);
    /* One ticket for each client's full handshake; none when it resumed
     * under the current key. */
    line = strstr(text, "\ntenderd_tls_tickets_issued_total ");
    assert_non_null(line);
    assert_int_equal(strtol(line + strlen("\ntenderd_tls_tickets_issued_total "), NULL, 10), 2);
    free(text);
    tnd_client_free(officer);
    tnd_client_free(admin);

    /* Resumption off: every connection is a full handshake, and the server
     * builds no ticket for it. */
    tnd_client *full = client_as("supplier", true);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(health(full, NULL), TND_STATUS_OK);
        assert_int_equal(tnd_client_resumed(full), 0);
        tnd_client_disconnect(full);
    }
    tnd_client_free(full);
    assert_int_equal(tnd_tls_tickets_issued(ts.srv->tickets), 2);
    testsrv_stop(&ts);
}

/* Off on the server (--ticket-rotation 0): the client's offer goes unused. */
static void no_tickets(tnd_config *c)
{
    c->ticket_rotation_ms = 0;
}

static void test_server_without_tickets(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, no_tickets, NULL);
    tnd_client *c = client_as("supplier", false);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(health(c, NULL), TND_STATUS_OK);
        assert_int_equal(tnd_client_resumed(c), 0);
        tnd_client_disconnect(c);
    }
    tnd_client_free(c);
    testsrv_stop(&ts);
}

static void test_revoked_client_cannot_resume(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    assert_int_equal(tnd_pki_issue(ts.pki, "former", "supplier", "Gone Ltd", 0, err, sizeof err),
                     0);
    assert_int_equal(tnd_pki_revoke(ts.pki, "former", err, sizeof err), 0);
    testsrv_start(&ts, with_crl, NULL);
    tnd_client *c = client_as("supplier", false);
    tnd_client *other = client_as("supplier2", false);
    assert_int_equal(health(c, NULL), TND_STATUS_OK);
    assert_int_equal(health(other, NULL), TND_STATUS_OK);
    tnd_client_disconnect(c);
    assert_int_equal(health(c, NULL), TND_STATUS_OK);
    assert_int_equal(tnd_client_resumed(c), 1);

    assert_int_equal(tnd_pki_revoke(ts.pki, "supplier", err, sizeof err), 0);
    testsrv_reload(&ts);
    /* The open connection was closed by the reload; the client comes back
     * with its ticket, which the server does not take, and the full
     * handshake refuses the certificate. */
    tnd_client_disconnect(c);
    tnd_status_info st;
    int code = health(c, &st);
    assert_int_not_equal(code, TND_STATUS_OK);
    assert_int_not_equal(tnd_client_resumed(c), 1);
    assert_non_null(strstr(st.message, "revoked"));
    /* Nor does a new client, with a full handshake. */
    tnd_client *again = client_as("supplier", false);
    assert_int_not_equal(health(again, NULL), TND_STATUS_OK);
    tnd_client_free(again);
    /* Others resume as before. */
    tnd_client_disconnect(other);
    assert_int_equal(health(other, NULL), TND_STATUS_OK);
    assert_int_equal(tnd_client_resumed(other), 1);
    tnd_client_free(other);
    tnd_client_free(c);
    testsrv_stop(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reconnect_resumes_with_the_same_role),
        cmocka_unit_test(test_server_without_tickets),
        cmocka_unit_test(test_revoked_client_cannot_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
