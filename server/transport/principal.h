/* Who holds the server's shared resources: one record per client
 * certificate (its public key), or per address for anonymous clients. The
 * per-identity limits (connection slots, upload memory) are counted here, so
 * one identity cannot take what others need. */
#ifndef TND_SERVER_PRINCIPAL_H
#define TND_SERVER_PRINCIPAL_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

#define TND_PRINCIPAL_BUCKETS 1024

typedef struct tnd_principal tnd_principal;
struct tnd_principal {
    tnd_principal *next; /* hash chain */
    uint32_t refs;       /* connections of this identity */
    size_t upload_bytes; /* upload memory its calls hold */
    size_t key_len;
    uint8_t key[64]; /* 'k' + the certificate's public key, or 'a' + the address */
};

typedef struct tnd_principals {
    tnd_principal *buckets[TND_PRINCIPAL_BUCKETS];
} tnd_principals;

/** The record of peer (from addr when anonymous; addr is the IP without the
 * port), created with refs 0 when new; one more reference is taken. NULL when
 * out of memory. */
tnd_principal *tnd__principal_get(tnd_principals *t, const tnd_peer_identity *peer,
                                 const char *addr);

/** Drop one reference; the record goes with the last. */
void tnd__principal_put(tnd_principals *t, tnd_principal *p);

/** Free every record (shutdown). */
void tnd__principals_clear(tnd_principals *t);

#endif
