/* tender.log.v1.Log: checkpoints, proofs and leaves of the transparency log,
 * all public. Reads run on the loop thread in short read transactions; each
 * proof costs O(log n) LMDB reads. */
#include <stdlib.h>
#include <string.h>

#include "bids/bids.h"
#include "svc/svc.h"
#include "tender/blind.h"
#include "tlog.h"
#include "witnesses.h"

#define LEAVES_BATCH 256 /* leaves read per read transaction while streaming */
#define WATCH_POLL_MS 200

/* Fill a Checkpoint message from a note (taken over); 0, or a status. */
static int fill_checkpoint(char *note, tender_log_v1_Checkpoint *out, const char *vkey)
{
    tnd_note_verifier v;
    tnd_checkpoint cp;
    if (tnd_note_verifier_parse(vkey, &v) != 0 ||
        tnd_checkpoint_verify(note, strlen(note), &v, &cp) != 0) {
        free(note);
        return TND_STATUS_DATA_LOSS;
    }
    out->note = note;
    out->size = cp.size;
    out->root.data = malloc(32);
    if (!out->root.data)
        return TND_STATUS_RESOURCE_EXHAUSTED;
    memcpy(out->root.data, cp.root, 32);
    out->root.len = 32;
    return 0;
}

/* The latest checkpoint with the cosignatures held for it; 0, or a status. */
static int latest_checkpoint(tnd_store *s, MDB_txn *txn, tender_log_v1_Checkpoint *out,
                             const char *vkey)
{
    char *note = NULL;
    uint64_t size = 0;
    int rc = tnd_tlog_latest_cosigned(s, txn, &note, &size);
    if (rc == TND_ENOTFOUND)
        return TND_STATUS_NOT_FOUND;
    if (rc != 0)
        return TND_STATUS_DATA_LOSS;
    return fill_checkpoint(note, out, vkey);
}

/* The latest checkpoint that met the witness quorum; 0, or a status. */
static int witnessed_checkpoint(tnd_store *s, MDB_txn *txn, const tnd_witnesses *c,
                                tender_log_v1_Checkpoint *out, const char *vkey)
{
    char *note = NULL;
    uint64_t size = 0;
    int rc = tnd_tlog_witnessed_note(s, txn, c, &note, &size);
    if (rc == TND_ENOTFOUND)
        return TND_STATUS_NOT_FOUND;
    if (rc != 0)
        return TND_STATUS_DATA_LOSS;
    return fill_checkpoint(note, out, vkey);
}

static void get_checkpoint(tnd_call *call, void *request)
{
    (void)request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn))
        return;
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    int st = latest_checkpoint(srv->store, txn, &cp, tnd_tlog_vkey(srv));
    tnd_store_read_end(srv->store, txn);
    if (st == TND_STATUS_NOT_FOUND)
        tnd_call_finish(call, st, "the log is empty: nothing has been signed yet");
    else if (st)
        tnd_call_finish(call, st, "the latest checkpoint is unreadable or badly signed");
    else if (tnd_call_send(call, &cp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_log_v1_Checkpoint_free(&cp);
}

static void get_witnessed(tnd_call *call, void *request)
{
    (void)request;
    tnd_server *srv = tnd_call_server(call);
    tnd_witnesses *w = tnd_tlog_witnesses(srv);
    if (!w) {
        tnd_call_finish(call, TND_STATUS_FAILED_PRECONDITION,
                        "this log has no witnesses configured (tenderd --witness-policy)");
        return;
    }
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn))
        return;
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    int st = witnessed_checkpoint(srv->store, txn, w, &cp, tnd_tlog_vkey(srv));
    tnd_store_read_end(srv->store, txn);
    if (st == TND_STATUS_NOT_FOUND)
        tnd_call_finish(call, st,
                        "no checkpoint has been cosigned by the witnesses' quorum yet; "
                        "Log/GetWitnesses shows each witness's state");
    else if (st)
        tnd_call_finish(call, st, "the witnessed checkpoint is unreadable or badly signed");
    else if (tnd_call_send(call, &cp) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_log_v1_Checkpoint_free(&cp);
}

