/* libtender with several servers (include/tender/client.h, "Several
 * servers"): two in-process servers on one PKI, one a follower that names
 * the other as the writer. Writes end on the writer, reads are served where
 * the client is, a dead server is passed over, and an idempotency-key sent
 * again across servers gives one stored record and the same reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ops/metrics.h"
#include "scenario.h"
#include "store/store.h"
#include "tender/client.h"
#include "tender/receipt.h"
#include "testsrv.h"
#include "testsvc.h"

#include <pthread.h>

static testsrv w, f; /* the writer and a follower naming it */
static uint32_t backoff_ms = 10; /* the moves that wait, wait little */
static char w_addr[64], f_addr[64];

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0; /* a tender that closes within the test */
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&w);
    testsrv_start(&w, cfg, NULL);
    testsrv_pki_shared(&f, &w);
    testsrv_start(&f, NULL, NULL);
    snprintf(w_addr, sizeof w_addr, "127.0.0.1:%d", w.port);
    snprintf(f_addr, sizeof f_addr, "127.0.0.1:%d", f.port);
    testsrv_set_writer(&f, false, w_addr);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&f);
    testsrv_stop(&w);
    return 0;
}

/* A blocking client as PKI identity who, given the n servers in order. */
static tnd_client *client_of(const char *who, const char *const *servers, size_t n,
                             int max_attempts)
{
    char ca[400], cert[400], key[400], err[256], fn[64];
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.servers = servers;
    o.n_servers = n;
    o.ca_file = testsrv_path(&w, "ca.crt", ca, sizeof ca);
    snprintf(fn, sizeof fn, "%s.crt", who);
    o.cert_file = testsrv_path(&w, fn, cert, sizeof cert);
    snprintf(fn, sizeof fn, "%s.key", who);
    o.key_file = testsrv_path(&w, fn, key, sizeof key);
    o.max_attempts = max_attempts;
    o.backoff_base_ms = o.backoff_max_ms = backoff_ms;
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("client: %s", err);
    return c;
}

static size_t entries(testsrv *t, tnd_table table)
{
    tnd_store *s = t->srv->store;
    MDB_txn *txn;
    MDB_stat stat;
    assert_int_equal(tnd_store_read_begin(s, &txn), 0);
    int rc = mdb_stat(txn, tnd_store_dbi(s, table), &stat);
    tnd_store_read_end(s, txn);
    assert_int_equal(rc, 0);
    return stat.ms_entries;
}

static uint64_t refused(testsrv *t)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(tnd_metrics_render(t->srv->metrics, &text, &len), 0);
    const char *at = strstr(text, "\ntenderd_writes_refused_total ");
    assert_non_null(at);
    uint64_t n = strtoull(at + strlen("\ntenderd_writes_refused_total "), NULL, 10);
    free(text);
    return n;
}

/* Tenders/Create of a draft, with idempotency-key key unless NULL; the
 * tender's id into id. The status code, the message in st. */
static int create(tnd_client *c, const char *key, char id[64], tnd_status_info *st)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    assert_non_null(q.fields);
    tender_tenders_v1_TenderFields_init(q.fields);
    q.fields->title = strdup("Road salt, winter 2026");
    tnd_meta md = {.key = "idempotency-key", .value = key};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = key ? 1 : 0};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    int code = tnd_client_unary(c, tender_tenders_v1_Tenders_Create_method, &q, &t, &opts, st);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    if (code == 0)
        snprintf(id, 64, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    return code;
}

static int get(tnd_client *c, const char *id, tnd_status_info *st)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    int code = tnd_client_unary(c, tender_tenders_v1_Tenders_Get_method, &r, &t, NULL, st);
    tender_tenders_v1_Tender_free(&t);
    return code;
}

static int list(tnd_client *c, tnd_status_info *st)
{
    tender_tenders_v1_ListTendersRequest q = {0};
    tender_tenders_v1_ListTendersResponse r;
    tender_tenders_v1_ListTendersResponse_init(&r);
    int code = tnd_client_unary(c, tender_tenders_v1_Tenders_List_method, &q, &r, NULL, st);
    tender_tenders_v1_ListTendersResponse_free(&r);
    return code;
}

/* Follower first: a read is served there; a write is refused there and
 * completes on the writer, once, and the client stays with the writer. */
