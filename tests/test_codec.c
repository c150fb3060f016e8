/* The message codec over the generated test schema (tests/schema/sample*.schema):
 * round trips of every type and label, wire form, compatibility between
 * schema versions, and every decoder and limit rule with its code and text. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "codec_internal.h"
#include "tender/codec.h"
#include "test_schema.h"

typedef tender_test_v1_Scalars Scalars;
typedef tender_test_v1_Containers Containers;
typedef tender_test_v1_Node Node;
typedef tender_test_v1_Limited Limited;

#define SCALARS (&tender_test_v1_Scalars_desc)
#define CONTAINERS (&tender_test_v1_Containers_desc)
#define NODE (&tender_test_v1_Node_desc)
#define LIMITED (&tender_test_v1_Limited_desc)

/* ---- helpers ----------------------------------------------------------------- */

static void encode_ok(const tnd_msg_desc *d, const void *msg, uint8_t **out, size_t *len)
{
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_encode(d, msg, out, len, &err);
    if (rc != 0)
        print_error("encode: %s\n", err.text);
    assert_int_equal(rc, 0);
}

/* Encode `in` as d, decode the bytes as `out_d` into out (initialised here). */
static void roundtrip_as(const tnd_msg_desc *d, const void *in, const tnd_msg_desc *out_d,
                         void *out)
{
    uint8_t *buf;
    size_t len;
    encode_ok(d, in, &buf, &len);
    tnd_msg_init(out_d, out);
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_decode(out_d, buf, len, out, &err);
    if (rc != 0)
        print_error("decode: %s\n", err.text);
    assert_int_equal(rc, 0);
    free(buf);
}

