/* Edge cases of what a remote peer sends, against a real server in-process
 * (raw TLS frames): empty strings and bytes in request fields and frames
 * (under ASan+UBSan, make test, they prove the remote path has no undefined
 * behaviour: msgpack-c gives an empty str a NULL pointer); a method name
 * that is not UTF-8, escaped in STATUS and in the log; a certificate refused
 * for its identity, told with GOAWAY; and libtender telling a status the
 * server sent from one it made up. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ops/logging.h"
#include "rawconn.h"
#include "tender/client.h"
#include "tender/pki.h"
#include "tender_schema.h"
#include "test_schema.h"
#include "testsrv.h"
#include "testsvc.h"

#define T_MS 5000

static testsrv ts;

/* The server's log lines, from warn up. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_len;

static void capture(const char *line, size_t len, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    if (len < sizeof log_text - 1 - log_len) {
        memcpy(log_text + log_len, line, len);
        log_len += len;
        log_text[log_len] = '\0';
    }
    pthread_mutex_unlock(&log_mu);
}

static void setup_srv(tnd_server *srv)
{
    testsvc_setup(srv);
    tnd_log_set_sink(capture, NULL);
    tnd_log_set_level(TND_LOG_WARN);
}

static int setup(void **state)
{
    (void)state;
    testsvc_reset();
    testsrv_pki(&ts);
    testsrv_start(&ts, NULL, setup_srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    tnd_log_set_sink(NULL, NULL);
    return 0;
}

static int open_as(rawconn *c, const char *who)
{
    char ca[400], crt[400], key[400], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    if (!who)
        return rawconn_open(c, ts.port, ca, NULL, NULL);
    snprintf(f, sizeof f, "%s.crt", who);
    testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    testsrv_path(&ts, f, key, sizeof key);
    return rawconn_open(c, ts.port, ca, crt, key);
}

static void send_frame(rawconn *c, msgpack_sbuffer *sb, int rc)
{
    assert_int_equal(rc, 0);
    assert_int_equal(rawconn_send(c, sb), 0);
}

/* The server answers a plain call on another connection. */
static void assert_server_serves(void)
{
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tender_test_v1_Scalars req = {.i64 = 1, .s = "still here"};
    char msg[200];
    assert_int_equal(rawconn_call(&c, 1, "tender.test.v1.Sample/Unary",
                                  &tender_test_v1_Scalars_desc, &req, NULL, NULL, msg,
                                  sizeof msg, NULL, 0),
                     TND_STATUS_OK);
    rawconn_close(&c);
}

/* Empty str and bin in plain and optional fields (raw bytes: the encoder
 * leaves empty plain fields out): answered, the optional ones echoed. */
static void test_empty_fields_echoed(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    /* {7: "", 8: bin(0), 17: "", 18: bin(0)} as Scalars */
    static const uint8_t req[] = {0x84, 0x07, 0xa0, 0x08, 0xc4, 0x00,
                                  0x11, 0xa0, 0x12, 0xc4, 0x00};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    send_frame(&c, &sb, tnd_frame_put_call(&sb, 1, "tender.test.v1.Sample/Unary", NULL, 0, 0));
    send_frame(&c, &sb, tnd_frame_put_message(&sb, 1, req, sizeof req, true));
    msgpack_sbuffer_destroy(&sb);
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, true), 0);
    assert_int_equal(f.type, TND_FRAME_MESSAGE);
    tender_test_v1_Scalars resp;
    tender_test_v1_Scalars_init(&resp);
    assert_int_equal(tender_test_v1_Scalars_decode(&resp, f.u.message.payload.ptr,
                                                   f.u.message.payload.len, NULL),
                     0);
    assert_true(resp.has_opt_s);
    assert_string_equal(resp.opt_s, "");
    assert_true(resp.has_opt_by);
    assert_int_equal(resp.opt_by.len, 0);
    tender_test_v1_Scalars_free(&resp);
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, NULL, 0, NULL), TND_STATUS_OK);
    rawconn_close(&c);
}

