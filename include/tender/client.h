/* libtender: the client side of the tender/1 protocol (docs/PROTOCOL.md).
 *
 * A tnd_client is one logical channel to a server ("HOST:PORT"), or to a
 * replicated group of them (see "Several servers" below). It opens
 * TLS 1.3 connections itself (ALPN tender/1, server certificate and host name
 * verified against the CA, optional client certificate), reconnects after a
 * GOAWAY or a broken connection, and runs many calls at once over them.
 *
 * Two ways to use it:
 *
 *  - Asynchronously, on the caller's libuv loop: tnd_client_new, then
 *    tnd_client_call_start with callbacks. Every function must be called on
 *    the loop's thread; callbacks run there too.
 *  - Blocking, on a private loop: tnd_client_open, then tnd_client_unary or
 *    the tnd_client_stream_* functions. One thread at a time.
 *
 * Results. Setup functions return 0 or a negative TND_E* code (tender/error.h)
 * with a message in err. Calls end with a gRPC status code (tender/status.h)
 * and a message: client-side failures are mapped to status codes too
 * (cannot connect, TLS failure or connection lost: UNAVAILABLE; local
 * deadline: DEADLINE_EXCEEDED; tnd_client_call_cancel: CANCELLED; a response
 * that does not decode: INTERNAL). The library never aborts the process.
 *
 * Retries. A call whose method descriptor is idempotent and that ends with
 * UNAVAILABLE before any response reached the caller is tried again, with
 * exponential backoff and full jitter (base 100 ms, x2, capped at 5 s), at
 * most max_attempts times in all, and never past its deadline. Calls the
 * server never saw (stream id above a GOAWAY's last id, or not yet sent) are
 * moved to a new connection whatever the method.
 *
 * Several servers (tnd_client_opts.servers; docs/SCALING.md, "Clients").
 * The client talks to one server at a time, the first given at the start.
 * It moves:
 *  - to the writer, when a call ends with UNAVAILABLE and the trailer
 *    x-tender-writer: HOST:PORT (a node that is not the writer refused a
 *    write before running anything, docs/PROTOCOL.md, "Metadata"). The call
 *    is sent there again at once, without a backoff, whatever the method,
 *    with the same request bytes and metadata (so the same idempotency-key).
 *    The writer may be an address not in the list; its certificate is
 *    verified as any server's. This holds with a single server too.
 *  - to the next address in the list (round robin), when a connection cannot
 *    be made or drops, or a call ends with UNAVAILABLE and no writer named.
 *    The failed call follows within its retry budget (max_attempts and the
 *    backoff above) if it may be repeated: an idempotent method, a call no
 *    server saw (its connection never became ready), or a call carrying an
 *    idempotency-key, which the server that already stored it answers from
 *    its record, so a bid sent twice across a failover is stored once.
 * Each move to the writer counts as an attempt (max_attempts 1 follows
 * none). With several servers the default budget is 10 attempts
 * (TND_CLIENT_DEFAULT_MAX_ATTEMPTS_SEVERAL): with the backoff, about 10 s
 * on average and 20 s at most, so a keyed write outlasts a failover. A call whose requests came to more than 4 MiB keeps no copy of
 * them and is never sent again, so it ends with the node's UNAVAILABLE
 * (its message names the writer). With one server, calls are retried
 * exactly as described above.
 * Reads go wherever the client is: every node serves them, a follower's
 * answer perhaps a batch behind the writer's.
 *
 * Signals: like libuv, libtender writes to sockets that the server may have
 * closed; the process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) or it is
 * killed instead of seeing UNAVAILABLE. The library does not change signal
 * dispositions itself.
 *
 * Messages are the generated C structs (tender/codec.h); a call encodes its
 * requests with method->request and decodes responses with method->response.
 */
#ifndef TENDER_CLIENT_H
#define TENDER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender/service.h"
#include "tender/status.h"

/* Only a pointer to the caller's loop is needed here; callers of
 * tnd_client_new include <uv.h> themselves. */
typedef struct uv_loop_s uv_loop_t;

/* common/arena.h: memory of one unit of work, freed at once (tnd_client_unary_in). */
typedef struct tnd_arena tnd_arena;

#ifndef TND_MUST_CHECK
#define TND_MUST_CHECK __attribute__((warn_unused_result))
#endif

