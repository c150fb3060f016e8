/* The MessagePack pre-validator (tnd_msgpack_check) and tnd_msgpack_unpack:
 * every rule with its exact error code and text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tender/codec.h"

/* Expect tnd_msgpack_check(data) to fail with code and exactly text. */
static void expect_fail(const uint8_t *data, size_t len, int code, const char *text)
{
    tnd_codec_err err = {{0}};
    int rc = tnd_msgpack_check(data, len, &err);
    if (rc != code || strcmp(err.text, text) != 0)
        print_error("got %d \"%s\", want %d \"%s\"\n", rc, err.text, code, text);
    assert_int_equal(rc, code);
    assert_string_equal(err.text, text);
}

#define FAIL(code, text, ...)                                                                      \
    do {                                                                                           \
        static const uint8_t in_[] = {__VA_ARGS__};                                                \
        expect_fail(in_, sizeof in_, (code), (text));                                              \
    } while (0)

static void expect_ok(const uint8_t *data, size_t len)
{
    tnd_codec_err err = {{0}};
    int rc = tnd_msgpack_check(data, len, &err);
    if (rc != 0)
        print_error("rejected: %s\n", err.text);
    assert_int_equal(rc, 0);
}

#define OK(...)                                                                                    \
    do {                                                                                           \
        static const uint8_t in_[] = {__VA_ARGS__};                                                \
        expect_ok(in_, sizeof in_);                                                                \
    } while (0)

/* A buffer: type byte, big-endian count of `width` bytes, then `fill` bytes of 0xc0. */
static uint8_t *with_header(uint8_t type, int width, uint32_t count, size_t fill, size_t *len)
{
    *len = 1 + (size_t)width + fill;
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    b[0] = type;
    for (int i = 0; i < width; i++)
        b[1 + i] = (uint8_t)(count >> (8 * (width - 1 - i)));
    memset(b + 1 + width, 0xc0, fill);
    return b;
}

/* ---- accepted ------------------------------------------------------------ */

