/* Sealed bids: how a bid is sealed, signed, bound and opened
 * (docs/SEALED.md). Used by tenderctl to seal, by tenderd to check a bid at
 * receipt and to open it with the rebuilt opening key, and by auditors to
 * re-open every logged ciphertext with the published key.
 *
 *   info   = "tender/1 bid" 0x00 tender_id 0x00 fingerprint(opening key)
 *   aad    = bid_id 0x00 owner_tag
 *   owner_tag = SHA-256("tender/1 bidder" || nonce(32) || supplier Ed25519 key(32))
 *   digest = SHA-256("tender/1 envelope" 0x00 tender_id 0x00 bid_id 0x00
 *                    fingerprint owner_tag enc SHA-256(ciphertext))
 *   signature = Ed25519(supplier key, digest)
 *
 * The stored bid (tender.bids.v1.SealedBid) holds neither the plaintext nor
 * the bidder: the bidder's key, name and nonce travel inside the ciphertext.
 */
#ifndef TENDER_BID_H
#define TENDER_BID_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender_schema.h"

/* Characters of a bid id: "B-" and 32 lowercase hex digits. */
#define TND_BID_ID_LEN 34

/** owner_tag of a nonce and a supplier key. */
TND_MUST_CHECK int tnd_bid_owner_tag(const uint8_t nonce[32], const uint8_t supplier_key[32],
                                     uint8_t out[32]);

/** The digest a supplier signs, from the envelope's fields. */
TND_MUST_CHECK int tnd_bid_digest(const tender_bids_v1_SealedBid *b, uint8_t out[32]);

/** Check the envelope's signature with a supplier key: 0 or TND_ECRYPTO.
 * Strict: a key of small order (which would "sign" anything for anyone)
 * and non-canonical encodings are refused, as tenderd refuses them; every
 * signature this accepts, any RFC 8032 verifier accepts. */
TND_MUST_CHECK int tnd_bid_verify(const tender_bids_v1_SealedBid *b,
                                  const uint8_t supplier_key[32]);

/** The same check with a key object (an Ed25519 public or private key,
 * e.g. from a certificate). 0 or TND_ECRYPTO. */
TND_MUST_CHECK int tnd_bid_verify_pkey(const tender_bids_v1_SealedBid *b, EVP_PKEY *key);

/** Seal a bid: fills b (bid_id, tender_id, fingerprint, owner_tag, enc,
 * ciphertext, signature) from the content, the tender's opening key and
 * the supplier's Ed25519 private key. content's supplier_key and
 * owner_nonce are set here. nonce_in is the nonce of the bid this one
 * replaces (the same owner tag marks the same bidder's bids), or NULL for a
 * fresh random one; the nonce used is copied to nonce_out, which the
 * supplier keeps to prove ownership later. b must be initialised. */
TND_MUST_CHECK int tnd_bid_seal(tender_bids_v1_BidContent *content, const char *tender_id,
                                const char *bid_id, const uint8_t opening_pk[32],
                                EVP_PKEY *supplier_priv, const uint8_t *nonce_in,
                                tender_bids_v1_SealedBid *b, uint8_t nonce_out[32]);

/** Open a sealed bid with the opening private key: decrypt, decode, check
 * that the owner tag belongs to the key inside and that the signature
 * verifies. On failure why says which (bad decryption, malformed
 * plaintext, owner tag mismatch, bad signature) and the code is
 * TND_ECRYPTO / TND_EMALFORMED. content must be initialised. */
TND_MUST_CHECK int tnd_bid_open(const tender_bids_v1_SealedBid *b, const uint8_t opening_sk[32],
                                tender_bids_v1_BidContent *content, char *why, size_t why_len);

/** What a bid's certificate is checked against: the CA certificates, and
 * the revocation lists known (of the CA and any intermediate). */
typedef struct tnd_bid_trust {
    X509_STORE *cas;
    STACK_OF(X509_CRL) * crls;
} tnd_bid_trust;

/** Load a trust from PEM files: ca_file (one or more certificates) and
 * crl_file (NULL or "": none). 0, or TND_EIO / TND_ENOMEM with err. */
TND_MUST_CHECK int tnd_bid_trust_load(tnd_bid_trust *t, const char *ca_file,
                                      const char *crl_file, char *err, size_t err_len);
/** As tnd_bid_trust_load, from PEM text in memory (crl_pem NULL or empty:
 * none), as an evidence bundle carries it (tender/bundle.h). */
