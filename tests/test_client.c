/* libtender tests: the retry policy and address parsing (pure functions),
 * then end-to-end calls of every kind against an in-process tenderd on a
 * random loopback port: flow control both ways, deadlines, cancellation,
 * TLS and connection failures, retries, reconnection after GOAWAY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../client/client_internal.h"
#include "arena.h"
#include "tender/client.h"
#include "tender/pki.h"
#include "tender_schema.h"
#include "test_schema.h"
#include "testsrv.h"
#include "testsvc.h"

static testsrv ts;
static char paths[4][512];

static const char *P(int slot, const char *file)
{
    return testsrv_path(&ts, file, paths[slot], sizeof paths[slot]);
}

/* A blocking client for identity who (NULL: anonymous). */
static tnd_client *open_client(const char *who, int port)
{
    char server[64], crt[64], key[64], err[512] = "";
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    o.server = server;
    o.ca_file = P(0, "ca.crt");
    if (who) {
        snprintf(crt, sizeof crt, "%s.crt", who);
        snprintf(key, sizeof key, "%s.key", who);
        o.cert_file = P(1, crt);
        o.key_file = P(2, key);
    }
    o.backoff_base_ms = 10;
    tnd_client *c = NULL;
    int rc = tnd_client_open(&o, &c, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "tnd_client_open: %s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

/* ---- pure functions ------------------------------------------------------- */

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(tnd__backoff_cap(100, 5000, 2), 100);
    assert_int_equal(tnd__backoff_cap(100, 5000, 3), 200);
    assert_int_equal(tnd__backoff_cap(100, 5000, 4), 400);
    assert_int_equal(tnd__backoff_cap(100, 5000, 8), 5000);
    assert_int_equal(tnd__backoff_cap(100, 5000, 1000), 5000);
    for (uint64_t r = 0; r < 1000; r++)
        assert_true(tnd__backoff_delay(100, 5000, 3, r * 7919u) <= 200);
    assert_int_equal(tnd__backoff_delay(100, 5000, 2, 100), 100);
    assert_int_equal(tnd__backoff_delay(100, 5000, 2, 101), 0);
}

static void test_should_retry(void **state)
{
    (void)state;
    const tnd_method_desc *idem = tender_health_v1_Health_Check_method;
    const tnd_method_desc *nonidem = tender_health_v1_Health_Watch_method;
    const bool idem_ok = idem->idempotent, nonidem_ok = nonidem->idempotent;
    assert_true(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 0, true, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(nonidem_ok, TND_STATUS_UNAVAILABLE, false, 0, true, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_INTERNAL, false, 0, true, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, true, 0, true, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 1, true, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 0, false, 1, 4, 0, 10, 0));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 0, true, 4, 4, 0, 10, 0));
    /* never past the deadline */
    assert_true(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 0, true, 1, 4, 100, 10, 200));
    assert_false(tnd__should_retry(idem_ok, TND_STATUS_UNAVAILABLE, false, 0, true, 1, 4, 195, 10, 200));
    /* One server: the schema alone decides, as it always did. */
    const tnd_method_desc *write = tender_tenders_v1_Tenders_Create_method;
    assert_true(tnd__call_repeatable(idem, false, false, 1));
    assert_false(tnd__call_repeatable(write, true, false, 1));
    assert_false(tnd__call_repeatable(write, false, true, 1));
    /* Several: a write moves on with its idempotency-key, or when unsent. */
    assert_true(tnd__call_repeatable(write, true, false, 2));
    assert_true(tnd__call_repeatable(write, false, true, 2));
    assert_false(tnd__call_repeatable(write, false, false, 2));
    assert_true(tnd__call_repeatable(idem, false, false, 2));
}

