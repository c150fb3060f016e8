/* tenderd collecting witness cosignatures (--witness-policy): an in-process
 * tenderd with the real tenderwitness programs (real_*), and with two
 * witnesses in this test on 127.0.0.1 that speak C2SP tlog-witness
 * (add-checkpoint: the old size, the consistency proof, 409 with the size
 * they hold, a cosignature/v1 line), which the test can take down, make lose
 * their answers, hang or answer with a huge body. Checked: both cosign and
 * GetCheckpoint, GetWitnessedCheckpoint and the HTTP endpoints carry
 * cosignatures that verify; a witness down does not stop the other or
 * tenderd, GetWitnesses shows its error, and the witnessed checkpoint stays
 * the last one the quorum cosigned; a witness that holds another size than
 * tenderd thinks catches up through 409; a hung or flooding witness changes
 * nothing for anyone else; a bad policy stops tenderd at start-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpget.h"
#include "ops/logging.h"
#include "rawconn.h"
#include "scrape.h"
#include "tender/witness.h"
#include "testsrv.h"
#include "tlog/tlog.h"
#include "tlog/witnesses.h"

#define L(name) "tender.log.v1.Log/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
/* A decoded empty string is NULL. */
#define S(s) ((s) ? (s) : "")

/* ---- a witness (C2SP tlog-witness add-checkpoint) ---- */

enum { FW_OK, FW_LOSE, FW_HANG, FW_HUGE, FW_REFUSE, FW_SHIFTY };

typedef struct fakew {
    char name[32];
    EVP_PKEY *key;
    char vkey[TND_NOTE_VKEY_MAX];
    int port;
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    uint64_t size; /* the latest checkpoint it cosigned */
    uint8_t root[32];
    _Atomic int mode;
    _Atomic int requests, conflicts;
    _Atomic bool stopping;
} fakew;

static fakew w1, w2;
static tnd_note_verifier log_key;

typedef struct body {
    char *p;
    size_t len;
} body;

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *type,
                              const char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result add_checkpoint(fakew *w, struct MHD_Connection *c, const char *b, size_t len)
{
    atomic_fetch_add(&w->requests, 1);
    tnd_witness_request req;
    tnd_checkpoint cp;
    if (tnd_witness_request_parse(b, len, &req) != 0)
        return answer(c, 400, "text/plain", "bad request\n", 12);
    if (tnd_checkpoint_verify(req.note, req.note_len, &log_key, &cp) != 0)
        return answer(c, 403, "text/plain", "not signed by the log\n", 22);
    if (atomic_load(&w->mode) == FW_REFUSE)
        return answer(c, 422, "text/plain", "refused\n", 8);
    if (atomic_load(&w->mode) == FW_SHIFTY) /* 409, with another size each time */
        return answer(c, 409, "text/x.tlog.size", req.old_size == 1 ? "0\n" : "1\n", 2);
    pthread_mutex_lock(&w->mu);
    if (req.old_size != w->size) {
        char sz[32];
        int n = snprintf(sz, sizeof sz, "%llu\n", (unsigned long long)w->size);
        pthread_mutex_unlock(&w->mu);
        atomic_fetch_add(&w->conflicts, 1);
        return answer(c, 409, "text/x.tlog.size", sz, (size_t)n);
    }
    bool ok = req.old_size <= cp.size;
    if (ok && req.old_size == 0)
        ok = req.n_proof == 0;
    else if (ok && req.old_size == cp.size)
        ok = memcmp(w->root, cp.root, 32) == 0;
    else if (ok)
        ok = tnd_merkle_verify_consistency(req.old_size, cp.size, w->root, cp.root,
                                           (const uint8_t(*)[32])req.proof, req.n_proof) == 0;
    if (!ok) {
        pthread_mutex_unlock(&w->mu);
        return answer(c, 422, "text/plain", "the proof does not verify\n", 26);
    }
    /* The note's text: up to and including the first newline of "\n\n". */
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < req.note_len && !sep; i++)
        if (req.note[i] == '\n' && req.note[i + 1] == '\n')
            sep = req.note + i;
    char text[1024], line[TND_COSIG_LINE_MAX];
    size_t tl = (size_t)(sep - req.note) + 1;
    memcpy(text, req.note, tl);
    text[tl] = '\0';
    assert_int_equal(tnd_cosig_sign(text, w->name, w->key, (uint64_t)time(NULL), line, sizeof line),
                     0);
    w->size = cp.size;
    memcpy(w->root, cp.root, 32);
    pthread_mutex_unlock(&w->mu);
    switch (atomic_load(&w->mode)) {
    case FW_LOSE:
        return answer(c, 500, "text/plain", "lost on the way\nsecond line\n", 28);
    case FW_HANG:
        while (atomic_load(&w->mode) == FW_HANG && !atomic_load(&w->stopping))
            usleep(10000);
        break;
    case FW_HUGE: {
        static char huge[100 * 1024];
        memset(huge, 'x', sizeof huge);
        return answer(c, 200, "text/plain", huge, sizeof huge);
    }
    }
    return answer(c, 200, "text/plain", line, strlen(line));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_len, void **req_cls)
{
    (void)version;
    fakew *w = cls;
    body *b = *req_cls;
    if (!b) {
        *req_cls = calloc(1, sizeof *b);
        return *req_cls ? MHD_YES : MHD_NO;
    }
    if (*data_len) {
        if (b->len + *data_len > 65536)
            return MHD_NO;
        char *n = realloc(b->p, b->len + *data_len);
        if (!n)
            return MHD_NO;
        memcpy(n + b->len, data, *data_len);
        b->p = n;
        b->len += *data_len;
        *data_len = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0 || strcmp(url, "/add-checkpoint") != 0)
        return answer(c, 404, "text/plain", "not found\n", 10);
    return add_checkpoint(w, c, b->p ? b->p : "", b->len);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    body *b = *req_cls;
    if (b) {
        free(b->p);
        free(b);
    }
    *req_cls = NULL;
}

