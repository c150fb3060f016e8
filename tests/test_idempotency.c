/* Idempotency records expire: within the window a retried Tenders/Create
 * with the same idempotency-key gets the first answer; after it the server
 * prunes the record (and its expiry entry), and the same key makes a new
 * tender. A real server in-process, with a 1 s window. */
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
#include "store.h"
#include "testsrv.h"

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->idempotency_window_ms = 1000;
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    testsrv_start(&ts, cfg, NULL);
    return 0;
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

/* Create a draft with idempotency-key key; its id into id. */
static void create(tnd_client *c, const char *key, char *id, size_t len)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    q.fields = calloc(1, sizeof *q.fields);
    assert_non_null(q.fields);
    tender_tenders_v1_TenderFields_init(q.fields);
    q.fields->title = strdup("Snow clearing, winter 2026");
    tnd_meta md = {.key = "idempotency-key", .value = key};
    tnd_call_opts opts = {.metadata = &md, .n_metadata = 1};
    tender_tenders_v1_Tender t;
    tnd_status_info st;
    int code = tnd_client_unary(c, tender_tenders_v1_Tenders_Create_method, &q, &t, &opts, &st);
    tender_tenders_v1_CreateTenderRequest_free(&q);
    if (code != 0)
        fail_msg("Create: status %d: %s", code, st.message);
    snprintf(id, len, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
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

    /* The window is 1 s and the server looks every 1 s: wait for the prune. */
    for (int i = 0; i < 300 && entries(TND_TABLE_IDEMPOTENCY) > 0; i++)
        usleep(100 * 1000);
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 0);
    assert_int_equal(entries(TND_TABLE_IDEM_EXPIRY), 0);

    create(c, "winter-1", later, sizeof later);
    assert_string_not_equal(first, later); /* expired: a new request */
    assert_int_equal(entries(TND_TABLE_IDEMPOTENCY), 1);
    tnd_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_then_expiry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