static void test_hostport(void **state)
{
    (void)state;
    char h[64], p[8];
    assert_int_equal(tnd__split_hostport("127.0.0.1:7443", h, sizeof h, p, sizeof p), 0);
    assert_string_equal(h, "127.0.0.1");
    assert_string_equal(p, "7443");
    assert_int_equal(tnd__split_hostport("[::1]:1", h, sizeof h, p, sizeof p), 0);
    assert_string_equal(h, "::1");
    assert_int_equal(tnd__split_hostport("localhost:65535", h, sizeof h, p, sizeof p), 0);
    const char *bad[] = {"", "host", "host:", ":80", "::1:80", "h:0", "h:65536", "h:8x", "[::1]80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tnd__split_hostport(bad[i], h, sizeof h, p, sizeof p), TND_EINVAL);
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[512];
    tnd_client *c = (tnd_client *)1;
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), TND_EINVAL);
    assert_null(c);
    o.ca_file = "/nonexistent/ca.crt";
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), TND_ETLS);
    assert_non_null(strstr(err, "/nonexistent/ca.crt"));
    o.server = "no-port";
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), TND_EINVAL);
    assert_non_null(strstr(err, "HOST:PORT"));
    tnd_client_free(NULL);
}

/* ---- against a server -------------------------------------------------------- */

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

static void test_unary(void **state)
{
    (void)state;
    tnd_client *c = open_client(NULL, ts.port);
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    for (int i = 0; i < 3; i++) { /* one connection, several calls */
        assert_int_equal(tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp,
                                          NULL, &st), 0);
        assert_int_equal(resp.status, tender_health_v1_ServingStatus_SERVING);
    }
    req.service = "no.such.Service";
    assert_int_equal(tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp, NULL,
                                      &st), TND_STATUS_NOT_FOUND);
    assert_int_equal(st.code, TND_STATUS_NOT_FOUND);
    assert_non_null(strstr(st.message, "no.such.Service"));

    /* echo with metadata, strings and bytes round trip */
    tender_test_v1_Scalars in = {.i64 = -5, .s = "hello", .u32 = 7};
    tender_test_v1_Scalars out;
    tnd_meta md[] = {{"x-request-id", "abc123", 0}, {"trace-bin", "\x00\x01", 2}};
    tnd_call_opts co = {.metadata = md, .n_metadata = 2};
    assert_int_equal(tnd_client_unary(c, tender_test_v1_Sample_Unary_method, &in, &out, &co, &st),
                     0);
    assert_int_equal(out.i64, -5);
    assert_string_equal(out.s, "hello");
    tender_test_v1_Scalars_free(&out);

    /* bad metadata is refused locally */
    tnd_meta badmd[] = {{"Upper", "x", 0}};
    co.metadata = badmd;
    co.n_metadata = 1;
    assert_int_equal(tnd_client_unary(c, tender_test_v1_Sample_Unary_method, &in, &out, &co, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    tnd_client_free(c);
}

/* tnd_client_unary_in: the response lives in the caller's arena; an arena
 * that runs out ends the call RESOURCE_EXHAUSTED, not with a crash. */
static void test_unary_in(void **state)
{
    (void)state;
    tnd_client *c = open_client(NULL, ts.port);
    tnd_status_info st;
    tnd_arena a;
    tnd_arena_init(&a, 0);
    tender_test_v1_Scalars in = {.i64 = -5, .s = "hello", .u32 = 7};
    tender_test_v1_Scalars out;
    assert_int_equal(tender_test_v1_Sample_Unary_in(c, &a, &in, &out, NULL, &st), 0);
    assert_int_equal(out.i64, -5);
    assert_string_equal(out.s, "hello");
    assert_true(tnd_arena_held(&a) > 0); /* out.s is the arena's: no _free */
    tnd_arena_free(&a);

    char big[8192];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    in.s = big;
    tnd_arena_init(&a, 1024);
    assert_int_equal(tender_test_v1_Sample_Unary_in(c, &a, &in, &out, NULL, &st),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_string_equal(st.message, "out of memory decoding a response");
    assert_null(out.s);
    tnd_arena_free(&a);

    assert_int_equal(tender_test_v1_Sample_Unary_in(c, NULL, &in, &out, NULL, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    tnd_client_free(c);
}

static void test_server_stream(void **state)
{
    (void)state;
    tnd_client *c = open_client("supplier", ts.port);
    /* 600 messages of 8000 bytes: 4.8 MB, well past our 1 MiB stream window,
     * so the server must get WINDOW credit as we read. */
    tender_test_v1_Scalars req = {.u32 = 600, .i32 = 8000};
    tnd_client_stream *s;
    tnd_status_info st;
    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_ServerStream_method, &req,
                                            NULL, &s, &st), 0);
    tender_test_v1_Scalars m;
    int n = 0;
    while (tnd_client_stream_next(s, &m, &st) == 1) {
        assert_int_equal(m.i64, n);
        assert_int_equal(strlen(m.s), 8000);
        tender_test_v1_Scalars_free(&m);
        n++;
    }
    assert_int_equal(st.code, TND_STATUS_OK);
    assert_int_equal(n, 600);
    tnd_client_stream_close(s);

    /* anonymous callers get UNAUTHENTICATED */
    tnd_client *anon = open_client(NULL, ts.port);
    assert_int_equal(tnd_client_stream_open(anon, tender_test_v1_Sample_ServerStream_method, &req,
                                            NULL, &s, &st), 0);
    assert_int_equal(tnd_client_stream_next(s, &m, &st), 0);
    assert_int_equal(st.code, TND_STATUS_UNAUTHENTICATED);
    tnd_client_stream_close(s);
    tnd_client_free(anon);
    tnd_client_free(c);
}

static void test_client_stream_and_bidi(void **state)
{
    (void)state;
    tnd_client *c = open_client("officer", ts.port);
    tnd_client_stream *s;
    tnd_status_info st;
    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_ClientStream_method, NULL,
                                            NULL, &s, &st), 0);
    int64_t sum = 0;
    for (int i = 1; i <= 300; i++) {
        tender_test_v1_Scalars m = {.i64 = i, .s = "padding padding padding padding"};
        assert_int_equal(tnd_client_stream_send(s, &m, &st), 0);
        sum += i;
    }
    tender_test_v1_Scalars resp;
    assert_int_equal(tnd_client_stream_finish(s, &resp, &st), 0);
    assert_int_equal(resp.i64, sum);
    tender_test_v1_Scalars_free(&resp);
    tnd_client_stream_close(s);

    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_Bidi_method, NULL, NULL, &s,
                                            &st), 0);
    tender_test_v1_Node node = {.name = "n"};
    for (int i = 0; i < 50; i++)
        assert_int_equal(tnd_client_stream_send(s, &node, &st), 0);
    assert_int_equal(tnd_client_stream_close_send(s), 0);
    tender_test_v1_Node back;
    int n = 0;
    while (tnd_client_stream_next(s, &back, &st) == 1) {
        assert_string_equal(back.name, "n");
        tender_test_v1_Node_free(&back);
        n++;
    }
    assert_int_equal(n, 50);
    assert_int_equal(st.code, TND_STATUS_OK);
    tnd_client_stream_close(s);
    tnd_client_free(c);
}

