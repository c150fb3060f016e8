/* Tests for common/tls_stream.c on a real loopback connection: what the owner
 * writes while handling a read goes out together, in order, and before a
 * close; held bytes count towards congestion. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tender/error.h"
#include "tender/pki.h"
#include "tls.h"
#include "tls_stream.h"

#define PIECES 50
#define PIECE 10

typedef struct end {
    tnd_tls_stream tls; /* first: callbacks cast the stream back to the end */
    struct pair *p;
    uint8_t got[4096];
    size_t got_len;
    int eof_status;
    bool eof, closed, drained;
} end;

typedef struct pair {
    char root[64];
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_connect_t connect;
    SSL_CTX *sctx, *cctx;
    end server, client;
    bool accepted;
    /* what the server does with the client's "go" */
    enum {
        ANSWER_PIECES,
        ANSWER_THEN_CLOSE,
        ANSWER_OVER_HIGH_WATER,
        ANSWER_LATER,
        ANSWER_LATER_GATHERED
    } mode;
    uv_timer_t later; /* ANSWER_LATER: the answer goes out from a timer, outside the read */
    uint64_t writes_before; /* server writes when "go" arrived */
    bool congested_in_read; /* tnd_tls_stream_congested() right after the writes */
    bool write_after;       /* the client writes once more, outside any callback */
    uint64_t direct_written; /* client bytes on the network right after that write */
    size_t direct_unsent;    /* and client bytes left queued */
} pair;

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Piece i: PIECE bytes, "piece 007\n". */
static void make_piece(char *buf, size_t len, int i)
{
    snprintf(buf, len, "piece %03d", i % 1000);
    buf[PIECE - 1] = '\n';
}

static void on_close(tnd_tls_stream *s)
{
    ((end *)s)->closed = true;
}

static void on_eof(tnd_tls_stream *s, int status)
{
    end *e = (end *)s;
    e->eof = true;
    e->eof_status = status;
}

static void on_drain(tnd_tls_stream *s)
{
    ((end *)s)->drained = true;
}

static void client_on_data(tnd_tls_stream *s, const uint8_t *data, size_t len)
{
    end *e = (end *)s;
    assert_true(e->got_len + len <= sizeof e->got);
    memcpy(e->got + e->got_len, data, len);
    e->got_len += len;
}

static void client_on_handshake(tnd_tls_stream *s, int status)
{
    assert_int_equal(status, 0);
    assert_int_equal(tnd_tls_stream_write(s, "go", 2), 0);
}

/* The server answers "go" with PIECES writes of PIECE bytes, as a server
 * answers a read full of calls with a frame or two each. */
static void write_pieces(tnd_tls_stream *s)
{
    for (int i = 0; i < PIECES; i++) {
        char piece[32];
        make_piece(piece, sizeof piece, i);
        assert_int_equal(tnd_tls_stream_write(s, piece, PIECE), 0);
    }
}

/* Outside any read (as a reply after a store commit), held by hand. */
static void answer_later(uv_timer_t *t)
{
    pair *p = t->data;
    tnd_tls_stream *s = &p->server.tls;
    p->writes_before = s->writes;
    bool held = tnd_tls_stream_hold(s);
    assert_true(held);
    assert_false(tnd_tls_stream_hold(s)); /* an inner hold leaves the flush to the outer */
    write_pieces(s);
    tnd_tls_stream_release(s, false);
    assert_int_equal(s->writes, p->writes_before); /* still held */
    tnd_tls_stream_release(s, held);
    uv_close((uv_handle_t *)t, NULL);
}

/* Outside any read, and not held: every piece in one tnd_tls_stream_writev. */
static void answer_gathered(uv_timer_t *t)
{
    pair *p = t->data;
    tnd_tls_stream *s = &p->server.tls;
    p->writes_before = s->writes;
    static char pieces[PIECES][32];
    uv_buf_t parts[PIECES];
    for (int i = 0; i < PIECES; i++) {
        make_piece(pieces[i], sizeof pieces[i], i);
        parts[i] = uv_buf_init(pieces[i], PIECE);
    }
    assert_int_equal(tnd_tls_stream_writev(s, parts, PIECES), 0);
    uv_close((uv_handle_t *)t, NULL);
}

