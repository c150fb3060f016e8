/* tenderctl's value parsers (client/ctl/parse.c) without a server: RFC 3339
 * times with offsets, fractions and leap days; exact decimal amounts in a
 * currency's minor units; strict base64. Every refusal says what is wrong. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <string.h>

#include "../client/ctl/cli/ctl.h"

/* ---- RFC 3339 times ---- */

/* s parses to seconds and nanos. */
static void time_is(const char *s, int64_t want_s, uint32_t want_ns)
{
    int64_t sec = -42;
    uint32_t ns = 42;
    char err[256] = "";
    if (ctl_parse_time(s, &sec, &ns, err, sizeof err) != 0)
        fail_msg("\"%s\" refused: %s", s, err);
    if (sec != want_s || ns != want_ns)
        fail_msg("\"%s\": %lld.%09u, expected %lld.%09u", s, (long long)sec, ns, (long long)want_s,
                 want_ns);
}

/* s is refused with a message containing why (and naming s). */
static void time_refused(const char *s, const char *why)
{
    int64_t sec = -42;
    uint32_t ns = 42;
    char err[256] = "";
    if (ctl_parse_time(s, &sec, &ns, err, sizeof err) == 0)
        fail_msg("\"%s\" taken as %lld.%09u", s, (long long)sec, ns);
    if (!strstr(err, why))
        fail_msg("\"%s\": expected \"%s\" in \"%s\"", s, why, err);
    if (!strstr(err, s))
        fail_msg("\"%s\": the message \"%s\" does not name it", s, err);
    assert_int_equal(sec, -42); /* nothing half-written */
    assert_int_equal(ns, 42);
}

#define T_2026_12_01_10 1796119200 /* 2026-12-01T10:00:00Z */

static void test_time_utc_and_offsets(void **state)
{
    (void)state;
    time_is("1970-01-01T00:00:00Z", 0, 0);
    time_is("1969-12-31T23:59:59Z", -1, 0);
    time_is("2026-12-01T10:00:00Z", T_2026_12_01_10, 0);
    time_is("2026-12-01t10:00:00z", T_2026_12_01_10, 0); /* RFC 3339 allows lowercase */
    time_is("2026-12-01T19:00:00+09:00", T_2026_12_01_10, 0);
    time_is("2026-12-01T05:30:00-04:30", T_2026_12_01_10, 0);
    time_is("2026-12-01T10:00:00+00:00", T_2026_12_01_10, 0);
    time_is("2026-12-01T10:00:00-00:00", T_2026_12_01_10, 0);
    /* An offset that crosses midnight, and the year. */
    time_is("2026-12-02T08:59:59+23:00", T_2026_12_01_10 - 1, 0);
    time_is("2026-12-31T23:00:00-01:00", 1798761600, 0); /* 2027-01-01T00:00:00Z */
    /* The last second of 9999 and the first of year 0000 (proleptic). */
    time_is("9999-12-31T23:59:59Z", 253402300799LL, 0);
    time_is("0000-01-01T00:00:00Z", -62167219200LL, 0);
}

