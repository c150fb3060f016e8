/* The Bids service's calls from suppliers: Submit (client streaming: the
 * envelope, then the ciphertext in chunks), Withdraw and Status, and the
 * receipts. A supplier proves that a bid is its own with the nonce behind
 * the bid's owner tag; nobody else can ask about it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bid_verify.h"
#include "bids.h"
#include "tender/blind.h"
#include "tlog/tlog.h"

#define RECEIPT (&tender_bids_v1_Receipt_desc)

/* ---- receipts ---- */

/* The tender a Submit or Withdraw is about: the leaf does not name it. */
static const char *op_tender(const tnd_op *op)
{
    if (op->req_desc == &tender_bids_v1_SubmitBidRequest_desc) {
        const tender_bids_v1_SubmitBidRequest *q = op->req;
        return q->bid ? q->bid->tender_id : NULL;
    }
    return ((const tender_bids_v1_BidRef *)op->req)->tender_id;
}

/* The secret of the leaf's tag, for its supplier only: the tag proves to
 * them that the leaf is about their tender, and to nobody else. */
static int tag_secret(tnd_store *s, MDB_txn *txn, const char *tender_id,
                      const tender_events_v1_Event *ev, tnd_arena *a, tnd_bytes *out)
{
    uint8_t key[32], secret[32], tag[32];
    if (!tender_id || tnd_bid_tag_key_read(s, txn, tender_id, key) != 0 ||
        tnd_blind_secret(key, (int)ev->kind, ev->object_id, secret) != 0 ||
        tnd_blind_tag(tender_id, secret, tag) != 0 || ev->tender_tag.len != 32 ||
        memcmp(tag, ev->tender_tag.data, 32) != 0)
        return TND_ENOTFOUND;
    out->data = tnd_arena_memdup(a, secret, 32);
    out->len = 32;
    return 0;
}

/* The receipt's parts from the store, in op->arena: 0, or why not. */
static const char *build_receipt(tnd_op *op, tnd_store *s, MDB_txn *txn)
{
    tender_bids_v1_Receipt *r = op->resp;
    tnd_arena *a = &op->arena;
    char *note = NULL;
    uint64_t size = 0;
    uint8_t k8[TND_KEY_EVENTS_LEN], proof[64][32];
    size_t n = 0;
    MDB_val k = {.mv_size = tnd_key_events(k8, op->event_seq), .mv_data = k8}, v;
    tnd_tlog_reader rd = {s, txn};
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    const char *why = NULL;
    if (tnd_tlog_latest(s, txn, &note, &size) != 0 || op->event_seq >= size)
        why = "no checkpoint covers its leaf yet";
    else if (mdb_get(txn, tnd_store_dbi(s, TND_TABLE_EVENTS), &k, &v) != 0 ||
             tnd_msg_decode_in(&tender_events_v1_Event_desc, a, v.mv_data, v.mv_size, &ev,
                               NULL) != 0)
        why = "its leaf cannot be read";
    else if (tag_secret(s, txn, op_tender(op), &ev, a, &r->tag_secret) != 0)
        why = "its tag does not match";
    else if (tnd_merkle_prove_inclusion(tnd_tlog_node_get, &rd, op->event_seq, size, proof, 64,
                                        &n) != 0)
        why = "its inclusion proof cannot be built";
    if (!why) {
        /* The event lives in the same arena as the receipt: shared, not copied. */
        r->bid_id = ev.object_id;
        r->tender_id = tnd_arena_strdup(a, op_tender(op));
        r->received = ev.time;
        r->envelope_hash = ev.object_hash;
        r->leaf_index = op->event_seq;
        r->leaf.data = tnd_arena_memdup(a, v.mv_data, v.mv_size);
        r->leaf.len = v.mv_size;
        r->checkpoint = tnd_arena_strdup(a, note);
        r->proof = tnd_arena_calloc(a, n ? n : 1, sizeof *r->proof);
        for (size_t i = 0; r->proof && i < n; i++)
            r->proof[i] = (tnd_bytes){tnd_arena_memdup(a, proof[i], 32), 32};
        r->n_proof = n;
    }
    free(note);
    if (!why && tnd_arena_failed(a))
        why = "the server is out of memory for it";
    return why;
}

