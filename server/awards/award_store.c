/* Where awards are stored: the AWARDS key of a tender's n-th decision, and
 * the latest one. */
#include <string.h>

#include "awards.h"

size_t tnd_award_key(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq)
{
    size_t il = strlen(tender_id);
    if (il + 5 > cap)
        return 0;
    memcpy(key, tender_id, il);
    key[il] = 0;
    for (int i = 0; i < 4; i++)
        key[il + 1 + (size_t)i] = (uint8_t)(seq >> (24 - 8 * i));
    return il + 5;
}

int tnd_award_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tender_awards_v1_Award *out,
                     uint32_t *seq)
{
    uint8_t key[128];
    size_t kl = tnd_award_key(key, sizeof key, tender_id, UINT32_MAX);
    if (!kl)
        return TND_ENOTFOUND;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi, &cur) != 0)
        return TND_EIO;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    int ret = TND_ENOTFOUND;
    if (rc == 0 && k.mv_size == kl && memcmp(k.mv_data, key, kl - 4) == 0) {
        const uint8_t *p = (const uint8_t *)k.mv_data + kl - 4;
        if (seq)
            *seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        ret = tnd_msg_decode(&tender_awards_v1_Award_desc, v.mv_data, v.mv_size, out, NULL);
    }
    mdb_cursor_close(cur);
    return ret;
}
