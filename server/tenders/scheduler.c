/* The deadline scheduler: closes active tenders at their submission
 * deadline, and completes awarded tenders when their standstill ends
 * (entries valued TND_SCHEDULE_STANDSTILL, or TND_SCHEDULE_LOT_STANDSTILL
 * keyed by a lot's award id, see award_write.c). The schedule
 * lives in the SCHEDULE table (due time, tender id), so it survives
 * restarts: at start-up overdue entries fire at once. One libuv timer is
 * armed for the earliest entry. At start-up the schedule is first checked
 * against the tenders: an entry lost from the store (deleted by hand, a
 * damaged copy) would leave a tender open, or in standstill, forever.
 * Every scheduler write first applies the outage rule (outage.c), and a
 * heartbeat write keeps the server's last sign of life fresh. */
#include <stdlib.h>
#include <string.h>

#include "awards/awards.h"
#include "complaints/complaints.h"
#include "complaints/complaints.h"
#include "ops/logging.h"

#define MAX_PER_WRITE 1000
#define RETRY_MS 100

struct tnd_scheduler {
    uv_timer_t timer;
    uv_timer_t heartbeat;
    int handles;      /* open timer handles */
    bool stopped;     /* tnd_scheduler_stop: freed once the handles closed and no write is queued */
    bool beating;     /* a heartbeat write is queued */
    int postponed;    /* deadlines the last close or start-up write postponed (outage rule) */
    int beat_postponed; /* and the last heartbeat write: a separate field, as both may run */
    tnd_server *srv;
    int64_t armed_ms; /* due time the timer is set for; 0 when idle */
    bool busy;        /* a close write is queued */
    int closed;       /* tenders closed by the last write, for the log */
    int completed;    /* tenders completed by the last write */
    int restored;     /* entries the start-up check put back */
    char restored_id[80]; /* the first of them, for the log */
};

static void arm(tnd_scheduler *s, int64_t due_ms);

/* A stopped scheduler (a writer that became a follower, or the server
 * stopping) still has its queued writes' done callbacks to come: it is
 * freed by whichever comes last of them and its timers' close callbacks.
 * True when stopped: the caller must not touch s again. */
static bool release_if_stopped(tnd_scheduler *s)
{
    if (!s->stopped)
        return false;
    if (s->handles == 0 && !s->busy && !s->beating)
        free(s);
    return true;
}

/* The outage rule is on unless outage-extension is 0: then the scheduler
 * keeps no sign of life (no heartbeat writes) and postpones nothing. */
static bool rule_on(const tnd_scheduler *s)
{
    return s->srv->cfg.outage_extension_ms > 0;
}

/* Read the earliest due time, or 0 when nothing is scheduled. */
static int64_t earliest(tnd_server *srv)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int64_t due = 0;
    if (tnd_store_read_begin(srv->store, &txn) != 0)
        return 0;
    if (mdb_cursor_open(txn, tnd_store_dbi(srv->store, TND_TABLE_SCHEDULE), &cur) == 0) {
        MDB_val k, v;
        const uint8_t *id;
        size_t il;
        if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) != 0 ||
            !tnd_key_schedule_parse(k.mv_data, k.mv_size, &due, &id, &il))
            due = 0;
        mdb_cursor_close(cur);
    }
    tnd_store_read_end(srv->store, txn);
    return due;
}

/* Is t's deadline suspended by a complaint (complaint_suspend.c)? Then it
 * does not close: its entry is used up, and the end of the suspension
 * schedules the moved deadline. A complaint that cannot be read counts as
 * suspending: a tender is never closed past a complaint. */
static bool suspended(tnd_wtx *w, const tnd_tender *t)
{
    const tnd_complaint *c;
    return tnd_complaint_suspension(tnd_wtx_txn(w), tnd_wtx_store(w), t, tnd_wtx_arena(w), &c) !=
               0 ||
           c != NULL;
}