static void test_time_fractions(void **state)
{
    (void)state;
    time_is("2026-12-01T10:00:00.5Z", T_2026_12_01_10, 500000000);
    time_is("2026-12-01T10:00:00.000000001Z", T_2026_12_01_10, 1);
    time_is("2026-12-01T10:00:00.123456789+09:00", T_2026_12_01_10 - 9 * 3600, 123456789);
    time_is("2026-12-01T10:00:00.000Z", T_2026_12_01_10, 0);
    time_is("2026-12-01T10:00:00.999999999Z", T_2026_12_01_10, 999999999);
    time_refused("2026-12-01T10:00:00.1234567891Z", "more than 9 digits");
    time_refused("2026-12-01T10:00:00.Z", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00,5Z", "expected RFC 3339");
}

static void test_time_leap_days_and_seconds(void **state)
{
    (void)state;
    time_is("2028-02-29T00:00:00Z", 1835395200, 0);
    time_is("2000-02-29T12:00:00Z", 951825600, 0); /* divisible by 400 */
    time_is("2024-02-29T23:59:59Z", 1709251199, 0);
    time_refused("2026-02-29T00:00:00Z", "no such date or time");
    time_refused("1900-02-29T00:00:00Z", "no such date or time"); /* by 100, not 400 */
    time_refused("2100-02-29T00:00:00Z", "no such date or time");
    time_refused("2026-12-31T23:59:60Z", "leap seconds are not accepted");
    time_refused("2016-12-31T23:59:60Z", "leap seconds are not accepted"); /* a real one */
}

static void test_time_bad_input(void **state)
{
    (void)state;
    time_refused("2026-12-01T10:00:00", "give the time zone");
    time_refused("", "expected RFC 3339");
    time_refused("2026-12-01", "expected RFC 3339");
    time_refused("2026-12-01 10:00:00Z", "expected RFC 3339");
    time_refused("2026-12-01T10:00Z", "expected RFC 3339");
    time_refused("26-12-01T10:00:00Z", "expected RFC 3339");
    time_refused("2026-1-01T10:00:00Z", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00+0900", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00+09", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00Z ", "expected RFC 3339");
    time_refused(" 2026-12-01T10:00:00Z", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00ZZ", "expected RFC 3339");
    time_refused("2026-12-01T10:00:00UTC", "expected RFC 3339");
    time_refused("+2026-12-01T10:00:00Z", "expected RFC 3339");
    time_refused("2026-00-01T10:00:00Z", "no such date or time");
    time_refused("2026-13-01T10:00:00Z", "no such date or time");
    time_refused("2026-12-00T10:00:00Z", "no such date or time");
    time_refused("2026-04-31T10:00:00Z", "no such date or time");
    time_refused("2026-12-32T10:00:00Z", "no such date or time");
    time_refused("2026-12-01T24:00:00Z", "no such date or time");
    time_refused("2026-12-01T10:60:00Z", "no such date or time");
    time_refused("2026-12-01T10:00:61Z", "no such date or time");
    time_refused("2026-12-01T10:00:00+24:00", "no such date or time");
    time_refused("2026-12-01T10:00:00+09:60", "no such date or time");
    /* Every refusal shows an example of what is wanted. */
    char err[256];
    int64_t s;
    uint32_t ns;
    assert_int_equal(ctl_parse_time("tomorrow", &s, &ns, err, sizeof err), -1);
    assert_non_null(strstr(err, "2026-12-01T10:00:00Z"));
    assert_non_null(strstr(err, "+09:00"));
    /* A short buffer gets a cut message, not an overflow. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(ctl_parse_time("tomorrow", &s, &ns, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_time_text_round_trip(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(ctl_time_text(T_2026_12_01_10, 0, buf, sizeof buf), "2026-12-01T10:00:00Z");
    assert_string_equal(ctl_time_text(T_2026_12_01_10, 500000000, buf, sizeof buf),
                        "2026-12-01T10:00:00.500Z");
    assert_string_equal(ctl_time_text(T_2026_12_01_10, 1, buf, sizeof buf),
                        "2026-12-01T10:00:00.000000001Z");
    static const char *const texts[] = {"2026-12-01T10:00:00Z", "2028-02-29T23:59:59.250Z",
                                        "1969-12-31T23:59:59Z", "2026-06-30T00:00:00.000001Z"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        int64_t s;
        uint32_t ns;
        char err[256];
        assert_int_equal(ctl_parse_time(texts[i], &s, &ns, err, sizeof err), 0);
        assert_string_equal(ctl_time_text(s, ns, buf, sizeof buf), texts[i]);
    }
}

/* ---- currencies and exact amounts ---- */

static void amount_is(const char *s, const char *code, int64_t want)
{
    char cur[4], err[256] = "";
    int exp = -1;
    int64_t minor = -42;
    if (ctl_currency(code, cur, &exp, err, sizeof err) != 0)
        fail_msg("currency %s: %s", code, err);
    if (ctl_parse_amount(s, cur, exp, &minor, err, sizeof err) != 0)
        fail_msg("%s %s refused: %s", s, code, err);
    if (minor != want)
        fail_msg("%s %s: %lld minor units, expected %lld", s, code, (long long)minor,
                 (long long)want);
}

static void amount_refused(const char *s, const char *code, const char *why)
{
    char cur[4], err[256] = "";
    int exp = -1;
    int64_t minor = -42;
    assert_int_equal(ctl_currency(code, cur, &exp, err, sizeof err), 0);
    if (ctl_parse_amount(s, cur, exp, &minor, err, sizeof err) == 0)
        fail_msg("%s %s taken as %lld", s, code, (long long)minor);
    if (!strstr(err, why))
        fail_msg("%s %s: expected \"%s\" in \"%s\"", s, code, why, err);
    if (*s && !strstr(err, s))
        fail_msg("%s %s: the message \"%s\" does not name it", s, code, err);
    assert_int_equal(minor, -42);
}

static void test_currency_codes(void **state)
{
    (void)state;
    char code[4], err[256];
    int exp = -1;
    assert_int_equal(ctl_currency("EUR", code, &exp, err, sizeof err), 0);
    assert_string_equal(code, "EUR");
    assert_int_equal(exp, 2);
    assert_int_equal(ctl_currency("krw", code, &exp, err, sizeof err), 0);
    assert_string_equal(code, "KRW");
    assert_int_equal(exp, 0);
    assert_int_equal(ctl_currency("Kwd", code, &exp, err, sizeof err), 0);
    assert_string_equal(code, "KWD");
    assert_int_equal(exp, 3);
    assert_int_equal(ctl_currency("XYZ", code, &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "XYZ is not an ISO 4217 currency in use"));
    static const char *const bad[] = {"EU", "EURO", "", "E1R", "€", "US$"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(ctl_currency(bad[i], code, &exp, err, sizeof err), -1);
        assert_non_null(strstr(err, "is not a currency code: expected three letters"));
    }
}

static void test_amounts_exact(void **state)
{
    (void)state;
    amount_is("1234.56", "EUR", 123456);
    amount_is("1234.5", "EUR", 123450);
    amount_is("1234", "EUR", 123400);
    amount_is("0.01", "EUR", 1);
    amount_is("0", "EUR", 0);
    amount_is("007.10", "EUR", 710);
    amount_is("1500000", "KRW", 1500000);
    amount_is("1.234", "KWD", 1234);
    /* Values no binary floating point holds exactly stay exact. */
    amount_is("0.29", "EUR", 29);
    amount_is("1.15", "EUR", 115);
    amount_is("9007199254740993", "KRW", 9007199254740993LL); /* 2^53 + 1 */
    amount_is("90071992547409.93", "EUR", 9007199254740993LL);
    /* Trailing zeros beyond the currency's decimals are still too many. */
    amount_refused("1.10", "KRW", "more decimals than KRW allows (0)");
    amount_refused("1.234", "EUR", "more decimals than EUR allows (2)");
    amount_refused("0.5", "KRW", "more decimals than KRW allows");
}

static void test_amounts_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {"",     "-5",  "+5",    "1,000", "1 000", "1.",
                                      ".5",   "1e3", " 1",    "1 ",    "1.2.3", "0x10",
                                      "1.-2", "one", "12abc", "١٢",    "NaN",   "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        amount_refused(bad[i], "EUR", "expected a decimal amount such as 1500000 or 1234.56");
}

static void test_amounts_overflow(void **state)
{
    (void)state;
    /* The largest amounts that fit in int64 minor units... */
    amount_is("92233720368547758.07", "EUR", INT64_MAX);
    amount_is("92233720368547758", "EUR", 9223372036854775800LL);
    amount_is("922337203685477579", "KRW", 922337203685477579LL);
    /* ...and just past them, in each way the sum can overflow. */
    amount_refused("92233720368547758.08", "EUR", "is too large"); /* units + fraction */
    amount_refused("92233720368547759", "EUR", "is too large");    /* scaling to cents */
    amount_refused("9223372036854775808", "KRW", "is too large");  /* the digits alone */
    amount_refused("99999999999999999999999999999999", "KRW", "is too large");
    amount_refused("99999999999999999999.99", "EUR", "is too large");
    amount_refused("1000000000000000000", "EUR", "is too large");
    /* Many fraction digits do not wrap the fraction: refused as too many. */
    amount_refused("1.0000000000000000000000001", "EUR", "more decimals than EUR allows");
}

static void test_money_text(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(ctl_money_text(123456, "EUR", buf, sizeof buf), "1234.56 EUR");
    assert_string_equal(ctl_money_text(5, "EUR", buf, sizeof buf), "0.05 EUR");
    assert_string_equal(ctl_money_text(-5, "EUR", buf, sizeof buf), "-0.05 EUR");
    assert_string_equal(ctl_money_text(1500000, "KRW", buf, sizeof buf), "1500000 KRW");
    assert_string_equal(ctl_money_text(1234, "KWD", buf, sizeof buf), "1.234 KWD");
    assert_string_equal(ctl_money_text(INT64_MAX, "EUR", buf, sizeof buf),
                        "92233720368547758.07 EUR");
    assert_string_equal(ctl_money_text(INT64_MIN, "EUR", buf, sizeof buf),
                        "-92233720368547758.08 EUR");
    /* What is printed parses back to the same minor units. */
    int64_t v;
    char err[256];
    assert_int_equal(ctl_parse_amount("92233720368547758.07", "EUR", 2, &v, err, sizeof err), 0);
    assert_int_equal(v, INT64_MAX);
}

/* ---- strict base64 ---- */

static void b64_is(const char *s, const char *want, size_t want_len)
{
    uint8_t out[64];
    memset(out, 0xAA, sizeof out);
    long n = ctl_base64_decode(s, out, sizeof out);
    if (n != (long)want_len)
        fail_msg("\"%s\": %ld bytes, expected %zu", s, n, want_len);
    assert_memory_equal(out, want, want_len);
    assert_int_equal(out[want_len], 0xAA); /* nothing written past the end */
}

static void test_base64_decodes(void **state)
{
    (void)state;
    b64_is("AAEC", "\x00\x01\x02", 3);
    b64_is("AQ==", "\x01", 1);
    b64_is("AQI=", "\x01\x02", 2);
    b64_is("+/+/", "\xfb\xff\xbf", 3);
    b64_is("aGVsbG8gd29ybGQ=", "hello world", 11);
    /* Round trips of every length up to 40 bytes, and a key's 32. */
    uint8_t data[40], back[40];
    char text[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 1; len <= sizeof data; len++) {
        ctl_base64_encode(data, len, text);
        assert_int_equal(strlen(text), 4 * ((len + 2) / 3));
        assert_int_equal(ctl_base64_decode(text, back, sizeof back), (long)len);
        assert_memory_equal(back, data, len);
    }
    ctl_base64_encode(data, 32, text);
    assert_int_equal(strlen(text), 44); /* the length keys are given in */
    /* Exactly the room needed is enough; one byte less is not. */
    assert_int_equal(ctl_base64_decode(text, back, 32), 32);
    assert_int_equal(ctl_base64_decode(text, back, 31), -1);
    ctl_base64_encode(data, 0, text);
    assert_string_equal(text, "");
}

static void test_base64_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",           /* nothing */
        "AQ",         /* unpadded */
        "AQ=",        /* short padding */
        "AQID=",      /* length not a multiple of 4 */
        "A===",       /* padding where a byte must be */
        "====",       /* only padding */
        "AQ==AQ==",   /* padding before the end */
        "AQ=A",       /* data after padding */
        "A=Q=",       /* padding inside */
        "AQ-_",       /* the URL-safe alphabet */
        "AQ\nI",      /* a line break */
        "AQ I",       /* a space */
        "AQI=\n",     /* a trailing line break */
        " AQI=",      /* a leading space */
        "AQ.=",       /* not in the alphabet */
        "AQ\xc3\xa9", /* not ASCII */
    };
    uint8_t out[64];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long n = ctl_base64_decode(bad[i], out, sizeof out);
        if (n != -1)
            fail_msg("\"%s\" decoded to %ld bytes", bad[i], n);
    }
    /* A NUL inside the text ends it: "AQ" is then unpadded. */
    assert_int_equal(ctl_base64_decode("AQ\0=", out, sizeof out), -1);
    assert_int_equal(ctl_base64_decode("AAEC", out, 2), -1); /* does not fit */
    assert_int_equal(ctl_base64_decode("AQ==", out, 0), -1);
}

/* ---- the small ones: hex, media types ---- */

static void test_hex_and_media_types(void **state)
{
    (void)state;
    char out[16];
    assert_string_equal(ctl_hex((const uint8_t *)"\x00\x0f\xa5\xff", 4, out), "000fa5ff");
    assert_string_equal(ctl_hex((const uint8_t *)"", 0, out), "");
    assert_string_equal(ctl_media_type("offer.pdf"), "application/pdf");
    assert_string_equal(ctl_media_type("OFFER.PDF"), "application/pdf");
    assert_string_equal(ctl_media_type("prices.csv"), "text/csv");
    assert_string_equal(ctl_media_type("a.tar.zip"), "application/zip");
    assert_string_equal(ctl_media_type("pdf"), "application/octet-stream");
    assert_string_equal(ctl_media_type("dir.pdf/file"), "application/octet-stream");
    assert_string_equal(ctl_media_type("offer."), "application/octet-stream");
    assert_string_equal(ctl_media_type(""), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_utc_and_offsets),
        cmocka_unit_test(test_time_fractions),
        cmocka_unit_test(test_time_leap_days_and_seconds),
        cmocka_unit_test(test_time_bad_input),
        cmocka_unit_test(test_time_text_round_trip),
        cmocka_unit_test(test_currency_codes),
        cmocka_unit_test(test_amounts_exact),
        cmocka_unit_test(test_amounts_bad),
        cmocka_unit_test(test_amounts_overflow),
        cmocka_unit_test(test_money_text),
        cmocka_unit_test(test_base64_decodes),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_hex_and_media_types),
    };
    return cmocka_run_group_tests_name("ctl_parse", tests, NULL, NULL);
}
