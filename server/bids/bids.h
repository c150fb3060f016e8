/* Sealed bids and the opening (tender.bids.v1.Bids): bid_service.c receives
 * bids (signature checks in the thread pool) and builds receipts,
 * bid_write.c stores them on the writer thread, opening.c takes the
 * committee's shares and opens the bids. docs/SEALED.md has the formats. */
#ifndef TND_SERVER_BIDS_H
#define TND_SERVER_BIDS_H

#include "tender/bid.h"
#include "tenders/tenders.h"

bool tnd__bid_id_ok(const char *id);

/** The tender's bid tag key (BID_TAG_KEYS), created at random on first use.
 * It stays secret until the tender's TENDER_CLOSED or TENDER_CANCELLED event
 * publishes it (include/tender/blind.h). Returns 0 or fails the request. */
int tnd_bid_tag_key(tnd_wtx *w, const char *tender_id, uint8_t key[32]);

/** The key as stored, for reads on the loop thread: 0 or TND_ENOTFOUND. */
int tnd_bid_tag_key_read(tnd_store *s, MDB_txn *txn, const char *tender_id, uint8_t key[32]);

/** Whether the tender's key is public: the tender was published and is no
 * longer active (closed at its deadline, cancelled, opened, awarded, ...). */
bool tnd_bid_tag_key_public(const tnd_tender *t);

int tnd__bid_submit_fn(tnd_wtx *w, tnd_op *op);
int tnd__bid_withdraw_fn(tnd_wtx *w, tnd_op *op);
int tnd__share_submit_fn(tnd_wtx *w, tnd_op *op);

/** Fill op->resp (a Receipt, in op->arena) for the event op->event_seq:
 * the latest checkpoint and the inclusion proof of the leaf. Loop thread,
 * after the commit (a tnd_op_then_fn): 0, or UNAVAILABLE with op->post_msg
 * when a part of the receipt could not be built (the write stays stored;
 * a retry with its idempotency-key gets the receipt). */
int tnd__bid_receipt(tnd_op *op);

int tnd_bids_register(tnd_server *srv);

#endif
