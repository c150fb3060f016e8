/* SHA-256 and HMAC-SHA-256 for hot paths. OpenSSL 3 looks an algorithm up
 * in its provider store on every one-shot call (SHA256(), HMAC(), and
 * EVP_DigestInit_ex with EVP_sha256()): about 1.5 us for a SHA-256 and 9 us
 * for an HMAC here, more than hashing a small message costs. These fetch
 * SHA-256 once per process and reuse it. Thread-safe. */
#ifndef TND_COMMON_DIGEST_H
#define TND_COMMON_DIGEST_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/** SHA-256, fetched once; use it wherever EVP_sha256() would go. */
const EVP_MD *tnd_sha256_md(void);

/** out = SHA-256(data[0..len)); 0, or TND_ECRYPTO. data may be NULL when len is 0. */
int tnd_sha256(const void *data, size_t len, uint8_t out[32]);

/** out = SHA-256 of the n parts one after another; 0, or TND_ECRYPTO. */
int tnd_sha256_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[32]);

/** out = HMAC-SHA-256(key, msg) (RFC 2104); 0, or TND_ECRYPTO. */
int tnd_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[32]);

#endif
