/* Blinded bid events (include/tender/blind.h, docs/LOG.md). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "tender/blind.h"
#include "digest.h"

int tnd_blind_secret(const uint8_t key[32], int kind, const char *bid_id, uint8_t out[32])
{
    static const char label[] = "tender/1 bid event"; /* with its NUL: the 0x00 */
    uint8_t msg[sizeof label + 1 + 64];
    size_t bl = bid_id ? strlen(bid_id) : 0;
    if (!bid_id || bl > 64 || kind < 0 || kind > 255)
        return TND_EINVAL;
    memcpy(msg, label, sizeof label);
    msg[sizeof label] = (uint8_t)kind;
    memcpy(msg + sizeof label + 1, bid_id, bl);
    return tnd_hmac_sha256(key, 32, msg, sizeof label + 1 + bl, out) == 0 ? 0 : TND_ECRYPTO;
}

int tnd_blind_tag(const char *tender_id, const uint8_t secret[32], uint8_t out[32])
{
    static const char label[] = "tender/1 bid tag";
    if (!tender_id || strlen(tender_id) > 64)
        return TND_EINVAL;
    const void *p[] = {label, tender_id, secret};
    const size_t l[] = {sizeof label, strlen(tender_id) + 1, 32};
    return tnd_sha256_parts(p, l, 3, out);
}

bool tnd_blind_kind(int kind)
{
    return kind == tender_events_v1_EventKind_BID_RECEIVED ||
           kind == tender_events_v1_EventKind_BID_WITHDRAWN;
}

bool tnd_blind_proves(const tender_events_v1_Event *ev, const char *tender_id,
                      const uint8_t *secret, size_t secret_len)
{
    uint8_t tag[32];
    return ev && tnd_blind_kind((int)ev->kind) && ev->tender_tag.len == 32 && secret &&
           secret_len == 32 && tnd_blind_tag(tender_id, secret, tag) == 0 &&
           CRYPTO_memcmp(tag, ev->tender_tag.data, 32) == 0;
}

bool tnd_blind_links(const tender_events_v1_Event *ev, const char *tender_id,
                     const uint8_t key[32])
{
    uint8_t s[32];
    return ev && tnd_blind_kind((int)ev->kind) &&
           tnd_blind_secret(key, (int)ev->kind, ev->object_id, s) == 0 &&
           tnd_blind_proves(ev, tender_id, s, 32);
}
