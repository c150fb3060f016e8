/* Encoding, splitting and parsing of tender/1 frames (see frame.h). */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "tender/error.h"
#include "tender/limits.h"
#include "text.h"

/* ---- encoding ---------------------------------------------------------------- */

/* Reserve the 4-byte length prefix; returns its offset. */
static size_t frame_begin(msgpack_sbuffer *out)
{
    static const char zero[4] = {0};
    size_t at = out->size;
    msgpack_sbuffer_write(out, zero, sizeof zero);
    return at;
}

/* Patch the length prefix once the body is complete. msgpack_sbuffer aborts
 * on allocation failure only through its realloc returning NULL, which makes
 * the write return -1; we detect that by the size not having grown. */
static int frame_end(msgpack_sbuffer *out, size_t at)
{
    if (out->size < at + 4)
        return TND_ENOMEM;
    size_t n = out->size - at - 4;
    if (n > UINT32_MAX)
        return TND_ELIMIT;
    tnd_be32_put(out->data + at, (uint32_t)n);
    return 0;
}

/* Every packing call below goes through a packer whose write callback
 * records a failure, so one check at the end covers the whole frame. */
typedef struct packctx {
    msgpack_sbuffer *out;
    int failed;
} packctx;

static int pack_write(void *data, const char *buf, size_t len)
{
    packctx *c = data;
    if (msgpack_sbuffer_write(c->out, buf, len) != 0)
        c->failed = 1;
    return 0;
}

#define FRAME_START(out, nitems, type, sid)                                                        \
    packctx ctx_ = {(out), 0};                                                                     \
    msgpack_packer pk_;                                                                            \
    msgpack_packer_init(&pk_, &ctx_, pack_write);                                                  \
    size_t at_ = frame_begin(out);                                                                 \
    msgpack_pack_array(&pk_, (nitems));                                                            \
    msgpack_pack_uint32(&pk_, (type));                                                             \
    msgpack_pack_uint32(&pk_, (sid))

#define FRAME_FINISH(out) (ctx_.failed ? (out->size = at_, TND_ENOMEM) : frame_end(out, at_))

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s ? s : "", n);
}

static void pack_metadata(msgpack_packer *pk, const tnd_md *md, size_t n)
{
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(md[i].key);
        msgpack_pack_str(pk, kl);
        msgpack_pack_str_body(pk, md[i].key, kl);
        if (kl > 4 && strcmp(md[i].key + kl - 4, "-bin") == 0) {
            msgpack_pack_bin(pk, md[i].value_len);
            msgpack_pack_bin_body(pk, md[i].value, md[i].value_len);
        } else {
            msgpack_pack_str(pk, md[i].value_len);
            msgpack_pack_str_body(pk, md[i].value, md[i].value_len);
        }
    }
}

int tnd_frame_put_settings(msgpack_sbuffer *out, const tnd_settings *s)
{
    FRAME_START(out, 3, TND_FRAME_SETTINGS, 0);
    msgpack_pack_map(&pk_, 5);
    msgpack_pack_uint32(&pk_, TND_SETTING_MAX_FRAME);
    msgpack_pack_uint32(&pk_, s->max_frame);
    msgpack_pack_uint32(&pk_, TND_SETTING_MAX_STREAMS);
    msgpack_pack_uint32(&pk_, s->max_streams);
    msgpack_pack_uint32(&pk_, TND_SETTING_INITIAL_WINDOW);
    msgpack_pack_uint32(&pk_, s->initial_window);
    msgpack_pack_uint32(&pk_, TND_SETTING_MAX_METADATA);
    msgpack_pack_uint32(&pk_, s->max_metadata);
    msgpack_pack_uint32(&pk_, TND_SETTING_CONN_WINDOW);
    msgpack_pack_uint32(&pk_, s->conn_window);
    return FRAME_FINISH(out);
}