TND_MUST_CHECK int tnd_bid_trust_load_pem(tnd_bid_trust *t, const tnd_bytes *ca_pem,
                                          const tnd_bytes *crl_pem, char *err, size_t err_len);
void tnd_bid_trust_free(tnd_bid_trust *t);

/** Who bid (docs/SEALED.md): the first of c's certificates must be a
 * supplier's certificate (tnd_tls_peer_identity's rules) for c's
 * supplier_key, chain (with the others as intermediates) to a CA of t at
 * time at_ms (the bid's time of receipt), and not be revoked at or before
 * then by a list in t. 0 with the subject's O and CN in org and name, or
 * TND_EINVAL with the reason in why (TND_ENOMEM). */
TND_MUST_CHECK int tnd_bid_check_certificate(const tender_bids_v1_BidContent *c,
                                             const tnd_bid_trust *t, int64_t at_ms,
                                             char org[128], char name[128], char *why,
                                             size_t why_len);

/** What a tender asks of a bid, from the tender as it stood at its
 * deadline (docs/SEALED.md, "When an opened bid is valid"). */
typedef struct tnd_bid_terms {
    uint32_t version;                    /* the version in force at the deadline, or
                                            the one its postponements or resumptions
                                            (docs/COMPLAINTS.md) moved */
    const tender_common_v1_Money *value; /* the estimated value; NULL: none, so no
                                            currency and no ceiling to keep */
    bool price_above_value;              /* the value is no ceiling */
    const tnd_bid_trust *trust;          /* the CA to check who bid against; NULL:
                                            who bid is what the bid says */
    bool documents_key;                  /* the tender has a documents key: bids may
                                            carry documents */
    const uint8_t *documents_sk;         /* the documents private key (32 bytes):
                                            the sealed documents are opened and
                                            matched to their list; NULL (everyone
                                            but the server and those it serves the
                                            documents to): not checked */
    const tender_tenders_v1_Lot *lots;   /* the lots of the version in force; n_lots 0:
                                            a tender without lots (one price) */
    size_t n_lots;
    const tender_tenders_v1_LotState *lot_states; /* the lots' states at the opening:
                                                     a LOT_CANCELLED lot takes no price */
    size_t n_lot_states;
} tnd_bid_terms;

/** The terms of tender t (t is the tender at its deadline; value, lots and
 * lot_states point into t); trust is left NULL for the caller to set. */
tnd_bid_terms tnd_bid_terms_of(const tender_tenders_v1_Tender *t);

/** Does an opened bid's content answer the terms as a whole? In this order:
 * it answers t->version; then, for a tender without lots: it has no
 * lot_prices, it has a price, in the tender's currency, above zero, and at
 * most the value unless the tender allows more; for a tender with lots: it
 * has lot_prices (at least one) and no price. 0, or TND_EINVAL with the
 * reason in why (the opening record's failure text). Each lot price is
 * judged apart (tnd_bid_check_lot). */
TND_MUST_CHECK int tnd_bid_check_terms(const tender_bids_v1_BidContent *c,
                                       const tnd_bid_terms *t, char *why, size_t why_len);

/** Is c->lot_prices[i] a valid price for its lot (a tender with lots)? In
 * this order: the lot exists in the version in force, the bid prices it
 * once, it is not cancelled, the price is in the tender's currency, above
 * zero, and at most the lot's value unless the tender sets
 * price_above_value. 0, or TND_EINVAL with the reason in why (the
 * OpenedLot's failure text). Says nothing of the bid as a whole. */
TND_MUST_CHECK int tnd_bid_check_lot(const tender_bids_v1_BidContent *c, size_t i,
                                     const tnd_bid_terms *t, char *why, size_t why_len);

/* The failure of a lot line whose own price is valid but whose bid is not
 * (OpenedBid.valid false): a lot is valid only in a valid bid. */
#define TND_BID_LOT_BID_INVALID "the bid is not valid (its failure says why)"

/** After o->valid turned false (audit verify taking the record's word on the
 * sealed documents): each of o's lot lines still valid becomes invalid with
 * TND_BID_LOT_BID_INVALID. 0 or TND_ENOMEM. */
TND_MUST_CHECK int tnd_bid_lots_follow_bid(tender_bids_v1_OpenedBid *o);

