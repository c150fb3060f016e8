/* Internals of common/hpke.c and common/x25519.c shared with the tests: the
 * X25519 function, the KEM with a given ephemeral seed, and a look at a
 * context's secrets. Not part of the public API: a sender with a fixed
 * ephemeral seed loses every guarantee HPKE gives. */
#ifndef TENDER_HPKE_INTERNAL_H
#define TENDER_HPKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tender/sealed.h"

/* X25519(sk, pk) into dh. TND_ECRYPTO when the result is all zero (pk of low
 * order, RFC 7748 section 6.1 and RFC 9180 section 7.1.4) or OpenSSL fails. */
TND_MUST_CHECK int tnd__x25519_dh(const uint8_t sk[32], const uint8_t pk[32], uint8_t dh[32]);

/* Encap (RFC 9180 section 4.1) with the ephemeral key pair
 * DeriveKeyPair(ikmE): shared_secret and enc. */
TND_MUST_CHECK int tnd__hpke_encap_derand(const uint8_t pkR[32], const uint8_t *ikmE,
                                          size_t ikmE_len, uint8_t shared_secret[32],
                                          uint8_t enc[32]);

/* Decap (RFC 9180 section 4.1): shared_secret from enc and skR. */
TND_MUST_CHECK int tnd__hpke_decap(const uint8_t skR[32], const uint8_t enc[32],
                                   uint8_t shared_secret[32]);

/* SetupBaseS with the ephemeral key pair DeriveKeyPair(ikmE): for the RFC
 * 9180 known-answer tests only. */
TND_MUST_CHECK int tnd__hpke_setup_sender_derand(uint16_t aead_id, const uint8_t pkR[32],
                                                 const uint8_t *info, size_t info_len,
                                                 const uint8_t *ikmE, size_t ikmE_len,
                                                 uint8_t enc[32], tnd_hpke_ctx **out);

/* Copy a context's key (*key_len bytes, at most 32), base nonce and exporter
 * secret, for the known-answer tests. */
void tnd__hpke_ctx_secrets(const tnd_hpke_ctx *ctx, uint8_t key[32], size_t *key_len,
                           uint8_t base_nonce[12], uint8_t exporter_secret[32]);

#endif
