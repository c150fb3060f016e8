/* Writing a tender with lots and its per-lot opening (lotfix.h). */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "lotfix.h"
#include "store/keys.h"
#include "tender/codec.h"
#include "tender_schema.h"

#define T_DESC (&tender_tenders_v1_Tender_desc)
#define O_DESC (&tender_bids_v1_OpeningRecord_desc)

static void money(tender_common_v1_Money **m, int64_t minor)
{
    *m = calloc(1, sizeof **m);
    (*m)->minor_units = minor;
    (*m)->currency = strdup("KRW");
}

/* Give t two lots when it has none; with states when states is set. */
static void with_lots(tender_tenders_v1_Tender *t, bool states)
{
    tender_tenders_v1_TenderFields *f = t->fields;
    assert_non_null(f);
    if (!f->n_lots) {
        f->lots = calloc(2, sizeof *f->lots);
        f->n_lots = 2;
        for (size_t i = 0; i < 2; i++) {
            f->lots[i].id = strdup(i ? "L2" : "L1");
            f->lots[i].title = strdup(i ? "South roads" : "North roads");
            money(&f->lots[i].value, 500000);
        }
    }
    if (!states)
        return;
    for (size_t i = 0; i < t->n_lot_states; i++)
        tender_tenders_v1_LotState_free(&t->lot_states[i]);
    free(t->lot_states);
    t->n_lot_states = f->n_lots;
    t->lot_states = calloc(f->n_lots, sizeof *t->lot_states);
    for (size_t i = 0; i < f->n_lots; i++) {
        t->lot_states[i].lot_id = strdup(f->lots[i].id);
        t->lot_states[i].status = tender_tenders_v1_LotStatus_LOT_ACTIVE;
    }
}

static void put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, const tnd_msg_desc *d, const void *m)
{
    uint8_t *enc;
    size_t len;
    assert_int_equal(tnd_msg_encode(d, m, &enc, &len, NULL), 0);
    MDB_val v = {.mv_size = len, .mv_data = enc};
    assert_int_equal(mdb_put(txn, dbi, k, &v, 0), 0);
    free(enc);
}

void lotfix_write(const char *db, const char *id, const char *const ids[2],
                  const lotfix_line lines[2][2])
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi tdbi, vdbi, odbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, db, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "tenders", 0, &tdbi), 0);
    assert_int_equal(mdb_dbi_open(txn, "tender_versions", 0, &vdbi), 0);
    assert_int_equal(mdb_dbi_open(txn, "openings", 0, &odbi), 0);
    uint8_t key[TND_KEY_TENDER_ID_MAX + 8];
    MDB_val k = {.mv_size = tnd_key_tenders(key, id), .mv_data = key}, v;

    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(mdb_get(txn, tdbi, &k, &v), 0);
    assert_int_equal(tnd_msg_decode(T_DESC, v.mv_data, v.mv_size, &t, NULL), 0);
    uint32_t versions = t.version;
    with_lots(&t, true);
    put(txn, tdbi, &k, T_DESC, &t);
    tender_tenders_v1_Tender_free(&t);
    for (uint32_t n = 1; n <= versions; n++) {
        k = (MDB_val){.mv_size = tnd_key_tender_versions(key, sizeof key, id, n), .mv_data = key};
        tender_tenders_v1_Tender_init(&t);
        assert_int_equal(mdb_get(txn, vdbi, &k, &v), 0);
        assert_int_equal(tnd_msg_decode(T_DESC, v.mv_data, v.mv_size, &t, NULL), 0);
        with_lots(&t, false);
        put(txn, vdbi, &k, T_DESC, &t);
        tender_tenders_v1_Tender_free(&t);
    }

    tender_bids_v1_OpeningRecord rec;
    tender_bids_v1_OpeningRecord_init(&rec);
    k = (MDB_val){.mv_size = tnd_key_openings(key, id), .mv_data = key};
    assert_int_equal(mdb_get(txn, odbi, &k, &v), 0);
    assert_int_equal(tnd_msg_decode(O_DESC, v.mv_data, v.mv_size, &rec, NULL), 0);
    assert_int_equal(rec.n_bids, 2);
    for (size_t b = 0; b < 2; b++) {
        tender_bids_v1_OpenedBid *o = &rec.bids[b];
        size_t i = strcmp(o->bid_id, ids[0]) == 0 ? 0 : 1;
        assert_string_equal(o->bid_id, ids[i]);
        for (size_t j = 0; j < o->n_lots; j++)
            tender_bids_v1_OpenedLot_free(&o->lots[j]);
        free(o->lots);
        if (o->price)
            tender_common_v1_Money_free(o->price);
        free(o->price);
        free(o->failure);
        o->failure = NULL;
        o->valid = true;
        o->price = NULL;
        o->lots = calloc(2, sizeof *o->lots);
        o->n_lots = 0;
        for (size_t j = 0; j < 2 && lines[i][j].lot; j++) {
            tender_bids_v1_OpenedLot *l = &o->lots[o->n_lots++];
            l->lot_id = strdup(lines[i][j].lot);
            money(&l->price, lines[i][j].price);
            l->valid = !lines[i][j].failure;
            l->failure = lines[i][j].failure ? strdup(lines[i][j].failure) : NULL;
        }
    }
    put(txn, odbi, &k, O_DESC, &rec);
    tender_bids_v1_OpeningRecord_free(&rec);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}