/* Writer thread: close every tender whose deadline has passed. */
static int close_due(tnd_wtx *w, void *arg)
{
    tnd_scheduler *s = arg;
    int64_t now = tnd_wtx_now_ms(w);
    MDB_cursor *cur;
    s->closed = 0;
    s->completed = 0;
    /* A deadline in an outage moves before anything closes at it. */
    s->postponed = 0;
    int pst = rule_on(s) ? tnd__outage_check(w, &s->srv->cfg, &s->postponed) : 0;
    if (pst)
        return pst;
    if (mdb_cursor_open(tnd_wtx_txn(w), tnd_store_dbi(tnd_wtx_store(w), TND_TABLE_SCHEDULE),
                        &cur) != 0)
        return tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read the schedule");
    MDB_val k, v;
    int n = 0, st = 0;
    int64_t due;
    const uint8_t *kid;
    size_t kl;
    while (n < MAX_PER_WRITE && mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0 &&
           tnd_key_schedule_parse(k.mv_data, k.mv_size, &due, &kid, &kl) && kl > 0) {
        if (due > now)
            break;
        char id[80];
        size_t il = kl < sizeof id - 1 ? kl : sizeof id - 1;
        memcpy(id, kid, il);
        id[il] = '\0';
        char kind = v.mv_size == 1 ? *(const char *)v.mv_data : 0;
        bool standstill = kind == TND_SCHEDULE_STANDSTILL || kind == TND_SCHEDULE_LOT_STANDSTILL;
        /* Through the store (its change set records it), with a copy of the
         * key: k points into the page the delete changes. The cursor is
         * placed again (MDB_FIRST) before it is read. */
        uint8_t key[TND_STORE_KEY_MAX];
        size_t klen = k.mv_size <= sizeof key ? k.mv_size : 0;
        if (klen)
            memcpy(key, k.mv_data, klen);
        if (!klen || tnd_wtx_del(w, TND_TABLE_SCHEDULE, key, klen) != 0) {
            st = tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot update the schedule");
            break;
        }
        n++;
        if (standstill) {
            bool done = false;
            /* A lot's award: the entry names the award, not the tender. */
            st = kind == TND_SCHEDULE_LOT_STANDSTILL ? tnd_award_lot_complete_due(w, id, now, &done)
                                                     : tnd_award_complete_due(w, id, now, &done);
            s->completed += done;
            if (st)
                break;
            continue;
        }
        /* The tender in the write's arena, given back before the next one. */
        tnd_arena *a = tnd_wtx_arena(w);
        tnd_arena_mark mark = tnd_arena_save(a);
        tnd_tender t;
        uint8_t tkey[TND_KEY_TENDER_ID_MAX];
        size_t tkl = tnd_key_tenders(tkey, id);
        if (tkl &&
            tnd_wtx_get_msg_in(w, TND_TABLE_TENDERS, tkey, tkl, &tender_tenders_v1_Tender_desc,
                               &t) == 0 &&
            t.status == tender_tenders_v1_TenderStatus_ACTIVE && t.fields &&
            tnd_ts_ms(t.fields->submission_deadline) <= now && !suspended(w, &t)) {
            t.status = tender_tenders_v1_TenderStatus_CLOSED;
            t.updated = tnd_ts_in(a, now);
            if (!t.updated) /* never store it without its time */
                st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            else if (tnd_wtx_put_msg(w, TND_TABLE_TENDERS, tkey, tkl,
                                     &tender_tenders_v1_Tender_desc, &t) != 0)
                st = tnd_wtx_fail(w, TND_STATUS_RESOURCE_EXHAUSTED, "cannot store %s", id);
            if (!st)
                st = tnd_tender_event(w, tender_events_v1_EventKind_TENDER_CLOSED, &t, NULL,
                                      NULL, NULL, NULL, NULL);
            if (!st)
                s->closed++;
        }
        tnd_arena_rewind(a, mark);
        if (st || tnd_arena_failed(a))
            break;
    }
    mdb_cursor_close(cur);
    return st;
}

static void log_postponed(int count)
{
    if (count <= 0)
        return;
    char n[16];
    snprintf(n, sizeof n, "%d", count);
    tnd_log(TND_LOG_WARN, "deadlines postponed after an outage of the server", "count", n, NULL);
}

static void close_done(void *arg, int status, const char *message)
{
    tnd_scheduler *s = arg;
    s->busy = false;
    if (release_if_stopped(s))
        return;
    if (status != 0) {
        tnd_log(TND_LOG_ERROR, "closing tenders at their deadline failed; retrying", "error",
                message, NULL);
        arm(s, tnd_clock_ms(s->srv->clock) + 1000);
        return;
    }
    log_postponed(s->postponed);
    if (s->closed > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", s->closed);
        tnd_log(TND_LOG_INFO, "tenders closed at their deadline", "count", n, NULL);
    }
    if (s->completed > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", s->completed);
        tnd_log(TND_LOG_INFO, "tenders complete at the end of their standstill", "count", n,
                NULL);
    }
    s->armed_ms = 0;
    int64_t next = earliest(s->srv);
    if (next)
        arm(s, next);
}

static void on_timer(uv_timer_t *t)
{
    tnd_scheduler *s = t->data;
    if (s->busy)
        return;
    s->armed_ms = 0;
    s->busy = true;
    if (tnd_store_submit(s->srv->store, close_due, close_done, s) != 0) {
        s->busy = false;
        arm(s, tnd_clock_ms(s->srv->clock) + RETRY_MS);
    }
}