static void fakew_up(fakew *w)
{
    atomic_store(&w->stopping, false);
    w->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
        (uint16_t)w->port, NULL, NULL, on_request, w, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    assert_non_null(w->d);
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(i);
    w->port = i->port;
}

static void fakew_down(fakew *w)
{
    atomic_store(&w->stopping, true);
    MHD_stop_daemon(w->d);
    w->d = NULL;
}

static void fakew_new(fakew *w, const char *name)
{
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    pthread_mutex_init(&w->mu, NULL);
    w->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    uint8_t pub[32];
    size_t pl = sizeof pub;
    assert_int_equal(EVP_PKEY_get_raw_public_key(w->key, pub, &pl), 1);
    assert_int_equal(tnd_cosigner_format(name, pub, w->vkey, sizeof w->vkey), 0);
    fakew_up(w);
}

static void fakew_free(fakew *w)
{
    if (w->d)
        fakew_down(w);
    EVP_PKEY_free(w->key);
    pthread_mutex_destroy(&w->mu);
}

/* ---- tenderd ---- */

static testsrv ts;
static rawconn anon, officer;
static uint32_t sid_anon, sid_off;
static char msg[512];
static char policy_path[400];
static uint32_t timeout_ms = 2000;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    snprintf(c->http, sizeof c->http, "127.0.0.1:0");
    snprintf(c->witness_policy, sizeof c->witness_policy, "%s", policy_path);
    c->witness_interval_ms = 50;
    c->witness_timeout_ms = timeout_ms;
}

/* A policy of w1 and w2 (with their URLs) and a quorum line. */
static void write_policy(const char *quorum)
{
    snprintf(policy_path, sizeof policy_path, "%s/witnesses.policy", ts.dir);
    FILE *f = fopen(policy_path, "w");
    assert_non_null(f);
    fprintf(f,
            "# the log's witnesses\n"
            "witness w1 %s http://127.0.0.1:%d\n"
            "witness w2 %s http://127.0.0.1:%d/\n"
            "%s\n",
            w1.vkey, w1.port, w2.vkey, w2.port, quorum);
    fclose(f);
}

static void start(const char *quorum)
{
    fakew_new(&w1, "w1");
    fakew_new(&w2, "w2");
    testsrv_pki(&ts);
    write_policy(quorum);
    testsrv_start(&ts, cfg, NULL);
    char ca[700], crt[700], key[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    testsrv_path(&ts, "officer.crt", crt, sizeof crt);
    testsrv_path(&ts, "officer.key", key, sizeof key);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, crt, key), 0);
    rawconn_settings(&anon);
    rawconn_settings(&officer);
    sid_anon = sid_off = 1;
    assert_int_equal(tnd_note_verifier_parse(tnd_tlog_vkey(ts.srv), &log_key), 0);
}

static int teardown(void **state)
{
    (void)state;
    rawconn_close(&anon);
    rawconn_close(&officer);
    atomic_store(&w1.stopping, true);
    atomic_store(&w2.stopping, true);
    testsrv_stop(&ts);
    fakew_free(&w1);
    fakew_free(&w2);
    timeout_ms = 2000;
    return 0;
}

static int acall(const char *m, const tnd_msg_desc *rd, void *r)
{
    tender_common_v1_Empty e = {0};
    int st = rawconn_call(&anon, sid_anon, m, &tender_common_v1_Empty_desc, &e, rd, r, msg,
                          sizeof msg, NULL, 0);
    sid_anon += 2;
    return st;
}

