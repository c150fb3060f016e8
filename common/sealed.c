/* The info and aad strings of sealed bids and sealed shares (docs/SEALED.md),
 * built in one place so that tenderctl, tenderd and auditors agree. */
#include <string.h>

#include "tender/sealed.h"

static const char bid_label[] = "tender/1 bid";     /* then 0x00 */
static const char share_label[] = "tender/1 share"; /* then 0x00 */

_Static_assert(sizeof bid_label + 32 + 2 + TND_SEALED_MAX_ID == TND_SEALED_BID_INFO_MAX,
               "bid info size");
_Static_assert(sizeof share_label + 32 == TND_SEALED_SHARE_INFO_LEN, "share info size");

/* Append u16be(len) || s for an id of 1..TND_SEALED_MAX_ID bytes; the new
 * end, or NULL for a bad id. */
static uint8_t *put_id(uint8_t *p, const char *s)
{
    size_t n = strnlen(s, TND_SEALED_MAX_ID + 1);
    if (n == 0 || n > TND_SEALED_MAX_ID)
        return NULL;
    *p++ = (uint8_t)(n >> 8);
    *p++ = (uint8_t)(n & 0xff);
    memcpy(p, s, n);
    return p + n;
}

int tnd_sealed_bid_info(const uint8_t fingerprint[32], const char *tender_id, uint8_t *out,
                        size_t *len)
{
    if (fingerprint == NULL || tender_id == NULL || out == NULL || len == NULL)
        return TND_EINVAL;
    uint8_t *p = out;
    memcpy(p, bid_label, sizeof bid_label); /* with its NUL: the 0x00 separator */
    p += sizeof bid_label;
    memcpy(p, fingerprint, TND_FINGERPRINT_LEN);
    p += TND_FINGERPRINT_LEN;
    if ((p = put_id(p, tender_id)) == NULL)
        return TND_EINVAL;
    *len = (size_t)(p - out);
    return 0;
}

int tnd_sealed_bid_aad(const uint8_t supplier_key[32], const char *bid_id, uint8_t *out,
                       size_t *len)
{
    if (supplier_key == NULL || bid_id == NULL || out == NULL || len == NULL)
        return TND_EINVAL;
    memcpy(out, supplier_key, 32);
    uint8_t *p = put_id(out + 32, bid_id);
    if (p == NULL)
        return TND_EINVAL;
    *len = (size_t)(p - out);
    return 0;
}

int tnd_sealed_share_info(const uint8_t fingerprint[32], uint8_t out[TND_SEALED_SHARE_INFO_LEN])
{
    if (fingerprint == NULL || out == NULL)
        return TND_EINVAL;
    memcpy(out, share_label, sizeof share_label);
    memcpy(out + sizeof share_label, fingerprint, TND_FINGERPRINT_LEN);
    return 0;
}

int tnd_sealed_share_aad(unsigned k, unsigned n, uint8_t out[TND_SEALED_SHARE_AAD_LEN])
{
    if (out == NULL || k == 0 || k > n || n > TND_SHAMIR_MAX_SHARES)
        return TND_EINVAL;
    out[0] = (uint8_t)k;
    out[1] = (uint8_t)n;
    return 0;
}
