/* Unit tests of common/frame.c: every frame type round-trips, the reader
 * splits a byte stream at any boundary, limits and malformed bodies are
 * refused with their messages, metadata rules hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* Parse the single frame in sb (after its 4-byte prefix). */
static int parse_one(msgpack_sbuffer *sb, tnd_frame *f, msgpack_zone **zone, tnd_codec_err *err)
{
    assert_true(sb->size >= 4);
    const uint8_t *p = (const uint8_t *)sb->data;
    uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    assert_int_equal(n, sb->size - 4);
    return tnd_frame_parse(p + 4, n, f, zone, err);
}

static void test_round_trip_every_type(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_zone *zone = NULL;
    tnd_frame f;
    tnd_codec_err err;
    msgpack_sbuffer_init(&sb);

    tnd_settings s = {1, 2, 3, 4, 5};
    assert_int_equal(tnd_frame_put_settings(&sb, &s), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_SETTINGS);
    assert_memory_equal(&f.u.settings, &s, sizeof s);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    tnd_md md[] = {{"x-request-id", (const uint8_t *)"abc", 3},
                   {"trace-bin", (const uint8_t *)"\x00\x01", 2}};
    assert_int_equal(tnd_frame_put_call(&sb, 7, "a.B/C", md, 2, 1234), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_CALL);
    assert_int_equal(f.stream_id, 7);
    assert_int_equal(f.u.call.method.len, 5);
    assert_memory_equal(f.u.call.method.ptr, "a.B/C", 5);
    assert_int_equal(f.u.call.timeout_ms, 1234);
    assert_int_equal(tnd_metadata_check(f.u.call.metadata, 1000, &err), 0);
    const msgpack_object *v = tnd_metadata_get(f.u.call.metadata, "trace-bin");
    assert_non_null(v);
    assert_int_equal(v->type, MSGPACK_OBJECT_BIN);
    assert_null(tnd_metadata_get(f.u.call.metadata, "missing"));
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_message(&sb, 9, (const uint8_t *)"\x80", 1, true), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_MESSAGE);
    assert_int_equal(f.u.message.payload.len, 1);
    assert_true(f.u.message.end_stream);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_status(&sb, 9, 5, "not here", (const uint8_t *)"d", 1, NULL, 0),
                     0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_STATUS);
    assert_int_equal(f.u.status.code, 5);
    assert_memory_equal(f.u.status.message.ptr, "not here", 8);
    assert_int_equal(f.u.status.details.len, 1);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_cancel(&sb, 11), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_CANCEL);
    assert_int_equal(f.stream_id, 11);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_ping(&sb, UINT64_MAX, true), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_PING);
    assert_true(f.u.ping.opaque == UINT64_MAX);
    assert_true(f.u.ping.ack);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_goaway(&sb, 99, 14, "bye"), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_GOAWAY);
    assert_int_equal(f.u.goaway.last_stream_id, 99);
    assert_int_equal(f.u.goaway.code, 14);
    msgpack_zone_free(zone);
    msgpack_sbuffer_clear(&sb);

    assert_int_equal(tnd_frame_put_window(&sb, 0, 65536), 0);
    assert_int_equal(parse_one(&sb, &f, &zone, &err), 0);
    assert_int_equal(f.type, TND_FRAME_WINDOW);
    assert_int_equal(f.u.window.increment, 65536);
    msgpack_zone_free(zone);
    msgpack_sbuffer_destroy(&sb);
}

/* Three frames fed one byte at a time come out whole and in order. */
static void test_reader_any_boundary(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_ping(&sb, 1, false), 0);
    assert_int_equal(tnd_frame_put_window(&sb, 3, 10), 0);
    assert_int_equal(tnd_frame_put_cancel(&sb, 5), 0);
    tnd_frame_reader r;
    tnd_frame_reader_init(&r, 1024);
    int got = 0;
    uint32_t sids[3];
    for (size_t i = 0; i < sb.size; i++) {
        assert_int_equal(tnd_frame_reader_feed(&r, (const uint8_t *)sb.data + i, 1), 0);
        const uint8_t *body;
        size_t len;
        while (tnd_frame_reader_next(&r, &body, &len) == 1) {
            tnd_frame f;
            msgpack_zone *zone;
            assert_int_equal(tnd_frame_parse(body, len, &f, &zone, NULL), 0);
            sids[got++] = f.stream_id;
            msgpack_zone_free(zone);
        }
    }
    assert_int_equal(got, 3);
    assert_int_equal(sids[0], 0);
    assert_int_equal(sids[1], 3);
    assert_int_equal(sids[2], 5);
    assert_int_equal(tnd_frame_reader_pending(&r), 0);
    tnd_frame_reader_free(&r);
    msgpack_sbuffer_destroy(&sb);
}