/* n more events in the log; the size it then has. */
static uint64_t grow(int n)
{
    for (int i = 0; i < n; i++) {
        tender_tenders_v1_CreateTenderRequest q;
        tender_tenders_v1_CreateTenderRequest_init(&q);
        tender_tenders_v1_TenderFields f;
        tender_tenders_v1_TenderFields_init(&f);
        f.title = "witnessed";
        q.fields = &f;
        assert_int_equal(rawconn_call(&officer, sid_off, T(Create),
                                      &tender_tenders_v1_CreateTenderRequest_desc, &q, NULL, NULL,
                                      msg, sizeof msg, NULL, 0),
                         0);
        sid_off += 2;
    }
    tender_log_v1_Checkpoint c;
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(acall(L(GetCheckpoint), &tender_log_v1_Checkpoint_desc, &c), 0);
    uint64_t size = c.size;
    tender_log_v1_Checkpoint_free(&c);
    return size;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The witnessed checkpoint (status; c filled on 0). */
static int witnessed(tender_log_v1_Checkpoint *c)
{
    tender_log_v1_Checkpoint_init(c);
    return acall(L(GetWitnessedCheckpoint), &tender_log_v1_Checkpoint_desc, c);
}

/* Poll until the witnessed checkpoint has size (10 s at most). */
static void wait_witnessed(uint64_t size)
{
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        tender_log_v1_Checkpoint c;
        int st = witnessed(&c);
        uint64_t got = st == 0 ? c.size : 0;
        tender_log_v1_Checkpoint_free(&c);
        if (got == size)
            return;
        if (now_ms() > deadline)
            fail_msg("the witnessed size is %llu (status %d), not %llu", (unsigned long long)got,
                     st, (unsigned long long)size);
        usleep(10000);
    }
}

static void witnesses(tender_log_v1_Witnesses *ws)
{
    tender_log_v1_Witnesses_init(ws);
    assert_int_equal(acall(L(GetWitnesses), &tender_log_v1_Witnesses_desc, ws), 0);
    assert_int_equal(ws->n_witnesses, 2);
    assert_string_equal(ws->witnesses[0].name, "w1");
    assert_string_equal(ws->witnesses[1].name, "w2");
}

/* Poll GetWitnesses until witness i has cosigned size, or (size 0) has an
 * error; 10 s at most. */
static void wait_witness(size_t i, uint64_t size)
{
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        tender_log_v1_Witnesses ws;
        witnesses(&ws);
        const tender_log_v1_Witness *w = &ws.witnesses[i];
        bool done = size ? w->cosigned_size == size : S(w->last_error)[0] != '\0';
        tender_log_v1_Witnesses_free(&ws);
        if (done)
            return;
        if (now_ms() > deadline)
            fail_msg("witness %zu: not at %llu in time", i, (unsigned long long)size);
        usleep(10000);
    }
}

/* Does note carry fw's cosignature (and the log's signature)? */
static bool cosigned_by(const char *note, const fakew *fw)
{
    tnd_note_verifier v;
    tnd_checkpoint cp;
    assert_int_equal(tnd_checkpoint_verify(note, strlen(note), &log_key, &cp), 0);
    assert_int_equal(tnd_cosigner_parse(fw->vkey, &v), 0);
    return tnd_cosig_verify(note, strlen(note), &v, NULL) == 0;
}

static bool metric_has(const char *line)
{
    char *text = NULL;
    size_t len;
    assert_int_equal(tnd_metrics_render(ts.srv->metrics, &text, &len), 0);
    bool yes = strstr(text, line) != NULL;
    free(text);
    return yes;
}

/* ---- tests ---- */

static void both_cosign(void **state)
{
    (void)state;
    start("group both all w1 w2\nquorum both");
    tender_log_v1_Checkpoint c;
    /* Row 57 of docs/PROTOCOL.md section 11: nothing witnessed yet. */
    assert_int_equal(witnessed(&c), TND_STATUS_NOT_FOUND);
    assert_non_null(strstr(msg, "GetWitnesses"));
    tender_log_v1_Checkpoint_free(&c);

    uint64_t size = grow(3);
    wait_witnessed(size);
    assert_int_equal(witnessed(&c), 0);
    assert_true(cosigned_by(c.note, &w1));
    assert_true(cosigned_by(c.note, &w2));
    /* The note is a C2SP cosigned note that meets the policy's quorum. */
    tnd_policy p;
    char err[300];
    FILE *f = fopen(policy_path, "r");
    char text[4096];
    size_t tl = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_int_equal(tnd_policy_parse(text, tl, &p, err, sizeof err), 0);
    assert_int_equal(tnd_policy_check(&p, c.note, strlen(c.note), NULL, NULL, err, sizeof err), 0);
    char witnessed_note[8192];
    snprintf(witnessed_note, sizeof witnessed_note, "%s", c.note);
    tender_log_v1_Checkpoint_free(&c);

    /* GetCheckpoint serves the same note: the latest is the witnessed one. */
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(acall(L(GetCheckpoint), &tender_log_v1_Checkpoint_desc, &c), 0);
    assert_string_equal(c.note, witnessed_note);
    /* Storing cosignatures logged no event, so signed no checkpoint. */
    assert_int_equal(c.size, size);
    tender_log_v1_Checkpoint_free(&c);

    /* HTTP: both checkpoints, and the witnesses as JSON. */
    int hp = tnd_services_http_port(ts.srv);
    hresp r;
    http_req(hp, "GET", "/log/checkpoint", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, witnessed_note);
    http_free(&r);
    http_req(hp, "GET", "/log/witnessed/checkpoint", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, witnessed_note);
    http_free(&r);
    http_req(hp, "GET", "/api/v1/log/witnesses", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"name\":\"w1\""));
    assert_non_null(strstr(r.body, "\"quorum\":\"2 of w1, w2\""));
    assert_non_null(strstr(r.body, w2.vkey));
    http_free(&r);

    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_string_equal(ws.quorum, "2 of w1, w2");
    assert_int_equal(ws.witnessed_size, size);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(ws.witnesses[i].cosigned_size, size);
        assert_string_equal(S(ws.witnesses[i].last_error), "");
        assert_non_null(ws.witnesses[i].cosigned_time);
        assert_true(ws.witnesses[i].cosigned_time->seconds > 1700000000);
    }
    assert_string_equal(ws.witnesses[0].verifier_key, w1.vkey);
    assert_non_null(strstr(ws.witnesses[1].url, "http://127.0.0.1:"));
    tender_log_v1_Witnesses_free(&ws);
    char line[200];
    snprintf(line, sizeof line, "tenderd_witness_cosigned_size{witness=\"w2\"} %llu\n",
             (unsigned long long)size);
    assert_true(metric_has(line));

    /* Nothing new: no more requests. */
    int before = atomic_load(&w1.requests);
    usleep(300000);
    assert_int_equal(atomic_load(&w1.requests), before);
}

