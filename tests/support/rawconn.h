/* Test support: a blocking TLS client that speaks raw tender/1 frames, so
 * tests can send exactly the bytes they want (valid or not) and read what
 * the server answers. */
#ifndef TND_TEST_RAWCONN_H
#define TND_TEST_RAWCONN_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "frame.h"

typedef struct rawconn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    tnd_frame_reader reader;
    msgpack_zone *zone; /* of the last frame read */
    uint8_t *last;      /* copy of the last frame body */
    char err[512];
} rawconn;

/** Connect and handshake. cert/key NULL for anonymous. Returns 0, or -1 with
 * c->err saying why (the handshake failed, the server closed...). */
int rawconn_open(rawconn *c, int port, const char *ca, const char *cert, const char *key);

/** As rawconn_open with a caller-made context (e.g. TLS 1.2 only). Takes a reference. */
int rawconn_open_ctx(rawconn *c, int port, SSL_CTX *ctx, const char *host);

/** Send our SETTINGS (defaults). */
void rawconn_settings(rawconn *c);

/** Write raw bytes / one encoded buffer. */
int rawconn_write(rawconn *c, const void *data, size_t len);
int rawconn_send(rawconn *c, msgpack_sbuffer *sb); /* writes and clears */

/** Send CALL then a MESSAGE with an encoded request (end_stream set). */
int rawconn_unary(rawconn *c, uint32_t sid, const char *method, const tnd_msg_desc *d,
                  const void *req, uint64_t timeout_ms);

/** Read the next frame (skipping the server's SETTINGS and PINGs when skip_ctl).
 * Returns 0 with *f filled (valid until the next read), or -1 on timeout,
 * close or error (c->err says which). */
int rawconn_read(rawconn *c, tnd_frame *f, int timeout_ms, bool skip_ctl);

/** Read frames until STATUS for sid; returns its code, or -1. Copies the
 * message into msg when given. Counts MESSAGE frames for sid in *n_msgs. */
int rawconn_wait_status(rawconn *c, uint32_t sid, int timeout_ms, char *msg, size_t msg_len,
                        int *n_msgs);

/** True when the server closed the connection (reads EOF within timeout). */
bool rawconn_closed(rawconn *c, int timeout_ms);

void rawconn_close(rawconn *c);



/* One unary call on stream sid: encodes req, decodes the response into resp
 * (initialised by the caller; may be NULL), copies the status message.
 * Optional metadata. Returns the status code, or -1 on a transport error. */
int rawconn_call(rawconn *c, uint32_t sid, const char *method, const tnd_msg_desc *req_desc,
                 const void *req, const tnd_msg_desc *resp_desc, void *resp, char *msg,
                 size_t msg_len, const tnd_md *md, size_t n_md);
#endif
