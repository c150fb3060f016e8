/* A TLS connection over a libuv TCP handle: OpenSSL reads the ciphertext
 * the loop read in place (tls_input.h) and writes its records to the
 * thread's output buffer (tls_output.h), which the stream writes out right
 * away. Used by tenderd for every client
 * connection and by libtender for its connections to a server.
 *
 * The owner embeds a tnd_tls_stream, fills in the callbacks and data, and
 * frees its memory only in on_close, after libuv has released the handle.
 */
#ifndef TND_TLS_STREAM_H
#define TND_TLS_STREAM_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "tls_input.h"
#include "tls_output.h"

typedef struct tnd_tls_stream tnd_tls_stream;

typedef struct tnd_tls_stream_cb {
    /* The handshake finished: status 0, or a negative TND_E* code with
     * s->error describing why (the stream is then closing). */
    void (*on_handshake)(tnd_tls_stream *s, int status);
    /* Decrypted application bytes, valid only during the call. */
    void (*on_data)(tnd_tls_stream *s, const uint8_t *data, size_t len);
    /* The peer closed, or a read/TLS error happened (status < 0, s->error says
     * what). The stream is closing; on_close follows. */
    void (*on_eof)(tnd_tls_stream *s, int status);
    /* Unsent output fell to zero after being above the high-water mark. */
    void (*on_drain)(tnd_tls_stream *s);
    /* The handle is closed and the stream may be freed. Required. */
    void (*on_close)(tnd_tls_stream *s);
} tnd_tls_stream_cb;

struct tnd_tls_stream {
    uv_tcp_t tcp; /* tcp.data points back to this struct */
    uv_timer_t close_timer; /* bounds a graceful close */
    uv_shutdown_t shutdown_req;
    int open_handles;
    SSL *ssl;
    tnd_tls_input in; /* ciphertext from the network, read by OpenSSL */
    tnd_tls_output out; /* ciphertext from OpenSSL, to be written to the network */
    const tnd_tls_stream_cb *cb;
    void *data;             /* the owner's */
    size_t unsent;          /* bytes queued with uv_write and not yet written */
    size_t *unsent_total;   /* the owner's sum of unsent over its streams, or NULL */
    uint64_t written;       /* bytes the network took so far: how far output got */
    size_t high_water;      /* above this, owners should stop producing */
    uint8_t *held;          /* plaintext written while a read is handled (see write) */
    size_t held_len, held_cap;
    uint64_t writes;        /* flushes to the network so far: how often output went out */
    bool is_server;
    bool handshake_done;
    bool reading;
    bool closing;
    bool holding;           /* a read is being handled: writes are held */
    bool was_high;          /* unsent passed high_water since the last drain */
    char error[256];        /* why the stream failed, for logs and callers */
};

/** Set up s on loop with a new SSL from ctx (the SSL holds a reference to
 * ctx, so a reloaded context never pulls the rug from live connections).
 * The TCP handle is initialised but not connected. Returns 0 or TND_ENOMEM. */
int tnd_tls_stream_init(uv_loop_t *loop, tnd_tls_stream *s, SSL_CTX *ctx, bool is_server,
                        const tnd_tls_stream_cb *cb, void *data);

/** Start reading and, for a client, send the ClientHello. Call once the TCP
 * handle is connected (server: after uv_accept). Returns 0 or a TND_E* code. */
int tnd_tls_stream_start(tnd_tls_stream *s);

/** Encrypt and queue application bytes. Returns 0, or TND_ECLOSED when the
 * stream is closing, TND_ETLS / TND_ENOMEM on failure (the stream closes).
 * Bytes written from a callback of a read (on_handshake, on_data) are held
 * until that read has been handled, then go out together: as few TLS records
 * and one write (per 64 KiB) for every answer a read brought about, instead of
 * a record and a system call each. A close from such a callback sends them
 * first. Output is encrypted 64 KiB at a time, so a large write never makes
 * OpenSSL's buffer grow to its size. */
int tnd_tls_stream_write(tnd_tls_stream *s, const void *data, size_t len);

/** As tnd_tls_stream_write of the n pieces one after the other, as one
 * write: the pieces are gathered (a frame's head, its payload where it lies,
 * its tail) and encrypted together, never as a record each. */
int tnd_tls_stream_writev(tnd_tls_stream *s, const uv_buf_t *parts, size_t n);

/** Gather what is written from now until tnd_tls_stream_release into one
 * record and one write, as during a read callback: for answers sent from
 * elsewhere (a write committed by the store answers with a message and a
 * status). Returns true when it started holding; false when the stream
 * already holds (a read callback is running, or an outer hold), and then the
 * matching release leaves the flush to whoever started it. */
bool tnd_tls_stream_hold(tnd_tls_stream *s);

/** End the hold that tnd_tls_stream_hold started (started: its return):
 * encrypt and write what was gathered. A failed write closes the stream as
 * any failed write does. */
void tnd_tls_stream_release(tnd_tls_stream *s, bool started);

/** Stop / resume reading from the peer (back-pressure). */
void tnd_tls_stream_pause(tnd_tls_stream *s);
void tnd_tls_stream_resume(tnd_tls_stream *s);

/** Send close_notify if possible, let queued output reach the peer (for at
 * most a couple of seconds), then close; on_close follows. Safe to call more
 * than once. */
void tnd_tls_stream_close(tnd_tls_stream *s);

/** Close at once, dropping queued output; on_close follows. */
void tnd_tls_stream_abort(tnd_tls_stream *s);

/** True when unsent output (held bytes included) is above the high-water mark. */
static inline bool tnd_tls_stream_congested(const tnd_tls_stream *s)
{
    return s->unsent + s->held_len > s->high_water;
}

#endif
