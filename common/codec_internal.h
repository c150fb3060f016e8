/* Helpers shared by the codec's halves: codec.c (init, free, check, pack,
 * encode) and codec_decode.c (from_object, decode). Not a public header. */
#ifndef TND_CODEC_INTERNAL_H
#define TND_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tender/codec.h"

/* The field path of the value being worked on, for error text:
 * "Containers.r_msg[2].u64". Long paths are cut, never overflowed. */
typedef struct tnd_path {
    char buf[160];
    size_t len;
    tnd_codec_err *err;
    tnd_arena *arena; /* decoding: where the message's memory comes from; NULL: malloc */
    bool view_bytes;  /* decoding into an arena: bytes fields point into the input */
} tnd_path;

/** Start a path at the short name of d ("Scalars" for "tender.test.v1.Scalars"). */
void tnd_path_init(tnd_path *p, const tnd_msg_desc *d, tnd_codec_err *err);

/** Append ".name", "[i]" or ["key"]; each returns the length to restore with tnd_path_pop. */
size_t tnd_path_field(tnd_path *p, const char *name);
size_t tnd_path_index(tnd_path *p, size_t i);
size_t tnd_path_key(tnd_path *p, const char *key, size_t len);
void tnd_path_pop(tnd_path *p, size_t len);

/** Write "<path>: <fmt...>" to p->err (if any) and return code. */
int tnd_path_fail(const tnd_path *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Offset of the first byte that makes s not valid UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included), or len if it is valid. */
size_t tnd_utf8_invalid_at(const uint8_t *s, size_t len);

/** Check one string's bytes: within limit, valid UTF-8, no NUL. Returns 0,
 * TND_ELIMIT or TND_EUTF8 with the error at p. */
int tnd_check_str(const tnd_path *p, const char *s, size_t len, uint32_t limit);

/** Name of a field type as used in "expected ..." error text. */
const char *tnd_ftype_name(tnd_ftype t);

/* The limits that apply to a field: its own, or the defaults of limits.h. */
static inline uint32_t tnd_field_max_len(const tnd_field_desc *f)
{
    if (f->max_len)
        return f->max_len;
    return f->type == TND_T_BYTES ? TND_DEFAULT_MAX_BYTES : TND_DEFAULT_MAX_STRING;
}

static inline uint32_t tnd_field_max_count(const tnd_field_desc *f)
{
    return f->max_count ? f->max_count : TND_DEFAULT_MAX_COUNT;
}

/* Map keys: the field's max_len when it sets one (it bounds every string of
 * the field), else the default string limit. */
static inline uint32_t tnd_field_max_key_len(const tnd_field_desc *f)
{
    return f->max_len ? f->max_len : TND_DEFAULT_MAX_STRING;
}

static inline void *tnd_at(void *msg, size_t off)
{
    return (char *)msg + off;
}

static inline const void *tnd_cat(const void *msg, size_t off)
{
    return (const char *)msg + off;
}

#endif
