/* The per-identity records (see principal.h). */
#include "principal.h"

#include <stdlib.h>
#include <string.h>

static size_t key_of(const tnd_peer_identity *peer, const char *addr, uint8_t key[64])
{
    if (peer->authenticated) {
        key[0] = 'k';
        memcpy(key + 1, peer->pubkey, sizeof peer->pubkey);
        return 1 + sizeof peer->pubkey;
    }
    size_t n = strnlen(addr, 62);
    key[0] = 'a';
    memcpy(key + 1, addr, n);
    return 1 + n;
}

static size_t bucket_of(const uint8_t *key, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ key[i]) * 1099511628211ull;
    return (size_t)(h % TND_PRINCIPAL_BUCKETS);
}

tnd_principal *tnd__principal_get(tnd_principals *t, const tnd_peer_identity *peer,
                                 const char *addr)
{
    uint8_t key[64];
    size_t len = key_of(peer, addr, key);
    tnd_principal **b = &t->buckets[bucket_of(key, len)];
    for (tnd_principal *p = *b; p; p = p->next) {
        if (p->key_len == len && memcmp(p->key, key, len) == 0) {
            p->refs++;
            return p;
        }
    }
    tnd_principal *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    memcpy(p->key, key, len);
    p->key_len = len;
    p->refs = 1;
    p->next = *b;
    *b = p;
    return p;
}

void tnd__principal_put(tnd_principals *t, tnd_principal *p)
{
    if (!p || --p->refs > 0)
        return;
    for (tnd_principal **q = &t->buckets[bucket_of(p->key, p->key_len)]; *q; q = &(*q)->next) {
        if (*q == p) {
            *q = p->next;
            break;
        }
    }
    free(p);
}

void tnd__principals_clear(tnd_principals *t)
{
    for (size_t i = 0; i < TND_PRINCIPAL_BUCKETS; i++) {
        while (t->buckets[i]) {
            tnd_principal *p = t->buckets[i];
            t->buckets[i] = p->next;
            free(p);
        }
    }
}
