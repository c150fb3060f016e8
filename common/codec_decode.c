/* Decoding messages from unpacked MessagePack (codec.h): tnd_msg_from_object
 * and tnd_msg_decode.
 *
 * Every peer-declared size is compared with the field's limit before anything
 * is allocated. Arrays are stored in the message as soon as they are
 * allocated (zeroed, which is the initial state of every element type), so a
 * failure half-way is undone by one tnd_msg_free of the whole message.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec_internal.h"

/* The decoded message's memory: from the arena when decoding into one (it
 * is zeroed), else malloc'd for tnd_msg_free. */
static void *dec_alloc(const tnd_path *p, size_t n)
{
    return p->arena ? tnd_arena_alloc(p->arena, n) : malloc(n ? n : 1);
}

static void *dec_calloc(const tnd_path *p, size_t n, size_t size)
{
    return p->arena ? tnd_arena_calloc(p->arena, n, size) : calloc(n, size);
}

static int decode_msg(tnd_path *p, const tnd_msg_desc *d, const msgpack_object *obj, void *msg);

static int wrong_type(const tnd_path *p, const char *expected, const msgpack_object *o)
{
    return tnd_path_fail(p, TND_ETYPE, "expected %s, got %s", expected, tnd_msgpack_type_name(o));
}

/* ---- scalars -------------------------------------------------------------- */

/* An integer from either MessagePack int family, within [min, max]. */
static int get_signed(const tnd_path *p, const msgpack_object *o, tnd_ftype t, int64_t min,
                      int64_t max, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)max)
            return tnd_path_fail(p, TND_ERANGE, "%" PRIu64 " is out of range for %s", o->via.u64,
                                 tnd_ftype_name(t));
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        if (o->via.i64 < min)
            return tnd_path_fail(p, TND_ERANGE, "%" PRId64 " is out of range for %s", o->via.i64,
                                 tnd_ftype_name(t));
        *out = o->via.i64;
        return 0;
    }
    return wrong_type(p, tnd_ftype_name(t), o);
}

static int get_unsigned(const tnd_path *p, const msgpack_object *o, tnd_ftype t, uint64_t max,
                        uint64_t *out)
{
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return tnd_path_fail(p, TND_ERANGE, "%" PRId64 " is out of range for %s", o->via.i64,
                             tnd_ftype_name(t));
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return wrong_type(p, tnd_ftype_name(t), o);
    if (o->via.u64 > max)
        return tnd_path_fail(p, TND_ERANGE, "%" PRIu64 " is out of range for %s", o->via.u64,
                             tnd_ftype_name(t));
    *out = o->via.u64;
    return 0;
}

static int get_double(const tnd_path *p, const msgpack_object *o, double *out)
{
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32: /* msgpack-c widens float32 into f64 */
    case MSGPACK_OBJECT_FLOAT64:
        *out = o->via.f64;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *out = (double)o->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *out = (double)o->via.i64;
        return 0;
    default:
        return wrong_type(p, "double", o);
    }
}

/* A checked, NUL-terminated copy of a str object. Present strings are never
 * NULL after decoding, even empty ones. */
static int get_string(const tnd_path *p, const msgpack_object *o, uint32_t limit, char **out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return wrong_type(p, "str", o);
    size_t len = o->via.str.size;
    int rc = tnd_check_str(p, o->via.str.ptr, len, limit); /* before the copy */
    if (rc != 0)
        return rc;
    char *s = dec_alloc(p, len + 1);
    if (!s)
        return tnd_path_fail(p, TND_ENOMEM, "out of memory for %zu bytes", len + 1);
    if (len)
        memcpy(s, o->via.str.ptr, len);
    s[len] = '\0';
    *out = s;
    return 0;
}

static int get_bytes(const tnd_path *p, const msgpack_object *o, uint32_t limit, tnd_bytes *out)
{
    if (o->type != MSGPACK_OBJECT_BIN)
        return wrong_type(p, "bin", o);
    size_t len = o->via.bin.size;
    if (len > limit)
        return tnd_path_fail(p, TND_ELIMIT, "%zu bytes exceed max_len %" PRIu32, len, limit);
    if (len == 0)
        return 0;
    if (p->view_bytes) { /* the input outlives the message (tnd_msg_decode_view_in) */
        out->data = (uint8_t *)o->via.bin.ptr;
        out->len = len;
        return 0;
    }
    out->data = dec_alloc(p, len);
    if (!out->data)
        return tnd_path_fail(p, TND_ENOMEM, "out of memory for %zu bytes", len);
    memcpy(out->data, o->via.bin.ptr, len);
    out->len = len;
    return 0;
}

