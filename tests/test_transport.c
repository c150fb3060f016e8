/* End-to-end tests of the tender/1 transport: a real server on a loopback
 * port (in-process, own loop thread) and raw TLS clients sending frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "rawconn.h"
#include "tender/pki.h"
#include "tender_schema.h"
#include "testsrv.h"
#include "testsvc.h"

#define T_MS 5000

static testsrv ts;
static char path_buf[8][512];

static const char *P(int slot, const char *file)
{
    return testsrv_path(&ts, file, path_buf[slot], sizeof path_buf[slot]);
}

static int open_as(rawconn *c, const char *who)
{
    char crt[64], key[64];
    if (!who)
        return rawconn_open(c, ts.port, P(0, "ca.crt"), NULL, NULL);
    snprintf(crt, sizeof crt, "%s.crt", who);
    snprintf(key, sizeof key, "%s.key", who);
    return rawconn_open(c, ts.port, P(0, "ca.crt"), P(1, crt), P(2, key));
}

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

static const char *UNARY = "tender.test.v1.Sample/Unary";
static const char *SSTREAM = "tender.test.v1.Sample/ServerStream";
static const char *CSTREAM = "tender.test.v1.Sample/ClientStream";
static const char *BIDI = "tender.test.v1.Sample/Bidi";

/* A unary call answers with the echoed message and OK on another connection:
 * proves the server still serves everyone after a bad client. */
static void assert_server_serves(void)
{
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.i64 = 42, .s = "still here"};
    assert_int_equal(rawconn_unary(&c, 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    int n = 0;
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, &n), TND_STATUS_OK);
    assert_int_equal(n, 1);
    rawconn_close(&c);
}

static void test_unary_echo(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.i64 = -7, .u64 = UINT64_MAX, .s = "hello"};
    assert_int_equal(rawconn_unary(&c, 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0);
    assert_int_equal(f.type, TND_FRAME_MESSAGE);
    assert_int_equal(f.stream_id, 1);
    tender_test_v1_Scalars resp;
    tender_test_v1_Scalars_init(&resp);
    assert_int_equal(tender_test_v1_Scalars_decode(&resp, f.u.message.payload.ptr,
                                                   f.u.message.payload.len, NULL),
                     0);
    assert_int_equal(resp.i64, -7);
    assert_true(resp.u64 == UINT64_MAX);
    assert_string_equal(resp.s, "hello");
    tender_test_v1_Scalars_free(&resp);
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

static void test_server_stream(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.u32 = 100};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    int n = 0;
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, &n), TND_STATUS_OK);
    assert_int_equal(n, 100);
    rawconn_close(&c);
}

static void send_msg(rawconn *c, uint32_t sid, const tnd_msg_desc *d, const void *m, bool end)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (m)
        assert_int_equal(tnd_msg_encode(d, m, &buf, &len, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_message(&sb, sid, buf, len, end), 0);
    assert_int_equal(rawconn_send(c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
}

static void send_call(rawconn *c, uint32_t sid, const char *method, uint64_t timeout_ms)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, sid, method, NULL, 0, timeout_ms), 0);
    assert_int_equal(rawconn_send(c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
}

static void test_client_stream(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "officer"), 0);
    rawconn_settings(&c);
    send_call(&c, 1, CSTREAM, 0);
    for (int i = 1; i <= 10; i++) {
        tender_test_v1_Scalars m = {.i64 = i};
        send_msg(&c, 1, &tender_test_v1_Scalars_desc, &m, false);
    }
    send_msg(&c, 1, NULL, NULL, true);
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0);
    assert_int_equal(f.type, TND_FRAME_MESSAGE);
    tender_test_v1_Scalars resp;
    tender_test_v1_Scalars_init(&resp);
    assert_int_equal(tender_test_v1_Scalars_decode(&resp, f.u.message.payload.ptr,
                                                   f.u.message.payload.len, NULL),
                     0);
    assert_int_equal(resp.i64, 55);
    tender_test_v1_Scalars_free(&resp);
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

static void test_bidi(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    send_call(&c, 1, BIDI, 0);
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        tender_test_v1_Node m = {.name = name};
        send_msg(&c, 1, &tender_test_v1_Node_desc, &m, false);
        tnd_frame f;
        assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0);
        assert_int_equal(f.type, TND_FRAME_MESSAGE);
        tender_test_v1_Node back;
        tender_test_v1_Node_init(&back);
        assert_int_equal(tender_test_v1_Node_decode(&back, f.u.message.payload.ptr,
                                                    f.u.message.payload.len, NULL),
                         0);
        assert_string_equal(back.name, name);
        tender_test_v1_Node_free(&back);
    }
    send_msg(&c, 1, NULL, NULL, true);
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

