/* The BIO to which OpenSSL writes a stream's ciphertext (common/tls_output.h):
 * bytes go to the thread's buffer, which is given back once they are sent;
 * a second output while the first still waits, or one that outgrows the
 * thread's buffer, uses memory of its own; bytes never mix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_output.h"

static void assert_waiting(const tnd_tls_output *out, const char *expect)
{
    size_t len;
    const uint8_t *p = tnd_tls_output_bytes(out, &len);
    assert_int_equal(len, strlen(expect));
    if (len)
        assert_memory_equal(p, expect, len);
}

static void test_bytes_wait_in_one_piece_until_cleared(void **state)
{
    (void)state;
    tnd_tls_output out = {0};
    BIO *b = tnd_tls_output_bio(&out);
    assert_non_null(b);
    assert_waiting(&out, "");
    assert_int_equal(BIO_write(b, "record1", 7), 7);
    assert_int_equal(BIO_write(b, "record2", 7), 7);
    assert_int_equal(BIO_wpending(b), 14);
    assert_int_equal(BIO_flush(b), 1);
    assert_waiting(&out, "record1record2");
    assert_null(out.own); /* in the thread's buffer */
    tnd_tls_output_clear(&out);
    assert_waiting(&out, "");
    char buf[4];
    assert_int_equal(BIO_read(b, buf, sizeof buf), -1); /* OpenSSL never reads here */
    BIO_free(b);
}

static void test_a_second_output_never_mixes_with_the_first(void **state)
{
    (void)state;
    tnd_tls_output a = {0}, c = {0};
    BIO *ba = tnd_tls_output_bio(&a), *bc = tnd_tls_output_bio(&c);
    assert_int_equal(BIO_write(ba, "aaa", 3), 3); /* a holds the thread's buffer */
    assert_int_equal(BIO_write(bc, "ccc", 3), 3); /* so c's bytes go to its own */
    assert_int_equal(BIO_write(ba, "AA", 2), 2);
    assert_int_equal(BIO_write(bc, "CC", 2), 2);
    assert_null(a.own);
    assert_non_null(c.own);
    assert_waiting(&a, "aaaAA");
    assert_waiting(&c, "cccCC");
    tnd_tls_output_clear(&c); /* c sent first: a keeps the thread's buffer */
    assert_null(c.own);
    assert_waiting(&a, "aaaAA");
    tnd_tls_output_clear(&a);
    assert_int_equal(BIO_write(bc, "next", 4), 4); /* free again: c takes it */
    assert_null(c.own);
    assert_waiting(&c, "next");
    tnd_tls_output_clear(&c);
    BIO_free(ba);
    BIO_free(bc);
}

static void test_bytes_that_outgrow_the_thread_buffer_move_whole(void **state)
{
    (void)state;
    size_t piece = TND_TLS_OUTPUT_THREAD_BYTES / 3 + 1;
    uint8_t *data = malloc(4 * piece), *expect = malloc(4 * piece);
    assert_non_null(data);
    assert_non_null(expect);
    for (size_t i = 0; i < 4 * piece; i++)
        expect[i] = (uint8_t)(i * 7 + i / 251);
    memcpy(data, expect, 4 * piece);
    tnd_tls_output out = {0};
    BIO *b = tnd_tls_output_bio(&out);
    for (int i = 0; i < 4; i++)
        assert_int_equal(BIO_write(b, data + (size_t)i * piece, (int)piece), (int)piece);
    assert_non_null(out.own); /* the third piece did not fit: all moved */
    size_t len;
    const uint8_t *p = tnd_tls_output_bytes(&out, &len);
    assert_int_equal(len, 4 * piece);
    assert_memory_equal(p, expect, len);
    tnd_tls_output_clear(&out);
    assert_null(out.own);

    /* The thread's buffer was given back when the bytes moved. */
    tnd_tls_output other = {0};
    BIO *bo = tnd_tls_output_bio(&other);
    assert_int_equal(BIO_write(bo, "x", 1), 1);
    assert_null(other.own);
    tnd_tls_output_clear(&other);
    BIO_free(bo);
    BIO_free(b);
    free(data);
    free(expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes_wait_in_one_piece_until_cleared),
        cmocka_unit_test(test_a_second_output_never_mixes_with_the_first),
        cmocka_unit_test(test_bytes_that_outgrow_the_thread_buffer_move_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
