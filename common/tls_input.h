/* The ciphertext a TLS stream has read, handed to OpenSSL in place.
 *
 * tls_stream.c reads from the network into one buffer per thread and lets
 * OpenSSL take its records straight from there through a BIO of this kind,
 * instead of copying them into a memory BIO first: one copy less per byte
 * read, and no buffer per connection that keeps the size of the largest
 * read it ever saw. Bytes OpenSSL has not taken when the read is handled
 * (the stream closes mid-read) are kept in memory of the input's own until
 * the next read, so the thread's buffer can be read into again.
 *
 * Loop thread only, like the stream. */
#ifndef TND_TLS_INPUT_H
#define TND_TLS_INPUT_H

#include <openssl/bio.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tnd_tls_input {
    const uint8_t *at; /* the next byte OpenSSL reads */
    size_t len;        /* bytes from at on, not read yet */
    uint8_t *kept;     /* tnd_tls_input_keep's copy (malloc), or NULL */
    size_t kept_cap;
} tnd_tls_input;

/** A BIO from which OpenSSL reads in's bytes; "retry" when there are none.
 * It does not own in (SSL_free frees the BIO, not in). NULL: out of memory. */
BIO *tnd_tls_input_bio(tnd_tls_input *in);

/** Hand len bytes at data to OpenSSL: borrowed (they must stay until
 * tnd_tls_input_keep) when nothing is left from before, otherwise appended
 * to what was kept. 0, or TND_ENOMEM. */
int tnd_tls_input_add(tnd_tls_input *in, const uint8_t *data, size_t len);

/** After handling a read: copy what OpenSSL has not read into in's own
 * memory (freed once nothing is left), so the borrowed bytes may go.
 * 0, or TND_ENOMEM. */
int tnd_tls_input_keep(tnd_tls_input *in);

/** Free what in keeps. */
void tnd_tls_input_free(tnd_tls_input *in);

#endif
