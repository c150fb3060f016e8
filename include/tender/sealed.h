/* Sealed bids and the opening: X25519 keys, HPKE, Shamir secret sharing.
 *
 * HPKE is RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256) (KEM 0x0020),
 * HKDF-SHA256 (KDF 0x0001) and one of three AEADs: AES-128-GCM (0x0001),
 * AES-256-GCM (0x0002, the one tenderd uses for bids and shares) and
 * ChaCha20-Poly1305 (0x0003). It is built from OpenSSL 3.0 EVP primitives and
 * checked against the RFC 9180 test vectors. Shamir's k-of-n scheme works
 * byte by byte over GF(2^8) with the AES polynomial. docs/SEALED.md gives the
 * formats: how info and aad are built, the opening-key fingerprint, the share
 * encoding and the threshold scheme.
 *
 * Every fallible function returns 0 or a negative TND_E* code (tender/error.h)
 * and never aborts. Codes used here:
 *   TND_EINVAL   an argument the caller controls is wrong (NULL pointer, an
 *                unknown AEAD id, a bad k or n, a context used in the wrong role).
 *   TND_ECRYPTO  authentication failed (wrong key, altered ciphertext, aad,
 *                info or enc), a public key of low order, or OpenSSL failed.
 *   TND_ERANGE   a length beyond what the primitive allows (export length,
 *                sizes that overflow, the sequence number space used up).
 *   TND_ENOMEM   out of memory.
 * Secrets that pass through the module (private keys, shared secrets, keys,
 * nonces, shares) are wiped with OPENSSL_cleanse before the memory is
 * released. Outputs that hold secrets are the caller's to wipe.
 */
#ifndef TENDER_SEALED_H
#define TENDER_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"

/* ---- X25519 keys and the opening-key fingerprint ----------------------- */

/* Bytes of an X25519 private or public key. */
#define TND_X25519_LEN 32

/** A fresh X25519 key pair: 32 random bytes from RAND_priv_bytes (clamped
 * when used, RFC 7748) and their public key.
 * @return 0; TND_EINVAL for NULL pointers; TND_ECRYPTO when OpenSSL fails. */
TND_MUST_CHECK int tnd_x25519_keygen(uint8_t sk[32], uint8_t pk[32]);

/** The public key of a private key (X25519(sk, 9)).
 * @return 0; TND_EINVAL; TND_ECRYPTO when OpenSSL fails. */
TND_MUST_CHECK int tnd_x25519_public(const uint8_t sk[32], uint8_t pk[32]);

/** Is pk usable as a recipient key, not of low order? A key of low order
 * (all zero, or any point of order 1, 2, 4 or 8, in any encoding; RFC 7748
 * section 6.1) gives an all-zero X25519 result with every private key, so a
 * secret sealed to it is no secret. Compares with the list of such keys:
 * no X25519 operation, no secret involved.
 * @return 0; TND_EINVAL for NULL; TND_ECRYPTO for a key of low order. */
TND_MUST_CHECK int tnd_x25519_check_public(const uint8_t pk[32]);

/* Bytes of an opening-key fingerprint. */
#define TND_FINGERPRINT_LEN 32

/** Fingerprint of an opening (X25519 public) key:
 * SHA-256("tender/1 opening key" || pk), the 20 ASCII bytes of the label
 * without a NUL, then the 32 key bytes. It names the key in HPKE info
 * strings and in the log.
 * @return 0; TND_EINVAL; TND_ECRYPTO when OpenSSL fails. */
TND_MUST_CHECK int tnd_opening_key_fingerprint(const uint8_t pk[32], uint8_t out[32]);

/* ---- HPKE (RFC 9180), base mode ----------------------------------------- */

#define TND_HPKE_KEM_X25519_SHA256 0x0020
#define TND_HPKE_KDF_HKDF_SHA256 0x0001
#define TND_HPKE_AEAD_AES128GCM 0x0001
#define TND_HPKE_AEAD_AES256GCM 0x0002
#define TND_HPKE_AEAD_CHACHA20POLY1305 0x0003

/* Bytes of the encapsulated key (the sender's ephemeral public key). */
#define TND_HPKE_ENC_LEN 32
/* Bytes an AEAD adds to each message (the tag). */
#define TND_HPKE_TAG_LEN 16
/* Longest exported secret: 255 * Nh. */
#define TND_HPKE_MAX_EXPORT (255u * 32u)
/* Longest exporter context. RFC 9180 asks for at least 64 bytes; some
 * OpenSSL 3.0 releases hold HKDF info in a 1024-byte buffer. */
#define TND_HPKE_MAX_EXPORT_CONTEXT 512u