/* A witness down: the other cosigns, tenderd serves, GetWitnesses says why;
 * with a quorum of both, the witnessed checkpoint stays the older one, until
 * the witness is back and catches up. */
static void one_down(void **state)
{
    (void)state;
    start("group both all w1 w2\nquorum both");
    uint64_t s1 = grow(2);
    wait_witnessed(s1);

    fakew_down(&w2);
    uint64_t s2 = grow(2);
    wait_witness(0, s2);
    wait_witness(1, 0);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_int_equal(ws.witnesses[1].cosigned_size, s1);
    assert_non_null(strstr(S(ws.witnesses[1].last_error), "onnect"));
    assert_string_equal(S(ws.witnesses[0].last_error), "");
    tender_log_v1_Witnesses_free(&ws);
    assert_true(
        metric_has("tenderd_witness_requests_failed_total{witness=\"w2\",reason=\"network\"}"));

    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), 0);
    assert_int_equal(c.size, s1);
    tender_log_v1_Checkpoint_free(&c);
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(acall(L(GetCheckpoint), &tender_log_v1_Checkpoint_desc, &c), 0);
    assert_int_equal(c.size, s2);
    assert_true(cosigned_by(c.note, &w1));
    assert_false(cosigned_by(c.note, &w2));
    tender_log_v1_Checkpoint_free(&c);
    hresp r;
    http_req(tnd_services_http_port(ts.srv), "GET", "/log/witnessed/checkpoint", NULL, &r);
    assert_int_equal(r.status, 200);
    char sz[32];
    snprintf(sz, sizeof sz, "\n%llu\n", (unsigned long long)s1);
    assert_non_null(strstr(r.body, sz));
    http_free(&r);

    /* Back with its state: it cosigns s2 from s1, and s2 is witnessed. */
    fakew_up(&w2);
    wait_witnessed(s2);
    witnesses(&ws);
    assert_string_equal(S(ws.witnesses[1].last_error), "");
    tender_log_v1_Witnesses_free(&ws);
}

/* A witness cosigned but its answer was lost: tenderd thinks it holds the
 * older size, sends that, gets 409 with the size it holds, and asks again
 * from there at once. */
static void catches_up_by_409(void **state)
{
    (void)state;
    start("group any1 1 w1 w2\nquorum any1");
    uint64_t s1 = grow(1);
    wait_witness(0, s1);
    wait_witness(1, s1);

    atomic_store(&w1.mode, FW_LOSE);
    uint64_t s2 = grow(1);
    wait_witness(1, s2);
    wait_witness(0, 0);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_string_equal(S(ws.witnesses[0].last_error), "HTTP 500: lost on the way");
    assert_int_equal(ws.witnesses[0].cosigned_size, s1);
    tender_log_v1_Witnesses_free(&ws);

    /* It holds s2, tenderd holds no cosignature of s2 from it: without
     * the log growing, it is asked again from s2 (409), and cosigns s2. */
    atomic_store(&w1.mode, FW_OK);
    wait_witness(0, s2);
    assert_true(atomic_load(&w1.conflicts) >= 1);
    uint64_t s3 = grow(1);
    wait_witness(0, s3);
    assert_true(atomic_load(&w1.conflicts) >= 1);
    assert_true(
        metric_has("tenderd_witness_requests_failed_total{witness=\"w1\",reason=\"conflict\"}"));
    wait_witnessed(s3);
    /* A quorum of one: what met it is served, whoever cosigned. */
    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), 0);
    assert_true(cosigned_by(c.note, &w1));
    tender_log_v1_Checkpoint_free(&c);
}