static void server_on_data(tnd_tls_stream *s, const uint8_t *data, size_t len)
{
    end *e = (end *)s;
    pair *p = e->p;
    assert_int_equal(len, 2);
    assert_memory_equal(data, "go", 2);
    if (p->mode == ANSWER_LATER || p->mode == ANSWER_LATER_GATHERED) {
        assert_false(tnd_tls_stream_hold(s)); /* a read already holds */
        uv_timer_init(&p->loop, &p->later);
        p->later.data = p;
        uv_timer_start(&p->later, p->mode == ANSWER_LATER ? answer_later : answer_gathered, 0, 0);
        return;
    }
    p->writes_before = s->writes;
    if (p->mode == ANSWER_OVER_HIGH_WATER)
        s->high_water = PIECES * PIECE / 2;
    for (int i = 0; i < PIECES; i++) {
        char piece[32];
        make_piece(piece, sizeof piece, i);
        assert_int_equal(tnd_tls_stream_write(s, piece, PIECE), 0);
    }
    p->congested_in_read = tnd_tls_stream_congested(s);
    if (p->mode == ANSWER_THEN_CLOSE)
        tnd_tls_stream_close(s);
}

static const tnd_tls_stream_cb server_cb = {
    .on_data = server_on_data, .on_eof = on_eof, .on_drain = on_drain, .on_close = on_close};
static const tnd_tls_stream_cb client_cb = {.on_handshake = client_on_handshake,
                                            .on_data = client_on_data,
                                            .on_eof = on_eof,
                                            .on_close = on_close};

static void on_connection(uv_stream_t *l, int status)
{
    pair *p = l->data;
    assert_int_equal(status, 0);
    assert_false(p->accepted);
    p->accepted = true;
    assert_int_equal(
        tnd_tls_stream_init(&p->loop, &p->server.tls, p->sctx, true, &server_cb, &p->server), 0);
    assert_int_equal(uv_accept(l, (uv_stream_t *)&p->server.tls.tcp), 0);
    assert_int_equal(tnd_tls_stream_start(&p->server.tls), 0);
}

static void on_connect(uv_connect_t *req, int status)
{
    pair *p = req->data;
    assert_int_equal(status, 0);
    assert_int_equal(tnd_tls_stream_start(&p->client.tls), 0);
}

