/* Standard base64 (RFC 4648 section 4, with padding), strict on decode.
 * Internal to the library: the signed-note and checkpoint code uses it. */
#ifndef TENDER_B64_H
#define TENDER_B64_H

#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"

/* Characters in the base64 of n bytes, without a NUL: 4 * ceil(n / 3).
 * n must be below SIZE_MAX / 4 * 3 (callers pass small, bounded sizes). */
#define TND_B64_LEN(n) (((n) + 2) / 3 * 4)

/** Encode n bytes of in into out, which must have room for
 * TND_B64_LEN(n) + 1 bytes; the result is NUL-terminated. */
void tnd__b64_encode(const uint8_t *in, size_t n, char *out);

/** Decode the len characters at in into out (cap bytes).
 *
 * Only the canonical encoding is accepted: a length that is a multiple of 4,
 * characters of the standard alphabet, '=' padding only at the end and only
 * as needed, and zero bits where padding leaves some unused. No whitespace.
 * @return 0 with *out_len set; TND_EMALFORMED for anything else; TND_ERANGE
 *         when the result does not fit in cap bytes.
 */
TND_MUST_CHECK int tnd__b64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                                   size_t *out_len);

#endif