/* Decode o into the value at v, which is zeroed. Messages are boxed (v holds
 * a pointer) for singular fields and inline in arrays and map entries. */
static int decode_value(tnd_path *p, const tnd_field_desc *f, const msgpack_object *o, void *v,
                        bool boxed)
{
    int64_t i = 0;
    uint64_t u = 0;
    int rc;
    switch (f->type) {
    case TND_T_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return wrong_type(p, "bool", o);
        *(bool *)v = o->via.boolean;
        return 0;
    case TND_T_INT32:
    case TND_T_ENUM: /* unknown enum numbers are kept, for newer peers */
        rc = get_signed(p, o, f->type, INT32_MIN, INT32_MAX, &i);
        *(int32_t *)v = (int32_t)i;
        return rc;
    case TND_T_INT64:
        rc = get_signed(p, o, f->type, INT64_MIN, INT64_MAX, &i);
        *(int64_t *)v = i;
        return rc;
    case TND_T_UINT32:
        rc = get_unsigned(p, o, f->type, UINT32_MAX, &u);
        *(uint32_t *)v = (uint32_t)u;
        return rc;
    case TND_T_UINT64:
        rc = get_unsigned(p, o, f->type, UINT64_MAX, &u);
        *(uint64_t *)v = u;
        return rc;
    case TND_T_DOUBLE:
        return get_double(p, o, (double *)v);
    case TND_T_STRING:
        return get_string(p, o, tnd_field_max_len(f), (char **)v);
    case TND_T_BYTES:
        return get_bytes(p, o, tnd_field_max_len(f), (tnd_bytes *)v);
    case TND_T_MESSAGE:
        if (!boxed)
            return decode_msg(p, f->msg, o, v);
        if (o->type != MSGPACK_OBJECT_MAP) /* before allocating the box */
            return wrong_type(p, "map", o);
        *(void **)v = dec_calloc(p, 1, f->msg->size);
        if (!*(void **)v)
            return tnd_path_fail(p, TND_ENOMEM, "out of memory for %zu bytes", f->msg->size);
        return decode_msg(p, f->msg, o, *(void **)v);
    }
    return tnd_path_fail(p, TND_EINVAL, "field has unknown type %d", (int)f->type);
}

/* ---- repeated and map fields ------------------------------------------------ */

/* Allocate n zeroed elements into the field, after the count check. */
static int alloc_array(const tnd_path *p, const tnd_field_desc *f, void *msg, uint32_t n,
                       const char *what)
{
    if (n > tnd_field_max_count(f))
        return tnd_path_fail(p, TND_ELIMIT, "%" PRIu32 " %s exceed max_count %" PRIu32, n, what,
                             tnd_field_max_count(f));
    if (n == 0)
        return 0;
    if (f->elem_size == 0 || n > SIZE_MAX / f->elem_size)
        return tnd_path_fail(p, TND_ELIMIT, "%" PRIu32 " %s are too large", n, what);
    void *arr = dec_calloc(p, n, f->elem_size);
    if (!arr)
        return tnd_path_fail(p, TND_ENOMEM, "out of memory for %" PRIu32 " %s", n, what);
    *(void **)tnd_at(msg, f->offset) = arr;
    *(size_t *)tnd_at(msg, f->aux_offset) = n;
    return 0;
}

static int decode_repeated(tnd_path *p, const tnd_field_desc *f, const msgpack_object *o, void *msg)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return wrong_type(p, "array", o);
    int rc = alloc_array(p, f, msg, o->via.array.size, "elements");
    char *arr = *(char **)tnd_at(msg, f->offset);
    for (uint32_t i = 0; rc == 0 && i < o->via.array.size; i++) {
        size_t mark = tnd_path_index(p, i);
        rc = decode_value(p, f, &o->via.array.ptr[i], arr + i * f->elem_size, false);
        tnd_path_pop(p, mark);
    }
    return rc;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key given twice would make the entry array ambiguous: sort copies of the
 * key pointers (at most max_count of them) and compare neighbours. */
