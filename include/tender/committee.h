/* The opening committee's rules: k of n means k different people.
 *
 * One home for the rules that the server applies when a tender is created,
 * edited, published and opened, and that auditors apply to what the server
 * published (tnd_tender_record_verify). docs/SEALED.md, "The committee",
 * states them; in short:
 *
 *   - 1 <= k <= n <= TND_COMMITTEE_MAX;
 *   - every member has a name (the CN of the certificate that gives its
 *     share), and no name appears twice: one certificate gives one share;
 *   - every member key is an X25519 key of 32 bytes that is not of low order
 *     (X25519 with it must not give all zero), and no key appears twice;
 *   - the opening key, when present, is such a key too, and no member's key;
 *   - the documents key, when present, is such a key too, neither a member's
 *     key nor the opening key; with it each share holds both private keys;
 *   - a sealed share, when present, is tnd_committee_sealed_share_len bytes and a share
 *     hash 32; to publish, the opening key and every member's sealed share
 *     and share hash must be present.
 *
 * Shares are counted by person: two members with the same name or the same
 * key are one person (tnd_committee_same_person), so an old committee that
 * breaks the rules cannot be opened by fewer than k people either.
 */
#ifndef TENDER_COMMITTEE_H
#define TENDER_COMMITTEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/sealed.h"
#include "tender_schema.h"

/* Members of one committee at most (schema: Committee.members max_count). */
#define TND_COMMITTEE_MAX 32

/* Bytes of a sealed share (CommitteeMember.encrypted_share): enc || ct of
 * the 33-byte share, 32 + 33 + 16 = 81. */
#define TND_SEALED_SHARE_LEN                                                                       \
    (TND_HPKE_ENC_LEN + TND_SHAMIR_SHARE_LEN(TND_X25519_LEN) + TND_HPKE_TAG_LEN)

/* Bytes of a sealed share of a committee with a documents key: the 65-byte
 * share of the opening private key then the documents private key,
 * 32 + 65 + 16 = 113. */
#define TND_SEALED_SHARE_DOCS_LEN                                                                  \
    (TND_HPKE_ENC_LEN + TND_SHAMIR_SHARE_LEN(2 * TND_X25519_LEN) + TND_HPKE_TAG_LEN)

/** The secret cm's shares split: the opening private key (32 bytes), then,
 * when cm has a documents key, the documents private key (64 in all). */
size_t tnd_committee_secret_len(const tender_tenders_v1_Committee *cm);

/** Bytes of one of cm's sealed shares: TND_SEALED_SHARE_LEN or
 * TND_SEALED_SHARE_DOCS_LEN. */
size_t tnd_committee_sealed_share_len(const tender_tenders_v1_Committee *cm);

/** Check a committee against the rules above. complete: also require what
 * publishing needs (the opening key, every sealed share and share hash).
 * @return 0, or TND_EINVAL with a message in msg naming the field
 *         ("fields.committee.members[1].name: ...") and what to do. */
TND_MUST_CHECK int tnd_committee_check(const tender_tenders_v1_Committee *cm, bool complete,
                                       char *msg, size_t len);

/** The index of the member whose public key is key (32 bytes), or -1. */
long tnd_committee_member(const tender_tenders_v1_Committee *cm, const tnd_bytes *key);

/** Are members i and j one person: the same index, the same name or the
 * same key? Out-of-range indices are nobody (false). */
bool tnd_committee_same_person(const tender_tenders_v1_Committee *cm, size_t i, size_t j);

/** How many different people the members in idx[0..n) are (each index
 * below cm->n_members; see tnd_committee_same_person). */
size_t tnd_committee_people(const tender_tenders_v1_Committee *cm, const size_t *idx, size_t n);

#endif