/* A real service's request with empty strings: a clear refusal. */
static void test_empty_id_refused(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, "officer"), 0);
    rawconn_settings(&c);
    tender_tenders_v1_TenderRef ref;
    tender_tenders_v1_TenderRef_init(&ref);
    ref.id = "";
    char msg[300] = "";
    int code = rawconn_call(&c, 1, "tender.tenders.v1.Tenders/Get",
                            &tender_tenders_v1_TenderRef_desc, &ref, NULL, NULL, msg, sizeof msg,
                            NULL, 0);
    assert_true(code == TND_STATUS_INVALID_ARGUMENT || code == TND_STATUS_NOT_FOUND);
    assert_true(msg[0] != '\0');
    tender_tenders_v1_EditTenderRequest edit;
    tender_tenders_v1_EditTenderRequest_init(&edit);
    edit.id = "";
    tender_tenders_v1_TenderFields fields;
    tender_tenders_v1_TenderFields_init(&fields);
    fields.title = "";
    fields.description = "";
    edit.fields = &fields;
    code = rawconn_call(&c, 3, "tender.tenders.v1.Tenders/Edit",
                        &tender_tenders_v1_EditTenderRequest_desc, &edit, NULL, NULL, msg,
                        sizeof msg, NULL, 0);
    assert_true(code == TND_STATUS_INVALID_ARGUMENT || code == TND_STATUS_NOT_FOUND);
    rawconn_close(&c);
    assert_server_serves();
}

/* Frames with empty strings: method, metadata values, STATUS-less MESSAGE
 * payload; each answered, nothing crashes. */
static void test_empty_frame_fields(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    /* An empty method name. */
    send_frame(&c, &sb, tnd_frame_put_call(&sb, 1, "", NULL, 0, 0));
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_UNIMPLEMENTED);
    /* Empty metadata values, an empty payload then a real one. */
    tnd_md md[] = {{"x-request-id", (const uint8_t *)"", 0},
                   {"idempotency-key", (const uint8_t *)"", 0},
                   {"note-bin", (const uint8_t *)"", 0}};
    send_frame(&c, &sb, tnd_frame_put_call(&sb, 3, "tender.test.v1.Sample/Unary", md, 3, 0));
    send_frame(&c, &sb, tnd_frame_put_message(&sb, 3, NULL, 0, false));
    tender_test_v1_Scalars req = {.s = ""};
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_test_v1_Scalars_desc, &req, &enc, &len, NULL), 0);
    send_frame(&c, &sb, tnd_frame_put_message(&sb, 3, enc, len, true));
    free(enc);
    assert_int_equal(rawconn_wait_status(&c, 3, T_MS, msg, sizeof msg, NULL), TND_STATUS_OK);
    /* A PING answered; an empty GOAWAY message from the client. */
    send_frame(&c, &sb, tnd_frame_put_goaway(&sb, 0, 0, ""));
    msgpack_sbuffer_destroy(&sb);
    rawconn_close(&c);
    assert_server_serves();
}

/* The decoder on its own: empty strings as map keys and values and in
 * repeated fields. */
static void test_decode_empty_keys(void **state)
{
    (void)state;
    /* {7: [""], 8: [bin 0], 13: {"": ""}} as Containers */
    static const uint8_t wire[] = {0x83, 0x07, 0x91, 0xa0, 0x08, 0x91, 0xc4,
                                   0x00, 0x0d, 0x81, 0xa0, 0xa0};
    tender_test_v1_Containers m;
    tender_test_v1_Containers_init(&m);
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_decode(&tender_test_v1_Containers_desc, wire, sizeof wire, &m, &err),
                     0);
    assert_int_equal(m.n_r_string, 1);
    assert_string_equal(m.r_string[0], "");
    assert_int_equal(m.n_r_bytes, 1);
    assert_int_equal(m.r_bytes[0].len, 0);
    assert_int_equal(m.n_m_str, 1);
    assert_string_equal(m.m_str[0].key, "");
    assert_string_equal(m.m_str[0].value, "");
    tender_test_v1_Containers_free(&m);
}

