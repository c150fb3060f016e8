/* Unit tests of common/shamir.c and common/gf256.h: GF(2^8) arithmetic
 * against FIPS-197 examples and an independent log/exp construction, every
 * k-subset of the shares rebuilding the secret for (1,1), (2,3), (3,5),
 * (5,5), (7,10) and a sample for (16,32), k-1 shares rebuilding something
 * else, the share encoding, the refused arguments, and the opening-key round
 * trip (split an X25519 private key, rebuild it, check its public key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gf256.h"
#include "tender/sealed.h"

#define SECRET_LEN 32
#define STRIDE TND_SHAMIR_SHARE_LEN(SECRET_LEN)

/* ---- GF(2^8) --------------------------------------------------------------- */

static void test_gf256_spot(void **state)
{
    (void)state;
    assert_int_equal(tnd__gf256_mul(0x53, 0xca), 0x01); /* FIPS-197 4.2 inverse pair */
    assert_int_equal(tnd__gf256_mul(0xca, 0x53), 0x01);
    assert_int_equal(tnd__gf256_mul(0x57, 0x83), 0xc1); /* FIPS-197 4.2 */
    assert_int_equal(tnd__gf256_mul(0x57, 0x13), 0xfe); /* FIPS-197 4.2.1 */
    assert_int_equal(tnd__gf256_mul(0x57, 0x02), 0xae);
    assert_int_equal(tnd__gf256_mul(0x80, 0x02), 0x1b); /* the reduction */
    assert_int_equal(tnd__gf256_inv(0x53), 0xca);
    assert_int_equal(tnd__gf256_inv(0xca), 0x53);
    assert_int_equal(tnd__gf256_inv(0x01), 0x01);
    assert_int_equal(tnd__gf256_inv(0x00), 0x00);
}

/* Every product against exp[log a + log b] with the generator 0x03, whose
 * powers are built with xtime alone (x * 3 = xtime(x) ^ x), not with the
 * multiplication under test; every inverse against the definition. */
static void test_gf256_all(void **state)
{
    (void)state;
    uint8_t exp[255], log[256] = {0};
    uint8_t x = 1;
    for (unsigned i = 0; i < 255; i++) {
        exp[i] = x;
        log[x] = (uint8_t)i;
        uint8_t xt = (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1b : 0));
        x ^= xt;
    }
    assert_int_equal(x, 1); /* 0x03 has order 255 */
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            uint8_t want = (a == 0 || b == 0) ? 0 : exp[(log[a] + log[b]) % 255];
            assert_int_equal(tnd__gf256_mul((uint8_t)a, (uint8_t)b), want);
        }
        if (a != 0)
            assert_int_equal(tnd__gf256_mul((uint8_t)a, tnd__gf256_inv((uint8_t)a)), 1);
    }
}

/* ---- splitting and combining -------------------------------------------- */

static void random_bytes(uint8_t *p, size_t n)
{
    assert_int_equal(RAND_bytes(p, (int)n), 1);
}

/* Combine the shares whose bits are set in mask (in a rotated order, to
 * show the order does not matter). */
static int combine_mask(const uint8_t *shares, unsigned n, unsigned long mask, unsigned rot,
                        uint8_t out[SECRET_LEN])
{
    uint8_t picked[TND_SHAMIR_MAX_SHARES * STRIDE];
    unsigned count = 0, idx[64];
    for (unsigned i = 0; i < n; i++)
        if (mask & (1ul << i))
            idx[count++] = i;
    for (unsigned c = 0; c < count; c++)
        memcpy(picked + c * STRIDE, shares + idx[(c + rot) % count] * STRIDE, STRIDE);
    return tnd_shamir_combine(picked, count, SECRET_LEN, out);
}

static const struct {
    unsigned k, n;
} params[] = {{1, 1}, {1, 3}, {2, 2}, {2, 3}, {3, 5}, {5, 5}, {7, 10}};

