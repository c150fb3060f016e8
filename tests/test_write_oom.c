/* Writes that run out of memory store nothing and log nothing: a tender's
 * Publish, Amend and Cancel and an award's Record run with the write's
 * arena capped at 16, 32, 48, ... bytes (tnd_write_arena_max) until the
 * write succeeds. Every smaller cap makes some allocation of the write
 * fail, one after another (the decoded record, its copied fields, its
 * timestamps and actors, the event): each such write must answer
 * RESOURCE_EXHAUSTED and leave every table as it was; the first that
 * succeeds must store the record whole (its times set) and log one event. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawconn.h"
#include "scenario.h"
#include "store/keys.h"
#include "store/store.h"
#include "svc/svc.h"
#include "tender/bid.h"
#include "tender/sealed.h"
#include "testsrv.h"

#define A(name) "tender.awards.v1.Awards/" #name
#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define T_DESC (&tender_tenders_v1_Tender_desc)
#define STEP 16 /* the arena's alignment: every cap in turn */

static testsrv ts;
static char msg[512];
/* A 2-of-2 committee of officer and auditor, made by the shared fixture. */
static scn_committee committee = {.k = 2, .n = 2, .names = {"officer", "auditor"}};

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
}

typedef struct conn {
    rawconn rc;
    uint32_t sid;
} conn;

static void connect_as(conn *c, const char *who)
{
    char ca[700], crt[700], key[700], f[64];
    testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    snprintf(f, sizeof f, "%s.crt", who);
    testsrv_path(&ts, f, crt, sizeof crt);
    snprintf(f, sizeof f, "%s.key", who);
    testsrv_path(&ts, f, key, sizeof key);
    assert_int_equal(rawconn_open(&c->rc, ts.port, ca, crt, key), 0);
    rawconn_settings(&c->rc);
    c->sid = 1;
}

static int call(conn *c, const char *m, const tnd_msg_desc *qd, const void *q,
                const tnd_msg_desc *rd, void *r)
{
    int st = rawconn_call(&c->rc, c->sid, m, qd, q, rd, r, msg, sizeof msg, NULL, 0);
    c->sid += 2;
    return st;
}

/* ---- what the store holds ---- */

/* Every table's entry count, and the stored bytes of one tender. */
typedef struct snapshot {
    size_t entries[TND_TABLE_COUNT];
    uint8_t tender[8192];
    size_t tender_len;
} snapshot;

static void snap(const char *tender_id, snapshot *s)
{
    memset(s, 0, sizeof *s);
    tnd_store *st = ts.srv->store;
    MDB_txn *txn;
    assert_int_equal(tnd_store_read_begin(st, &txn), 0);
    for (int t = 0; t < TND_TABLE_COUNT; t++) {
        MDB_stat ms;
        assert_int_equal(mdb_stat(txn, tnd_store_dbi(st, (tnd_table)t), &ms), 0);
        s->entries[t] = ms.ms_entries;
    }
    uint8_t key[TND_KEY_TENDER_ID_MAX];
    MDB_val k = {.mv_size = tnd_key_tenders(key, tender_id), .mv_data = key}, v;
    assert_int_equal(mdb_get(txn, tnd_store_dbi(st, TND_TABLE_TENDERS), &k, &v), 0);
    assert_true(v.mv_size <= sizeof s->tender);
    memcpy(s->tender, v.mv_data, v.mv_size);
    s->tender_len = v.mv_size;
    tnd_store_read_end(st, txn);
}

static void same_store(const snapshot *a, const snapshot *b, size_t cap)
{
    for (int t = 0; t < TND_TABLE_COUNT; t++)
        if (a->entries[t] != b->entries[t])
            fail_msg("cap %zu: table %d has %zu entries, had %zu", cap, t, b->entries[t],
                     a->entries[t]);
    assert_int_equal(a->tender_len, b->tender_len);
    assert_memory_equal(a->tender, b->tender, a->tender_len);
}

/* Run attempt with the write's arena capped at STEP, 2 STEP, ... until it
 * succeeds: each failure must be RESOURCE_EXHAUSTED and change nothing.
 * On success one event more is logged. Returns the failures seen. */
