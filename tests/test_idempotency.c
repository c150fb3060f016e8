/* Idempotency records expire: within the window a retried Tenders/Create
 * with the same idempotency-key gets the first answer; after it the server
 * prunes the record (and its expiry entry), and the same key makes a new
 * tender; damaged expiry entries do not stop the pruning. A key reused for
 * another request, and a key that is empty or too long, are refused. A real server in-process, with a 1 s window. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tender/client.h"
#include "tender_schema.h"
#include "store/store.h"
#include "svc/svc.h"
#include "testsrv.h"

static testsrv ts;
static uint64_t window_ms;

static void cfg(tnd_config *c)
{
    c->idempotency_window_ms = window_ms;
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

/* A 1 s window on the manual clock, to see records expire. */
static int setup_short(void **state)
{
    (void)state;
    window_ms = 1000;
    testsrv_pki(&ts);
    testsrv_manual_clock(&ts, 0);
    testsrv_start(&ts, cfg, NULL);
    return 0;
}

/* A window no test outlasts. */
static int setup_long(void **state)
{
    window_ms = 600000;
    return setup(state);
}

static int teardown(void **state)
{
    (void)state;
    testsrv_stop(&ts);
    return 0;
}

static tnd_client *officer(void)
{
    char addr[64], ca[400], cert[400], key[400], err[256];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ts.port);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = addr;
    o.ca_file = testsrv_path(&ts, "ca.crt", ca, sizeof ca);
    o.cert_file = testsrv_path(&ts, "officer.crt", cert, sizeof cert);
    o.key_file = testsrv_path(&ts, "officer.key", key, sizeof key);
    tnd_client *c = NULL;
    assert_int_equal(tnd_client_open(&o, &c, err, sizeof err), 0);
    return c;
}

/* Create a draft titled title with idempotency-key key; its id into id
 * (when OK). Returns the status code, the message in st. */
static int create_titled(tnd_client *c, const char *key, const char *title, char *id, size_t len,
                         tnd_status_info *st)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    assert_non_null(q.fields);
    tender_tenders_v1_TenderFields_init(q.fields);
    q.fields->title = strdup(title);
    tnd_meta md = {.key = "idempotency-key", .value = key};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = 1};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    int code = tnd_client_unary(c, tender_tenders_v1_Tenders_Create_method, &q, &t, &opts, st);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    if (code == 0)
        snprintf(id, len, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    return code;
}

/* Create a draft with idempotency-key key; its id into id. */
static void create(tnd_client *c, const char *key, char *id, size_t len)
{
    tnd_status_info st;
    int code = create_titled(c, key, "Snow clearing, winter 2026", id, len, &st);
    if (code != 0)
        fail_msg("Create: status %d: %s", code, st.message);
}

static size_t entries(tnd_table table)
{
    tnd_store *s = ts.srv->store;
    MDB_txn *txn;
    MDB_stat stat;
    assert_int_equal(tnd_store_read_begin(s, &txn), 0);
    int rc = mdb_stat(txn, tnd_store_dbi(s, table), &stat);
    tnd_store_read_end(s, txn);
    assert_int_equal(rc, 0);
    return stat.ms_entries;
}

static void test_replay_then_expiry(void **state)
{
    (void)state;
    tnd_client *c = officer();
    char first[64], again[64], later[64];
    create(c, "winter-1", first, sizeof first);
    create(c, "winter-1", again, sizeof again);
    assert_string_equal(first, again); /* a retry: the first answer, no second tender */
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 1);
    assert_int_equal(entries(TND_TABLE_IDEM_EXPIRY), 1);

    /* The window is 1 s: kept until it ends, pruned when it has. */
    testsrv_advance(&ts, 999);
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 1);
    testsrv_advance(&ts, 1);
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 0);
    assert_int_equal(entries(TND_TABLE_IDEM_EXPIRY), 0);

    create(c, "winter-1", later, sizeof later);
    assert_string_not_equal(first, later); /* expired: a new request */
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 1);
    tnd_client_free(c);
}

/* Put raw entries into the halted server's IDEM_EXPIRY table. */
static void inject_expiry(const void *const *keys, const size_t *lens, size_t n)
{
    char db[400];
    MDB_env *env;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, TND_TABLE_COUNT + 4), 0);
    snprintf(db, sizeof db, "%s/db", ts.dir);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "idempotency_expiry", 0, &dbi), 0);
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {.mv_size = lens[i], .mv_data = (void *)keys[i]}, v = {0, ""};
        assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Damaged expiry entries (one shorter than its time, one naming no record)
 * sort first and are dropped; the entries after them are still pruned. */