static void roundtrip(const tnd_msg_desc *d, const void *in, void *out)
{
    roundtrip_as(d, in, d, out);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Decode must fail with exactly code and text, and leave msg initialised. */
static void expect_decode_fail(const tnd_msg_desc *d, const void *data, size_t len, int code,
                               const char *text)
{
    void *msg = malloc(d->size);
    assert_non_null(msg);
    tnd_msg_init(d, msg);
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_decode(d, data, len, msg, &err);
    if (rc != code || strcmp(err.text, text) != 0)
        print_error("got %d \"%s\", want %d \"%s\"\n", rc, err.text, code, text);
    assert_int_equal(rc, code);
    assert_string_equal(err.text, text);
    assert_true(all_zero(msg, d->size));
    free(msg);
}

static void expect_check_fail(const tnd_msg_desc *d, const void *msg, int code, const char *text)
{
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_check(d, msg, &err);
    if (rc != code || strcmp(err.text, text) != 0)
        print_error("check: got %d \"%s\", want %d \"%s\"\n", rc, err.text, code, text);
    assert_int_equal(rc, code);
    assert_string_equal(err.text, text);
    /* encode refuses the same way and hands out nothing */
    uint8_t *out = (uint8_t *)&err;
    size_t len = 1;
    memset(&err, 0, sizeof err);
    assert_int_equal(tnd_msg_encode(d, msg, &out, &len, &err), code);
    assert_string_equal(err.text, text);
    assert_null(out);
    assert_int_equal(len, 0);
}

/* Raw MessagePack input built with msgpack-c's packer. */
typedef struct mp {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} mp;

static mp *mp_new(void)
{
    mp *m = malloc(sizeof *m);
    assert_non_null(m);
    msgpack_sbuffer_init(&m->sb);
    msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
    return m;
}

static void mp_str(mp *m, const char *s, size_t n)
{
    msgpack_pack_str_with_body(&m->pk, s, n);
}

static void mp_fail(mp *m, const tnd_msg_desc *d, int code, const char *text)
{
    expect_decode_fail(d, m->sb.data, m->sb.size, code, text);
    msgpack_sbuffer_destroy(&m->sb);
    free(m);
}

/* A one-field message {key: <value packed by the caller>}. */
static mp *mp_field(uint32_t key)
{
    mp *m = mp_new();
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint32(&m->pk, key);
    return m;
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool bytes_eq(const tnd_bytes *a, const tnd_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool dbl_eq(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0; /* NaN payloads and the sign of zero too */
}

static void assert_scalars_equal(const Scalars *a, const Scalars *b)
{
    assert_int_equal(a->b, b->b);
    assert_int_equal(a->i32, b->i32);
    assert_true(a->i64 == b->i64);
    assert_int_equal(a->u32, b->u32);
    assert_true(a->u64 == b->u64);
    assert_true(dbl_eq(a->d, b->d));
    assert_true(str_eq(a->s, b->s));
    assert_true(bytes_eq(&a->by, &b->by));
    assert_int_equal(a->e, b->e);
    assert_int_equal(a->has_opt_b, b->has_opt_b);
    assert_int_equal(a->opt_b, b->opt_b);
    assert_int_equal(a->has_opt_i32, b->has_opt_i32);
    assert_int_equal(a->opt_i32, b->opt_i32);
    assert_int_equal(a->has_opt_i64, b->has_opt_i64);
    assert_true(a->opt_i64 == b->opt_i64);
    assert_int_equal(a->has_opt_u32, b->has_opt_u32);
    assert_int_equal(a->opt_u32, b->opt_u32);
    assert_int_equal(a->has_opt_u64, b->has_opt_u64);
    assert_true(a->opt_u64 == b->opt_u64);
    assert_int_equal(a->has_opt_d, b->has_opt_d);
    assert_true(dbl_eq(a->opt_d, b->opt_d));
    assert_int_equal(a->has_opt_s, b->has_opt_s);
    assert_true(str_eq(a->opt_s, b->opt_s));
    assert_int_equal(a->has_opt_by, b->has_opt_by);
    assert_true(bytes_eq(&a->opt_by, &b->opt_by));
    assert_int_equal(a->has_opt_e, b->has_opt_e);
    assert_int_equal(a->opt_e, b->opt_e);
}

static tnd_bytes bytes_of(const void *p, size_t n)
{
    tnd_bytes b = {NULL, n};
    if (n) {
        b.data = malloc(n);
        assert_non_null(b.data);
        memcpy(b.data, p, n);
    }
    return b;
}

static char *dup_str(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- wire form ----------------------------------------------------------------- */

static void test_defaults_encode_to_empty_map(void **state)
{
    (void)state;
    const tnd_msg_desc *all[] = {
        SCALARS, CONTAINERS, NODE, LIMITED, &tender_test_v1_Item_desc, &tender_testv2_v1_Item_desc};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        void *m = calloc(1, all[i]->size);
        assert_non_null(m);
        tnd_msg_init(all[i], m);
        uint8_t *buf;
        size_t len;
        encode_ok(all[i], m, &buf, &len);
        assert_int_equal(len, 1);
        assert_int_equal(buf[0], 0x80);
        free(buf);
        free(m);
    }
    /* empty string and empty bytes are defaults too */
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    s.s = dup_str("");
    s.by.data = malloc(1);
    uint8_t *buf;
    size_t len;
    assert_int_equal(tender_test_v1_Scalars_encode(&s, &buf, &len, NULL), 0);
    assert_int_equal(len, 1);
    free(buf);
    tender_test_v1_Scalars_free(&s);
    assert_null(s.s);
    assert_null(s.by.data);
}

static void expect_bytes(const Scalars *s, const uint8_t *want, size_t want_len)
{
    uint8_t *buf;
    size_t len;
    encode_ok(SCALARS, s, &buf, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, want_len);
    free(buf);
}

static void test_smallest_encodings(void **state)
{
    (void)state;
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    s.i32 = 1;
    expect_bytes(&s, (const uint8_t[]){0x81, 0x02, 0x01}, 3);
    s.i32 = -1;
    expect_bytes(&s, (const uint8_t[]){0x81, 0x02, 0xff}, 3);
    s.i32 = -200;
    expect_bytes(&s, (const uint8_t[]){0x81, 0x02, 0xd1, 0xff, 0x38}, 5);
    s.i32 = 0;
    s.u64 = 300;
    expect_bytes(&s, (const uint8_t[]){0x81, 0x05, 0xcd, 0x01, 0x2c}, 5);
    s.u64 = UINT64_MAX;
    expect_bytes(
        &s, (const uint8_t[]){0x81, 0x05, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        11);
    s.u64 = 0;
    s.d = 1.0; /* always float64 */
    expect_bytes(&s, (const uint8_t[]){0x81, 0x06, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}, 11);
    s.d = 0;
    s.b = true;
    s.s = dup_str("hi");
    s.by = bytes_of("\x00", 1);
    expect_bytes(
        &s, (const uint8_t[]){0x83, 0x01, 0xc3, 0x07, 0xa2, 'h', 'i', 0x08, 0xc4, 0x01, 0x00}, 11);
    tender_test_v1_Scalars_free(&s);
}

/* ---- round trips ------------------------------------------------------------- */

static void test_scalars_extremes(void **state)
{
    (void)state;
    Scalars in, out;
    tender_test_v1_Scalars_init(&in);
    in.b = true;
    in.i32 = INT32_MIN;
    in.i64 = INT64_MIN;
    in.u32 = UINT32_MAX;
    in.u64 = UINT64_MAX;
    in.d = NAN;
    in.s = filled(TND_DEFAULT_MAX_STRING, 'x'); /* exactly at the default limit */
    in.by = bytes_of("\x00\xff\x00", 3);
    in.e = tender_test_v1_Color_GREEN;
    roundtrip(SCALARS, &in, &out);
    assert_scalars_equal(&in, &out);
    assert_true(isnan(out.d));
    tender_test_v1_Scalars_free(&out);
    tender_test_v1_Scalars_free(&in);

    in.i32 = INT32_MAX;
    in.i64 = INT64_MAX;
    in.u32 = 1;
    in.u64 = 1;
    in.d = -INFINITY;
    in.s = dup_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"); /* é € 😀 */
    in.e = (tender_test_v1_Color)1234;                      /* unknown numbers are kept */
    roundtrip(SCALARS, &in, &out);
    assert_scalars_equal(&in, &out);
    tender_test_v1_Scalars_free(&out);
    tender_test_v1_Scalars_free(&in);

    in.d = INFINITY;
    in.e = (tender_test_v1_Color)-5;
    in.i64 = -1;
    roundtrip(SCALARS, &in, &out);
    assert_scalars_equal(&in, &out);
    tender_test_v1_Scalars_free(&out);

    in.d = -0.0; /* not the default: its sign survives */
    roundtrip(SCALARS, &in, &out);
    assert_true(signbit(out.d));
    assert_scalars_equal(&in, &out);
    tender_test_v1_Scalars_free(&out);
    tender_test_v1_Scalars_free(&in);
}

static void test_optional_presence(void **state)
{
    (void)state;
    Scalars in, out;
    tender_test_v1_Scalars_init(&in);
    /* present with the default value: on the wire and present after decoding */
    in.has_opt_b = in.has_opt_i32 = in.has_opt_i64 = in.has_opt_u32 = in.has_opt_u64 = true;
    in.has_opt_d = in.has_opt_s = in.has_opt_by = in.has_opt_e = true;
    uint8_t *buf;
    size_t len;
    encode_ok(SCALARS, &in, &buf, &len);
    assert_int_equal(buf[0], 0x89); /* nine entries */
    free(buf);
    roundtrip(SCALARS, &in, &out);
    assert_scalars_equal(&in, &out);
    assert_non_null(out.opt_s); /* a present string is never NULL after decoding */
    assert_string_equal(out.opt_s, "");
    tender_test_v1_Scalars_free(&out);

    /* extreme values in the optional fields */
    in.opt_b = true;
    in.opt_i32 = INT32_MIN;
    in.opt_i64 = INT64_MIN;
    in.opt_u32 = UINT32_MAX;
    in.opt_u64 = UINT64_MAX;
    in.opt_d = NAN;
    in.opt_s = dup_str("opt");
    in.opt_by = bytes_of("\x01\x02", 2);
    in.opt_e = tender_test_v1_Color_RED;
    roundtrip(SCALARS, &in, &out);
    assert_scalars_equal(&in, &out);
    tender_test_v1_Scalars_free(&out);

    /* absent: not sent even when the value is set */
    tender_test_v1_Scalars_free(&in);
    in.opt_i32 = 7;
    encode_ok(SCALARS, &in, &buf, &len);
    assert_int_equal(len, 1);
    free(buf);
}

static void fill_scalars(Scalars *s, int k)
{
    tender_test_v1_Scalars_init(s);
    s->i32 = -k;
    s->u64 = (uint64_t)k * 1000;
    s->s = filled((size_t)k, 'a' + (char)k);
    s->has_opt_i32 = true;
    s->opt_i32 = 0;
}

static void test_containers_roundtrip(void **state)
{
    (void)state;
    Containers in, out;
    tender_test_v1_Containers_init(&in);
    bool bools[] = {true, false, true};
    int32_t i32s[] = {0, INT32_MIN, INT32_MAX, -1};
    int64_t i64s[] = {INT64_MIN, 0, INT64_MAX};
    uint32_t u32s[] = {UINT32_MAX, 0, 1};
    uint64_t u64s[] = {UINT64_MAX, 0, 128};
    double dbls[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e308, 5e-324};
    tender_test_v1_Color enums[] = {
        tender_test_v1_Color_RED, tender_test_v1_Color_COLOR_UNSPECIFIED, (tender_test_v1_Color)99};
#define SET(field, arr)                                                                            \
    do {                                                                                           \
        in.n_##field = sizeof arr / sizeof *arr;                                                   \
        in.field = malloc(sizeof arr);                                                             \
        memcpy(in.field, arr, sizeof arr);                                                         \
    } while (0)
    SET(r_bool, bools);
    SET(r_i32, i32s);
    SET(r_i64, i64s);
    SET(r_u32, u32s);
    SET(r_u64, u64s);
    SET(r_double, dbls);
    SET(r_enum, enums);
#undef SET
    in.n_r_string = 3;
    in.r_string = calloc(3, sizeof *in.r_string);
    in.r_string[0] = dup_str("one");
    in.r_string[1] = dup_str(""); /* empty and NULL elements both arrive as "" */
    in.n_r_bytes = 2;
    in.r_bytes = calloc(2, sizeof *in.r_bytes);
    in.r_bytes[1] = bytes_of("\x00\x01\x02", 3);
    in.n_r_msg = 3;
    in.r_msg = calloc(3, sizeof *in.r_msg);
    for (int i = 0; i < 3; i++)
        fill_scalars(&in.r_msg[i], i);
    in.n_m_int = 2;
    in.m_int = calloc(2, sizeof *in.m_int);
    in.m_int[0].key = dup_str("min");
    in.m_int[0].value = INT64_MIN;
    in.m_int[1].key = dup_str(""); /* the empty key is a key like any other */
    in.m_int[1].value = 0;
    in.n_m_msg = 1;
    in.m_msg = calloc(1, sizeof *in.m_msg);
    in.m_msg[0].key = dup_str("k\xc3\xa9");
    fill_scalars(&in.m_msg[0].value, 5);
    in.n_m_str = 2;
    in.m_str = calloc(2, sizeof *in.m_str);
    in.m_str[0].key = dup_str("a");
    in.m_str[0].value = dup_str("x");
    in.m_str[1].key = dup_str("b");
    in.child = calloc(1, sizeof *in.child);
    fill_scalars(in.child, 9);

    roundtrip(CONTAINERS, &in, &out);
#define SAME(field)                                                                                \
    do {                                                                                           \
        assert_int_equal(out.n_##field, in.n_##field);                                             \
        assert_memory_equal(out.field, in.field, in.n_##field * sizeof *in.field);                 \
    } while (0)
    SAME(r_bool);
    SAME(r_i32);
    SAME(r_i64);
    SAME(r_u32);
    SAME(r_u64);
    SAME(r_double); /* bitwise: NaN, -0.0 and the subnormal survive */
    SAME(r_enum);
#undef SAME
    assert_int_equal(out.n_r_string, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(str_eq(out.r_string[i], in.r_string[i]));
        assert_non_null(out.r_string[i]);
    }
    assert_int_equal(out.n_r_bytes, 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(bytes_eq(&out.r_bytes[i], &in.r_bytes[i]));
    assert_int_equal(out.n_r_msg, 3);
    for (size_t i = 0; i < 3; i++)
        assert_scalars_equal(&out.r_msg[i], &in.r_msg[i]);
    assert_int_equal(out.n_m_int, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(out.m_int[i].key, in.m_int[i].key);
        assert_true(out.m_int[i].value == in.m_int[i].value);
    }
    assert_int_equal(out.n_m_msg, 1);
    assert_string_equal(out.m_msg[0].key, in.m_msg[0].key);
    assert_scalars_equal(&out.m_msg[0].value, &in.m_msg[0].value);
    assert_int_equal(out.n_m_str, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(out.m_str[i].key, in.m_str[i].key);
        assert_true(str_eq(out.m_str[i].value, in.m_str[i].value));
    }
    assert_non_null(out.child);
    assert_scalars_equal(out.child, in.child);

    /* decoding into a filled message replaces its content without leaking */
    uint8_t *buf;
    size_t len;
    encode_ok(CONTAINERS, &in, &buf, &len);
    assert_int_equal(tender_test_v1_Containers_decode(&out, buf, len, NULL), 0);
    assert_int_equal(out.n_r_msg, 3);

    /* The same in an arena: decoded and copied messages encode to the same
     * bytes, and the copy owns nothing of its source. */
    tnd_arena a;
    tnd_arena_init(&a, 0);
    Containers dec, cp;
    uint8_t *b2, *b3;
    size_t l2, l3;
    assert_int_equal(tnd_msg_decode_in(CONTAINERS, &a, buf, len, &dec, NULL), 0);
    assert_int_equal(tnd_msg_copy_in(CONTAINERS, &a, &in, &cp), 0);
    Containers mc; /* and with malloc, owned by the copy */
    assert_int_equal(tnd_msg_copy(CONTAINERS, &in, &mc), 0);
    tender_test_v1_Containers_free(&in);
    encode_ok(CONTAINERS, &mc, &b2, &l2);
    assert_int_equal(l2, len);
    assert_memory_equal(b2, buf, len);
    free(b2);
    tender_test_v1_Containers_free(&mc);
    encode_ok(CONTAINERS, &dec, &b2, &l2);
    encode_ok(CONTAINERS, &cp, &b3, &l3);
    assert_int_equal(l2, len);
    assert_memory_equal(b2, buf, len);
    assert_int_equal(l3, len);
    assert_memory_equal(b3, buf, len);
    assert_non_null(dec.r_string[1]); /* present strings are never NULL, as with malloc */
    free(b2);
    free(b3);
    /* A copy of an arena message into a fresh arena. */
    tnd_arena a2;
    tnd_arena_init(&a2, 0);
    Containers cp2;
    assert_int_equal(tnd_msg_copy_in(CONTAINERS, &a2, &cp, &cp2), 0);
    tnd_arena_free(&a);
    encode_ok(CONTAINERS, &cp2, &b2, &l2);
    assert_memory_equal(b2, buf, len);
    free(b2);
    tnd_arena_free(&a2);
    free(buf);

    tender_test_v1_Containers_free(&out);
    assert_true(all_zero(&in, sizeof in));
}

/* An arena that runs out (its cap) fails the decode or copy with
 * TND_ENOMEM and leaves the message at its defaults; a decode error leaves
 * what it allocated to a rewind. */
static void test_arena_failures(void **state)
{
    (void)state;
    Containers in;
    tender_test_v1_Containers_init(&in);
    in.n_r_string = 200;
    in.r_string = calloc(200, sizeof *in.r_string);
    for (size_t i = 0; i < 200; i++)
        in.r_string[i] = filled(100, 'x');
    uint8_t *buf;
    size_t len;
    encode_ok(CONTAINERS, &in, &buf, &len);

    tnd_arena a;
    tnd_arena_init(&a, 4096); /* far less than 200 strings of 100 bytes */
    Containers out;
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_decode_in(CONTAINERS, &a, buf, len, &out, &err), TND_ENOMEM);
    /* The path names the string that did not fit. */
    assert_int_equal(strncmp(err.text, "Containers.r_string[", 20), 0);
    assert_non_null(strstr(err.text, "]: out of memory for 101 bytes"));
    assert_true(all_zero(&out, sizeof out));
    assert_true(tnd_arena_held(&a) <= 4096);
    tnd_arena_reset(&a);
    assert_int_equal(tnd_msg_copy_in(CONTAINERS, &a, &in, &out), TND_ENOMEM);
    assert_true(all_zero(&out, sizeof out));
    tnd_arena_free(&a);

    /* A decode error: the message stays at its defaults, the memory is
     * given back by a rewind. */
    tnd_arena_init(&a, 0);
    tnd_arena_mark m = tnd_arena_save(&a);
    buf[len - 1] = 0xc3; /* the last string's last byte: not UTF-8 */
    assert_int_equal(tnd_msg_decode_in(CONTAINERS, &a, buf, len, &out, &err), TND_EUTF8);
    assert_true(all_zero(&out, sizeof out));
    assert_true(tnd_arena_held(&a) > 0);
    tnd_arena_rewind(&a, m);
    assert_int_equal(tnd_arena_held(&a), 0);
    tnd_arena_free(&a);
    free(buf);
    tender_test_v1_Containers_free(&in);
}

static bool inside(const void *p, const uint8_t *buf, size_t len)
{
    return (const uint8_t *)p >= buf && (const uint8_t *)p < buf + len;
}

/* tnd_msg_decode_view_in: bytes fields, singular, optional, repeated and in
 * nested messages, point into the input; strings are copies in the arena;
 * every limit still holds. */
static void test_decode_view(void **state)
{
    (void)state;
    Containers in;
    tender_test_v1_Containers_init(&in);
    in.n_r_bytes = 2;
    in.r_bytes = calloc(2, sizeof *in.r_bytes);
    in.r_bytes[0] = (tnd_bytes){(uint8_t *)dup_str("abc"), 3};
    in.r_bytes[1] = (tnd_bytes){(uint8_t *)dup_str("defgh"), 5};
    in.n_r_string = 1;
    in.r_string = calloc(1, sizeof *in.r_string);
    in.r_string[0] = dup_str("text");
    in.child = calloc(1, sizeof *in.child);
    tender_test_v1_Scalars_init(in.child);
    in.child->by = (tnd_bytes){(uint8_t *)dup_str("child"), 5};
    in.child->has_opt_by = true;
    in.child->opt_by = (tnd_bytes){(uint8_t *)dup_str("opt"), 3};
    uint8_t *buf;
    size_t len;
    encode_ok(CONTAINERS, &in, &buf, &len);

    tnd_arena a;
    tnd_arena_init(&a, 0);
    Containers out;
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_decode_view_in(CONTAINERS, &a, buf, len, &out, &err), 0);
    assert_int_equal(out.n_r_bytes, 2);
    assert_int_equal(out.r_bytes[0].len, 3);
    assert_memory_equal(out.r_bytes[0].data, "abc", 3);
    assert_true(inside(out.r_bytes[0].data, buf, len));
    assert_int_equal(out.r_bytes[1].len, 5);
    assert_memory_equal(out.r_bytes[1].data, "defgh", 5);
    assert_true(inside(out.r_bytes[1].data, buf, len));
    assert_non_null(out.child);
    assert_memory_equal(out.child->by.data, "child", 5);
    assert_true(inside(out.child->by.data, buf, len));
    assert_true(out.child->has_opt_by);
    assert_memory_equal(out.child->opt_by.data, "opt", 3);
    assert_true(inside(out.child->opt_by.data, buf, len));
    /* A string is copied: it ends in a NUL the input does not have. */
    assert_string_equal(out.r_string[0], "text");
    assert_false(inside(out.r_string[0], buf, len));

    /* The plain decode copies the same bytes out of the input. */
    tnd_arena_reset(&a);
    assert_int_equal(tnd_msg_decode_in(CONTAINERS, &a, buf, len, &out, &err), 0);
    assert_memory_equal(out.r_bytes[1].data, "defgh", 5);
    assert_false(inside(out.r_bytes[1].data, buf, len));
    free(buf);

    /* Limits are checked as before: 5 bytes where at most 4 are allowed. */
    mp *m = mp_field(2);
    msgpack_pack_bin_with_body(&m->pk, "12345", 5);
    Limited lout;
    assert_int_equal(tnd_msg_decode_view_in(LIMITED, &a, (const uint8_t *)m->sb.data, m->sb.size,
                                            &lout, &err),
                     TND_ELIMIT);
    assert_string_equal(err.text, "Limited.short_b: 5 bytes exceed max_len 4");
    assert_true(all_zero(&lout, sizeof lout));
    msgpack_sbuffer_destroy(&m->sb);
    free(m);
    tnd_arena_free(&a);
    tender_test_v1_Containers_free(&in);
}

/* A list of n nodes linked by next: n nested maps on the wire. */
static Node *chain(size_t n)
{
    Node *head = NULL;
    for (size_t i = 0; i < n; i++) {
        Node *x = calloc(1, sizeof *x);
        assert_non_null(x);
        x->name = dup_str("n");
        x->next = head;
        head = x;
    }
    return head;
}

static void free_node(Node *n)
{
    tender_test_v1_Node_free(n);
    free(n);
}

static void test_recursion_depth(void **state)
{
    (void)state;
    Node *ok = chain(TND_MSGPACK_MAX_DEPTH);
    Node out;
    roundtrip(NODE, ok, &out);
    size_t depth = 0;
    for (const Node *x = &out; x; x = x->next, depth++)
        assert_string_equal(x->name, "n");
    assert_int_equal(depth, TND_MSGPACK_MAX_DEPTH);
    tender_test_v1_Node_free(&out);
    free_node(ok);

    /* one more would be refused by every receiver: the sender refuses it first */
    Node *deep = chain(TND_MSGPACK_MAX_DEPTH + 1);
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_check(NODE, deep, &err), TND_ETOODEEP);
    assert_true(strncmp(err.text, "Node.next.next.next", 19) == 0);
    assert_non_null(strstr(err.text, ": nested deeper than 32 levels"));
    free_node(deep);

    /* and the receiver: 33 maps {2: {2: ... {}}} */
    uint8_t wire[2 * TND_MSGPACK_MAX_DEPTH + 1];
    for (size_t i = 0; i < TND_MSGPACK_MAX_DEPTH; i++) {
        wire[2 * i] = 0x81;
        wire[2 * i + 1] = 0x02;
    }
    wire[sizeof wire - 1] = 0x80;
    expect_decode_fail(NODE, wire, sizeof wire, TND_ETOODEEP,
                       "map at offset 64 nests deeper than 32 levels");

    /* a tree: kids are inline messages in an array (two wire levels each) */
    Node tree;
    tender_test_v1_Node_init(&tree);
    tree.name = dup_str("root");
    tree.n_kids = 2;
    tree.kids = calloc(2, sizeof *tree.kids);
    tree.kids[1].name = dup_str("b");
    tree.kids[1].n_kids = 1;
    tree.kids[1].kids = calloc(1, sizeof(Node));
    tree.kids[1].kids[0].next = chain(2);
    roundtrip(NODE, &tree, &out);
    assert_string_equal(out.name, "root");
    assert_int_equal(out.n_kids, 2);
    assert_null(out.kids[0].name);
    assert_string_equal(out.kids[1].name, "b");
    assert_string_equal(out.kids[1].kids[0].next->next->name, "n");
    assert_null(out.kids[1].kids[0].next->next->next);
    tender_test_v1_Node_free(&out);
    tender_test_v1_Node_free(&tree);
}

/* ---- schema evolution ----------------------------------------------------- */

static void test_compat_item_versions(void **state)
{
    (void)state;
    tender_testv2_v1_Item v2, v2_out;
    tender_test_v1_Item v1, v1_out;

    /* a newer sender: the old reader skips fields 4 and 5 */
    tender_testv2_v1_Item_init(&v2);
    v2.name = dup_str("bolt");
    v2.quantity = UINT64_MAX;
    v2.weight = 2.5;
    v2.n_notes = 2;
    v2.notes = calloc(2, sizeof *v2.notes);
    v2.notes[0] = dup_str("zinc");
    v2.notes[1] = dup_str("M8");
    roundtrip_as(&tender_testv2_v1_Item_desc, &v2, &tender_test_v1_Item_desc, &v1_out);
    assert_string_equal(v1_out.name, "bolt");
    assert_true(v1_out.quantity == UINT64_MAX);
    assert_null(v1_out.unit);
    tender_test_v1_Item_free(&v1_out);
    tender_testv2_v1_Item_free(&v2);

    /* an older sender: missing fields default, removed field 3 is ignored */
    tender_test_v1_Item_init(&v1);
    v1.name = dup_str("nut");
    v1.quantity = 12;
    v1.unit = dup_str("pcs");
    roundtrip_as(&tender_test_v1_Item_desc, &v1, &tender_testv2_v1_Item_desc, &v2_out);
    assert_string_equal(v2_out.name, "nut");
    assert_true(v2_out.quantity == 12);
    assert_true(v2_out.weight == 0.0);
    assert_int_equal(v2_out.n_notes, 0);
    assert_null(v2_out.notes);
    tender_testv2_v1_Item_free(&v2_out);
    tender_test_v1_Item_free(&v1);
}

/* ---- decoder rules ------------------------------------------------------------ */

static void test_wrong_types(void **state)
{
    (void)state;
    mp *m = mp_field(10); /* Containers.r_msg = [{}, {}, {5: "x"}] */
    msgpack_pack_array(&m->pk, 3);
    msgpack_pack_map(&m->pk, 0);
    msgpack_pack_map(&m->pk, 0);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 5);
    mp_str(m, "x", 1);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.r_msg[2].u64: expected uint64, got str");

    m = mp_field(1);
    msgpack_pack_uint8(&m->pk, 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.b: expected bool, got uint64");
    m = mp_field(2);
    msgpack_pack_double(&m->pk, 1.0);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.i32: expected int32, got float64");
    m = mp_field(6);
    mp_str(m, "1", 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.d: expected double, got str");
    m = mp_field(7);
    msgpack_pack_bin_with_body(&m->pk, "x", 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.s: expected str, got bin");
    m = mp_field(8);
    mp_str(m, "x", 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.by: expected bin, got str");
    m = mp_field(9);
    msgpack_pack_true(&m->pk);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars.e: expected enum, got bool");
    m = mp_field(1);
    msgpack_pack_true(&m->pk);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.r_bool: expected array, got bool");
    m = mp_field(2);
    msgpack_pack_array(&m->pk, 2);
    msgpack_pack_int8(&m->pk, -1);
    msgpack_pack_nil(&m->pk);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.r_i32[1]: expected int32, got nil");
    m = mp_field(11);
    msgpack_pack_array(&m->pk, 0);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.m_int: expected map, got array");
    m = mp_field(14);
    msgpack_pack_uint8(&m->pk, 5);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.child: expected map, got uint64");
    m = mp_field(12); /* m_msg = {"k": {2: "x"}} */
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "k", 1);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 2);
    mp_str(m, "x", 1);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.m_msg[\"k\"].i32: expected int32, got str");
    m = mp_field(14); /* child = {14: ...}: deeper paths name each level */
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 17);
    msgpack_pack_int8(&m->pk, -3);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.child.opt_s: expected str, got int64");

    /* the top level must be a map */
    m = mp_new();
    msgpack_pack_array(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected map, got array");
    m = mp_new();
    msgpack_pack_nil(&m->pk);
    mp_fail(m, NODE, TND_ETYPE, "Node: expected map, got nil");
}

static void test_integer_ranges(void **state)
{
    (void)state;
    mp *m = mp_field(2);
    msgpack_pack_uint64(&m->pk, (uint64_t)INT32_MAX + 1);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.i32: 2147483648 is out of range for int32");
    m = mp_field(2);
    msgpack_pack_int64(&m->pk, (int64_t)INT32_MIN - 1);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.i32: -2147483649 is out of range for int32");
    m = mp_field(3);
    msgpack_pack_uint64(&m->pk, (uint64_t)INT64_MAX + 1);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.i64: 9223372036854775808 is out of range for int64");
    m = mp_field(4);
    msgpack_pack_uint64(&m->pk, (uint64_t)UINT32_MAX + 1);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.u32: 4294967296 is out of range for uint32");
    m = mp_field(4);
    msgpack_pack_int8(&m->pk, -1);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.u32: -1 is out of range for uint32");
    m = mp_field(5);
    msgpack_pack_int64(&m->pk, INT64_MIN);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.u64: -9223372036854775808 is out of range for uint64");
    m = mp_field(19);
    msgpack_pack_uint64(&m->pk, 1ull << 31);
    mp_fail(m, SCALARS, TND_ERANGE, "Scalars.opt_e: 2147483648 is out of range for enum");
    m = mp_field(5);
    msgpack_pack_array(&m->pk, 2);
    msgpack_pack_uint8(&m->pk, 1);
    msgpack_pack_int8(&m->pk, -2);
    mp_fail(m, CONTAINERS, TND_ERANGE, "Containers.r_u64[1]: -2 is out of range for uint64");

    /* accepted: either int family when the value fits, ints and float32 for doubles */
    static const uint8_t in[] = {
        0x85, 0x02, 0xd3, 0,    0,    0,    0,    0,    0,    0,    5, /* int64-coded 5 */
        0x03, 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x06, 0xd0, 0xfd, /* d = -3 */
        0x10, 0xca, 0x3f, 0xc0, 0x00, 0x00,  /* opt_d = 1.5f */
        0x09, 0xd2, 0x80, 0x00, 0x00, 0x00}; /* e = INT32_MIN */
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_decode(SCALARS, in, sizeof in, &s, &err), 0);
    assert_int_equal(s.i32, 5);
    assert_true(s.i64 == INT64_MAX);
    assert_true(s.d == -3.0);
    assert_true(s.has_opt_d && s.opt_d == 1.5);
    assert_int_equal((int32_t)s.e, INT32_MIN);
    tender_test_v1_Scalars_free(&s);
    m = mp_field(6);
    msgpack_pack_uint64(&m->pk, UINT64_MAX);
    assert_int_equal(tnd_msg_decode(SCALARS, (uint8_t *)m->sb.data, m->sb.size, &s, NULL), 0);
    assert_true(s.d == 18446744073709551615.0);
    msgpack_sbuffer_destroy(&m->sb);
    free(m);
}

static void test_keys(void **state)
{
    (void)state;
    mp *m = mp_new();
    msgpack_pack_map(&m->pk, 2);
    msgpack_pack_uint8(&m->pk, 7);
    mp_str(m, "a", 1);
    msgpack_pack_uint16(&m->pk, 7); /* same number, another encoding */
    mp_str(m, "b", 1);
    mp_fail(m, SCALARS, TND_EDUPFIELD, "Scalars.s: field 7 given twice");

    m = mp_new(); /* nil counts as given */
    msgpack_pack_map(&m->pk, 2);
    msgpack_pack_uint8(&m->pk, 14);
    msgpack_pack_nil(&m->pk);
    msgpack_pack_uint8(&m->pk, 14);
    msgpack_pack_map(&m->pk, 0);
    mp_fail(m, CONTAINERS, TND_EDUPFIELD, "Containers.child: field 14 given twice");

    m = mp_field(0);
    msgpack_pack_nil(&m->pk);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected field number, got 0");
    m = mp_new();
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_int8(&m->pk, -1);
    msgpack_pack_nil(&m->pk);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected field number, got -1");
    m = mp_new();
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint64(&m->pk, 1ull << 32);
    msgpack_pack_nil(&m->pk);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected field number, got 4294967296");
    m = mp_new();
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "s", 1);
    mp_str(m, "x", 1);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected field number, got str");
    m = mp_new();
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_array(&m->pk, 0);
    msgpack_pack_nil(&m->pk);
    mp_fail(m, SCALARS, TND_ETYPE, "Scalars: expected field number, got array");

    m = mp_field(11); /* map keys must be str */
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 2);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.m_int: expected str key, got uint64");
    m = mp_field(13);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_bin_with_body(&m->pk, "k", 1);
    mp_str(m, "v", 1);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.m_str: expected str key, got bin");
    m = mp_field(11); /* and unique */
    msgpack_pack_map(&m->pk, 3);
    mp_str(m, "a", 1);
    msgpack_pack_uint8(&m->pk, 1);
    mp_str(m, "b", 1);
    msgpack_pack_uint8(&m->pk, 2);
    mp_str(m, "a", 1);
    msgpack_pack_uint8(&m->pk, 3);
    mp_fail(m, CONTAINERS, TND_EDUPFIELD, "Containers.m_int[\"a\"]: key given twice");
    m = mp_field(11); /* keys are checked strings too */
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "a\xff", 2);
    msgpack_pack_uint8(&m->pk, 1);
    mp_fail(m, CONTAINERS, TND_EUTF8, "Containers.m_int[\"a\\xff\"]: invalid UTF-8 at offset 1");

    /* unknown numbers are skipped whatever they hold; nil means absent */
    m = mp_new();
    msgpack_pack_map(&m->pk, 5);
    msgpack_pack_uint8(&m->pk, 99);
    msgpack_pack_array(&m->pk, 2);
    msgpack_pack_map(&m->pk, 0);
    mp_str(m, "\xff", 1); /* not even checked: not ours */
    msgpack_pack_uint32(&m->pk, UINT32_MAX);
    msgpack_pack_nil(&m->pk);
    msgpack_pack_uint8(&m->pk, 7);
    mp_str(m, "x", 1);
    msgpack_pack_uint8(&m->pk, 17);
    msgpack_pack_nil(&m->pk);
    msgpack_pack_uint8(&m->pk, 10);
    msgpack_pack_nil(&m->pk);
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    tnd_codec_err err = {{0}};
    int rc = tnd_msg_decode(SCALARS, (uint8_t *)m->sb.data, m->sb.size, &s, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(s.s, "x");
    assert_false(s.has_opt_s);
    assert_false(s.has_opt_b);
    tender_test_v1_Scalars_free(&s);
    msgpack_sbuffer_destroy(&m->sb);
    free(m);
}

/* What a receiver keeps of what was sent (docs/PROTOCOL.md, section 10):
 * fields in any order, explicit defaults, an empty nested message, map
 * entries in the order sent. The re-encoding, which every hash covers, puts
 * fields in ascending order, drops singular defaults and empty containers,
 * keeps optional presence and the empty message, and keeps map order. */
static void test_reencoding_of_what_was_sent(void **state)
{
    (void)state;
    static const uint8_t in[] = {
        0x86,                   /* Containers, 6 fields, out of order */
        0x0e, 0x84,             /* child = {7: "", 2: 0, 1: false, 17: ""} */
        0x07, 0xa0, 0x02, 0x00, 0x01, 0xc2, 0x11, 0xa0,
        0x0d, 0x82,             /* m_str = {"b": "1", "a": "2"} */
        0xa1, 'b', 0xa1, '1', 0xa1, 'a', 0xa1, '2',
        0x01, 0x90,             /* r_bool = [] */
        0x0b, 0x80,             /* m_int = {} */
        0x0a, 0x91, 0x80,       /* r_msg = [{}] */
        0x02, 0xc0};            /* r_i32 = nil: absent */
    static const uint8_t want[] = {
        0x83,
        0x0a, 0x91, 0x80,
        0x0d, 0x82, 0xa1, 'b', 0xa1, '1', 0xa1, 'a', 0xa1, '2',
        0x0e, 0x81, 0x11, 0xa0};
    Containers c;
    tender_test_v1_Containers_init(&c);
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_decode(CONTAINERS, in, sizeof in, &c, &err), 0);
    assert_non_null(c.child);
    assert_true(c.child->has_opt_s);
    uint8_t *out;
    size_t len;
    encode_ok(CONTAINERS, &c, &out, &len);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    free(out);
    tender_test_v1_Containers_free(&c);
}

static void test_strings(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *text;
    } bad[] = {
        {"\xff", 1, "Scalars.s: invalid UTF-8 at offset 0"},
        {"ab\xc0\x80", 4, "Scalars.s: invalid UTF-8 at offset 2"},       /* overlong NUL */
        {"\xe0\x80\xaf", 3, "Scalars.s: invalid UTF-8 at offset 0"},     /* overlong '/' */
        {"\xed\xa0\x80", 3, "Scalars.s: invalid UTF-8 at offset 0"},     /* surrogate */
        {"\xf4\x90\x80\x80", 4, "Scalars.s: invalid UTF-8 at offset 0"}, /* > U+10FFFF */
        {"a\xe2\x82", 3, "Scalars.s: invalid UTF-8 at offset 1"},        /* cut short */
        {"\x80", 1, "Scalars.s: invalid UTF-8 at offset 0"},             /* lone continuation */
        {"a\0b", 3, "Scalars.s: NUL byte at offset 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mp *m = mp_field(7);
        mp_str(m, bad[i].bytes, bad[i].len);
        mp_fail(m, SCALARS, TND_EUTF8, bad[i].text);
    }
    mp *m = mp_field(7); /* U+10FFFF is the last valid code point */
    mp_str(m, "\xf4\x8f\xbf\xbf", 4);
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    assert_int_equal(tnd_msg_decode(SCALARS, (uint8_t *)m->sb.data, m->sb.size, &s, NULL), 0);
    assert_string_equal(s.s, "\xf4\x8f\xbf\xbf");
    tender_test_v1_Scalars_free(&s);
    msgpack_sbuffer_destroy(&m->sb);
    free(m);

    /* the sender checks the same */
    tender_test_v1_Scalars_init(&s);
    s.s = dup_str("ok\xed\xa0\x80");
    expect_check_fail(SCALARS, &s, TND_EUTF8, "Scalars.s: invalid UTF-8 at offset 2");
    tender_test_v1_Scalars_free(&s);
    Containers c;
    tender_test_v1_Containers_init(&c);
    c.n_m_str = 1;
    c.m_str = calloc(1, sizeof *c.m_str);
    c.m_str[0].key = dup_str("key");
    c.m_str[0].value = dup_str("\xc3");
    expect_check_fail(CONTAINERS, &c, TND_EUTF8,
                      "Containers.m_str[\"key\"]: invalid UTF-8 at offset 0");
    tender_test_v1_Containers_free(&c);
}

static void test_limits(void **state)
{
    (void)state;
    mp *m = mp_field(1);
    mp_str(m, "123456789", 9);
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.short_s: 9 bytes exceed max_len 8");
    m = mp_field(2);
    msgpack_pack_bin_with_body(&m->pk, "12345", 5);
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.short_b: 5 bytes exceed max_len 4");
    m = mp_field(3);
    msgpack_pack_array(&m->pk, 4);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint8(&m->pk, 1);
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.few: 4 elements exceed max_count 3");
    m = mp_field(4);
    msgpack_pack_map(&m->pk, 3);
    for (int i = 0; i < 3; i++) {
        char k = (char)('a' + i);
        mp_str(m, &k, 1);
        mp_str(m, "v", 1);
    }
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.tags: 3 entries exceed max_count 2");
    m = mp_field(4); /* max_len bounds the values and the keys of a map */
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "k", 1);
    mp_str(m, "123456", 6);
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.tags[\"k\"]: 6 bytes exceed max_len 5");
    m = mp_field(4);
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "abcdef", 6);
    mp_str(m, "v", 1);
    mp_fail(m, LIMITED, TND_ELIMIT, "Limited.tags[\"abcdef\"]: 6 bytes exceed max_len 5");

    /* exactly at every limit is fine, both ways */
    Limited l, out;
    tender_test_v1_Limited_init(&l);
    l.short_s = dup_str("12345678");
    l.short_b = bytes_of("1234", 4);
    l.n_few = 3;
    l.few = calloc(3, sizeof *l.few);
    l.few[2] = UINT32_MAX;
    l.n_tags = 2;
    l.tags = calloc(2, sizeof *l.tags);
    l.tags[0].key = dup_str("12345");
    l.tags[0].value = dup_str("abcde");
    l.tags[1].key = dup_str("x");
    roundtrip(LIMITED, &l, &out);
    assert_string_equal(out.short_s, "12345678");
    assert_int_equal(out.n_few, 3);
    assert_int_equal(out.few[2], UINT32_MAX);
    assert_int_equal(out.n_tags, 2);
    assert_string_equal(out.tags[0].value, "abcde");
    tender_test_v1_Limited_free(&out);

    /* one over, on the sending side */
    free(l.short_s);
    l.short_s = dup_str("123456789");
    expect_check_fail(LIMITED, &l, TND_ELIMIT, "Limited.short_s: 9 bytes exceed max_len 8");
    l.short_s[8] = '\0';
    l.short_b.len = 5;
    l.short_b.data = realloc(l.short_b.data, 5);
    expect_check_fail(LIMITED, &l, TND_ELIMIT, "Limited.short_b: 5 bytes exceed max_len 4");
    l.short_b.len = 4;
    l.n_few = 4;
    l.few = realloc(l.few, 4 * sizeof *l.few);
    expect_check_fail(LIMITED, &l, TND_ELIMIT, "Limited.few: 4 elements exceed max_count 3");
    l.n_few = 3;
    free(l.tags[1].key);
    l.tags[1].key = dup_str("123456");
    expect_check_fail(LIMITED, &l, TND_ELIMIT,
                      "Limited.tags[\"123456\"]: 6 bytes exceed max_len 5");
    l.tags[1].key[5] = '\0';
    l.tags[1].value = dup_str("123456");
    expect_check_fail(LIMITED, &l, TND_ELIMIT, "Limited.tags[\"12345\"]: 6 bytes exceed max_len 5");
    l.tags[1].value[5] = '\0';
    l.n_tags = 3;
    l.tags = realloc(l.tags, 3 * sizeof *l.tags);
    memset(&l.tags[2], 0, sizeof l.tags[2]);
    expect_check_fail(LIMITED, &l, TND_ELIMIT, "Limited.tags: 3 entries exceed max_count 2");
    l.n_tags = 2;
    assert_int_equal(tnd_msg_check(LIMITED, &l, NULL), 0);
    tender_test_v1_Limited_free(&l);
}

