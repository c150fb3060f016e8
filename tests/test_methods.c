/* Every method the server lists is served: ask Reflection/ListMethods, then
 * call each listed method once (with an empty request, as a caller of a
 * role it allows) and fail on UNIMPLEMENTED, the answer for a method the
 * schema declares but no handler serves. Any other answer (the request is
 * incomplete, the tender is unknown...) shows a handler behind the name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rawconn.h"
#include "svc/svc.h"
#include "testsrv.h"

static testsrv ts;

static void open_as(rawconn *c, const char *role)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    int r;
    if (!role) {
        r = rawconn_open(c, ts.port, ca, NULL, NULL);
    } else {
        snprintf(f, sizeof f, "%s.crt", role);
        testsrv_path(&ts, f, crt, sizeof crt);
        snprintf(f, sizeof f, "%s.key", role);
        testsrv_path(&ts, f, key, sizeof key);
        r = rawconn_open(c, ts.port, ca, crt, key);
    }
    assert_int_equal(r, 0);
    rawconn_settings(c);
}

/* CALL, then one empty request ({}) that ends the request stream. Returns
 * the status, or -1 when the call is still running after a second (a
 * stream that waits for news, such as Health/Watch: it is served). */
static int call_empty(const char *method, const char *role, char *msg, size_t len)
{
    rawconn c;
    open_as(&c, role);
    static const uint8_t empty_map = 0x80;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, 1, method, NULL, 0, 10000), 0);
    assert_int_equal(tnd_frame_put_message(&sb, 1, &empty_map, 1, true), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    int st = rawconn_wait_status(&c, 1, 1000, msg, len, NULL);
    rawconn_close(&c);
    return st;
}

static void test_every_listed_method_is_served(void **state)
{
    (void)state;
    rawconn c;
    open_as(&c, NULL);
    char msg[512];
    tender_reflection_v1_ListMethodsRequest q = {0};
    tender_reflection_v1_ListMethodsResponse r;
    tender_reflection_v1_ListMethodsResponse_init(&r);
    assert_int_equal(rawconn_call(&c, 1, "tender.reflection.v1.Reflection/ListMethods",
                                  &tender_reflection_v1_ListMethodsRequest_desc, &q,
                                  &tender_reflection_v1_ListMethodsResponse_desc, &r, msg,
                                  sizeof msg, NULL, 0),
                     0);
    rawconn_close(&c);
    assert_true(r.n_methods > 20);
    size_t unserved = 0;
    for (size_t i = 0; i < r.n_methods; i++) {
        const tender_reflection_v1_MethodInfo *m = &r.methods[i];
        const char *role = m->public || m->n_roles == 0 ? NULL : m->roles[0];
        msg[0] = '\0';
        int st = call_empty(m->full_name, role, msg, sizeof msg);
        if (st == TND_STATUS_UNIMPLEMENTED) {
            print_error("%s (as %s): UNIMPLEMENTED: %s\n", m->full_name,
                        role ? role : "anonymous", msg);
            unserved++;
        }
    }
    tender_reflection_v1_ListMethodsResponse_free(&r);
    assert_int_equal(unserved, 0);
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_listed_method_is_served, setup, teardown),
    };
    return cmocka_run_group_tests_name("methods", tests, NULL, NULL);
}