/* A hung witness and one that floods: everyone else is served at once,
 * the other witness keeps cosigning, and both failures are named. */
static void hostile_witnesses(void **state)
{
    (void)state;
    timeout_ms = 300;
    start("group any1 1 w1 w2\nquorum any1");
    atomic_store(&w1.mode, FW_HANG);
    atomic_store(&w2.mode, FW_HUGE);
    uint64_t s1 = grow(1);
    wait_witness(0, 0);
    wait_witness(1, 0);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_non_null(strstr(S(ws.witnesses[0].last_error), "timed out"));
    assert_string_equal(S(ws.witnesses[1].last_error), "the answer is longer than 16384 bytes");
    tender_log_v1_Witnesses_free(&ws);
    /* tenderd answers at once meanwhile. */
    int64_t t0 = now_ms();
    assert_int_equal(grow(1), s1 + 1);
    assert_true(now_ms() - t0 < 250);
    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), TND_STATUS_NOT_FOUND);
    tender_log_v1_Checkpoint_free(&c);
    assert_true(
        metric_has("tenderd_witness_requests_failed_total{witness=\"w2\",reason=\"too_large\"}"));
    assert_true(
        metric_has("tenderd_witness_requests_failed_total{witness=\"w1\",reason=\"timeout\"}"));

    /* Both behave again: they catch up (w2 through 409, having cosigned). */
    atomic_store(&w1.mode, FW_OK);
    atomic_store(&w2.mode, FW_OK);
    wait_witness(0, s1 + 1);
    wait_witness(1, s1 + 1);
    wait_witnessed(s1 + 1);
}

/* Quorum none: every checkpoint counts as witnessed; the witnesses are
 * asked all the same and their cosignatures served. */
static void quorum_none(void **state)
{
    (void)state;
    start("quorum none");
    uint64_t s1 = grow(1);
    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), 0);
    assert_int_equal(c.size, s1);
    tender_log_v1_Checkpoint_free(&c);
    wait_witness(0, s1);
    wait_witness(1, s1);
    assert_int_equal(witnessed(&c), 0);
    assert_true(cosigned_by(c.note, &w1) && cosigned_by(c.note, &w2));
    tender_log_v1_Checkpoint_free(&c);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_string_equal(ws.quorum, "none");
    tender_log_v1_Witnesses_free(&ws);
}

/* A stricter policy after a restart: the checkpoint witnessed under the old
 * one is not served as witnessed until the new quorum cosigns. */
static void stricter_policy(void **state)
{
    (void)state;
    start("quorum w1");
    atomic_store(&w2.mode, FW_REFUSE);
    uint64_t s1 = grow(1);
    wait_witnessed(s1);
    wait_witness(1, 0);
    testsrv_halt(&ts);
    fakew_down(&w2); /* asked every round until it is back */
    atomic_store(&w2.mode, FW_OK);
    write_policy("group both all w1 w2\nquorum both");
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_start(&ts, cfg, NULL);
    char ca[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, NULL, NULL), 0);
    rawconn_settings(&anon);
    sid_anon = 1;
    /* The forgetting write commits as the server starts. */
    int64_t deadline = now_ms() + 10000;
    tender_log_v1_Checkpoint c;
    while (witnessed(&c) == 0 && now_ms() < deadline) {
        tender_log_v1_Checkpoint_free(&c);
        usleep(10000);
    }
    tender_log_v1_Checkpoint_free(&c);
    assert_int_equal(witnessed(&c), TND_STATUS_NOT_FOUND);
    tender_log_v1_Checkpoint_free(&c);
    fakew_up(&w2);
    wait_witnessed(s1);
    assert_int_equal(witnessed(&c), 0);
    assert_true(cosigned_by(c.note, &w1) && cosigned_by(c.note, &w2));
    tender_log_v1_Checkpoint_free(&c);
}

/* A witness that refuses a checkpoint (4xx) is not sent it again every
 * round, only the next checkpoint. */
static void refused_not_resent(void **state)
{
    (void)state;
    start("group any1 1 w1 w2\nquorum any1");
    atomic_store(&w1.mode, FW_REFUSE);
    uint64_t s1 = grow(1);
    wait_witness(1, s1);
    wait_witness(0, 0);
    int asked = atomic_load(&w1.requests);
    usleep(300000); /* six rounds */
    assert_int_equal(atomic_load(&w1.requests), asked);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_string_equal(S(ws.witnesses[0].last_error), "HTTP 422: refused");
    tender_log_v1_Witnesses_free(&ws);
    atomic_store(&w1.mode, FW_OK);
    uint64_t s2 = grow(1);
    wait_witness(0, s2);
}