int tnd_frame_put_call(msgpack_sbuffer *out, uint32_t sid, const char *method, const tnd_md *md,
                       size_t n_md, uint64_t timeout_ms)
{
    FRAME_START(out, 5, TND_FRAME_CALL, sid);
    pack_str(&pk_, method);
    pack_metadata(&pk_, md, n_md);
    msgpack_pack_uint64(&pk_, timeout_ms);
    return FRAME_FINISH(out);
}

int tnd_frame_put_message(msgpack_sbuffer *out, uint32_t sid, const uint8_t *payload, size_t len,
                          bool end_stream)
{
    FRAME_START(out, 4, TND_FRAME_MESSAGE, sid);
    msgpack_pack_bin(&pk_, len);
    msgpack_pack_bin_body(&pk_, payload, len);
    if (end_stream)
        msgpack_pack_true(&pk_);
    else
        msgpack_pack_false(&pk_);
    return FRAME_FINISH(out);
}

/* A packer's writes into tnd_frame_parts.head (never more than it holds:
 * the header items of a MESSAGE are bounded). */
static int head_write(void *data, const char *buf, size_t len)
{
    tnd_frame_parts *p = data;
    if (len > sizeof p->head - p->head_len)
        return -1;
    memcpy(p->head + p->head_len, buf, len);
    p->head_len += len;
    return 0;
}

int tnd_frame_message_parts(tnd_frame_parts *parts, uint32_t sid, size_t len, bool end_stream)
{
    if (len > UINT32_MAX - TND_FRAME_MESSAGE_OVERHEAD)
        return TND_ELIMIT;
    /* The same items as tnd_frame_put_message, packed the same way. */
    parts->head_len = 4;
    msgpack_packer pk;
    msgpack_packer_init(&pk, parts, head_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_uint32(&pk, TND_FRAME_MESSAGE);
    msgpack_pack_uint32(&pk, sid);
    msgpack_pack_bin(&pk, len);
    size_t body = parts->head_len - 4;
    tnd_be32_put(parts->head, (uint32_t)(body + len + 1));
    parts->tail = end_stream ? 0xc3 : 0xc2; /* msgpack true / false */
    return 0;
}

int tnd_frame_put_status(msgpack_sbuffer *out, uint32_t sid, uint32_t code, const char *message,
                         const uint8_t *details, size_t details_len, const tnd_md *md, size_t n_md)
{
    FRAME_START(out, 6, TND_FRAME_STATUS, sid);
    msgpack_pack_uint32(&pk_, code);
    pack_str(&pk_, message);
    msgpack_pack_bin(&pk_, details_len);
    msgpack_pack_bin_body(&pk_, details, details_len);
    pack_metadata(&pk_, md, n_md);
    return FRAME_FINISH(out);
}

int tnd_frame_put_cancel(msgpack_sbuffer *out, uint32_t sid)
{
    FRAME_START(out, 2, TND_FRAME_CANCEL, sid);
    return FRAME_FINISH(out);
}

int tnd_frame_put_ping(msgpack_sbuffer *out, uint64_t opaque, bool ack)
{
    FRAME_START(out, 4, TND_FRAME_PING, 0);
    msgpack_pack_uint64(&pk_, opaque);
    if (ack)
        msgpack_pack_true(&pk_);
    else
        msgpack_pack_false(&pk_);
    return FRAME_FINISH(out);
}

int tnd_frame_put_goaway(msgpack_sbuffer *out, uint32_t last_stream_id, uint32_t code,
                         const char *message)
{
    FRAME_START(out, 5, TND_FRAME_GOAWAY, 0);
    msgpack_pack_uint32(&pk_, last_stream_id);
    msgpack_pack_uint32(&pk_, code);
    pack_str(&pk_, message);
    return FRAME_FINISH(out);
}

int tnd_frame_put_window(msgpack_sbuffer *out, uint32_t sid, uint32_t increment)
{
    FRAME_START(out, 3, TND_FRAME_WINDOW, sid);
    msgpack_pack_uint32(&pk_, increment);
    return FRAME_FINISH(out);
}

/* ---- parsing ----------------------------------------------------------------- */

#define PARSE_FAIL(code, ...)                                                                      \
    do {                                                                                           \
        if (err)                                                                                   \
            snprintf(err->text, sizeof err->text, __VA_ARGS__);                                    \
        return (code);                                                                             \
    } while (0)

static const char *const frame_names[] = {"SETTINGS", "CALL",   "MESSAGE", "STATUS",
                                          "CANCEL",   "PING",   "GOAWAY",  "WINDOW"};

static int get_u32(const msgpack_object *o, uint32_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
        return -1;
    *v = (uint32_t)o->via.u64;
    return 0;
}

static int get_u64(const msgpack_object *o, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return -1;
    *v = o->via.u64;
    return 0;
}

static int get_bool(const msgpack_object *o, bool *v)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return -1;
    *v = o->via.boolean;
    return 0;
}

