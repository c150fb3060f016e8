/* Internals of tnd_tender_record_verify (tender/verify.h), shared by
 * record_verify.c (the log, the versions, the deadline) and
 * record_verify_open.c (the opening, re-decryption, the award, signatures)
 * and record_verify_docs.c (documents, questions) and
 * record_verify_complaints.c (complaints and the clock); record_fetch.c uses
 * tnd__vlast to know what is public yet. */
#ifndef TND_CLIENT_RECORD_VERIFY_H
#define TND_CLIENT_RECORD_VERIFY_H

#include <stdarg.h>

#include "tender/verify.h"

/** One run of the checks. */
typedef struct tnd__vrun {
    const tnd_tender_record *r;
    const tnd_note_verifier *v;
    const tnd_checkpoint *saved;
    tnd_check_report_fn report;
    void *ctx;
    int failed;
} tnd__vrun;

/** Report one check's result; detail is printf-style. */
void tnd__vreport(tnd__vrun *run, const char *check, tnd_check_result res, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Milliseconds since the epoch of a timestamp; 0 when absent. */
int64_t tnd__vms(const tender_common_v1_Timestamp *t);

/** Does SHA-256 of msg's encoding equal h (32 bytes)? */
bool tnd__vhash_is(const tnd_msg_desc *d, const void *msg, const tnd_bytes *h);

/** Are the encodings of two messages of one type byte for byte equal? */
bool tnd__vsame(const tnd_msg_desc *d, const void *a, const void *b);

/** The fields of the latest published version, or NULL. */
const tender_tenders_v1_TenderFields *tnd__vfields(const tnd_tender_record *r);

/** The index in r->events of the last decoded event of kind (with object
 * id obj when not NULL), or -1. */
long tnd__vlast(const tnd_tender_record *r, int kind, const char *obj);

/** The tender's bid tag key as its TENDER_CLOSED or TENDER_CANCELLED event
 * published it (include/tender/blind.h), or NULL: not yet published, or two
 * events publish different keys (*conflict is then set to the second). */
const uint8_t *tnd__vbid_key(const tnd_tender_record *r, long *conflict);

/* Fetching (record_fetch_docs.c). */

/** A call's failure st: NOT_FOUND or DATA_LOSS (the server lacks what it
 * should serve) is written into note for verify to report, st is cleared
 * and 0 returned; any other status is returned as it is. */
int tnd__fetch_missing(tnd_status_info *st, char *note, size_t len);

/** Tenders/Questions into r->questions. 0 or a status code. */
int tnd__fetch_questions(tnd_client *c, tnd_tender_record *r, tnd_status_info *st);

/** Complaints/List into r->complaints; not served (NOT_FOUND, DATA_LOSS,
 * or UNIMPLEMENTED from a server without complaints) is noted in
 * r->complaints_error. 0 or a status code. */
int tnd__fetch_complaints(tnd_client *c, tnd_tender_record *r, tnd_status_info *st);

/** Awards/GetById of every decision an award_recorded event names besides
 * r->award, into r->earlier_awards; one not served is noted in
 * r->award_error. 0 or a status code. */
int tnd__fetch_earlier_awards(tnd_client *c, tnd_tender_record *r, tnd_status_info *st);

/** Download and hash each document of the latest fetched version; keep:
 * also keep its bytes. */
int tnd__fetch_documents(tnd_client *c, tnd_tender_record *r, bool keep, tnd_status_info *st);

/* The checks of record_verify_docs.c. */
void tnd__vcheck_documents(tnd__vrun *run);
void tnd__vcheck_questions(tnd__vrun *run);

/* The check of record_verify_lots.c. */
void tnd__vcheck_lots(tnd__vrun *run);

void tnd__vcheck_opening(tnd__vrun *run);
void tnd__vcheck_decryption(tnd__vrun *run);
void tnd__vcheck_award(tnd__vrun *run);
/* A tender with lots: record_verify_award.c. */
void tnd__vcheck_award_lots(tnd__vrun *run);
void tnd__vcheck_signatures(tnd__vrun *run);

/* The check of record_verify_complaints.c. */
void tnd__vcheck_complaints(tnd__vrun *run);

/** The complaint whose acceptance suspends the submission deadline after
 * the last event of r (docs/COMPLAINTS.md, "The clock"), or NULL: the
 * tender may then stay active past its deadline. */
const char *tnd__vsuspended(const tnd_tender_record *r);

#endif
