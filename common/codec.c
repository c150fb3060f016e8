/* The table-driven message codec (codec.h): init, free, limit check, pack and
 * encode, plus the helpers codec_decode.c shares (codec_internal.h).
 *
 * Recursion follows message nesting. Decoded messages are at most
 * TND_MSGPACK_MAX_DEPTH deep; tnd_msg_check refuses deeper (or cyclic)
 * in-memory messages before tnd_msg_encode packs them.
 */
#include <inttypes.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_internal.h"
#include "digest.h"
#include "text.h"

/* ---- field paths and error text ------------------------------------------- */

/* Every field of every message passes here on the way in and out, for the
 * error text of the rare failure: plain copies, no printf. Returns the
 * length before, for tnd_path_pop; text that does not fit is cut. */
static size_t path_put(tnd_path *p, const char *a, size_t al, const char *b, size_t bl,
                       const char *c, size_t cl)
{
    size_t old = p->len, room = sizeof p->buf - 1 - p->len;
    const char *parts[] = {a, b, c};
    size_t lens[] = {al, bl, cl};
    for (int i = 0; i < 3; i++) {
        size_t n = lens[i] < room ? lens[i] : room;
        memcpy(p->buf + p->len, parts[i], n);
        p->len += n;
        room -= n;
    }
    p->buf[p->len] = '\0';
    return old;
}

static size_t path_append(tnd_path *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t path_append(tnd_path *p, const char *fmt, ...)
{
    size_t old = p->len;
    size_t room = sizeof p->buf - p->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->buf + p->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->len += (size_t)n < room ? (size_t)n : room - 1;
    return old;
}

void tnd_path_init(tnd_path *p, const tnd_msg_desc *d, tnd_codec_err *err)
{
    const char *dot = strrchr(d->full_name, '.');
    const char *name = dot ? dot + 1 : d->full_name;
    p->len = 0;
    p->buf[0] = '\0';
    p->err = err;
    p->arena = NULL;
    p->view_bytes = false;
    path_put(p, name, strlen(name), "", 0, "", 0);
}

size_t tnd_path_field(tnd_path *p, const char *name)
{
    return path_put(p, ".", 1, name, strlen(name), "", 0);
}

size_t tnd_path_index(tnd_path *p, size_t i)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    return path_put(p, "[", 1, digits + n, sizeof digits - n, "]", 1);
}

/* Keys are untrusted text: show at most 32 bytes, control bytes and quotes as '?'. */
size_t tnd_path_key(tnd_path *p, const char *key, size_t len)
{
    char shown[32 * 4 + 1];
    size_t n = len < 32 ? len : 32;
    /* The key is the peer's bytes, and the path goes into messages and logs. */
    tnd_text_escape(shown, sizeof shown, (const uint8_t *)key, n);
    return path_append(p, "[\"%s%s\"]", shown, len > n ? "..." : "");
}

void tnd_path_pop(tnd_path *p, size_t len)
{
    p->len = len;
    p->buf[len] = '\0';
}

int tnd_path_fail(const tnd_path *p, int code, const char *fmt, ...)
{
    if (!p->err)
        return code;
    /* the path buffer is shorter than the text: the message always gets some room */
    char *text = p->err->text;
    int n = snprintf(text, sizeof p->err->text, "%s: ", p->buf);
    if (n > 0 && (size_t)n < sizeof p->err->text) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text + n, sizeof p->err->text - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *tnd_ftype_name(tnd_ftype t)
{
    switch (t) {
    case TND_T_BOOL:
        return "bool";
    case TND_T_INT32:
        return "int32";
    case TND_T_INT64:
        return "int64";
    case TND_T_UINT32:
        return "uint32";
    case TND_T_UINT64:
        return "uint64";
    case TND_T_DOUBLE:
        return "double";
    case TND_T_STRING:
        return "str";
    case TND_T_BYTES:
        return "bin";
    case TND_T_ENUM:
        return "enum";
    case TND_T_MESSAGE:
        return "map";
    }
    return "?";
}

/* ---- UTF-8 ------------------------------------------------------------------ */

size_t tnd_utf8_invalid_at(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return i;
        }
        if (n > len - i - 1 || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        i += n + 1;
    }
    return len;
}

int tnd_check_str(const tnd_path *p, const char *s, size_t len, uint32_t limit)
{
    if (len > limit)
        return tnd_path_fail(p, TND_ELIMIT, "%zu bytes exceed max_len %" PRIu32, len, limit);
    /* msgpack-c gives an empty str a NULL pointer: no memchr on it. */
    const void *nul = len ? memchr(s, '\0', len) : NULL;
    if (nul)
        return tnd_path_fail(p, TND_EUTF8, "NUL byte at offset %zu",
                             (size_t)((const char *)nul - s));
    size_t bad = tnd_utf8_invalid_at((const uint8_t *)s, len);
    if (bad != len)
        return tnd_path_fail(p, TND_EUTF8, "invalid UTF-8 at offset %zu", bad);
    return 0;
}