static void get_witnesses(tnd_call *call, void *request)
{
    (void)request;
    tender_log_v1_Witnesses ws;
    if (tnd_witnesses_status(tnd_tlog_witnesses(tnd_call_server(call)), &ws) != 0)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (tnd_call_send(call, &ws) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_log_v1_Witnesses_free(&ws);
}

static void get_verifier_key(tnd_call *call, void *request)
{
    (void)request;
    tender_log_v1_VerifierKey vk = {.verifier_key = (char *)tnd_tlog_vkey(tnd_call_server(call))};
    if (tnd_call_send(call, &vk) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

/* The size to prove against: 0 means the latest; otherwise it must be signed. */
static int resolve_size(tnd_store *s, MDB_txn *txn, uint64_t want, uint64_t *out)
{
    uint64_t latest = 0;
    int rc = tnd_tlog_latest(s, txn, NULL, &latest);
    if (rc != 0)
        return TND_STATUS_NOT_FOUND;
    *out = latest;
    if (want > latest)
        return TND_STATUS_OUT_OF_RANGE; /* *out stays the latest, for the message */
    *out = want ? want : latest;
    return 0;
}

static int put_hashes(uint8_t (*proof)[32], size_t n, tnd_bytes **out, size_t *n_out)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return -1;
    for (size_t i = 0; i < n; i++) {
        (*out)[i].data = malloc(32);
        if (!(*out)[i].data)
            return -1;
        memcpy((*out)[i].data, proof[i], 32);
        (*out)[i].len = 32;
        *n_out = i + 1;
    }
    return 0;
}

static void get_inclusion(tnd_call *call, void *request)
{
    const tender_log_v1_InclusionProofRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (req->leaf_hash.len != 0 && req->leaf_hash.len != 32) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "leaf_hash: 32 bytes (SHA-256)");
        return;
    }
    if (tnd_call_read_begin(call, &txn))
        return;
    tnd_tlog_cached_reader r = {{srv->store, txn}, srv->tlog};
    tender_log_v1_InclusionProof p;
    tender_log_v1_InclusionProof_init(&p);
    uint64_t size = 0, index = req->index;
    uint8_t leaf[32], proof[64][32];
    size_t n = 0;
    int st = resolve_size(srv->store, txn, req->tree_size, &size);
    if (!st && req->leaf_hash.len == 32 &&
        tnd__tlog_index_of(srv->store, txn, req->leaf_hash.data, &index) != 0)
        st = TND_STATUS_NOT_FOUND;
    if (!st && index >= size)
        st = TND_STATUS_OUT_OF_RANGE;
    if (!st && (tnd_tlog_node_get(&r.r, 0, index, leaf) != 0 ||
                tnd_merkle_prove_inclusion(tnd_tlog_node_get_cached, &r, index, size, proof, 64,
                                           &n) != 0))
        st = TND_STATUS_DATA_LOSS;
    tnd_store_read_end(srv->store, txn);
    if (st == TND_STATUS_NOT_FOUND)
        tnd_call_finish(call, st, "%s", req->leaf_hash.len ? "no leaf with this hash"
                                                           : "the log is empty");
    else if (st == TND_STATUS_OUT_OF_RANGE)
        tnd_call_finish(call, st, "leaf %llu or tree size %llu is beyond the signed log",
                        (unsigned long long)index, (unsigned long long)req->tree_size);
    else if (st)
        tnd_call_finish(call, st, "the log tree is unreadable");
    if (st)
        return;
    p.index = index;
    p.tree_size = size;
    p.leaf_hash.data = malloc(32);
    if (p.leaf_hash.data) {
        memcpy(p.leaf_hash.data, leaf, 32);
        p.leaf_hash.len = 32;
    }
    if (!p.leaf_hash.data || put_hashes(proof, n, &p.hashes, &p.n_hashes) != 0)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (tnd_call_send(call, &p) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_log_v1_InclusionProof_free(&p);
}

static void get_consistency(tnd_call *call, void *request)
{
    const tender_log_v1_ConsistencyProofRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn))
        return;
    tnd_tlog_cached_reader r = {{srv->store, txn}, srv->tlog};
    uint64_t second = 0;
    uint8_t proof[64][32];
    size_t n = 0;
    int st = resolve_size(srv->store, txn, req->second, &second);
    if (!st && req->first > second)
        st = TND_STATUS_OUT_OF_RANGE;
    if (!st && req->first == 0) {
        tnd_store_read_end(srv->store, txn);
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "first: a consistency proof starts from a non-empty tree (first >= 1)");
        return;
    }
    if (!st && tnd_merkle_prove_consistency(tnd_tlog_node_get_cached, &r, req->first, second,
                                            proof, 64, &n) != 0)
        st = TND_STATUS_DATA_LOSS;
    tnd_store_read_end(srv->store, txn);
    if (st) {
        tnd_call_finish(call, (tnd_status)st, "cannot prove %llu -> %llu: %s",
                        (unsigned long long)req->first, (unsigned long long)req->second,
                        st == TND_STATUS_OUT_OF_RANGE ? "sizes out of order or beyond the log"
                                                      : "the log is empty or unreadable");
        return;
    }
    tender_log_v1_ConsistencyProof p;
    tender_log_v1_ConsistencyProof_init(&p);
    p.first = req->first;
    p.second = second;
    if (put_hashes(proof, n, &p.hashes, &p.n_hashes) != 0)
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
    else if (tnd_call_send(call, &p) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
    tender_log_v1_ConsistencyProof_free(&p);
}

