/* Building and starting tenderd (tnd_services_new, tnd_server_start) reports
 * the cause of a failure: its code and a message naming what to fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tender/error.h"
#include "testsrv.h"

typedef struct fixture {
    testsrv t; /* its folder and PKI only: no server runs on it */
    tnd_config cfg;
    uv_loop_t loop;
    tnd_server *srv;
    char err[512];
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    testsrv_pki(&f.t);
    tnd_config_defaults(&f.cfg);
    snprintf(f.cfg.listen, sizeof f.cfg.listen, "127.0.0.1:0");
    testsrv_path(&f.t, "server.crt", f.cfg.cert, sizeof f.cfg.cert);
    testsrv_path(&f.t, "server.key", f.cfg.key, sizeof f.cfg.key);
    testsrv_path(&f.t, "ca.crt", f.cfg.ca, sizeof f.cfg.ca);
    snprintf(f.cfg.db, sizeof f.cfg.db, "%s/db", f.t.dir);
    uv_loop_init(&f.loop);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tnd_server_free(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the store's handle closes */
    uv_loop_close(&f->loop);
    test_rmtree(f->t.dir);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Build the server, expecting failure with code and a message holding
 * every one of the NULL-terminated words. */
static void expect_new_fails(fixture *f, int code, ...)
{
    int rc = tnd_services_new(&f->loop, &f->cfg, NULL, &f->srv, f->err, sizeof f->err);
    fprintf(stderr, "  %s: %s\n", tnd_err_name(rc), f->err);
    assert_int_equal(rc, code);
    assert_null(f->srv);
    va_list ap;
    va_start(ap, code);
    for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
        assert_non_null(strstr(f->err, w));
    va_end(ap);
}

static void test_bad_certificate(void **state)
{
    fixture *f = *state;
    testsrv_path(&f->t, "garbage.crt", f->cfg.cert, sizeof f->cfg.cert);
    write_file(f->cfg.cert, "not a certificate\n");
    expect_new_fails(f, TND_ETLS, "cannot read certificate", f->cfg.cert, NULL);
}

static void test_key_of_another_certificate(void **state)
{
    fixture *f = *state;
    testsrv_path(&f->t, "supplier.key", f->cfg.key, sizeof f->cfg.key);
    expect_new_fails(f, TND_ETLS, "private key", f->cfg.key, "does not match", NULL);
}

static void test_missing_crl(void **state)
{
    fixture *f = *state;
    testsrv_path(&f->t, "none.crl", f->cfg.crl, sizeof f->cfg.crl);
    expect_new_fails(f, TND_EIO, "CRL", NULL);
}

/* A ticket key period under a second is refused with the flag's name. */
static void test_ticket_rotation_too_short(void **state)
{
    fixture *f = *state;
    f->cfg.ticket_rotation_ms = 500;
    expect_new_fails(f, TND_EINVAL, "--ticket-rotation", "at least 1s", NULL);
}

/* The database folder is a file: the store's code and message. */
static void test_store_cannot_open(void **state)
{
    fixture *f = *state;
    write_file(f->cfg.db, "a file, not a folder\n");
    expect_new_fails(f, TND_EIO, f->cfg.db, NULL);
}

/* A log key file that holds no key: the log's code and message. */
static void test_log_key_unusable(void **state)
{
    fixture *f = *state;
    assert_int_equal(mkdir(f->cfg.db, 0700), 0);
    char key[sizeof f->cfg.db + 16];
    snprintf(key, sizeof key, "%s/log.key", f->cfg.db);
    write_file(key, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
    expect_new_fails(f, TND_ECRYPTO, key, "Ed25519", NULL);
}

/* A second server on the first one's address: TND_EIO naming the address
 * and the system's reason. */
static void test_listen_address_in_use(void **state)
{
    fixture *f = *state;
    testsrv first;
    testsrv_pki(&first);
    testsrv_start(&first, NULL, NULL);
    snprintf(f->cfg.listen, sizeof f->cfg.listen, "127.0.0.1:%d", first.port);
    assert_int_equal(
        tnd_services_new(&f->loop, &f->cfg, NULL, &f->srv, f->err, sizeof f->err), 0);
    int rc = tnd_server_start(f->srv, f->err, sizeof f->err);
    fprintf(stderr, "  %s: %s\n", tnd_err_name(rc), f->err);
    assert_int_equal(rc, TND_EIO);
    assert_non_null(strstr(f->err, "cannot listen on"));
    assert_non_null(strstr(f->err, f->cfg.listen));
    assert_non_null(strstr(f->err, "address already in use"));
    tnd_server_shutdown(f->srv);
    testsrv_stop(&first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_of_another_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_rotation_too_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_cannot_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_key_unusable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_address_in_use, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
