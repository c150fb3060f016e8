/* The ciphertext OpenSSL writes for a TLS stream, until the stream hands it
 * to the network.
 *
 * tls_stream.c sends what OpenSSL wrote right after each OpenSSL call that
 * may write (a handshake step, a write, a read, a shutdown), before anything
 * else runs on the loop. So the records go into one buffer per thread,
 * shared by every stream of its loop, and no stream keeps an output buffer
 * of its own between writes. (A memory BIO keeps the largest size it ever
 * had, per connection, and grows by copying: at a deadline that is fresh
 * memory for every one of thousands of connections.)
 *
 * Outputs never mix: while the thread's buffer holds one output's bytes,
 * another output writes to memory of its own (malloc), and so does one whose
 * bytes outgrow the thread's buffer. Either way the bytes are in one piece.
 *
 * Loop thread only, like the stream. */
#ifndef TND_TLS_OUTPUT_H
#define TND_TLS_OUTPUT_H

#include <openssl/bio.h>
#include <stddef.h>
#include <stdint.h>

/* The thread's buffer: one 64 KiB piece of plaintext (tls_stream.c's
 * ENCRYPT_PIECE) encrypted, with every record's overhead, fits. */
#define TND_TLS_OUTPUT_THREAD_BYTES (72u * 1024u)

typedef struct tnd_tls_output {
    size_t len;    /* bytes waiting */
    uint8_t *own;  /* where they are when not in the thread's buffer (malloc), or NULL */
    size_t own_cap;
} tnd_tls_output;

/** A BIO to which OpenSSL writes out's records. It does not own out
 * (SSL_free frees the BIO, not out). NULL: out of memory. */
BIO *tnd_tls_output_bio(tnd_tls_output *out);

/** The bytes waiting (*len of them, 0 when none), in one piece, valid until
 * the next write to out or tnd_tls_output_clear. */
const uint8_t *tnd_tls_output_bytes(const tnd_tls_output *out, size_t *len);

/** The bytes were sent or copied: forget them, and give the thread's buffer
 * back (or free out's own memory), so that nothing is kept between writes. */
void tnd_tls_output_clear(tnd_tls_output *out);

#endif
