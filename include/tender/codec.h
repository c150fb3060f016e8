/* The MessagePack codec runtime behind every generated message type.
 *
 * The schema compiler (tools/schemac) turns the schema files in schema/ into C structs and
 * one constant descriptor per message. These functions read the descriptors to
 * initialise, free, encode, decode and check limits; generated code adds only
 * typed inline wrappers around them.
 *
 * Wire form: a message is a MessagePack map whose keys are the field numbers
 * (positive integers). Fields at their default value are omitted, unknown
 * field numbers are skipped on decode, and a missing field keeps its default.
 *
 * C representation of a field (T is the element type below):
 *   singular scalar     T name;                      default 0 / false
 *   optional scalar     bool has_name; T name;       presence travels on the wire
 *   string              char *name;                  NUL-terminated UTF-8, NULL means ""
 *   bytes               tnd_bytes name;              {NULL, 0} means empty
 *   enum                <Enum> name;                 stored as int32_t, unknown values kept
 *   message             <Msg> *name;                 NULL means absent
 *   repeated T          size_t n_name; T *name;      messages stored inline in the array
 *   map<string, V>      size_t n_name; <Entry> *name; Entry is { char *key; V value; }
 *
 * Every pointer in a decoded message is owned by it and freed by
 * tnd_msg_free(), unless the message was decoded or copied into an arena
 * (the *_in functions): then the message and everything it points to live
 * in the arena, are freed with it, and tnd_msg_free must not be called on it.
 * Strings never contain NUL bytes.
 */
#ifndef TENDER_CODEC_H
#define TENDER_CODEC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender/limits.h"


/* common/arena.h: memory of one unit of work, freed at once. */
typedef struct tnd_arena tnd_arena;

typedef struct tnd_bytes {
    uint8_t *data;
    size_t len;
} tnd_bytes;

typedef enum tnd_ftype {
    TND_T_BOOL = 1,
    TND_T_INT32,
    TND_T_INT64,
    TND_T_UINT32,
    TND_T_UINT64,
    TND_T_DOUBLE,
    TND_T_STRING,
    TND_T_BYTES,
    TND_T_ENUM,
    TND_T_MESSAGE,
} tnd_ftype;

typedef enum tnd_flabel {
    TND_L_SINGULAR = 0, /* proto3 implicit presence; messages are pointers */
    TND_L_OPTIONAL,     /* explicit presence: has_<name> flag at aux_offset */
    TND_L_REPEATED,     /* array at offset, count (size_t) at aux_offset */
    TND_L_MAP,          /* entry array at offset, count (size_t) at aux_offset */
} tnd_flabel;

typedef struct tnd_enum_value {
    const char *name; /* as written in the schema, e.g. "SERVING" */
    int32_t number;
} tnd_enum_value;

typedef struct tnd_enum_desc {
    const char *full_name; /* "tender.health.v1.ServingStatus" */
    size_t n_values;
    const tnd_enum_value *values; /* in declaration order */
} tnd_enum_desc;

struct tnd_msg_desc;

typedef struct tnd_field_desc {
    uint32_t number;   /* the field number: the key on the wire */
    const char *name;  /* as written in the schema, used in error paths */
    tnd_ftype type;    /* for maps: the type of the value */
    tnd_flabel label;
    size_t offset;     /* value, or pointer to the array for repeated/map */
    size_t aux_offset; /* bool has_ flag (OPTIONAL) or size_t count (REPEATED/MAP) */
    size_t elem_size;  /* size of one array element or one map entry (REPEATED/MAP) */
    size_t map_value_offset;           /* offset of `value` inside a map entry (MAP) */
    const struct tnd_msg_desc *msg;    /* TND_T_MESSAGE: the nested message */
    const struct tnd_enum_desc *enm;   /* TND_T_ENUM: the enum */
    uint32_t max_len;   /* string/bytes limit in bytes; 0: TND_DEFAULT_MAX_STRING/BYTES.
                         * For a map it bounds the keys as well as string/bytes values. */
    uint32_t max_count; /* repeated/map limit; 0: TND_DEFAULT_MAX_COUNT */
    /* What a request must carry (tnd_msg_check_rules); the decoder ignores them. */
    bool required;      /* singular string/bytes/message: not empty / absent */
    uint32_t len;       /* singular string/bytes: when not empty, exactly this many bytes */
    /* required = "...": the whole refusal when this field is missing or (len) of
     * another length; NULL: "<path>: required" and "<path>: N bytes". */
    const char *required_msg;
} tnd_field_desc;

