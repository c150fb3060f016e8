/* Ed25519 signature checks through libsodium: see ed25519.h. */
#include "ed25519.h"

#include <pthread.h>
#include <sodium.h>

#include "tender/error.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready; /* sodium_init's answer: 0 started, 1 started already, -1 failed */

static void init(void)
{
    ready = sodium_init();
}

int tnd_ed25519_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
                       const uint8_t pub[32])
{
    if (pthread_once(&once, init) != 0 || ready < 0)
        return TND_ECRYPTO;
    return crypto_sign_verify_detached(sig, msg, len, pub) == 0 ? 0 : TND_ECRYPTO;
}