/* Four connections upload at once, their records interleaved: the server
 * reads every connection into one shared buffer per loop thread, so each
 * stream must take its bytes out before the next read. Every sum must come
 * back exact (a mixed-up read would fail TLS or the sums). */
static void test_interleaved_uploads(void **state)
{
    (void)state;
    enum { CONNS = 4, MSGS = 200 };
    rawconn c[CONNS];
    char pad[3000];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int j = 0; j < CONNS; j++) {
        assert_int_equal(open_as(&c[j], "officer"), 0);
        rawconn_settings(&c[j]);
        send_call(&c[j], 1, CSTREAM, 0);
    }
    for (int i = 1; i <= MSGS; i++)
        for (int j = 0; j < CONNS; j++) {
            tender_test_v1_Scalars m = {.i64 = (j + 1) * 100000 + i, .s = pad};
            send_msg(&c[j], 1, &tender_test_v1_Scalars_desc, &m, false);
        }
    for (int j = 0; j < CONNS; j++)
        send_msg(&c[j], 1, NULL, NULL, true);
    for (int j = 0; j < CONNS; j++) {
        tnd_frame f;
        assert_int_equal(rawconn_read(&c[j], &f, T_MS, true), 0);
        assert_int_equal(f.type, TND_FRAME_MESSAGE);
        tender_test_v1_Scalars resp;
        tender_test_v1_Scalars_init(&resp);
        assert_int_equal(tender_test_v1_Scalars_decode(&resp, f.u.message.payload.ptr,
                                                       f.u.message.payload.len, NULL),
                         0);
        assert_int_equal(resp.i64, (int64_t)(j + 1) * 100000 * MSGS + MSGS * (MSGS + 1) / 2);
        tender_test_v1_Scalars_free(&resp);
        assert_int_equal(rawconn_wait_status(&c[j], 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
        rawconn_close(&c[j]);
    }
}

/* 1,000 calls in flight on one connection at once. */
static void test_thousand_concurrent_calls(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    /* Every call opened before any request message: all 1,000 are open at once. */
    for (uint32_t i = 0; i < 1000; i++)
        assert_int_equal(tnd_frame_put_call(&sb, 2 * i + 1, UNARY, NULL, 0, 0), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    for (uint32_t i = 0; i < 1000; i++) {
        tender_test_v1_Scalars m = {.u32 = i};
        uint8_t *buf;
        size_t len;
        assert_int_equal(tnd_msg_encode(&tender_test_v1_Scalars_desc, &m, &buf, &len, NULL), 0);
        assert_int_equal(tnd_frame_put_message(&sb, 2 * i + 1, buf, len, true), 0);
        free(buf);
    }
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    int ok = 0, msgs = 0;
    static bool seen[1000];
    memset(seen, 0, sizeof seen);
    tnd_frame f;
    while (ok < 1000 && rawconn_read(&c, &f, T_MS, true) == 0) {
        if (f.type == TND_FRAME_MESSAGE)
            msgs++;
        if (f.type == TND_FRAME_STATUS) {
            assert_int_equal(f.u.status.code, TND_STATUS_OK);
            assert_true(f.stream_id % 2 == 1 && f.stream_id < 2000);
            assert_false(seen[f.stream_id / 2]);
            seen[f.stream_id / 2] = true;
            ok++;
        }
    }
    assert_int_equal(ok, 1000);
    assert_int_equal(msgs, 1000);
    rawconn_close(&c);
}

static void test_deadline_cancels_handler(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "forever"};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 200), 0);
    char msg[256];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_DEADLINE_EXCEEDED);
    assert_non_null(strstr(msg, "deadline"));
    assert_int_equal(testsvc_cancelled, 1);
    rawconn_close(&c);
}

static uint64_t mono_ms(void);

static void count_ticked(tnd_server *srv, void *arg)
{
    int n = 0;
    for (const tnd_call *call = srv->ticked_deadlines; call; call = call->dnext)
        n++;
    *(int *)arg = n;
}

static int ticked_deadlines(void)
{
    int n;
    testsrv_on_loop(&ts, count_ticked, &n);
    return n;
}

/* A deadline of a second or more is kept by the server's tick of its
 * connections, not by a timer of the call's own: it ends the call at most a
 * tick (250 ms) late, never early. */