/* Every k-subset (and every larger subset) rebuilds the secret exactly. */
static void test_every_subset(void **state)
{
    (void)state;
    for (size_t p = 0; p < sizeof params / sizeof *params; p++) {
        unsigned k = params[p].k, n = params[p].n;
        uint8_t secret[SECRET_LEN], out[SECRET_LEN], shares[10 * STRIDE];
        for (unsigned round = 0; round < 4; round++) {
            random_bytes(secret, sizeof secret);
            if (round == 1)
                memset(secret, 0, sizeof secret);
            if (round == 2)
                memset(secret, 0xff, sizeof secret);
            assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, k, n, shares), 0);
            for (unsigned i = 0; i < n; i++)
                assert_int_equal(shares[i * STRIDE], i + 1); /* x-coordinates 1..n */
            unsigned tried = 0;
            for (unsigned long mask = 1; mask < (1ul << n); mask++) {
                if ((unsigned)__builtin_popcountl(mask) < k)
                    continue;
                memset(out, 0, sizeof out);
                assert_int_equal(combine_mask(shares, n, mask, (unsigned)mask % 3, out), 0);
                assert_memory_equal(out, secret, SECRET_LEN);
                tried++;
            }
            assert_true(tried > 0);
        }
    }
}

/* A random sample of 16-subsets of 32 shares. */
static void test_sample_large(void **state)
{
    (void)state;
    enum { K = 16, N = 32 };
    uint8_t secret[SECRET_LEN], out[SECRET_LEN], shares[N * STRIDE];
    random_bytes(secret, sizeof secret);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, K, N, shares), 0);
    for (unsigned trial = 0; trial < 300; trial++) {
        unsigned long mask = 0;
        while (__builtin_popcountl(mask) < K) {
            uint8_t r;
            random_bytes(&r, 1);
            mask |= 1ul << (r % N);
        }
        assert_int_equal(combine_mask(shares, N, mask, trial, out), 0);
        assert_memory_equal(out, secret, SECRET_LEN);
        /* One share fewer: not the secret. */
        mask &= mask - 1;
        assert_int_equal(combine_mask(shares, N, mask, 0, out), 0);
        assert_memory_not_equal(out, secret, SECRET_LEN);
    }
    /* The largest n: 255 shares, x-coordinates 1..255. */
    static uint8_t all[TND_SHAMIR_MAX_SHARES * STRIDE];
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 3, TND_SHAMIR_MAX_SHARES, all), 0);
    assert_int_equal(all[254 * STRIDE], 255);
    assert_int_equal(tnd_shamir_combine(all + 200 * STRIDE, 3, SECRET_LEN, out), 0);
    assert_memory_equal(out, secret, SECRET_LEN);
    assert_int_equal(tnd_shamir_combine(all, TND_SHAMIR_MAX_SHARES, SECRET_LEN, out), 0);
    assert_memory_equal(out, secret, SECRET_LEN);
}

/* k - 1 shares are information-theoretically independent of the secret:
 * for any k - 1 nonzero x-coordinates and any candidate secret s, exactly one
 * polynomial of degree k - 1 with constant term s passes through the k - 1
 * points, and the split draws the other k - 1 coefficients uniformly, so
 * every secret is equally likely given the shares. Interpolating k - 1 shares
 * therefore yields a value unrelated to the secret; for a 32-byte secret it
 * equals the secret with probability 2^-256. The test asserts that, over
 * many random secrets, it never does, and that with k = 2 one share's byte
 * takes every value for one fixed secret (the coefficients are random). */
static void test_fewer_than_k(void **state)
{
    (void)state;
    for (size_t p = 0; p < sizeof params / sizeof *params; p++) {
        unsigned k = params[p].k, n = params[p].n;
        if (k < 2)
            continue;
        for (unsigned trial = 0; trial < 200; trial++) {
            uint8_t secret[SECRET_LEN], out[SECRET_LEN], shares[10 * STRIDE];
            random_bytes(secret, sizeof secret);
            assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, k, n, shares), 0);
            /* The first k - 1 shares, and the last k - 1. */
            unsigned long low = (1ul << (k - 1)) - 1, high = low << (n - k + 1);
            assert_int_equal(combine_mask(shares, n, low, 0, out), 0);
            assert_memory_not_equal(out, secret, SECRET_LEN);
            assert_int_equal(combine_mask(shares, n, high, 0, out), 0);
            assert_memory_not_equal(out, secret, SECRET_LEN);
        }
    }
    uint8_t secret[1] = {0x42}, shares[2 * 2];
    int seen[256] = {0}, distinct = 0;
    for (unsigned trial = 0; trial < 8192; trial++) {
        assert_int_equal(tnd_shamir_split(secret, 1, 2, 2, shares), 0);
        if (!seen[shares[1]]++)
            distinct++;
    }
    assert_int_equal(distinct, 256);
}

/* An altered share gives a wrong secret, without an error: the caller checks
 * the result (tenderd compares the public key). */
