/* TLS contexts for tenderd and libtender, and the identity in a peer's
 * certificate (DESIGN.md, "Wire protocol" and "Identity and authorization").
 *
 * Both sides speak TLS 1.3 only with Mozilla's "modern" settings, ALPN
 * "tender/1", no 0-RTT and no renegotiation. Session resumption is off
 * until enabled: on the server with tnd_tls_server_enable_tickets
 * (tls_ticket.h), on a client with tnd_tls_client_keep_sessions. The server
 * asks for a client certificate but accepts anonymous clients; a certificate
 * that is presented must verify against the deployment's CA, or the
 * handshake fails.
 *
 * Reference counting: a context from tnd_tls_server_ctx_new or
 * tnd_tls_client_ctx_new carries one reference, owned by the caller and
 * dropped with SSL_CTX_free. Every SSL_new(ctx) takes its own reference, so
 * a server that reloads its certificates (SIGHUP) builds a new context,
 * points new connections at it and frees the old one at once: connections
 * already open keep the old context alive until their SSL is freed.
 * Configure a context fully (tnd_tls_ctx_load_crl) before the first SSL_new.
 */
#ifndef TND_TLS_H
#define TND_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "tender/error.h"
#include <stdint.h>

/* Results that must not be ignored (as in tender/codec.h). */

/* The one application protocol both sides accept (wire form without the length byte). */
#define TND_TLS_ALPN "tender/1"

/* Certificates carry their role as this SAN URI prefix plus the role name. */
#define TND_TLS_ROLE_URI_PREFIX "urn:tender:role:"

/* Verify depth for peer chains (OpenSSL's count): the leaf, at most two
 * intermediates, and the root. */
#define TND_TLS_VERIFY_DEPTH 2

/* Who is on the other end of a connection, from its verified certificate. */
typedef struct tnd_peer_identity {
    bool authenticated;       /* false: anonymous, no certificate */
    uint32_t role;            /* one TND_ROLE_* bit, 0 if anonymous */
    char role_name[16];       /* "supplier", "" if anonymous */
    char org[128];            /* subject O */
    char name[128];           /* subject CN */
    unsigned char pubkey[32]; /* Ed25519 public key, raw */
} tnd_peer_identity;

/** Build the server's context.
 *
 * @param cert_file PEM certificate chain of the server, leaf first.
 * @param key_file  PEM private key matching the leaf certificate.
 * @param ca_file   PEM CA certificate(s) that client certificates must chain to.
 * @param err       Receives a message a person can act on when NULL is
 *                  returned ("cannot read certificate /x/server.crt: No such
 *                  file or directory"); may be NULL.
 * @param err_len   Size of err.
 * @return A new context (one reference, see above) or NULL.
 *
 * A client that offers no ALPN, or offers only protocols other than
 * "tender/1", is refused during the handshake with a no_application_protocol
 * alert (a ClientHello callback catches the missing extension, which the ALPN
 * select callback would never see).
 */
TND_MUST_CHECK SSL_CTX *tnd_tls_server_ctx_new(const char *cert_file, const char *key_file,
                                               const char *ca_file, char *err, size_t err_len);

/** Build a client's context.
 *
 * @param ca_file   PEM CA certificate(s) the server's certificate must chain to.
 * @param cert_file PEM client certificate chain, or NULL for an anonymous client.
 * @param key_file  Its private key; NULL exactly when cert_file is NULL.
 * @param err,err_len As for tnd_tls_server_ctx_new.
 * @return A new context (one reference) or NULL.
 *
 * The context verifies the server's chain but not its name: call
 * tnd_tls_client_set_host on every SSL made from it.
 */
TND_MUST_CHECK SSL_CTX *tnd_tls_client_ctx_new(const char *ca_file, const char *cert_file,
                                               const char *key_file, char *err, size_t err_len);

/** Set the name a client expects in the server's certificate, before the handshake.
 *
 * A DNS name is sent as SNI and checked against the certificate's DNS SANs
 * (no partial wildcards). An IP literal ("127.0.0.1", "::1" or "[::1]") is
 * checked against the IP SANs and sends no SNI (RFC 6066 forbids IPs there).
 * @return 0, or TND_EINVAL for an empty or over-long host, TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_tls_client_set_host(SSL *ssl, const char *host);

/** After a handshake, check that "tender/1" was negotiated.
 *
 * The server already refuses clients without it during the handshake; this
 * is the check for the client side (a server that ignored ALPN) and a second
 * line of defence for the server.
 * @return 0, or TND_EPROTO when no or another protocol was selected.
 */