/* tenderd stops at once while a witness hangs on its request: the round is
 * abandoned, not waited for until the timeout. */
static void stops_during_a_round(void **state)
{
    (void)state;
    timeout_ms = 60000;
    start("quorum w1");
    atomic_store(&w1.mode, FW_HANG);
    grow(1);
    int64_t deadline = now_ms() + 10000;
    while (atomic_load(&w1.requests) == 0 && now_ms() < deadline)
        usleep(10000);
    assert_true(atomic_load(&w1.requests) > 0);
    rawconn_close(&anon);
    rawconn_close(&officer);
    int64_t t0 = now_ms();
    testsrv_stop(&ts);
    assert_true(now_ms() - t0 < 2000);
    atomic_store(&w1.stopping, true);
    fakew_free(&w1);
    fakew_free(&w2);
    timeout_ms = 2000;
}

/* A witness answering 409 with another size each time gets one request
 * more per round, not a storm. */
static void shifty_409_is_paced(void **state)
{
    (void)state;
    start("quorum w2");
    atomic_store(&w1.mode, FW_SHIFTY);
    grow(2);
    int64_t deadline = now_ms() + 10000;
    while (atomic_load(&w1.requests) == 0 && now_ms() < deadline)
        usleep(5000);
    int before = atomic_load(&w1.requests);
    usleep(500000); /* ten rounds of 50 ms */
    int asked = atomic_load(&w1.requests) - before;
    assert_true(asked >= 4);
    assert_true(asked <= 24);
}

/* Without a policy: GetWitnessedCheckpoint says so (docs/PROTOCOL.md
 * section 11, row 56), GetWitnesses lists none. */
static void no_policy(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    policy_path[0] = '\0';
    testsrv_start(&ts, cfg, NULL);
    char ca[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, NULL, NULL), 0);
    rawconn_settings(&anon);
    sid_anon = 1;
    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "this log has no witnesses configured"));
    tender_log_v1_Checkpoint_free(&c);
    tender_log_v1_Witnesses ws;
    tender_log_v1_Witnesses_init(&ws);
    assert_int_equal(acall(L(GetWitnesses), &tender_log_v1_Witnesses_desc, &ws), 0);
    assert_int_equal(ws.n_witnesses, 0);
    tender_log_v1_Witnesses_free(&ws);
    hresp r;
    http_req(tnd_services_http_port(ts.srv), "GET", "/log/witnessed/checkpoint", NULL, &r);
    assert_int_equal(r.status, 404);
    http_free(&r);
    http_req(tnd_services_http_port(ts.srv), "GET", "/api/v1/log/witnesses", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"witnesses\":[],\"quorum\":\"\",\"witnessed_size\":0}");
    http_free(&r);
    assert_false(metric_has("tenderd_witness_cosigned_size"));
}

static int no_policy_teardown(void **state)
{
    (void)state;
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_stop(&ts);
    return 0;
}

/* A policy that does not parse stops tenderd with the line at fault. */
static void bad_policy(void **state)
{
    (void)state;
    testsrv t = {0};
    testsrv_pki(&t);
    snprintf(policy_path, sizeof policy_path, "%s/bad.policy", t.dir);
    FILE *f = fopen(policy_path, "w");
    assert_non_null(f);
    fputs("# fine\nwitness w1 not-a-key http://127.0.0.1:1\nquorum w1\n", f);
    fclose(f);
    tnd_config c;
    tnd_config_defaults(&c);
    snprintf(c.listen, sizeof c.listen, "127.0.0.1:0");
    testsrv_path(&t, "server.crt", c.cert, sizeof c.cert);
    testsrv_path(&t, "server.key", c.key, sizeof c.key);
    testsrv_path(&t, "ca.crt", c.ca, sizeof c.ca);
    snprintf(c.db, sizeof c.db, "%s/db", t.dir);
    snprintf(c.witness_policy, sizeof c.witness_policy, "%s", policy_path);
    tnd_log_set_level(TND_LOG_ERROR);
    uv_loop_t loop;
    uv_loop_init(&loop);
    tnd_server *srv = NULL;
    char err[512] = "";
    assert_int_equal(tnd_services_new(&loop, &c, NULL, &srv, err, sizeof err), TND_EMALFORMED);
    assert_null(srv);
    assert_non_null(strstr(err, "bad.policy: line 2"));
    /* A missing file too. */
    snprintf(c.witness_policy, sizeof c.witness_policy, "%s/none.policy", t.dir);
    assert_int_equal(tnd_services_new(&loop, &c, NULL, &srv, err, sizeof err), TND_EIO);
    assert_non_null(strstr(err, "none.policy: cannot read it"));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    test_rmtree(t.dir);
}

/* ---- the real tenderwitness ---- */

typedef struct realw {
    char dir[400];
    char vkey[TND_NOTE_VKEY_MAX];
    int port;
    pid_t pid;
} realw;

static realw rw[2];

