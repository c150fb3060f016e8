/* Sealing and opening bids (common/bid.c): a sealed bid opens with the right
 * key and says who bid; a tampered ciphertext, a bid moved to another
 * tender, a forged signature and a wrong key are each caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "tender/bid.h"
#include "tender/sealed.h"

static uint8_t open_sk[32], open_pk[32];
static EVP_PKEY *supplier;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(tnd_x25519_keygen(open_sk, open_pk), 0);
    supplier = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(supplier);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(supplier);
    return 0;
}

static void seal(tender_bids_v1_SealedBid *b, const char *tender, uint8_t nonce[32])
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    tender_common_v1_Money price = {.minor_units = 123456789, .currency = "KRW"};
    c.price = &price;
    c.supplier_org = "Acme Construction";
    c.supplier_name = "supplier";
    c.notes = "SECRET-PLAINTEXT-MARKER";
    tender_bids_v1_SealedBid_init(b);
    assert_int_equal(tnd_bid_seal(&c, tender, "B-0123456789abcdef0123456789abcdef", open_pk,
                                  supplier, NULL, b, nonce),
                     0);
    c.price = NULL;
    c.supplier_org = c.supplier_name = c.notes = NULL;
    tender_bids_v1_BidContent_free(&c);
}

static void test_seal_and_open(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], pub[32], tag[32];
    size_t pl = 32;
    seal(&b, "T-2026-000001", nonce);
    /* The stored envelope holds neither the plaintext nor the bidder. */
    uint8_t *enc;
    size_t len;
    assert_int_equal(tender_bids_v1_SealedBid_encode(&b, &enc, &len, NULL), 0);
    assert_null(memmem(enc, len, "SECRET-PLAINTEXT-MARKER", 23));
    assert_null(memmem(enc, len, "Acme", 4));
    assert_int_equal(EVP_PKEY_get_raw_public_key(supplier, pub, &pl), 0 + 1);
    assert_null(memmem(enc, len, pub, 32));
    free(enc);
    /* The owner tag proves ownership with the nonce. */
    assert_int_equal(tnd_bid_owner_tag(nonce, pub, tag), 0);
    assert_memory_equal(tag, b.owner_tag.data, 32);
    assert_int_equal(tnd_bid_verify(&b, pub), 0);
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200];
    assert_int_equal(tnd_bid_open(&b, open_sk, &c, why, sizeof why), 0);
    assert_int_equal(c.price->minor_units, 123456789);
    assert_string_equal(c.supplier_org, "Acme Construction");
    assert_memory_equal(c.supplier_key.data, pub, 32);
    tender_bids_v1_BidContent_free(&c);
    tender_bids_v1_SealedBid_free(&b);
}

static void expect_fail(tender_bids_v1_SealedBid *b, const uint8_t *sk, const char *reason)
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200] = "";
    assert_int_not_equal(tnd_bid_open(b, sk, &c, why, sizeof why), 0);
    if (!strstr(why, reason))
        fail_msg("\"%s\" lacks \"%s\"", why, reason);
    tender_bids_v1_BidContent_free(&c);
}

static void test_tampering_caught(void **state)
{
    (void)state;
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32], other_sk[32], other_pk[32];
    seal(&b, "T-2026-000001", nonce);
    /* A flipped ciphertext bit. */
    b.ciphertext.data[5] ^= 1;
    expect_fail(&b, open_sk, "bad decryption");
    b.ciphertext.data[5] ^= 1;
    /* Moved to another tender: info no longer matches. */
    free(b.tender_id);
    b.tender_id = strdup("T-2026-000002");
    expect_fail(&b, open_sk, "bad decryption");
    free(b.tender_id);
    b.tender_id = strdup("T-2026-000001");
    /* Another bid id: aad no longer matches. */
    b.bid_id[3] = 'f';
    expect_fail(&b, open_sk, "bad decryption");
    b.bid_id[3] = '1';
    /* A forged signature. */
    b.signature.data[10] ^= 0x40;
    expect_fail(&b, open_sk, "bad signature");
    b.signature.data[10] ^= 0x40;
    /* The wrong key. */
    assert_int_equal(tnd_x25519_keygen(other_sk, other_pk), 0);
    expect_fail(&b, other_sk, "bad decryption");
    /* Untouched, it still opens. */
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    char why[200];
    assert_int_equal(tnd_bid_open(&b, open_sk, &c, why, sizeof why), 0);
    tender_bids_v1_BidContent_free(&c);
    tender_bids_v1_SealedBid_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_and_open),
        cmocka_unit_test(test_tampering_caught),
    };
    return cmocka_run_group_tests_name("bid", tests, setup, teardown);
}