static void test_deadline(void **state)
{
    (void)state;
    tnd_client *c = open_client("supplier", ts.port);
    tender_test_v1_Scalars req = {.s = "forever"};
    tnd_call_opts co = {.timeout_ms = 200};
    tnd_client_stream *s;
    tnd_status_info st;
    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_ServerStream_method, &req,
                                            &co, &s, &st), 0);
    tender_test_v1_Scalars m;
    assert_int_equal(tnd_client_stream_next(s, &m, &st), 0);
    assert_int_equal(st.code, TND_STATUS_DEADLINE_EXCEEDED);
    tnd_client_stream_close(s);
    tnd_client_free(c);
}

/* ---- asynchronous use on the caller's loop ---- */

typedef struct async_ctx {
    int messages, statuses, code;
    char message[512];
} async_ctx;

static void a_on_message(tnd_client_call *call, const void *resp, void *user)
{
    (void)resp;
    async_ctx *a = user;
    if (++a->messages == 3)
        tnd_client_call_cancel(call); /* from inside the callback */
}

static void a_on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)call;
    async_ctx *a = user;
    a->statuses++;
    a->code = code;
    snprintf(a->message, sizeof a->message, "%s", message);
}

/* A client on loop as PKI identity who ("supplier", "officer"). */
static tnd_client *loop_client(uv_loop_t *loop, const char *who)
{
    char server[64], err[512], crt[64], key[64];
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    snprintf(crt, sizeof crt, "%s.crt", who);
    snprintf(key, sizeof key, "%s.key", who);
    o.server = server;
    o.ca_file = P(0, "ca.crt");
    o.cert_file = P(1, crt);
    o.key_file = P(2, key);
    tnd_client *c;
    assert_int_equal(tnd_client_new(loop, &o, &c, err, sizeof err), 0);
    return c;
}