#define TND_CLIENT_DEFAULT_SERVER "127.0.0.1:7443"
#define TND_CLIENT_DEFAULT_TIMEOUT_MS 30000u
#define TND_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define TND_CLIENT_DEFAULT_MAX_ATTEMPTS 4
/* With several servers: enough for the backoff to outlast a change of
 * writer (a lease of 5 s running out, then the new writer catching up),
 * about 20 s at most, within the default 30 s deadline. */
#define TND_CLIENT_DEFAULT_MAX_ATTEMPTS_SEVERAL 10
#define TND_CLIENT_DEFAULT_BACKOFF_BASE_MS 100u
#define TND_CLIENT_DEFAULT_BACKOFF_MAX_MS 5000u
/** The most addresses tnd_client_opts.servers may list. */
#define TND_CLIENT_MAX_SERVERS 16

/** A timeout_ms value meaning "this call has no deadline" (e.g. a watch). */
#define TND_NO_DEADLINE UINT32_MAX

typedef struct tnd_client tnd_client;
typedef struct tnd_client_call tnd_client_call;
typedef struct tnd_client_stream tnd_client_stream;

/** How to reach the server. Strings are copied by tnd_client_new/open. */
typedef struct tnd_client_opts {
    const char *server;    /**< "HOST:PORT" or "[IPv6]:PORT"; NULL: TND_CLIENT_DEFAULT_SERVER */
    const char *const *servers; /**< or the n_servers nodes of a replicated group (1 to
                                     TND_CLIENT_MAX_SERVERS, each as server; then server must
                                     be NULL): see "Several servers" above */
    size_t n_servers;
    const char *ca_file;   /**< PEM CA the server's certificate must chain to. Required. */
    const char *cert_file; /**< PEM client certificate, or NULL for an anonymous client */
    const char *key_file;  /**< its private key; NULL exactly when cert_file is NULL */
    uint32_t timeout_ms;   /**< deadline of calls that give none; 0: 30 s */
    uint32_t max_frame;    /**< largest frame accepted from the server; 0: 4 MiB */
    uint32_t connect_timeout_ms; /**< TCP connect + TLS handshake; 0: 10 s */
    int max_attempts;      /**< tries of an idempotent call; 0: 4, or 10 with several
                                servers (to ride through a failover); 1: never retry */
    uint32_t backoff_base_ms; /**< first retry delay bound; 0: 100 ms */
    uint32_t backoff_max_ms;  /**< cap of the delay bound; 0: 5 s */
    const char *request_id;   /**< x-request-id of every call that sets none itself, so the
                                   server logs them under one id: 1 to TND_MAX_REQUEST_ID
                                   characters 0x21..0x7e; NULL: 16 random hex digits a call */
    bool no_resumption;       /**< true: every connection makes a full TLS handshake, and
                                   the client asks for no session ticket, so tenderd builds
                                   none (for a program that connects once). false
                                   (default): the client keeps the session ticket the server
                                   last gave it and offers it when it connects again (TLS 1.3
                                   resumption, no early data), for as long as the client lives */
} tnd_client_opts;

/** One metadata entry of a call. Keys are lowercase [a-z0-9-_.]; keys ending
 * in "-bin" carry bytes (value, len), others printable ASCII text: for a text
 * key, len 0 means value is a NUL-terminated string. Copied at call start. */
typedef struct tnd_meta {
    const char *key;
    const void *value;
    size_t len;
} tnd_meta;

/** Per-call options; a NULL tnd_call_opts pointer means all defaults. */
typedef struct tnd_call_opts {
    uint32_t timeout_ms;      /**< 0: the client's default; TND_NO_DEADLINE: none */
    const tnd_meta *metadata; /**< n_metadata entries, or NULL */
    size_t n_metadata;
    int max_attempts;         /**< 0: the client's; 1: no retries for this call */
} tnd_call_opts;

/** How a call ended. */
typedef struct tnd_status_info {
    int code;          /**< tnd_status: 0 OK ... 16 UNAUTHENTICATED */
    char message[512]; /**< for a person; "" when OK */
    /** The STATUS frame's details, when the server sent any (by convention an
     * encoded tender.common.v1.ErrorDetail); cut at 1024 bytes. */
    uint8_t details[1024];
    size_t details_len;
} tnd_status_info;

/** Fill opts with defaults (all zero / NULL). */
void tnd_client_opts_init(tnd_client_opts *opts);

/* ---- the client object ---------------------------------------------------- */

