/* The latest award of a tender (AWARDS keys: store/keys.h). */
#include <string.h>

#include "awards.h"

int tnd_award_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tnd_arena *arena,
                     tender_awards_v1_Award *out, uint32_t *seq)
{
    uint8_t key[128];
    size_t kl = tnd_key_awards(key, sizeof key, tender_id, UINT32_MAX);
    if (!kl)
        return TND_ENOTFOUND;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi, &cur) != 0)
        return TND_EIO;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    int ret = TND_ENOTFOUND;
    uint32_t n;
    if (rc == 0 && tnd_key_awards_parse(k.mv_data, k.mv_size, tender_id, &n)) {
        if (seq)
            *seq = n;
        ret = arena ? tnd_msg_decode_in(&tender_awards_v1_Award_desc, arena, v.mv_data,
                                        v.mv_size, out, NULL)
                    : tnd_msg_decode(&tender_awards_v1_Award_desc, v.mv_data, v.mv_size, out,
                                     NULL);
    }
    mdb_cursor_close(cur);
    return ret;
}