static int get_str(const msgpack_object *o, tnd_slice *s)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return -1;
    s->ptr = (const uint8_t *)o->via.str.ptr;
    s->len = o->via.str.size;
    return 0;
}

static int get_bin(const msgpack_object *o, tnd_slice *s)
{
    if (o->type == MSGPACK_OBJECT_NIL) {
        s->ptr = NULL;
        s->len = 0;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_BIN)
        return -1;
    s->ptr = (const uint8_t *)o->via.bin.ptr;
    s->len = o->via.bin.size;
    return 0;
}

tnd_settings tnd_settings_with_defaults(const tnd_settings *s)
{
    tnd_settings p;
    p.max_frame = s->max_frame ? s->max_frame : TND_SETTINGS_DEFAULT_MAX_FRAME;
    p.max_streams = s->max_streams ? s->max_streams : TND_SETTINGS_DEFAULT_MAX_STREAMS;
    p.initial_window = s->initial_window ? s->initial_window : TND_SETTINGS_DEFAULT_INITIAL_WINDOW;
    p.max_metadata = s->max_metadata ? s->max_metadata : TND_SETTINGS_DEFAULT_MAX_METADATA;
    p.conn_window = s->conn_window ? s->conn_window : TND_SETTINGS_DEFAULT_CONN_WINDOW;
    return p;
}

static int parse_settings(const msgpack_object *m, tnd_settings *s)
{
    if (m->type != MSGPACK_OBJECT_MAP)
        return -1;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        uint32_t id, v;
        if (get_u32(&m->via.map.ptr[i].key, &id) || get_u32(&m->via.map.ptr[i].val, &v))
            return -1;
        switch (id) {
        case TND_SETTING_MAX_FRAME: s->max_frame = v; break;
        case TND_SETTING_MAX_STREAMS: s->max_streams = v; break;
        case TND_SETTING_INITIAL_WINDOW: s->initial_window = v; break;
        case TND_SETTING_MAX_METADATA: s->max_metadata = v; break;
        case TND_SETTING_CONN_WINDOW: s->conn_window = v; break;
        default: break; /* unknown settings are ignored, for newer peers */
        }
    }
    return 0;
}

/* Minimum and maximum array length of each frame type: newer peers may
 * append elements, which older readers ignore. */
static const uint8_t frame_min_items[] = {3, 5, 4, 6, 2, 4, 5, 3};