static void arm(tnd_scheduler *s, int64_t due_ms)
{
    int64_t now = tnd_clock_ms(s->srv->clock);
    s->armed_ms = due_ms;
    uv_timer_start(&s->timer, on_timer, due_ms > now ? (uint64_t)(due_ms - now) : 0, 0);
}

/* Read side of suspended(), for the start-up check. */
static bool deadline_suspended(tnd_store *st, MDB_txn *txn, const tnd_tender *t)
{
    tnd_arena a;
    tnd_arena_init(&a, 0);
    const tnd_complaint *c = NULL;
    bool yes = tnd_complaint_suspension(txn, st, t, &a, &c) != 0 || c != NULL;
    tnd_arena_free(&a);
    return yes;
}

/* The entry tender t needs now, if any: its deadline while active, the end
 * of its award's standstill while awarded. Returns the due time or 0. */
static int64_t due_of(tnd_store *st, MDB_txn *txn, const tnd_tender *t, char *kind)
{
    if (t->status == tender_tenders_v1_TenderStatus_ACTIVE && t->fields) {
        *kind = 'c';
        /* A suspended deadline has no entry once it passed (close_due). */
        int64_t due = tnd_ts_ms(t->fields->submission_deadline);
        return due > 0 && !deadline_suspended(st, txn, t) ? due : 0;
    }
    /* A tender with lots: its lot awards' entries, see scan_missing. */
    if (t->status != tender_tenders_v1_TenderStatus_AWARDED || (t->fields && t->fields->n_lots))
        return 0;
    tender_awards_v1_Award a;
    tender_awards_v1_Award_init(&a);
    uint32_t seq = 0;
    int64_t due = 0;
    if (tnd_award_latest(txn, tnd_store_dbi(st, TND_TABLE_AWARDS), t->id, NULL, &a, &seq) == 0 &&
        a.state == tender_awards_v1_AwardState_STANDSTILL &&
        !tnd_complaint_award_held(txn, st, t->id, a.id)) /* held: no entry until it lifts */
        due = tnd_ts_ms(a.standstill_end);
    tender_awards_v1_Award_free(&a);
    *kind = TND_SCHEDULE_STANDSTILL;
    return due;
}

/* Every entry an active or awarded tender needs and the schedule lacks:
 * put back through w when given (writer thread), else only counted (a
 * read transaction at start-up, to write only when needed). Returns the
 * number found, or -1 after tnd_wtx_fail. */
static int scan_missing(tnd_store *st, MDB_txn *txn, tnd_wtx *w, char *first, size_t first_len)
{
    MDB_dbi sched = tnd_store_dbi(st, TND_TABLE_SCHEDULE);
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, tnd_store_dbi(st, TND_TABLE_TENDERS), &cur) != 0) {
        if (w)
            tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot read the tenders");
        return -1;
    }
    MDB_val k, v;
    int n = 0;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && n >= 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        tnd_tender t;
        tender_tenders_v1_Tender_init(&t);
        char kind = 0;
        int64_t due = 0;
        if (tnd_msg_decode(&tender_tenders_v1_Tender_desc, v.mv_data, v.mv_size, &t, NULL) == 0 &&
            t.id)
            due = due_of(st, txn, &t, &kind);
        uint8_t key[128];
        size_t kl = due > 0 ? tnd_key_schedule(key, sizeof key, due, t.id) : 0;
        MDB_val sk = {.mv_size = kl, .mv_data = key}, sv;
        if (kl && mdb_get(txn, sched, &sk, &sv) == MDB_NOTFOUND) {
            if (w && tnd_wtx_put_raw(w, TND_TABLE_SCHEDULE, key, kl, &kind, 1) != 0) {
                tnd_wtx_fail(w, TND_STATUS_UNAVAILABLE, "cannot restore the schedule");
                n = -1;
            } else if (n++ == 0) {
                snprintf(first, first_len, "%s", t.id);
            }
        }
        int lots = n >= 0 && t.id ? tnd_award_lot_schedule_missing(st, txn, w, &t) : 0;
        if (lots > 0 && n == 0)
            snprintf(first, first_len, "%s", t.id);
        n = lots < 0 ? -1 : n + lots;
        tender_tenders_v1_Tender_free(&t);
    }
    mdb_cursor_close(cur);
    return n;
}

/* Writer thread, at start-up when needed: restore the schedule, then the
 * outage rule. */
static int restore_missing(tnd_wtx *w, void *arg)
{
    tnd_scheduler *s = arg;
    s->restored_id[0] = '\0';
    s->restored = scan_missing(tnd_wtx_store(w), tnd_wtx_txn(w), w, s->restored_id,
                               sizeof s->restored_id);
    if (s->restored < 0)
        return TND_STATUS_UNAVAILABLE;
    return rule_on(s) ? tnd__outage_check(w, &s->srv->cfg, &s->postponed) : 0;
}

