/* Awards (tender.awards.v1.Awards): award_rules.c checks a decision against
 * the opening record, award_write.c records, cancels and completes awards on
 * the writer thread, award_service.c verifies the officer's signature and
 * answers reads. docs/AWARDS.md describes the life cycle. */
#ifndef TND_SERVER_AWARDS_H
#define TND_SERVER_AWARDS_H

#include "tenders.h"

/* The value of a SCHEDULE entry that ends a standstill (deadlines use "c"). */
#define TND_SCHEDULE_STANDSTILL 'a'

/** Check decision d against the tender's opening record: every opened bid
 * evaluated once, prices as opened, the winner an opened valid bid and,
 * for a lowest-price award, the lowest valid price; an unsuccessful
 * decision has no valid bid. Returns 0 or a gRPC status
 * (INVALID_ARGUMENT, FAILED_PRECONDITION) with a message naming the bid
 * and the rule in msg. */
int tnd_award_check(const tender_awards_v1_Decision *d, const tender_bids_v1_OpeningRecord *rec,
                    const tnd_tender *t, char *msg, size_t len);

/** Verify sig (64 bytes) over the encoding of d with an Ed25519 key.
 * Returns 0 or TND_ECRYPTO. */
int tnd_award_verify(const tender_awards_v1_Decision *d, const tnd_bytes *sig,
                     const uint8_t key[32]);

/** AWARDS key of a tender's award number seq (from 1). */
size_t tnd_award_key(uint8_t *key, size_t cap, const char *tender_id, uint32_t seq);

/** Read the latest award of a tender in txn into out (initialised) and its
 * number into *seq. Returns 0, TND_ENOTFOUND or a decode error. */
int tnd_award_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tender_awards_v1_Award *out,
                     uint32_t *seq);

int tnd_award_record_fn(tnd_wtx *w, tnd_op *op);
int tnd_award_cancel_fn(tnd_wtx *w, tnd_op *op);

/** Writer thread, from the scheduler: end the standstill of tender id if
 * it is due at now (award FINAL, tender COMPLETE, event logged). A tender
 * no longer in standstill is left alone. Returns 0 or a status from
 * tnd_wtx_fail; *done is set when the tender completed. */
int tnd_award_complete_due(tnd_wtx *w, const char *id, int64_t now, bool *done);

int tnd_awards_register(tnd_server *srv);

#endif