static void test_write_on_writer_read_anywhere(void **state)
{
    (void)state;
    const char *const servers[] = {f_addr, w_addr};
    tnd_client *c = client_of("officer", servers, 2, 0);
    tnd_status_info st;
    assert_int_equal(list(c, &st), 0);
    assert_string_equal(tnd_client_server(c), f_addr); /* a read: no move */

    size_t on_w = entries(&w, TND_TABLE_TENDERS), on_f = entries(&f, TND_TABLE_TENDERS);
    uint64_t refused_before = refused(&f);
    char id[64];
    if (create(c, "salt-1", id, &st) != 0)
        fail_msg("Create through the follower: %s", st.message);
    assert_string_equal(tnd_client_server(c), w_addr);
    assert_int_equal(refused(&f) - refused_before, 1);
    assert_int_equal(entries(&w, TND_TABLE_TENDERS), on_w + 1);
    assert_int_equal(entries(&f, TND_TABLE_TENDERS), on_f);
    assert_int_equal(get(c, id, &st), 0); /* now read where the client is */
    /* A write without a key follows the writer's name too: nothing ran. */
    tnd_client *c2 = client_of("officer", servers, 2, 0);
    if (create(c2, NULL, id, &st) != 0)
        fail_msg("Create without a key through the follower: %s", st.message);
    assert_int_equal(entries(&w, TND_TABLE_TENDERS), on_w + 2);
    tnd_client_free(c2);
    tnd_client_free(c);
}

/* Given only the follower, the client still goes where it is told, at
 * once: with a backoff of a minute, a wait would exceed the deadline. */
static void test_single_server_follows_the_writer(void **state)
{
    (void)state;
    const char *const servers[] = {f_addr};
    backoff_ms = 60000;
    tnd_client *c = client_of("officer", servers, 1, 0);
    backoff_ms = 10;
    tnd_status_info st;
    char id[64];
    uint64_t t0 = uv_hrtime();
    if (create(c, "salt-single", id, &st) != 0)
        fail_msg("Create: %s", st.message);
    assert_true(uv_hrtime() - t0 < 2000000000ull);
    assert_string_equal(tnd_client_server(c), w_addr);
    tnd_client_free(c);
}

/* max_attempts 1: no second attempt, not even to the writer; the message
 * names it. */
static void test_no_attempt_left(void **state)
{
    (void)state;
    const char *const servers[] = {f_addr, w_addr};
    tnd_client *c = client_of("officer", servers, 2, 1);
    tnd_status_info st;
    char id[64], want[128];
    assert_int_equal(create(c, "salt-once", id, &st), TND_STATUS_UNAVAILABLE);
    snprintf(want, sizeof want, "not the writer; the writer is %s", w_addr);
    assert_string_equal(st.message, want);
    tnd_client_free(c);
}

/* The same idempotency-key sent through the follower by two clients: one
 * tender, one sealed bid, each time the same reply. */
static void test_same_key_one_record(void **state)
{
    (void)state;
    const char *const servers[] = {f_addr, w_addr};
    tnd_status_info st;
    char first[64], again[64];
    tnd_client *a = client_of("officer", servers, 2, 0);
    tnd_client *b = client_of("officer", servers, 2, 0);
    size_t on_w = entries(&w, TND_TABLE_TENDERS);
    assert_int_equal(create(a, "salt-twice", first, &st), 0);
    assert_int_equal(create(b, "salt-twice", again, &st), 0);
    assert_string_equal(first, again);
    assert_int_equal(entries(&w, TND_TABLE_TENDERS), on_w + 1);
    tnd_client_free(a);
    tnd_client_free(b);

    /* A bid (a request stream of several messages, replayed whole). */
    scn_conn off;
    scn_connect(&w, &off, "officer");
    scn_tender t;
    memset(&t, 0, sizeof t);
    scn_create_and_publish(&w, &off, &t, "Salt", 3600000, 3700000);
    rawconn_close(&off.rc);
    tender_bids_v1_BidContent bc;
    tender_bids_v1_BidContent_init(&bc);
    bc.tender_version = 1;
    bc.price = calloc(1, sizeof *bc.price);
    assert_non_null(bc.price);
    bc.price->minor_units = 4200;
    bc.price->currency = strdup("EUR");
    assert_int_equal(testsrv_seal_certs(&w, "supplier", &bc), 0);
    tender_bids_v1_SealedBid sb;
    uint8_t nonce[32];
    char bid[40];
    scn_seal(&w, &t, "supplier", &bc, NULL, &sb, nonce, bid);
    tnd_meta md = {.key = "idempotency-key", .value = "bid-twice"};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = 1};
    tender_bids_v1_Receipt r1, r2;
    bool unknown = false;
    size_t bids = entries(&w, TND_TABLE_BIDS);
    a = client_of("supplier", servers, 2, 0);
    b = client_of("supplier", servers, 2, 0);
    if (tnd_bid_submit(a, &opts, &sb, nonce, NULL, &r1, &unknown, &st) != 0)
        fail_msg("Submit through the follower: %s", st.message);
    if (tnd_bid_submit(b, &opts, &sb, nonce, NULL, &r2, &unknown, &st) != 0)
        fail_msg("Submit again through the follower: %s", st.message);
    assert_string_equal(r1.bid_id, bid);
    assert_string_equal(r2.bid_id, bid);
    assert_int_equal(r1.leaf_index, r2.leaf_index);
    assert_string_equal(r1.checkpoint, r2.checkpoint);
    assert_int_equal(entries(&w, TND_TABLE_BIDS), bids + 1);
    assert_int_equal(entries(&f, TND_TABLE_BIDS), 0);
    tender_bids_v1_Receipt_free(&r1);
    tender_bids_v1_Receipt_free(&r2);
    tender_bids_v1_SealedBid_free(&sb);
    tender_bids_v1_BidContent_free(&bc);
    tnd_client_free(a);
    tnd_client_free(b);
}

