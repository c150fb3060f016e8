/* TLS 1.3 session resumption on the server: session tickets under keys that
 * rotate, and a resumption that is refused when the certificate it carries
 * no longer verifies (docs/PROTOCOL.md, section 1).
 *
 * A ticket is the server's session state (the client certificate included)
 * encrypted with AES-256-CBC and authenticated with HMAC-SHA256 under the
 * current ticket key. Every period the current key becomes the previous one
 * and a fresh random key the current one; the previous key only decrypts (and
 * the server then issues a ticket under the current key), and the key before
 * it is forgotten. So a ticket is accepted for at most two periods after it
 * was issued, and its lifetime tells the client so. A ticket under the
 * current key resumes without a new one being issued: the client may offer
 * it again (each resumption still makes a fresh X25519 exchange, and the
 * client is known by its certificate anyway). The keys live in memory
 * only: tickets do not survive a restart of the server.
 *
 * When a ticket decrypts, the certificate in it is verified again with the
 * connection's context (its CA, its CRL, the time now), as a full handshake
 * would verify it: a certificate revoked, expired or no longer trusted since
 * the ticket was issued gets a full handshake instead, which refuses it. The
 * identity (role, org, name) then comes from that certificate exactly as for
 * a full handshake (tnd_tls_peer_identity). Early data (0-RTT) stays off.
 */
#ifndef TND_TLS_TICKET_H
#define TND_TLS_TICKET_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "tender/error.h"

typedef struct tnd_tls_tickets tnd_tls_tickets;

/** New ticket keys (one random current key) rotating every period_ms
 * (at least 1000). NULL when out of memory or without randomness. */
TND_MUST_CHECK tnd_tls_tickets *tnd_tls_tickets_new(uint64_t period_ms);

void tnd_tls_tickets_free(tnd_tls_tickets *t);

/** Rotate now (as the period's end does): the current key becomes the
 * previous, a new key the current. For tests and for an operator's "forget
 * every ticket" (two rotations). 0 or TND_ETLS (no randomness). */
TND_MUST_CHECK int tnd_tls_tickets_rotate(tnd_tls_tickets *t);

/** Tickets issued so far under t, by every context that uses it. */
uint64_t tnd_tls_tickets_issued(tnd_tls_tickets *t);

/** Make a server context (tnd_tls_server_ctx_new) issue one ticket per
 * full handshake under t's keys, to clients that keep tickets (tls.c's
 * ClientHello callback), and resume sessions from them. t must outlive
 * every SSL of ctx; one t may serve several contexts (a reloaded context
 * keeps accepting the tickets of the one before). Call before the first
 * SSL_new. 0 or TND_ETLS. */
TND_MUST_CHECK int tnd_tls_server_enable_tickets(SSL_CTX *ctx, tnd_tls_tickets *t);

#endif
