/* The ciphertext OpenSSL writes for a TLS stream (see tls_output.h). */
#include "tls_output.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OWN_FIRST 4096u /* first size of an output's own memory */

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

/* The thread's buffer and the output whose bytes it holds (NULL: free). */
static _Thread_local const tnd_tls_output *thread_owner;
static _Thread_local uint8_t thread_buf[TND_TLS_OUTPUT_THREAD_BYTES];

/* Make room for n more bytes in out's own memory; false when malloc refuses. */
static bool own_room(tnd_tls_output *out, size_t n)
{
    if (n > SIZE_MAX - out->len)
        return false;
    size_t need = out->len + n;
    if (need <= out->own_cap)
        return true;
    /* Mostly a record or two, written while another output holds the
     * thread's buffer: start small, not at the thread buffer's size. */
    size_t cap = out->own_cap ? out->own_cap : OWN_FIRST;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(out->own, cap);
    if (!p)
        return false;
    out->own = p;
    out->own_cap = cap;
    return true;
}

static int output_write(BIO *b, const char *data, int n)
{
    tnd_tls_output *out = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!out || n <= 0)
        return n == 0 ? 0 : -1;
    size_t k = (size_t)n;
    if (!out->own && (!thread_owner || thread_owner == out)) {
        if (k <= sizeof thread_buf - out->len) {
            thread_owner = out;
            memcpy(thread_buf + out->len, data, k);
            out->len += k;
            return n;
        }
        /* Outgrown: the bytes so far move to out's own memory. */
        if (!own_room(out, k))
            return -1;
        memcpy(out->own, thread_buf, out->len);
        thread_owner = NULL;
    }
    if (!own_room(out, k))
        return -1;
    memcpy(out->own + out->len, data, k);
    out->len += k;
    return n;
}

static int output_read(BIO *b, char *buf, int n)
{
    (void)b;
    (void)buf;
    (void)n;
    return -1; /* OpenSSL reads from the stream's input BIO, never here */
}

static long output_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    const tnd_tls_output *out = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_WPENDING:
        return out ? (long)out->len : 0;
    case BIO_CTRL_FLUSH:
        return 1; /* the stream sends the bytes after the OpenSSL call */
    default:
        return 0;
    }
}

static void make_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tender TLS output");
    if (m && BIO_meth_set_write(m, output_write) && BIO_meth_set_read(m, output_read) &&
        BIO_meth_set_ctrl(m, output_ctrl)) {
        method = m;
        return;
    }
    BIO_meth_free(m);
}

BIO *tnd_tls_output_bio(tnd_tls_output *out)
{
    pthread_once(&method_once, make_method);
    BIO *b = method ? BIO_new(method) : NULL;
    if (b) {
        BIO_set_data(b, out);
        BIO_set_init(b, 1);
    }
    return b;
}

const uint8_t *tnd_tls_output_bytes(const tnd_tls_output *out, size_t *len)
{
    *len = out->len;
    if (out->len == 0)
        return NULL;
    return out->own ? out->own : thread_buf;
}

void tnd_tls_output_clear(tnd_tls_output *out)
{
    if (thread_owner == out)
        thread_owner = NULL;
    free(out->own);
    out->own = NULL;
    out->own_cap = 0;
    out->len = 0;
}