/* ---- init and free -------------------------------------------------------- */

void tnd_msg_init(const tnd_msg_desc *d, void *msg)
{
    memset(msg, 0, d->size);
}

/* Free what one value owns: v points at a string pointer, a tnd_bytes, a
 * message pointer (boxed) or an inline message (!boxed). */
static void free_value(const tnd_field_desc *f, void *v, bool boxed)
{
    switch (f->type) {
    case TND_T_STRING:
        free(*(char **)v);
        break;
    case TND_T_BYTES:
        free(((tnd_bytes *)v)->data);
        break;
    case TND_T_MESSAGE:
        if (!boxed) {
            tnd_msg_free(f->msg, v);
        } else if (*(void **)v) {
            tnd_msg_free(f->msg, *(void **)v);
            free(*(void **)v);
        }
        break;
    default:
        break;
    }
}

static void free_field(const tnd_field_desc *f, void *msg)
{
    void *v = tnd_at(msg, f->offset);
    if (f->label == TND_L_SINGULAR || f->label == TND_L_OPTIONAL) {
        free_value(f, v, true);
        return;
    }
    char *arr = *(char **)v;
    size_t n = *(size_t *)tnd_at(msg, f->aux_offset);
    for (size_t i = 0; arr && i < n; i++) {
        char *e = arr + i * f->elem_size;
        if (f->label == TND_L_MAP) {
            free(*(char **)e);
            free_value(f, e + f->map_value_offset, false);
        } else {
            free_value(f, e, false);
        }
    }
    free(arr);
}

void tnd_msg_free(const tnd_msg_desc *d, void *msg)
{
    if (!msg)
        return;
    for (size_t i = 0; i < d->n_fields; i++)
        free_field(&d->fields[i], msg);
    tnd_msg_init(d, msg);
}

/* ---- presence ----------------------------------------------------------- */

/* Whether a singular value differs from its default and so goes on the wire.
 * -0.0 and NaN are not the default: only the all-zero double is. */
static bool is_set(const tnd_field_desc *f, const void *v)
{
    switch (f->type) {
    case TND_T_BOOL:
        return *(const bool *)v;
    case TND_T_INT32:
    case TND_T_ENUM:
        return *(const int32_t *)v != 0;
    case TND_T_UINT32:
        return *(const uint32_t *)v != 0;
    case TND_T_INT64:
        return *(const int64_t *)v != 0;
    case TND_T_UINT64:
        return *(const uint64_t *)v != 0;
    case TND_T_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, v, sizeof bits);
        return bits != 0;
    }
    case TND_T_STRING:
        return *(char *const *)v && **(char *const *)v;
    case TND_T_BYTES:
        return ((const tnd_bytes *)v)->len > 0;
    case TND_T_MESSAGE:
        return *(void *const *)v != NULL;
    }
    return false;
}

static bool field_present(const tnd_field_desc *f, const void *msg)
{
    switch (f->label) {
    case TND_L_OPTIONAL:
        /* a message is a pointer: it cannot be sent without one */
        return *(const bool *)tnd_cat(msg, f->aux_offset) &&
               (f->type != TND_T_MESSAGE || *(void *const *)tnd_cat(msg, f->offset));
    case TND_L_SINGULAR:
        return is_set(f, tnd_cat(msg, f->offset));
    default:
        return *(const size_t *)tnd_cat(msg, f->aux_offset) > 0;
    }
}

/* ---- limit check ------------------------------------------------------------ */

typedef struct check_ctx {
    tnd_path path;
    uint64_t objects; /* MessagePack objects the encoding will hold */
} check_ctx;

static int check_msg(check_ctx *c, const tnd_msg_desc *d, const void *msg, unsigned depth);

/* Objects are counted and limited as the receiver's tnd_msgpack_check counts them. */
static int count_object(check_ctx *c)
{
    if (++c->objects > TND_MSGPACK_MAX_OBJECTS)
        return tnd_path_fail(&c->path, TND_ELIMIT, "message holds more than %u objects",
                             (unsigned)TND_MSGPACK_MAX_OBJECTS);
    return 0;
}