/* ---- GetLeaves: streamed in batches, paced by flow control ---- */

typedef struct leaves {
    uint64_t next, end;
    char *tender_id;
    bool linked;     /* the tender's bid tag key is public: its bid events are found too */
    uint8_t key[32]; /* that key */
} leaves;

/* A tender's events: those that name it, and once its bid tag key is
 * public the bid events whose blinded tag it gives (include/tender/blind.h).
 * Before that its bid events look like every other tender's. */
static bool about_tender(const MDB_val *v, const leaves *l)
{
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    bool yes = tnd_msg_decode(&tender_events_v1_Event_desc, v->mv_data, v->mv_size, &ev, NULL) ==
                   0 &&
               ((ev.tender_id && strcmp(ev.tender_id, l->tender_id) == 0) ||
                (l->linked && tnd_blind_links(&ev, l->tender_id, l->key)));
    tender_events_v1_Event_free(&ev);
    return yes;
}

static void leaves_done(tnd_call *call, leaves *l, tnd_status st, const char *msg)
{
    tnd_call_set_user(call, NULL);
    free(l->tender_id);
    free(l);
    tnd_call_finish(call, st, "%s", msg ? msg : "");
}

static void leaves_pump(tnd_call *call)
{
    leaves *l = tnd_call_user(call);
    tnd_server *srv = tnd_call_server(call);
    if (!l || !srv)
        return;
    while (l->next < l->end) {
        MDB_txn *txn;
        if (tnd_store_read_begin(srv->store, &txn) != 0) {
            leaves_done(call, l, TND_STATUS_UNAVAILABLE, "the store cannot be read");
            return;
        }
        MDB_cursor *cur;
        int blocked = 0, sent = 0, gap = 0;
        if (mdb_cursor_open(txn, tnd_store_dbi(srv->store, TND_TABLE_EVENTS), &cur) == 0) {
            uint8_t k8[TND_KEY_EVENTS_LEN];
            uint64_t idx;
            MDB_val k = {.mv_size = tnd_key_events(k8, l->next), .mv_data = k8}, v;
            for (int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
                 rc == 0 && l->next < l->end && sent < LEAVES_BATCH;
                 rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), sent++) {
                if (!tnd_key_events_parse(k.mv_data, k.mv_size, &idx) || idx != l->next) {
                    gap = 1; /* the start-up check prevents it: the store was altered */
                    break;
                }
                if (l->tender_id && !about_tender(&v, l)) {
                    l->next++;
                    continue;
                }
                tender_log_v1_Leaf leaf = {.index = idx, .data = {v.mv_data, v.mv_size}};
                int s = tnd_call_send(call, &leaf);
                if (s == TND_EAGAIN) {
                    blocked = 1;
                    break;
                }
                l->next++;
                if (s != 0)
                    break;
                if (tnd_call_user(call) != l)
                    break;
            }
            mdb_cursor_close(cur);
        }
        tnd_store_read_end(srv->store, txn);
        if (blocked || !tnd_call_active(call))
            return; /* on_writable resumes */
        if (gap || sent == 0) {
            /* Every signed leaf must be there: never end a stream early as if
             * the log were shorter. */
            char msg[120];
            snprintf(msg, sizeof msg, "event %llu is missing from the store",
                     (unsigned long long)l->next);
            leaves_done(call, l, TND_STATUS_DATA_LOSS, msg);
            return;
        }
    }
    leaves_done(call, l, TND_STATUS_OK, NULL);
}

static void leaves_cancel(tnd_call *call)
{
    leaves *l = tnd_call_user(call);
    if (l) {
        tnd_call_set_user(call, NULL);
        free(l->tender_id);
        free(l);
    }
}

