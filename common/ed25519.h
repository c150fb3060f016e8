/* Checking an Ed25519 signature (RFC 8032) where it is on a hot path: a
 * bid's signature, once per bid at the deadline. libsodium checks one in
 * about 60 % of the time OpenSSL 3.0 takes, and it is the stricter of the
 * two: it also refuses a public key or an R of small order and encodings
 * that are not canonical, which OpenSSL accepts. A key of small order
 * "signs" anything for anyone (with the identity as the key, R = [S]B is a
 * valid signature of every message), so a signature made with one proves
 * nothing about who made it. Whatever this check accepts, every RFC 8032
 * verifier accepts too (OpenSSL in libtender, the browser's in the portal):
 * nothing the server takes in can fail an auditor's check. Thread-safe. */
#ifndef TND_COMMON_ED25519_H
#define TND_COMMON_ED25519_H

#include <stddef.h>
#include <stdint.h>

/** Is sig a signature of msg[0..len) by the Ed25519 public key pub?
 * 0, or TND_ECRYPTO (a bad signature, or a key no signature can bind). */
int tnd_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
                       const uint8_t pub[32]);

#endif
