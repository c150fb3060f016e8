/* The outage rule: a submission deadline is not lost to an outage of the
 * server. The scheduler's writes record the server's last sign of life
 * (meta "alive_ms"); a write that finds it older than outage-min knows the
 * server was down, or could not write, in between. Every active tender
 * whose deadline fell in that outage, or within outage-window after it, is
 * postponed to outage-extension after the later of its deadline and the
 * outage's end: a new version with the Postponement, logged as
 * TENDER_POSTPONED by the server (docs/OPERATIONS.md, "Deadlines and
 * outages"; audit verify checks the rule). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "tender/bid.h"
#include "tenders.h"

#define T_DESC (&tender_tenders_v1_Tender_desc)

static const char alive_key[] = TND_META_ALIVE_MS;

/* One tender's postponement, inside the caller's transaction; t and what
 * is changed in it live in the write's arena. */
static int postpone(tnd_wtx *w, tnd_tender *t, const tnd_config *cfg, int64_t from, int64_t to)
{
    tnd_arena *ar = tnd_wtx_arena(w);
    int64_t old = tnd_ts_ms(t->fields->submission_deadline);
    int64_t moved = (old > to ? old : to) + (int64_t)cfg->outage_extension_ms;
    int64_t shift = moved - old;
    tender_tenders_v1_Postponement *p = tnd_msg_new_in(&tender_tenders_v1_Postponement_desc, ar);
    if (!p)
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    p->outage_from = tnd_ts_in(ar, from);
    p->outage_to = tnd_ts_in(ar, to);
    p->previous_deadline = tnd_ts_in(ar, old);
    p->window_ms = cfg->outage_window_ms;
    p->extension_ms = cfg->outage_extension_ms;
    /* A postponement changes no terms: bids sealed before it still answer
     * the version they answered (tnd_bid_terms_of). */
    p->terms_version = tnd_bid_terms_of(t).version;
    t->postponement = p;
    t->resumption = NULL; /* of the version before */
    t->fields->submission_deadline = tnd_ts_in(ar, moved);
    if (t->fields->opening_time)
        t->fields->opening_time = tnd_ts_in(ar, tnd_ts_ms(t->fields->opening_time) + shift);
    t->amendment_note = NULL; /* the note of an earlier amendment, not of this version */
    t->version++;
    t->updated = tnd_ts_in(ar, tnd_wtx_now_ms(w));
    /* Never store a version that misses a time. */
    if (tnd_arena_failed(ar))
        return tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    uint8_t key[128];
    size_t kl = tnd_key_tenders(key, t->id);
    int rc = tnd_wtx_put_msg(w, TND_TABLE_TENDERS, key, kl, T_DESC, t);
    kl = tnd_key_tender_versions(key, sizeof key, t->id, t->version);
    if (rc == 0)
        rc = tnd_wtx_put_msg(w, TND_TABLE_TENDER_VERSIONS, key, kl, T_DESC, t);
    if (rc == 0 && (kl = tnd_key_schedule(key, sizeof key, old, t->id)) != 0)
        rc = tnd_wtx_del(w, TND_TABLE_SCHEDULE, key, kl);
    if (rc == 0 && (kl = tnd_key_schedule(key, sizeof key, moved, t->id)) != 0)
        rc = tnd_wtx_put_raw(w, TND_TABLE_SCHEDULE, key, kl, "c", 1);
    if (rc != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot postpone the deadline of %s: %s",
                            t->id, tnd_strerror(rc));
    char a[32], b[32], c[32], d[32], note[300];
    snprintf(note, sizeof note,
             "submission deadline %s postponed to %s: the server was down or could not write "
             "from %s to %s",
             tnd_ms_text(old, a, sizeof a), tnd_ms_text(moved, b, sizeof b),
             tnd_ms_text(from, c, sizeof c), tnd_ms_text(to, d, sizeof d));
    return tnd_tender_event(w, tender_events_v1_EventKind_TENDER_POSTPONED, t, NULL, NULL, NULL,
                            NULL, note);
}

typedef struct due_id {
    int64_t due;
    char id[80];
} due_id;

/* The deadlines ("c" entries) due in [from, until], collected first: the
 * postponements change the schedule. */
static int deadlines_between(tnd_wtx *w, int64_t from, int64_t until, due_id **out, size_t *n)
{
    MDB_cursor *cur;
    *out = NULL;
    *n = 0;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_SCHEDULE),
                        &cur) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read the schedule");
    uint8_t start[8];
    MDB_val k = {.mv_size = tnd_key_schedule(start, sizeof start, from, ""), .mv_data = start}, v;
    int st = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        int64_t due;
        const uint8_t *id;
        size_t il;
        if (!tnd_key_schedule_parse(k.mv_data, k.mv_size, &due, &id, &il) || il == 0 ||
            il >= sizeof(*out)->id)
            continue;
        if (due > until)
            break;
        if (v.mv_size != 1 || *(const char *)v.mv_data != 'c')
            continue; /* a standstill's end */
        due_id *nd = realloc(*out, (*n + 1) * sizeof *nd);
        if (!nd) {
            st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            break;
        }
        *out = nd;
        nd[*n].due = due;
        memcpy(nd[*n].id, id, il);
        nd[*n].id[il] = '\0';
        ++*n;
    }
    mdb_cursor_close(cur);
    return st;
}

int tnd__outage_check(tnd_wtx *w, const tnd_config *cfg, int *postponed)
{
    int64_t now = tnd_wtx_now_ms(w);
    MDB_val k = {.mv_size = sizeof alive_key - 1, .mv_data = (void *)alive_key}, v;
    int64_t alive = 0;
    *postponed = 0;
    if (mdb_get(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_META), &k, &v) == 0 &&
        v.mv_size == 8)
        alive = (int64_t)tnd_be64_get(v.mv_data);
    int st = 0;
    if (alive > 0 && now - alive > (int64_t)cfg->outage_min_ms && cfg->outage_extension_ms > 0) {
        due_id *list;
        size_t n;
        st = deadlines_between(w, alive, now + (int64_t)cfg->outage_window_ms, &list, &n);
        for (size_t i = 0; i < n && !st; i++) {
            tnd_tender t;
            uint8_t key[TND_KEY_TENDER_ID_MAX];
            size_t kl = tnd_key_tenders(key, list[i].id);
            if (kl && tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, key, kl, T_DESC, &t) == 0 &&
                t.status == tender_tenders_v1_TenderStatus_ACTIVE && t.fields &&
                tnd_ts_ms(t.fields->submission_deadline) == list[i].due) {
                st = postpone(w, &t, cfg, alive, now);
                *postponed += !st;
            }
        }
        free(list);
    }
    uint8_t buf[8];
    tnd_be64_put(buf, (uint64_t)now);
    if (!st && tnd_wtx_put_raw(w, TND_TABLE_META, alive_key, sizeof alive_key - 1, buf, 8) != 0)
        st = tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot record that the server is alive");
    return st;
}