static int check_unique_keys(tnd_path *p, const tnd_field_desc *f, void *msg)
{
    size_t n = *(size_t *)tnd_at(msg, f->aux_offset);
    const char *arr = *(char **)tnd_at(msg, f->offset);
    if (n < 2)
        return 0;
    char **keys = malloc(n * sizeof *keys); /* n <= max_count <= UINT32_MAX */
    if (!keys)
        return tnd_path_fail(p, TND_ENOMEM, "out of memory for %zu keys", n);
    for (size_t i = 0; i < n; i++)
        keys[i] = *(char *const *)(arr + i * f->elem_size);
    qsort(keys, n, sizeof *keys, cmp_keys);
    int rc = 0;
    for (size_t i = 1; rc == 0 && i < n; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            size_t mark = tnd_path_key(p, keys[i], strlen(keys[i]));
            rc = tnd_path_fail(p, TND_EDUPFIELD, "key given twice");
            tnd_path_pop(p, mark);
        }
    free(keys);
    return rc;
}

static int decode_map(tnd_path *p, const tnd_field_desc *f, const msgpack_object *o, void *msg)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return wrong_type(p, "map", o);
    int rc = alloc_array(p, f, msg, o->via.map.size, "entries");
    char *arr = *(char **)tnd_at(msg, f->offset);
    for (uint32_t i = 0; rc == 0 && i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        char *e = arr + i * f->elem_size;
        if (k->type != MSGPACK_OBJECT_STR)
            return wrong_type(p, "str key", k);
        size_t mark = tnd_path_key(p, k->via.str.ptr, k->via.str.size);
        rc = get_string(p, k, tnd_field_max_key_len(f), (char **)e);
        if (rc == 0)
            rc = decode_value(p, f, &o->via.map.ptr[i].val, e + f->map_value_offset, false);
        tnd_path_pop(p, mark);
    }
    return rc == 0 ? check_unique_keys(p, f, msg) : rc;
}

/* ---- messages --------------------------------------------------------------- */