/* Writer thread, before the commit: the receipt from the batch
 * transaction, which holds the leaf and the batch's signed checkpoint, so
 * that the loop thread does not read them back after the commit. A retried
 * request (replayed) and a receipt that cannot be built here are left to
 * tnd__bid_receipt after the commit. */
static void receipt_on_writer(tnd_wtx *w, tnd_op *op)
{
    if (!op->replayed && !build_receipt(op, tnd_wtx_store(w), tnd_wtx_txn(w)))
        op->after_done = true;
}

int tnd__bid_receipt(tnd_op *op)
{
    tender_bids_v1_Receipt *r = op->resp;
    if (op->after_done)
        return 0; /* built on the writer, from the commit this reply waited for */
    /* A retried request answered from its idempotency record: the stored
     * reply names the leaf; prove it again against the latest checkpoint.
     * (Event 0 is never a bid's: 0 is a record without its leaf.) */
    if (op->replayed) {
        if (r->leaf_index == 0)
            return 0;
        op->event_seq = r->leaf_index;
        tender_bids_v1_Receipt_init(r); /* its fields stay in the arena until the op ends */
    }
    tnd_store *s = op->srv->store;
    MDB_txn *txn;
    const char *why = "the store cannot be read";
    if (tnd_store_read_begin(s, &txn) == 0) {
        why = build_receipt(op, s, txn);
        tnd_store_read_end(s, txn);
    }
    if (!why)
        return 0;
    /* Stored, and never answered OK with a receipt that lacks a part. */
    snprintf(op->post_msg, sizeof op->post_msg,
             "the write was stored, but its receipt could not be built (%s); send the same "
             "request with the same idempotency-key to get the receipt",
             why);
    return TND_STATUS_UNAVAILABLE;
}

/* ---- Submit ---- */

/* In the call's arena, with the first message; the ciphertext grows in
 * data (malloc) with each chunk. */
typedef struct upload {
    tender_bids_v1_SubmitBidRequest *head; /* the first message, without ciphertext */
    uint8_t *data;
    size_t len, cap;
    tnd_call *call;
    size_t reserved; /* of the upload memory (tnd_call_upload_reserve) */
    char why[256];   /* why a reservation failed */
} upload;

static void upload_free(upload *u)
{
    if (!u)
        return;
    free(u->data);
    u->data = NULL;
    tnd_call_upload_release(u->call, u->reserved);
    u->reserved = 0;
}

static int append(upload *u, const tnd_bytes *b, uint32_t limit)
{
    if (b->len > limit || u->len > limit - b->len)
        return TND_ELIMIT;
    int rc = tnd_call_upload_reserve(u->call, b->len, u->why, sizeof u->why);
    if (rc != 0)
        return rc;
    u->reserved += b->len;
    if (u->len + b->len > u->cap) {
        /* Most bids arrive whole in the first message: start at exactly
         * what came (a surge holds thousands of these at once), then
         * double when chunks follow. */
        size_t cap = u->cap ? u->cap : (b->len > 256 ? b->len : 256);
        while (cap < u->len + b->len)
            cap *= 2;
        uint8_t *nd = realloc(u->data, cap);
        if (!nd)
            return TND_ENOMEM;
        u->data = nd;
        u->cap = cap;
    }
    if (b->len)
        memcpy(u->data + u->len, b->data, b->len);
    u->len += b->len;
    return 0;
}

