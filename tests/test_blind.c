/* Nobody counts a tender's bids before its deadline. Two tenders, made
 * alike; one gets 5 sealed bids, the other none. Before the deadline, an
 * anonymous reader and another supplier ask every public (or
 * supplier-visible) call about each, and the answers about the two are the
 * same apart from fields present equally in both (ids, times, hashes);
 * bid leaves name neither tender; metrics and the server's log do not tell
 * them apart. After the deadline the published bid tag key links exactly
 * the 5 bid events to their tender, and each receipt proves its leaf's tag.
 * Each test starts the server on a fresh database, makes both tenders and
 * the 5 bids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/logging.h"
#include "rawconn.h"
#include "scenario.h"
#include "scrape.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/blind.h"
#include "tender/codec.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define L(name) "tender.log.v1.Log/" #name
#define A_(name) "tender.awards.v1.Awards/" #name
#define N_BIDS 5

static testsrv ts;
/* This test's two tenders (set by setup): [0] gets no bid, [1] gets N_BIDS. */
static char ids[2][64];

/* ---- the server's log ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *log_buf;
static size_t log_len, log_cap;

static void capture(const char *line, size_t len, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    if (log_len + len + 1 > log_cap) {
        log_cap = (log_len + len + 1) * 2;
        log_buf = realloc(log_buf, log_cap);
    }
    memcpy(log_buf + log_len, line, len);
    log_len += len;
    log_buf[log_len] = '\0';
    pthread_mutex_unlock(&log_mu);
}

static size_t log_mark(void)
{
    pthread_mutex_lock(&log_mu);
    size_t n = log_len;
    pthread_mutex_unlock(&log_mu);
    return n;
}

/* Lines of the log since mark that mention s. */
static int log_count(size_t mark, const char *s)
{
    pthread_mutex_lock(&log_mu);
    int n = 0;
    for (const char *p = log_buf ? log_buf + mark : ""; (p = strstr(p, s)) != NULL; p++)
        n++;
    pthread_mutex_unlock(&log_mu);
    return n;
}

static void setup_server(tnd_server *srv)
{
    (void)srv;
    tnd_log_set_sink(capture, NULL);
    tnd_log_set_level(TND_LOG_DEBUG);
}

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    snprintf(c->metrics, sizeof c->metrics, "127.0.0.1:0");
}

/* ---- calls ---- */

/* ---- calls ---- */

/* Everything a call answers: its messages, as bytes, and its status. */
typedef struct answer {
    int code;
    char msg[512];
    size_t n;
    tnd_bytes m[64];
} answer;

static void answer_free(answer *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->m[i].data);
    memset(a, 0, sizeof *a);
}

static void ask(scn_conn *c, const char *method, const tnd_msg_desc *d, const void *req, answer *a)
{
    memset(a, 0, sizeof *a);
    a->code = -1;
    assert_int_equal(rawconn_unary(&c->rc, c->sid, method, d, req, 0), 0);
    tnd_frame f;
    while (rawconn_read(&c->rc, &f, 10000, true) == 0) {
        if (f.stream_id != c->sid)
            continue;
        if (f.type == TND_FRAME_MESSAGE) {
            assert_true(a->n < 64);
            tnd_bytes *m = &a->m[a->n++];
            m->len = f.u.message.payload.len;
            m->data = malloc(m->len ? m->len : 1);
            memcpy(m->data, f.u.message.payload.ptr, m->len);
        } else if (f.type == TND_FRAME_STATUS) {
            snprintf(a->msg, sizeof a->msg, "%.*s", (int)f.u.status.message.len,
                     (const char *)f.u.status.message.ptr);
            a->code = (int)f.u.status.code;
            break;
        }
    }
    c->sid += 2;
    assert_int_not_equal(a->code, -1);
}

/* ---- comparing answers ---- */