/** Create a client on the caller's loop. Connects lazily, at the first call.
 *
 * @param loop    The loop every call and callback of this client runs on.
 * @param opts    Server, CA and optional client certificate; copied.
 * @param out     Receives the client; free it with tnd_client_free.
 * @param err     Receives a message a person can act on when the result is
 *                not 0 ("cannot read CA file ca.crt: No such file or
 *                directory"); may be NULL.
 * @param err_len Size of err.
 * @return 0; TND_EINVAL (bad server address, cert without key), TND_ETLS (CA
 *         or certificate files unusable), TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_client_new(uv_loop_t *loop, const tnd_client_opts *opts,
                                  tnd_client **out, char *err, size_t err_len);

/** As tnd_client_new, on a private loop the blocking functions run. */
TND_MUST_CHECK int tnd_client_open(const tnd_client_opts *opts, tnd_client **out, char *err,
                                   size_t err_len);

/** Close the client. Calls still running end with CANCELLED (their on_status
 * runs before this returns), connections close. With a private loop
 * (tnd_client_open) everything is released before it returns; on the
 * caller's loop the last memory is released by close callbacks, so run the
 * loop again before uv_loop_close. NULL is allowed. */
void tnd_client_free(tnd_client *client);

/** The "HOST:PORT" this client talks to now (owned by the client; with
 * several servers, the one new calls go to, which changes as it moves). */
const char *tnd_client_server(const tnd_client *client);

/** Whether the latest TLS handshake of this client resumed a session: 1
 * resumed (the server took the ticket), 0 a full handshake, -1 none yet. */
int tnd_client_resumed(const tnd_client *client);

/** Close the client's connections as soon as their calls have ended (at
 * once when idle); the next call connects again, offering the kept session
 * (see no_resumption). For a long-lived client that knows its network path
 * changed, and for measuring reconnects. */
void tnd_client_disconnect(tnd_client *client);

/* ---- asynchronous calls ----------------------------------------------------- */

/** Callbacks of one call; user is the pointer given to tnd_client_call_start. */
typedef struct tnd_call_cb {
    /** A decoded response of method->response type. It is borrowed: valid
     * only during the callback (copy what you keep). Flow-control credit for
     * it goes back to the server when the callback returns. Optional. */
    void (*on_message)(tnd_client_call *call, const void *response, void *user);
    /** The call ended: exactly once per call, always asynchronously (never
     * from inside tnd_client_call_start). message is never NULL and valid
     * only during the callback. The handle is freed when it returns.
     * Required. */
    void (*on_status)(tnd_client_call *call, int code, const char *message, void *user);
    /** The message that tnd_client_call_send queued has gone out; sending may
     * go on (after TND_EAGAIN). Optional. */
    void (*on_writable)(tnd_client_call *call, void *user);
} tnd_call_cb;

/** Start a call. Nothing is sent until the first request (or half-close) for
 * methods that take one; the CALL frame goes out as soon as a connection is
 * ready. An x-request-id (random hex) is added to the metadata unless given.
 *
 * @param cb   Callbacks, copied. user is passed to them unchanged.
 * @param out  Receives the call handle, valid until on_status returns.
 * @return 0; TND_EINVAL (bad metadata key or value, NULL argument, no
 *         on_status); TND_ECLOSED (the client is being freed); TND_ENOMEM.
 *         On error no callback ever runs.
 */
TND_MUST_CHECK int tnd_client_call_start(tnd_client *client, const tnd_method_desc *method,
                                         const tnd_call_opts *opts, const tnd_call_cb *cb,
                                         void *user, tnd_client_call **out);

/** Queue one request message (method->request type; encoded and copied at
 * once). It goes out when the server's flow-control windows allow, at the
 * latest when the loop next turns: what a connection's calls write in one
 * turn of the loop (a CALL, messages, the end of stream) goes out as one
 * TLS record and one write.
 * @return 0 (sent or queued); TND_EAGAIN when an earlier message still waits
 *         for credit (wait for on_writable); TND_EINVAL when the message
 *         breaks the schema's limits, or after close_send, or a second
 *         request on a unary / server-streaming call; TND_ENOMEM. The call
 *         goes on either way.
 */
TND_MUST_CHECK int tnd_client_call_send(tnd_client_call *call, const void *request);

/** Half-close: no more requests (the server's on_half_close). Goes out after
 * any queued message. Calling it again does nothing. Returns 0. */
