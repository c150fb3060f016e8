/* Base64 and hex: the one strict implementation every part of tenderd uses.
 *
 * Base64 is the standard alphabet with padding (RFC 4648 section 4); hex is
 * lowercase. Decoders accept only the canonical text of a value, so that each
 * value has exactly one text form: signatures, roots and keys are compared
 * as text by some verifiers, and a second spelling of a key would be a
 * second key to every such comparison.
 *
 * Encoders cannot fail; decoders return 0 or a negative TND_E* code
 * (tender/error.h) and never write past cap.
 */
#ifndef TENDER_ENCODING_H
#define TENDER_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"

/* Characters in the base64 of n bytes, without a NUL: 4 * ceil(n / 3).
 * n must be below SIZE_MAX / 4 * 3 (callers pass small, bounded sizes). */
#define TND_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Characters in the hex of n bytes, without a NUL. */
#define TND_HEX_LEN(n) (2 * (n))

/** Encode n bytes of in into out, which must have room for
 * TND_BASE64_LEN(n) + 1 bytes; the result is NUL-terminated. Returns out. */
char *tnd_base64_encode(const uint8_t *in, size_t n, char *out);

/** Decode the len characters at in into out (cap bytes).
 *
 * Only the canonical encoding is accepted: a length that is a multiple of 4,
 * characters of the standard alphabet, '=' padding only at the end and only
 * as needed, and zero bits where padding leaves some unused. No whitespace.
 * The empty text decodes to zero bytes.
 * @return 0 with *out_len set; TND_EMALFORMED for anything else; TND_ERANGE
 *         when the result does not fit in cap bytes; TND_EINVAL for NULL
 *         pointers (in may be NULL when len is 0).
 */
TND_MUST_CHECK int tnd_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                                     size_t *out_len);

/** Lowercase hex of n bytes of in into out, which must have room for
 * TND_HEX_LEN(n) + 1 bytes; the result is NUL-terminated. Returns out. */
char *tnd_hex_encode(const uint8_t *in, size_t n, char *out);

/** Decode the len characters at in into out (cap bytes): an even number of
 * lowercase hex digits ("0-9a-f"), nothing else (no "0x", no uppercase, no
 * whitespace).
 * @return 0 with *out_len set; TND_EMALFORMED; TND_ERANGE when the result
 *         does not fit in cap bytes; TND_EINVAL for NULL pointers. */
TND_MUST_CHECK int tnd_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap,
                                  size_t *out_len);

#endif