static const char *witness_bin(char *buf, size_t len)
{
    snprintf(buf, len, "%s/bin/tenderwitness", getenv("BUILD") ? getenv("BUILD") : "build");
    return buf;
}

/* tenderwitness init, then print-key into rw->vkey. */
static void realw_init(realw *w, const char *name)
{
    char bin[300], cmd[1200];
    snprintf(w->dir, sizeof w->dir, "%s/%s", ts.dir, name);
    snprintf(cmd, sizeof cmd, "%s init --state %s --name %s.example/witness >/dev/null",
             witness_bin(bin, sizeof bin), w->dir, name);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s print-key --state %s", bin, w->dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(w->vkey, sizeof w->vkey, p));
    assert_int_equal(pclose(p), 0);
    w->vkey[strcspn(w->vkey, "\n")] = '\0';
    w->port = scrape_free_port();
}

static void realw_start(realw *w)
{
    char bin[300], listen[64], log[500];
    witness_bin(bin, sizeof bin);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", w->port);
    snprintf(log, sizeof log, "%s.log", w->dir);
    fflush(NULL);
    w->pid = fork();
    assert_true(w->pid >= 0);
    if (w->pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void)f;
        execl(bin, bin, "serve", "--state", w->dir, "--listen", listen, "--log",
              tnd_tlog_vkey(ts.srv), (char *)NULL);
        _exit(127);
    }
}

static void realw_stop(realw *w)
{
    if (w->pid > 0) {
        kill(w->pid, SIGTERM);
        int st;
        assert_int_equal(waitpid(w->pid, &st, 0), w->pid);
    }
    w->pid = 0;
}

/* tenderd with real witnesses: their keys are known once the server has a
 * folder, and the server's log key once it runs, so the policy is written
 * between, naming urls[i] (NULL: no URL) and quorum. */
static void real_policy(const char *const urls[2], const char *quorum)
{
    FILE *f = fopen(policy_path, "w");
    assert_non_null(f);
    for (int i = 0; i < 2; i++)
        fprintf(f, "witness w%d %s %s\n", i + 1, rw[i].vkey, urls[i] ? urls[i] : "");
    fprintf(f, "%s\n", quorum);
    fclose(f);
}

static void real_start(const char *const urls[2], const char *quorum)
{
    testsrv_pki(&ts);
    snprintf(policy_path, sizeof policy_path, "%s/witnesses.policy", ts.dir);
    realw_init(&rw[0], "w1");
    realw_init(&rw[1], "w2");
    char u[2][64];
    const char *us[2];
    for (int i = 0; i < 2; i++) {
        snprintf(u[i], sizeof u[i], "http://127.0.0.1:%d", rw[i].port);
        us[i] = urls && !urls[i] ? NULL : u[i];
    }
    real_policy(us, quorum);
    testsrv_start(&ts, cfg, NULL);
    char ca[700], crt[700], key[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    testsrv_path(&ts, "officer.crt", crt, sizeof crt);
    testsrv_path(&ts, "officer.key", key, sizeof key);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, crt, key), 0);
    rawconn_settings(&anon);
    rawconn_settings(&officer);
    sid_anon = sid_off = 1;
    assert_int_equal(tnd_note_verifier_parse(tnd_tlog_vkey(ts.srv), &log_key), 0);
    realw_start(&rw[0]);
    realw_start(&rw[1]);
}

static int real_teardown(void **state)
{
    (void)state;
    rawconn_close(&anon);
    rawconn_close(&officer);
    realw_stop(&rw[0]);
    realw_stop(&rw[1]);
    testsrv_stop(&ts);
    return 0;
}

static bool real_cosigned(const char *note, const realw *w)
{
    tnd_note_verifier v;
    tnd_checkpoint cp;
    assert_int_equal(tnd_checkpoint_verify(note, strlen(note), &log_key, &cp), 0);
    assert_int_equal(tnd_cosigner_parse(w->vkey, &v), 0);
    return tnd_cosig_verify(note, strlen(note), &v, NULL) == 0;
}

/* Two real witnesses, a quorum of both: they cosign, every way of reading
 * a checkpoint carries both cosignatures; one down, the other goes on and
 * the witnessed checkpoint stays the older one; back with its state, it
 * catches up. */
