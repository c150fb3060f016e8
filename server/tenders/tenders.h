/* The tender service (tender.tenders.v1.Tenders): internals shared by its
 * files. tender_rules.c validates, tender_write.c changes state on the
 * writer thread, tender_read.c answers reads, tender_docs.c moves document
 * content, scheduler.c closes tenders at their deadlines. */
#ifndef TND_SERVER_TENDERS_H
#define TND_SERVER_TENDERS_H

#include "svc/svc.h"

#define TND_MAX_DOCUMENT (16u * 1024u * 1024u) /* bytes of one tender document */
#define TND_LIST_DEFAULT 50u
#define TND_LIST_MAX 500u
#define TND_QUESTIONS_PAGE_MAX 1000u /* questions in one page of Tenders/Questions */

typedef tender_tenders_v1_Tender tnd_tender;

/** Check the fields an officer sets, apart from time rules. Returns 0 or
 * INVALID_ARGUMENT with a message naming the field in msg. */
int tnd__tender_check_fields(const tender_tenders_v1_TenderFields *f, char *msg, size_t len);

/** Rules for publishing at now_ms: a complete committee
 * (tnd_committee_check), deadlines ahead and ordered, the minimum
 * tendering period. An enquiry deadline equal to kept_enquiry_ms
 * (an amendment keeping it) may lie in the past. Returns 0 or
 * INVALID_ARGUMENT with msg. */
int tnd__tender_check_times(const tender_tenders_v1_TenderFields *f, int64_t now_ms,
                           uint64_t min_period_ms, int64_t kept_enquiry_ms, char *msg, size_t len);

/** Tender.lot_states for fields f (the server's state of each lot): one per
 * lot in the lots' order, the state prev had for the lot with that id, or
 * LOT_ACTIVE for a lot prev does not have (publication, an amendment that
 * adds lots). Built in arena a. Returns 0 or TND_ENOMEM. */
int tnd__tender_lot_states(tnd_arena *a, const tnd_tender *prev,
                           const tender_tenders_v1_TenderFields *f,
                           tender_tenders_v1_LotState **out, size_t *n);

/** Was the tender ever published (version 1 or later)? A draft, and a draft
 * cancelled before publication, was not: it stays private to its buyer. */
bool tnd_tender_published(const tnd_tender *t);

/** May this caller see this tender? (published: everyone; else its buyer) */
bool tnd_tender_visible(const tnd_tender *t, const tnd_peer_identity *p);

/** Read tender id in a read transaction as the caller may see it: 0,
 * TND_ENOTFOUND (absent, or a draft of another organisation) or a store
 * error. out must be initialised. */
int tnd_tender_read_visible(tnd_store *s, MDB_txn *txn, const char *id,
                            const tnd_peer_identity *p, tnd_tender *out);

/** Is this caller an officer of the tender's buyer? */
bool tnd_tender_owner(const tnd_tender *t, const tnd_peer_identity *p);

const char *tnd_tender_status_name(int status);

/** One page of Tenders/List for caller p (the request's filters, page size
 * and cursor), in its own read transaction: tenders the caller may see,
 * at most room bytes of them (at least one), into resp (initialised; the
 * caller frees it), and the cursor to resume from in next ("" at the end).
 * Returns 0 or a status with msg. The RPC and the HTTP API both list
 * through it. */
int tnd_tender_list_page(tnd_store *s, const tender_tenders_v1_ListTendersRequest *req,
                         const tnd_peer_identity *p, size_t room,
                         tender_tenders_v1_ListTendersResponse *resp, char *next,
                         size_t next_len, char *msg, size_t msg_len);

/** May caller p see question q of a tender (owner: p is its buyer's
 * officer)? Answered questions are public; the asker's own are theirs.
 * When shown to anyone but the owner, the asker is removed from q. */
bool tnd_question_show(tender_tenders_v1_Question *q, bool owner, const tnd_peer_identity *p);

/* Write functions (writer thread), used by the handlers. */
int tnd_tender_create_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_edit_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_publish_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_amend_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_cancel_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_cancel_lot_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_ask_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_answer_fn(tnd_wtx *w, tnd_op *op);
int tnd__tender_add_document_fn(tnd_wtx *w, tnd_op *op);

/** Append an event about tender t (actor from p, or the server when NULL). */
int tnd_tender_event(tnd_wtx *w, int kind, const tnd_tender *t, const tnd_peer_identity *p,
                     const char *object_id, const tnd_msg_desc *obj_desc, const void *obj,
                     const char *note);

/* Handlers. */
extern const tnd_handler tnd_tender_read_handlers[];
extern const size_t tnd_tender_read_handler_count;
extern const tnd_handler tnd_tender_write_handlers[];
extern const size_t tnd_tender_write_handler_count;

/** Writer thread: the outage rule (server/outage.c). When the server's last
 * sign of life is older than cfg->outage_min_ms, postpone every active
 * tender's deadline in that outage or up to cfg->outage_window_ms after it
 * (a new version, a TENDER_POSTPONED event); then record now as the last
 * sign of life. *postponed counts the tenders. 0 or a status. */
int tnd__outage_check(tnd_wtx *w, const tnd_config *cfg, int *postponed);

/** Register tender.tenders.v1.Tenders (tender_docs.c). */
int tnd_tenders_register(tnd_server *srv);

/* The deadline scheduler. */
int tnd_scheduler_start(tnd_server *srv);
/** Re-arm the timer after a write that may have added an earlier deadline. */
void tnd_scheduler_kick(tnd_server *srv, int64_t due_ms);
/** The server's clock jumped (a manual clock) while it ran: a heartbeat
 * write (with the outage rule on), then what is due by its time now, are
 * submitted to the store at once, not when the timers would fire. A jump
 * longer than outage-min is an outage to the heartbeat: move the clock in
 * shorter steps (testsrv_advance does). */
void tnd_scheduler_clock_moved(tnd_server *srv);
void tnd_scheduler_stop(tnd_server *srv);

#endif
