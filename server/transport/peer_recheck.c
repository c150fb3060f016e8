/* After a certificate reload: check every authenticated connection's client
 * certificate again, against the new CA and CRL, and close the connections
 * whose certificate no longer verifies (revoked, expired, or from a CA no
 * longer trusted). Without this a revoked client would keep a connection it
 * opened before the revocation for as long as it kept it busy. */
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "ops/logging.h"
#include "server.h"
#include "tender/status.h"

/* Does the peer's certificate verify under ctx's store and parameters (as
 * the handshake would verify it now)? On false, why holds the reason. */
static bool peer_verifies(SSL *ssl, SSL_CTX *ctx, const char **why)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (!cert)
        return true; /* anonymous: nothing to check */
    X509_STORE_CTX *x = X509_STORE_CTX_new();
    if (!x || X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(ctx), cert,
                                  SSL_get_peer_cert_chain(ssl)) != 1) {
        X509_STORE_CTX_free(x);
        *why = "out of memory checking the certificate";
        return true; /* keep the connection rather than guess */
    }
    X509_STORE_CTX_set_default(x, "ssl_client");
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(x), SSL_CTX_get0_param(ctx));
    bool ok = X509_verify_cert(x) == 1;
    if (!ok)
        *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(x));
    X509_STORE_CTX_free(x);
    return ok;
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