/** DeriveKeyPair (RFC 9180 section 7.1.3): a key pair from input keying
 * material of at least 32 bytes (shorter is refused, as the RFC asks).
 * @return 0; TND_EINVAL for NULL pointers or ikm_len < 32; TND_ECRYPTO;
 *         TND_ENOMEM. */
TND_MUST_CHECK int tnd_hpke_derive_keypair(const uint8_t *ikm, size_t ikm_len, uint8_t sk[32],
                                           uint8_t pk[32]);

/** Single-shot seal (RFC 9180 section 6.1): a fresh ephemeral key, the key
 * schedule with info, one AEAD encryption of pt with aad at sequence 0.
 *
 * @param aead_id   one of TND_HPKE_AEAD_*.
 * @param pkR       the recipient's X25519 public key.
 * @param info      info_len bytes that bind the context; NULL when info_len is 0.
 * @param aad       aad_len bytes authenticated with the message; NULL when 0.
 * @param pt        pt_len bytes; NULL when pt_len is 0.
 * @param enc       receives the encapsulated key (TND_HPKE_ENC_LEN bytes).
 * @param ct        receives pt_len + TND_HPKE_TAG_LEN bytes. ct may be pt
 *                  (in place); other overlaps are not allowed.
 * @return 0; TND_EINVAL; TND_ECRYPTO when pkR is of low order (the shared
 *         point is zero) or OpenSSL fails; TND_ERANGE when pt_len +
 *         TND_HPKE_TAG_LEN overflows; TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_hpke_seal(uint16_t aead_id, const uint8_t pkR[32], const uint8_t *info,
                                 size_t info_len, const uint8_t *aad, size_t aad_len,
                                 const uint8_t *pt, size_t pt_len, uint8_t enc[32], uint8_t *ct);

/** Single-shot open, the inverse of tnd_hpke_seal.
 *
 * @param ct        ct_len bytes, ct_len >= TND_HPKE_TAG_LEN.
 * @param pt        receives ct_len - TND_HPKE_TAG_LEN bytes (may be NULL
 *                  when that is 0; may be ct, in place). On any failure pt
 *                  is wiped: unauthenticated plaintext is never released.
 * @return 0; TND_ECRYPTO when authentication fails (wrong skR, any change
 *         to enc, info, aad or ct, a ct shorter than the tag) or enc is of
 *         low order; TND_EINVAL; TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_hpke_open(uint16_t aead_id, const uint8_t skR[32], const uint8_t enc[32],
                                 const uint8_t *info, size_t info_len, const uint8_t *aad,
                                 size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt);

/** An HPKE context (RFC 9180 section 5.2): the AEAD key, base nonce,
 * exporter secret and sequence number of one sender or one receiver. */
typedef struct tnd_hpke_ctx tnd_hpke_ctx;

/** SetupBaseS: encapsulate to pkR with a fresh ephemeral key and run the key
 * schedule. *out is a new sender context (free with tnd_hpke_ctx_free), set
 * only on success; enc receives the encapsulated key.
 * @return 0; TND_EINVAL; TND_ECRYPTO (low-order pkR, OpenSSL); TND_ENOMEM. */
TND_MUST_CHECK int tnd_hpke_setup_sender(uint16_t aead_id, const uint8_t pkR[32],
                                         const uint8_t *info, size_t info_len, uint8_t enc[32],
                                         tnd_hpke_ctx **out);

/** SetupBaseR: decapsulate enc with skR and run the key schedule. *out is a
 * new receiver context, set only on success.
 * @return 0; TND_EINVAL; TND_ECRYPTO (low-order enc, OpenSSL); TND_ENOMEM. */
TND_MUST_CHECK int tnd_hpke_setup_receiver(uint16_t aead_id, const uint8_t skR[32],
                                           const uint8_t enc[32], const uint8_t *info,
                                           size_t info_len, tnd_hpke_ctx **out);

/** Encrypt the next message of a sender context (the nonce is the base nonce
 * XOR the sequence number, which then grows by one).
 * ct receives pt_len + TND_HPKE_TAG_LEN bytes; ct may be pt.
 * @return 0; TND_EINVAL (NULL pointers, a receiver context); TND_ERANGE when
 *         the sequence numbers are used up or the length overflows;
 *         TND_ECRYPTO when OpenSSL fails. The sequence number only grows on
 *         success. */
TND_MUST_CHECK int tnd_hpke_ctx_seal(tnd_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len,
                                     const uint8_t *pt, size_t pt_len, uint8_t *ct);

/** Decrypt the next message of a receiver context. pt receives ct_len -
 * TND_HPKE_TAG_LEN bytes and is wiped on failure; pt may be ct.
 * @return 0; TND_ECRYPTO when authentication fails (the sequence number then
 *         stays, so the right message can still be opened); TND_EINVAL (NULL
 *         pointers, a sender context); TND_ERANGE. */