static void test_default_limits(void **state)
{
    (void)state;
    Scalars s;
    tender_test_v1_Scalars_init(&s);
    s.s = filled(TND_DEFAULT_MAX_STRING + 1, 'y');
    expect_check_fail(SCALARS, &s, TND_ELIMIT, "Scalars.s: 65537 bytes exceed max_len 65536");
    mp *m = mp_field(7);
    mp_str(m, s.s, TND_DEFAULT_MAX_STRING + 1);
    mp_fail(m, SCALARS, TND_ELIMIT, "Scalars.s: 65537 bytes exceed max_len 65536");
    tender_test_v1_Scalars_free(&s);

    Containers c;
    tender_test_v1_Containers_init(&c);
    c.n_r_bool = TND_DEFAULT_MAX_COUNT + 1;
    c.r_bool = calloc(c.n_r_bool, sizeof *c.r_bool);
    expect_check_fail(CONTAINERS, &c, TND_ELIMIT,
                      "Containers.r_bool: 65537 elements exceed max_count 65536");
    tender_test_v1_Containers_free(&c);
    m = mp_field(1);
    msgpack_pack_array(&m->pk, TND_DEFAULT_MAX_COUNT + 1);
    for (unsigned i = 0; i <= TND_DEFAULT_MAX_COUNT; i++)
        msgpack_pack_true(&m->pk);
    mp_fail(m, CONTAINERS, TND_ELIMIT, "Containers.r_bool: 65537 elements exceed max_count 65536");

    /* more objects than any receiver accepts: 56000 messages of 19 objects each */
    c.n_r_msg = 56000;
    c.r_msg = calloc(c.n_r_msg, sizeof *c.r_msg);
    for (size_t i = 0; i < c.n_r_msg; i++) {
        Scalars *x = &c.r_msg[i];
        x->b = true;
        x->i32 = x->i64 = x->u32 = x->u64 = 1;
        x->d = 1;
        x->e = tender_test_v1_Color_RED;
        x->has_opt_b = x->has_opt_i32 = true;
    }
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_check(CONTAINERS, &c, &err), TND_ELIMIT);
    assert_non_null(strstr(err.text, "message holds more than 1048576 objects"));
    assert_true(strncmp(err.text, "Containers.r_msg[", 17) == 0);
    c.n_r_msg = 50000; /* 3 + 50000 * 19 objects fit */
    uint8_t *buf;
    size_t len;
    encode_ok(CONTAINERS, &c, &buf, &len);
    Containers out;
    tender_test_v1_Containers_init(&out);
    assert_int_equal(tnd_msg_decode(CONTAINERS, buf, len, &out, &err), 0);
    assert_int_equal(out.n_r_msg, 50000);
    free(buf);
    tender_test_v1_Containers_free(&out);
    c.n_r_msg = 56000;
    tender_test_v1_Containers_free(&c);
}

