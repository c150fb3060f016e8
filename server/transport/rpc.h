/* The server side of one call, as service handlers see it.
 *
 * A handler is a set of callbacks for one method. The transport decodes each
 * request message with the method's descriptor, calls on_message, and after
 * the client's last message on_half_close. The handler answers with
 * tnd_call_send (responses) and tnd_call_finish (the status), now or later.
 *
 * Lifetime: the transport holds one reference to a call until it ends
 * (finished, cancelled, deadline, connection lost). A handler that answers
 * later (after async work) takes its own reference with tnd_call_ref and
 * drops it with tnd_call_unref; once the call has ended, send and finish are
 * harmless no-ops, and on_cancel has told the handler so.
 */
#ifndef TND_SERVER_RPC_H
#define TND_SERVER_RPC_H

#include <msgpack.h>
#include <stdbool.h>
#include <uv.h>

#include "arena.h"
#include "tender/service.h"
#include "tender/status.h"
#include "tls.h"

typedef struct tnd_call tnd_call;
typedef struct tnd_server tnd_server;

/* The most memory a call's arena may hold (the decoded request and what
 * handlers keep there): a request that needs more once decoded is refused
 * with RESOURCE_EXHAUSTED. */
#define TND_CALL_ARENA_MAX (64u * 1024u * 1024u)

typedef struct tnd_handler {
    const tnd_method_desc *method;
    /* A decoded request, in the call's memory. For a method that takes one
     * request message it lives as long as the call (a write may go on
     * using it, tnd_op_run); each message of a request stream lives until
     * the callback returns, its bytes fields pointing into the received
     * frame (read them, never write them): copy what is kept into
     * tnd_call_arena. */
    void (*on_message)(tnd_call *call, void *request);
    /* The client sent its last message. Optional. */
    void (*on_half_close)(tnd_call *call);
    /* The call ended without the handler finishing it (client cancel,
     * deadline, connection lost, drain). Optional. */
    void (*on_cancel)(tnd_call *call);
    /* Sending may go on again after tnd_call_send returned TND_EAGAIN. Optional. */
    void (*on_writable)(tnd_call *call);
} tnd_handler;

/** Send one response message. Returns 0 (sent or queued), TND_EAGAIN when a
 * previous message still waits for flow-control credit (wait for
 * on_writable), TND_ECANCELLED when the call has ended or its connection
 * failed to write (the call is no longer active; on_cancel follows after the
 * handler has returned, never inside this send), TND_EINVAL for a
 * message that breaks the schema's limits (the call is then finished with
 * INTERNAL), TND_ELIMIT for a message larger than tnd_call_max_message (the
 * call is then finished with RESOURCE_EXHAUSTED naming the method and both
 * sizes; the connection goes on). */
int tnd_call_send(tnd_call *call, const void *response);

/** Send one response message and end the call OK, in one TLS record and one
 * write when the connection can take both now (what a unary call that was
 * answered after a store commit does). Returns as tnd_call_send; on an error
 * the call is finished as tnd_call_send says. */
int tnd_call_reply(tnd_call *call, const void *response);

/** The largest encoded response that fits in one frame to this caller (the
 * max_frame it announced, less the frame's own bytes); 0 once the call has
 * ended. Handlers with large answers send them in pieces or pages within it
 * (docs/PROTOCOL.md, "Large answers"). */
size_t tnd_call_max_message(const tnd_call *call);

/** True when a response sent now goes out at once. When false the call waits
 * for its peer (flow-control credit, or output over the connection's or the
 * server's cap) and on_writable follows when it may send: a handler that
 * streams checks this before it builds each message, so that nothing waits in
 * the server's memory for a peer that does not read. */
bool tnd_call_writable(tnd_call *call);

/** Count n more bytes that the call keeps for an upload (documents, sealed
 * bids) against the caller's share (max-upload-per-identity: per client
 * certificate) and the server's total (max-upload-memory). Returns 0, or
 * TND_ELIMIT (the caller's own uploads hold its share) or TND_EAGAIN (the
 * server's total is in use), with a message for the client in why; nothing
 * is reserved then. What the call holds is released when it ends, or earlier
 * with tnd_call_upload_release. An upload that receives no message for
 * stall-timeout is cancelled. */
int tnd_call_upload_reserve(tnd_call *call, size_t n, char *why, size_t why_len);
void tnd_call_upload_release(tnd_call *call, size_t n);

/** End the call with a status and a message a person can act on (printf
 * format). Queued messages go out first. Only the first finish counts. */
void tnd_call_finish(tnd_call *call, tnd_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** As tnd_call_finish, with details (STATUS `details`: an encoded message,
 * by convention tender.common.v1.ErrorDetail). */
void tnd__call_finish_details(tnd_call *call, tnd_status code, const uint8_t *details,
                             size_t details_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** True until the call has been finished or cancelled. */
bool tnd_call_active(const tnd_call *call);

/** The caller, from its certificate (authenticated false for anonymous). */
const tnd_peer_identity *tnd_call_peer(const tnd_call *call);

/** The call's metadata map; valid for the call's lifetime. */
const msgpack_object *tnd_call_metadata(const tnd_call *call);

/** The method being called. */
const tnd_method_desc *tnd_call_method(const tnd_call *call);

/** Memory that lives as long as the call (until its last reference is
 * dropped), capped at TND_CALL_ARENA_MAX; for what a handler keeps across
 * messages (e.g. the first message of an upload, tnd_msg_copy_in). */
tnd_arena *tnd_call_arena(tnd_call *call);

tnd_server *tnd_call_server(const tnd_call *call);
void *tnd_call_user(const tnd_call *call);
void tnd_call_set_user(tnd_call *call, void *user);
void tnd_call_ref(tnd_call *call);
void tnd_call_unref(tnd_call *call);

#endif