static void test_altered_share(void **state)
{
    (void)state;
    uint8_t secret[SECRET_LEN], out[SECRET_LEN], shares[3 * STRIDE];
    random_bytes(secret, sizeof secret);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 2, 3, shares), 0);
    shares[1 + 5] ^= 0x01;
    assert_int_equal(tnd_shamir_combine(shares, 2, SECRET_LEN, out), 0);
    assert_memory_not_equal(out, secret, SECRET_LEN);
    assert_memory_equal(out + 6, secret + 6, SECRET_LEN - 6); /* byte by byte */
}

static void test_refused(void **state)
{
    (void)state;
    uint8_t secret[SECRET_LEN] = {1}, out[SECRET_LEN], shares[5 * STRIDE];
    static uint8_t big[256 * STRIDE];
    /* split */
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 0, 3, shares), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 4, 3, shares), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 0, 0, shares), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 2, 256, big), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, 0, 2, 3, shares), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(NULL, SECRET_LEN, 2, 3, shares), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 2, 3, NULL), TND_EINVAL);
    assert_int_equal(tnd_shamir_split(secret, SIZE_MAX, 2, 3, shares), TND_ERANGE);
    /* combine */
    assert_int_equal(tnd_shamir_split(secret, SECRET_LEN, 3, 5, shares), 0);
    assert_int_equal(tnd_shamir_combine(shares, 0, SECRET_LEN, out), TND_EINVAL);
    assert_int_equal(tnd_shamir_combine(shares, 3, 0, out), TND_EINVAL);
    assert_int_equal(tnd_shamir_combine(NULL, 3, SECRET_LEN, out), TND_EINVAL);
    assert_int_equal(tnd_shamir_combine(shares, 3, SECRET_LEN, NULL), TND_EINVAL);
    assert_int_equal(tnd_shamir_combine(big, 256, SECRET_LEN, out), TND_EINVAL);
    /* The same share twice, and a share at x = 0. */
    uint8_t dup[3 * STRIDE];
    memcpy(dup, shares, STRIDE);
    memcpy(dup + STRIDE, shares + STRIDE, STRIDE);
    memcpy(dup + 2 * STRIDE, shares, STRIDE);
    assert_int_equal(tnd_shamir_combine(dup, 3, SECRET_LEN, out), TND_EINVAL);
    /* Same x, different y: still refused. */
    dup[2 * STRIDE + 1] ^= 0xff;
    assert_int_equal(tnd_shamir_combine(dup, 3, SECRET_LEN, out), TND_EINVAL);
    memcpy(dup + 2 * STRIDE, shares + 2 * STRIDE, STRIDE);
    dup[2 * STRIDE] = 0;
    assert_int_equal(tnd_shamir_combine(dup, 3, SECRET_LEN, out), TND_EINVAL);
}

/* The opening key's life: generate, fingerprint, split 3-of-5, wipe, rebuild
 * from three members' shares, and check against the public key. */
static void test_opening_key_round_trip(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], fp[32], shares[5 * TND_SHAMIR_SHARE_LEN(32)], sk2[32], pk2[32],
        picked[3 * TND_SHAMIR_SHARE_LEN(32)], fp2[32];
    assert_int_equal(tnd_x25519_keygen(sk, pk), 0);
    assert_int_equal(tnd_opening_key_fingerprint(pk, fp), 0);
    assert_int_equal(tnd_shamir_split(sk, 32, 3, 5, shares), 0);
    memset(sk, 0, sizeof sk);
    memcpy(picked, shares + 4 * 33, 33);
    memcpy(picked + 33, shares + 1 * 33, 33);
    memcpy(picked + 66, shares + 2 * 33, 33);
    assert_int_equal(tnd_shamir_combine(picked, 3, 32, sk2), 0);
    assert_int_equal(tnd_x25519_public(sk2, pk2), 0);
    assert_memory_equal(pk2, pk, 32);
    assert_int_equal(tnd_opening_key_fingerprint(pk2, fp2), 0);
    assert_memory_equal(fp2, fp, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gf256_spot),   cmocka_unit_test(test_gf256_all),
        cmocka_unit_test(test_every_subset), cmocka_unit_test(test_sample_large),
        cmocka_unit_test(test_fewer_than_k), cmocka_unit_test(test_altered_share),
        cmocka_unit_test(test_refused),      cmocka_unit_test(test_opening_key_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