static int sweep(const char *what, const char *tender_id, int (*attempt)(void *), void *arg)
{
    snapshot before, after;
    snap(tender_id, &before);
    int failures = 0;
    for (size_t cap = STEP;; cap += STEP) {
        assert_true(cap < 1024 * 1024);
        tnd_write_arena_max = cap;
        int st = attempt(arg);
        tnd_write_arena_max = 0;
        snap(tender_id, &after);
        if (st == 0) {
            assert_int_equal(after.entries[TND_TABLE_EVENTS], before.entries[TND_TABLE_EVENTS] + 1);
            /* The stored record was read into the write's arena and changed
             * there: the write needed more than its encoded bytes. */
            if (cap <= before.tender_len)
                fail_msg("%s succeeded with %zu bytes, fewer than the tender's %zu: the "
                         "record is not in the write's arena",
                         what, cap, before.tender_len);
            break;
        }
        if (st != TND_STATUS_RESOURCE_EXHAUSTED)
            fail_msg("%s with %zu bytes: %d %s", what, cap, st, msg);
        assert_non_null(strstr(msg, "nothing of it was stored"));
        same_store(&before, &after, cap);
        failures++;
    }
    /* The first caps cannot even hold the stored record. */
    assert_true(failures > 1);
    return failures;
}

/* ---- tenders ---- */

/* A draft closing dl_ms from now; its id into id. */
static void create(conn *off, int64_t dl_ms, char id[64])
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    q.fields->title = strdup("Out of memory");
    q.fields->description = strdup("Every allocation of the write fails in turn");
    tnd_ts_set(&q.fields->submission_deadline, testsrv_now(&ts) + dl_ms);
    tnd_ts_set(&q.fields->opening_time, testsrv_now(&ts) + dl_ms + 200);
    q.fields->committee = calloc(1, sizeof *q.fields->committee);
    scn_committee_make(&committee, q.fields->committee);
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    if (call(off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q, T_DESC, &t) != 0)
        fail_msg("create: %s", msg);
    snprintf(id, 64, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_CreateTenderRequest_free(&q);
}

static void get(conn *c, const char *id, tender_tenders_v1_Tender *t)
{
    tender_tenders_v1_TenderRef r = {.id = (char *)id};
    tender_tenders_v1_Tender_init(t);
    if (call(c, T(Get), &tender_tenders_v1_TenderRef_desc, &r, T_DESC, t) != 0)
        fail_msg("get: %s", msg);
}

typedef struct tender_op {
    conn *c;
    const char *id;
    tender_tenders_v1_TenderFields *fields; /* Amend's */
} tender_op;

static int publish(void *arg)
{
    tender_op *o = arg;
    tender_tenders_v1_TenderRef r = {.id = (char *)o->id};
    return call(o->c, T(Publish), &tender_tenders_v1_TenderRef_desc, &r, NULL, NULL);
}

static int amend(void *arg)
{
    tender_op *o = arg;
    tender_tenders_v1_AmendTenderRequest q = {
        .id = (char *)o->id, .fields = o->fields, .note = "deadline moved"};
    return call(o->c, T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &q, NULL, NULL);
}

static int cancel(void *arg)
{
    tender_op *o = arg;
    tender_tenders_v1_CancelTenderRequest q = {.id = (char *)o->id,
                                               .reason = "no budget",
                                               .reason_code =
                                                   tender_common_v1_CancelReason_BUDGET_CUT};
    return call(o->c, T(Cancel), &tender_tenders_v1_CancelTenderRequest_desc, &q, NULL, NULL);
}

static void test_tender_writes(void **state)
{
    (void)state;
    conn off;
    connect_as(&off, "officer");
    char id[64];
    create(&off, 600000, id);
    tender_op o = {.c = &off, .id = id};
    tender_tenders_v1_Tender t;

    sweep("Publish", id, publish, &o);
    get(&off, id, &t);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_ACTIVE);
    assert_int_equal(t.version, 1);
    assert_non_null(t.published);
    assert_int_equal(tnd_ts_ms(t.published), testsrv_now(&ts));
    assert_int_equal(tnd_ts_ms(t.updated), testsrv_now(&ts));

    /* The same committee, a later deadline. */
    int64_t dl = tnd_ts_ms(t.fields->submission_deadline) + 60000;
    tnd_ts_set(&t.fields->submission_deadline, dl);
    tnd_ts_set(&t.fields->opening_time, dl + 200);
    o.fields = t.fields;
    sweep("Amend", id, amend, &o);
    tender_tenders_v1_Tender_free(&t);
    get(&off, id, &t);
    assert_int_equal(t.version, 2);
    assert_string_equal(t.amendment_note, "deadline moved");
    assert_int_equal(tnd_ts_ms(t.fields->submission_deadline), dl);
    assert_non_null(t.updated);
    tender_tenders_v1_Tender_free(&t);

    testsrv_advance(&ts, 1000);
    sweep("Cancel", id, cancel, &o);
    get(&off, id, &t);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_CANCELLED);
    assert_string_equal(t.cancel_reason, "no budget");
    assert_int_equal(tnd_ts_ms(t.updated), testsrv_now(&ts));
    tender_tenders_v1_Tender_free(&t);
    rawconn_close(&off.rc);
}