static void test_async_cancel(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_client *c = loop_client(&loop, "supplier");
    static const tnd_call_cb cb = {.on_message = a_on_message, .on_status = a_on_status};
    async_ctx a = {0}, b = {0};
    tnd_client_call *call, *call2;
    tender_test_v1_Scalars req = {.u32 = 1000000, .s = "forever"};
    assert_int_equal(tnd_client_call_start(c, tender_test_v1_Sample_ServerStream_method, NULL, &cb,
                                           &a, &call), 0);
    assert_int_equal(tnd_client_call_send(call, &req), 0);
    assert_int_equal(tnd_client_call_send(call, &req), TND_EINVAL); /* one request only */
    assert_int_equal(tnd_client_call_close_send(call), 0);
    /* a second call, left running, ends with CANCELLED when the client is freed */
    assert_int_equal(tnd_client_call_start(c, tender_test_v1_Sample_ServerStream_method, NULL, &cb,
                                           &b, &call2), 0);
    assert_int_equal(tnd_client_call_send(call2, &(tender_test_v1_Scalars){.s = "forever"}), 0);
    while (a.statuses == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(a.statuses, 1);
    assert_int_equal(a.code, TND_STATUS_CANCELLED);
    assert_int_equal(a.messages, 3);
    assert_int_equal(b.statuses, 0);
    tnd_client_free(c);
    assert_int_equal(b.statuses, 1);
    assert_int_equal(b.code, TND_STATUS_CANCELLED);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle released */
    assert_int_equal(a.statuses, 1);
}

static void s_on_message(tnd_client_call *call, const void *resp, void *user)
{
    (void)call;
    ((async_ctx *)user)->messages += (int)((const tender_test_v1_Scalars *)resp)->i64;
}

typedef struct bytes_ctx {
    int messages, statuses, matched, bytes_in_status;
} bytes_ctx;

/* Each response's bytes, as received, decode to the struct delivered with
 * them; outside on_message there are none. */
static void b_on_message(tnd_client_call *call, const void *resp, void *user)
{
    bytes_ctx *b = user;
    size_t len;
    const uint8_t *bytes = tnd_client_call_message_bytes(call, &len);
    tender_test_v1_Scalars got = {0};
    b->messages++;
    if (bytes && len > 0 &&
        tnd_msg_decode(&tender_test_v1_Scalars_desc, bytes, len, &got, NULL) == 0) {
        const tender_test_v1_Scalars *r = resp;
        if (got.i64 == r->i64 && got.s && r->s && strcmp(got.s, r->s) == 0)
            b->matched++;
        tender_test_v1_Scalars_free(&got);
    }
}

static void b_on_status(tnd_client_call *call, int code, const char *message, void *user)
{
    (void)code;
    (void)message;
    bytes_ctx *b = user;
    size_t len = 1;
    b->statuses++;
    if (tnd_client_call_message_bytes(call, &len) != NULL || len != 0)
        b->bytes_in_status++;
}

static void test_message_bytes(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_client *c = loop_client(&loop, "supplier");
    static const tnd_call_cb cb = {.on_message = b_on_message, .on_status = b_on_status};
    bytes_ctx b = {0};
    tnd_client_call *call;
    tender_test_v1_Scalars req = {.u32 = 3, .i32 = 10}; /* three of i64 0, 1, 2 and s "xx..." */
    assert_int_equal(tnd_client_call_start(c, tender_test_v1_Sample_ServerStream_method, NULL, &cb,
                                           &b, &call), 0);
    assert_int_equal(tnd_client_call_send(call, &req), 0);
    assert_int_equal(tnd_client_call_close_send(call), 0);
    while (b.statuses == 0)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(b.messages, 3);
    assert_int_equal(b.matched, 3);
    assert_int_equal(b.bytes_in_status, 0);
    tnd_client_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A call started, sent and closed in one turn of the loop goes out as one
 * TLS record and one write (not one per frame: CALL, each message, the end
 * of stream), and the server still sees every message in order. */
static void test_one_write_per_turn(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_client *c = loop_client(&loop, "officer");
    static const tnd_call_cb cb = {.on_message = s_on_message, .on_status = a_on_status};
    tnd_client_call *call;
    for (int round = 0; round < 2; round++) {
        /* Round 0 opens the connection; round 1 counts its writes. */
        tnd_cconn *cc = c->current;
        uint64_t w0 = cc ? cc->tls.writes : 0;
        async_ctx a = {0};
        assert_int_equal(tnd_client_call_start(c, tender_test_v1_Sample_ClientStream_method,
                                               NULL, &cb, &a, &call), 0);
        int n = round == 0 ? 1 : 3; /* before the server's settings, one at a time */
        for (int i = 1; i <= n; i++)
            assert_int_equal(tnd_client_call_send(call, &(tender_test_v1_Scalars){.i64 = i}),
                             0);
        assert_int_equal(tnd_client_call_close_send(call), 0);
        while (a.statuses == 0)
            uv_run(&loop, UV_RUN_ONCE);
        assert_int_equal(a.code, TND_STATUS_OK);
        assert_int_equal(a.messages, n * (n + 1) / 2); /* the sum 1 + ... + n */
        if (round == 1) {
            assert_ptr_equal(c->current, cc);
            assert_int_equal(cc->tls.writes - w0, 1);
        }
    }
    tnd_client_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle released */
}

/* ---- failures -------------------------------------------------------------------- */

static void test_connection_refused(void **state)
{
    (void)state;
    /* a port with nobody listening: take one and close it */
    uv_loop_t loop;
    uv_tcp_t t;
    struct sockaddr_in sa;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_loop_init(&loop);
    uv_tcp_init(&loop, &t);
    uv_ip4_addr("127.0.0.1", 0, &sa);
    uv_tcp_bind(&t, (const struct sockaddr *)&sa, 0);
    uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &len);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);

    tnd_client *c = open_client(NULL, port);
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    assert_int_equal(tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp, NULL,
                                      &st), TND_STATUS_UNAVAILABLE);
    assert_non_null(strstr(st.message, "cannot connect to 127.0.0.1:"));
    assert_non_null(strstr(st.message, "connection refused"));
    assert_non_null(strstr(st.message, "after 4 attempts")); /* idempotent: retried */
    /* not idempotent: one attempt */
    tnd_client_stream *s;
    assert_int_equal(tnd_client_stream_open(c, tender_health_v1_Health_Watch_method, &req, NULL,
                                            &s, &st), 0);
    assert_int_equal(tnd_client_stream_next(s, &resp, &st), 0);
    assert_int_equal(st.code, TND_STATUS_UNAVAILABLE);
    assert_null(strstr(st.message, "attempts"));
    tnd_client_stream_close(s);
    tnd_client_free(c);
}