static void test_a_long_deadline_ends_the_call_on_the_tick(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "forever"};
    uint64_t t0 = mono_ms();
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 1100), 0);
    for (int i = 0; i < 100 && ticked_deadlines() == 0; i++)
        usleep(5000); /* until the server has read the call */
    assert_int_equal(ticked_deadlines(), 1);
    char msg[256];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_DEADLINE_EXCEEDED);
    uint64_t took = mono_ms() - t0;
    assert_true(took >= 1100);
    assert_true(took < 1100 + 250 + 1000); /* a tick, and room for a slow machine */
    assert_non_null(strstr(msg, "deadline exceeded after"));
    assert_int_equal(testsvc_cancelled, 1);
    /* A call on the same connection that ends first is not touched by it. */
    req.s = "quick";
    assert_int_equal(rawconn_unary(&c, 3, UNARY, &tender_test_v1_Scalars_desc, &req, 5000), 0);
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    assert_int_equal(ticked_deadlines(), 0); /* both calls left the list as they ended */
    rawconn_close(&c);
}

static void test_client_cancel(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "forever"};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_cancel(&sb, 1), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    /* The next call on the same connection is answered only after the
     * server read the CANCEL, so by then the handler must know. */
    tender_test_v1_Scalars ping = {.i64 = 1};
    assert_int_equal(rawconn_unary(&c, 3, UNARY, &tender_test_v1_Scalars_desc, &ping, 0), 0);
    int n = 0;
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, NULL, 0, &n), TND_STATUS_OK);
    assert_int_equal(testsvc_cancelled, 1);
    rawconn_close(&c);
}

/* Server-side cancellation: the connection goes away and the handler is told. */
static void test_disconnect_cancels_handler(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "forever", .u32 = 1};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0); /* the handler runs */
    assert_int_equal(f.type, TND_FRAME_MESSAGE);
    rawconn_close(&c);
    for (int i = 0; i < 300 && testsvc_cancelled == 0; i++)
        usleep(10000);
    assert_int_equal(testsvc_cancelled, 1);
}

/* A client that stops reading: the handler is held back by flow control,
 * so the server buffers a bounded amount; reading again finishes the call. */
static void test_slow_reader_bounded(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    /* Small windows so the bound is easy to see. */
    tnd_settings s = {4u << 20, 1024, 256u << 10, 16384, 1u << 20};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_settings(&sb, &s), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    const int total = 2000, pad = 16384; /* 32 MB if nothing held the handler back */
    tender_test_v1_Scalars req = {.u32 = (uint32_t)total, .i32 = pad};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    usleep(500000);
    int produced = testsvc_produced;
    /* Window 256 KiB + one message, independent of the 32 MB requested. */
    assert_true(produced > 0);
    assert_true(produced <= (256 << 10) / pad + 2);
    /* Read everything, giving credit back, and the stream completes. */
    int got = 0;
    tnd_frame f;
    int status = -1;
    uint32_t credit = 0;
    while (rawconn_read(&c, &f, T_MS, true) == 0) {
        if (f.type == TND_FRAME_MESSAGE) {
            got++;
            credit += (uint32_t)f.u.message.payload.len;
            msgpack_sbuffer_init(&sb);
            if (credit >= 128u << 10) {
                assert_int_equal(tnd_frame_put_window(&sb, 1, credit), 0);
                assert_int_equal(tnd_frame_put_window(&sb, 0, credit), 0);
                credit = 0;
            }
            assert_int_equal(rawconn_send(&c, &sb), 0);
            msgpack_sbuffer_destroy(&sb);
        } else if (f.type == TND_FRAME_STATUS) {
            status = (int)f.u.status.code;
            break;
        }
    }
    assert_int_equal(status, TND_STATUS_OK);
    assert_int_equal(got, total);
    rawconn_close(&c);
}

