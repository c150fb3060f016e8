/* The info and aad strings of opening-key shares sealed to committee members
 * (docs/SEALED.md), built in one place so that tenderctl and the members'
 * tools agree. */
#include <string.h>

#include "tender/sealed.h"

static const char share_label[] = "tender/1 share"; /* then 0x00 */

_Static_assert(sizeof share_label + 32 == TND_SEALED_SHARE_INFO_LEN, "share info size");

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
