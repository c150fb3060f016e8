/* Award decisions: the rules a buyer's decision must follow, and the
 * officer's signature over it (docs/AWARDS.md).
 *
 * tenderd applies these checks before it records an award; auditors apply
 * the same ones to a stored award (Awards/Get), the opening record
 * (Bids/GetOpening) and the tender version in force at the opening
 * (Tenders/Get), without trusting the server.
 */
#ifndef TENDER_AWARD_H
#define TENDER_AWARD_H

#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender_schema.h"

/** Check that decision d follows from the opening record rec of the tender
 * whose published fields (the version in force at the opening) are
 * published: every opened bid evaluated once, valid bids at their prices as
 * opened, bids that failed at the opening not valid, the criterion the
 * tender published (LOWEST_PRICE for AWARD_CRITERIA_UNSPECIFIED), the winner
 * an opened valid bid with the lowest valid price (lowest-price awards) or
 * the highest weighted total (weighted awards: every valid bid scored on
 * each published criterion, see tnd_award_weighted_total), and an
 * unsuccessful decision without valid bids. Ties are allowed.
 *
 * Tenders with lots (published->lots): d->lot_id is required and names a
 * lot of published (it is refused without lots). The decision is then that
 * lot's: its evaluations are the opened bids that answered the lot
 * (OpenedBid.lots), each once, valid ones at the lot's price as opened and
 * only if valid both as a bid and for the lot (OpenedLot.valid; of a lot
 * priced twice, the first invalid line stands); the winner answered the
 * lot; the lot's award_criteria and criteria apply in place of the
 * tender's.
 *
 * @param status  receives the gRPC status the server answers with:
 *                TND_STATUS_OK, INVALID_ARGUMENT (the decision is
 *                malformed: no rationale, a bid evaluated twice, a
 *                disqualification without a reason...), FAILED_PRECONDITION
 *                (it contradicts the record or the tender: names the bid and
 *                the rule) or RESOURCE_EXHAUSTED.
 * @param msg     receives a message a person can act on (may be NULL when
 *                len is 0); truncated to len bytes, always NUL-terminated.
 * @return 0 when the decision follows from the record; TND_EINVAL when it
 *         does not, or when d, rec, published or status is NULL;
 *         TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_award_check(const tender_awards_v1_Decision *d,
                                   const tender_bids_v1_OpeningRecord *rec,
                                   const tender_tenders_v1_TenderFields *published, int *status,
                                   char *msg, size_t len);

/** Check the award criteria a tender publishes (TenderFields.award_criteria
 * and criteria): a weighted award has 1 to 20 criteria with distinct,
 * printable names and weights of 1..100 percent adding up to 100; a
 * lowest-price award (or AWARD_CRITERIA_UNSPECIFIED) has none.
 * @return 0; TND_EINVAL with a message naming the field in msg (may be NULL
 *         when len is 0). */
TND_MUST_CHECK int tnd_award_criteria_check(const tender_tenders_v1_TenderFields *f, char *msg,
                                            size_t len);

/** The weighted total of a valid bid's evaluation e under the tender's
 * published criteria f, in hundredths of a point: the sum over the
 * criteria of points (0..100) times weight (percent), so 0..10000 and
 * exact; 8750 reads 87.50 points. No rounding happens anywhere.
 *
 * e must score every published criterion exactly once and nothing else.
 * @param status  receives TND_STATUS_OK, INVALID_ARGUMENT (a criterion
 *                scored twice, points above 100) or FAILED_PRECONDITION (a
 *                score for a criterion the tender does not publish, a
 *                criterion without a score, a tender without valid weighted
 *                criteria).
 * @return 0 with *total set; TND_EINVAL with status and msg (may be NULL
 *         when len is 0) naming the bid and the criterion, or for NULL
 *         pointers. */
TND_MUST_CHECK int tnd_award_weighted_total(const tender_awards_v1_BidEvaluation *e,
                                            const tender_tenders_v1_TenderFields *f,
                                            uint32_t *total, int *status, char *msg, size_t len);

/** Verify an Ed25519 signature (sig_len must be 64) over the codec encoding
 * of d with the officer's public key (Award.officer_key).
 * @return 0 when it verifies; TND_ECRYPTO when it does not or OpenSSL
 *         fails; TND_EINVAL for NULL pointers; TND_ENOMEM. */
TND_MUST_CHECK int tnd_award_verify(const tender_awards_v1_Decision *d, const uint8_t *sig,
                                    size_t sig_len, const uint8_t key[32]);

#endif