static const tnd_field_desc *find_field(const tnd_msg_desc *d, uint32_t number)
{
    size_t lo = 0, hi = d->n_fields; /* fields are sorted by number */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->fields[mid].number == number)
            return &d->fields[mid];
        if (d->fields[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int field_key(const tnd_path *p, const msgpack_object *k, uint32_t *number)
{
    if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER && k->via.u64 >= 1 && k->via.u64 <= UINT32_MAX) {
        *number = (uint32_t)k->via.u64;
        return 0;
    }
    if (k->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return tnd_path_fail(p, TND_ETYPE, "expected field number, got %" PRIu64, k->via.u64);
    if (k->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return tnd_path_fail(p, TND_ETYPE, "expected field number, got %" PRId64, k->via.i64);
    return wrong_type(p, "field number", k);
}

static int decode_field(tnd_path *p, const tnd_field_desc *f, const msgpack_object *v, void *msg)
{
    if (v->type == MSGPACK_OBJECT_NIL)
        return 0; /* nil: the field is absent */
    switch (f->label) {
    case TND_L_REPEATED:
        return decode_repeated(p, f, v, msg);
    case TND_L_MAP:
        return decode_map(p, f, v, msg);
    case TND_L_OPTIONAL:
        *(bool *)tnd_at(msg, f->aux_offset) = true;
        break;
    case TND_L_SINGULAR:
        break;
    }
    return decode_value(p, f, v, tnd_at(msg, f->offset), true);
}

/* Fields seen so far, to refuse one given twice: a bit per descriptor index. */
enum { SEEN_INLINE_BITS = 512 };

static int decode_msg(tnd_path *p, const tnd_msg_desc *d, const msgpack_object *obj, void *msg)
{
    if (obj->type != MSGPACK_OBJECT_MAP)
        return wrong_type(p, "map", obj);
    uint64_t seen_inline[SEEN_INLINE_BITS / 64] = {0};
    uint64_t *seen = seen_inline;
    if (d->n_fields > SEEN_INLINE_BITS) {
        seen = calloc((d->n_fields + 63) / 64, sizeof *seen);
        if (!seen)
            return tnd_path_fail(p, TND_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < obj->via.map.size; i++) {
        uint32_t number = 0;
        rc = field_key(p, &obj->via.map.ptr[i].key, &number);
        if (rc != 0)
            break;
        const tnd_field_desc *f = find_field(d, number);
        if (!f)
            continue; /* unknown: from a newer schema */
        size_t idx = (size_t)(f - d->fields);
        size_t mark = tnd_path_field(p, f->name);
        if (seen[idx / 64] & (1ull << (idx % 64)))
            rc = tnd_path_fail(p, TND_EDUPFIELD, "field %" PRIu32 " given twice", number);
        else
            rc = decode_field(p, f, &obj->via.map.ptr[i].val, msg);
        seen[idx / 64] |= 1ull << (idx % 64);
        tnd_path_pop(p, mark);
    }
    if (seen != seen_inline)
        free(seen);
    return rc;
}

int tnd_msg_from_object(const tnd_msg_desc *d, const msgpack_object *obj, void *msg,
                        tnd_codec_err *err)
{
    tnd_path p;
    tnd_path_init(&p, d, err);
    tnd_msg_free(d, msg); /* decoding replaces, never merges */
    int rc = decode_msg(&p, d, obj, msg);
    if (rc != 0)
        tnd_msg_free(d, msg);
    return rc;
}

static int from_object_in(const tnd_msg_desc *d, tnd_arena *arena, const msgpack_object *obj,
                          void *msg, bool view_bytes, tnd_codec_err *err)
{
    tnd_path p;
    tnd_path_init(&p, d, err);
    p.arena = arena;
    p.view_bytes = view_bytes;
    tnd_msg_init(d, msg);
    int rc = decode_msg(&p, d, obj, msg);
    if (rc == 0 && tnd_arena_failed(arena)) /* a failure the path did not see */
        rc = tnd_path_fail(&p, TND_ENOMEM, "out of memory");
    if (rc != 0)
        tnd_msg_init(d, msg);
    return rc;
}

int tnd_msg_from_object_in(const tnd_msg_desc *d, tnd_arena *arena, const msgpack_object *obj,
                           void *msg, tnd_codec_err *err)
{
    return from_object_in(d, arena, obj, msg, false, err);
}

int tnd_msg_decode(const tnd_msg_desc *d, const uint8_t *data, size_t len, void *msg,
                   tnd_codec_err *err)
{
    msgpack_object obj;
    msgpack_zone *zone = NULL;
    tnd_msg_free(d, msg);
    int rc = tnd_msgpack_unpack(data, len, &obj, &zone, err);
    if (rc != 0)
        return rc;
    rc = tnd_msg_from_object(d, &obj, msg, err);
    msgpack_zone_free(zone);
    return rc;
}

static int decode_in(const tnd_msg_desc *d, tnd_arena *arena, const uint8_t *data, size_t len,
                     void *msg, bool view_bytes, tnd_codec_err *err)
{
    msgpack_object obj;
    msgpack_zone *zone = NULL;
    tnd_msg_init(d, msg);
    int rc = tnd_msgpack_unpack(data, len, &obj, &zone, err);
    if (rc != 0)
        return rc;
    rc = from_object_in(d, arena, &obj, msg, view_bytes, err);
    msgpack_zone_free(zone);
    return rc;
}

int tnd_msg_decode_in(const tnd_msg_desc *d, tnd_arena *arena, const uint8_t *data, size_t len,
                      void *msg, tnd_codec_err *err)
{
    return decode_in(d, arena, data, len, msg, false, err);
}

int tnd_msg_decode_view_in(const tnd_msg_desc *d, tnd_arena *arena, const uint8_t *data,
                           size_t len, void *msg, tnd_codec_err *err)
{
    return decode_in(d, arena, data, len, msg, true, err);
}

void *tnd_msg_new_in(const tnd_msg_desc *d, tnd_arena *arena)
{
    return tnd_arena_alloc(arena, d->size); /* zeroed: every field at its default */
}