/* s with every ids[1] replaced by ids[0] (and bid ids kept). */
static void unname(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0, il = strlen(ids[1]);
    for (size_t i = 0; i < len && o + 1 < cap;) {
        if (len - i >= il && memcmp(s + i, ids[1], il) == 0 && o + strlen(ids[0]) < cap) {
            memcpy(out + o, ids[0], strlen(ids[0]));
            o += strlen(ids[0]);
            i += il;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
}

static const char *cur_what = ""; /* the call being compared, for messages */

/* Same shape, same strings (the tender ids aside), same integers; bytes
 * (hashes, keys) only of the same length. */
static void same_object(const msgpack_object *a, const msgpack_object *b, char *path)
{
    bool ia = a->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
              a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    bool ib = b->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
              b->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
    if (ia && ib) {
        if (a->via.i64 != b->via.i64)
            fail_msg("%s at %s: %lld and %lld", cur_what, path, (long long)a->via.i64, (long long)b->via.i64);
        return;
    }
    if (a->type != b->type)
        fail_msg("%s at %s: types %d and %d", cur_what, path, a->type, b->type);
    size_t pl = strlen(path);
    switch (a->type) {
    case MSGPACK_OBJECT_MAP:
        if (a->via.map.size != b->via.map.size)
            fail_msg("%s at %s: %u and %u fields", cur_what, path, a->via.map.size, b->via.map.size);
        for (uint32_t i = 0; i < a->via.map.size; i++) {
            const msgpack_object_kv *ka = &a->via.map.ptr[i], *kb = &b->via.map.ptr[i];
            if (ka->key.via.u64 != kb->key.via.u64)
                fail_msg("%s at %s: field %llu and %llu", cur_what, path, (unsigned long long)ka->key.via.u64,
                         (unsigned long long)kb->key.via.u64);
            snprintf(path + pl, 200 - pl, "%s%llu", pl ? "." : "",
                     (unsigned long long)ka->key.via.u64);
            same_object(&ka->val, &kb->val, path);
            path[pl] = '\0';
        }
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (a->via.array.size != b->via.array.size)
            fail_msg("%s at %s: %u and %u elements", cur_what, path, a->via.array.size, b->via.array.size);
        for (uint32_t i = 0; i < a->via.array.size; i++)
            same_object(&a->via.array.ptr[i], &b->via.array.ptr[i], path);
        break;
    case MSGPACK_OBJECT_STR: {
        char ua[4096], ub[4096];
        unname(a->via.str.ptr, a->via.str.size, ua, sizeof ua);
        unname(b->via.str.ptr, b->via.str.size, ub, sizeof ub);
        if (strcmp(ua, ub) != 0)
            fail_msg("%s at %s: \"%s\" and \"%s\"", cur_what, path, ua, ub);
        break;
    }
    case MSGPACK_OBJECT_BIN:
        if (a->via.bin.size != b->via.bin.size)
            fail_msg("%s at %s: %u and %u bytes", cur_what, path, a->via.bin.size, b->via.bin.size);
        break;
    default:
        assert_true(msgpack_object_equal(*a, *b));
    }
}

static void same_bytes(const tnd_bytes *a, const tnd_bytes *b)
{
    msgpack_object oa, ob;
    msgpack_zone *za, *zb;
    assert_int_equal(tnd_msgpack_unpack(a->data, a->len, &oa, &za, NULL), 0);
    assert_int_equal(tnd_msgpack_unpack(b->data, b->len, &ob, &zb, NULL), 0);
    char path[200] = "";
    same_object(&oa, &ob, path);
    msgpack_zone_free(za);
    msgpack_zone_free(zb);
}

/* The answers about the two tenders are alike. */
static void same_answer(const char *what, const answer *a, const answer *b)
{
    char ma[600], mb[600];
    cur_what = what;
    unname(a->msg, strlen(a->msg), ma, sizeof ma);
    unname(b->msg, strlen(b->msg), mb, sizeof mb);
    if (a->code != b->code || strcmp(ma, mb) != 0 || a->n != b->n)
        fail_msg("%s: %d \"%s\" (%zu messages) and %d \"%s\" (%zu messages)", what, a->code, ma,
                 a->n, b->code, mb, b->n);
    for (size_t i = 0; i < a->n; i++)
        same_bytes(&a->m[i], &b->m[i]);
}

/* ---- tenders and bids ---- */

/* One test's world: a fresh server and database, two tenders alike that
 * close at the same instant, and N_BIDS bids on the second. */
typedef struct world {
    scn_conn off, sup, anon, other;
    scn_tender t[2];
    int64_t deadline_ms;
    size_t mark; /* the log from just after both were published */
    tender_bids_v1_Receipt rc[N_BIDS];
} world;

/* A tender with a committee of one member (k = 1: the test never opens),
 * closing at w->deadline_ms. */
static void create_and_publish(world *w, int i)
{
    scn_tender *t = &w->t[i];
    t->cm = (scn_committee){.k = 1, .n = 1};
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, t, "Blind bids", 0, 60000, &q);
    t->deadline_ms = w->deadline_ms;
    t->opening_ms = w->deadline_ms + 60000;
    tnd_ts_set(&q.fields->submission_deadline, t->deadline_ms);
    tnd_ts_set(&q.fields->opening_time, t->opening_ms);
    scn_tender_create(&w->off, &q, t->id);
    scn_tender_publish(&w->off, t->id);
    snprintf(ids[i], sizeof ids[i], "%s", t->id);
}

/* Seal and submit a bid of who to tender i (bid id fixed when id is given);
 * the status, the receipt in *rcpt. */
static int submit_bid(world *w, scn_conn *c, const char *who, int i, const char *id_in,
                      const char *replaces, tender_bids_v1_Receipt *rcpt)
{
    tender_bids_v1_BidContent bc;
    tender_bids_v1_BidContent_init(&bc);
    bc.price = calloc(1, sizeof *bc.price);
    bc.price->minor_units = 1000;
    bc.price->currency = strdup("EUR");
    char id[40];
    uint8_t nonce[32];
    scn_seal_documents(&ts, &w->t[i], who, &bc, NULL, nonce, id);
    if (id_in)
        snprintf(id, sizeof id, "%s", id_in);
    tender_bids_v1_SealedBid b;
    scn_seal_envelope(&ts, &w->t[i], who, &bc, nonce, id, &b);
    tender_bids_v1_SubmitBidRequest q = {.bid = &b, .owner_nonce = {nonce, 32},
                                         .replaces = (char *)replaces};
    int st = scn_call(c, B(Submit), &tender_bids_v1_SubmitBidRequest_desc, &q,
                      &tender_bids_v1_Receipt_desc, rcpt);
    tender_bids_v1_SealedBid_free(&b);
    tender_bids_v1_BidContent_free(&bc);
    return st;
}

static int group_setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0); /* kept across each test's start and halt */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tnd_log_set_sink(NULL, NULL);
    test_rmtree(ts.dir);
    free(log_buf);
    return 0;
}