static void test_malformed_input(void **state)
{
    (void)state;
    static const uint8_t dd[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    expect_decode_fail(CONTAINERS, dd, sizeof dd, TND_EMALFORMED,
                       "array at offset 0 declares 4294967295 elements but only 0 bytes follow");
    static const uint8_t df[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    expect_decode_fail(CONTAINERS, df, sizeof df, TND_EMALFORMED,
                       "map at offset 0 declares 4294967295 entries but only 0 bytes follow");
    static const uint8_t trailing[] = {0x80, 0x80};
    expect_decode_fail(SCALARS, trailing, sizeof trailing, TND_ETRAILING,
                       "1 trailing byte at offset 1 after the value");
    static const uint8_t ext[] = {0x81, 0x07, 0xd4, 0x01, 0x00};
    expect_decode_fail(SCALARS, ext, sizeof ext, TND_EEXTTYPE,
                       "fixext1 at offset 2: ext types are not allowed");
}

/* A failure after several fields were filled leaves nothing behind (and
 * LeakSanitizer checks that nothing leaked). */
static void test_failure_frees_everything(void **state)
{
    (void)state;
    mp *m = mp_new();
    msgpack_pack_map(&m->pk, 5);
    msgpack_pack_uint8(&m->pk, 7);
    msgpack_pack_array(&m->pk, 2);
    mp_str(m, "a", 1);
    mp_str(m, "b", 1);
    msgpack_pack_uint8(&m->pk, 14);
    msgpack_pack_map(&m->pk, 2);
    msgpack_pack_uint8(&m->pk, 7);
    mp_str(m, "child", 5);
    msgpack_pack_uint8(&m->pk, 8);
    msgpack_pack_bin_with_body(&m->pk, "xyz", 3);
    msgpack_pack_uint8(&m->pk, 12);
    msgpack_pack_map(&m->pk, 1);
    mp_str(m, "k", 1);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 7);
    mp_str(m, "in map", 6);
    msgpack_pack_uint8(&m->pk, 10);
    msgpack_pack_array(&m->pk, 2);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 17);
    mp_str(m, "opt", 3);
    msgpack_pack_map(&m->pk, 1);
    msgpack_pack_uint8(&m->pk, 17);
    msgpack_pack_uint8(&m->pk, 1); /* wrong type, last */
    msgpack_pack_uint8(&m->pk, 13);
    msgpack_pack_map(&m->pk, 0);
    mp_fail(m, CONTAINERS, TND_ETYPE, "Containers.r_msg[1].opt_s: expected str, got uint64");

    /* from_object directly, into a message that already holds data */
    Containers c;
    tender_test_v1_Containers_init(&c);
    c.child = calloc(1, sizeof *c.child);
    c.child->s = dup_str("old");
    msgpack_object obj = {.type = MSGPACK_OBJECT_BOOLEAN};
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msg_from_object(CONTAINERS, &obj, &c, &err), TND_ETYPE);
    assert_string_equal(err.text, "Containers: expected map, got bool");
    assert_true(all_zero(&c, sizeof c));
}

