/* Making an opening committee's keys: what the officer's client does when it
 * creates a tender (docs/SEALED.md, "The committee").
 *
 * Given the members (each a name and an X25519 public key) and the threshold
 * k, tnd_committee_make makes the tender's opening key pair (and, when asked,
 * the documents key pair), splits the private keys k of n with Shamir (one
 * secret: the opening private key, then the documents private key), seals
 * each member's share to the member's key with HPKE (info and aad of
 * tender/sealed.h, binding the share to this opening key and to k of n), and
 * commits to each share with its hash (tnd_share_hash). The private keys and
 * the shares are wiped before it returns: the server, and the officer's
 * machine afterwards, only hold public keys, sealed shares and hashes.
 *
 * The committee's rules (tender/committee.h) are checked first.
 */
#ifndef TENDER_COMMITTEE_MAKE_H
#define TENDER_COMMITTEE_MAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "tender/committee.h"
#include "tender_schema.h"

/** Fill cm's opening_public_key (and documents_public_key when documents),
 * and each member's encrypted_share and share_hash, replacing any there.
 * cm->members[i].name and .public_key and cm->threshold must be set.
 * @return 0; TND_EINVAL when cm breaks the committee's rules or a member's
 *         key cannot be sealed to (msg says which, and what to do);
 *         TND_ECRYPTO when OpenSSL fails; TND_ENOMEM. msg (len bytes) gets a
 *         sentence for a person on every failure. On failure cm may hold
 *         some of the new fields; the secrets are wiped all the same. */
TND_MUST_CHECK int tnd_committee_make(tender_tenders_v1_Committee *cm, bool documents, char *msg,
                                      size_t len);

#endif