static void send_settings(rawconn *c, uint32_t initial_window, uint32_t conn_window)
{
    tnd_settings s = {4u << 20, 1024, initial_window, 16384, conn_window};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_settings(&sb, &s), 0);
    assert_int_equal(rawconn_send(c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
}

/* A later SETTINGS that raises initial_window gives calls already open the
 * difference (the HTTP/2 rule): a stream held back by its window resumes
 * without any WINDOW frame from the client. */
static void test_settings_window_applies_to_open_streams(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    send_settings(&c, 16384, 64u << 20);
    const int total = 40, pad = 4096; /* about 160 KiB against a 16 KiB window */
    tender_test_v1_Scalars req = {.u32 = (uint32_t)total, .i32 = pad};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    int got = 0, status = -1;
    tnd_frame f;
    while (rawconn_read(&c, &f, 500, true) == 0 && f.type == TND_FRAME_MESSAGE)
        got++;
    assert_true(got > 0);
    assert_true(got <= 16384 / pad + 1); /* held by the 16 KiB window */
    send_settings(&c, 1u << 20, 64u << 20);
    while (rawconn_read(&c, &f, T_MS, true) == 0) {
        if (f.type == TND_FRAME_MESSAGE) {
            got++;
        } else if (f.type == TND_FRAME_STATUS) {
            status = (int)f.u.status.code;
            break;
        }
    }
    assert_int_equal(status, TND_STATUS_OK);
    assert_int_equal(got, total);
    rawconn_close(&c);
}

/* ---- malformed input: each on its own connection, which is closed with
 * GOAWAY, while another connection keeps working ---- */

static void expect_goaway(const uint8_t *bytes, size_t len, uint32_t code, const char *needle)
{
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    assert_int_equal(rawconn_write(&c, bytes, len), 0);
    tnd_frame f;
    int rc;
    while ((rc = rawconn_read(&c, &f, T_MS, true)) == 0 && f.type != TND_FRAME_GOAWAY)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(f.u.goaway.code, code);
    char text[300];
    snprintf(text, sizeof text, "%.*s", (int)f.u.goaway.message.len,
             (const char *)f.u.goaway.message.ptr);
    if (!strstr(text, needle))
        fail_msg("GOAWAY message \"%s\" lacks \"%s\"", text, needle);
    assert_true(rawconn_closed(&c, T_MS));
    rawconn_close(&c);
    assert_server_serves();
}

static void test_malformed_truncated(void **state)
{
    (void)state;
    /* Length 3, body: an array of 5 holding only 2 elements. */
    static const uint8_t b[] = {0, 0, 0, 3, 0x95, 0x01, 0x01};
    expect_goaway(b, sizeof b, TND_STATUS_INVALID_ARGUMENT, "malformed frame");
}

static void test_malformed_oversized(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x7f, 0xff, 0xff, 0xff, 0x90};
    expect_goaway(b, sizeof b, TND_STATUS_RESOURCE_EXHAUSTED, "max_frame_size");
}

static void test_malformed_unknown_type(void **state)
{
    (void)state;
    static const uint8_t b[] = {0, 0, 0, 3, 0x92, 0x63, 0x00}; /* [99, 0] */
    expect_goaway(b, sizeof b, TND_STATUS_INVALID_ARGUMENT, "unknown frame type 99");
}

static void test_malformed_bad_stream_id(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, 2, UNARY, NULL, 0, 0), 0);
    expect_goaway((const uint8_t *)sb.data, sb.size, TND_STATUS_INVALID_ARGUMENT,
                  "stream ids must be odd");
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_message(&sb, 9, (const uint8_t *)"\x80", 1, true), 0);
    expect_goaway((const uint8_t *)sb.data, sb.size, TND_STATUS_INVALID_ARGUMENT,
                  "never opened");
    msgpack_sbuffer_destroy(&sb);
}

static void test_malformed_huge_map_frame(void **state)
{
    (void)state;
    static const uint8_t b[] = {0, 0, 0, 5, 0xdd, 0xff, 0xff, 0xff, 0xff};
    expect_goaway(b, sizeof b, TND_STATUS_INVALID_ARGUMENT, "malformed frame");
}

/* dd ff ff ff ff as a request payload: the call fails, the connection lives. */
static void test_malformed_huge_map_payload(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    send_call(&c, 1, UNARY, 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_message(&sb, 1, (const uint8_t *)"\xdd\xff\xff\xff\xff", 5,
                                           true),
                     0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    /* The STATUS names the message, and its details (an ErrorDetail) the reason. */
    tnd_frame f;
    while (rawconn_read(&c, &f, T_MS, true) == 0 && f.type != TND_FRAME_STATUS)
        ;
    assert_int_equal(f.type, TND_FRAME_STATUS);
    assert_int_equal(f.u.status.code, TND_STATUS_INVALID_ARGUMENT);
    char msg[300];
    snprintf(msg, sizeof msg, "%.*s", (int)f.u.status.message.len,
             (const char *)f.u.status.message.ptr);
    assert_non_null(strstr(msg, "tender.test.v1.Scalars"));
    tender_common_v1_ErrorDetail ed;
    tender_common_v1_ErrorDetail_init(&ed);
    assert_int_equal(tender_common_v1_ErrorDetail_decode(&ed, f.u.status.details.ptr,
                                                         f.u.status.details.len, NULL),
                     0);
    assert_non_null(ed.reason);
    assert_non_null(strstr(ed.reason, "4294967295"));
    tender_common_v1_ErrorDetail_free(&ed);
    tender_test_v1_Scalars req = {.i64 = 5};
    assert_int_equal(rawconn_unary(&c, 3, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

static void test_first_frame_must_be_settings(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_ping(&sb, 1, false), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    char msg[300] = "";
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL), -1);
    assert_non_null(strstr(msg, "SETTINGS"));
    rawconn_close(&c);
}

static void test_unknown_method(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    send_call(&c, 1, "tender.nope.v1.Nope/Nothing", 0);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_UNIMPLEMENTED);
    assert_non_null(strstr(msg, "tender.nope.v1.Nope/Nothing"));
    rawconn_close(&c);
}

/* ---- identity and authorization ---- */

static void test_anonymous_refused_role_method(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.u32 = 1};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_UNAUTHENTICATED);
    assert_non_null(strstr(msg, SSTREAM));
    assert_non_null(strstr(msg, "supplier"));
    rawconn_close(&c);
}