/* A loopback port nobody listens on. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* The first server cannot be reached: reads and writes go to the next. */
static void test_dead_server_passed_over(void **state)
{
    (void)state;
    char dead[64];
    snprintf(dead, sizeof dead, "127.0.0.1:%d", dead_port());
    const char *const servers[] = {dead, w_addr};
    tnd_client *c = client_of("officer", servers, 2, 0);
    tnd_status_info st;
    char id[64];
    if (create(c, NULL, id, &st) != 0) /* no key: nobody saw it before */
        fail_msg("Create past a dead server: %s", st.message);
    assert_string_equal(tnd_client_server(c), w_addr);
    assert_int_equal(get(c, id, &st), 0);
    tnd_client_free(c);
}

/* The server the client uses stops: its next calls go to the next one. */
static void test_server_dies_client_moves(void **state)
{
    (void)state;
    testsrv d;
    testsrv_pki_shared(&d, &w);
    testsrv_start(&d, NULL, NULL);
    char d_addr[64];
    snprintf(d_addr, sizeof d_addr, "127.0.0.1:%d", d.port);
    const char *const servers[] = {d_addr, w_addr};
    tnd_client *c = client_of("officer", servers, 2, 0);
    tnd_status_info st;
    char id[64], again[64];
    assert_int_equal(list(c, &st), 0);
    assert_string_equal(tnd_client_server(c), d_addr);
    testsrv_stop(&d);
    if (create(c, "salt-after-death", id, &st) != 0)
        fail_msg("Create after the server stopped: %s", st.message);
    assert_string_equal(tnd_client_server(c), w_addr);
    assert_int_equal(create(c, "salt-after-death", again, &st), 0);
    assert_string_equal(id, again);
    tnd_client_free(c);
}

static void short_grace(tnd_config *c)
{
    c->grace_ms = 100; /* a call still running 100 ms into the drain is cut off */
}

static void *halt_later(void *arg)
{
    usleep(300000);
    testsrv_halt(arg);
    return NULL;
}

/* Sample/ServerStream that answers after 1.5 s (no messages) through c,
 * while another thread stops d 0.3 s in; with idempotency-key key unless
 * NULL. The status code, its message in st. */
static int slow_call_while_halted(tnd_client *c, testsrv *d, const char *key,
                                  tnd_status_info *st)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, halt_later, d), 0);
    tender_test_v1_Scalars req = {.d = 1500};
    tnd_meta md = {.key = "idempotency-key", .value = key};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = key ? 1 : 0};
    tnd_client_stream *s;
    int code = tnd_client_stream_open(c, tender_test_v1_Sample_ServerStream_method, &req, &opts,
                                      &s, st);
    if (code == 0) {
        tender_test_v1_Scalars m;
        while (tnd_client_stream_next(s, &m, st) == 1)
            tender_test_v1_Scalars_free(&m);
        code = st->code;
        tnd_client_stream_close(s);
    }
    pthread_join(th, NULL);
    return code;
}

/* A call already sent when its server goes away mid-call: with an
 * idempotency-key it is sent again to the next server; without one (and
 * not idempotent) it ends UNAVAILABLE, as it would with one server. */
