/* Unit tests of common/sealed.c: the exact bytes of the info and aad of
 * sealed bids and shares (docs/SEALED.md), and the whole flow with them: an
 * officer's opening key split 2-of-3 and sealed to the committee, a bid
 * sealed by a supplier, the shares opened and combined, the bid opened; a
 * bid moved to another supplier, bid id or tender does not open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <openssl/crypto.h>

#include "tender/sealed.h"

static void test_bytes(void **state)
{
    (void)state;
    uint8_t fp[32], key[32], out[TND_SEALED_BID_INFO_MAX], want[TND_SEALED_BID_INFO_MAX];
    size_t len;
    for (unsigned i = 0; i < 32; i++)
        fp[i] = (uint8_t)i, key[i] = (uint8_t)(0xa0 + i);

    assert_int_equal(tnd_sealed_bid_info(fp, "T-42", out, &len), 0);
    memcpy(want, "tender/1 bid\0", 13);
    memcpy(want + 13, fp, 32);
    memcpy(want + 45, "\x00\x04T-42", 6);
    assert_int_equal(len, 51);
    assert_memory_equal(out, want, len);

    assert_int_equal(tnd_sealed_bid_aad(key, "b1", out, &len), 0);
    memcpy(want, key, 32);
    memcpy(want + 32,
           "\x00\x02"
           "b1",
           4);
    assert_int_equal(len, 36);
    assert_memory_equal(out, want, len);

    uint8_t share_info[TND_SEALED_SHARE_INFO_LEN], aad[2];
    assert_int_equal(tnd_sealed_share_info(fp, share_info), 0);
    assert_memory_equal(share_info, "tender/1 share\0", 15);
    assert_memory_equal(share_info + 15, fp, 32);
    assert_int_equal(tnd_sealed_share_aad(2, 3, aad), 0);
    assert_int_equal(aad[0], 2);
    assert_int_equal(aad[1], 3);

    /* Ids of 1..64 bytes. */
    char id[66];
    memset(id, 'x', 65);
    id[64] = '\0';
    assert_int_equal(tnd_sealed_bid_info(fp, id, out, &len), 0);
    assert_int_equal(len, TND_SEALED_BID_INFO_MAX);
    assert_int_equal(tnd_sealed_bid_aad(key, id, out, &len), 0);
    assert_int_equal(len, TND_SEALED_BID_AAD_MAX);
    id[64] = 'x', id[65] = '\0';
    assert_int_equal(tnd_sealed_bid_info(fp, id, out, &len), TND_EINVAL);
    assert_int_equal(tnd_sealed_bid_aad(key, id, out, &len), TND_EINVAL);
    assert_int_equal(tnd_sealed_bid_info(fp, "", out, &len), TND_EINVAL);
    assert_int_equal(tnd_sealed_bid_aad(key, "", out, &len), TND_EINVAL);
    assert_int_equal(tnd_sealed_share_aad(0, 3, aad), TND_EINVAL);
    assert_int_equal(tnd_sealed_share_aad(4, 3, aad), TND_EINVAL);
    assert_int_equal(tnd_sealed_share_aad(2, 256, aad), TND_EINVAL);
}

#define N 3
#define K 2
#define SHARE TND_SHAMIR_SHARE_LEN(32)