static void submit_message(tnd_call *call, void *request)
{
    tender_bids_v1_SubmitBidRequest *req = request;
    upload *u = tnd_call_user(call);
    uint32_t limit = tnd_call_server(call)->cfg.max_bid_bytes;
    int rc;
    if (!u) {
        if (!req->bid) {
            tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                            "bid: the first message carries the sealed envelope");
            return;
        }
        /* Keep the first message for the call, all but its ciphertext,
         * which goes into the upload buffer with the chunks after it. */
        tnd_arena *a = tnd_call_arena(call);
        tender_bids_v1_SealedBid bid = *req->bid;
        bid.ciphertext = (tnd_bytes){0};
        tender_bids_v1_SubmitBidRequest first = *req;
        first.bid = &bid;
        first.chunk = (tnd_bytes){0};
        u = tnd_arena_alloc(a, sizeof *u);
        if (u)
            u->head = tnd_msg_new_in(&tender_bids_v1_SubmitBidRequest_desc, a);
        if (!u || !u->head ||
            tnd_msg_copy_in(&tender_bids_v1_SubmitBidRequest_desc, a, &first, u->head) != 0) {
            tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "server out of memory");
            return;
        }
        u->call = call;
        tnd_call_set_user(call, u);
        rc = append(u, &req->bid->ciphertext, limit);
    } else {
        rc = 0;
    }
    if (rc == 0)
        rc = append(u, &req->chunk, limit);
    if (rc == 0)
        return;
    tnd_call_set_user(call, NULL);
    if (rc == TND_ELIMIT && !u->why[0])
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED,
                        "bid larger than the limit of %u bytes (max_bid_bytes)", limit);
    else
        tnd_call_finish(call, TND_STATUS_RESOURCE_EXHAUSTED, "%s", u->why);
    upload_free(u);
}

/* After the commit of a Submit: count the bid (a retried Submit answered
 * from its idempotency record is no new bid), then the receipt. */
static int bid_stored(tnd_op *op)
{
    if (!op->replayed)
        tnd_metrics_bid_received(op->srv->metrics);
    return tnd__bid_receipt(op);
}

static const char *envelope_problem(const tender_bids_v1_SealedBid *b)
{
    if (!b->tender_id || !*b->tender_id)
        return "bid.tender_id: required";
    if (!tnd__bid_id_ok(b->bid_id))
        return "bid.bid_id: \"B-\" followed by 32 lowercase hex digits";
    if (b->opening_key_fingerprint.len != 32)
        return "bid.opening_key_fingerprint: 32 bytes";
    if (b->owner_tag.len != 32)
        return "bid.owner_tag: 32 bytes";
    if (b->enc.len != 32)
        return "bid.enc: 32 bytes (the HPKE encapsulated key)";
    if (b->signature.len != 64)
        return "bid.signature: 64 bytes (Ed25519)";
    if (b->ciphertext.len < 16)
        return "bid.ciphertext: missing";
    return NULL;
}

static void submit_half_close(tnd_call *call)
{
    upload *u = tnd_call_user(call);
    tnd_call_set_user(call, NULL);
    if (!u) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "no bid was sent");
        return;
    }
    tender_bids_v1_SealedBid *b = u->head->bid;
    b->ciphertext = (tnd_bytes){u->data, u->len}; /* the buffer goes to the op below */
    const tnd_peer_identity *p = tnd_call_peer(call);
    uint8_t tag[32];
    const char *bad = envelope_problem(b);
    if (bad) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT, "%s", bad);
    } else if (u->head->owner_nonce.len != 32 ||
               tnd_bid_owner_tag(u->head->owner_nonce.data, p->pubkey, tag) != 0 ||
               memcmp(tag, b->owner_tag.data, 32) != 0) {
        tnd_call_finish(call, TND_STATUS_PERMISSION_DENIED,
                        "the bid's owner tag does not belong to your certificate (owner_nonce "
                        "and the signing key must be yours)");
    } else {
        /* The op frees the ciphertext's buffer (extra) when it ends. */
        uint8_t *data = u->data;
        u->data = NULL;
        tnd_op *op = tnd_op_new(call, u->head, RECEIPT, tnd__bid_submit_fn, data, u->len,
                                bid_stored);
        if (op) {
            op->after = receipt_on_writer;
            tnd_bid_verify_submit(op->srv, op);
        }
    }
    upload_free(u);
}

