/* Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1
 * (0x11b), for Shamir's secret sharing. Both operations run in constant time:
 * no table lookups and no branches that depend on the values, since the
 * values are bytes of shares and of the secret. */
#ifndef TENDER_GF256_H
#define TENDER_GF256_H

#include <stdint.h>

/* a * b: eight rounds of conditional add (masked XOR) and multiply-by-x
 * (shift, then a masked reduction by 0x1b). */
static inline uint8_t tnd__gf256_mul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    for (unsigned i = 0; i < 8; i++) {
        r ^= (uint8_t)(-(b & 1) & a);
        uint8_t carry = (uint8_t) - (a >> 7);
        a = (uint8_t)((a << 1) ^ (carry & 0x1b));
        b >>= 1;
    }
    return r;
}

/* 1 / a as a^254 (Fermat: a^255 = 1 for a != 0), by a fixed chain of squares
 * and multiplications: a^3, a^7, ..., a^127, then one square. Gives 0 for 0. */
static inline uint8_t tnd__gf256_inv(uint8_t a)
{
    uint8_t r = a;
    for (unsigned i = 0; i < 6; i++)
        r = tnd__gf256_mul(tnd__gf256_mul(r, r), a);
    return tnd__gf256_mul(r, r);
}

#endif