static void real_witnesses(void **state)
{
    (void)state;
    real_start(NULL, "group both all w1 w2\nquorum both");
    uint64_t s1 = grow(2);
    wait_witnessed(s1);
    tender_log_v1_Checkpoint c;
    assert_int_equal(witnessed(&c), 0);
    assert_true(real_cosigned(c.note, &rw[0]));
    assert_true(real_cosigned(c.note, &rw[1]));
    char note[8192];
    snprintf(note, sizeof note, "%s", c.note);
    tender_log_v1_Checkpoint_free(&c);
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(acall(L(GetCheckpoint), &tender_log_v1_Checkpoint_desc, &c), 0);
    assert_string_equal(c.note, note);
    tender_log_v1_Checkpoint_free(&c);
    int hp = tnd_services_http_port(ts.srv);
    hresp r;
    http_req(hp, "GET", "/log/checkpoint", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(real_cosigned(r.body, &rw[0]) && real_cosigned(r.body, &rw[1]));
    http_free(&r);
    http_req(hp, "GET", "/log/witnessed/checkpoint", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, note);
    http_free(&r);

    realw_stop(&rw[1]);
    uint64_t s2 = grow(1);
    wait_witness(0, s2);
    wait_witness(1, 0);
    tender_log_v1_Witnesses ws;
    witnesses(&ws);
    assert_int_equal(ws.witnesses[1].cosigned_size, s1);
    tender_log_v1_Witnesses_free(&ws);
    assert_int_equal(witnessed(&c), 0);
    assert_int_equal(c.size, s1);
    tender_log_v1_Checkpoint_free(&c);

    realw_start(&rw[1]);
    wait_witnessed(s2);
    assert_int_equal(witnessed(&c), 0);
    assert_true(real_cosigned(c.note, &rw[0]));
    assert_true(real_cosigned(c.note, &rw[1]));
    tender_log_v1_Checkpoint_free(&c);
    witnesses(&ws);
    assert_string_equal(S(ws.witnesses[1].last_error), "");
    tender_log_v1_Witnesses_free(&ws);
}

/* A real witness that already holds a checkpoint of this log when tenderd
 * first asks it (old 0): it answers 409 with its size, and tenderd goes on
 * from there. */
static void real_witness_409(void **state)
{
    (void)state;
    const char *const no_url_for_w2[2] = {"", NULL};
    real_start(no_url_for_w2, "quorum w1");
    uint64_t s1 = grow(1);
    wait_witnessed(s1);
    /* w2 is not asked by tenderd: the test gives it the checkpoint. */
    tender_log_v1_Checkpoint c;
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(acall(L(GetCheckpoint), &tender_log_v1_Checkpoint_desc, &c), 0);
    char *rb = NULL, req[16384];
    size_t bl;
    assert_int_equal(tnd_witness_request_format(0, NULL, 0, c.note, strlen(c.note), &rb, &bl), 0);
    tender_log_v1_Checkpoint_free(&c);
    int n = snprintf(req, sizeof req,
                     "POST /add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     bl, rb);
    free(rb);
    hresp r = {0};
    for (int i = 0; i < 500; i++) { /* until it listens */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)rw[1].port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (ok == 0)
            break;
        usleep(10000);
    }
    http_raw(rw[1].port, req, (size_t)n, &r);
    assert_int_equal(r.status, 200);
    http_free(&r);
    uint64_t s2 = grow(1);
    assert_true(s2 > s1);
    /* w1's cosignature of s2 stored before the halt: a round cut short by
     * it would have w1 answer 409 too after the restart. */
    wait_witnessed(s2);

    /* Now tenderd asks w2 too, thinking it holds nothing. */
    testsrv_halt(&ts);
    char u[2][64];
    snprintf(u[0], sizeof u[0], "http://127.0.0.1:%d", rw[0].port);
    snprintf(u[1], sizeof u[1], "http://127.0.0.1:%d", rw[1].port);
    const char *const both[2] = {u[0], u[1]};
    real_policy(both, "group both all w1 w2\nquorum both");
    rawconn_close(&anon);
    rawconn_close(&officer);
    testsrv_start(&ts, cfg, NULL);
    char ca[700];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    assert_int_equal(rawconn_open(&anon, ts.port, ca, NULL, NULL), 0);
    assert_int_equal(rawconn_open(&officer, ts.port, ca, NULL, NULL), 0);
    rawconn_settings(&anon);
    sid_anon = 1;
    wait_witnessed(s2);
    assert_true(metric_has(
        "tenderd_witness_requests_failed_total{witness=\"w2\",reason=\"conflict\"} 1\n"));
    assert_true(metric_has(
        "tenderd_witness_requests_failed_total{witness=\"w1\",reason=\"conflict\"} 0\n"));
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(witnessed(&c), 0);
    assert_true(real_cosigned(c.note, &rw[1]));
    tender_log_v1_Checkpoint_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(both_cosign, teardown),
        cmocka_unit_test_teardown(one_down, teardown),
        cmocka_unit_test_teardown(catches_up_by_409, teardown),
        cmocka_unit_test_teardown(hostile_witnesses, teardown),
        cmocka_unit_test_teardown(refused_not_resent, teardown),
        cmocka_unit_test_teardown(quorum_none, teardown),
        cmocka_unit_test_teardown(stricter_policy, teardown),
        cmocka_unit_test(stops_during_a_round),
        cmocka_unit_test_teardown(shifty_409_is_paced, teardown),
        cmocka_unit_test_teardown(no_policy, no_policy_teardown),
        cmocka_unit_test(bad_policy),
        cmocka_unit_test_teardown(real_witnesses, real_teardown),
        cmocka_unit_test_teardown(real_witness_409, real_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
