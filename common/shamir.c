/* Shamir's k-of-n secret sharing over GF(2^8), byte by byte: how the opening
 * key's private half is shared among the opening committee. docs/SEALED.md
 * describes the share encoding and the threshold scheme. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gf256.h"
#include "tender/sealed.h"

int tnd_shamir_split(const uint8_t *secret, size_t len, unsigned k, unsigned n, uint8_t *shares)
{
    uint8_t coef[TND_SHAMIR_MAX_SHARES];
    if (secret == NULL || shares == NULL || len == 0 || k == 0 || k > n ||
        n > TND_SHAMIR_MAX_SHARES)
        return TND_EINVAL;
    if (len > SIZE_MAX / n - 1)
        return TND_ERANGE;
    size_t stride = TND_SHAMIR_SHARE_LEN(len);
    for (unsigned i = 0; i < n; i++)
        shares[i * stride] = (uint8_t)(i + 1);
    for (size_t j = 0; j < len; j++) {
        /* coef[0..k-2] are the coefficients of x^1..x^(k-1) for this byte. */
        if (k > 1 && RAND_priv_bytes(coef, (int)(k - 1)) != 1) {
            OPENSSL_cleanse(coef, sizeof coef);
            OPENSSL_cleanse(shares, n * stride);
            return TND_ECRYPTO;
        }
        for (unsigned i = 0; i < n; i++) {
            uint8_t x = (uint8_t)(i + 1), y = 0;
            for (unsigned c = k - 1; c > 0; c--) /* Horner, highest degree first */
                y = tnd__gf256_mul((uint8_t)(y ^ coef[c - 1]), x);
            shares[i * stride + 1 + j] = y ^ secret[j];
        }
    }
    OPENSSL_cleanse(coef, sizeof coef);
    return 0;
}

int tnd_shamir_combine(const uint8_t *shares, unsigned count, size_t len, uint8_t *secret)
{
    uint8_t basis[TND_SHAMIR_MAX_SHARES];
    if (shares == NULL || secret == NULL || len == 0 || count == 0 || count > TND_SHAMIR_MAX_SHARES)
        return TND_EINVAL;
    if (len > SIZE_MAX / count - 1)
        return TND_ERANGE;
    size_t stride = TND_SHAMIR_SHARE_LEN(len);
    /* The x-coordinates are public: checking them may branch. */
    for (unsigned i = 0; i < count; i++) {
        uint8_t xi = shares[i * stride];
        if (xi == 0)
            return TND_EINVAL;
        for (unsigned j = 0; j < i; j++)
            if (shares[j * stride] == xi)
                return TND_EINVAL;
    }
    /* Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i), where
     * subtraction is XOR. */
    for (unsigned i = 0; i < count; i++) {
        uint8_t xi = shares[i * stride], num = 1, den = 1;
        for (unsigned j = 0; j < count; j++) {
            if (j == i)
                continue;
            uint8_t xj = shares[j * stride];
            num = tnd__gf256_mul(num, xj);
            den = tnd__gf256_mul(den, (uint8_t)(xj ^ xi));
        }
        basis[i] = tnd__gf256_mul(num, tnd__gf256_inv(den));
    }
    for (size_t b = 0; b < len; b++) {
        uint8_t s = 0;
        for (unsigned i = 0; i < count; i++)
            s ^= tnd__gf256_mul(basis[i], shares[i * stride + 1 + b]);
        secret[b] = s;
    }
    OPENSSL_cleanse(basis, sizeof basis);
    return 0;
}