static int setup(void **state)
{
    char db[400];
    snprintf(db, sizeof db, "%s/db", ts.dir);
    test_rmtree(db); /* counts of leaves and metrics are this test's own */
    testsrv_start(&ts, cfg, setup_server);
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->anon, NULL);
    scn_connect(&ts, &w->other, "supplier2");
    w->deadline_ms = testsrv_now(&ts) + 5000;
    create_and_publish(w, 0);
    create_and_publish(w, 1);
    w->mark = log_mark();
    for (int i = 0; i < N_BIDS; i++) {
        tender_bids_v1_Receipt_init(&w->rc[i]);
        assert_int_equal(submit_bid(w, &w->sup, "supplier", 1, NULL, NULL, &w->rc[i]), 0);
    }
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    for (int i = 0; i < N_BIDS; i++)
        tender_bids_v1_Receipt_free(&w->rc[i]);
    scn_conn *cs[] = {&w->off, &w->sup, &w->anon, &w->other};
    for (size_t i = 0; i < 4; i++)
        rawconn_close(&cs[i]->rc);
    testsrv_halt(&ts);
    free(w);
    return 0;
}

/* ---- the format ---- */

static void hex32(const char *h, uint8_t out[32])
{
    for (int i = 0; i < 32; i++)
        assert_int_equal(sscanf(h + 2 * i, "%2hhx", &out[i]), 1);
}