/** The opening record's line for one sealed bid: its id, time of receipt and
 * envelope hash (SHA-256 of b's encoding), then, when it opens and verifies
 * (tnd_bid_open), the supplier, price and document hashes, and valid = true
 * when its certificate checks out (with terms->trust: tnd_bid_check_certificate
 * at b's time of receipt; the supplier's organisation and name are then the
 * certificate's) and it answers the tender's terms (tnd_bid_check_terms); otherwise
 * the reason in failure (a bid that opened but breaks the terms keeps its
 * supplier, price and documents). For a tender with lots (terms->n_lots) the
 * line has no price but one OpenedLot per entry of the bid's lot_prices, in
 * its order: the lot id, the price, and valid = true when the bid is valid
 * and the price is valid for the lot (tnd_bid_check_lot), else the lot's own
 * reason or TND_BID_LOT_BID_INVALID in failure. A tender without lots gets
 * no lot lines, so its record is as before lots existed. The server writes these lines at the
 * opening; an auditor rebuilds them and compares. o need not be initialised;
 * free it with tender_bids_v1_OpenedBid_free even on error.
 * @return 0 (also for a bid that does not open or is invalid); TND_ENOMEM; a
 * codec error. */
TND_MUST_CHECK int tnd_bid_open_record(const tender_bids_v1_SealedBid *b,
                                       const uint8_t opening_sk[32], const tnd_bid_terms *terms,
                                       tender_bids_v1_OpenedBid *o);

/* ---- Bid documents (docs/SEALED.md, "Bid documents") -------------------
 *
 *   documents fingerprint = SHA-256("tender/1 documents key" || pk)
 *   info = "tender/1 documents" 0x00 tender_id 0x00 documents fingerprint
 *   aad  = bid_id 0x00 owner_tag                       (as the bid's)
 *   BidContent.sealed_documents = enc || HPKE(BidDocumentContents)
 *
 * The opening key's private half is published at the opening, the documents
 * key's never: after the opening everyone reads a bid's price and its list
 * of documents (name, media type, sha256, size), and only those the server
 * serves the documents to read their contents. */

/** SHA-256("tender/1 documents key" || pk): names a documents key. */
TND_MUST_CHECK int tnd_documents_key_fingerprint(const uint8_t pk[32], uint8_t out[32]);

/** Seal content's documents apart, before tnd_bid_seal: each document's
 * content moves into content->sealed_documents, sealed to documents_pk and
 * bound to tender_id, bid_id and the owner tag of nonce and supplier_pub
 * (pass the same nonce to tnd_bid_seal), and the list keeps its name,
 * media type, sha256 and size. Without documents nothing is sealed.
 * @return 0; TND_EINVAL; TND_ECRYPTO; TND_ENOMEM; a codec error. */
TND_MUST_CHECK int tnd_bid_seal_documents(tender_bids_v1_BidContent *content,
                                          const char *tender_id, const char *bid_id,
                                          const uint8_t nonce[32],
                                          const uint8_t supplier_pub[32],
                                          const uint8_t documents_pk[32]);

/** The checks anyone can make of an opened bid's documents list: each
 * document has a 32-byte sha256 and no content, and a bid with documents
 * carries sealed_documents for a tender with a documents key. 0, or
 * TND_EINVAL with the reason in why. */
TND_MUST_CHECK int tnd_bid_check_documents(const tender_bids_v1_BidContent *c,
                                           bool documents_key, char *why, size_t why_len);

/* How every failure of tnd_bid_open_documents begins: the one failure of an
 * opening record that only holders of the documents key can check. */
#define TND_BID_DOCUMENTS_FAILURE "the sealed documents "

/** Open an opened bid's sealed documents (b is its envelope, c its content)
 * with the documents private key and check them against c's list: as many
 * contents as documents, each of the listed size and sha256. out must be
 * initialised; on failure it is freed and why says what failed
 * (TND_ECRYPTO, TND_EMALFORMED, TND_ENOMEM). */
TND_MUST_CHECK int tnd_bid_open_documents(const tender_bids_v1_SealedBid *b,
                                          const tender_bids_v1_BidContent *c,
                                          const uint8_t documents_sk[32],
                                          tender_bids_v1_BidDocumentContents *out, char *why,
                                          size_t why_len);

/** SHA-256("tender/1 share" || share): the commitment to one Shamir share. */
TND_MUST_CHECK int tnd_share_hash(const uint8_t *share, size_t len, uint8_t out[32]);

#endif