static void test_wrong_role_refused(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    send_call(&c, 1, CSTREAM, 0);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    assert_non_null(strstr(msg, CSTREAM));
    assert_non_null(strstr(msg, "officer or admin"));
    assert_non_null(strstr(msg, "supplier"));
    rawconn_close(&c);
}

static void test_tls12_refused(void **state)
{
    (void)state;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    static const unsigned char alpn[] = "\x08tender/1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
    SSL_CTX_load_verify_locations(ctx, P(0, "ca.crt"), NULL);
    rawconn c;
    assert_int_equal(rawconn_open_ctx(&c, ts.port, ctx, "127.0.0.1"), -1);
    rawconn_close(&c);
    SSL_CTX_free(ctx);
    assert_server_serves();
}

static void test_untrusted_and_expired_certs_refused(void **state)
{
    (void)state;
    char err[512], other[600];
    /* A certificate from another CA. */
    snprintf(other, sizeof other, "%s/other", ts.dir);
    assert_int_equal(tnd_pki_init(other, err, sizeof err), 0);
    char crt[700], key[700];
    snprintf(crt, sizeof crt, "%s/supplier.crt", other);
    snprintf(key, sizeof key, "%s/supplier.key", other);
    rawconn c;
    tnd_frame f;
    /* TLS 1.3 client certificates are checked after the client's handshake
     * finishes; the refusal shows up as an alert on the first read. */
    if (rawconn_open(&c, ts.port, P(0, "ca.crt"), crt, key) == 0) {
        rawconn_settings(&c);
        assert_int_equal(rawconn_read(&c, &f, T_MS, false), -1);
    }
    rawconn_close(&c);
    /* An expired certificate from the right CA. */
    assert_int_equal(tnd_pki_issue_ex(ts.pki, "expired", "supplier", "Old Ltd", -7200, -3600, err,
                                      sizeof err),
                     0);
    if (rawconn_open(&c, ts.port, P(0, "ca.crt"), P(1, "expired.crt"), P(2, "expired.key")) ==
        0) {
        rawconn_settings(&c);
        assert_int_equal(rawconn_read(&c, &f, T_MS, false), -1);
    }
    rawconn_close(&c);
    assert_server_serves();
}

/* SIGHUP's reload: new certificates for new connections, old connections untouched. */
static void test_certificate_reload(void **state)
{
    (void)state;
    rawconn old;
    assert_int_equal(open_as(&old, NULL), 0);
    rawconn_settings(&old);
    char err[512], fresh[600], cmd[4096];
    snprintf(fresh, sizeof fresh, "%s/fresh", ts.dir);
    assert_int_equal(tnd_pki_init(fresh, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "cp %s/ca.crt %s/server.crt %s/server.key %s/", fresh, fresh, fresh,
             ts.pki);
    assert_int_equal(system(cmd), 0);
    testsrv_reload(&ts);
    /* The old connection still works. */
    tender_test_v1_Scalars req = {.i64 = 1};
    assert_int_equal(rawconn_unary(&old, 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&old, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&old);
    /* A new connection is served with the new certificate. */
    char ca_new[700];
    snprintf(ca_new, sizeof ca_new, "%s/ca.crt", fresh);
    rawconn c;
    assert_int_equal(rawconn_open(&c, ts.port, ca_new, NULL, NULL), 0);
    rawconn_close(&c);
}

static void test_drain_finishes_inflight(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    /* A call that finishes by itself 300 ms from now. */
    tender_test_v1_Scalars req = {.d = 300};
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    usleep(50000);
    ts.stop_mode = 0;
    uv_async_send(&ts.stop_async); /* drain */
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0);
    assert_int_equal(f.type, TND_FRAME_GOAWAY);
    assert_int_equal(f.u.goaway.last_stream_id, 1);
    /* A new call after GOAWAY is refused; the old one completes. */
    tender_test_v1_Scalars r2 = {.i64 = 1};
    assert_int_equal(rawconn_unary(&c, 3, UNARY, &tender_test_v1_Scalars_desc, &r2, 0), 0);
    int first = -1, second = -1;
    while (rawconn_read(&c, &f, T_MS, true) == 0) {
        if (f.type == TND_FRAME_STATUS && f.stream_id == 1)
            first = (int)f.u.status.code;
        if (f.type == TND_FRAME_STATUS && f.stream_id == 3)
            second = (int)f.u.status.code;
    }
    assert_int_equal(second, TND_STATUS_UNAVAILABLE);
    assert_int_equal(first, TND_STATUS_OK);
    assert_int_equal(strcmp(c.err, "closed"), 0);
    rawconn_close(&c);
    pthread_join(ts.thread, NULL); /* the loop ended by itself */
    ts.thread = pthread_self();
}

static int teardown_drained(void **state)
{
    (void)state;
    tnd_server_free(ts.srv);
    uv_loop_close(&ts.loop);
    test_rmtree(ts.dir);
    return 0;
}

static void short_grace(tnd_config *cfg)
{
    cfg->grace_ms = 300;
}

static int setup_short_grace(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, short_grace, testsvc_setup);
    return 0;
}