static void test_damaged_expiry_entries_do_not_stop_pruning(void **state)
{
    (void)state;
    testsrv_halt(&ts);
    static const uint8_t short_key[1] = {0};
    static const uint8_t no_record[8] = {0};
    const void *keys[2] = {short_key, no_record};
    const size_t lens[2] = {sizeof short_key, sizeof no_record};
    inject_expiry(keys, lens, 2);
    testsrv_restart(&ts);
    tnd_client *c = officer();
    char id[64];
    create(c, "damaged-1", id, sizeof id);
    testsrv_advance(&ts, 2000); /* past every record's window */
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 0);
    assert_int_equal(entries(TND_TABLE_IDEM_EXPIRY), 0);
    tnd_client_free(c);
}

/* The same key with another request is refused, naming the key, and
 * makes no second tender; the first request's retry still gets its reply. */
static void test_reused_key_refused(void **state)
{
    (void)state;
    tnd_client *c = officer();
    char first[64], other[64], again[64];
    tnd_status_info st;
    size_t tenders = entries(TND_TABLE_TENDERS);
    assert_int_equal(create_titled(c, "roads-7", "Road marking", first, sizeof first, &st), 0);
    assert_int_equal(entries(TND_TABLE_TENDERS), tenders + 1);
    assert_int_equal(create_titled(c, "roads-7", "Bridge repair", other, sizeof other, &st),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(st.message, "idempotency-key \"roads-7\""));
    assert_non_null(strstr(st.message, "new key"));
    assert_int_equal(entries(TND_TABLE_TENDERS), tenders + 1); /* no second tender */
    assert_int_equal(create_titled(c, "roads-7", "Road marking", again, sizeof again, &st), 0);
    assert_string_equal(first, again);

    /* The same key on another method: refused too. */
    tender_tenders_v1_EditTenderRequest e;
    tender_tenders_v1_EditTenderRequest_init(&e);
    e.id = first;
    tender_tenders_v1_TenderFields f;
    tender_tenders_v1_TenderFields_init(&f);
    f.title = "Road marking";
    e.fields = &f;
    tnd_meta md = {.key = "idempotency-key", .value = "roads-7"};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = 1};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(tnd_client_unary(c, tender_tenders_v1_Tenders_Edit_method, &e, &t, &opts,
                                      &st),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(st.message, "roads-7"));
    tender_tenders_v1_Tender_free(&t);
    tnd_client_free(c);
}

/* A key that is empty or longer than 64 bytes is refused, and the write is
 * not run (it used to be run without a key: twice on a retry). */
static void test_bad_key_refused(void **state)
{
    (void)state;
    tnd_client *c = officer();
    char id[64], longkey[66];
    tnd_status_info st;
    size_t tenders = entries(TND_TABLE_TENDERS);
    memset(longkey, 'k', 65);
    longkey[65] = '\0';
    assert_int_equal(create_titled(c, longkey, "Long key", id, sizeof id, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "idempotency-key must be 1 to 64"));
    assert_non_null(strstr(st.message, "65"));
    assert_int_equal(create_titled(c, "", "Empty key", id, sizeof id, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "idempotency-key must be 1 to 64"));
    assert_int_equal(entries(TND_TABLE_TENDERS), tenders);
    longkey[64] = '\0'; /* 64 bytes: accepted */
    assert_int_equal(create_titled(c, longkey, "Long key", id, sizeof id, &st), 0);
    assert_int_equal(entries(TND_TABLE_TENDERS), tenders + 1);
    tnd_client_free(c);
}

/* A stored reply that needs more memory than the write may take to be
 * read back is the server's shortage (RESOURCE_EXHAUSTED), not a damaged
 * record (DATA_LOSS); with memory back, the retry gets the first answer. */
static void test_replay_out_of_memory(void **state)
{
    (void)state;
    tnd_client *c = officer();
    char first[64], again[64];
    create(c, "short-1", first, sizeof first);
    size_t tenders = entries(TND_TABLE_TENDERS);
    tnd_op_arena_max = sizeof(tender_tenders_v1_Tender) + 64; /* the reply, not its strings */
    tnd_status_info st;
    int code = create_titled(c, "short-1", "Snow clearing, winter 2026", again, sizeof again, &st);
    tnd_op_arena_max = TND_OP_ARENA_MAX;
    assert_int_equal(code, TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(st.message, "more server memory"));
    create(c, "short-1", again, sizeof again);
    assert_string_equal(first, again);
    assert_int_equal(entries(TND_TABLE_TENDERS), tenders);
    tnd_client_free(c);
}

int main(void)
{
    const struct CMUnitTest expiry[] = {
        cmocka_unit_test(test_replay_then_expiry),
        cmocka_unit_test(test_damaged_expiry_entries_do_not_stop_pruning),
    };
    const struct CMUnitTest keys[] = {
        cmocka_unit_test(test_reused_key_refused),
        cmocka_unit_test(test_bad_key_refused),
        cmocka_unit_test(test_replay_out_of_memory),
    };
    int failed = cmocka_run_group_tests(expiry, setup_short, teardown);
    return failed + cmocka_run_group_tests(keys, setup_long, teardown);
}