/* v as check_msg's caller sees it: boxed for singular messages, inline in arrays. */
static int check_value(check_ctx *c, const tnd_field_desc *f, const void *v, bool boxed,
                       unsigned depth)
{
    int rc = count_object(c);
    if (rc != 0)
        return rc;
    switch (f->type) {
    case TND_T_STRING: {
        const char *s = *(char *const *)v;
        return s ? tnd_check_str(&c->path, s, strlen(s), tnd_field_max_len(f)) : 0;
    }
    case TND_T_BYTES: {
        size_t len = ((const tnd_bytes *)v)->len;
        if (len > tnd_field_max_len(f))
            return tnd_path_fail(&c->path, TND_ELIMIT, "%zu bytes exceed max_len %" PRIu32, len,
                                 tnd_field_max_len(f));
        return 0;
    }
    case TND_T_MESSAGE:
        c->objects--; /* check_msg counts the map itself */
        return check_msg(c, f->msg, boxed ? *(void *const *)v : v, depth);
    default:
        return 0;
    }
}

static int check_array(check_ctx *c, const tnd_field_desc *f, const void *msg, unsigned depth)
{
    size_t n = *(const size_t *)tnd_cat(msg, f->aux_offset);
    const char *arr = *(char *const *)tnd_cat(msg, f->offset);
    bool is_map = f->label == TND_L_MAP;
    if (n > tnd_field_max_count(f))
        return tnd_path_fail(&c->path, TND_ELIMIT, "%zu %s exceed max_count %" PRIu32, n,
                             is_map ? "entries" : "elements", tnd_field_max_count(f));
    if (depth >= TND_MSGPACK_MAX_DEPTH)
        return tnd_path_fail(&c->path, TND_ETOODEEP, "nested deeper than %d levels",
                             TND_MSGPACK_MAX_DEPTH);
    int rc = count_object(c);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *e = arr + i * f->elem_size;
        size_t mark;
        if (is_map) {
            const char *key = *(char *const *)e;
            size_t klen = key ? strlen(key) : 0;
            mark = tnd_path_key(&c->path, key ? key : "", klen);
            rc = count_object(c);
            if (rc == 0 && key)
                rc = tnd_check_str(&c->path, key, klen, tnd_field_max_key_len(f));
            e += f->map_value_offset;
        } else {
            mark = tnd_path_index(&c->path, i);
        }
        if (rc == 0)
            rc = check_value(c, f, e, false, depth + 1);
        tnd_path_pop(&c->path, mark);
    }
    return rc;
}

/* depth: containers already open around msg's map on the wire. */
static int check_msg(check_ctx *c, const tnd_msg_desc *d, const void *msg, unsigned depth)
{
    if (depth >= TND_MSGPACK_MAX_DEPTH)
        return tnd_path_fail(&c->path, TND_ETOODEEP, "nested deeper than %d levels",
                             TND_MSGPACK_MAX_DEPTH);
    int rc = count_object(c);
    for (size_t i = 0; rc == 0 && i < d->n_fields; i++) {
        const tnd_field_desc *f = &d->fields[i];
        if (!field_present(f, msg))
            continue;
        size_t mark = tnd_path_field(&c->path, f->name);
        rc = count_object(c); /* the key */
        if (rc == 0 && (f->label == TND_L_REPEATED || f->label == TND_L_MAP))
            rc = check_array(c, f, msg, depth + 1);
        else if (rc == 0)
            rc = check_value(c, f, tnd_cat(msg, f->offset), true, depth + 1);
        tnd_path_pop(&c->path, mark);
    }
    return rc;
}

int tnd_msg_check(const tnd_msg_desc *d, const void *msg, tnd_codec_err *err)
{
    check_ctx c = {.objects = 0};
    tnd_path_init(&c.path, d, err);
    return check_msg(&c, d, msg, 0);
}

/* ---- pack -------------------------------------------------------------------- */

static int pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > UINT32_MAX)
        return TND_ELIMIT;
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n) ? TND_ENOMEM : 0;
}

static int pack_value(const tnd_field_desc *f, const void *v, bool boxed, msgpack_packer *pk)
{
    int r;
    switch (f->type) {
    case TND_T_BOOL:
        r = *(const bool *)v ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        break;
    case TND_T_INT32:
    case TND_T_ENUM:
        r = msgpack_pack_int64(pk, *(const int32_t *)v);
        break;
    case TND_T_INT64:
        r = msgpack_pack_int64(pk, *(const int64_t *)v);
        break;
    case TND_T_UINT32:
        r = msgpack_pack_uint64(pk, *(const uint32_t *)v);
        break;
    case TND_T_UINT64:
        r = msgpack_pack_uint64(pk, *(const uint64_t *)v);
        break;
    case TND_T_DOUBLE:
        r = msgpack_pack_double(pk, *(const double *)v);
        break;
    case TND_T_STRING:
        return pack_str(pk, *(char *const *)v);
    case TND_T_BYTES: {
        const tnd_bytes *b = v;
        if (b->len > UINT32_MAX)
            return TND_ELIMIT;
        r = msgpack_pack_bin(pk, b->len) || msgpack_pack_bin_body(pk, b->data, b->len);
        break;
    }
    case TND_T_MESSAGE:
        return tnd_msg_pack(f->msg, boxed ? *(void *const *)v : v, pk);
    default:
        return TND_EINVAL;
    }
    return r ? TND_ENOMEM : 0;
}