static void test_scalars_ok(void **state)
{
    (void)state;
    OK(0xc0);                         /* nil */
    OK(0xc2);                         /* false */
    OK(0xc3);                         /* true */
    OK(0x00);                         /* positive fixint */
    OK(0x7f);                         /* positive fixint */
    OK(0xe0);                         /* negative fixint */
    OK(0xff);                         /* negative fixint */
    OK(0xcc, 0xff);                   /* uint8 */
    OK(0xcd, 0xff, 0xff);             /* uint16 */
    OK(0xce, 0xff, 0xff, 0xff, 0xff); /* uint32 */
    OK(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    OK(0xd0, 0x80);                         /* int8 */
    OK(0xd1, 0x80, 0x00);                   /* int16 */
    OK(0xd2, 0x80, 0, 0, 0);                /* int32 */
    OK(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0);    /* int64 */
    OK(0xca, 0x3f, 0x80, 0, 0);             /* float32 */
    OK(0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0); /* float64 NaN */
}

static void test_strings_ok(void **state)
{
    (void)state;
    OK(0xa0);                               /* empty fixstr */
    OK(0xa3, 'a', 'b', 'c');                /* fixstr */
    OK(0xd9, 0x00);                         /* str8 empty */
    OK(0xd9, 0x02, 'h', 'i');               /* str8 */
    OK(0xda, 0x00, 0x01, 'x');              /* str16 */
    OK(0xdb, 0x00, 0x00, 0x00, 0x01, 'x');  /* str32 */
    OK(0xc4, 0x00);                         /* bin8 empty */
    OK(0xc4, 0x01, 0xff);                   /* bin8 */
    OK(0xc5, 0x00, 0x02, 0x00, 0x01);       /* bin16 */
    OK(0xc6, 0x00, 0x00, 0x00, 0x01, 0xc1); /* bin32: 0xc1 inside a body is data */
    OK(0xa1, 0xc1);                         /* so inside a str (the checker does not judge UTF-8) */
}

static void test_containers_ok(void **state)
{
    (void)state;
    OK(0x90);                                                 /* empty fixarray */
    OK(0x80);                                                 /* empty fixmap */
    OK(0x92, 0x01, 0x02);                                     /* fixarray */
    OK(0xdc, 0x00, 0x02, 0x01, 0x02);                         /* array16 */
    OK(0xdd, 0x00, 0x00, 0x00, 0x01, 0xc0);                   /* array32 */
    OK(0x81, 0x01, 0xa1, 'x');                                /* fixmap */
    OK(0xde, 0x00, 0x01, 0x01, 0x02);                         /* map16 */
    OK(0xdf, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02);             /* map32 */
    OK(0x82, 0x01, 0x92, 0x90, 0x80, 0x02, 0x81, 0xa0, 0xc0); /* nested */
    OK(0x81, 0x92, 0x01, 0x02, 0x81, 0xc0, 0xc0); /* containers as keys are well-formed */
}

/* ---- truncation ------------------------------------------------------------ */

/* A value holding one of every kind, packed by msgpack-c. */
static void pack_everything(msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_array(&pk, 12);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_int64(&pk, -1);
    msgpack_pack_int64(&pk, INT64_MIN);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_uint64(&pk, 300);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_double(&pk, 2.5);
    msgpack_pack_str_with_body(&pk, "hello", 5);
    msgpack_pack_bin_with_body(&pk, "\x00\x01", 2);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_map(&pk, 0);
    msgpack_pack_str_with_body(&pk, "k", 1);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int32(&pk, -100000);
    msgpack_pack_int16(&pk, -200);
    msgpack_pack_uint16(&pk, 2);
    msgpack_pack_str(&pk, 300);
    for (int i = 0; i < 300; i++)
        msgpack_pack_str_body(&pk, "z", 1);
}

static void test_truncated_every_prefix(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    pack_everything(&sb);
    const uint8_t *d = (const uint8_t *)sb.data;
    expect_ok(d, sb.size);
    for (size_t n = 0; n < sb.size; n++) {
        tnd_codec_err err = {{0}};
        int rc = tnd_msgpack_check(d, n, &err);
        if (rc != TND_EMALFORMED)
            print_error("prefix of %zu bytes: %d %s\n", n, rc, err.text);
        assert_int_equal(rc, TND_EMALFORMED);
        assert_true(strstr(err.text, "offset") != NULL);
    }
    msgpack_sbuffer_destroy(&sb);
}

static void test_truncated_texts(void **state)
{
    (void)state;
    expect_fail((const uint8_t *)"", 0, TND_EMALFORMED,
                "input ends at offset 0 where a value is expected");
    FAIL(TND_EMALFORMED, "uint32 at offset 0 needs 5 bytes but only 3 remain", 0xce, 0, 0);
    FAIL(TND_EMALFORMED, "float64 at offset 1 needs 9 bytes but only 1 remain", 0x91, 0xcb);
    FAIL(TND_EMALFORMED, "int8 at offset 0 needs 2 bytes but only 1 remain", 0xd0);
    FAIL(TND_EMALFORMED, "str at offset 0 needs 3 bytes but only 2 remain", 0xda, 0x00);
    FAIL(TND_EMALFORMED, "map at offset 0 needs 5 bytes but only 1 remain", 0xdf);
    FAIL(TND_EMALFORMED, "array at offset 0 declares 2 elements but only 1 bytes follow", 0x92,
         0x01);
    FAIL(TND_EMALFORMED, "map at offset 0 declares 1 entries but only 1 bytes follow", 0x81, 0x01);
    /* each count fits what follows it, but not all of them together */
    FAIL(TND_EMALFORMED, "input ends at offset 3 where a value is expected", 0x92, 0x91, 0x01);
}

static void test_empty_input(void **state)
{
    (void)state;
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msgpack_check(NULL, 0, &err), TND_EMALFORMED);
    assert_string_equal(err.text, "input ends at offset 0 where a value is expected");
    assert_int_equal(tnd_msgpack_check(NULL, 0, NULL), TND_EMALFORMED);
}

/* ---- invalid bytes, ext types, trailing bytes --------------------------------- */

static void test_never_used_byte(void **state)
{
    (void)state;
    FAIL(TND_EMALFORMED, "byte 0xc1 at offset 0 is never used in MessagePack", 0xc1);
    FAIL(TND_EMALFORMED, "byte 0xc1 at offset 3 is never used in MessagePack", 0x93, 0x01, 0x02,
         0xc1);
    FAIL(TND_EMALFORMED, "byte 0xc1 at offset 1 is never used in MessagePack", 0x81, 0xc1, 0x01);
}

