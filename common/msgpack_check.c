/* Pre-validation of untrusted MessagePack before msgpack-c sees it (codec.h).
 *
 * msgpack-c allocates an array of objects as soon as it reads a container
 * header, sized by the count the peer declared. This walker proves, without
 * allocating, that every declared count and length is backed by real bytes,
 * that nesting and the object total stay within limits.h, and that nothing
 * msgpack-c would accept but we do not want (ext types, trailing bytes) is
 * there. It is iterative: the stack of remaining element counts is a fixed
 * array bounded by TND_MSGPACK_MAX_DEPTH.
 *
 * A container whose count exceeds the bytes that follow, and a str/bin whose
 * length does, are reported as TND_EMALFORMED: like any truncation, the
 * value cannot be complete in this input.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tender/codec.h"

typedef enum item_kind {
    K_FIXED,   /* scalar, or only a header: `size` bytes in total */
    K_STR,     /* str/bin: header of `size` bytes, then a length field */
    K_ARRAY,   /* array header of `size` bytes */
    K_MAP,     /* map header of `size` bytes */
    K_EXT,     /* ext/fixext: rejected */
    K_INVALID, /* 0xc1 */
} item_kind;

/* What one leading byte introduces. */
typedef struct item_info {
    item_kind kind;
    size_t size;       /* bytes of the fixed part: the whole scalar or the header */
    const char *name;  /* for error text */
    uint32_t inline_n; /* fixstr/fixarray/fixmap: the count packed in the byte */
} item_info;

static item_info classify(uint8_t b)
{
    if (b <= 0x7f)
        return (item_info){K_FIXED, 1, "positive fixint", 0};
    if (b <= 0x8f)
        return (item_info){K_MAP, 1, "map", b & 0x0fu};
    if (b <= 0x9f)
        return (item_info){K_ARRAY, 1, "array", b & 0x0fu};
    if (b <= 0xbf)
        return (item_info){K_STR, 1, "str", b & 0x1fu};
    if (b >= 0xe0)
        return (item_info){K_FIXED, 1, "negative fixint", 0};
    switch (b) {
    case 0xc0:
        return (item_info){K_FIXED, 1, "nil", 0};
    case 0xc1:
        return (item_info){K_INVALID, 1, "0xc1", 0};
    case 0xc2:
    case 0xc3:
        return (item_info){K_FIXED, 1, "bool", 0};
    case 0xc4:
        return (item_info){K_STR, 2, "bin", 0};
    case 0xc5:
        return (item_info){K_STR, 3, "bin", 0};
    case 0xc6:
        return (item_info){K_STR, 5, "bin", 0};
    case 0xc7:
        return (item_info){K_EXT, 3, "ext8", 0};
    case 0xc8:
        return (item_info){K_EXT, 4, "ext16", 0};
    case 0xc9:
        return (item_info){K_EXT, 6, "ext32", 0};
    case 0xca:
        return (item_info){K_FIXED, 5, "float32", 0};
    case 0xcb:
        return (item_info){K_FIXED, 9, "float64", 0};
    case 0xcc:
        return (item_info){K_FIXED, 2, "uint8", 0};
    case 0xcd:
        return (item_info){K_FIXED, 3, "uint16", 0};
    case 0xce:
        return (item_info){K_FIXED, 5, "uint32", 0};
    case 0xcf:
        return (item_info){K_FIXED, 9, "uint64", 0};
    case 0xd0:
        return (item_info){K_FIXED, 2, "int8", 0};
    case 0xd1:
        return (item_info){K_FIXED, 3, "int16", 0};
    case 0xd2:
        return (item_info){K_FIXED, 5, "int32", 0};
    case 0xd3:
        return (item_info){K_FIXED, 9, "int64", 0};
    case 0xd4:
        return (item_info){K_EXT, 3, "fixext1", 0};
    case 0xd5:
        return (item_info){K_EXT, 4, "fixext2", 0};
    case 0xd6:
        return (item_info){K_EXT, 6, "fixext4", 0};
    case 0xd7:
        return (item_info){K_EXT, 10, "fixext8", 0};
    case 0xd8:
        return (item_info){K_EXT, 18, "fixext16", 0};
    case 0xd9:
        return (item_info){K_STR, 2, "str", 0};
    case 0xda:
        return (item_info){K_STR, 3, "str", 0};
    case 0xdb:
        return (item_info){K_STR, 5, "str", 0};
    case 0xdc:
        return (item_info){K_ARRAY, 3, "array", 0};
    case 0xdd:
        return (item_info){K_ARRAY, 5, "array", 0};
    case 0xde:
        return (item_info){K_MAP, 3, "map", 0};
    default:
        return (item_info){K_MAP, 5, "map", 0}; /* 0xdf */
    }
}

