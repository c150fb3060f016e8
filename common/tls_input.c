/* The ciphertext a TLS stream has read, handed to OpenSSL in place (see tls_input.h). */
#include "tls_input.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tender/error.h"

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static int input_read(BIO *b, char *out, int n)
{
    tnd_tls_input *in = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!in || n <= 0)
        return 0;
    if (in->len == 0) {
        BIO_set_retry_read(b); /* more comes with the next read: not the end */
        return -1;
    }
    size_t k = (size_t)n < in->len ? (size_t)n : in->len;
    memcpy(out, in->at, k);
    in->at += k;
    in->len -= k;
    return (int)k;
}

static int input_write(BIO *b, const char *data, int n)
{
    (void)b;
    (void)data;
    (void)n;
    return -1; /* OpenSSL writes to the stream's output BIO, never here */
}

static long input_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    const tnd_tls_input *in = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return in ? (long)in->len : 0;
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0; /* not at the end of input (BIO_CTRL_EOF), no other control */
    }
}

static void make_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tender TLS input");
    if (m && BIO_meth_set_read(m, input_read) && BIO_meth_set_write(m, input_write) &&
        BIO_meth_set_ctrl(m, input_ctrl)) {
        method = m;
        return;
    }
    BIO_meth_free(m);
}

BIO *tnd_tls_input_bio(tnd_tls_input *in)
{
    pthread_once(&method_once, make_method);
    BIO *b = method ? BIO_new(method) : NULL;
    if (b) {
        BIO_set_data(b, in);
        BIO_set_init(b, 1);
    }
    return b;
}

int tnd_tls_input_add(tnd_tls_input *in, const uint8_t *data, size_t len)
{
    if (in->len == 0) {
        in->at = data;
        in->len = len;
        return 0;
    }
    /* What was kept starts at in->kept (tnd_tls_input_keep put it there). */
    if (len > SIZE_MAX - in->len)
        return TND_ENOMEM;
    size_t need = in->len + len;
    if (need > in->kept_cap) {
        uint8_t *p = realloc(in->kept, need);
        if (!p)
            return TND_ENOMEM;
        in->kept = p;
        in->kept_cap = need;
    }
    memcpy(in->kept + in->len, data, len);
    in->at = in->kept;
    in->len = need;
    return 0;
}

int tnd_tls_input_keep(tnd_tls_input *in)
{
    if (in->len == 0) {
        tnd_tls_input_free(in);
        return 0;
    }
    if (in->kept && in->at >= in->kept && in->at < in->kept + in->kept_cap) {
        memmove(in->kept, in->at, in->len);
        in->at = in->kept;
        return 0;
    }
    uint8_t *p = malloc(in->len);
    if (!p)
        return TND_ENOMEM;
    memcpy(p, in->at, in->len);
    free(in->kept);
    in->kept = p;
    in->kept_cap = in->len;
    in->at = p;
    return 0;
}

void tnd_tls_input_free(tnd_tls_input *in)
{
    free(in->kept);
    in->kept = NULL;
    in->kept_cap = 0;
    in->at = NULL;
    in->len = 0;
}