/* ---- an award ---- */

static EVP_PKEY *load_key(const char *who)
{
    char f[64], path[700];
    snprintf(f, sizeof f, "%s.key", who);
    FILE *fp = fopen(testsrv_path(&ts, f, path, sizeof path), "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

typedef struct award_op {
    conn *c;
    tender_awards_v1_AwardRequest r;
} award_op;

static int record(void *arg)
{
    award_op *o = arg;
    return call(o->c, A(Record), &tender_awards_v1_AwardRequest_desc, &o->r, NULL, NULL);
}

static void test_award_record(void **state)
{
    (void)state;
    conn off, aud;
    connect_as(&off, "officer");
    connect_as(&aud, "auditor");
    char id[64];
    create(&off, 1000, id);
    tender_op o = {.c = &off, .id = id};
    assert_int_equal(publish(&o), 0);
    /* Opened with no bids: an unsuccessful decision stands. */
    testsrv_advance(&ts, 1300);
    conn *by[2] = {&off, &aud};
    tender_bids_v1_ShareAccepted acc;
    for (int i = 0; i < 2; i++) {
        tender_bids_v1_SubmitShareRequest s = {
            .tender_id = id, .member_key = {committee.member_pk[i], 32},
            .share = {committee.shares[i], committee.share_len}};
        tender_bids_v1_ShareAccepted_init(&acc);
        if (call(by[i], B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc, &s,
                 &tender_bids_v1_ShareAccepted_desc, &acc) != 0)
            fail_msg("share: %s", msg);
    }
    assert_true(acc.opened);

    tender_awards_v1_Decision d;
    tender_awards_v1_Decision_init(&d);
    d.tender_id = id;
    d.criterion = tender_awards_v1_Criterion_LOWEST_PRICE;
    d.rationale = "no bid was received";
    d.unsuccessful = true;
    uint8_t *buf, sig[64];
    size_t len, sl = sizeof sig;
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &d, &buf, &len, NULL), 0);
    EVP_PKEY *k = load_key("officer");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    award_op a = {.c = &off, .r = {.decision = &d, .signature = {sig, 64}}};
    sweep("Record", id, record, &a);

    tender_tenders_v1_Tender t;
    get(&off, id, &t);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_UNSUCCESSFUL);
    tender_tenders_v1_Tender_free(&t);
    tender_tenders_v1_TenderRef r = {.id = id};
    tender_awards_v1_Award aw;
    tender_awards_v1_Award_init(&aw);
    if (call(&off, A(Get), &tender_tenders_v1_TenderRef_desc, &r, &tender_awards_v1_Award_desc,
             &aw) != 0)
        fail_msg("get award: %s", msg);
    assert_int_equal(aw.state, tender_awards_v1_AwardState_UNSUCCESSFUL);
    assert_non_null(aw.officer);
    assert_string_equal(aw.officer->name, "officer");
    assert_int_equal(tnd_ts_ms(aw.recorded), testsrv_now(&ts));
    assert_int_equal(tnd_ts_ms(aw.closed), testsrv_now(&ts));
    assert_int_equal(aw.signature.len, 64);
    assert_memory_equal(aw.signature.data, sig, 64);
    tender_awards_v1_Award_free(&aw);
    rawconn_close(&off.rc);
    rawconn_close(&aud.rc);
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tnd_write_arena_max = 0;
    testsrv_stop(&ts);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tender_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_award_record, setup, teardown),
    };
    return cmocka_run_group_tests_name("write_oom", tests, NULL, NULL);
}
