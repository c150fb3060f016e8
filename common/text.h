/* Text a peer sent, made safe to show to a person and to write in a log. */
#ifndef TND_COMMON_TEXT_H
#define TND_COMMON_TEXT_H

#include <stddef.h>
#include <stdint.h>

/** Copy the len bytes at s (any bytes: a method name from a CALL frame, a
 * map key) into out as text: valid, printable UTF-8 is kept; each byte of a
 * control character (C0, DEL, C1), of '"' and '\' and of anything that is
 * not valid UTF-8 is written as \xNN. out (cap >= 1 bytes) is always
 * NUL-terminated; text that does not fit is cut between characters.
 * Returns the length written. */
size_t tnd_text_escape(char *out, size_t cap, const uint8_t *s, size_t len);

#endif