static void test_sent_call_moves_with_its_key(void **state)
{
    (void)state;
    testsrv d, e;
    char d_addr[64], e_addr[64];
    testsrv_pki_shared(&e, &w);
    testsrv_start(&e, NULL, testsvc_setup);
    snprintf(e_addr, sizeof e_addr, "127.0.0.1:%d", e.port);
    for (int keyed = 1; keyed >= 0; keyed--) {
        testsrv_pki_shared(&d, &w);
        testsrv_start(&d, short_grace, testsvc_setup);
        snprintf(d_addr, sizeof d_addr, "127.0.0.1:%d", d.port);
        const char *const servers[] = {d_addr, e_addr};
        tnd_client *c = client_of("supplier", servers, 2, 0);
        tnd_status_info st;
        int code = slow_call_while_halted(c, &d, keyed ? "slow-1" : NULL, &st);
        if (keyed && code != 0)
            fail_msg("keyed call across the stop: %d %s", code, st.message);
        if (!keyed)
            assert_int_equal(code, TND_STATUS_UNAVAILABLE);
        assert_string_equal(tnd_client_server(c), e_addr);
        tnd_client_free(c);
        testsrv_stop(&d);
    }
    testsrv_stop(&e);
}

/* While the nodes choose a writer (no trailer): a write with a key moves
 * to the next server within its retry budget; one without a key may not be
 * repeated and ends with the follower's word. */
static void test_no_writer_named(void **state)
{
    (void)state;
    testsrv_set_writer(&f, false, NULL);
    const char *const servers[] = {f_addr, w_addr};
    tnd_client *c = client_of("officer", servers, 2, 0);
    tnd_status_info st;
    char id[64];
    assert_int_equal(create(c, NULL, id, &st), TND_STATUS_UNAVAILABLE);
    assert_string_equal(st.message,
                        "no writer at the moment: the nodes are choosing one; retry in a few "
                        "seconds");
    assert_string_equal(tnd_client_server(c), w_addr); /* the next call goes on */
    tnd_client_free(c);
    c = client_of("officer", servers, 2, 0);
    if (create(c, "salt-no-writer", id, &st) != 0)
        fail_msg("Create with a key while no writer is named: %s", st.message);
    assert_string_equal(tnd_client_server(c), w_addr);
    tnd_client_free(c);
    testsrv_set_writer(&f, false, w_addr);
}

typedef struct flip {
    pthread_t thread;
    unsigned after_ms;
} flip;

/* After a while, w becomes the writer and f names it: a failover ends. */
static void *flip_later(void *arg)
{
    flip *fl = arg;
    usleep(fl->after_ms * 1000u);
    testsrv_set_writer(&w, true, NULL);
    testsrv_set_writer(&f, false, w_addr);
    return NULL;
}

/* With several servers and the default retry budget, a keyed write rides
 * through a second without any writer (a failover: the old writer's lease
 * running out), with libtender's own backoff; it lands once. */
static void test_default_budget_rides_through_a_failover(void **state)
{
    (void)state;
    testsrv_set_writer(&f, false, NULL);
    testsrv_set_writer(&w, false, NULL);
    const char *const servers[] = {f_addr, w_addr};
    uint32_t saved = backoff_ms;
    backoff_ms = 0; /* libtender's defaults: 100 ms, doubling, up to 5 s */
    tnd_client *c = client_of("officer", servers, 2, 0);
    backoff_ms = saved;
    flip fl = {.after_ms = 1000};
    assert_int_equal(pthread_create(&fl.thread, NULL, flip_later, &fl), 0);
    size_t before = entries(&w, TND_TABLE_TENDERS);
    uint64_t t0 = uv_hrtime();
    tnd_status_info st;
    char id[64];
    int code = create(c, "salt-failover", id, &st);
    uint64_t took_ms = (uv_hrtime() - t0) / 1000000u;
    pthread_join(fl.thread, NULL);
    if (code != 0)
        fail_msg("Create across a second without a writer: %s", st.message);
    assert_true(took_ms >= 1000);
    assert_int_equal(entries(&w, TND_TABLE_TENDERS), before + 1);
    tnd_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_on_writer_read_anywhere),
        cmocka_unit_test(test_single_server_follows_the_writer),
        cmocka_unit_test(test_no_attempt_left),
        cmocka_unit_test(test_same_key_one_record),
        cmocka_unit_test(test_dead_server_passed_over),
        cmocka_unit_test(test_server_dies_client_moves),
        cmocka_unit_test(test_no_writer_named),
        cmocka_unit_test(test_default_budget_rides_through_a_failover),
        cmocka_unit_test(test_sent_call_moves_with_its_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