typedef struct tnd_msg_desc {
    const char *full_name; /* "tender.health.v1.HealthCheckRequest" */
    size_t size;           /* sizeof the C struct */
    size_t n_fields;
    const tnd_field_desc *fields; /* sorted by field number */
} tnd_msg_desc;

/* Where a decode or limit check failed, for a message a person can act on:
 * "tender.items[2].quantity: expected uint64, got str". */
typedef struct tnd_codec_err {
    char text[256];
} tnd_codec_err;

/** Set every field of msg to its default (zero). */
void tnd_msg_init(const tnd_msg_desc *d, void *msg);

/** Free everything msg owns and reset it to defaults. msg itself is not freed. NULL is allowed. */
void tnd_msg_free(const tnd_msg_desc *d, void *msg);

/** Check msg against the schema's limits (max_len, max_count, UTF-8, no NUL in strings)
 * and against what every receiver accepts: nesting within TND_MSGPACK_MAX_DEPTH
 * (which also stops a cyclic message) and at most TND_MSGPACK_MAX_OBJECTS objects.
 * Returns 0 or TND_ELIMIT / TND_EUTF8 / TND_ETOODEEP with err (may be NULL)
 * naming the field path. */
TND_MUST_CHECK int tnd_msg_check(const tnd_msg_desc *d, const void *msg, tnd_codec_err *err);

/** Check what the schema's `required` and `len` options ask of a request:
 * every required field is set (a string or bytes not empty, a message
 * present) and every field with a `len` is empty or exactly that long, in
 * present nested messages too (repeated ones included). A required field of
 * an absent nested message counts as missing, so an AwardRequest without
 * its decision is told "decision.tender_id: required". Fields are checked in
 * field-number order and the first problem is reported, as err->text
 * "<path>: required" or "<path>: <len> bytes" (the path from msg, e.g.
 * "decision.tender_id"). tenderd runs it on every request after decoding;
 * stored records and answers are never held to it. Returns 0 or
 * TND_EINVAL. */
TND_MUST_CHECK int tnd_msg_check_rules(const tnd_msg_desc *d, const void *msg, tnd_codec_err *err);

/** Append msg as one MessagePack map to pk. Does not check limits (see tnd_msg_check).
 * Returns 0, TND_ENOMEM (a write failed), or TND_ELIMIT for a count or length
 * beyond what MessagePack can express (UINT32_MAX). */
TND_MUST_CHECK int tnd_msg_pack(const tnd_msg_desc *d, const void *msg, msgpack_packer *pk);

/** Encode msg into a fresh buffer (malloc'd, caller frees *out with free()).
 * Returns 0, TND_ENOMEM, or a tnd_msg_check error. */
TND_MUST_CHECK int tnd_msg_encode(const tnd_msg_desc *d, const void *msg, uint8_t **out,
                                  size_t *out_len, tnd_codec_err *err);

/** The length of msg's encoding into *len, without building it (and without
 * checking limits): what a paged answer counts against the frame size.
 * Returns 0 or a tnd_msg_pack error. */
TND_MUST_CHECK int tnd_msg_size(const tnd_msg_desc *d, const void *msg, size_t *len);

/** SHA-256 of msg's encoding into out (its old data is freed; 32 fresh bytes):
 * the object hashes the log, receipts and opening records carry.
 * Returns 0, TND_ENOMEM or a tnd_msg_encode error. */
TND_MUST_CHECK int tnd_msg_hash(const tnd_msg_desc *d, const void *msg, tnd_bytes *out);

/** Decode an already unpacked object into msg (which must be initialised; on
 * failure it is left freed and initialised). Anything msg held before is freed
 * first: decoding replaces, it never merges. The object must come from
 * tnd_msgpack_unpack() or an equally validated source. Enforces the field limits.
 * A string present on the wire is never NULL afterwards (an empty one is "");
 * nil for a field means absent. */
TND_MUST_CHECK int tnd_msg_from_object(const tnd_msg_desc *d, const msgpack_object *obj,
                                       void *msg, tnd_codec_err *err);