static int setup(void **state)
{
    pair *p = calloc(1, sizeof *p);
    assert_non_null(p);
    char err[512], dir[96], crt[128], key[128], ca[128];
    strcpy(p->root, "/tmp/tnd_tlss_XXXXXX");
    assert_non_null(mkdtemp(p->root));
    snprintf(dir, sizeof dir, "%s/pki", p->root);
    if (tnd_pki_init(dir, err, sizeof err) != 0)
        fail_msg("tnd_pki_init: %s", err);
    snprintf(crt, sizeof crt, "%s/server.crt", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    p->sctx = tnd_tls_server_ctx_new(crt, key, ca, err, sizeof err);
    if (!p->sctx)
        fail_msg("server context: %s", err);
    p->cctx = tnd_tls_client_ctx_new(ca, NULL, NULL, err, sizeof err);
    if (!p->cctx)
        fail_msg("client context: %s", err);
    p->server.p = p->client.p = p;
    assert_int_equal(uv_loop_init(&p->loop), 0);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pair *p = *state;
    assert_int_equal(uv_loop_close(&p->loop), 0);
    SSL_CTX_free(p->sctx);
    SSL_CTX_free(p->cctx);
    char dir[96];
    snprintf(dir, sizeof dir, "%s/pki", p->root);
    remove_tree(dir);
    rmdir(p->root);
    free(p);
    return 0;
}

/* Connect, let the client say "go", run until the client has every piece
 * (and, with want_eof, the end of the stream), then close everything. */
static void run(pair *p, bool want_eof)
{
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_init(&p->loop, &p->listener);
    p->listener.data = p;
    assert_int_equal(uv_tcp_bind(&p->listener, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&p->listener, 4, on_connection), 0);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    assert_int_equal(uv_tcp_getsockname(&p->listener, (struct sockaddr *)&bound, &blen), 0);

    assert_int_equal(
        tnd_tls_stream_init(&p->loop, &p->client.tls, p->cctx, false, &client_cb, &p->client), 0);
    p->connect.data = p;
    assert_int_equal(uv_tcp_connect(&p->connect, &p->client.tls.tcp,
                                    (const struct sockaddr *)&bound, on_connect),
                     0);
    while (p->client.got_len < PIECES * PIECE || (want_eof && !p->client.eof)) {
        assert_false(p->client.eof && p->client.got_len < PIECES * PIECE);
        uv_run(&p->loop, UV_RUN_ONCE);
    }
    if (!want_eof)
        uv_run(&p->loop, UV_RUN_NOWAIT); /* the server's write callbacks */
    if (p->write_after) {
        uint64_t before = p->client.tls.written;
        assert_int_equal(tnd_tls_stream_write(&p->client.tls, "x", 1), 0);
        p->direct_written = p->client.tls.written - before;
        p->direct_unsent = p->client.tls.unsent;
    }
    tnd_tls_stream_abort(&p->client.tls);
    if (p->accepted)
        tnd_tls_stream_abort(&p->server.tls);
    uv_close((uv_handle_t *)&p->listener, NULL);
    uv_run(&p->loop, UV_RUN_DEFAULT);
    assert_true(p->client.closed);
    assert_true(p->server.closed);
}

static void assert_pieces(const end *e)
{
    assert_int_equal(e->got_len, PIECES * PIECE);
    for (int i = 0; i < PIECES; i++) {
        char want[32];
        make_piece(want, sizeof want, i);
        assert_memory_equal(e->got + i * PIECE, want, PIECE);
    }
}

/* Fifty writes from one on_data leave as one write, in order. */
static void test_writes_in_a_read_go_out_once(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_PIECES;
    run(p, false);
    assert_pieces(&p->client);
    assert_int_equal(p->server.tls.writes, p->writes_before + 1);
    assert_false(p->congested_in_read);
}

/* A small write the socket can take goes out during the call: nothing is
 * left queued for a later turn of the loop (no allocation, no callback). */
static void test_small_write_goes_out_at_once(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_PIECES;
    p->write_after = true;
    run(p, false);
    assert_pieces(&p->client);
    assert_int_equal(p->direct_unsent, 0);
    assert_true(p->direct_written > 1); /* one TLS record: the byte and its overhead */
}

/* Writes between tnd_tls_stream_hold and _release, outside a read, leave as
 * one write, in order. */
static void test_held_writes_outside_a_read_go_out_once(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_LATER;
    run(p, false);
    assert_pieces(&p->client);
    assert_int_equal(p->server.tls.writes, p->writes_before + 1);
}

/* Pieces written together (a frame's head, its payload, its tail) go out
 * in order as one write, not a record and a system call each. */
static void test_gathered_pieces_go_out_once(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_LATER_GATHERED;
    run(p, false);
    assert_pieces(&p->client);
    assert_int_equal(p->server.tls.writes, p->writes_before + 1);
}

/* A close from on_data sends what on_data wrote first, then close_notify. */
static void test_close_in_a_read_sends_held_bytes(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_THEN_CLOSE;
    run(p, true);
    assert_pieces(&p->client);
    assert_int_equal(p->client.eof_status, TND_ECLOSED);
}

/* Held bytes count towards the high-water mark, and on_drain follows once
 * they have gone out. */
static void test_held_bytes_count_for_congestion(void **state)
{
    pair *p = *state;
    p->mode = ANSWER_OVER_HIGH_WATER;
    run(p, false);
    assert_pieces(&p->client);
    assert_true(p->congested_in_read);
    assert_true(p->server.drained);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_in_a_read_go_out_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_write_goes_out_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_writes_outside_a_read_go_out_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gathered_pieces_go_out_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_a_read_sends_held_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_bytes_count_for_congestion, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