/* The frame reader fed nothing before anything else. */
static void test_frame_reader_empty_feed(void **state)
{
    (void)state;
    tnd_frame_reader r;
    tnd_frame_reader_init(&r, 1024);
    assert_int_equal(tnd_frame_reader_feed(&r, (const uint8_t *)"", 0), 0);
    assert_int_equal(tnd_frame_reader_pending(&r), 0);
    const uint8_t *body;
    size_t len;
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), 0);
    tnd_frame_reader_free(&r);
}

/* A method name with bytes that are not UTF-8 and a terminal escape: the
 * STATUS message and the log line show them as \xNN, never raw. */
static void test_method_name_escaped(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    send_frame(&c, &sb,
               tnd_frame_put_call(&sb, 1, "tender.\xff\xfe.v1/\x1b[2JX\xc3\xa9", NULL, 0, 0));
    msgpack_sbuffer_destroy(&sb);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_UNIMPLEMENTED);
    rawconn_close(&c);
    /* Valid UTF-8 (the e-acute) is kept; the rest is escaped. */
    if (!strstr(msg, "\"tender.\\xff\\xfe.v1/\\x1b[2JX\xc3\xa9\""))
        fail_msg("STATUS message: %s", msg);
    pthread_mutex_lock(&log_mu);
    const char *line = strstr(log_text, "tender.\\\\xff");
    char copy[1024] = "";
    if (line) {
        const char *end = strchr(line, '\n');
        snprintf(copy, sizeof copy, "%.*s", (int)(end ? end - line : 200), line);
    }
    bool raw = memchr(log_text, 0xff, log_len) || memchr(log_text, 0x1b, log_len);
    pthread_mutex_unlock(&log_mu);
    if (!line)
        fail_msg("no escaped method name in the log:\n%s", log_text);
    assert_false(raw);
    assert_null(memchr(msg, 0xff, strlen(msg)));
    assert_null(strchr(msg, 0x1b));
}

/* A metadata key with bytes that are not allowed: the STATUS message
 * shows them escaped. */