static void get_leaves(tnd_call *call, void *request)
{
    const tender_log_v1_LeavesRequest *req = request;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn))
        return;
    uint64_t end = 0;
    int st = resolve_size(srv->store, txn, req->end, &end);
    bool linked = false;
    uint8_t key[32];
    if (req->tender_id && *req->tender_id) {
        tnd_tender t;
        tender_tenders_v1_Tender_init(&t);
        uint8_t tk[TND_KEY_TENDER_ID_MAX];
        size_t tkl = tnd_key_tenders(tk, req->tender_id);
        linked = tkl &&
                 tnd_store_get_msg(srv->store, txn, TND_TABLE_TENDERS, tk, tkl,
                                   &tender_tenders_v1_Tender_desc, &t) == 0 &&
                 tnd_bid_tag_key_public(&t) &&
                 tnd_bid_tag_key_read(srv->store, txn, req->tender_id, key) == 0;
        tender_tenders_v1_Tender_free(&t);
    }
    tnd_store_read_end(srv->store, txn);
    if (st == TND_STATUS_NOT_FOUND) {
        tnd_call_finish(call, TND_STATUS_OK, NULL); /* an empty log has no leaves */
        return;
    }
    if (st || req->start > end) {
        tnd_call_finish(call, TND_STATUS_OUT_OF_RANGE,
                        "leaves [%llu, %llu) are beyond the signed log (size %llu)",
                        (unsigned long long)req->start, (unsigned long long)req->end,
                        (unsigned long long)end);
        return;
    }
    leaves *l = calloc(1, sizeof *l);
    if (!l) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    l->next = req->start;
    l->end = end;
    l->tender_id = req->tender_id && *req->tender_id ? strdup(req->tender_id) : NULL;
    l->linked = linked;
    if (linked)
        memcpy(l->key, key, 32);
    tnd_call_set_user(call, l);
    leaves_pump(call);
}

/* ---- WatchCheckpoints: a poll of the latest size while anyone watches ---- */

typedef struct watch {
    uv_timer_t timer;
    tnd_call *call;
    uint64_t sent_size;
    bool sent_any;
} watch;

static void watch_closed(uv_handle_t *h)
{
    watch *w = h->data;
    tnd_call_unref(w->call);
    free(w);
}

static void watch_tick(uv_timer_t *t)
{
    watch *w = t->data;
    tnd_server *srv = tnd_call_server(w->call);
    MDB_txn *txn;
    if (!srv || !tnd_call_active(w->call) || tnd_store_read_begin(srv->store, &txn) != 0)
        return;
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    int st = latest_checkpoint(srv->store, txn, &cp, tnd_tlog_vkey(srv));
    tnd_store_read_end(srv->store, txn);
    /* A slow watcher skips to the newest checkpoint: each one covers the last. */
    if (st == 0 && (!w->sent_any || cp.size != w->sent_size) && tnd_call_send(w->call, &cp) == 0) {
        w->sent_any = true;
        w->sent_size = cp.size;
    }
    tender_log_v1_Checkpoint_free(&cp);
}

static void watch_start(tnd_call *call, void *request)
{
    (void)request;
    watch *w = calloc(1, sizeof *w);
    if (!w) {
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
        return;
    }
    w->call = call;
    tnd_call_ref(call);
    uv_timer_init(tnd_call_server(call)->loop, &w->timer);
    w->timer.data = w;
    tnd_call_set_user(call, w);
    watch_tick(&w->timer);
    uv_timer_start(&w->timer, watch_tick, WATCH_POLL_MS, WATCH_POLL_MS);
}

static void watch_cancel(tnd_call *call)
{
    watch *w = tnd_call_user(call);
    if (!w)
        return;
    tnd_call_set_user(call, NULL);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, watch_closed);
}

static const tnd_handler log_handlers[] = {
    {.method = tender_log_v1_Log_GetCheckpoint_method, .on_message = get_checkpoint},
    {.method = tender_log_v1_Log_GetVerifierKey_method, .on_message = get_verifier_key},
    {.method = tender_log_v1_Log_GetInclusionProof_method, .on_message = get_inclusion},
    {.method = tender_log_v1_Log_GetConsistencyProof_method, .on_message = get_consistency},
    {.method = tender_log_v1_Log_GetLeaves_method,
     .on_message = get_leaves,
     .on_cancel = leaves_cancel,
     .on_writable = leaves_pump},
    {.method = tender_log_v1_Log_WatchCheckpoints_method,
     .on_message = watch_start,
     .on_cancel = watch_cancel},
    {.method = tender_log_v1_Log_GetWitnessedCheckpoint_method, .on_message = get_witnessed},
    {.method = tender_log_v1_Log_GetWitnesses_method, .on_message = get_witnesses},
};

int tnd_tlog_service_register(tnd_server *srv)
{
    for (size_t i = 0; i < sizeof log_handlers / sizeof *log_handlers; i++) {
        int rc = tnd_server_register(srv, &log_handlers[i]);
        if (rc)
            return rc;
    }
    return 0;
}
