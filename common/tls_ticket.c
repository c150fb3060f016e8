/* Session tickets under rotating keys, and the check of a resumed
 * certificate (see tls_ticket.h). */
#include "tls_ticket.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls.h"

#define NAME_LEN 16 /* OpenSSL's ticket key name */

typedef struct ticket_key {
    bool live;
    unsigned char name[NAME_LEN];
    unsigned char aes[32];
    unsigned char hmac[32];
} ticket_key;

struct tnd_tls_tickets {
    pthread_mutex_t mu; /* contexts of several loops may share the keys */
    uint64_t period_ms;
    uint64_t rotated_ms;  /* monotonic time the current key was made */
    ticket_key cur, prev; /* prev only decrypts */
    EVP_CIPHER *aes;      /* fetched once: no provider lookup per ticket */
    _Atomic uint64_t issued;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Called with mu held. */
static int rotate_locked(tnd_tls_tickets *t)
{
    ticket_key k = {.live = true};
    if (RAND_bytes(k.name, sizeof k.name) != 1 || RAND_priv_bytes(k.aes, sizeof k.aes) != 1 ||
        RAND_priv_bytes(k.hmac, sizeof k.hmac) != 1) {
        OPENSSL_cleanse(&k, sizeof k);
        return TND_ETLS;
    }
    OPENSSL_cleanse(&t->prev, sizeof t->prev);
    t->prev = t->cur;
    t->cur = k;
    OPENSSL_cleanse(&k, sizeof k);
    t->rotated_ms = mono_ms();
    return 0;
}

/* The period's end is checked whenever a key is needed: a server without
 * handshakes has nothing to rotate. After two periods or more without one,
 * both keys go. */
static int rotate_if_due_locked(tnd_tls_tickets *t)
{
    uint64_t age = mono_ms() - t->rotated_ms;
    int rc = 0;
    if (age >= 2 * t->period_ms)
        rc = rotate_locked(t);
    if (rc == 0 && age >= t->period_ms)
        rc = rotate_locked(t);
    return rc;
}

tnd_tls_tickets *tnd_tls_tickets_new(uint64_t period_ms)
{
    if (period_ms < 1000)
        return NULL;
    tnd_tls_tickets *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->period_ms = period_ms;
    t->aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    if (!t->aes || pthread_mutex_init(&t->mu, NULL) != 0) {
        EVP_CIPHER_free(t->aes);
        free(t);
        return NULL;
    }
    if (rotate_locked(t) != 0) {
        tnd_tls_tickets_free(t);
        return NULL;
    }
    return t;
}

void tnd_tls_tickets_free(tnd_tls_tickets *t)
{
    if (!t)
        return;
    EVP_CIPHER_free(t->aes);
    pthread_mutex_destroy(&t->mu);
    OPENSSL_cleanse(t, sizeof *t);
    free(t);
}

int tnd_tls_tickets_rotate(tnd_tls_tickets *t)
{
    pthread_mutex_lock(&t->mu);
    int rc = rotate_locked(t);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* The ex_data slot of an SSL_CTX that points at its tnd_tls_tickets. */
static int ctx_index = -1;
static pthread_once_t ctx_index_once = PTHREAD_ONCE_INIT;
static void make_ctx_index(void)
{
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int set_mac_key(EVP_MAC_CTX *hctx, unsigned char *key)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, 32),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/* OpenSSL's ticket key callback: enc 1 to issue a ticket (returns 1), enc 0
 * to open one (1: current key; 2: previous key, so a new ticket under the
 * current one goes out; 0: unknown key, so a full handshake; -1: failure). */
static int key_cb(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cctx,
                  EVP_MAC_CTX *hctx, int enc)
{
    tnd_tls_tickets *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
    if (!t)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&t->mu);
    if (rotate_if_due_locked(t) != 0)
        goto out;
    if (enc) {
        memcpy(name, t->cur.name, NAME_LEN);
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(t->aes)) != 1 ||
            EVP_EncryptInit_ex(cctx, t->aes, NULL, t->cur.aes, iv) != 1 ||
            set_mac_key(hctx, t->cur.hmac) != 0)
            goto out;
        rc = 1;
        goto out;
    }
    ticket_key *k = NULL;
    if (t->cur.live && memcmp(name, t->cur.name, NAME_LEN) == 0)
        k = &t->cur;
    else if (t->prev.live && memcmp(name, t->prev.name, NAME_LEN) == 0)
        k = &t->prev;
    if (!k) {
        rc = 0;
        goto out;
    }
    if (EVP_DecryptInit_ex(cctx, t->aes, NULL, k->aes, iv) != 1 || set_mac_key(hctx, k->hmac) != 0)
        goto out;
    rc = k == &t->cur ? 1 : 2;
out:
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* A ticket opened: resume only when its certificate verifies now, under this
 * connection's context (CA, CRL, time). Otherwise a full handshake, which
 * refuses that certificate with the usual alert. */
static SSL_TICKET_RETURN decrypt_cb(SSL *ssl, SSL_SESSION *sess, const unsigned char *keyname,
                                    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
    (void)keyname;
    (void)keyname_len;
    (void)arg;
    switch (status) {
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
        break;
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
    case SSL_TICKET_NONE:
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    default:
        return SSL_TICKET_RETURN_ABORT;
    }
    X509 *cert = SSL_SESSION_get0_peer(sess);
    if (cert && tnd_tls_cert_verifies(SSL_get_SSL_CTX(ssl), cert, NULL, NULL) != 1)
        return SSL_TICKET_RETURN_IGNORE_RENEW;
    /* A ticket under the current key is not renewed: the client may offer
     * it again, and every new ticket costs OpenSSL 3.0 an encoding and a
     * decoding of the session, certificate included (docs/BENCHMARKS.md). */
    return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
}

/* OpenSSL is about to build a ticket for ssl: count it. */
static int gen_cb(SSL *ssl, void *arg)
{
    (void)ssl;
    tnd_tls_tickets *t = arg;
    atomic_fetch_add(&t->issued, 1);
    return 1;
}

uint64_t tnd_tls_tickets_issued(tnd_tls_tickets *t)
{
    return atomic_load(&t->issued);
}

int tnd_tls_server_enable_tickets(SSL_CTX *ctx, tnd_tls_tickets *t)
{
    pthread_once(&ctx_index_once, make_ctx_index);
    /* A ticket outlives its key by nothing: two periods, in whole seconds. */
    uint64_t life_s = 2 * t->period_ms / 1000;
    if (ctx_index < 0 || SSL_CTX_set_ex_data(ctx, ctx_index, t) != 1 ||
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, key_cb) != 1 ||
        SSL_CTX_set_session_ticket_cb(ctx, gen_cb, decrypt_cb, t) != 1 ||
        SSL_CTX_set_num_tickets(ctx, 1) != 1)
        return TND_ETLS;
    SSL_CTX_set_timeout(ctx, (long)(life_s > 7 * 86400 ? 7 * 86400 : life_s));
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    return 0;
}
