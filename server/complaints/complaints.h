/* Complaints (tender.complaints.v1.Complaints, docs/COMPLAINTS.md): a
 * supplier's complaint about a tender's conditions, an award or a
 * cancellation, and the review body's signed decisions on it. The rules of
 * the life cycle, the public view, the complainant's tag and the review
 * signature are libtender's (tender/complaint.h); here is what the server
 * adds: complaint_store.c keys and reads the stored complaints,
 * complaint_write.c files, reviews and withdraws them on the writer thread,
 * complaint_service.c checks requests, signatures and who may read what.
 *
 * Storage: COMPLAINTS (tender id 0x00 seq) holds the whole Complaint, the
 * complainant included; COMPLAINT_DOCUMENTS (document id) the content of
 * each filed document. Complaint ids are "<tender id>-C<n>" (n from 1),
 * document ids "<complaint id>-D<n>". */
#ifndef TND_SERVER_COMPLAINTS_H
#define TND_SERVER_COMPLAINTS_H

#include "tender/complaint.h"
#include "tenders/tenders.h"

typedef tender_complaints_v1_Complaint tnd_complaint;

#define TND_COMPLAINTS_MAX 100                /* complaints of one tender */
#define TND_COMPLAINT_TITLE_MAX 500           /* characters (bytes) of a title */
#define TND_COMPLAINT_TEXT_MAX 20000          /* of a text, and of a review's reasoning */
#define TND_COMPLAINT_DOCUMENT_MAX (1u << 20) /* bytes of one filed document */

/** Split a complaint id "<tender id>-C<n>" (n from 1, no leading zero) into
 * the tender id (copied into tender, cap bytes) and n. False when it is not
 * one. */
bool tnd_complaint_id_parse(const char *id, char *tender, size_t cap, uint32_t *n);

/** Read complaint id in txn, decoded into arena (out need not be
 * initialised and is not freed). Returns 0, TND_ENOTFOUND (also for an id
 * that is not a complaint id) or a decode error (TND_ENOMEM: the arena). */
int tnd_complaint_read(MDB_txn *txn, tnd_store *st, const char *id, tnd_arena *arena,
                       tnd_complaint *out);

/** Every complaint of tender_id in filing order, decoded into arena: *out
 * (arena memory) and *n. Returns 0, TND_ENOMEM or a decode/IO error. */
int tnd_complaint_list_all(MDB_txn *txn, tnd_store *st, const char *tender_id, tnd_arena *arena,
                           tnd_complaint **out, size_t *n);

/** The number of the tender's last complaint (0 for none). */
uint32_t tnd_complaint_last_seq(MDB_txn *txn, tnd_store *st, const char *tender_id);

/** Is award award_id of tender_id held by a complaint about it (subject
 * AWARD, in a state tnd_complaint_holds_award)? Such an award does not
 * complete at the end of its standstill. A complaint that cannot be read
 * counts as holding: an award is never completed past a complaint. Works
 * in a read transaction and in a write's (tnd_wtx_txn). */
bool tnd_complaint_award_held(MDB_txn *txn, tnd_store *st, const char *tender_id,
                              const char *award_id);

/** May caller p read c whole (the complainant included)? The reviewer
 * role, officers of the buyer of tender t, and the complainant itself (the
 * key of its certificate). */
bool tnd_complaint_full_view(const tnd_complaint *c, const tnd_tender *t,
                             const tnd_peer_identity *p);

/** Is c public (its public view served to everyone)? Once accepted for
 * review: its acceptance is an ACCEPT, whatever followed. */
bool tnd_complaint_is_public(const tnd_complaint *c);

/** Writer thread, in the write that stored a complaint's change, after it
 * is stored and logged: what the change means for the tender's clock.
 * before is the complaint as it was (NULL when just filed), after as
 * stored; t the tender as loaded by the write (stored again by whatever
 * changes it). Today: when a complaint about an award stops holding it
 * (REFUSED, REJECTED, WITHDRAWN) and no other complaint holds it, the
 * award's standstill entry is put back at max(now, standstill_end)
 * (tnd_award_standstill_resume). Returns 0 or a status from
 * tnd_wtx_fail. */
int tnd_complaint_changed(tnd_wtx *w, tnd_tender *t, const tnd_complaint *before,
                          const tnd_complaint *after);

/* Write functions (writer thread), used by the handlers. */
int tnd__complaint_file_fn(tnd_wtx *w, tnd_op *op);
int tnd__complaint_review_fn(tnd_wtx *w, tnd_op *op);
int tnd__complaint_withdraw_fn(tnd_wtx *w, tnd_op *op);

/** Register tender.complaints.v1.Complaints. */
int tnd_complaints_register(tnd_server *srv);

#endif
