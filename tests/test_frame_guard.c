/* The transport never sends a frame larger than the peer's max_frame: a
 * handler's response that would not fit ends that call with
 * RESOURCE_EXHAUSTED naming the method and the sizes, and the connection
 * keeps serving the next call. A real server in-process, a raw client that
 * announces a small max_frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawconn.h"
#include "tender_schema.h"
#include "testsrv.h"
#include "testsvc.h"

#define T_MS 5000
#define SMALL_FRAME 65536u

static testsrv ts;
static const char *UNARY = "tender.test.v1.Sample/Unary";

static int setup(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, testsvc_setup);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

static void open_small(rawconn *c)
{
    char ca[512];
    assert_int_equal(rawconn_open(c, ts.port, testsrv_path(&ts, "ca.crt", ca, sizeof ca), NULL,
                                  NULL),
                     0);
    tnd_settings s = {SMALL_FRAME, 1024, 8u << 20, 16384, 32u << 20};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_settings(&sb, &s), 0);
    assert_int_equal(rawconn_send(c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
}

/* The echo of a message whose bytes field holds n bytes; its status code,
 * message and the number of MESSAGE frames that came. */
static int echo(rawconn *c, uint32_t sid, size_t n, char *msg, size_t len, int *n_msgs)
{
    uint8_t *by = calloc(1, n ? n : 1);
    assert_non_null(by);
    tender_test_v1_Scalars req = {.by = {by, n}};
    assert_int_equal(rawconn_unary(c, sid, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    free(by);
    *n_msgs = 0;
    return rawconn_wait_status(c, sid, T_MS, msg, len, n_msgs);
}

static void test_oversized_response_fails_alone(void **state)
{
    (void)state;
    rawconn c;
    char msg[512];
    int n;
    open_small(&c);
    /* 100000 bytes: the server takes the request (its own limit is 4 MiB)
     * but may not send the echo to a client that accepts 64 KiB. */
    assert_int_equal(echo(&c, 1, 100000, msg, sizeof msg, &n), TND_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(n, 0);
    assert_non_null(strstr(msg, "tender.test.v1.Sample/Unary"));
    assert_non_null(strstr(msg, "100007 bytes"));
    assert_non_null(strstr(msg, "max_frame 65536"));
    /* The same connection serves the next call. */
    assert_int_equal(echo(&c, 3, 10, msg, sizeof msg, &n), TND_STATUS_OK);
    assert_int_equal(n, 1);
    rawconn_close(&c);
}

static void test_limit_is_exact(void **state)
{
    (void)state;
    rawconn c;
    char msg[512];
    int n;
    open_small(&c);
    /* Scalars {8: bin16 of N} is N + 5 bytes; a MESSAGE frame adds at most
     * TND_FRAME_MESSAGE_OVERHEAD. The largest N that fits, then one more. */
    size_t fits = SMALL_FRAME - TND_FRAME_MESSAGE_OVERHEAD - 5;
    assert_int_equal(echo(&c, 1, fits, msg, sizeof msg, &n), TND_STATUS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(echo(&c, 3, fits + 1, msg, sizeof msg, &n), TND_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(n, 0);
    assert_int_equal(echo(&c, 5, 1, msg, sizeof msg, &n), TND_STATUS_OK);
    assert_int_equal(n, 1);
    rawconn_close(&c);
}

/* The default max_frame (4 MiB) when the client's SETTINGS leave it 0. */
static void test_default_limit(void **state)
{
    (void)state;
    rawconn c;
    char ca[512], msg[512];
    int n;
    assert_int_equal(rawconn_open(&c, ts.port, testsrv_path(&ts, "ca.crt", ca, sizeof ca), NULL,
                                  NULL),
                     0);
    tnd_settings s = {0, 0, 0, 0, 0};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_settings(&sb, &s), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    /* The request's frame (payload + 9 bytes on stream 1) is within the
     * server's 4 MiB; the echo's payload (n + 7) is above 4 MiB - 13. */
    assert_int_equal(echo(&c, 1, TND_DEFAULT_MAX_FRAME - 17, msg, sizeof msg, &n),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_int_equal(n, 0);
    assert_non_null(strstr(msg, "max_frame 4194304"));
    assert_int_equal(echo(&c, 3, 1000, msg, sizeof msg, &n), TND_STATUS_OK);
    rawconn_close(&c);
}

/* tnd_msg_size counts exactly the bytes tnd_msg_encode writes. */
static void test_msg_size(void **state)
{
    (void)state;
    char text[300];
    memset(text, 'q', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    tender_test_v1_Scalars m = {.i64 = -5, .u64 = UINT64_MAX, .s = text, .opt_u32 = 7,
                                .has_opt_u32 = true};
    uint8_t *buf;
    size_t len, size = 0;
    assert_int_equal(tnd_msg_encode(&tender_test_v1_Scalars_desc, &m, &buf, &len, NULL), 0);
    assert_int_equal(tnd_msg_size(&tender_test_v1_Scalars_desc, &m, &size), 0);
    assert_int_equal(size, len);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_oversized_response_fails_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_limit, setup, teardown),
        cmocka_unit_test(test_msg_size),
    };
    return cmocka_run_group_tests_name("frame_guard", tests, NULL, NULL);
}
