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
 * opened, bids that failed at the opening not valid, the winner an opened
 * valid bid with the lowest valid price (lowest-price awards), and an
 * unsuccessful decision without valid bids.
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

/** Verify an Ed25519 signature (sig_len must be 64) over the codec encoding
 * of d with the officer's public key (Award.officer_key).
 * @return 0 when it verifies; TND_ECRYPTO when it does not or OpenSSL
 *         fails; TND_EINVAL for NULL pointers; TND_ENOMEM. */
TND_MUST_CHECK int tnd_award_verify(const tender_awards_v1_Decision *d, const uint8_t *sig,
                                    size_t sig_len, const uint8_t key[32]);

#endif
