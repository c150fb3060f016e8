/* A sealed bid's way to the server and the proof that the server logged it
 * (docs/SEALED.md, docs/LOG.md).
 *
 * A supplier's client seals a bid (tnd_bid_seal, tender/bid.h) under a bid id
 * it makes itself (tnd_bid_id_new), sends it with tnd_bid_submit, and gets a
 * Receipt: the BID_RECEIVED event as logged, its leaf index, an inclusion
 * proof and the signed checkpoint it is included in. tnd_receipt_verify
 * checks that receipt against the log's key and against what was sent: the
 * checkpoint's signature and origin, the leaf's inclusion, and that the leaf
 * is this bid's event (of this tender, by its blinded tag) with the hash of
 * the envelope as the server stores it (tnd_bid_stored_hash). A withdrawal's
 * receipt (BID_WITHDRAWN) is checked the same way. To see that the server did
 * not rewrite the log later, prove the receipt's checkpoint consistent with a
 * newer one (tnd_log_prove_consistent, tender/logstate.h).
 *
 * Results as in tender/logstate.h: 0; a positive status code when a call
 * failed (st holds the server's status); TND_ECRYPTO when the receipt does
 * not verify (st->message says what did not hold); TND_ENOMEM; TND_EINVAL.
 * Nothing is printed.
 */
#ifndef TENDER_RECEIPT_H
#define TENDER_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/bid.h"
#include "tender/client.h"
#include "tender/logstate.h"
#include "tender_schema.h"

/* Bytes of ciphertext in each chunk tnd_bid_submit sends after the envelope. */
#define TND_BID_CHUNK TENDER_BIDS_V1_SUBMITBIDREQUEST_CHUNK_MAX_LEN

/** Is id a bid id: "B-" followed by 32 lowercase hex digits? */
bool tnd_bid_id_valid(const char *id);

/** A new random bid id into out (TND_BID_ID_LEN + 1 bytes).
 * @return 0; TND_ECRYPTO when the random generator fails (out then holds the
 *         all-zero id; sealing needs the generator too, and fails). */
int tnd_bid_id_new(char out[TND_BID_ID_LEN + 1]);

/** SHA-256 of the envelope b as the server stores it, which a receipt's
 * envelope hash must equal: b as sent, with the time of receipt r gives, the
 * state SUBMITTED and the bid it replaces (NULL: none) that the server adds.
 * b is not changed.
 * @return 0; TND_EINVAL; TND_ENOMEM or another encoder error. */
TND_MUST_CHECK int tnd_bid_stored_hash(const tender_bids_v1_SealedBid *b,
                                       const tender_bids_v1_Receipt *r, const char *replaces,
                                       uint8_t out[32]);

/** Bids/Submit: the envelope b (its ciphertext sent apart), the owner nonce
 * and the bid replaced (NULL: none) first, then the ciphertext in chunks of
 * TND_BID_CHUNK; the Receipt into r (initialised here; free it with
 * tender_bids_v1_Receipt_free). opts: the call's options (an idempotency key,
 * a deadline), or NULL.
 * *unknown says, on failure, whether the bid may still have arrived: the call
 * ended without the server's word on it (the connection was lost after
 * sending, a deadline), or with DEADLINE_EXCEEDED, which the server also
 * answers while a write it has queued may yet commit. Keep the nonce then,
 * and ask with Bids/Status.
 * @return 0 or a positive status code with st filled. */
TND_MUST_CHECK int tnd_bid_submit(tnd_client *c, const tnd_call_opts *opts,
                                  const tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                                  const char *replaces, tender_bids_v1_Receipt *r, bool *unknown,
                                  tnd_status_info *st);

/** Verify a receipt of bid in tender: its checkpoint is signed by ls's key
 * with ls's origin (ls's trusted checkpoint is not used); its leaf is
 * included at leaf_index; the leaf is an event of kind
 * (tender_events_v1_EventKind_BID_RECEIVED or _BID_WITHDRAWN) that names no
 * tender but proves tender's blinded tag with the receipt's tag secret, whose
 * object is bid and whose object hash is the receipt's envelope hash and,
 * when envelope_hash is not NULL, that hash too (tnd_bid_stored_hash of what
 * was sent); the receipt names no other tender or bid. The verified
 * checkpoint into *cp.
 * @return 0; TND_ECRYPTO with the reason in st->message; TND_ENOMEM;
 *         TND_EINVAL. */
TND_MUST_CHECK int tnd_receipt_verify(const tnd_log_state *ls, const tender_bids_v1_Receipt *r,
                                      int kind, const char *tender, const char *bid,
                                      const uint8_t *envelope_hash, tnd_checkpoint *cp,
                                      tnd_status_info *st);

/** Prove that the leaf leaf_index of a verified receipt, included in the
 * receipt's checkpoint rcp, is in the tree of a later trusted checkpoint
 * cur (the latest, or with witnesses the latest witnessed one, which may be
 * smaller than rcp): when cur is at least as large, rcp must be a prefix of
 * cur; when smaller, the leaf must lie within cur's size and cur must be a
 * prefix of rcp, so that cur holds the same leaf (tnd_log_prove_consistent
 * either way).
 * @return 0; TND_EAGAIN when the leaf is beyond cur's size (not yet
 *         witnessed: st->message says so and when to ask again,
 *         st->code UNAVAILABLE); as tnd_log_prove_consistent otherwise. */
TND_MUST_CHECK int tnd_receipt_prove_in(tnd_client *c, const tnd_checkpoint *rcp,
                                        uint64_t leaf_index, const tnd_checkpoint *cur,
                                        tnd_status_info *st);

#endif