static int pack_array(const tnd_field_desc *f, const void *msg, msgpack_packer *pk)
{
    size_t n = *(const size_t *)tnd_cat(msg, f->aux_offset);
    const char *arr = *(char *const *)tnd_cat(msg, f->offset);
    bool is_map = f->label == TND_L_MAP;
    if (n > UINT32_MAX)
        return TND_ELIMIT;
    int rc = (is_map ? msgpack_pack_map(pk, n) : msgpack_pack_array(pk, n)) ? TND_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *e = arr + i * f->elem_size;
        if (is_map) {
            rc = pack_str(pk, *(char *const *)e);
            e += f->map_value_offset;
        }
        if (rc == 0)
            rc = pack_value(f, e, false, pk);
    }
    return rc;
}

int tnd_msg_pack(const tnd_msg_desc *d, const void *msg, msgpack_packer *pk)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_fields; i++)
        n += field_present(&d->fields[i], msg);
    int rc = msgpack_pack_map(pk, n) ? TND_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < d->n_fields; i++) {
        const tnd_field_desc *f = &d->fields[i];
        if (!field_present(f, msg))
            continue;
        rc = msgpack_pack_uint32(pk, f->number) ? TND_ENOMEM : 0;
        if (rc == 0 && (f->label == TND_L_REPEATED || f->label == TND_L_MAP))
            rc = pack_array(f, msg, pk);
        else if (rc == 0)
            rc = pack_value(f, tnd_cat(msg, f->offset), true, pk);
    }
    return rc;
}

int tnd_msg_encode(const tnd_msg_desc *d, const void *msg, uint8_t **out, size_t *out_len,
                   tnd_codec_err *err)
{
    *out = NULL;
    *out_len = 0;
    int rc = tnd_msg_check(d, msg, err);
    if (rc != 0)
        return rc;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    rc = tnd_msg_pack(d, msg, &pk);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        if (err)
            snprintf(err->text, sizeof err->text, "encoding %s: %s", d->full_name,
                     tnd_strerror(rc));
        return rc;
    }
    *out = (uint8_t *)sb.data; /* handed over: the caller frees it */
    *out_len = sb.size;
    return 0;
}

static int count_bytes(void *data, const char *buf, size_t len)
{
    (void)buf;
    *(size_t *)data += len;
    return 0;
}

int tnd_msg_size(const tnd_msg_desc *d, const void *msg, size_t *len)
{
    *len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, len, count_bytes);
    return tnd_msg_pack(d, msg, &pk);
}

/* A packer that hashes what it is given instead of keeping it: small
 * pieces are gathered first, so SHA-256 sees few, larger updates. */
typedef struct hash_sink {
    EVP_MD_CTX *md;
    size_t n;
    bool failed;
    uint8_t buf[1024];
} hash_sink;

static void sink_flush(hash_sink *h)
{
    if (h->n && EVP_DigestUpdate(h->md, h->buf, h->n) != 1)
        h->failed = true;
    h->n = 0;
}

static int sink_write(void *data, const char *buf, size_t len)
{
    hash_sink *h = data;
    if (h->n + len > sizeof h->buf)
        sink_flush(h);
    if (len >= sizeof h->buf) {
        if (EVP_DigestUpdate(h->md, buf, len) != 1)
            h->failed = true;
    } else {
        memcpy(h->buf + h->n, buf, len);
        h->n += len;
    }
    return h->failed ? -1 : 0;
}

/* SHA-256 of the encoding, in one pass: the encoding is never stored. */
int tnd_msg_hash(const tnd_msg_desc *d, const void *msg, tnd_bytes *out)
{
    int rc = tnd_msg_check(d, msg, NULL);
    if (rc != 0)
        return rc;
    free(out->data);
    out->len = 0;
    out->data = malloc(SHA256_DIGEST_LENGTH);
    hash_sink h = {.md = out->data ? EVP_MD_CTX_new() : NULL};
    if (!h.md) {
        free(out->data);
        out->data = NULL;
        return TND_ENOMEM;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &h, sink_write);
    rc = EVP_DigestInit_ex2(h.md, tnd_sha256_md(), NULL) == 1 ? 0 : TND_ECRYPTO;
    if (rc == 0)
        rc = tnd_msg_pack(d, msg, &pk);
    if (rc == 0) {
        sink_flush(&h);
        if (h.failed || EVP_DigestFinal_ex(h.md, out->data, NULL) != 1)
            rc = TND_ECRYPTO;
    }
    EVP_MD_CTX_free(h.md);
    if (rc != 0) {
        free(out->data);
        out->data = NULL;
        return rc;
    }
    out->len = SHA256_DIGEST_LENGTH;
    return 0;
}
