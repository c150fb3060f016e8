/* Awards (tender.awards.v1.Awards): the decision's rules and signature are
 * common/award_check.c (tender/award.h), award_store.c keys and reads the
 * stored awards, award_write.c records, cancels and completes awards on
 * the writer thread, award_service.c verifies the officer's signature and
 * answers reads. docs/AWARDS.md describes the life cycle. */
#ifndef TND_SERVER_AWARDS_H
#define TND_SERVER_AWARDS_H

#include "tender/award.h"
#include "tenders/tenders.h"

/* The value of a SCHEDULE entry that ends a standstill (deadlines use "c"). */
#define TND_SCHEDULE_STANDSTILL 'a'

/** Split an award id "<tender id>-A<n>" (n from 1, no leading zero) into the
 * tender id (copied into tender) and n. Returns false when it is not one. */
bool tnd_award_id_parse(const char *id, char *tender, size_t cap, uint32_t *n);

/** Read the latest award of a tender in txn into out and its number into
 * *seq (seq may be NULL). With an arena, out is decoded into it (as
 * tnd_msg_decode_in: out need not be initialised and is not freed);
 * without, out must be initialised and is freed with
 * tender_awards_v1_Award_free. Returns 0, TND_ENOTFOUND or a decode error
 * (TND_ENOMEM when the arena failed). */
int tnd_award_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, tnd_arena *arena,
                     tender_awards_v1_Award *out, uint32_t *seq);

int tnd__award_record_fn(tnd_wtx *w, tnd_op *op);
int tnd__award_cancel_fn(tnd_wtx *w, tnd_op *op);

/** Writer thread, from the scheduler: end the standstill of tender id if
 * it is due at now (award FINAL, tender COMPLETE, event logged). A tender
 * no longer in standstill is left alone. Returns 0 or a status from
 * tnd_wtx_fail; *done is set when the tender completed. */
int tnd_award_complete_due(tnd_wtx *w, const char *id, int64_t now, bool *done);

int tnd_awards_register(tnd_server *srv);

#endif
