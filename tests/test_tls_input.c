/* The BIO through which OpenSSL reads a stream's ciphertext in place
 * (common/tls_input.h): bytes borrowed from the read, "retry" when there
 * are none, and what is left unread kept across reads in the input's own
 * memory, so the read buffer can be reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_input.h"

static void test_reads_borrowed_bytes_then_asks_to_retry(void **state)
{
    (void)state;
    tnd_tls_input in = {0};
    BIO *b = tnd_tls_input_bio(&in);
    assert_non_null(b);
    char out[8];
    assert_int_equal(BIO_read(b, out, sizeof out), -1); /* nothing yet: not the end */
    assert_true(BIO_should_retry(b));
    assert_true(BIO_should_read(b));
    assert_int_equal(BIO_eof(b), 0);

    const uint8_t data[] = "0123456789";
    assert_int_equal(tnd_tls_input_add(&in, data, 10), 0);
    assert_int_equal(BIO_pending(b), 10);
    assert_int_equal(BIO_read(b, out, 4), 4);
    assert_memory_equal(out, "0123", 4);
    assert_false(BIO_should_retry(b));
    assert_int_equal(BIO_read(b, out, sizeof out), 6);
    assert_memory_equal(out, "456789", 6);
    assert_int_equal(BIO_read(b, out, sizeof out), -1);
    assert_true(BIO_should_retry(b));
    assert_int_equal(tnd_tls_input_keep(&in), 0);
    assert_null(in.kept); /* all read: nothing kept */
    assert_int_equal(BIO_write(b, "x", 1), -1);
    BIO_free(b);
    tnd_tls_input_free(&in);
}

static void test_what_is_not_read_outlives_the_read_buffer(void **state)
{
    (void)state;
    tnd_tls_input in = {0};
    BIO *b = tnd_tls_input_bio(&in);
    uint8_t readbuf[16];
    memcpy(readbuf, "abcdefgh", 8);
    assert_int_equal(tnd_tls_input_add(&in, readbuf, 8), 0);
    char out[16];
    assert_int_equal(BIO_read(b, out, 3), 3);
    assert_int_equal(tnd_tls_input_keep(&in), 0); /* "defgh" copied out */
    assert_non_null(in.kept);
    memset(readbuf, '#', sizeof readbuf); /* the loop reads into it again */
    memcpy(readbuf, "ijk", 3);
    assert_int_equal(tnd_tls_input_add(&in, readbuf, 3), 0); /* appended */
    assert_int_equal(BIO_pending(b), 8);
    assert_int_equal(BIO_read(b, out, 2), 2);
    assert_memory_equal(out, "de", 2);
    assert_int_equal(tnd_tls_input_keep(&in), 0); /* moved to the front of its own copy */
    memset(readbuf, '#', sizeof readbuf);
    assert_int_equal(BIO_read(b, out, sizeof out), 6);
    assert_memory_equal(out, "fghijk", 6);
    assert_int_equal(tnd_tls_input_keep(&in), 0);
    assert_null(in.kept);
    assert_int_equal(in.len, 0);
    BIO_free(b);
}

static void test_freeing_drops_what_was_kept(void **state)
{
    (void)state;
    tnd_tls_input in = {0};
    BIO *b = tnd_tls_input_bio(&in);
    const uint8_t data[] = "unread";
    assert_int_equal(tnd_tls_input_add(&in, data, 6), 0);
    assert_int_equal(tnd_tls_input_keep(&in), 0);
    tnd_tls_input_free(&in);
    char out[8];
    assert_int_equal(BIO_read(b, out, sizeof out), -1);
    assert_true(BIO_should_retry(b));
    BIO_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_borrowed_bytes_then_asks_to_retry),
        cmocka_unit_test(test_what_is_not_read_outlives_the_read_buffer),
        cmocka_unit_test(test_freeing_drops_what_was_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
