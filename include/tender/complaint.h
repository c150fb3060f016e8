/* Complaints and the review body's decisions (docs/COMPLAINTS.md): the rules
 * tenderd applies and auditors check again from the log, in one place.
 *
 * A supplier files a complaint about a tender's conditions, an award or a
 * cancellation. The reviewer (role urn:tender:role:reviewer) accepts or
 * refuses it, then satisfies or rejects an accepted one; the complainant may
 * withdraw it before a decision. Each step is a log event whose object_hash
 * is tnd_complaint_hash() of the complaint as stored after the step.
 *
 *   SUBMITTED --ACCEPT--> ACCEPTED --SATISFY--> SATISFIED
 *       |                    |  \---REJECT--> REJECTED
 *       +--REFUSE--> REFUSED  |
 *       +------------+--withdraw--> WITHDRAWN
 *
 * Who complained is seen by the buyer, the reviewer and the complainant:
 * the public view (tnd_complaint_public) leaves out Complaint.complainant
 * and keeps complainant_tag, which commits to the complainant's key.
 */
#ifndef TENDER_COMPLAINT_H
#define TENDER_COMPLAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender_schema.h"

#define TND_COMPLAINT_STATE(x) tender_complaints_v1_ComplaintState_##x
#define TND_COMPLAINT_SUBJECT(x) tender_complaints_v1_Subject_##x
#define TND_REVIEW_OUTCOME(x) tender_complaints_v1_Outcome_##x

/* The note of a COMPLAINT_ACCEPTED event whose acceptance suspends the
 * submission deadline. */
#define TND_COMPLAINT_SUSPENDS_NOTE "suspends the deadline"

/* What a reviewer signs before the decision's encoding. */
#define TND_REVIEW_SIGNING_PREFIX "tender/1 review\n"

/** The note of the COMPLAINT_FILED event, what c is about: "conditions",
 * "conditions of lot LOT-2", "award T-2026-000001-A1", "cancellation of the
 * tender", "cancellation of lot LOT-2", "cancellation of award
 * T-2026-000001-A1". Written
 * into buf (cap bytes; 160 are always enough). Returns buf, or NULL when c
 * has no known subject. */
const char *tnd_complaint_subject_note(const tender_complaints_v1_Complaint *c, char *buf,
                                       size_t cap);

/** Read a note written by tnd_complaint_subject_note: *subject, and in id
 * (cap bytes) the award id or lot id it names ("" for none). Returns false
 * when note is not one. */
bool tnd_complaint_subject_note_parse(const char *note, int *subject, char *id, size_t cap);

/** complainant_tag = SHA-256("tender/1 complainant" || salt || key). */
void tnd_complaint_tag(const uint8_t salt[32], const uint8_t key[32], uint8_t out[32]);

/** The public view of c: a shallow copy in *out without the complainant
 * (out shares c's memory: do not free it). */
void tnd_complaint_public(const tender_complaints_v1_Complaint *c,
                          tender_complaints_v1_Complaint *out);

/** SHA-256 of the codec encoding of c's public view: the object_hash of
 * its events. Returns 0, TND_ENOMEM or an encoding error. */
TND_MUST_CHECK int tnd_complaint_hash(const tender_complaints_v1_Complaint *c, uint8_t out[32]);

/** The bytes a reviewer signs for d: TND_REVIEW_SIGNING_PREFIX then the
 * codec encoding of d, in *out (malloc'd, free it). Returns 0, TND_ENOMEM or
 * an encoding error. */
TND_MUST_CHECK int tnd_review_signed_bytes(const tender_complaints_v1_ReviewDecision *d,
                                           uint8_t **out, size_t *len);

/** Check sig (Ed25519, sig_len must be 64) over d with the reviewer's key.
 * Returns 0, TND_ECRYPTO when it does not verify, TND_EINVAL, TND_ENOMEM. */
TND_MUST_CHECK int tnd_review_verify(const tender_complaints_v1_ReviewDecision *d,
                                     const uint8_t *sig, size_t sig_len, const uint8_t key[32]);

/** Whether c's acceptance stopped the tender's submission deadline: a
 * complaint about the conditions, accepted with suspend_deadline. Once
 * true, true for good (the acceptance stays with the complaint); what the
 * suspension is now follows from c's state (docs/COMPLAINTS.md, "The
 * clock"). */
bool tnd_complaint_suspends_by_acceptance(const tender_complaints_v1_Complaint *c);

/** The state a complaint in state reaches by outcome, or 0 when the
 * outcome is not allowed from it (ACCEPT and REFUSE from SUBMITTED,
 * SATISFY and REJECT from ACCEPTED). */
int tnd_review_next_state(int state, int outcome);

/** True for REFUSED, SATISFIED, REJECTED and WITHDRAWN. */
bool tnd_complaint_final(int state);

/** True when a complaint about an award in this state stops the award's
 * standstill from ending: SUBMITTED and ACCEPTED (pending), and SATISFIED
 * (the buyer must cancel the award). */
bool tnd_complaint_holds_award(int state);

/** The log event of reaching state (COMPLAINT_FILED for SUBMITTED ...), or
 * 0 for none. */
int tnd_complaint_event_kind(int state);

/** Names, as tenderctl shows and takes them: states "submitted", "accepted",
 * "refused", "satisfied", "rejected", "withdrawn"; subjects "conditions",
 * "award", "cancellation"; outcomes "accept", "refuse", "satisfy",
 * "reject". Unknown numbers read "unspecified". */
const char *tnd_complaint_state_name(int state);
const char *tnd_complaint_subject_name(int subject);
const char *tnd_review_outcome_name(int outcome);

/** The subject or outcome named s (as above, or the schema's upper-case
 * name); 0 when s names none. */
int tnd_complaint_subject_parse(const char *s);
int tnd_review_outcome_parse(const char *s);

#endif
