/* Migrating an older database at open (docs/STORE.md, "Format"), inside the
 * opening transaction, so a failure leaves the database as it was.
 *
 * Format 1 to 2: build the opening_keys index (opening public key -> tender
 * id) from the tenders table. An opening key serves one tender only; where
 * an old database holds two tenders with one key, the index names a
 * published one over a draft (else the first by id), and the other can no
 * longer be published; each such pair is logged. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"

static int draft_of(MDB_txn *txn, MDB_dbi tenders, const MDB_val *id)
{
    MDB_val k = *id, v;
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    int draft = mdb_get(txn, tenders, &k, &v) == 0 &&
                tnd_msg_decode(&tender_tenders_v1_Tender_desc, v.mv_data, v.mv_size, &t, NULL) ==
                    0 &&
                t.status == tender_tenders_v1_TenderStatus_DRAFT;
    tender_tenders_v1_Tender_free(&t);
    return draft;
}

static int index_opening_keys(tnd_store *s, MDB_txn *txn, char *err, size_t err_len)
{
    MDB_dbi tenders = s->dbi[TND_TABLE_TENDERS], keys = s->dbi[TND_TABLE_OPENING_KEYS];
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, tenders, &cur);
    if (rc != 0) {
        snprintf(err, err_len, "cannot migrate the database in %s to format %d: %s", s->dir,
                 TND_STORE_FORMAT, mdb_strerror(rc));
        return TND_EIO;
    }
    unsigned long indexed = 0, shared = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        tender_tenders_v1_Tender t;
        tender_tenders_v1_Tender_init(&t);
        if (tnd_msg_decode(&tender_tenders_v1_Tender_desc, v.mv_data, v.mv_size, &t, NULL) != 0) {
            /* Served as DATA_LOSS elsewhere; not a reason to refuse the database. */
            char a[80];
            snprintf(a, sizeof a, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
            tnd_log(TND_LOG_WARN, "store migration: tender unreadable, its opening key not indexed",
                    "tender", a, NULL);
            tender_tenders_v1_Tender_free(&t);
            continue;
        }
        const tender_tenders_v1_Committee *cm = t.fields ? t.fields->committee : NULL;
        if (cm && cm->opening_public_key.len == 32) {
            MDB_val kk = {.mv_size = 32, .mv_data = cm->opening_public_key.data}, held;
            int put = 1, was_held = mdb_get(txn, keys, &kk, &held) == 0;
            if (was_held) {
                char a[80], b[80];
                snprintf(a, sizeof a, "%.*s", (int)held.mv_size, (const char *)held.mv_data);
                snprintf(b, sizeof b, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
                tnd_log(TND_LOG_WARN, "store migration: tenders share an opening key", "tender",
                        a, "other", b, NULL);
                shared++;
                /* A published tender keeps the key over a draft. */
                MDB_val hid = {.mv_size = held.mv_size, .mv_data = a};
                put = t.status != tender_tenders_v1_TenderStatus_DRAFT &&
                      draft_of(txn, tenders, &hid);
            }
            if (put) {
                MDB_val id = k;
                rc = mdb_put(txn, keys, &kk, &id, 0);
                indexed += !was_held;
            }
        }
        tender_tenders_v1_Tender_free(&t);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        snprintf(err, err_len, "cannot migrate the database in %s to format %d: %s", s->dir,
                 TND_STORE_FORMAT, mdb_strerror(rc));
        return TND_EIO;
    }
    char n[24], d[24];
    snprintf(n, sizeof n, "%lu", indexed);
    snprintf(d, sizeof d, "%lu", shared);
    tnd_log(TND_LOG_INFO, "store migrated to format 2", "dir", s->dir, "opening_keys", n,
            "shared_keys", d, NULL);
    return 0;
}

int tnd__store_migrate(tnd_store *s, MDB_txn *txn, uint32_t from, char *err, size_t err_len)
{
    if (from == 1)
        return index_opening_keys(s, txn, err, err_len);
    snprintf(err, err_len, "database in %s has format %u; this tenderd cannot migrate it", s->dir,
             from);
    return TND_ERANGE;
}