static int parse_body(const msgpack_object *a, tnd_frame *f)
{
    const msgpack_object *v = a->via.array.ptr;
    switch (f->type) {
    case TND_FRAME_SETTINGS:
        return parse_settings(&v[2], &f->u.settings);
    case TND_FRAME_CALL:
        if (get_str(&v[2], &f->u.call.method) || v[3].type != MSGPACK_OBJECT_MAP ||
            get_u64(&v[4], &f->u.call.timeout_ms))
            return -1;
        f->u.call.metadata = &v[3];
        return 0;
    case TND_FRAME_MESSAGE:
        return get_bin(&v[2], &f->u.message.payload) || get_bool(&v[3], &f->u.message.end_stream);
    case TND_FRAME_STATUS:
        if (get_u32(&v[2], &f->u.status.code) || get_str(&v[3], &f->u.status.message) ||
            get_bin(&v[4], &f->u.status.details) || v[5].type != MSGPACK_OBJECT_MAP)
            return -1;
        f->u.status.metadata = &v[5];
        return 0;
    case TND_FRAME_CANCEL:
        return 0;
    case TND_FRAME_PING:
        return get_u64(&v[2], &f->u.ping.opaque) || get_bool(&v[3], &f->u.ping.ack);
    case TND_FRAME_GOAWAY:
        return get_u32(&v[2], &f->u.goaway.last_stream_id) || get_u32(&v[3], &f->u.goaway.code) ||
               get_str(&v[4], &f->u.goaway.message);
    case TND_FRAME_WINDOW:
        return get_u32(&v[2], &f->u.window.increment);
    }
    return -1;
}

static int parse_frame(const msgpack_object *obj, tnd_frame *f, tnd_codec_err *err)
{
    if (obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size < 2)
        PARSE_FAIL(TND_EPROTO, "frame is not an array [type, stream_id, ...]");
    uint32_t type, sid;
    if (get_u32(&obj->via.array.ptr[0], &type) || get_u32(&obj->via.array.ptr[1], &sid))
        PARSE_FAIL(TND_EPROTO, "frame type and stream id must be unsigned integers");
    if (type > TND_FRAME_WINDOW)
        PARSE_FAIL(TND_EPROTO, "unknown frame type %u", type);
    if (obj->via.array.size < frame_min_items[type])
        PARSE_FAIL(TND_EPROTO, "%s frame has %u elements, needs %u", frame_names[type],
                   obj->via.array.size, frame_min_items[type]);
    f->type = (tnd_frame_type)type;
    f->stream_id = sid;
    if (parse_body(obj, f) != 0)
        PARSE_FAIL(TND_EPROTO, "%s frame has a field of the wrong type (see docs/PROTOCOL.md)",
                   frame_names[type]);
    return 0;
}

int tnd_frame_parse(const uint8_t *body, size_t len, tnd_frame *f, msgpack_zone **zone,
                    tnd_codec_err *err)
{
    msgpack_object obj;
    memset(f, 0, sizeof *f);
    int rc = tnd_msgpack_unpack(body, len, &obj, zone, err);
    if (rc != 0)
        return rc;
    rc = parse_frame(&obj, f, err);
    if (rc != 0) {
        msgpack_zone_free(*zone);
        *zone = NULL;
    }
    return rc;
}

/* ---- metadata ---------------------------------------------------------------- */

static bool key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