static void submit_cancel(tnd_call *call)
{
    upload_free(tnd_call_user(call));
    tnd_call_set_user(call, NULL);
}

/* ---- Withdraw and Status ---- */

static bool ref_ok(tnd_call *call, const tender_bids_v1_BidRef *r)
{
    if (!r->tender_id || !*r->tender_id || !tnd__bid_id_ok(r->bid_id) || r->owner_nonce.len != 32) {
        tnd_call_finish(call, TND_STATUS_INVALID_ARGUMENT,
                        "tender_id, bid_id and owner_nonce (32 bytes) are required");
        return false;
    }
    return true;
}

static void on_withdraw(tnd_call *call, void *request)
{
    if (ref_ok(call, request)) {
        tnd_op *op = tnd_op_new(call, request, RECEIPT, tnd__bid_withdraw_fn, NULL, 0,
                                tnd__bid_receipt);
        if (op) {
            op->after = receipt_on_writer;
            tnd_op_submit(op);
        }
    }
}

static void on_status(tnd_call *call, void *request)
{
    const tender_bids_v1_BidRef *r = request;
    if (!ref_ok(call, r))
        return;
    tnd_server *srv = tnd_call_server(call);
    MDB_txn *txn;
    if (tnd_call_read_begin(call, &txn) != 0)
        return;
    uint8_t key[160], tag[32];
    size_t kl = tnd_key_bids(key, sizeof key, r->tender_id, r->bid_id);
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    int rc = kl ? tnd_store_get_msg(srv->store, txn, TND_TABLE_BIDS, key, kl,
                                    &tender_bids_v1_SealedBid_desc, &b)
                : TND_EINVAL;
    tnd_store_read_end(srv->store, txn);
    /* Someone else's bid and no bid at all look the same. */
    if (rc != 0 || tnd_bid_owner_tag(r->owner_nonce.data, tnd_call_peer(call)->pubkey, tag) ||
        b.owner_tag.len != 32 || memcmp(tag, b.owner_tag.data, 32) != 0) {
        tnd_call_finish(call, TND_STATUS_NOT_FOUND, "you have no bid %s in tender %s",
                        r->bid_id, r->tender_id);
    } else {
        tender_bids_v1_BidStatus st = {.bid_id = b.bid_id, .state = b.state,
                                       .received = b.received};
        /* The hash as logged at receipt (state SUBMITTED), so it matches the receipt. */
        int state = b.state;
        b.state = tender_bids_v1_BidState_SUBMITTED;
        tnd_bytes h = {0};
        if (tnd_msg_hash(&tender_bids_v1_SealedBid_desc, &b, &h) == 0)
            st.envelope_hash = h;
        b.state = (tender_bids_v1_BidState)state;
        st.state = b.state;
        if (tnd_call_send(call, &st) == 0)
            tnd_call_finish(call, TND_STATUS_OK, NULL);
        free(h.data);
    }
    tender_bids_v1_SealedBid_free(&b);
}

extern const tnd_handler tnd_opening_handlers[];
extern const size_t tnd_opening_handler_count;
extern const tnd_handler tnd_bid_documents_handler;

static const tnd_handler bid_handlers[] = {
    {.method = tender_bids_v1_Bids_Submit_method,
     .on_message = submit_message,
     .on_half_close = submit_half_close,
     .on_cancel = submit_cancel},
    {.method = tender_bids_v1_Bids_Withdraw_method, .on_message = on_withdraw},
    {.method = tender_bids_v1_Bids_Status_method, .on_message = on_status},
};

int tnd_bids_register(tnd_server *srv)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof bid_handlers / sizeof *bid_handlers && !rc; i++)
        rc = tnd_server_register(srv, &bid_handlers[i]);
    for (size_t i = 0; i < tnd_opening_handler_count && !rc; i++)
        rc = tnd_server_register(srv, &tnd_opening_handlers[i]);
    if (!rc)
        rc = tnd_server_register(srv, &tnd_bid_documents_handler);
    return rc;
}