TND_MUST_CHECK int tnd_hpke_ctx_open(tnd_hpke_ctx *ctx, const uint8_t *aad, size_t aad_len,
                                     const uint8_t *ct, size_t ct_len, uint8_t *pt);

/** Export a secret of len bytes (1..TND_HPKE_MAX_EXPORT) bound to
 * exporter_context (RFC 9180 section 5.3); works for both roles.
 * @return 0; TND_EINVAL; TND_ERANGE for len 0 or above TND_HPKE_MAX_EXPORT,
 *         or context_len above TND_HPKE_MAX_EXPORT_CONTEXT; TND_ECRYPTO;
 *         TND_ENOMEM. */
TND_MUST_CHECK int tnd_hpke_ctx_export(const tnd_hpke_ctx *ctx, const uint8_t *exporter_context,
                                       size_t context_len, uint8_t *out, size_t len);

/** Wipe and free a context. Accepts NULL. */
void tnd_hpke_ctx_free(tnd_hpke_ctx *ctx);

/* ---- Shamir secret sharing over GF(2^8) --------------------------------- */

/* Most shares: x-coordinates are 1..255. */
#define TND_SHAMIR_MAX_SHARES 255
/* Bytes of one share of a len-byte secret: the x-coordinate, then len y bytes. */
#define TND_SHAMIR_SHARE_LEN(len) (1 + (len))

/** Split secret into n shares, any k of which rebuild it.
 *
 * Each byte of the secret is the constant term of its own random polynomial
 * of degree k - 1 over GF(2^8) (AES polynomial x^8 + x^4 + x^3 + x + 1); the
 * other coefficients come from RAND_priv_bytes. Share i (0-based) is the
 * byte i + 1 (its x-coordinate) followed by the len values of the
 * polynomials at x = i + 1.
 *
 * @param shares    receives n * TND_SHAMIR_SHARE_LEN(len) bytes, share after
 *                  share. They are secrets: the caller wipes them.
 * @return 0; TND_EINVAL for NULL pointers, len 0, k 0, k > n, or
 *         n > TND_SHAMIR_MAX_SHARES; TND_ERANGE when the size of shares
 *         overflows; TND_ECRYPTO when the random generator fails.
 */
TND_MUST_CHECK int tnd_shamir_split(const uint8_t *secret, size_t len, unsigned k, unsigned n,
                                    uint8_t *shares);

/** Rebuild a secret from count shares by Lagrange interpolation at x = 0.
 *
 * The shares are count * TND_SHAMIR_SHARE_LEN(len) bytes, in the encoding of
 * tnd_shamir_split, in any order. The scheme itself cannot tell a wrong
 * result: with fewer than k shares, or a share that was altered, it yields a
 * different secret without an error. Callers check the result (tenderd
 * compares the rebuilt opening key's public key with the one it holds).
 *
 * @param secret    receives len bytes.
 * @return 0; TND_EINVAL for NULL pointers, count 0, count above
 *         TND_SHAMIR_MAX_SHARES, len 0, an x-coordinate 0 or two shares
 *         with the same x-coordinate.
 */
TND_MUST_CHECK int tnd_shamir_combine(const uint8_t *shares, unsigned count, size_t len,
                                      uint8_t *secret);

/* ---- info and aad of sealed shares (docs/SEALED.md) --------------------- */

/* The AEAD of sealed bids and shares. The bid's info and aad are built by
 * common/bid.c (tender/bid.h). */
#define TND_SEALED_AEAD TND_HPKE_AEAD_AES256GCM
/* Bytes of a sealed share's info and aad. */
#define TND_SEALED_SHARE_INFO_LEN (15 + 32)
#define TND_SEALED_SHARE_AAD_LEN 2

/** HPKE info of an opening-key share sealed to a committee member:
 * "tender/1 share" || 0x00 || fingerprint (TND_SEALED_SHARE_INFO_LEN bytes).
 * @return 0; TND_EINVAL. */
TND_MUST_CHECK int tnd_sealed_share_info(const uint8_t fingerprint[32],
                                         uint8_t out[TND_SEALED_SHARE_INFO_LEN]);

/** HPKE aad of a sealed share: the threshold k and the committee size n, one
 * byte each (1 <= k <= n <= TND_SHAMIR_MAX_SHARES).
 * @return 0; TND_EINVAL. */
TND_MUST_CHECK int tnd_sealed_share_aad(unsigned k, unsigned n,
                                        uint8_t out[TND_SEALED_SHARE_AAD_LEN]);

#endif
