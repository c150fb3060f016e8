/* The stored complaints (COMPLAINTS keys: store/keys.h): ids, reads, the
 * award hold, and who sees a complaint whole or in its public view. */
#include <stdlib.h>
#include <string.h>

#include "complaints.h"

#define C_DESC (&tender_complaints_v1_Complaint_desc)

bool tnd_complaint_id_parse(const char *id, char *tender, size_t cap, uint32_t *n)
{
    const char *c = id ? strrchr(id, '-') : NULL;
    if (!c || c == id || c[1] != 'C' || c[2] < '1' || c[2] > '9' || (size_t)(c - id) >= cap)
        return false;
    uint64_t v = 0;
    for (const char *p = c + 2; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
            return false;
    }
    memcpy(tender, id, (size_t)(c - id));
    tender[c - id] = '\0';
    *n = (uint32_t)v;
    return true;
}

int tnd_complaint_read(MDB_txn *txn, tnd_store *st, const char *id, tnd_arena *arena,
                       tnd_complaint *out)
{
    char tender[TND_KEY_TENDER_ID_MAX + 1];
    uint32_t n;
    uint8_t key[128];
    size_t kl;
    if (!tnd_complaint_id_parse(id, tender, sizeof tender, &n) ||
        !(kl = tnd_key_complaints(key, sizeof key, tender, n)))
        return TND_ENOTFOUND;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_get(txn, tnd_store_dbi(st, TND_TABLE_COMPLAINTS), &k, &v);
    if (rc == MDB_NOTFOUND)
        return TND_ENOTFOUND;
    if (rc != 0)
        return TND_EIO;
    return tnd_msg_decode_in(C_DESC, arena, v.mv_data, v.mv_size, out, NULL);
}

uint32_t tnd_complaint_last_seq(MDB_txn *txn, tnd_store *st, const char *tender_id)
{
    uint8_t key[128];
    size_t kl = tender_id ? tnd_key_complaints(key, sizeof key, tender_id, UINT32_MAX) : 0;
    MDB_cursor *cur;
    uint32_t n = 0;
    if (!kl || mdb_cursor_open(txn, tnd_store_dbi(st, TND_TABLE_COMPLAINTS), &cur) != 0)
        return 0;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc != 0 || !tnd_key_complaints_parse(k.mv_data, k.mv_size, tender_id, &n))
        n = 0;
    mdb_cursor_close(cur);
    return n;
}

int tnd_complaint_list_all(MDB_txn *txn, tnd_store *st, const char *tender_id, tnd_arena *arena,
                           tnd_complaint **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    uint8_t key[128];
    size_t kl = tender_id ? tnd_key_complaints(key, sizeof key, tender_id, 0) : 0;
    if (!kl)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, tnd_store_dbi(st, TND_TABLE_COMPLAINTS), &cur) != 0)
        return TND_EIO;
    /* At most TND_COMPLAINTS_MAX are filed: room for all at once. */
    tnd_complaint *list = tnd_arena_calloc(arena, TND_COMPLAINTS_MAX, sizeof *list);
    int ret = list ? 0 : TND_ENOMEM;
    uint32_t seq;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    for (int rc = ret ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && tnd_key_complaints_parse(k.mv_data, k.mv_size, tender_id, &seq) &&
         *n < TND_COMPLAINTS_MAX;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        ret = tnd_msg_decode_in(C_DESC, arena, v.mv_data, v.mv_size, &list[*n], NULL);
        if (ret)
            break;
        (*n)++;
    }
    mdb_cursor_close(cur);
    *out = list;
    return ret;
}

bool tnd_complaint_award_held(MDB_txn *txn, tnd_store *st, const char *tender_id,
                              const char *award_id)
{
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    tnd_complaint *list;
    size_t n;
    bool held = tnd_complaint_list_all(txn, st, tender_id, &arena, &list, &n) != 0;
    for (size_t i = 0; i < n && !held; i++)
        held = list[i].subject == TND_COMPLAINT_SUBJECT(AWARD) && list[i].award_id && award_id &&
               strcmp(list[i].award_id, award_id) == 0 &&
               tnd_complaint_holds_award((int)list[i].state);
    tnd_arena_free(&arena);
    return held;
}

bool tnd_complaint_full_view(const tnd_complaint *c, const tnd_tender *t,
                             const tnd_peer_identity *p)
{
    if (!p->authenticated)
        return false;
    if (p->role == TND_ROLE_REVIEWER || tnd_tender_owner(t, p))
        return true;
    return c->complainant && c->complainant->key.len == 32 &&
           memcmp(c->complainant->key.data, p->pubkey, 32) == 0;
}

bool tnd_complaint_is_public(const tnd_complaint *c)
{
    return c->acceptance && c->acceptance->decision &&
           c->acceptance->decision->outcome == TND_REVIEW_OUTCOME(ACCEPT);
}