static void test_ext_types(void **state)
{
    (void)state;
    FAIL(TND_EEXTTYPE, "fixext1 at offset 0: ext types are not allowed", 0xd4, 0x01, 0x00);
    FAIL(TND_EEXTTYPE, "fixext2 at offset 0: ext types are not allowed", 0xd5, 0x01, 0, 0);
    FAIL(TND_EEXTTYPE, "fixext4 at offset 0: ext types are not allowed", 0xd6, 0xff, 0, 0, 0, 0);
    FAIL(TND_EEXTTYPE, "fixext8 at offset 0: ext types are not allowed", 0xd7, 0xff, 0, 0, 0, 0, 0,
         0, 0, 0);
    FAIL(TND_EEXTTYPE, "fixext16 at offset 0: ext types are not allowed", 0xd8, 0x01, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    FAIL(TND_EEXTTYPE, "ext8 at offset 0: ext types are not allowed", 0xc7, 0x01, 0x05, 0x00);
    FAIL(TND_EEXTTYPE, "ext16 at offset 0: ext types are not allowed", 0xc8, 0x00, 0x01, 0x05,
         0x00);
    FAIL(TND_EEXTTYPE, "ext32 at offset 0: ext types are not allowed", 0xc9, 0, 0, 0, 1, 5, 0);
    /* nested, and even when the ext body itself is truncated */
    FAIL(TND_EEXTTYPE, "fixext4 at offset 2: ext types are not allowed", 0x81, 0x01, 0xd6);
    FAIL(TND_EEXTTYPE, "ext32 at offset 1: ext types are not allowed", 0x91, 0xc9, 0xff);
}

static void test_trailing(void **state)
{
    (void)state;
    FAIL(TND_ETRAILING, "1 trailing byte at offset 1 after the value", 0xc0, 0xc0);
    FAIL(TND_ETRAILING, "3 trailing bytes at offset 3 after the value", 0x92, 0x01, 0x02, 0x01,
         0x02, 0x03);
    FAIL(TND_ETRAILING, "1 trailing byte at offset 1 after the value", 0x80, 0xc1);
}

/* ---- declared sizes beyond the input ----------------------------------------- */

static void test_huge_counts(void **state)
{
    (void)state;
    /* msgpack-c would allocate 4G objects for these before reading one element */
    FAIL(TND_EMALFORMED, "array at offset 0 declares 4294967295 elements but only 0 bytes follow",
         0xdd, 0xff, 0xff, 0xff, 0xff);
    FAIL(TND_EMALFORMED, "map at offset 0 declares 4294967295 entries but only 0 bytes follow",
         0xdf, 0xff, 0xff, 0xff, 0xff);
    FAIL(TND_EMALFORMED, "str at offset 0 declares 4294967295 bytes but only 0 follow", 0xdb, 0xff,
         0xff, 0xff, 0xff);
    FAIL(TND_EMALFORMED, "bin at offset 0 declares 4294967295 bytes but only 0 follow", 0xc6, 0xff,
         0xff, 0xff, 0xff);
    /* nothing to free and no zone handed out when the checker refuses */
    static const uint8_t dd[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    msgpack_object obj;
    msgpack_zone *zone = (msgpack_zone *)&obj; /* must be overwritten with NULL */
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msgpack_unpack(dd, sizeof dd, &obj, &zone, &err), TND_EMALFORMED);
    assert_null(zone);
    assert_string_equal(err.text,
                        "array at offset 0 declares 4294967295 elements but only 0 bytes follow");
}

/* One over and exactly at the remaining bytes, for every width of every header. */
static void check_width(uint8_t type, int width, const char *what, const char *unit, bool is_map)
{
    size_t len;
    uint32_t count = 5;
    size_t fill = is_map ? 9 : 4; /* one byte short of 2*5 / 5 */
    uint8_t *b = with_header(type, width, count, fill, &len);
    char want[200];
    snprintf(want, sizeof want, "%s at offset 0 declares 5 %s but only %zu %sfollow", what, unit,
             fill, strcmp(unit, "bytes") == 0 ? "" : "bytes ");
    expect_fail(b, len, TND_EMALFORMED, want);
    free(b);
    b = with_header(type, width, count, fill + 1, &len); /* exactly enough (nil elements) */
    expect_ok(b, len);
    free(b);
}

static void test_lengths_each_width(void **state)
{
    (void)state;
    check_width(0x95, 0, "array", "elements", false); /* fixarray of 5 */
    check_width(0xdc, 2, "array", "elements", false);
    check_width(0xdd, 4, "array", "elements", false);
    check_width(0x85, 0, "map", "entries", true); /* fixmap of 5 */
    check_width(0xde, 2, "map", "entries", true);
    check_width(0xdf, 4, "map", "entries", true);
    check_width(0xa5, 0, "str", "bytes", false); /* fixstr of 5 */
    check_width(0xd9, 1, "str", "bytes", false);
    check_width(0xda, 2, "str", "bytes", false);
    check_width(0xdb, 4, "str", "bytes", false);
    check_width(0xc4, 1, "bin", "bytes", false);
    check_width(0xc5, 2, "bin", "bytes", false);
    check_width(0xc6, 4, "bin", "bytes", false);
    /* a nested count is measured against what follows it, not the whole input */
    FAIL(TND_EMALFORMED, "array at offset 1 declares 3 elements but only 2 bytes follow", 0x92,
         0x93, 0x01, 0x02);
    FAIL(TND_EMALFORMED, "map at offset 2 declares 1 entries but only 1 bytes follow", 0x81, 0x01,
         0x81, 0x01);
}

/* ---- depth ------------------------------------------------------------------- */

static uint8_t *nested(size_t levels, uint8_t open, size_t *len)
{
    /* arrays: 0x91 ... 0x90; maps: 0x81 0x01 ... 0x80 */
    size_t per = open == 0x91 ? 1 : 2;
    *len = (levels - 1) * per + 1;
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    for (size_t i = 0; i + 1 < levels; i++) {
        b[i * per] = open;
        if (per == 2)
            b[i * per + 1] = 0x01;
    }
    b[*len - 1] = open == 0x91 ? 0x90 : 0x80;
    return b;
}

static void test_depth(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = nested(TND_MSGPACK_MAX_DEPTH, 0x91, &len);
    expect_ok(b, len);
    /* and msgpack-c, whose own stack holds 32 containers, agrees */
    msgpack_object obj;
    msgpack_zone *zone;
    assert_int_equal(tnd_msgpack_unpack(b, len, &obj, &zone, NULL), 0);
    msgpack_zone_free(zone);
    free(b);

    b = nested(TND_MSGPACK_MAX_DEPTH + 1, 0x91, &len);
    expect_fail(b, len, TND_ETOODEEP, "array at offset 32 nests deeper than 32 levels");
    free(b);

    b = nested(TND_MSGPACK_MAX_DEPTH, 0x81, &len);
    expect_ok(b, len);
    free(b);
    b = nested(TND_MSGPACK_MAX_DEPTH + 1, 0x81, &len);
    expect_fail(b, len, TND_ETOODEEP, "map at offset 64 nests deeper than 32 levels");
    free(b);

    /* depth is nesting, not the number of containers: 40 siblings are fine */
    uint8_t flat[41];
    flat[0] = 0xdc;
    memset(flat + 1, 0x90, sizeof flat - 1);
    flat[1] = 0x00;
    flat[2] = 38;
    expect_ok(flat, 41);
}

/* ---- object count -------------------------------------------------------- */

static void test_object_limit(void **state)
{
    (void)state;
    size_t len;
    /* the array itself plus n nils */
    uint8_t *b =
        with_header(0xdd, 4, TND_MSGPACK_MAX_OBJECTS - 1, TND_MSGPACK_MAX_OBJECTS - 1, &len);
    expect_ok(b, len);
    free(b);
    b = with_header(0xdd, 4, TND_MSGPACK_MAX_OBJECTS, TND_MSGPACK_MAX_OBJECTS, &len);
    expect_fail(b, len, TND_ELIMIT, "more than 1048576 objects in one value (at offset 1048580)");
    free(b);
}

/* ---- unpack ------------------------------------------------------------------ */

static void test_unpack(void **state)
{
    (void)state;
    static const uint8_t in[] = {0x82, 0x01, 0xa3, 'a', 'b', 'c', 0x02, 0xc4, 0x01, 0x07};
    msgpack_object obj;
    msgpack_zone *zone = NULL;
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_msgpack_unpack(in, sizeof in, &obj, &zone, &err), 0);
    assert_non_null(zone);
    assert_int_equal(obj.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(obj.via.map.size, 2);
    /* str and bin bodies point into the input */
    assert_ptr_equal(obj.via.map.ptr[0].val.via.str.ptr, (const char *)in + 3);
    assert_ptr_equal(obj.via.map.ptr[1].val.via.bin.ptr, (const char *)in + 9);
    msgpack_zone_free(zone);

    static const uint8_t bad[] = {0xc0, 0x01};
    zone = (msgpack_zone *)&obj;
    assert_int_equal(tnd_msgpack_unpack(bad, sizeof bad, &obj, &zone, &err), TND_ETRAILING);
    assert_null(zone);
    assert_string_equal(err.text, "1 trailing byte at offset 1 after the value");
}

/* The zone's first block is sized to the objects, not the bytes: a map
 * holding 4 KiB of bin takes a few hundred bytes (bodies are not copied);
 * a value with more objects than that first block holds still unpacks
 * whole (the zone grows). */
static void test_unpack_zone_fits_the_objects(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    static uint8_t blob[4096];
    memset(blob, 0xab, sizeof blob);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "ciphertext", 10);
    msgpack_pack_bin_with_body(&pk, blob, sizeof blob);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_int(&pk, 7);
    msgpack_object obj;
    msgpack_zone *zone = NULL;
    assert_int_equal(tnd_msgpack_unpack((const uint8_t *)sb.data, sb.size, &obj, &zone, NULL),
                     0);
    assert_true(zone->chunk_size <= 256);
    assert_int_equal(obj.via.map.size, 2);
    assert_int_equal(obj.via.map.ptr[0].val.via.bin.size, sizeof blob);
    assert_int_equal(obj.via.map.ptr[1].val.via.u64, 7);
    msgpack_zone_free(zone);

    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 3000); /* 72 KB of objects */
    for (int i = 0; i < 3000; i++)
        msgpack_pack_int(&pk, i);
    assert_int_equal(tnd_msgpack_unpack((const uint8_t *)sb.data, sb.size, &obj, &zone, NULL),
                     0);
    assert_int_equal(obj.via.array.size, 3000);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(obj.via.array.ptr[i].via.u64, (uint64_t)i);
    msgpack_zone_free(zone);
    msgpack_sbuffer_destroy(&sb);
}