TND_MUST_CHECK int tnd_tls_check_alpn(const SSL *ssl);

/** Enable CRL checking of peer certificates with the CRLs in a PEM file.
 *
 * From then on, a peer certificate whose issuer has no CRL loaded, or whose
 * CRL has expired, is refused as well as a revoked one. Call before the
 * first SSL_new on ctx.
 * @return 0, or TND_EIO (unreadable file, message in err), TND_EINVAL.
 */
TND_MUST_CHECK int tnd_tls_ctx_load_crl(SSL_CTX *ctx, const char *crl_file, char *err,
                                        size_t err_len);

/** Does cert (with the untrusted intermediates in chain, may be NULL)
 * verify now under ctx's CA store, CRLs and verify parameters, as a client
 * certificate in a handshake would? 1 yes; 0 no, with the reason in *why
 * (why may be NULL); -1 out of memory, so not known. Used when a session
 * resumes and when a reload re-checks the certificates of open connections.
 * Consults and fills ctx's verification cache (tls_verify.c). */
int tnd_tls_cert_verifies(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain, const char **why);

/** Give a server context a cache of client certificates that verified
 * under it, so that a client that comes back (a full handshake, or a
 * resumed session whose certificate is checked again) does not pay for the
 * chain and CRL checks again. An entry is the SHA-256 of the certificate,
 * good until the earliest end of validity in its chain, its CRL's next
 * update, or an hour, whichever comes first; only successes are kept. The
 * cache belongs to the context: a reload (new CA or CRL) builds a new,
 * empty one. A context whose verify parameters fix the time
 * (X509_VERIFY_PARAM_set_time) is never served from the cache.
 * tnd_tls_server_ctx_new calls it. 0 or TND_ENOMEM. */
TND_MUST_CHECK int tnd_tls_ctx_cache_verify(SSL_CTX *ctx);

/** Let a client context resume sessions: OpenSSL hands each new session
 * (a ticket from the server) to on_new with user (the context's owner),
 * which takes the reference on success (returns 1) or not (0). The owner
 * offers the session it keeps with SSL_set_session on its next connection.
 * 0 or TND_ETLS. */
TND_MUST_CHECK int tnd_tls_client_keep_sessions(SSL_CTX *ctx,
                                                int (*on_new)(SSL *ssl, SSL_SESSION *sess));

/** The identity of the peer of a completed handshake.
 *
 * A resumed session carries the certificate of the handshake that made it,
 * and the identity comes from it by the same rules.
 * Anonymous peer (no certificate): 0, out->authenticated false, role 0.
 * Verified certificate: role from exactly one SAN URI
 * "urn:tender:role:<officer|supplier|auditor|admin|reviewer>", org from the single
 * subject O, name from the single subject CN, and the raw Ed25519 key.
 * @return 0; TND_EINVAL when the certificate lacks or repeats a role, carries
 *         an unknown one, lacks O or CN, has values that do not fit, or has a
 *         key that is not Ed25519 (out is then zeroed; refuse the peer);
 *         TND_ETLS when the certificate did not verify.
 */
TND_MUST_CHECK int tnd_tls_peer_identity(SSL *ssl, tnd_peer_identity *out);

/** As tnd_tls_peer_identity, with why a certificate was refused in err
 * ("certificate for CN=bob has no urn:tender:role: URI"); err may be NULL. */
TND_MUST_CHECK int tnd_tls_peer_identity_ex(SSL *ssl, tnd_peer_identity *out, char *err,
                                            size_t err_len);

/** Who a certificate names (CN, O, role, Ed25519 key), by the rules of
 * tnd_tls_peer_identity, without checking that it verifies: the caller has
 * (the handshake, or a sealed bid's certificate check). 0 or TND_EINVAL
 * with the reason in err. */
TND_MUST_CHECK int tnd_tls_cert_identity(X509 *cert, tnd_peer_identity *out, char *err,
                                         size_t err_len);

/** Format a message into err, followed by ": " and the reasons in OpenSSL's
 * error queue (system errors as strerror text), and clear the queue. Shared
 * with the PKI code. err may be NULL (the queue is still cleared). */
void tnd_tls_error(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
