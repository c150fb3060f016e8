/* The latest award of a tender (AWARDS keys: store/keys.h). */
#include <string.h>

#include "awards.h"
#include "complaints/complaints.h"

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
        ret = arena ? tnd_msg_decode_in(&tender_awards_v1_Award_desc, arena, v.mv_data, v.mv_size,
                                        out, NULL)
                    : tnd_msg_decode(&tender_awards_v1_Award_desc, v.mv_data, v.mv_size, out, NULL);
    }
    mdb_cursor_close(cur);
    return ret;
}

/* The lot an award decides ("" for a tender without lots). */
static const char *lot_of(const tender_awards_v1_Award *a)
{
    return a->decision && a->decision->lot_id ? a->decision->lot_id : "";
}

/* Walk the awards of a tender from the newest, decoding each into arena;
 * keep(a, arg) says whether to keep it (else its memory is given back) and
 * whether to go on (*stop). Returns 0 or a decode/IO error. */
static int walk_newest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tnd_arena *arena,
                       bool (*keep)(tender_awards_v1_Award *a, uint32_t seq, void *arg, bool *stop),
                       void *arg)
{
    uint8_t key[128];
    size_t kl = tnd_key_awards(key, sizeof key, tender_id, UINT32_MAX);
    if (!kl)
        return 0;
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, dbi, &cur) != 0)
        return TND_EIO;
    MDB_val k = {.mv_size = kl, .mv_data = key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    int ret = 0;
    bool stop = false;
    uint32_t n;
    for (; rc == 0 && !stop && tnd_key_awards_parse(k.mv_data, k.mv_size, tender_id, &n);
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        tnd_arena_mark m = tnd_arena_save(arena);
        tender_awards_v1_Award a;
        ret =
            tnd_msg_decode_in(&tender_awards_v1_Award_desc, arena, v.mv_data, v.mv_size, &a, NULL);
        if (ret)
            break;
        if (!keep(&a, n, arg, &stop))
            tnd_arena_rewind(arena, m);
    }
    mdb_cursor_close(cur);
    return ret;
}

typedef struct lot_find {
    const char *lot;
    tender_awards_v1_Award *out;
    uint32_t seq;
    bool found;
} lot_find;

static bool keep_lot(tender_awards_v1_Award *a, uint32_t seq, void *arg, bool *stop)
{
    lot_find *f = arg;
    if (strcmp(lot_of(a), f->lot) != 0)
        return false;
    *f->out = *a;
    f->seq = seq;
    f->found = *stop = true;
    return true;
}

int tnd_award_lot_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, const char *lot_id,
                         tnd_arena *arena, tender_awards_v1_Award *out, uint32_t *seq)
{
    lot_find f = {.lot = lot_id ? lot_id : "", .out = out};
    int rc = walk_newest(txn, dbi, tender_id, arena, keep_lot, &f);
    if (rc)
        return rc;
    if (!f.found)
        return TND_ENOTFOUND;
    if (seq)
        *seq = f.seq;
    return 0;
}

typedef struct list_fill {
    const tnd_tender *t;
    tender_awards_v1_Award *slot; /* one per lot (one without lots) */
    bool *filled;
    size_t left;
} list_fill;

static bool keep_list(tender_awards_v1_Award *a, uint32_t seq, void *arg, bool *stop)
{
    (void)seq;
    list_fill *f = arg;
    const tender_tenders_v1_TenderFields *fl = f->t->fields;
    size_t i = 0;
    if (fl && fl->n_lots) {
        while (i < fl->n_lots && strcmp(fl->lots[i].id ? fl->lots[i].id : "", lot_of(a)) != 0)
            i++;
        if (i == fl->n_lots)
            return false; /* not a lot of the fields: cannot happen */
    }
    if (f->filled[i])
        return false;
    f->slot[i] = *a;
    f->filled[i] = true;
    *stop = --f->left == 0;
    return true;
}

int tnd_award_list(MDB_txn *txn, MDB_dbi dbi, const tnd_tender *t, tnd_arena *arena,
                   tender_awards_v1_AwardList *out)
{
    size_t n = t->fields && t->fields->n_lots ? t->fields->n_lots : 1;
    list_fill f = {.t = t,
                   .slot = tnd_arena_calloc(arena, n, sizeof *f.slot),
                   .filled = tnd_arena_calloc(arena, n, sizeof *f.filled),
                   .left = n};
    tender_awards_v1_AwardList_init(out);
    if (!f.slot || !f.filled)
        return TND_ENOMEM;
    int rc = walk_newest(txn, dbi, t->id, arena, keep_list, &f);
    if (rc)
        return rc;
    /* In lot order, the lots without a decision left out. */
    out->awards = f.slot;
    for (size_t i = 0; i < n; i++)
        if (f.filled[i])
            out->awards[out->n_awards++] = f.slot[i];
    return tnd_arena_failed(arena) ? TND_ENOMEM : 0;
}

typedef struct missing {
    tnd_store *st;
    MDB_txn *txn;
    tnd_wtx *w;
    int n;
} missing;

static bool keep_missing(tender_awards_v1_Award *a, uint32_t seq, void *arg, bool *stop)
{
    (void)seq;
    missing *m = arg;
    if (m->n < 0 || a->state != tender_awards_v1_AwardState_STANDSTILL || !a->id || !*lot_of(a) ||
        !a->standstill_end)
        return false;
    uint8_t key[128];
    char v = TND_SCHEDULE_LOT_STANDSTILL;
    size_t kl = tnd_key_schedule(key, sizeof key, tnd_ts_ms(a->standstill_end), a->id);
    MDB_val sk = {.mv_size = kl, .mv_data = key}, sv;
    if (!kl || mdb_get(m->txn, tnd_store_dbi(m->st, TND_TABLE_SCHEDULE), &sk, &sv) != MDB_NOTFOUND)
        return false;
    /* A held award's entry was consumed; the hold's end puts it back. */
    if (tnd_complaint_award_held(m->txn, m->st, a->tender_id, a->id))
        return false;
    if (m->w && tnd_wtx_put_raw(m->w, TND_TABLE_SCHEDULE, key, kl, &v, 1) != 0) {
        tnd_wtx_fail(m->w, TND_STATUS_UNAVAILABLE, "cannot restore the schedule");
        m->n = -1;
        *stop = true;
        return false;
    }
    m->n++;
    return false;
}

int tnd_award_lot_schedule_missing(tnd_store *st, MDB_txn *txn, tnd_wtx *w, const tnd_tender *t)
{
    if (t->status != tender_tenders_v1_TenderStatus_AWARDED || !t->fields || !t->fields->n_lots)
        return 0;
    missing m = {.st = st, .txn = txn, .w = w};
    tnd_arena arena;
    tnd_arena_init(&arena, 0);
    int rc = walk_newest(txn, tnd_store_dbi(st, TND_TABLE_AWARDS), t->id, &arena, keep_missing, &m);
    tnd_arena_free(&arena);
    if (rc && m.n >= 0 && w) {
        tnd_wtx_fail(w, TND_STATUS_DATA_LOSS, "the awards of %s are unreadable", t->id);
        return -1;
    }
    return m.n;
}