/* The next Health/Watch status on stream sid, or -1. */
static int next_health(rawconn *c, uint32_t sid, bool *goaway)
{
    tnd_frame f;
    while (rawconn_read(c, &f, T_MS, true) == 0) {
        if (f.type == TND_FRAME_GOAWAY)
            *goaway = true;
        if (f.type != TND_FRAME_MESSAGE || f.stream_id != sid)
            continue;
        tender_health_v1_HealthCheckResponse r;
        tender_health_v1_HealthCheckResponse_init(&r);
        if (tnd_msg_decode(&tender_health_v1_HealthCheckResponse_desc, f.u.message.payload.ptr,
                           f.u.message.payload.len, &r, NULL) != 0)
            return -1;
        return (int)r.status;
    }
    return -1;
}

/* Draining (SIGTERM's grace period) makes Health NOT_SERVING: a watcher
 * hears it, so a load balancer stops sending before the server goes. */
static void test_drain_health_not_serving(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_health_v1_HealthCheckRequest req = {0};
    int sent = rawconn_unary(&c, 1, "tender.health.v1.Health/Watch",
                             &tender_health_v1_HealthCheckRequest_desc, &req, 0);
    bool goaway_before = false, goaway = false;
    int before = sent == 0 ? next_health(&c, 1, &goaway_before) : -1;
    ts.stop_mode = 0;
    uv_async_send(&ts.stop_async); /* drain, as SIGTERM does */
    int during = next_health(&c, 1, &goaway);
    /* Then GOAWAY, and the grace period ends the watch and the connection. */
    tnd_frame f;
    while (rawconn_read(&c, &f, T_MS, true) == 0)
        goaway |= f.type == TND_FRAME_GOAWAY;
    bool closed = strcmp(c.err, "closed") == 0;
    rawconn_close(&c);
    pthread_join(ts.thread, NULL); /* the loop ended by itself; asserts after this */
    ts.thread = pthread_self();
    assert_int_equal(before, tender_health_v1_ServingStatus_SERVING);
    assert_false(goaway_before);
    assert_int_equal(during, tender_health_v1_ServingStatus_NOT_SERVING);
    assert_true(goaway);
    assert_true(closed);
}


/* ---- protection limits, on a server with small limits ---- */

static void small_limits(tnd_config *cfg)
{
    cfg->max_streams = 4;
    cfg->max_metadata = 512;
    cfg->max_connections = 3;
    cfg->handshake_timeout_ms = 300;
    cfg->idle_timeout_ms = 400;
    cfg->min_ping_interval_ms = 1000;
    cfg->max_ping_strikes = 2;
}

static int setup_small(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, small_limits, testsvc_setup);
    return 0;
}

static void test_ping_flood_goaway(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < 10; i++)
        assert_int_equal(tnd_frame_put_ping(&sb, (uint64_t)i, false), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    tnd_frame f;
    int acks = 0, rc;
    while ((rc = rawconn_read(&c, &f, T_MS, false)) == 0 && f.type != TND_FRAME_GOAWAY)
        acks += f.type == TND_FRAME_PING && f.u.ping.ack;
    assert_int_equal(rc, 0);
    assert_int_equal(f.u.goaway.code, TND_STATUS_RESOURCE_EXHAUSTED);
    assert_true(acks >= 1 && acks <= 3); /* the first and the tolerated strikes */
    assert_true(rawconn_closed(&c, T_MS));
    rawconn_close(&c);
}

