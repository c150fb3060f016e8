/* The writer gate (docs/SCALING.md, "The followers"): every method that
 * changes the store is marked [writes] in the schema; a node that is not
 * the writer refuses those with UNAVAILABLE and the writer's address in the
 * x-tender-writer trailer, before any handler runs, and serves every read.
 * And the writer's duties (scheduler, pruner) across role changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/metrics.h"
#include "scenario.h"
#include "testsrv.h"

static testsrv ts;

/* Every write method, written out by hand: a method added to the schema
 * that writes, or a [writes] that goes missing, fails this test. A method
 * that reaches the store without the mark fails its own tests too: the
 * server refuses it with INTERNAL (svc.c, tnd_op_new). */
static const char *const write_methods[] = {
    "tender.tenders.v1.Tenders/Create",      "tender.tenders.v1.Tenders/Edit",
    "tender.tenders.v1.Tenders/Publish",     "tender.tenders.v1.Tenders/Amend",
    "tender.tenders.v1.Tenders/Cancel",      "tender.tenders.v1.Tenders/CancelLot",
    "tender.tenders.v1.Tenders/AddDocument", "tender.tenders.v1.Tenders/Ask",
    "tender.tenders.v1.Tenders/Answer",      "tender.bids.v1.Bids/Submit",
    "tender.bids.v1.Bids/Withdraw",          "tender.bids.v1.Bids/SubmitShare",
    "tender.awards.v1.Awards/Record",        "tender.awards.v1.Awards/Cancel",
    "tender.complaints.v1.Complaints/File",  "tender.complaints.v1.Complaints/Withdraw",
    "tender.complaints.v1.Complaints/Review",
};
#define N_WRITES (sizeof write_methods / sizeof *write_methods)

static bool listed(const char *name)
{
    for (size_t i = 0; i < N_WRITES; i++)
        if (strcmp(write_methods[i], name) == 0)
            return true;
    return false;
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

static void test_write_methods_are_marked(void **state)
{
    (void)state;
    size_t found = 0;
    for (size_t s = 0; s < tnd_schema.n_services; s++) {
        const tnd_service_desc *svc = tnd_schema.services[s];
        for (size_t i = 0; i < svc->n_methods; i++) {
            const tnd_method_desc *m = &svc->methods[i];
            if (m->writes != listed(m->full_name))
                fail_msg("%s: [writes] is %s in the schema, but the method %s", m->full_name,
                         m->writes ? "set" : "missing",
                         listed(m->full_name) ? "writes" : "only reads");
            found += m->writes;
            /* A write is never retried blindly: only with an idempotency-key. */
            assert_false(m->writes && m->idempotent);
        }
    }
    assert_int_equal(found, N_WRITES);
}

/* Reflection (and so `tenderctl methods`) says which methods write. */
static void test_reflection_lists_writes(void **state)
{
    (void)state;
    scn_conn c;
    scn_connect(&ts, &c, NULL);
    tender_reflection_v1_ListMethodsRequest q = {0};
    tender_reflection_v1_ListMethodsResponse r;
    tender_reflection_v1_ListMethodsResponse_init(&r);
    assert_int_equal(scn_call(&c, "tender.reflection.v1.Reflection/ListMethods",
                              &tender_reflection_v1_ListMethodsRequest_desc, &q,
                              &tender_reflection_v1_ListMethodsResponse_desc, &r),
                     0);
    size_t writes = 0;
    for (size_t i = 0; i < r.n_methods; i++) {
        assert_int_equal(r.methods[i].writes, listed(r.methods[i].full_name));
        writes += r.methods[i].writes;
    }
    assert_int_equal(writes, N_WRITES);
    tender_reflection_v1_ListMethodsResponse_free(&r);
    rawconn_close(&c.rc);
}

/* The lowest role m allows, as a PKI identity name; NULL for public. */
static const char *role_of(const tnd_method_desc *m)
{
    if (m->is_public)
        return NULL;
    for (uint32_t bit = 1; bit <= TND_ROLE_LAST; bit <<= 1)
        if (m->roles & bit)
            return tnd_role_name(bit);
    return NULL;
}

typedef struct answer {
    int code; /* -1: no STATUS within the wait (a stream that waits: served) */
    char message[512];
    char writer[300]; /* the x-tender-writer trailer, "" when none */
    bool other_trailers;
} answer;

/* CALL method with one empty request that ends the stream, as a caller of
 * the lowest role it allows; the STATUS and its trailers. */
static answer call_empty(const tnd_method_desc *m)
{
    answer a = {.code = -1};
    scn_conn c;
    scn_connect(&ts, &c, role_of(m));
    static const uint8_t empty_map = 0x80;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, 1, m->full_name, NULL, 0, 10000), 0);
    assert_int_equal(tnd_frame_put_message(&sb, 1, &empty_map, 1, true), 0);
    assert_int_equal(rawconn_send(&c.rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    tnd_frame f;
    while (rawconn_read(&c.rc, &f, 1000, true) == 0) {
        if (f.type != TND_FRAME_STATUS || f.stream_id != 1)
            continue;
        a.code = (int)f.u.status.code;
        snprintf(a.message, sizeof a.message, "%.*s", (int)f.u.status.message.len,
                 (const char *)f.u.status.message.ptr);
        const msgpack_object *md = f.u.status.metadata;
        for (uint32_t i = 0; i < md->via.map.size; i++) {
            const msgpack_object *k = &md->via.map.ptr[i].key, *v = &md->via.map.ptr[i].val;
            if (k->via.str.size == strlen(TND_MD_WRITER) &&
                memcmp(k->via.str.ptr, TND_MD_WRITER, k->via.str.size) == 0 &&
                v->type == MSGPACK_OBJECT_STR)
                snprintf(a.writer, sizeof a.writer, "%.*s", (int)v->via.str.size,
                         v->via.str.ptr);
            else
                a.other_trailers = true;
        }
        break;
    }
    rawconn_close(&c.rc);
    return a;
}

static uint64_t refused_metric(void)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(tnd_metrics_render(ts.srv->metrics, &text, &len), 0);
    const char *at = strstr(text, "\ntenderd_writes_refused_total ");
    assert_non_null(at);
    uint64_t n = strtoull(at + strlen("\ntenderd_writes_refused_total "), NULL, 10);
    free(text);
    return n;
}

