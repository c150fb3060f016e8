/* Unit tests of common/sealed.c: the exact bytes of the info and aad of
 * shares sealed to committee members (docs/SEALED.md), and the flow with
 * them: an officer's opening key split 2-of-3 and sealed to the committee,
 * a message sealed to the opening key, the shares opened by two members
 * (not by another member, not under another threshold) and combined, the
 * key checked against the public key, the message opened. */
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
    uint8_t fp[32];
    for (unsigned i = 0; i < 32; i++)
        fp[i] = (uint8_t)i;
    uint8_t share_info[TND_SEALED_SHARE_INFO_LEN], aad[2];
    assert_int_equal(tnd_sealed_share_info(fp, share_info), 0);
    assert_memory_equal(share_info, "tender/1 share\0", 15);
    assert_memory_equal(share_info + 15, fp, 32);
    assert_int_equal(tnd_sealed_share_info(NULL, share_info), TND_EINVAL);
    assert_int_equal(tnd_sealed_share_aad(2, 3, aad), 0);
    assert_int_equal(aad[0], 2);
    assert_int_equal(aad[1], 3);
    assert_int_equal(tnd_sealed_share_aad(1, 1, aad), 0);
    assert_int_equal(tnd_sealed_share_aad(255, 255, aad), 0);
    assert_int_equal(aad[0], 255);
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

    /* A message sealed to the opening key (the bid format itself is
     * common/bid.c's, tested in tests/test_bid.c). */
    static const char bid[] = "{\"price\": \"1450000000 KRW\"}";
    static const uint8_t info[] = "bid info", aad[] = "bid aad";
    uint8_t enc[32], ct[sizeof bid + TND_HPKE_TAG_LEN], pt[sizeof bid];
    assert_int_equal(tnd_hpke_seal(TND_SEALED_AEAD, opk, info, sizeof info, aad, sizeof aad,
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

    /* The rebuilt key opens what was sealed to the opening key. */
    assert_int_equal(tnd_hpke_open(TND_SEALED_AEAD, rebuilt, enc, info, sizeof info, aad,
                                   sizeof aad, ct, sizeof ct, pt),
                     0);
    assert_memory_equal(pt, bid, sizeof bid);
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