static void test_max_streams(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "forever"};
    for (uint32_t sid = 1; sid <= 9; sid += 2) /* the fifth call is one too many */
        assert_int_equal(rawconn_unary(&c, sid, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0),
                         0);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 9, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(msg, "max_concurrent_streams = 4"));
    rawconn_close(&c);
}

static void test_metadata_too_large(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    char big[600];
    memset(big, 'a', sizeof big);
    tnd_md md[] = {{"x-big", (const uint8_t *)big, sizeof big}};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, 1, UNARY, md, 1, 0), 0);
    /* A key with upper case is refused as well. */
    tnd_md bad[] = {{"X-Upper", (const uint8_t *)"v", 1}};
    assert_int_equal(tnd_frame_put_call(&sb, 3, UNARY, bad, 1, 0), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(msg, "512 bytes"));
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    rawconn_close(&c);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tnd_frame f;
    int rc;
    while ((rc = rawconn_read(&c, &f, T_MS, true)) == 0 && f.type != TND_FRAME_GOAWAY)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(f.u.goaway.code, TND_STATUS_OK);
    assert_true(rawconn_closed(&c, T_MS));
    rawconn_close(&c);
}

static void test_handshake_timeout(void **state)
{
    (void)state;
    /* A TCP connection that never starts TLS is closed after the timeout. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ts.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, T_MS), 1);
    char b;
    assert_true(read(fd, &b, 1) <= 0);
    close(fd);
}

static void test_max_connections(void **state)
{
    (void)state;
    rawconn c[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(open_as(&c[i], NULL), 0);
    rawconn extra;
    tnd_frame f;
    /* The fourth is accepted and closed at once: no handshake, or EOF. */
    if (open_as(&extra, NULL) == 0)
        assert_int_equal(rawconn_read(&extra, &f, T_MS, false), -1);
    rawconn_close(&extra);
    for (int i = 0; i < 3; i++)
        rawconn_close(&c[i]);
}

/* ---- idle means no calls; one identity's share of the connections ---- */

static void chatty_limits(tnd_config *cfg)
{
    cfg->idle_timeout_ms = 600;
    cfg->keepalive_ms = 100; /* far shorter than the idle timeout */
    cfg->keepalive_timeout_ms = 2000;
    cfg->max_conns_per_identity = 2;
}

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static int setup_chatty(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, chatty_limits, testsvc_setup);
    return 0;
}

/* A client that answers every keepalive ping but makes no call is idle:
 * the pings do not keep its connection slot. */