int tnd_client_call_close_send(tnd_client_call *call);

/** Cancel the call: CANCEL goes to the server and on_status(CANCELLED) runs
 * before this returns (the handle is then gone). Safe from inside
 * on_message. */
void tnd_client_call_cancel(tnd_client_call *call);

/** The response being delivered, as the server encoded it: valid only inside
 * on_message (NULL and 0 elsewhere). Keep these bytes, not a re-encoding of
 * the decoded struct, to archive exactly what the server said (a receipt,
 * for one); it also spares the caller an encode per response. */
const uint8_t *tnd_client_call_message_bytes(const tnd_client_call *call, size_t *len);

/** The details the server sent with the status, valid only inside
 * on_status (NULL and 0 when there are none). */
const uint8_t *tnd_client_call_details(const tnd_client_call *call, size_t *len);

/** The call's method. */
const tnd_method_desc *tnd_client_call_method(const tnd_client_call *call);

/* ---- blocking calls (clients from tnd_client_open only) ---------------------- */

/** One unary call (retried as described above), waiting for its end.
 *
 * @param req  Request of method->request type.
 * @param resp A method->response struct; the function initialises it and, on
 *             OK, fills it (the caller frees it with tnd_msg_free or the
 *             generated _free). On any other result it is left empty.
 * @param opts NULL for defaults.
 * @param st   Receives code and message; may be NULL.
 * @return The status code: 0 (TND_STATUS_OK) or a positive tnd_status
 *         (never a TND_E* code: misuse gives INVALID_ARGUMENT).
 */
int tnd_client_unary(tnd_client *client, const tnd_method_desc *method, const void *req,
                     void *resp, const tnd_call_opts *opts, tnd_status_info *st);

/** As tnd_client_unary, with the response and everything it points to
 * allocated in arena (common/arena.h; tender/codec.h on messages in an
 * arena): it lives until the arena is freed, and is never given to
 * tnd_msg_free. An arena that runs out (its cap) ends the call
 * RESOURCE_EXHAUSTED "out of memory decoding a response"; what was taken
 * stays in the arena. A NULL arena is INVALID_ARGUMENT. */
int tnd_client_unary_in(tnd_client *client, const tnd_method_desc *method, tnd_arena *arena,
                        const void *req, void *resp, const tnd_call_opts *opts,
                        tnd_status_info *st);

/** Open a blocking stream for any call kind.
 *
 * @param req  For unary and server-streaming methods the one request: it is
 *             sent with the half-close. NULL to send requests with
 *             tnd_client_stream_send (client streaming, bidi).
 * @param out  Receives the stream; close it with tnd_client_stream_close.
 * @return 0 or a positive status code with st set (*out is then NULL).
 */
int tnd_client_stream_open(tnd_client *client, const tnd_method_desc *method, const void *req,
                           const tnd_call_opts *opts, tnd_client_stream **out,
                           tnd_status_info *st);

/** Send one request, waiting while flow control holds it back.
 * @return 0, or the status code when the call has already ended (st set). */
int tnd_client_stream_send(tnd_client_stream *s, const void *request, tnd_status_info *st);

/** End the request stream. Returns 0. */
int tnd_client_stream_close_send(tnd_client_stream *s);

/** Wait for the next response.
 *
 * @param resp A method->response struct, initialised and on 1 filled by the
 *             function (the caller frees it); left empty otherwise.
 * @return 1: a message is in resp; 0: the stream ended, its status in st
 *         (st->code may be OK or an error). Flow-control credit goes back to
 *         the server as responses are taken, so a slow reader slows the
 *         server down instead of filling memory.
 */
int tnd_client_stream_next(tnd_client_stream *s, void *resp, tnd_status_info *st);

/** Client streaming: half-close, then wait for the one response and the
 * status. resp as for tnd_client_unary. Returns the status code. */
int tnd_client_stream_finish(tnd_client_stream *s, void *resp, tnd_status_info *st);

/** After the stream ended: true when the server said how (a STATUS frame,
 * or a GOAWAY refusing the connection), so the outcome is what the status
 * says; false when the client made the status up (connection lost,
 * deadline, cancelled, client closed), so a write may or may not have
 * happened. */
bool tnd_client_stream_answered(const tnd_client_stream *s);

/** Cancel the call if it still runs, and free the stream. NULL is allowed. */
void tnd_client_stream_close(tnd_client_stream *s);

#endif
