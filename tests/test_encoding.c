/* tender/encoding.h: base64 (RFC 4648 test vectors, canonical form only) and
 * lowercase hex, with every kind of bad input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tender/encoding.h"

static void test_base64_vectors(void **state)
{
    (void)state;
    static const char *const v[][2] = {{"", ""},
                                       {"f", "Zg=="},
                                       {"fo", "Zm8="},
                                       {"foo", "Zm9v"},
                                       {"foob", "Zm9vYg=="},
                                       {"fooba", "Zm9vYmE="},
                                       {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n = 99, len = strlen(v[i][0]);
        assert_string_equal(tnd_base64_encode((const uint8_t *)v[i][0], len, enc), v[i][1]);
        assert_int_equal(strlen(enc), TND_BASE64_LEN(len));
        assert_int_equal(tnd_base64_decode(enc, strlen(enc), dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, v[i][0], len);
    }
    /* Every byte value survives the round trip. */
    uint8_t all[256], back[256];
    char text[TND_BASE64_LEN(256) + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    size_t n;
    tnd_base64_encode(all, sizeof all, text);
    assert_int_equal(tnd_base64_decode(text, strlen(text), back, sizeof back, &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(back, all, 256);
}

static void test_base64_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg",       /* no padding */
        "Zg=",      /* short padding */
        "Zh==",     /* non-zero unused bits: a second spelling of "f" */
        "Zm9=",     /* likewise, one '=' */
        "Zm9v\n",   /* whitespace */
        " Zm9v",    /* whitespace */
        "Zm9-",     /* URL alphabet */
        "Zm9_",     /* URL alphabet */
        "Z===",     /* too much padding */
        "====",     /* padding only */
        "Zg==Zg==", /* padding inside */
        "Zm=v",     /* padding inside a group */
    };
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tnd_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n),
                         TND_EMALFORMED);
    /* A NUL inside the given length is not base64. */
    assert_int_equal(tnd_base64_decode("Zm\0v", 4, out, sizeof out, &n), TND_EMALFORMED);
    /* Too small an output: refused, nothing written past cap. */
    uint8_t small[6] = {0};
    assert_int_equal(tnd_base64_decode("Zm9vYmFy", 8, small, 5, &n), TND_ERANGE);
    assert_int_equal(small[5], 0);
    assert_int_equal(tnd_base64_decode("Zm9vYmFy", 8, small, 6, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(tnd_base64_decode(NULL, 4, out, sizeof out, &n), TND_EINVAL);
    assert_int_equal(tnd_base64_decode("Zm9v", 4, out, sizeof out, NULL), TND_EINVAL);
}

static void test_hex(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char text[TND_HEX_LEN(sizeof b) + 1];
    assert_string_equal(tnd_hex_encode(b, sizeof b, text), "00017f80abff");
    uint8_t back[8];
    size_t n = 99;
    assert_int_equal(tnd_hex_decode(text, strlen(text), back, sizeof back, &n), 0);
    assert_int_equal(n, sizeof b);
    assert_memory_equal(back, b, sizeof b);
    assert_int_equal(tnd_hex_decode("", 0, back, sizeof back, &n), 0);
    assert_int_equal(n, 0);
    static const char *const bad[] = {"0", "abc", "0g", "AB", "0x00", " 00", "00 ", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(tnd_hex_decode(bad[i], strlen(bad[i]), back, sizeof back, &n),
                         TND_EMALFORMED);
    uint8_t small[2] = {0};
    assert_int_equal(tnd_hex_decode("000102", 6, small, 2, &n), TND_ERANGE);
    assert_int_equal(small[0], 0); /* nothing written */
    assert_int_equal(tnd_hex_decode(NULL, 2, back, sizeof back, &n), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64_refused),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