static void test_free_null_and_init(void **state)
{
    (void)state;
    tnd_msg_free(SCALARS, NULL);
    Scalars s;
    memset(&s, 0xab, sizeof s);
    tnd_msg_init(SCALARS, &s);
    assert_true(all_zero(&s, sizeof s));
    tnd_msg_free(SCALARS, &s);
    assert_true(all_zero(&s, sizeof s));
}

/* The field path in decode errors: "Msg.field[12]", popped back as decoding
 * returns, and cut (never overflowed) where its buffer ends. */
static void test_path_building(void **state)
{
    (void)state;
    tnd_path p;
    tnd_path_init(&p, NODE, NULL);
    size_t m1 = tnd_path_field(&p, "children");
    size_t m2 = tnd_path_index(&p, 0);
    tnd_path_index(&p, 18446744073709551615ull);
    assert_string_equal(p.buf, "Node.children[0][18446744073709551615]");
    tnd_path_pop(&p, m2);
    assert_string_equal(p.buf, "Node.children");
    tnd_path_pop(&p, m1);
    assert_string_equal(p.buf, "Node");
    char want[sizeof p.buf * 2] = "Node";
    for (size_t i = 0; i < 20; i++) { /* 204 bytes: past the 159 that fit */
        tnd_path_field(&p, "abc");
        tnd_path_index(&p, 1234);
        strcat(want, ".abc[1234]");
    }
    assert_int_equal(p.len, sizeof p.buf - 1);
    assert_int_equal(strlen(p.buf), sizeof p.buf - 1);
    assert_memory_equal(p.buf, want, sizeof p.buf - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_building),
        cmocka_unit_test(test_defaults_encode_to_empty_map),
        cmocka_unit_test(test_smallest_encodings),
        cmocka_unit_test(test_scalars_extremes),
        cmocka_unit_test(test_optional_presence),
        cmocka_unit_test(test_containers_roundtrip),
        cmocka_unit_test(test_recursion_depth),
        cmocka_unit_test(test_compat_item_versions),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_reencoding_of_what_was_sent),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_default_limits),
        cmocka_unit_test(test_malformed_input),
        cmocka_unit_test(test_failure_frees_everything),
        cmocka_unit_test(test_arena_failures),
        cmocka_unit_test(test_decode_view),
        cmocka_unit_test(test_free_null_and_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