static void test_wrong_ca(void **state)
{
    (void)state;
    char dir[] = "/tmp/tnd-client-XXXXXX", pki[300], ca[320], server[64], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(pki, sizeof pki, "%s/pki", dir);
    assert_int_equal(tnd_pki_init(pki, err, sizeof err), 0);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(server, sizeof server, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = ca;
    tnd_client *c;
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), 0);
    tender_health_v1_HealthCheckRequest req = {.service = ""};
    tender_health_v1_HealthCheckResponse resp;
    tnd_status_info st;
    assert_int_equal(tnd_client_unary(c, tender_health_v1_Health_Check_method, &req, &resp, NULL,
                                      &st), TND_STATUS_UNAVAILABLE);
    assert_non_null(strstr(st.message, "TLS handshake with 127.0.0.1:"));
    assert_non_null(strstr(st.message, "certificate rejected"));
    assert_null(strstr(st.message, "attempts")); /* a certificate problem is not retried */
    tnd_client_free(c);
    test_rmtree(dir);
}

/* A fresh client opens its first call and queues an upload larger than the
 * 65535 bytes it may send before the server's SETTINGS arrive. When they
 * arrive, the call's window grows by the difference (the HTTP/2 rule), so
 * the upload goes on; were it left at 65535, the first message would take
 * it below zero and the server, which gives credit back only per half of
 * its 8 MiB window, would never send more: the call would stall until its
 * deadline. */