static void restore_done(void *arg, int status, const char *message)
{
    tnd_scheduler *s = arg;
    s->busy = false;
    if (release_if_stopped(s))
        return;
    if (status != 0)
        tnd_log(TND_LOG_ERROR, "cannot check the schedule against the tenders", "error", message,
                NULL);
    else if (s->restored > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", s->restored);
        tnd_log(TND_LOG_WARN,
                "deadlines missing from the schedule were restored from the tenders; the store "
                "was altered or damaged",
                "count", n, "first", s->restored_id, NULL);
    }
    log_postponed(s->postponed);
    int64_t next = earliest(s->srv);
    if (next)
        arm(s, next);
}

/* The heartbeat: a write every third of outage-min keeps the last sign of
 * life fresh, and is the first write to succeed after the store could not
 * write, so the outage rule applies then too. */
static int heartbeat_fn(tnd_wtx *w, void *arg)
{
    tnd_scheduler *s = arg;
    return tnd__outage_check(w, &s->srv->cfg, &s->beat_postponed);
}

static void heartbeat_done(void *arg, int status, const char *message)
{
    tnd_scheduler *s = arg;
    (void)message;
    s->beating = false;
    if (release_if_stopped(s) || status != 0)
        return; /* stopped, or the store cannot write: the next beat tries again */
    log_postponed(s->beat_postponed);
    if (s->beat_postponed > 0 && !s->busy) { /* else close_done re-reads the schedule */
        s->armed_ms = 0;
        int64_t next = earliest(s->srv);
        if (next)
            arm(s, next);
    }
}

static void on_heartbeat(uv_timer_t *t)
{
    tnd_scheduler *s = t->data;
    if (s->beating)
        return;
    s->beating = true;
    if (tnd_store_submit(s->srv->store, heartbeat_fn, heartbeat_done, s) != 0)
        s->beating = false;
}

int tnd_scheduler_start(tnd_server *srv)
{
    tnd_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return TND_ENOMEM;
    s->srv = srv;
    uv_timer_init(srv->loop, &s->timer);
    s->timer.data = s;
    uv_timer_init(srv->loop, &s->heartbeat);
    s->heartbeat.data = s;
    s->handles = 2;
    srv->scheduler = s;
    uint64_t beat = srv->cfg.outage_min_ms / 3;
    beat = beat < 100 ? 100 : beat > 10000 ? 10000 : beat;
    if (rule_on(s))
        uv_timer_start(&s->heartbeat, on_heartbeat, beat, beat);
    /* A write at start-up only when the schedule lacks entries or the
     * outage rule must look at the server's last sign of life. */
    MDB_txn *txn;
    char first[80];
    int missing = 1;
    if (tnd_store_read_begin(srv->store, &txn) == 0) {
        missing = scan_missing(srv->store, txn, NULL, first, sizeof first);
        tnd_store_read_end(srv->store, txn);
    }
    if (missing == 0 && !rule_on(s)) {
        int64_t next = earliest(srv);
        if (next)
            arm(s, next);
        return 0;
    }
    /* busy until the check is done: kicks wait, restore_done arms. */
    s->busy = true;
    if (tnd_store_submit(srv->store, restore_missing, restore_done, s) != 0) {
        s->busy = false;
        tnd_log(TND_LOG_ERROR, "cannot check the schedule against the tenders", NULL);
        int64_t next = earliest(srv);
        if (next)
            arm(s, next);
    }
    return 0;
}

void tnd_scheduler_kick(tnd_server *srv, int64_t due_ms)
{
    tnd_scheduler *s = srv->scheduler;
    if (!s || s->busy)
        return; /* close_done re-reads the schedule */
    if (s->armed_ms == 0 || due_ms < s->armed_ms)
        arm(s, due_ms);
}

void tnd_scheduler_clock_moved(tnd_server *srv)
{
    tnd_scheduler *s = srv->scheduler;
    if (!s)
        return;
    if (rule_on(s))
        on_heartbeat(&s->heartbeat); /* first: the server was up all along */
    if (s->busy || s->armed_ms == 0 || s->armed_ms > tnd_clock_ms(srv->clock))
        return; /* close_done re-reads the schedule at the clock's time */
    uv_timer_stop(&s->timer);
    on_timer(&s->timer);
}

static void on_closed(uv_handle_t *h)
{
    tnd_scheduler *s = h->data;
    s->handles--;
    release_if_stopped(s);
}

void tnd_scheduler_stop(tnd_server *srv)
{
    tnd_scheduler *s = srv->scheduler;
    if (!s)
        return;
    srv->scheduler = NULL;
    s->stopped = true;
    uv_timer_stop(&s->timer);
    uv_timer_stop(&s->heartbeat);
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->heartbeat, on_closed);
}
