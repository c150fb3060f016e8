/* Unit tests of the common award rules (tender/award.h) as an auditor runs
 * them: a decision against an opening record and the tender's published
 * fields, without a server; and the officer's signature. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/award.h"
#include "tender/status.h"

#define TENDER "T-1"

/* An opening record of three bids: A 100 KRW, B 150 KRW, C failed. */
static tender_common_v1_Money rec_price[2] = {{.minor_units = 100, .currency = "KRW"},
                                              {.minor_units = 150, .currency = "KRW"}};
static tender_bids_v1_OpenedBid rec_bids[3] = {
    {.bid_id = "A", .valid = true, .price = &rec_price[0]},
    {.bid_id = "B", .valid = true, .price = &rec_price[1]},
    {.bid_id = "C", .valid = false, .failure = "does not decrypt"},
};
static tender_bids_v1_OpeningRecord rec = {.tender_id = TENDER, .bids = rec_bids, .n_bids = 3};
static tender_tenders_v1_TenderFields pub = {.title = "Roads"};

typedef struct dec {
    tender_awards_v1_Decision d;
    tender_awards_v1_BidEvaluation ev[4];
    tender_common_v1_Money price[4];
} dec;

/* The correct lowest-price decision: A wins, C disqualified. */
static void good(dec *x)
{
    memset(x, 0, sizeof *x);
    x->d = (tender_awards_v1_Decision){.tender_id = TENDER,
                                       .criterion = tender_awards_v1_Criterion_LOWEST_PRICE,
                                       .winner = "A",
                                       .rationale = "lowest valid price",
                                       .evaluations = x->ev,
                                       .n_evaluations = 3};
    x->price[0] = rec_price[0];
    x->price[1] = rec_price[1];
    x->ev[0] =
        (tender_awards_v1_BidEvaluation){.bid_id = "A", .valid = true, .price = &x->price[0]};
    x->ev[1] =
        (tender_awards_v1_BidEvaluation){.bid_id = "B", .valid = true, .price = &x->price[1]};
    x->ev[2] = (tender_awards_v1_BidEvaluation){.bid_id = "C", .reason = "does not decrypt"};
}

static char msg[300];

static void refused(const dec *x, int want_status, const char *needle)
{
    int st = -1;
    int rc = tnd_award_check(&x->d, &rec, &pub, &st, msg, sizeof msg);
    if (rc != TND_EINVAL || st != want_status || !strstr(msg, needle))
        fail_msg("expected %d \"%s\", got rc %d status %d \"%s\"", want_status, needle, rc, st,
                 msg);
}

static void test_lowest_price(void **state)
{
    (void)state;
    dec x;
    int st = -1;
    good(&x);
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, msg, sizeof msg), 0);
    assert_int_equal(st, TND_STATUS_OK);
    assert_string_equal(msg, "");
    /* Without a message buffer too. */
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, NULL, 0), 0);

    good(&x);
    x.d.winner = "B";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "winner B offers 150 KRW, not the lowest");
    good(&x);
    x.price[1].minor_units = 149;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "differs from the opening record's 150 KRW");
    good(&x);
    x.d.n_evaluations = 2;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "skips opened bid C");
    good(&x);
    x.ev[2] = (tender_awards_v1_BidEvaluation){.bid_id = "C", .valid = true, .price = &x.price[0]};
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "bid C could not be opened (does not decrypt)");
    good(&x);
    x.ev[1] = (tender_awards_v1_BidEvaluation){.bid_id = "A", .reason = "twice"};
    refused(&x, TND_STATUS_INVALID_ARGUMENT, "bid A is evaluated twice");
    good(&x);
    x.d.winner = "Z";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "winner Z is not an opened bid of tender T-1");
    good(&x);
    x.d.tender_id = "T-2";
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "opening record is of tender T-1");
    good(&x);
    x.d.rationale = "";
    refused(&x, TND_STATUS_INVALID_ARGUMENT, "rationale: required");
    good(&x);
    x.d.winner = NULL;
    x.d.unsuccessful = true;
    refused(&x, TND_STATUS_FAILED_PRECONDITION, "bid A is valid");
}

static void test_arguments(void **state)
{
    (void)state;
    dec x;
    int st = -1;
    good(&x);
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, NULL, msg, sizeof msg), TND_EINVAL);
    assert_int_equal(tnd_award_check(NULL, &rec, &pub, &st, msg, sizeof msg), TND_EINVAL);
    assert_int_equal(st, TND_STATUS_INVALID_ARGUMENT);
    assert_int_equal(tnd_award_check(&x.d, &rec, NULL, &st, msg, sizeof msg), TND_EINVAL);
    /* A short buffer truncates the message but keeps the verdict. */
    x.d.winner = "B";
    char small[8];
    assert_int_equal(tnd_award_check(&x.d, &rec, &pub, &st, small, sizeof small), TND_EINVAL);
    assert_int_equal(st, TND_STATUS_FAILED_PRECONDITION);
    assert_int_equal(strlen(small), 7);
}

static void test_verify(void **state)
{
    (void)state;
    dec x;
    good(&x);
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
    assert_int_equal(EVP_PKEY_keygen(kc, &k), 1);
    EVP_PKEY_CTX_free(kc);
    uint8_t pub_key[32], sig[64], *buf;
    size_t pl = 32, sl = 64, len;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub_key, &pl), 1);
    assert_int_equal(tnd_msg_encode(&tender_awards_v1_Decision_desc, &x.d, &buf, &len, NULL), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, buf, len), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    free(buf);
    assert_int_equal(tnd_award_verify(&x.d, sig, 64, pub_key), 0);
    assert_int_equal(tnd_award_verify(&x.d, sig, 63, pub_key), TND_ECRYPTO);
    x.d.rationale = "changed after signing";
    assert_int_equal(tnd_award_verify(&x.d, sig, 64, pub_key), TND_ECRYPTO);
    assert_int_equal(tnd_award_verify(NULL, sig, 64, pub_key), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowest_price),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_verify),
    };
    return cmocka_run_group_tests_name("award_check", tests, NULL, NULL);
}
