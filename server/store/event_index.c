/* The tender_events index: writing its entries (event_index.h). */
#include "event_index.h"

#include "keys.h"
#include "tender/codec.h"
#include "tender_schema.h"

int tnd__event_index_put(MDB_txn *txn, MDB_dbi index, const char *tender_id, uint64_t seq)
{
    if (!tender_id || !tender_id[0])
        return 0;
    uint8_t key[TND_KEY_TENDER_EVENTS_MAX];
    MDB_val k = {.mv_size = tnd_key_tender_events(key, sizeof key, tender_id, seq),
                 .mv_data = key},
            v = {.mv_size = 0, .mv_data = ""};
    if (k.mv_size == 0)
        return MDB_BAD_VALSIZE;
    return mdb_put(txn, index, &k, &v, 0);
}

int tnd__event_index_put_encoded(MDB_txn *txn, MDB_dbi index, const void *event, size_t len,
                                 uint64_t seq)
{
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    int rc = tnd_msg_decode(&tender_events_v1_Event_desc, event, len, &ev, NULL) != 0 || ev.seq != seq
                 ? MDB_CORRUPTED
                 : tnd__event_index_put(txn, index, ev.tender_id, seq);
    tender_events_v1_Event_free(&ev);
    return rc;
}
