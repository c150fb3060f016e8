/* Client certificate verification, with a per-context cache of the
 * certificates that verified (see tls.h, tnd_tls_ctx_cache_verify). */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tls.h"

#define CACHE_SLOTS 4096 /* direct-mapped: a collision replaces the older entry */
#define CACHE_MAX_S 3600 /* no entry is trusted longer than this */

typedef struct slot {
    unsigned char key[32]; /* SHA-256 of the certificate's DER */
    time_t until;          /* 0: empty */
} slot;

typedef struct verify_cache {
    pthread_mutex_t mu;
    slot slots[CACHE_SLOTS];
} verify_cache;

static int cache_index = -1;
static EVP_MD *sha256;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void free_cache(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    verify_cache *c = ptr;
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void init_once(void)
{
    cache_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_cache);
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* once, not per certificate */
}

/* The context's cache, or NULL when it has none or fixes the verify time. */
static verify_cache *cache_of(SSL_CTX *ctx)
{
    pthread_once(&once, init_once);
    if (cache_index < 0 || !sha256 ||
        (X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(ctx)) & X509_V_FLAG_USE_CHECK_TIME))
        return NULL;
    return SSL_CTX_get_ex_data(ctx, cache_index);
}

static bool key_of(X509 *cert, unsigned char key[32])
{
    unsigned int len = 0;
    return X509_digest(cert, sha256, key, &len) == 1 && len == 32;
}

static size_t slot_of(const unsigned char key[32])
{
    size_t i;
    memcpy(&i, key, sizeof i);
    return i % CACHE_SLOTS;
}

static bool cache_hit(verify_cache *c, const unsigned char key[32])
{
    pthread_mutex_lock(&c->mu);
    const slot *s = &c->slots[slot_of(key)];
    bool hit = s->until > time(NULL) && memcmp(s->key, key, 32) == 0;
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Seconds since the epoch of an ASN1_TIME, or 0 when it cannot be read. */
static time_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return timegm(&tm);
}

/* After a successful X509_verify_cert on x: how long the result holds. */
static time_t good_until(X509_STORE_CTX *x)
{
    time_t until = time(NULL) + CACHE_MAX_S;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(x);
    for (int i = 0; i < sk_X509_num(chain); i++) {
        time_t end = asn1_time(X509_get0_notAfter(sk_X509_value(chain, i)));
        if (end < until)
            until = end; /* 0 (unreadable) keeps nothing */
    }
    /* With CRL checking, the leaf's CRL was the last one consulted. */
    X509_CRL *crl = X509_STORE_CTX_get0_current_crl(x);
    if (crl) {
        time_t next = asn1_time(X509_CRL_get0_nextUpdate(crl));
        if (next < until)
            until = next;
    }
    return until;
}

static void cache_put(verify_cache *c, const unsigned char key[32], time_t until)
{
    if (until <= time(NULL))
        return;
    pthread_mutex_lock(&c->mu);
    slot *s = &c->slots[slot_of(key)];
    memcpy(s->key, key, 32);
    s->until = until;
    pthread_mutex_unlock(&c->mu);
}

/* libssl's verification of a client's chain: the cache, or OpenSSL's
 * X509_verify_cert on the store context libssl prepared. */
static int verify_cb(X509_STORE_CTX *x, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    verify_cache *c = ssl ? cache_of(SSL_get_SSL_CTX(ssl)) : NULL;
    unsigned char key[32];
    bool keyed = c && key_of(X509_STORE_CTX_get0_cert(x), key);
    if (keyed && cache_hit(c, key))
        return 1; /* the store context's error stays X509_V_OK */
    int ok = X509_verify_cert(x);
    if (ok == 1 && keyed)
        cache_put(c, key, good_until(x));
    return ok == 1 ? 1 : 0;
}

int tnd_tls_ctx_cache_verify(SSL_CTX *ctx)
{
    pthread_once(&once, init_once);
    if (cache_index < 0 || !sha256)
        return TND_ENOMEM;
    verify_cache *c = calloc(1, sizeof *c);
    if (!c || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return TND_ENOMEM;
    }
    if (SSL_CTX_set_ex_data(ctx, cache_index, c) != 1) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        return TND_ENOMEM;
    }
    SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
    return 0;
}

int tnd_tls_cert_verifies(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain, const char **why)
{
    verify_cache *c = cache_of(ctx);
    unsigned char key[32];
    bool keyed = c && key_of(cert, key);
    if (keyed && cache_hit(c, key))
        return 1;
    X509_STORE_CTX *x = X509_STORE_CTX_new();
    if (!x || X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(ctx), cert, chain) != 1) {
        X509_STORE_CTX_free(x);
        ERR_clear_error();
        if (why)
            *why = "out of memory checking the certificate";
        return -1;
    }
    /* As libssl verifies a client: the sslclient purpose, the context's
     * depth and flags (CRL checking). */
    X509_STORE_CTX_set_default(x, "ssl_client");
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(x), SSL_CTX_get0_param(ctx));
    int ok = X509_verify_cert(x) == 1;
    if (ok && keyed)
        cache_put(c, key, good_until(x));
    if (!ok && why)
        *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(x));
    X509_STORE_CTX_free(x);
    ERR_clear_error();
    return ok;
}
