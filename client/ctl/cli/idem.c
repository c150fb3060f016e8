/* Idempotency keys for write calls: the server replays its stored reply
 * for a key it has seen, so a retried write never happens twice. */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "ctl.h"

const tnd_call_opts *ctl_idem_next(ctl_idem *k)
{
    if (!k->base[0]) {
        uint8_t r[16];
        if (RAND_bytes(r, sizeof r) != 1) {
            /* Without randomness, send no key rather than a guessable one. */
            memset(&k->opts, 0, sizeof k->opts);
            return &k->opts;
        }
        ctl_hex(r, sizeof r, k->base);
    }
    /* One key per call: the server refuses a key reused for another
     * request, and several AddDocument calls of one invocation must stay
     * distinct. */
    snprintf(k->key, sizeof k->key, "%s-%u", k->base, ++k->n);
    k->meta = (tnd_meta){.key = "idempotency-key", .value = k->key};
    k->opts = (tnd_call_opts){.metadata = &k->meta, .n_metadata = 1};
    return &k->opts;
}