/* A follower refuses every write method, of every kind (unary, client
 * streaming), before its handler: UNAVAILABLE, the message and the trailer
 * naming the writer. Every read is served as before. */
static void test_follower_refuses_writes_serves_reads(void **state)
{
    (void)state;
    testsrv_set_writer(&ts, false, "node2.example:7443");
    uint64_t before = refused_metric();
    size_t writes = 0, reads = 0;
    for (size_t s = 0; s < tnd_schema.n_services; s++) {
        const tnd_service_desc *svc = tnd_schema.services[s];
        for (size_t i = 0; i < svc->n_methods; i++) {
            const tnd_method_desc *m = &svc->methods[i];
            answer a = call_empty(m);
            if (m->writes) {
                if (a.code != TND_STATUS_UNAVAILABLE)
                    fail_msg("%s on a follower: %d %s", m->full_name, a.code, a.message);
                assert_string_equal(a.message, "not the writer; the writer is node2.example:7443");
                assert_string_equal(a.writer, "node2.example:7443");
                assert_false(a.other_trailers);
                writes++;
            } else {
                /* An empty request gets the handler's own answer (NOT_FOUND,
                 * INVALID_ARGUMENT, OK ...), never the gate's. */
                if (a.code == TND_STATUS_UNAVAILABLE || a.writer[0])
                    fail_msg("read %s refused on a follower: %s", m->full_name, a.message);
                reads++;
            }
        }
    }
    assert_int_equal(writes, N_WRITES);
    assert_true(reads > 20);
    assert_int_equal(refused_metric() - before, N_WRITES);
    testsrv_set_writer(&ts, true, NULL);
}

/* While the nodes choose a writer: UNAVAILABLE, a message saying to retry,
 * and no trailer (the client then tries its next address). */