/* The big-endian length/count after the type byte of a header of `size` bytes. */
static uint32_t header_count(const uint8_t *p, size_t size, uint32_t inline_n)
{
    uint32_t n = 0;
    if (size == 1)
        return inline_n;
    for (size_t i = 1; i < size; i++)
        n = (n << 8) | p[i];
    return n;
}

static int fail(tnd_codec_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(tnd_codec_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Validate the item at data[pos]; on success set *next past its fixed part
 * and body, and *count to the elements it opens (0 for scalars and strings;
 * for maps twice the entries, as keys and values are separate objects). */
static int check_item(const uint8_t *data, size_t len, size_t pos, size_t *next, uint64_t *count,
                      tnd_codec_err *err)
{
    item_info it = classify(data[pos]);
    size_t left = len - pos;
    if (it.kind == K_INVALID)
        return fail(err, TND_EMALFORMED, "byte 0xc1 at offset %zu is never used in MessagePack",
                    pos);
    if (it.kind == K_EXT)
        return fail(err, TND_EEXTTYPE, "%s at offset %zu: ext types are not allowed", it.name, pos);
    if (it.size > left)
        return fail(err, TND_EMALFORMED, "%s at offset %zu needs %zu bytes but only %zu remain",
                    it.name, pos, it.size, left);
    uint64_t n = header_count(data + pos, it.size, it.inline_n);
    size_t after = left - it.size; /* bytes after the fixed part */
    *next = pos + it.size;
    *count = 0;
    switch (it.kind) {
    case K_STR:
        if (n > after)
            return fail(err, TND_EMALFORMED,
                        "%s at offset %zu declares %" PRIu64 " bytes but only %zu follow", it.name,
                        pos, n, after);
        *next += (size_t)n;
        return 0;
    case K_ARRAY:
        /* every element takes at least one byte */
        if (n > after)
            return fail(err, TND_EMALFORMED,
                        "array at offset %zu declares %" PRIu64
                        " elements but only %zu bytes follow",
                        pos, n, after);
        *count = n;
        return 0;
    case K_MAP:
        if (2 * n > after) /* n < 2^32: no overflow in 64 bits */
            return fail(err, TND_EMALFORMED,
                        "map at offset %zu declares %" PRIu64 " entries but only %zu bytes follow",
                        pos, n, after);
        *count = 2 * n;
        return 0;
    default:
        return 0;
    }
}

/* tnd_msgpack_check, and the number of objects in the value (*objects). */
static int check_counting(const uint8_t *data, size_t len, uint64_t *objects_out,
                          tnd_codec_err *err)
{
    uint64_t stack[TND_MSGPACK_MAX_DEPTH]; /* elements still to come in each open container */
    size_t depth = 0, pos = 0;
    uint64_t objects = 0;
    if (!data && len > 0)
        return fail(err, TND_EINVAL, "no input buffer");
    do {
        if (pos >= len)
            return fail(err, TND_EMALFORMED, "input ends at offset %zu where a value is expected",
                        pos);
        if (++objects > TND_MSGPACK_MAX_OBJECTS)
            return fail(err, TND_ELIMIT, "more than %u objects in one value (at offset %zu)",
                        (unsigned)TND_MSGPACK_MAX_OBJECTS, pos);
        uint8_t b = data[pos];
        bool container = (b >= 0x80 && b <= 0x9f) || (b >= 0xdc && b <= 0xdf);
        /* msgpack-c refuses to open a container, even an empty one, once
         * MSGPACK_EMBED_STACK_SIZE (32) are open; so do we. */
        if (container && depth == TND_MSGPACK_MAX_DEPTH)
            return fail(err, TND_ETOODEEP, "%s at offset %zu nests deeper than %d levels",
                        classify(b).name, pos, TND_MSGPACK_MAX_DEPTH);
        size_t next = 0;
        uint64_t count = 0;
        int rc = check_item(data, len, pos, &next, &count, err);
        if (rc != 0)
            return rc;
        pos = next;
        if (count > 0) {
            stack[depth++] = count;
            continue;
        }
        /* a complete value: close every container it completes */
        while (depth > 0 && --stack[depth - 1] == 0)
            depth--;
    } while (depth > 0);
    if (pos != len)
        return fail(err, TND_ETRAILING, "%zu trailing byte%s at offset %zu after the value",
                    len - pos, len - pos == 1 ? "" : "s", pos);
    *objects_out = objects;
    return 0;
}

int tnd_msgpack_check(const uint8_t *data, size_t len, tnd_codec_err *err)
{
    uint64_t objects;
    return check_counting(data, len, &objects, err);
}

int tnd_msgpack_unpack(const uint8_t *data, size_t len, msgpack_object *obj,
                       msgpack_zone **zone_out, tnd_codec_err *err)
{
    *zone_out = NULL;
    uint64_t objects = 0;
    int rc = check_counting(data, len, &objects, err);
    if (rc != 0)
        return rc;
    /* The zone's first chunk sized to the value's objects, as the check
     * counted them: the unpacker takes one msgpack_object per array element
     * and two per map entry, and never copies str/bin bodies, so a bid of a
     * few KiB of ciphertext needs a few hundred bytes, not 8 KiB; a block
     * that small comes from malloc's per-thread cache. The zone adds
     * chunks if it ever needs more. */
    size_t chunk = objects < (MSGPACK_ZONE_CHUNK_SIZE - 64) / sizeof(msgpack_object)
                       ? (size_t)objects * sizeof(msgpack_object) + 64
                       : MSGPACK_ZONE_CHUNK_SIZE;
    msgpack_zone *zone = msgpack_zone_new(chunk);
    if (!zone)
        return fail(err, TND_ENOMEM, "out of memory unpacking %zu bytes", len);
    size_t off = 0;
    /* msgpack-c's C unpacker never copies str/bin bodies: they point into data. */
    msgpack_unpack_return ur = msgpack_unpack((const char *)data, len, &off, zone, obj);
    if (ur == MSGPACK_UNPACK_SUCCESS && off == len) {
        *zone_out = zone;
        return 0;
    }
    msgpack_zone_free(zone);
    if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
        return fail(err, TND_ENOMEM, "out of memory unpacking %zu bytes", len);
    /* the checker accepted it, so msgpack-c disagreeing is a bug in one of us */
    return fail(err, TND_EMALFORMED, "msgpack-c rejected a value the checker accepted (%d)",
                (int)ur);
}

const char *tnd_msgpack_type_name(const msgpack_object *obj)
{
    switch (obj->type) {
    case MSGPACK_OBJECT_NIL:
        return "nil";
    case MSGPACK_OBJECT_BOOLEAN:
        return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return "uint64";
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return "int64";
    case MSGPACK_OBJECT_FLOAT32:
        return "float32";
    case MSGPACK_OBJECT_FLOAT64:
        return "float64";
    case MSGPACK_OBJECT_STR:
        return "str";
    case MSGPACK_OBJECT_ARRAY:
        return "array";
    case MSGPACK_OBJECT_MAP:
        return "map";
    case MSGPACK_OBJECT_BIN:
        return "bin";
    case MSGPACK_OBJECT_EXT:
        return "ext";
    }
    return "unknown";
}
