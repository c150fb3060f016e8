/* Awards (tender.awards.v1.Awards): the decision's rules and signature are
 * common/award_check.c (tender/award.h), award_store.c keys and reads the
 * stored awards, award_write.c records, cancels and completes awards on
 * the writer thread, award_service.c verifies the officer's signature and
 * answers reads. docs/AWARDS.md describes the life cycle. */
#ifndef TND_SERVER_AWARDS_H
#define TND_SERVER_AWARDS_H

#include "tender/award.h"
#include "tenders/tenders.h"

/* The value of a SCHEDULE entry that ends a standstill (deadlines use "c"):
 * keyed by the tender id for a tender without lots ('a'), by the award id
 * for a lot's award ('l': each lot's award has its own standstill). */
#define TND_SCHEDULE_STANDSTILL 'a'
#define TND_SCHEDULE_LOT_STANDSTILL 'l'

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

/** The latest award of lot lot_id of a tender (the newest award whose
 * decision names it), decoded into arena; *seq its number (may be NULL).
 * Returns 0, TND_ENOTFOUND or a decode error. */
int tnd_award_lot_latest(MDB_txn *txn, MDB_dbi dbi, const char *tender_id, const char *lot_id,
                         tnd_arena *arena, tender_awards_v1_Award *out, uint32_t *seq);

/** Awards/List: each lot's latest award in the lots' order, lots without a
 * decision left out; for a tender without lots its latest award (none or
 * one). Built in arena. Returns 0, TND_ENOMEM or a decode error. */
int tnd_award_list(MDB_txn *txn, MDB_dbi dbi, const tnd_tender *t, tnd_arena *arena,
                   tender_awards_v1_AwardList *out);

/** Writer thread, for a tender with lots whose lot states just changed (an
 * award, its end, a lot cancelled): when every lot is COMPLETE, CANCELLED or
 * UNSUCCESSFUL, the tender becomes COMPLETE (at least one lot complete,
 * event TENDER_COMPLETED) or UNSUCCESSFUL (TENDER_UNSUCCESSFUL), both
 * hashing the tender as stored; otherwise AWARDED while a lot's award is
 * in its standstill, else OPENED. Stores t. p is the actor (NULL: the
 * server). Returns 0 or a status from tnd_wtx_fail. */
int tnd_award_lots_settle(tnd_wtx *w, tnd_tender *t, const tnd_peer_identity *p);

int tnd__award_record_fn(tnd_wtx *w, tnd_op *op);
int tnd__award_cancel_fn(tnd_wtx *w, tnd_op *op);

/** Writer thread, from the scheduler: end the standstill of tender id if
 * it is due at now (award FINAL, tender COMPLETE, event logged). A tender
 * no longer in standstill, or whose award a complaint holds
 * (tnd_complaint_award_held), is left alone. Returns 0 or a status from
 * tnd_wtx_fail; *done is set when the tender completed. */
int tnd_award_complete_due(tnd_wtx *w, const char *id, int64_t now, bool *done);

/** Writer thread, from the scheduler: end the standstill of lot award
 * award_id if it is due at now (award FINAL, lot COMPLETE, event
 * LOT_COMPLETED, then the tender settled by tnd_award_lots_settle). An
 * award no longer in standstill is left alone. *done as above. */
int tnd_award_lot_complete_due(tnd_wtx *w, const char *award_id, int64_t now, bool *done);

/** Writer thread, when the last complaint holding award award_id stops
 * holding it: put its standstill's SCHEDULE entry back, due at the later
 * of now and its standstill_end (the scheduler, kicked after the commit,
 * then completes it). An award no longer in its standstill (cancelled) is
 * left alone. Returns 0 or a status from tnd_wtx_fail. */
int tnd_award_standstill_resume(tnd_wtx *w, const char *award_id, int64_t now);

/** For the scheduler's restore at start-up: the standstill entries the lot
 * awards of t (a tender with lots) need and the schedule lacks (a held
 * award needs none), put back
 * through w when given, else only counted. Returns the number, or -1 after
 * tnd_wtx_fail. */
int tnd_award_lot_schedule_missing(tnd_store *st, MDB_txn *txn, tnd_wtx *w, const tnd_tender *t);

int tnd_awards_register(tnd_server *srv);

#endif