/* The test vector of docs/LOG.md, section 10. */
static void test_vector(void **state)
{
    (void)state;
    uint8_t key[32], s[32], t[32], want[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    assert_int_equal(tnd_blind_secret(key, 10, "B-000102030405060708090a0b0c0d0e0f", s), 0);
    hex32("e3f96f016590e4849a3a67aad85ff02665a2edb4761a54f4479f62effe5651c1", want);
    assert_memory_equal(s, want, 32);
    assert_int_equal(tnd_blind_tag("T-2026-000001", s, t), 0);
    hex32("604ef286911ad1156e8404f816796424b38dc0f9ca18f03bb2c6ca0e527e2e30", want);
    assert_memory_equal(t, want, 32);
    /* Each event its own tag: the same bid withdrawn, another tender. */
    uint8_t s2[32], t2[32];
    assert_int_equal(tnd_blind_secret(key, 11, "B-000102030405060708090a0b0c0d0e0f", s2), 0);
    assert_memory_not_equal(s, s2, 32);
    assert_int_equal(tnd_blind_tag("T-2026-000002", s, t2), 0);
    assert_memory_not_equal(t, t2, 32);
    /* Linking and proving. */
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    ev.kind = tender_events_v1_EventKind_BID_RECEIVED;
    ev.object_id = "B-000102030405060708090a0b0c0d0e0f";
    ev.tender_tag = (tnd_bytes){t, 32};
    assert_true(tnd_blind_links(&ev, "T-2026-000001", key));
    assert_false(tnd_blind_links(&ev, "T-2026-000002", key));
    assert_true(tnd_blind_proves(&ev, "T-2026-000001", s, 32));
    assert_false(tnd_blind_proves(&ev, "T-2026-000001", s2, 32));
    key[0] ^= 1;
    assert_false(tnd_blind_links(&ev, "T-2026-000001", key));
    ev.kind = tender_events_v1_EventKind_TENDER_CLOSED;
    assert_false(tnd_blind_proves(&ev, "T-2026-000001", s, 32));
    assert_int_equal(tnd_blind_secret(key, 10, NULL, s), TND_EINVAL);
}

/* ---- the tests ---- */

/* A tender with its created, updated and published times set alike (a
 * time with 0 nanoseconds leaves the field out, so they are set, not
 * ignored). */
static void normal_tender(tnd_bytes *t)
{
    tender_tenders_v1_Tender v;
    tender_tenders_v1_Tender_init(&v);
    assert_int_equal(tender_tenders_v1_Tender_decode(&v, t->data, t->len, NULL), 0);
    tnd_ts_set(&v.created, 1001);
    tnd_ts_set(&v.updated, 1001);
    tnd_ts_set(&v.published, 1001);
    free(t->data);
    assert_int_equal(tnd_msg_encode(&tender_tenders_v1_Tender_desc, &v, &t->data, &t->len, NULL),
                     0);
    tender_tenders_v1_Tender_free(&v);
}

/* An event with its position and time set alike (seq 0 is left out of the
 * encoding, so it is set, not ignored). */
static tnd_bytes normal_event(const tnd_bytes *leaf)
{
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    assert_int_equal(tender_events_v1_Event_decode(&ev, leaf->data, leaf->len, NULL), 0);
    ev.seq = 1;
    assert_non_null(ev.time);
    ev.time->seconds = 1;
    ev.time->nanos = 1;
    tnd_bytes out;
    assert_int_equal(tnd_msg_encode(&tender_events_v1_Event_desc, &ev, &out.data, &out.len, NULL),
                     0);
    tender_events_v1_Event_free(&ev);
    return out;
}

/* Every tender-specific public call, about tender i, as c. bid_seen is a
 * bid id from the public log (of the tender with bids). */
static void ask_all(scn_conn *c, int i, const char *bid_seen, answer out[12])
{
    tender_tenders_v1_TenderRef ref = {.id = ids[i]};
    ask(c, T(Get), &tender_tenders_v1_TenderRef_desc, &ref, &out[0]);
    tender_tenders_v1_ListQuestionsRequest lq = {.tender_id = ids[i]};
    ask(c, T(Questions), &tender_tenders_v1_ListQuestionsRequest_desc, &lq, &out[1]);
    tender_log_v1_LeavesRequest lr = {.tender_id = ids[i]};
    ask(c, L(GetLeaves), &tender_log_v1_LeavesRequest_desc, &lr, &out[2]);
    ask(c, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &ref, &out[3]);
    ask(c, B(GetSealedBids), &tender_tenders_v1_TenderRef_desc, &ref, &out[4]);
    ask(c, A_(Get), &tender_tenders_v1_TenderRef_desc, &ref, &out[5]);
    char aid[80];
    snprintf(aid, sizeof aid, "%s-A1", ids[i]);
    tender_awards_v1_AwardRef ar = {.id = aid};
    ask(c, A_(GetById), &tender_awards_v1_AwardRef_desc, &ar, &out[6]);
    uint8_t nonce[32] = {7};
    tender_bids_v1_BidRef br = {.tender_id = ids[i], .bid_id = (char *)bid_seen,
                                .owner_nonce = {nonce, 32}};
    ask(c, B(Status), &tender_bids_v1_BidRef_desc, &br, &out[7]);
    ask(c, B(Withdraw), &tender_bids_v1_BidRef_desc, &br, &out[8]);
    tender_tenders_v1_DocumentRef dr = {.tender_id = ids[i], .document_id = "D-1"};
    ask(c, T(Download), &tender_tenders_v1_DocumentRef_desc, &dr, &out[9]);
    ask(c, T(Get), &tender_tenders_v1_TenderRef_desc,
        &(tender_tenders_v1_TenderRef){.id = ids[i], .version = 1}, &out[10]);
    /* The list: the tender's own entry. */
    tender_tenders_v1_ListTendersRequest lt = {.text = "Blind"};
    answer l;
    ask(c, T(List), &tender_tenders_v1_ListTendersRequest_desc, &lt, &l);
    assert_int_equal(l.code, 0);
    assert_int_equal(l.n, 1);
    tender_tenders_v1_ListTendersResponse resp;
    tender_tenders_v1_ListTendersResponse_init(&resp);
    assert_int_equal(tender_tenders_v1_ListTendersResponse_decode(&resp, l.m[0].data, l.m[0].len,
                                                                  NULL),
                     0);
    memset(&out[11], 0, sizeof out[11]);
    for (size_t j = 0; j < resp.n_tenders; j++)
        if (strcmp(resp.tenders[j].id, ids[i]) == 0) {
            assert_int_equal(tnd_msg_encode(&tender_tenders_v1_Tender_desc, &resp.tenders[j],
                                            &out[11].m[0].data, &out[11].m[0].len, NULL),
                             0);
            out[11].n = 1;
        }
    assert_int_equal(out[11].n, 1);
    tender_tenders_v1_ListTendersResponse_free(&resp);
    answer_free(&l);
}

static const char *const call_names[12] = {
    "Tenders/Get",         "Tenders/Questions", "Log/GetLeaves (tender filter)",
    "Bids/GetOpening",     "Bids/GetSealedBids", "Awards/Get",
    "Awards/GetById",      "Bids/Status",        "Bids/Withdraw",
    "Tenders/Download",    "Tenders/Get version 1", "Tenders/List (its entry)"};

static void compare_all(scn_conn *c, const char *bid_seen)
{
    answer a[12], b[12];
    ask_all(c, 0, bid_seen, a);
    ask_all(c, 1, bid_seen, b);
    for (int k = 0; k < 12; k++) {
        if ((k == 0 || k == 10 || k == 11) && a[k].n == 1 && b[k].n == 1) {
            normal_tender(&a[k].m[0]);
            normal_tender(&b[k].m[0]);
        }
        if (k == 2) {
            cur_what = call_names[k];
            /* Leaves: the same kinds of events, in the same order; the
             * events alike but for their seq and time. */
            assert_int_equal(a[k].code, 0);
            assert_int_equal(a[k].n, b[k].n);
            for (size_t j = 0; j < a[k].n; j++) {
                tender_log_v1_Leaf la, lb;
                tender_log_v1_Leaf_init(&la);
                tender_log_v1_Leaf_init(&lb);
                assert_int_equal(tender_log_v1_Leaf_decode(&la, a[k].m[j].data, a[k].m[j].len,
                                                           NULL),
                                 0);
                assert_int_equal(tender_log_v1_Leaf_decode(&lb, b[k].m[j].data, b[k].m[j].len,
                                                           NULL),
                                 0);
                tnd_bytes ea = normal_event(&la.data), eb = normal_event(&lb.data);
                same_bytes(&ea, &eb);
                free(ea.data);
                free(eb.data);
                tender_log_v1_Leaf_free(&la);
                tender_log_v1_Leaf_free(&lb);
            }
        } else {
            same_answer(call_names[k], &a[k], &b[k]);
        }
        answer_free(&a[k]);
        answer_free(&b[k]);
    }
}

/* The receipt proves the leaf's tag to its supplier, for its tender only;
 * the leaf names no tender and no version. */
static void test_a_receipt_proves_its_leaf_for_its_tender_only(void **state)
{
    world *w = *state;
    for (int i = 0; i < N_BIDS; i++) {
        tender_bids_v1_Receipt *rc = &w->rc[i];
        tender_events_v1_Event ev;
        tender_events_v1_Event_init(&ev);
        assert_int_equal(tender_events_v1_Event_decode(&ev, rc->leaf.data, rc->leaf.len, NULL), 0);
        assert_null(ev.tender_id);
        assert_int_equal(ev.tender_version, 0);
        assert_string_equal(rc->tender_id, ids[1]);
        assert_true(tnd_blind_proves(&ev, ids[1], rc->tag_secret.data, rc->tag_secret.len));
        assert_false(tnd_blind_proves(&ev, ids[0], rc->tag_secret.data, rc->tag_secret.len));
        tender_events_v1_Event_free(&ev);
    }
}

/* The whole public log: no bid leaf names either tender, and each tender
 * is named by as many leaves as the other. */
static void test_no_bid_leaf_names_a_tender(void **state)
{
    world *w = *state;
    answer all;
    ask(&w->anon, L(GetLeaves), &tender_log_v1_LeavesRequest_desc,
        &(tender_log_v1_LeavesRequest){0}, &all);
    assert_int_equal(all.code, 0);
    int named[2] = {0, 0}, bid_leaves = 0;
    for (size_t j = 0; j < all.n; j++) {
        tender_log_v1_Leaf l;
        tender_events_v1_Event ev;
        tender_log_v1_Leaf_init(&l);
        tender_events_v1_Event_init(&ev);
        assert_int_equal(tender_log_v1_Leaf_decode(&l, all.m[j].data, all.m[j].len, NULL), 0);
        assert_int_equal(tender_events_v1_Event_decode(&ev, l.data.data, l.data.len, NULL), 0);
        for (int i = 0; i < 2; i++) {
            bool has = memmem(l.data.data, l.data.len, ids[i], strlen(ids[i])) != NULL;
            named[i] += has;
            if (tnd_blind_kind((int)ev.kind))
                assert_false(has);
        }
        bid_leaves += tnd_blind_kind((int)ev.kind);
        tender_events_v1_Event_free(&ev);
        tender_log_v1_Leaf_free(&l);
    }
    assert_int_equal(bid_leaves, N_BIDS);
    assert_int_equal(named[0], named[1]);
    assert_int_equal(named[0], 2); /* created, published */
    answer_free(&all);
}

/* Every tender-specific call, as an anonymous reader and as another
 * supplier, with a bid id seen in the log (one of the 5). */
static void test_public_calls_answer_alike_for_both_tenders(void **state)
{
    world *w = *state;
    compare_all(&w->anon, w->rc[0].bid_id);
    compare_all(&w->other, w->rc[0].bid_id);
}

/* A seen bid id cannot be submitted again to either tender, and replacing
 * a seen bid is "you have no bid": the same refusal whichever tender. */
static void seen_bid_ids_refused_alike(world *w)
{
    answer x[2];
    for (int i = 0; i < 2; i++) {
        tender_bids_v1_Receipt r;
        tender_bids_v1_Receipt_init(&r);
        x[i].code = submit_bid(w, &w->other, "supplier2", i, w->rc[0].bid_id, NULL, &r);
        tender_bids_v1_Receipt_free(&r);
    }
    assert_int_equal(x[0].code, TND_STATUS_ALREADY_EXISTS);
    assert_int_equal(x[1].code, TND_STATUS_ALREADY_EXISTS);
    for (int i = 0; i < 2; i++) {
        tender_bids_v1_Receipt r;
        tender_bids_v1_Receipt_init(&r);
        x[i].code = submit_bid(w, &w->other, "supplier2", i, NULL, w->rc[1].bid_id, &r);
        tender_bids_v1_Receipt_free(&r);
    }
    assert_int_equal(x[0].code, TND_STATUS_NOT_FOUND);
    assert_int_equal(x[1].code, TND_STATUS_NOT_FOUND);
}

static void test_a_seen_bid_id_is_refused_alike_for_both_tenders(void **state)
{
    seen_bid_ids_refused_alike(*state);
}

/* Metrics: the total only, no tender. The server's log: each tender as
 * often as the other since they were published, through every probe of
 * the tests above (which name each once per failed call). */
static void test_metrics_and_the_log_do_not_tell_the_tenders_apart(void **state)
{
    world *w = *state;
    compare_all(&w->anon, w->rc[0].bid_id);
    compare_all(&w->other, w->rc[0].bid_id);
    seen_bid_ids_refused_alike(w);
    char body[65536];
    assert_int_equal(scrape_http(tnd_server_metrics_port(ts.srv), "GET", "/metrics", body,
                                 sizeof body),
                     200);
    assert_null(strstr(body, ids[0]));
    assert_null(strstr(body, ids[1]));
    assert_non_null(strstr(body, "tenderd_bids_received_total 5\n"));
    assert_int_equal(log_count(w->mark, ids[0]), log_count(w->mark, ids[1]));
    assert_true(log_count(w->mark, ids[1]) > 0);
}

/* After the deadline: the key is published, the filter finds the 5 bid
 * events, and the key links exactly them. */
static void test_after_the_deadline_the_key_links_exactly_the_bids(void **state)
{
    world *w = *state;
    scn_wait_until(&ts, w->deadline_ms + 1500);
    for (int i = 0; i < 2; i++) {
        answer l, all;
        ask(&w->anon, L(GetLeaves), &tender_log_v1_LeavesRequest_desc,
            &(tender_log_v1_LeavesRequest){.tender_id = ids[i]}, &l);
        assert_int_equal(l.code, 0);
        assert_int_equal(l.n, 3 + (i ? N_BIDS : 0)); /* created, published, closed */
        uint8_t key[32];
        int linked = 0, keys = 0;
        for (size_t j = 0; j < l.n; j++) {
            tender_log_v1_Leaf lf;
            tender_events_v1_Event ev;
            tender_log_v1_Leaf_init(&lf);
            tender_events_v1_Event_init(&ev);
            assert_int_equal(tender_log_v1_Leaf_decode(&lf, l.m[j].data, l.m[j].len, NULL), 0);
            assert_int_equal(tender_events_v1_Event_decode(&ev, lf.data.data, lf.data.len, NULL),
                             0);
            if (ev.kind == tender_events_v1_EventKind_TENDER_CLOSED) {
                assert_int_equal(ev.bid_tag_key.len, 32);
                memcpy(key, ev.bid_tag_key.data, 32);
                keys++;
            }
            tender_events_v1_Event_free(&ev);
            tender_log_v1_Leaf_free(&lf);
        }
        assert_int_equal(keys, 1);
        ask(&w->anon, L(GetLeaves), &tender_log_v1_LeavesRequest_desc,
            &(tender_log_v1_LeavesRequest){0}, &all);
        for (size_t j = 0; j < all.n; j++) {
            tender_log_v1_Leaf lf;
            tender_events_v1_Event ev;
            tender_log_v1_Leaf_init(&lf);
            tender_events_v1_Event_init(&ev);
            assert_int_equal(tender_log_v1_Leaf_decode(&lf, all.m[j].data, all.m[j].len, NULL),
                             0);
            assert_int_equal(tender_events_v1_Event_decode(&ev, lf.data.data, lf.data.len, NULL),
                             0);
            linked += tnd_blind_links(&ev, ids[i], key);
            tender_events_v1_Event_free(&ev);
            tender_log_v1_Leaf_free(&lf);
        }
        assert_int_equal(linked, i ? N_BIDS : 0);
        answer_free(&all);
        answer_free(&l);
    }
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        TEST(test_a_receipt_proves_its_leaf_for_its_tender_only),
        TEST(test_no_bid_leaf_names_a_tender),
        TEST(test_public_calls_answer_alike_for_both_tenders),
        TEST(test_a_seen_bid_id_is_refused_alike_for_both_tenders),
        TEST(test_metrics_and_the_log_do_not_tell_the_tenders_apart),
        TEST(test_after_the_deadline_the_key_links_exactly_the_bids),
    };
    return cmocka_run_group_tests_name("blind", tests, group_setup, group_teardown);
}