static void test_no_writer_known(void **state)
{
    (void)state;
    testsrv_set_writer(&ts, false, NULL);
    const tnd_method_desc *m = tnd_schema_find_method(&tnd_schema, SCN_B(Submit));
    answer a = call_empty(m);
    assert_int_equal(a.code, TND_STATUS_UNAVAILABLE);
    assert_string_equal(a.message,
                        "no writer at the moment: the nodes are choosing one; retry in a few "
                        "seconds");
    assert_string_equal(a.writer, "");
    /* An address that could not travel as a metadata value counts as unknown. */
    testsrv_set_writer(&ts, false, "bad host:1");
    a = call_empty(m);
    assert_int_equal(a.code, TND_STATUS_UNAVAILABLE);
    assert_string_equal(a.writer, "");
    testsrv_set_writer(&ts, true, NULL);
}

/* A real write: refused while a follower (nothing stored), served once the
 * node is the writer again. */
static void test_writer_again_serves_writes(void **state)
{
    (void)state;
    scn_conn off;
    scn_connect(&ts, &off, "officer");
    scn_tender t = {0};
    tender_tenders_v1_CreateTenderRequest q;
    scn_tender_request(&ts, &t, "Gate", 3600000, 3700000, &q);
    tender_tenders_v1_Tender got;
    tender_tenders_v1_Tender_init(&got);

    testsrv_set_writer(&ts, false, "127.0.0.1:1");
    assert_int_equal(scn_call(&off, SCN_T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                              &tender_tenders_v1_Tender_desc, &got),
                     TND_STATUS_UNAVAILABLE);
    assert_string_equal(scn_msg, "not the writer; the writer is 127.0.0.1:1");
    tender_tenders_v1_ListTendersRequest lq = {0};
    tender_tenders_v1_ListTendersResponse lr;
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(scn_call(&off, SCN_T(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                              &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     TND_STATUS_OK);
    size_t n_before = lr.n_tenders;
    tender_tenders_v1_ListTendersResponse_free(&lr);

    testsrv_set_writer(&ts, true, NULL);
    assert_int_equal(scn_call(&off, SCN_T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                              &tender_tenders_v1_Tender_desc, &got),
                     TND_STATUS_OK);
    assert_true(got.id && got.id[0]);
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(scn_call(&off, SCN_T(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                              &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     TND_STATUS_OK);
    assert_int_equal(lr.n_tenders, n_before + 1);
    tender_tenders_v1_ListTendersResponse_free(&lr);
    tender_tenders_v1_Tender_free(&got);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    rawconn_close(&off.rc);
}

static void no_op(void *arg)
{
    (void)arg;
}

/* On the loop thread: queue the writer's duty writes (a heartbeat, what is
 * due), then become a follower before any of them is done. */
static void demote_with_writes_queued(tnd_server *srv, void *arg)
{
    bool *had = arg;
    had[0] = srv->scheduler != NULL && srv->idem_pruner != NULL;
    tnd_services_clock_moved(srv, no_op, NULL);
    tnd_services_set_role(srv, false, NULL);
    had[1] = srv->scheduler != NULL || srv->idem_pruner != NULL;
}

static void duties_running(tnd_server *srv, void *arg)
{
    *(bool *)arg = srv->scheduler != NULL && srv->idem_pruner != NULL;
}

/* A writer that becomes a follower stops its scheduler and pruner while
 * their writes are still queued: those writes' done callbacks come after
 * the stop and must find their owner alive (under ASan, a use after free
 * fails here). The duties start again when the node is the writer again,
 * and the store keeps taking writes. */
static void test_demoted_with_duty_writes_queued(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        bool had[2] = {false, true};
        testsrv_on_loop(&ts, demote_with_writes_queued, had);
        assert_true(had[0]);  /* the writer ran both duties */
        assert_false(had[1]); /* the follower runs neither */
        testsrv_set_writer(&ts, true, NULL);
        bool running = false;
        testsrv_on_loop(&ts, duties_running, &running);
        assert_true(running);
    }
    test_writer_again_serves_writes(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_methods_are_marked),
        cmocka_unit_test(test_reflection_lists_writes),
        cmocka_unit_test(test_follower_refuses_writes_serves_reads),
        cmocka_unit_test(test_no_writer_known),
        cmocka_unit_test(test_writer_again_serves_writes),
        cmocka_unit_test(test_demoted_with_duty_writes_queued),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
