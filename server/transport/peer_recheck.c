/* After a certificate reload: check every authenticated connection's client
 * certificate again, against the new CA and CRL, and close the connections
 * whose certificate no longer verifies (revoked, expired, or from a CA no
 * longer trusted). Without this a revoked client would keep a connection it
 * opened before the revocation for as long as it kept it busy. (A session
 * ticket it holds is checked the same way when it comes back: tls_ticket.c.) */
#include <openssl/ssl.h>

#include "ops/logging.h"
#include "server.h"
#include "tender/status.h"

/* Does the peer's certificate verify under ctx (as the handshake would
 * verify it now)? Out of memory: keep the connection rather than guess. */
static bool peer_verifies(SSL *ssl, SSL_CTX *ctx, const char **why)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (!cert)
        return true; /* anonymous: nothing to check */
    return tnd_tls_cert_verifies(ctx, cert, SSL_get_peer_cert_chain(ssl), why) != 0;
}

void tnd__server_recheck_peers(tnd_server *srv)
{
    for (tnd_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        const char *why = NULL;
        if (c->closing || !c->peer.authenticated || !c->tls.ssl ||
            peer_verifies(c->tls.ssl, srv->ssl_ctx, &why))
            continue;
        char msg[200];
        snprintf(msg, sizeof msg, "your client certificate is no longer accepted: %s", why);
        tnd_log(TND_LOG_WARN, "closing connection: certificate no longer accepted", "peer",
                c->peer_addr, "identity", c->peer_label, "reason", why, NULL);
        tnd__conn_goaway(c, TND_STATUS_UNAUTHENTICATED, msg);
        tnd__conn_close(c);
    }
}