static void test_metadata_key_escaped(void **state)
{
    (void)state;
    rawconn c;
    assert_int_equal(open_as(&c, NULL), 0);
    rawconn_settings(&c);
    tnd_md md[] = {{"x-\xff\x1b[2J", (const uint8_t *)"v", 1}};
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    send_frame(&c, &sb, tnd_frame_put_call(&sb, 1, "tender.test.v1.Sample/Unary", md, 1, 0));
    msgpack_sbuffer_destroy(&sb);
    char msg[300];
    assert_int_equal(rawconn_wait_status(&c, 1, T_MS, msg, sizeof msg, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    rawconn_close(&c);
    if (!strstr(msg, "metadata key \"x-\\xff\\x1b[2J\""))
        fail_msg("STATUS message: %s", msg);
    assert_null(memchr(msg, 0xff, strlen(msg)));
    assert_null(strchr(msg, 0x1b));
}

/* A certificate that verifies but has no role: SETTINGS, then GOAWAY
 * UNAUTHENTICATED with the reason, then the close; libtender ends the call
 * with that status and reason instead of reconnecting. */
static void test_refused_certificate_told(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(tnd_pki_issue_ex(ts.pki, "norole", NULL, "Acme Construction", 0, 86400, err,
                                      sizeof err),
                     0);
    rawconn c;
    assert_int_equal(open_as(&c, "norole"), 0);
    rawconn_settings(&c);
    tnd_frame f;
    assert_int_equal(rawconn_read(&c, &f, T_MS, false), 0);
    assert_int_equal(f.type, TND_FRAME_SETTINGS);
    assert_int_equal(rawconn_read(&c, &f, T_MS, false), 0);
    assert_int_equal(f.type, TND_FRAME_GOAWAY);
    assert_int_equal(f.u.goaway.code, TND_STATUS_UNAUTHENTICATED);
    char text[300];
    snprintf(text, sizeof text, "%.*s", (int)f.u.goaway.message.len,
             (const char *)f.u.goaway.message.ptr);
    assert_non_null(strstr(text, "client certificate refused"));
    assert_non_null(strstr(text, "CN=norole has no urn:tender:role: URI"));
    assert_true(rawconn_closed(&c, T_MS));
    rawconn_close(&c);

    char addr[64], ca[400], crt[400], key[400];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = addr;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    o.cert_file = testsrv_path(&ts, "norole.crt", crt, sizeof crt);
    o.key_file = testsrv_path(&ts, "norole.key", key, sizeof key);
    tnd_client *cl = NULL;
    assert_int_equal(tnd_client_open(&o, &cl, err, sizeof err), 0);
    tender_health_v1_HealthCheckRequest q;
    tender_health_v1_HealthCheckRequest_init(&q);
    tender_health_v1_HealthCheckResponse r;
    tender_health_v1_HealthCheckResponse_init(&r);
    tnd_call_opts co = {.timeout_ms = 10000};
    tnd_status_info st;
    assert_int_equal(tnd_client_unary(cl, tender_health_v1_Health_Check_method, &q, &r, &co, &st),
                     TND_STATUS_UNAUTHENTICATED);
    assert_non_null(strstr(st.message, "CN=norole has no urn:tender:role: URI"));
    tnd_client_free(cl);
    assert_server_serves();
}

static tnd_client *client_to(int port, int max_attempts)
{
    char addr[64], ca[400], err[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = addr;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    o.max_attempts = max_attempts;
    tnd_client *cl = NULL;
    assert_int_equal(tnd_client_open(&o, &cl, err, sizeof err), 0);
    return cl;
}

/* Run ServerStream (supplier only) anonymously to port: its status code,
 * and whether it was the server's. */
static int stream_status(int port, bool *answered)
{
    tnd_client *cl = client_to(port, 1);
    tender_test_v1_Scalars req = {.u32 = 1};
    tnd_call_opts co = {.timeout_ms = 5000};
    tnd_client_stream *s = NULL;
    tnd_status_info st;
    int code = tnd_client_stream_open(cl, tender_test_v1_Sample_ServerStream_method, &req, &co,
                                      &s, &st);
    if (code == 0) {
        tender_test_v1_Scalars r;
        tender_test_v1_Scalars_init(&r);
        while (tnd_client_stream_next(s, &r, &st) == 1)
            tender_test_v1_Scalars_free(&r);
        code = st.code;
    }
    *answered = tnd_client_stream_answered(s);
    tnd_client_stream_close(s);
    tnd_client_free(cl);
    return code;
}

static void test_stream_answered(void **state)
{
    (void)state;
    bool answered = false;
    /* The server's STATUS. */
    assert_int_equal(stream_status(ts.port, &answered), TND_STATUS_UNAUTHENTICATED);
    assert_true(answered);
    /* Nobody listening: the client's own UNAVAILABLE. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    answered = true;
    assert_int_equal(stream_status(ntohs(a.sin_port), &answered), TND_STATUS_UNAVAILABLE);
    assert_false(answered);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_fields_echoed),
        cmocka_unit_test(test_empty_id_refused),
        cmocka_unit_test(test_empty_frame_fields),
        cmocka_unit_test(test_decode_empty_keys),
        cmocka_unit_test(test_frame_reader_empty_feed),
        cmocka_unit_test(test_method_name_escaped),
        cmocka_unit_test(test_metadata_key_escaped),
        cmocka_unit_test(test_refused_certificate_told),
        cmocka_unit_test(test_stream_answered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
