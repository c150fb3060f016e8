/* Answers that come in pages or pieces (docs/PROTOCOL.md, "Large answers").
 *
 * An answer too large for one frame is split by the server: lists into
 * pages (a cursor to ask for the next), a sealed bid into pieces. These
 * functions ask for every page and return the whole answer, as one message
 * of the method's response type. Against an older server, which ignores the
 * page fields, they get the whole answer at once.
 */
#ifndef TENDER_PAGES_H
#define TENDER_PAGES_H

#include "tender/client.h"
#include "tender_schema.h"

/** Tenders/Questions of tender_id, every page, into *out (initialised here;
 * free it with tender_tenders_v1_ListQuestionsResponse_free). Returns 0 or
 * the status code, with st saying why (a DATA_LOSS of our own when the
 * server's pages do not go forward). */
int tnd_questions_fetch(tnd_client *c, const char *tender_id,
                        tender_tenders_v1_ListQuestionsResponse *out, tnd_status_info *st);

/** Complaints/List of tender_id, every page (those the caller may see),
 * into *out (initialised here; free it with
 * tender_complaints_v1_ComplaintList_free). Returns 0 or the status code, as
 * tnd_questions_fetch. */
int tnd_complaints_fetch(tnd_client *c, const char *tender_id,
                         tender_complaints_v1_ComplaintList *out, tnd_status_info *st);

/** Bids/GetOpening of tender_id, every page, into *out (initialised here;
 * free it with tender_bids_v1_OpeningRecord_free): the record as stored,
 * with all its bids and no next_cursor, so that it hashes as logged. */
int tnd_opening_fetch(tnd_client *c, const char *tender_id, tender_bids_v1_OpeningRecord *out,
                      tnd_status_info *st);

#endif