static void test_reader_oversized(void **state)
{
    (void)state;
    tnd_frame_reader r;
    tnd_frame_reader_init(&r, 100);
    static const uint8_t hdr[] = {0, 0, 0, 101};
    assert_int_equal(tnd_frame_reader_feed(&r, hdr, 4), 0);
    const uint8_t *body;
    size_t len = 0;
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), TND_ELIMIT);
    assert_int_equal(len, 101);
    tnd_frame_reader_free(&r);
}

static void expect_bad(const uint8_t *body, size_t len, int code, const char *text)
{
    tnd_frame f;
    msgpack_zone *zone = (msgpack_zone *)1;
    tnd_codec_err err = {{0}};
    assert_int_equal(tnd_frame_parse(body, len, &f, &zone, &err), code);
    assert_null(zone);
    if (!strstr(err.text, text))
        fail_msg("error \"%s\" lacks \"%s\"", err.text, text);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_bad((const uint8_t *)"\x80", 1, TND_EPROTO, "not an array");
    expect_bad((const uint8_t *)"\x92\x08\x00", 3, TND_EPROTO, "unknown frame type 8");
    expect_bad((const uint8_t *)"\x92\xa1x\x00", 4, TND_EPROTO, "unsigned integers");
    expect_bad((const uint8_t *)"\x92\x01\x01", 3, TND_EPROTO, "CALL frame has 2 elements");
    /* MESSAGE with a str payload instead of bin */
    expect_bad((const uint8_t *)"\x94\x02\x01\xa1x\xc3", 6, TND_EPROTO, "MESSAGE frame");
    expect_bad((const uint8_t *)"\xdd\xff\xff\xff\xff", 5, TND_EMALFORMED, "4294967295");
    expect_bad((const uint8_t *)"\x92\x05", 2, TND_EMALFORMED, "");
}

static void test_extra_elements_ignored(void **state)
{
    (void)state;
    /* CANCEL with a trailing element a newer peer might add. */
    tnd_frame f;
    msgpack_zone *zone;
    assert_int_equal(tnd_frame_parse((const uint8_t *)"\x93\x04\x03\xc0", 4, &f, &zone, NULL), 0);
    assert_int_equal(f.type, TND_FRAME_CANCEL);
    msgpack_zone_free(zone);
}

static void check_md(const char *key, const char *val, bool bin, int want, size_t limit)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, key, strlen(key));
    if (bin)
        msgpack_pack_bin_with_body(&pk, val, strlen(val));
    else
        msgpack_pack_str_with_body(&pk, val, strlen(val));
    msgpack_object obj;
    msgpack_zone *zone;
    assert_int_equal(tnd_msgpack_unpack((const uint8_t *)sb.data, sb.size, &obj, &zone, NULL), 0);
    tnd_codec_err err;
    assert_int_equal(tnd_metadata_check(&obj, limit, &err), want);
    msgpack_zone_free(zone);
    msgpack_sbuffer_destroy(&sb);
}

static void test_metadata_rules(void **state)
{
    (void)state;
    check_md("x-request-id", "abc", false, 0, 100);
    check_md("X-Upper", "abc", false, TND_EPROTO, 100);
    check_md("key-bin", "abc", false, TND_EPROTO, 100); /* -bin needs bin */
    check_md("key", "abc", true, TND_EPROTO, 100);      /* plain keys need str */
    check_md("key", "a\nb", false, TND_EPROTO, 100);    /* printable only */
    check_md("key", "abcdef", false, TND_ELIMIT, 8);
    check_md("key-bin", "\x01\x02", true, 0, 100);
}

/* A key left out or sent as 0 means the default of docs/PROTOCOL.md's
 * SETTINGS table, the same on both sides; a value sent is kept. */
