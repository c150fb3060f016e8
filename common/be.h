/* Big-endian integers in bytes: the one encoder and decoder of every
 * length prefix, key and counter that tenderd and libtender put in bytes.
 *
 * put writes the value's bytes most significant first at p; get reads them
 * back. Big-endian so that byte order is numeric order (LMDB keys sort as
 * numbers) and because the wire formats (frame length, note key ids, HPKE's
 * I2OSP) say so. p must hold 2, 4 or 8 bytes; nothing is checked here. */
#ifndef TND_COMMON_BE_H
#define TND_COMMON_BE_H

#include <stdint.h>

static inline void tnd_be16_put(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline uint16_t tnd_be16_get(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void tnd_be32_put(void *p, uint32_t v)
{
    uint8_t *b = p;
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline uint32_t tnd_be32_get(const void *p)
{
    const uint8_t *b = p;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | b[i];
    return v;
}

static inline void tnd_be64_put(void *p, uint64_t v)
{
    uint8_t *b = p;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t tnd_be64_get(const void *p)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

#endif