static void test_flow(void **state)
{
    (void)state;
    /* The committee's own keys. */
    uint8_t member_sk[N][32], member_pk[N][32];
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(tnd_x25519_keygen(member_sk[i], member_pk[i]), 0);

    /* The officer: opening key, fingerprint, shares sealed to each member. */
    uint8_t osk[32], opk[32], fp[32], shares[N * SHARE];
    uint8_t share_info[TND_SEALED_SHARE_INFO_LEN], share_aad[2];
    uint8_t sealed_share[N][32 + SHARE + TND_HPKE_TAG_LEN];
    assert_int_equal(tnd_x25519_keygen(osk, opk), 0);
    assert_int_equal(tnd_opening_key_fingerprint(opk, fp), 0);
    assert_int_equal(tnd_shamir_split(osk, 32, K, N, shares), 0);
    OPENSSL_cleanse(osk, sizeof osk);
    assert_int_equal(tnd_sealed_share_info(fp, share_info), 0);
    assert_int_equal(tnd_sealed_share_aad(K, N, share_aad), 0);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, member_pk[i], share_info, sizeof share_info,
                                       share_aad, 2, shares + i * SHARE, SHARE, sealed_share[i],
                                       sealed_share[i] + 32),
                         0);
    OPENSSL_cleanse(shares, sizeof shares);

    /* A supplier seals a bid. */
    static const char bid[] = "{\"price\": \"1450000000 KRW\"}";
    uint8_t supplier[32] = {0x5a}, other_supplier[32] = {0x5b};
    uint8_t info[TND_SEALED_BID_INFO_MAX], aad[TND_SEALED_BID_AAD_MAX];
    size_t info_len, aad_len;
    uint8_t enc[32], ct[sizeof bid + TND_HPKE_TAG_LEN], pt[sizeof bid];
    assert_int_equal(tnd_sealed_bid_info(fp, "T-42", info, &info_len), 0);
    assert_int_equal(tnd_sealed_bid_aad(supplier, "b1", aad, &aad_len), 0);
    assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, opk, info, info_len, aad, aad_len,
                                   (const uint8_t *)bid, sizeof bid, enc, ct),
                     0);

    /* Members 3 and 1 open their shares; the server rebuilds the key and
     * checks it against the public key. A member cannot open another's. */
    uint8_t mine[K * SHARE], rebuilt[32], rpk[32];
    unsigned who[K] = {2, 0};
    for (unsigned j = 0; j < K; j++) {
        unsigned i = who[j];
        assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, member_sk[i], sealed_share[i], share_info,
                                       sizeof share_info, share_aad, 2, sealed_share[i] + 32,
                                       SHARE + TND_HPKE_TAG_LEN, mine + j * SHARE),
                         0);
        assert_int_equal(mine[j * SHARE], i + 1);
    }
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, member_sk[1], sealed_share[0], share_info,
                                   sizeof share_info, share_aad, 2, sealed_share[0] + 32,
                                   SHARE + TND_HPKE_TAG_LEN, pt),
                     TND_ECRYPTO);
    uint8_t wrong_aad[2] = {1, N};
    uint8_t scratch[SHARE];
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, member_sk[0], sealed_share[0], share_info,
                                   sizeof share_info, wrong_aad, 2, sealed_share[0] + 32,
                                   SHARE + TND_HPKE_TAG_LEN, scratch),
                     TND_ECRYPTO);
    assert_int_equal(tnd_shamir_combine(mine, K, 32, rebuilt), 0);
    assert_int_equal(tnd_x25519_public(rebuilt, rpk), 0);
    assert_int_equal(CRYPTO_memcmp(rpk, opk, 32), 0);

    /* The bid opens with its own context only. */
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, rebuilt, enc, info, info_len, aad, aad_len, ct,
                                   sizeof ct, pt),
                     0);
    assert_memory_equal(pt, bid, sizeof bid);
    uint8_t info2[TND_SEALED_BID_INFO_MAX], aad2[TND_SEALED_BID_AAD_MAX];
    size_t info2_len, aad2_len;
    assert_int_equal(tnd_sealed_bid_aad(other_supplier, "b1", aad2, &aad2_len), 0);
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, rebuilt, enc, info, info_len, aad2, aad2_len,
                                   ct, sizeof ct, pt),
                     TND_ECRYPTO);
    assert_int_equal(tnd_sealed_bid_aad(supplier, "b2", aad2, &aad2_len), 0);
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, rebuilt, enc, info, info_len, aad2, aad2_len,
                                   ct, sizeof ct, pt),
                     TND_ECRYPTO);
    assert_int_equal(tnd_sealed_bid_info(fp, "T-43", info2, &info2_len), 0);
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, rebuilt, enc, info2, info2_len, aad, aad_len,
                                   ct, sizeof ct, pt),
                     TND_ECRYPTO);
    OPENSSL_cleanse(rebuilt, sizeof rebuilt);
    OPENSSL_cleanse(mine, sizeof mine);
    OPENSSL_cleanse(member_sk, sizeof member_sk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