static void test_upload_before_settings(void **state)
{
    (void)state;
    tnd_client *c = open_client("officer", ts.port);
    tnd_client_stream *s;
    tnd_status_info st;
    tnd_call_opts opts = {.timeout_ms = 5000};
    static uint8_t blob[200000];
    memset(blob, 'b', sizeof blob);
    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_ClientStream_method, NULL,
                                            &opts, &s, &st), 0);
    for (int i = 0; i < 3; i++) {
        tender_test_v1_Scalars m = {.i64 = 1, .by = {blob, sizeof blob}};
        assert_int_equal(tnd_client_stream_send(s, &m, &st), 0);
    }
    tender_test_v1_Scalars resp;
    int rc = tnd_client_stream_finish(s, &resp, &st);
    if (rc != 0)
        fprintf(stderr, "finish: %d %s\n", st.code, st.message);
    assert_int_equal(rc, 0);
    assert_int_equal(resp.i64, 3);
    tender_test_v1_Scalars_free(&resp);
    tnd_client_stream_close(s);
    tnd_client_free(c);
}

/* ---- a server with small windows and a short idle timeout ---- */

static void small_cfg(tnd_config *cfg)
{
    cfg->initial_window = 16384;
    cfg->conn_window = 65536;
    cfg->idle_timeout_ms = 200;
}

static int setup_small(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, small_cfg, testsvc_setup);
    return 0;
}

static void test_send_flow_control(void **state)
{
    (void)state;
    tnd_client *c = open_client("officer", ts.port);
    tnd_client_stream *s;
    tnd_status_info st;
    char pad[2001];
    memset(pad, 'p', 2000);
    pad[2000] = '\0';
    /* 400 x 2 KB = 800 KB against a 16 KiB stream / 64 KiB connection window */
    assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_ClientStream_method, NULL,
                                            NULL, &s, &st), 0);
    for (int i = 0; i < 400; i++) {
        tender_test_v1_Scalars m = {.i64 = 1, .s = pad};
        assert_int_equal(tnd_client_stream_send(s, &m, &st), 0);
    }
    tender_test_v1_Scalars resp;
    assert_int_equal(tnd_client_stream_finish(s, &resp, &st), 0);
    assert_int_equal(resp.i64, 400);
    tnd_client_stream_close(s);
    tnd_client_free(c);
}

static void test_reconnect_after_goaway(void **state)
{
    (void)state;
    tnd_client *c = open_client(NULL, ts.port);
    tnd_client_stream *s;
    tnd_status_info st;
    tender_test_v1_Node node = {.name = "x"}, back;
    for (int round = 0; round < 3; round++) {
        /* Bidi is not idempotent: it still succeeds after the idle GOAWAY,
         * because the server never saw the stream on the old connection. */
        assert_int_equal(tnd_client_stream_open(c, tender_test_v1_Sample_Bidi_method, NULL, NULL,
                                                &s, &st), 0);
        assert_int_equal(tnd_client_stream_send(s, &node, &st), 0);
        assert_int_equal(tnd_client_stream_close_send(s), 0);
        int got = tnd_client_stream_next(s, &back, &st);
        if (got != 1)
            fprintf(stderr, "round %d: %s: %s\n", round, tnd_status_name(st.code), st.message);
        assert_int_equal(got, 1);
        tender_test_v1_Node_free(&back);
        assert_int_equal(tnd_client_stream_next(s, &back, &st), 0);
        assert_int_equal(st.code, TND_STATUS_OK);
        tnd_client_stream_close(s);
        usleep(500 * 1000); /* the server's idle timeout (200 ms) passes */
    }
    tnd_client_free(c);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_should_retry),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_open_errors),
    };
    const struct CMUnitTest e2e[] = {
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_unary_in),
        cmocka_unit_test(test_server_stream),
        cmocka_unit_test(test_client_stream_and_bidi),
        cmocka_unit_test(test_upload_before_settings),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_async_cancel),
        cmocka_unit_test(test_one_write_per_turn),
        cmocka_unit_test(test_message_bytes),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_wrong_ca),
    };
    const struct CMUnitTest small[] = {
        cmocka_unit_test(test_send_flow_control),
        cmocka_unit_test(test_reconnect_after_goaway),
    };
    int failed = cmocka_run_group_tests_name("client_pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("client_e2e", e2e, setup, teardown);
    failed += cmocka_run_group_tests_name("client_small_windows", small, setup_small, teardown);
    return failed ? 1 : 0;
}