static void test_idle_despite_pings(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.s = "one call"};
    assert_int_equal(rawconn_unary(&c, 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    uint64_t t0 = mono_ms();
    tnd_frame f;
    int rc;
    /* rawconn_read answers the server's pings as it skips them. */
    while ((rc = rawconn_read(&c, &f, T_MS, true)) == 0 && f.type != TND_FRAME_GOAWAY)
        ;
    assert_int_equal(rc, 0);
    assert_int_equal(f.u.goaway.code, TND_STATUS_OK);
    uint64_t took = mono_ms() - t0;
    assert_true(took >= 500 && took < 3000);
    assert_true(rawconn_closed(&c, T_MS));
    rawconn_close(&c);
}

/* The same certificate, or the same address without one, holds at most
 * max-connections-per-identity connections; others still connect. */
static void test_connections_per_identity(void **state)
{
    (void)state;
    rawconn mine[2], extra, other, anon[2], anon_extra;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_as(&mine[i], "supplier"), 0);
        rawconn_settings(&mine[i]);
        assert_int_equal(open_as(&anon[i], NULL), 0);
        rawconn_settings(&anon[i]);
    }
    rawconn *refused[] = {&extra, &anon_extra};
    const char *who[] = {"supplier", NULL};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_as(refused[i], who[i]), 0);
        rawconn_settings(refused[i]);
        tnd_frame f;
        int rc;
        while ((rc = rawconn_read(refused[i], &f, T_MS, true)) == 0 &&
               f.type != TND_FRAME_GOAWAY)
            ;
        assert_int_equal(rc, 0);
        assert_int_equal(f.u.goaway.code, TND_STATUS_RESOURCE_EXHAUSTED);
        char text[300];
        snprintf(text, sizeof text, "%.*s", (int)f.u.goaway.message.len,
                 (const char *)f.u.goaway.message.ptr);
        assert_non_null(strstr(text, "max-connections-per-identity = 2"));
        assert_true(rawconn_closed(refused[i], T_MS));
        rawconn_close(refused[i]);
    }
    /* Another certificate is not affected, and the first ones still work. */
    assert_int_equal(open_as(&other, "supplier2"), 0);
    rawconn_settings(&other);
    tender_test_v1_Scalars req = {.s = "still here"};
    assert_int_equal(rawconn_unary(&other, 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&other, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    assert_int_equal(rawconn_unary(&mine[1], 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&mine[1], 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    /* A slot given back can be taken again. */
    rawconn_close(&mine[0]);
    usleep(200000);
    assert_int_equal(open_as(&mine[0], "supplier"), 0);
    rawconn_settings(&mine[0]);
    assert_int_equal(rawconn_unary(&mine[0], 1, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&mine[0], 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    for (int i = 0; i < 2; i++) {
        rawconn_close(&mine[i]);
        rawconn_close(&anon[i]);
    }
    rawconn_close(&other);
}

/* ---- stalls: uploads that stop sending, peers that stop reading ---- */

static void stall_limits(tnd_config *cfg)
{
    cfg->stall_timeout_ms = 500;
}

static int setup_stall(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, stall_limits, testsvc_setup);
    return 0;
}

/* A Bids/Submit that sends its envelope and then nothing is cancelled after
 * the stall timeout, and the upload memory it held is free again. */
static void test_stalled_upload_cancelled(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    static uint8_t ct[200000];
    uint8_t z[64] = {0};
    tender_bids_v1_SealedBid bid = {.tender_id = "T-1",
                                    .bid_id = "B-00000000000000000000000000000001",
                                    .opening_key_fingerprint = {z, 32},
                                    .owner_tag = {z, 32},
                                    .enc = {z, 32},
                                    .signature = {z, 64},
                                    .ciphertext = {ct, sizeof ct}};
    tender_bids_v1_SubmitBidRequest first = {.bid = &bid, .owner_nonce = {z, 32}};
    uint8_t *buf;
    size_t len;
    assert_int_equal(
        tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, &first, &buf, &len, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, 1, "tender.bids.v1.Bids/Submit", NULL, 0, 0), 0);
    assert_int_equal(tnd_frame_put_message(&sb, 1, buf, len, false), 0);
    assert_int_equal(rawconn_send(&c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    uint64_t t0 = mono_ms();
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_DEADLINE_EXCEEDED);
    assert_true(mono_ms() - t0 >= 450);
    assert_non_null(strstr(msg, "stall-timeout"));
    assert_int_equal(ts.srv->upload_bytes, 0);
    /* The connection itself goes on. */
    tender_test_v1_Scalars req = {.s = "still here"};
    assert_int_equal(rawconn_unary(&c, 3, UNARY, &tender_test_v1_Scalars_desc, &req, 0), 0);
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

/* A client that asks for a long stream and never reads: once its output has
 * not moved for the stall timeout, the connection is closed and the handler
 * cancelled; until then the server holds a bounded amount for it. */
static void test_unread_output_closed(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "supplier"), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.u32 = 100000, .i32 = 16384}; /* 1.6 GB if unbounded */
    assert_int_equal(rawconn_unary(&c, 1, SSTREAM, &tender_test_v1_Scalars_desc, &req, 0), 0);
    for (int i = 0; i < 500 && testsvc_cancelled == 0; i++)
        usleep(10000);
    assert_int_equal(testsvc_cancelled, 1);
    assert_true(testsvc_produced < 100000);
    assert_server_serves();
    rawconn_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unary_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interleaved_uploads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bidi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thousand_concurrent_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_cancels_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_long_deadline_ends_the_call_on_the_tick, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_cancels_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_reader_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_unknown_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_bad_stream_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_huge_map_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_huge_map_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_frame_must_be_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings_window_applies_to_open_streams, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymous_refused_role_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_role_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls12_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_and_expired_certs_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_finishes_inflight, setup, teardown_drained),
        cmocka_unit_test_setup_teardown(test_drain_health_not_serving, setup_short_grace,
                                        teardown_drained),
        cmocka_unit_test_setup_teardown(test_ping_flood_goaway, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_max_streams, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_too_large, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_max_connections, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_idle_despite_pings, setup_chatty, teardown),
        cmocka_unit_test_setup_teardown(test_connections_per_identity, setup_chatty, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_upload_cancelled, setup_stall, teardown),
        cmocka_unit_test_setup_teardown(test_unread_output_closed, setup_stall, teardown),
    };
    return cmocka_run_group_tests_name("transport", tests, NULL, NULL);
}
