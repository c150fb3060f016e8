/* SHA-256 and HMAC-SHA-256 with the digest fetched once (common/digest.h):
 * RFC 4231's HMAC vectors (a short key, a key shorter than the block and a
 * key longer than it), FIPS 180-2's "abc", the parts of one message hashed
 * alike however they are cut, and tnd_msg_hash (which hashes while it
 * encodes) equal to SHA-256 of tnd_msg_encode's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "tender/codec.h"
#include "tender_schema.h"

static void unhex(const char *h, uint8_t *out)
{
    for (size_t i = 0; h[2 * i]; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void test_sha256_abc(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    assert_int_equal(tnd_sha256("abc", 3, out), 0);
    assert_memory_equal(out, want, 32);
    const void *p[] = {"a", "", "bc"};
    const size_t l[] = {1, 0, 2};
    memset(out, 0, 32);
    assert_int_equal(tnd_sha256_parts(p, l, 3, out), 0);
    assert_memory_equal(out, want, 32);
    unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    assert_int_equal(tnd_sha256(NULL, 0, out), 0);
    assert_memory_equal(out, want, 32);
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t key[131], out[32], want[32];
    /* test case 1: 20-byte key */
    memset(key, 0x0b, 20);
    unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want);
    assert_int_equal(tnd_hmac_sha256(key, 20, "Hi There", 8, out), 0);
    assert_memory_equal(out, want, 32);
    /* test case 2: "Jefe" */
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
    assert_int_equal(tnd_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
                                     28, out),
                     0);
    assert_memory_equal(out, want, 32);
    /* test case 6: a 131-byte key, longer than the block, is hashed first */
    memset(key, 0xaa, 131);
    unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", want);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    assert_int_equal(tnd_hmac_sha256(key, 131, msg, strlen(msg), out), 0);
    assert_memory_equal(out, want, 32);
}

static void *hash_many(void *arg)
{
    uint8_t *out = arg;
    for (int i = 0; i < 1000; i++)
        if (tnd_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
                            out) != 0)
            return (void *)1;
    return NULL;
}

/* The one fetch is shared by threads that start at once. */
static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    uint8_t out[4][32], want[32];
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hash_many, out[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_null(r);
        assert_memory_equal(out[i], want, 32);
    }
}

/* Hashing while encoding gives the hash of the encoding. */
static void test_msg_hash_is_hash_of_encoding(void **state)
{
    (void)state;
    uint8_t ct[3000];
    for (size_t i = 0; i < sizeof ct; i++)
        ct[i] = (uint8_t)(i * 7);
    uint8_t k[32] = {1};
    tender_bids_v1_SealedBid b;
    tender_bids_v1_SealedBid_init(&b);
    b.tender_id = "T-2026-000001";
    b.bid_id = "B-000102030405060708090a0b0c0d0e0f";
    b.opening_key_fingerprint = (tnd_bytes){k, 32};
    b.owner_tag = (tnd_bytes){k, 32};
    b.enc = (tnd_bytes){k, 32};
    b.signature = (tnd_bytes){ct, 64};
    b.ciphertext = (tnd_bytes){ct, sizeof ct}; /* larger than the hasher's gathering buffer */
    uint8_t *enc = NULL, want[32];
    size_t len = 0;
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_SealedBid_desc, &b, &enc, &len, NULL), 0);
    assert_int_equal(tnd_sha256(enc, len, want), 0);
    free(enc);
    tnd_bytes h = {0};
    assert_int_equal(tnd_msg_hash(&tender_bids_v1_SealedBid_desc, &b, &h), 0);
    assert_int_equal(h.len, 32);
    assert_memory_equal(h.data, want, 32);
    free(h.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_abc),
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_msg_hash_is_hash_of_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