int tnd_metadata_check(const msgpack_object *md, size_t max_bytes, tnd_codec_err *err)
{
    if (md->type != MSGPACK_OBJECT_MAP)
        PARSE_FAIL(TND_EPROTO, "metadata must be a map");
    size_t total = 0;
    for (uint32_t i = 0; i < md->via.map.size; i++) {
        const msgpack_object *k = &md->via.map.ptr[i].key, *v = &md->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size == 0)
            PARSE_FAIL(TND_EPROTO, "metadata key %u is not a non-empty string", i);
        const char *ks = k->via.str.ptr;
        size_t kl = k->via.str.size;
        for (size_t j = 0; j < kl; j++)
            if (!key_char_ok(ks[j])) {
                char shown[32 * 4 + 1]; /* the peer's bytes, escaped for the message */
                tnd_text_escape(shown, sizeof shown, (const uint8_t *)ks, kl > 32 ? 32 : kl);
                PARSE_FAIL(TND_EPROTO, "metadata key \"%s\" may hold only a-z 0-9 - _ .", shown);
            }
        bool bin = kl > 4 && memcmp(ks + kl - 4, "-bin", 4) == 0;
        if (bin && v->type != MSGPACK_OBJECT_BIN)
            PARSE_FAIL(TND_EPROTO, "metadata \"%.*s\" ends in -bin and needs a bin value",
                       (int)(kl > 64 ? 64 : kl), ks);
        if (!bin) {
            if (v->type != MSGPACK_OBJECT_STR)
                PARSE_FAIL(TND_EPROTO, "metadata \"%.*s\" needs a str value",
                           (int)(kl > 64 ? 64 : kl), ks);
            for (size_t j = 0; j < v->via.str.size; j++)
                if (v->via.str.ptr[j] < 0x20 || v->via.str.ptr[j] > 0x7e)
                    PARSE_FAIL(TND_EPROTO,
                               "metadata \"%.*s\" holds a byte that is not printable ASCII "
                               "(use a -bin key for bytes)",
                               (int)(kl > 64 ? 64 : kl), ks);
        }
        total += kl + (bin ? v->via.bin.size : v->via.str.size);
        if (total > max_bytes)
            PARSE_FAIL(TND_ELIMIT, "metadata exceeds the limit of %zu bytes (max_metadata)",
                       max_bytes);
    }
    return 0;
}

const msgpack_object *tnd_metadata_get(const msgpack_object *md, const char *key)
{
    if (!md || md->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < md->via.map.size; i++) {
        const msgpack_object *k = &md->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &md->via.map.ptr[i].val;
    }
    return NULL;
}

/* ---- the stream reader ----------------------------------------------------- */

void tnd_frame_reader_init(tnd_frame_reader *r, uint32_t max_frame)
{
    memset(r, 0, sizeof *r);
    r->max_frame = max_frame;
}

void tnd_frame_reader_free(tnd_frame_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int tnd_frame_reader_feed(tnd_frame_reader *r, const uint8_t *data, size_t len)
{
    /* Drop what was handed out before growing, so the buffer holds at most
     * one frame plus what arrived with it. */
    if (r->consumed > 0) {
        memmove(r->buf, r->buf + r->consumed, r->len - r->consumed);
        r->len -= r->consumed;
        r->consumed = 0;
    }
    if (len == 0) /* nothing to add; r->buf may still be NULL */
        return 0;
    if (len > SIZE_MAX - r->len)
        return TND_ENOMEM;
    if (r->len + len > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + len)
            cap = cap > SIZE_MAX / 2 ? r->len + len : cap * 2;
        uint8_t *nb = realloc(r->buf, cap);
        if (!nb)
            return TND_ENOMEM;
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, len);
    r->len += len;
    return 0;
}

/* A buffer larger than this is given back once every frame in it has been
 * handed out and handled: a connection that once received a large frame (a
 * bid of several MiB) does not keep a buffer of that size while idle. */
#define READER_KEEP (64u * 1024u)

int tnd_frame_reader_next(tnd_frame_reader *r, const uint8_t **body, size_t *len)
{
    size_t avail = r->len - r->consumed;
    if (avail == 0) {
        /* Every frame handed out before has been handled (the caller asks
         * for the next one only then). */
        if (r->cap > READER_KEEP) {
            free(r->buf);
            r->buf = NULL;
            r->cap = 0;
        }
        r->len = r->consumed = 0;
        return 0;
    }
    if (avail < 4)
        return 0;
    const uint8_t *p = r->buf + r->consumed;
    uint32_t n = tnd_be32_get(p);
    if (n > r->max_frame) {
        *len = n;
        return TND_ELIMIT;
    }
    if (avail - 4 < n)
        return 0;
    *body = p + 4;
    *len = n;
    r->consumed += 4 + (size_t)n;
    return 1;
}

size_t tnd_frame_reader_pending(const tnd_frame_reader *r)
{
    return r->len - r->consumed;
}