static void test_settings_defaults(void **state)
{
    (void)state;
    tnd_settings none = {0}, got = tnd_settings_with_defaults(&none);
    assert_int_equal(got.max_frame, 4194304);
    assert_int_equal(got.max_streams, 1024);
    assert_int_equal(got.initial_window, 1048576);
    assert_int_equal(got.max_metadata, 16384);
    assert_int_equal(got.conn_window, 16777216);
    tnd_settings sent = {1, 2, 3, 4, 5};
    got = tnd_settings_with_defaults(&sent);
    assert_memory_equal(&got, &sent, sizeof got);
}

/* A MESSAGE written in pieces (head, payload where it lies, tail) is the
 * frame tnd_frame_put_message builds, byte for byte, at every size where
 * msgpack's encodings of the stream id and the bin length change. */
static void test_message_in_parts_is_the_same_frame(void **state)
{
    (void)state;
    static uint8_t payload[70000];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 31);
    const uint32_t sids[] = {1, 127, 128, 255, 256, 65535, 65536, UINT32_MAX};
    const size_t lens[] = {0, 1, 255, 256, 65535, 65536, sizeof payload};
    for (size_t i = 0; i < sizeof sids / sizeof sids[0]; i++) {
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            for (int end = 0; end < 2; end++) {
                msgpack_sbuffer sb;
                msgpack_sbuffer_init(&sb);
                assert_int_equal(
                    tnd_frame_put_message(&sb, sids[i], lens[j] ? payload : NULL, lens[j], end), 0);
                tnd_frame_parts f;
                assert_int_equal(tnd_frame_message_parts(&f, sids[i], lens[j], end), 0);
                assert_true(f.head_len <= TND_FRAME_MESSAGE_HEAD_MAX);
                assert_int_equal(sb.size, f.head_len + lens[j] + 1);
                assert_memory_equal(sb.data, f.head, f.head_len);
                if (lens[j])
                    assert_memory_equal(sb.data + f.head_len, payload, lens[j]);
                assert_int_equal((uint8_t)sb.data[sb.size - 1], f.tail);
                msgpack_sbuffer_destroy(&sb);
            }
        }
    }
    tnd_frame_parts f;
    assert_int_equal(tnd_frame_message_parts(&f, 1, (size_t)UINT32_MAX, false), TND_ELIMIT);
}

/* A reader that received one large frame gives its buffer back once the
 * frame has been handled; a small buffer is kept for the next frames. */
static void test_reader_gives_back_a_large_buffer(void **state)
{
    (void)state;
    static uint8_t payload[1 << 20];
    memset(payload, 7, sizeof payload);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_message(&sb, 1, payload, sizeof payload, true), 0);
    tnd_frame_reader r;
    tnd_frame_reader_init(&r, 4u << 20);
    for (size_t off = 0; off < sb.size; off += 16384) { /* as TLS records arrive */
        size_t n = sb.size - off < 16384 ? sb.size - off : 16384;
        assert_int_equal(tnd_frame_reader_feed(&r, (const uint8_t *)sb.data + off, n), 0);
    }
    const uint8_t *body;
    size_t len;
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), 1);
    assert_int_equal(len, sb.size - 4);
    assert_true(r.cap >= sb.size);
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), 0); /* handled: given back */
    assert_null(r.buf);
    assert_int_equal(r.cap, 0);
    assert_int_equal(tnd_frame_reader_pending(&r), 0);

    msgpack_sbuffer_clear(&sb);
    assert_int_equal(tnd_frame_put_message(&sb, 3, payload, 100, true), 0);
    assert_int_equal(tnd_frame_reader_feed(&r, (const uint8_t *)sb.data, sb.size), 0);
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), 1);
    assert_int_equal(tnd_frame_reader_next(&r, &body, &len), 0);
    assert_non_null(r.buf); /* small: kept for the next frames */
    tnd_frame_reader_free(&r);
    msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type), cmocka_unit_test(test_reader_any_boundary),
        cmocka_unit_test(test_reader_oversized),      cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_extra_elements_ignored), cmocka_unit_test(test_metadata_rules),
        cmocka_unit_test(test_settings_defaults),
        cmocka_unit_test(test_message_in_parts_is_the_same_frame),
        cmocka_unit_test(test_reader_gives_back_a_large_buffer),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