/** Validate, unpack and decode exactly one message from untrusted bytes.
 * msg must be initialised. Returns 0 or a negative TND_E* code with err set. */
TND_MUST_CHECK int tnd_msg_decode(const tnd_msg_desc *d, const uint8_t *data, size_t len,
                                  void *msg, tnd_codec_err *err);

/* ---- Messages in an arena -------------------------------------------------- */

/** As tnd_msg_from_object, with msg and everything it points to allocated
 * in arena. msg need not be initialised and is not freed first (anything it
 * held is forgotten, not freed). On failure msg is left initialised and what
 * was allocated stays in the arena (tnd_arena_rewind gives it back); an
 * arena that fails (its cap) gives TND_ENOMEM. */
TND_MUST_CHECK int tnd_msg_from_object_in(const tnd_msg_desc *d, tnd_arena *arena,
                                          const msgpack_object *obj, void *msg,
                                          tnd_codec_err *err);

/** As tnd_msg_decode, into arena (see tnd_msg_from_object_in). */
TND_MUST_CHECK int tnd_msg_decode_in(const tnd_msg_desc *d, tnd_arena *arena,
                                     const uint8_t *data, size_t len, void *msg,
                                     tnd_codec_err *err);

/** As tnd_msg_decode_in, except that every bytes field points into data
 * instead of being copied: the message is valid only as long as data is, and
 * its bytes must not be written. For a message that is read and dropped at
 * once (one chunk of an upload, copied to where it is kept), this saves a
 * copy of the chunk and as much fresh memory. Strings are still copied (they
 * end in a NUL). */
TND_MUST_CHECK int tnd_msg_decode_view_in(const tnd_msg_desc *d, tnd_arena *arena,
                                          const uint8_t *data, size_t len, void *msg,
                                          tnd_codec_err *err);

/** A new message of type d in arena, every field at its default, or NULL
 * (the arena failed). */
void *tnd_msg_new_in(const tnd_msg_desc *d, tnd_arena *arena);

/** A deep copy of src into dst, every string, bytes, array and nested
 * message of it allocated in arena (src is not changed and may be owned
 * either way). Returns 0, or TND_ENOMEM when the arena failed (dst is then
 * left initialised). No encoding is involved: limits are not checked. */
TND_MUST_CHECK int tnd_msg_copy_in(const tnd_msg_desc *d, tnd_arena *arena, const void *src,
                                   void *dst);

/** A deep copy of src into dst with malloc, owned by dst (tnd_msg_free).
 * dst's old content is not freed. Returns 0, or TND_ENOMEM with dst
 * initialised. */
TND_MUST_CHECK int tnd_msg_copy(const tnd_msg_desc *d, const void *src, void *dst);

/* ---- Untrusted MessagePack ------------------------------------------------ */

/** Check that data holds exactly one well-formed MessagePack value that is safe
 * to hand to msgpack-c: depth <= TND_MSGPACK_MAX_DEPTH, at most
 * TND_MSGPACK_MAX_OBJECTS objects, every container count and str/bin length
 * within the remaining bytes, no ext types, no trailing bytes. Allocates nothing.
 * A count or length beyond the remaining bytes is TND_EMALFORMED (the value
 * cannot be complete), e.g. "map at offset 0 declares 4294967295 entries but
 * only 0 bytes follow".
 * Returns 0, TND_EMALFORMED (truncated or invalid), TND_ETOODEEP, TND_ELIMIT,
 * TND_EEXTTYPE or TND_ETRAILING, with err (may be NULL) saying where. */
TND_MUST_CHECK int tnd_msgpack_check(const uint8_t *data, size_t len, tnd_codec_err *err);

/** tnd_msgpack_check(), then unpack with msgpack-c into a zone the caller
 * frees with msgpack_zone_free(*zone_out) (zone_out is NULL on error).
 * Strings and bins in *obj point into data: keep data alive while using obj. */
TND_MUST_CHECK int tnd_msgpack_unpack(const uint8_t *data, size_t len, msgpack_object *obj,
                                      msgpack_zone **zone_out, tnd_codec_err *err);

/** Name of a MessagePack object type as used in error messages ("str", "uint64", "map"). */
const char *tnd_msgpack_type_name(const msgpack_object *obj);

#endif