static void test_type_names(void **state)
{
    (void)state;
    static const struct {
        msgpack_object_type t;
        const char *name;
    } want[] = {
        {MSGPACK_OBJECT_NIL, "nil"},
        {MSGPACK_OBJECT_BOOLEAN, "bool"},
        {MSGPACK_OBJECT_POSITIVE_INTEGER, "uint64"},
        {MSGPACK_OBJECT_NEGATIVE_INTEGER, "int64"},
        {MSGPACK_OBJECT_FLOAT32, "float32"},
        {MSGPACK_OBJECT_FLOAT64, "float64"},
        {MSGPACK_OBJECT_STR, "str"},
        {MSGPACK_OBJECT_ARRAY, "array"},
        {MSGPACK_OBJECT_MAP, "map"},
        {MSGPACK_OBJECT_BIN, "bin"},
        {MSGPACK_OBJECT_EXT, "ext"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        msgpack_object o = {.type = want[i].t};
        assert_string_equal(tnd_msgpack_type_name(&o), want[i].name);
    }
    msgpack_object o = {.type = (msgpack_object_type)99};
    assert_string_equal(tnd_msgpack_type_name(&o), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_ok),         cmocka_unit_test(test_strings_ok),
        cmocka_unit_test(test_containers_ok),      cmocka_unit_test(test_truncated_every_prefix),
        cmocka_unit_test(test_truncated_texts),    cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_never_used_byte),    cmocka_unit_test(test_ext_types),
        cmocka_unit_test(test_trailing),           cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_lengths_each_width), cmocka_unit_test(test_depth),
        cmocka_unit_test(test_object_limit),       cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_unpack_zone_fits_the_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
