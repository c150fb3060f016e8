/* The derived indexes: their entries, from the records they index
 * (derived.h). */
#include "derived.h"

#include "keys.h"
#include "tender/codec.h"
#include "tender/complaint.h"

static const MDB_val empty = {.mv_size = 0, .mv_data = ""};

static int event_entry(MDB_txn *txn, const MDB_dbi *dbi, const void *key, size_t klen,
                       const tender_events_v1_Event *ev)
{
    uint64_t seq;
    if (!tnd_key_events_parse(key, klen, &seq) || ev->seq != seq)
        return MDB_CORRUPTED;
    if (!ev->tender_id || !ev->tender_id[0])
        return 0; /* a bid's event names no tender */
    uint8_t ik[TND_KEY_TENDER_EVENTS_MAX];
    MDB_val k = {.mv_size = tnd_key_tender_events(ik, sizeof ik, ev->tender_id, seq),
                 .mv_data = ik},
            v = empty;
    return k.mv_size ? mdb_put(txn, dbi[TND_TABLE_TENDER_EVENTS], &k, &v, 0) : MDB_BAD_VALSIZE;
}

/* Same key as the complaint's own (tender id 0x00 seq u32). */
static int complaint_entry(MDB_txn *txn, const MDB_dbi *dbi, const void *key, size_t klen,
                           const tender_complaints_v1_Complaint *c)
{
    if (!tnd_complaint_suspends_by_acceptance(c))
        return 0;
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v = empty;
    return mdb_put(txn, dbi[TND_TABLE_SUSPENDING_COMPLAINTS], &k, &v, 0);
}

int tnd__derived_put(MDB_txn *txn, const MDB_dbi *dbi, tnd_table t, const void *key, size_t klen,
                     const void *msg)
{
    switch (t) {
    case TND_TABLE_EVENTS: return event_entry(txn, dbi, key, klen, msg);
    case TND_TABLE_COMPLAINTS: return complaint_entry(txn, dbi, key, klen, msg);
    default: return 0;
    }
}

int tnd__derived_put_encoded(MDB_txn *txn, const MDB_dbi *dbi, tnd_table t, const void *key,
                             size_t klen, const void *val, size_t vlen)
{
    const tnd_msg_desc *d = t == TND_TABLE_EVENTS       ? &tender_events_v1_Event_desc
                            : t == TND_TABLE_COMPLAINTS ? &tender_complaints_v1_Complaint_desc
                                                        : NULL;
    if (!d)
        return 0;
    /* The largest of the two, initialised by the decoder. */
    union {
        tender_events_v1_Event ev;
        tender_complaints_v1_Complaint c;
    } msg;
    tnd_msg_init(d, &msg);
    int rc = tnd_msg_decode(d, val, vlen, &msg, NULL) != 0 ? MDB_CORRUPTED
                                                            : tnd__derived_put(txn, dbi, t, key,
                                                                               klen, &msg);
    tnd_msg_free(d, &msg);
    return rc;
}

static int build_from(MDB_txn *txn, const MDB_dbi *dbi, tnd_table t, uint64_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, dbi[t], &cur);
    if (rc != 0)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if ((rc = tnd__derived_put_encoded(txn, dbi, t, k.mv_data, k.mv_size, v.mv_data,
                                           v.mv_size)) != 0)
            break;
        ++*n;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int tnd__derived_build(MDB_txn *txn, const MDB_dbi *dbi, uint64_t *n)
{
    *n = 0;
    int rc = build_from(txn, dbi, TND_TABLE_EVENTS, n);
    return rc ? rc : build_from(txn, dbi, TND_TABLE_COMPLAINTS, n);
}
