/* Signed-note pieces shared by the log's own signatures (note.c) and the
 * witnesses' cosignatures (cosig.c): one home for the key, name and line
 * rules of C2SP signed-note. */
#ifndef TND_NOTE_INTERNAL_H
#define TND_NOTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/audit.h"

/* U+2014 EM DASH and a space: the start of every signature line. */
#define TND__NOTE_SIG_PREFIX "\xe2\x80\x94 "
#define TND__NOTE_SIG_PREFIX_LEN 4

/** A key name's rules (docs/LOG.md, section 5): 1 if s[0..n) is one. */
int tnd__note_name_ok(const char *s, size_t n);

/** Key id of name and an Ed25519 public key for signature type alg. */
int tnd__note_key_id(const char *name, size_t name_len, uint8_t alg, const uint8_t pub[32],
                     uint32_t *out);

/** tnd_note_verifier_parse / _format for signature type alg. */
int tnd__note_vkey_parse(const char *vkey, uint8_t alg, tnd_note_verifier *out);
int tnd__note_vkey_format(const char *name, uint8_t alg, const uint8_t pub[32], char *out,
                          size_t cap);

/** 0 when sig (64 bytes) is key's Ed25519 signature of msg; TND_ECRYPTO. */
int tnd__ed25519_verify(const uint8_t key[32], const uint8_t *sig, const char *msg, size_t len);

/** Checks the decoded signature blob (key id first) of v's line on text. */
typedef int (*tnd__note_sig_fn)(const tnd_note_verifier *v, const uint8_t *blob, size_t blob_len,
                                const char *text, size_t text_len, void *ctx);

/** tnd_note_open's parsing and rules, with the line of v checked by check;
 * on success *text_len_out is the length of the text (with its final "\n"). */
int tnd__note_open_with(const char *note, size_t len, const tnd_note_verifier *v,
                        tnd__note_sig_fn check, void *ctx, size_t *text_len_out);

#endif
