/* TLS 1.3 contexts for both sides, host checks, ALPN and CRLs (see tls.h). */
#include "tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tender/error.h"
#include "tender/service.h"

/* Mozilla "modern" (TLS 1.3 only). */
#define TLS_CIPHERSUITES                                                                           \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS "X25519:prime256v1:secp384r1"

/* The ALPN list a client offers, in wire form: a length byte, then the name. */
static const unsigned char alpn_wire[] = "\x08" TND_TLS_ALPN;

/* Appends the OpenSSL error queue's reasons to a message: the queue holds the
 * cause (a missing file, a bad PEM block) that the caller's text lacks.
 * Repeated reasons and the generic "X lib" ones are skipped; system errors
 * become strerror text. */
static void append_ossl_errors(char *err, size_t err_len, size_t used)
{
    const char *sep = ": ";
    const char *last = NULL;
    bool root_cause = false;
    unsigned long e;
    char sysbuf[128];

    while ((e = ERR_get_error()) != 0) {
        const char *why;
        int r = ERR_GET_REASON(e);
        if (!err || root_cause || used + 1 >= err_len)
            continue; /* keep draining the queue */
        if (ERR_SYSTEM_ERROR(e))
            why = strerror_r(r, sysbuf, sizeof sysbuf);
        else if ((r & ERR_RFLAG_COMMON) && (r & 0x3ffff) < ERR_LIB_USER)
            continue; /* "system lib", "PEM lib": only says where, not why */
        else
            why = ERR_reason_error_string(e);
        if (!why || (last && strcmp(last, why) == 0))
            continue;
        int n = snprintf(err + used, err_len - used, "%s%s", sep, why);
        if (n > 0)
            used += (size_t)n < err_len - used ? (size_t)n : err_len - used - 1;
        sep = "; ";
        last = why;
        /* An errno is the root cause; the entries after it only restate it. */
        root_cause = ERR_SYSTEM_ERROR(e);
    }
}

void tnd_tls_error(char *err, size_t err_len, const char *fmt, ...)
{
    size_t used = 0;
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
        used = n < 0 ? 0 : (size_t)n < err_len ? (size_t)n : err_len - 1;
    }
    append_ossl_errors(err, err_len, used);
}

/* Settings common to both sides: TLS 1.3 only, modern suites and groups, no
 * renegotiation, no 0-RTT, and no resumption until a side enables it
 * (tls_ticket.c on the server, tnd_tls_client_keep_sessions on a client). */
static int apply_common(SSL_CTX *ctx, char *err, size_t err_len)
{
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(ctx, TLS_CIPHERSUITES) ||
        !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) || !SSL_CTX_set_num_tickets(ctx, 0) ||
        !SSL_CTX_set_max_early_data(ctx, 0) || !SSL_CTX_set_recv_max_early_data(ctx, 0)) {
        tnd_tls_error(err, err_len, "cannot configure TLS 1.3");
        return TND_ETLS;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify_depth(ctx, TND_TLS_VERIFY_DEPTH);
    return 0;
}

/* Reads a PEM private key, telling an unreadable file from a bad one. */
static EVP_PKEY *read_key(const char *key_file, char *err, size_t err_len)
{
    EVP_PKEY *key = NULL;
    BIO *bio = BIO_new_file(key_file, "r");
    if (bio)
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key)
        tnd_tls_error(err, err_len, "cannot read private key %s", key_file);
    return key;
}

/* Loads our certificate chain and key and checks they belong together, so a
 * misconfigured server fails at start rather than at its first handshake.
 * The chain goes out as the file has it (no automatic chain building from
 * the CA store, which holds the CAs for the peer, not ours). */
static int load_own_cert(SSL_CTX *ctx, const char *cert_file, const char *key_file, char *err,
                         size_t err_len)
{
    int rc = 0;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        tnd_tls_error(err, err_len, "cannot read certificate %s", cert_file);
        return TND_EIO;
    }
    EVP_PKEY *key = read_key(key_file, err, err_len);
    if (!key)
        return TND_EIO;
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) != 1) {
        ERR_clear_error();
        tnd_tls_error(err, err_len, "private key %s does not match certificate %s", key_file,
                      cert_file);
        rc = TND_EINVAL;
    } else if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        tnd_tls_error(err, err_len, "cannot use private key %s", key_file);
        rc = TND_ETLS;
    }
    EVP_PKEY_free(key);
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    return rc;
}

static int load_ca(SSL_CTX *ctx, const char *ca_file, char *err, size_t err_len)
{
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        tnd_tls_error(err, err_len, "cannot read CA certificate %s", ca_file);
        return TND_EIO;
    }
    return 0;
}

/* Server side of ALPN: pick "tender/1" or end the handshake with a fatal
 * no_application_protocol alert. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    const size_t want = sizeof TND_TLS_ALPN - 1;
    unsigned int i = 0;
    while (i < inlen) {
        unsigned int len = in[i];
        if (len > inlen - i - 1)
            break;
        if (len == want && memcmp(in + i + 1, TND_TLS_ALPN, want) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)len;
            return SSL_TLSEXT_ERR_OK;
        }
        i += len + 1;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* OpenSSL calls the ALPN select callback only when the ClientHello carries
 * the ALPN extension, so a client that sends none is refused here, with the
 * same alert, before the handshake goes any further.
 *
 * A session ticket goes only to a client that will keep it: one whose
 * ClientHello carries the (empty) session_ticket extension, as OpenSSL's
 * client sends exactly when its tickets are on (tnd_tls_client_keep_sessions),
 * or offers a ticket already. TLS 1.3 gives a client no other way to decline
 * one, and building a ticket is a fifth of the server's instructions in a full
 * handshake with OpenSSL 3.0 (docs/BENCHMARKS.md): tenderctl and other
 * clients that connect once would pay it for nothing. */
static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    (void)arg;
    const unsigned char *ext;
    size_t len;
    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
                                   &len)) {
        *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
        return SSL_CLIENT_HELLO_ERROR;
    }
    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_session_ticket, &ext, &len) &&
        !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &ext, &len) &&
        !SSL_set_num_tickets(ssl, 0)) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

SSL_CTX *tnd_tls_server_ctx_new(const char *cert_file, const char *key_file, const char *ca_file,
                                char *err, size_t err_len)
{
    static const unsigned char sid_ctx[] = "tenderd";
    if (!cert_file || !key_file || !ca_file) {
        tnd_tls_error(err, err_len, "server TLS needs a certificate, a key and a CA file");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tnd_tls_error(err, err_len, "cannot create TLS context");
        return NULL;
    }
    if (apply_common(ctx, err, err_len) != 0 ||
        load_own_cert(ctx, cert_file, key_file, err, err_len) != 0 ||
        load_ca(ctx, ca_file, err, err_len) != 0)
        goto fail_ctx;

    /* Tell clients which CA we accept; a failure here is not fatal to TLS. */
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca_file);
    if (names)
        SSL_CTX_set_client_CA_list(ctx, names);
    ERR_clear_error();

    /* Ask for a certificate, accept none, refuse a bad one. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1)) {
        tnd_tls_error(err, err_len, "cannot set session id context");
        goto fail_ctx;
    }
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
    if (tnd_tls_ctx_cache_verify(ctx) != 0) {
        tnd_tls_error(err, err_len, "cannot set up certificate verification");
        goto fail_ctx;
    }
    /* A server holds thousands of mostly idle connections: OpenSSL's record
     * buffers (about 34 KiB each) are freed between records. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return ctx;

fail_ctx:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *tnd_tls_client_ctx_new(const char *ca_file, const char *cert_file, const char *key_file,
                                char *err, size_t err_len)
{
    if (!ca_file || !cert_file != !key_file) {
        tnd_tls_error(err, err_len, "client TLS needs a CA file, and a key with a certificate");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        tnd_tls_error(err, err_len, "cannot create TLS context");
        return NULL;
    }
    if (apply_common(ctx, err, err_len) != 0 || load_ca(ctx, ca_file, err, err_len) != 0)
        goto fail_ctx;
    if (cert_file && load_own_cert(ctx, cert_file, key_file, err, err_len) != 0)
        goto fail_ctx;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* SSL_CTX_set_alpn_protos returns 0 on success. */
    if (SSL_CTX_set_alpn_protos(ctx, alpn_wire, sizeof alpn_wire - 1) != 0) {
        tnd_tls_error(err, err_len, "cannot set ALPN");
        goto fail_ctx;
    }
    return ctx;

fail_ctx:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Names go to SNI and the host check; IP literals only to the IP check,
 * since SNI may not carry an address. */
int tnd_tls_client_set_host(SSL *ssl, const char *host)
{
    char ip[64];
    unsigned char bin[16];
    size_t len = host ? strlen(host) : 0;

    if (!ssl || len == 0 || len > 253)
        return TND_EINVAL;
    if (host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof ip) {
        memcpy(ip, host + 1, len - 2);
        ip[len - 2] = '\0';
    } else if (len < sizeof ip) {
        memcpy(ip, host, len + 1);
    } else {
        ip[0] = '\0';
    }
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1) {
        if (X509_VERIFY_PARAM_set1_ip_asc(param, ip) != 1)
            goto fail;
        return 0;
    }
    if (host[0] == '[')
        return TND_EINVAL;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1)
        goto fail;
    return 0;

fail:
    ERR_clear_error();
    return TND_EINVAL;
}

int tnd_tls_check_alpn(const SSL *ssl)
{
    const unsigned char *p = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &p, &len);
    if (!p || len != sizeof TND_TLS_ALPN - 1 || memcmp(p, TND_TLS_ALPN, len) != 0)
        return TND_EPROTO;
    return 0;
}

/* CRLs go into the context's trust store; the CRL_CHECK flag on the
 * context's verify parameters makes every handshake consult them for the
 * peer's own certificate. */
int tnd_tls_ctx_load_crl(SSL_CTX *ctx, const char *crl_file, char *err, size_t err_len)
{
    if (!ctx || !crl_file) {
        tnd_tls_error(err, err_len, "no TLS context or CRL file");
        return TND_EINVAL;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (!lookup || X509_load_crl_file(lookup, crl_file, X509_FILETYPE_PEM) < 1) {
        tnd_tls_error(err, err_len, "cannot read CRL %s", crl_file);
        return TND_EIO;
    }
    if (X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK) != 1) {
        tnd_tls_error(err, err_len, "cannot enable CRL checking");
        return TND_ETLS;
    }
    return 0;
}

int tnd_tls_client_keep_sessions(SSL_CTX *ctx, int (*on_new)(SSL *ssl, SSL_SESSION *sess))
{
    /* The client cache without OpenSSL's internal store: the owner keeps the
     * one session it will offer. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new);
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    return 0;
}

/* Role names, from the one table in service.h. */
static const struct {
    const char *name;
    uint32_t bit;
} roles[] = {
#define TLS_ROLE_ROW(n, bit, text) {text, TND_ROLE_##n},
    TND_ROLE_MAP(TLS_ROLE_ROW)
#undef TLS_ROLE_ROW
};

/* Sets out's role from the certificate's SAN URIs. Exactly one URI with the
 * role prefix must be present: two would leave the role up to whichever the
 * code happened to read first. */
static int read_role(X509 *cert, tnd_peer_identity *out, char *err, size_t err_len)
{
    const size_t plen = sizeof TND_TLS_ROLE_URI_PREFIX - 1;
    const ASN1_IA5STRING *found = NULL;
    int n_found = 0;
    int rc = TND_EINVAL;

    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type != GEN_URI)
            continue;
        const ASN1_IA5STRING *uri = gn->d.uniformResourceIdentifier;
        if ((size_t)ASN1_STRING_length(uri) >= plen &&
            memcmp(ASN1_STRING_get0_data(uri), TND_TLS_ROLE_URI_PREFIX, plen) == 0) {
            found = uri;
            n_found++;
        }
    }
    if (n_found != 1) {
        tnd_tls_error(err, err_len, "certificate for CN=%s has %s %s URI", out->name,
                      n_found ? "more than one" : "no", TND_TLS_ROLE_URI_PREFIX);
        goto free_sans;
    }
    const char *role = (const char *)ASN1_STRING_get0_data(found) + plen;
    size_t rlen = (size_t)ASN1_STRING_length(found) - plen;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strlen(roles[i].name) == rlen && memcmp(roles[i].name, role, rlen) == 0 &&
            rlen < sizeof out->role_name) {
            out->role = roles[i].bit;
            memcpy(out->role_name, role, rlen);
            out->role_name[rlen] = '\0';
            rc = 0;
            goto free_sans;
        }
    }
    tnd_tls_error(err, err_len, "certificate for CN=%s has an unknown role \"%.*s\"", out->name,
                  (int)(rlen > 32 ? 32 : rlen), role);

free_sans:
    GENERAL_NAMES_free(sans);
    return rc;
}

/* Copies the single subject entry with this NID as UTF-8. Missing, repeated,
 * NUL-carrying or over-long entries are refused rather than truncated, so two
 * certificates never map to the same identity by accident. */
static int read_subject(X509 *cert, int nid, const char *label, char *dst, size_t dst_len,
                        char *err, size_t err_len)
{
    const X509_NAME *subj = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(subj, nid, -1);
    if (idx < 0 || X509_NAME_get_index_by_NID(subj, nid, idx) >= 0) {
        tnd_tls_error(err, err_len, "certificate subject must have exactly one %s", label);
        return TND_EINVAL;
    }
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
    int rc = 0;
    if (n <= 0 || (size_t)n >= dst_len || memchr(utf8, '\0', (size_t)n)) {
        tnd_tls_error(err, err_len, "certificate subject %s is empty, too long or not text", label);
        rc = TND_EINVAL;
    } else {
        memcpy(dst, utf8, (size_t)n);
        dst[n] = '\0';
    }
    OPENSSL_free(utf8);
    return rc;
}

static int read_pubkey(X509 *cert, tnd_peer_identity *out, char *err, size_t err_len)
{
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    size_t len = sizeof out->pubkey;
    if (!pk || !EVP_PKEY_is_a(pk, "ED25519") ||
        EVP_PKEY_get_raw_public_key(pk, out->pubkey, &len) != 1 || len != sizeof out->pubkey) {
        tnd_tls_error(err, err_len, "certificate for CN=%s does not hold an Ed25519 key",
                      out->name);
        return TND_EINVAL;
    }
    return 0;
}

/* Reads who the peer is from its certificate. The handshake already refused
 * certificates that do not verify; the verify result is checked again so that
 * a context configured without SSL_VERIFY_PEER can never yield an identity. */
int tnd_tls_peer_identity_ex(SSL *ssl, tnd_peer_identity *out, char *err, size_t err_len)
{
    if (!ssl || !out)
        return TND_EINVAL;
    memset(out, 0, sizeof *out);
    if (err && err_len)
        err[0] = '\0';
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (!cert)
        return 0;
    long vr = SSL_get_verify_result(ssl);
    if (vr != X509_V_OK) {
        tnd_tls_error(err, err_len, "peer certificate did not verify: %s",
                      X509_verify_cert_error_string(vr));
        return TND_ETLS;
    }
    return tnd_tls_cert_identity(cert, out, err, err_len);
}

int tnd_tls_cert_identity(X509 *cert, tnd_peer_identity *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = read_subject(cert, NID_commonName, "CN", out->name, sizeof out->name, err, err_len);
    if (rc == 0)
        rc = read_subject(cert, NID_organizationName, "O", out->org, sizeof out->org, err, err_len);
    if (rc == 0)
        rc = read_role(cert, out, err, err_len);
    if (rc == 0)
        rc = read_pubkey(cert, out, err, err_len);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->authenticated = true;
    return 0;
}

int tnd_tls_peer_identity(SSL *ssl, tnd_peer_identity *out)
{
    return tnd_tls_peer_identity_ex(ssl, out, NULL, 0);
}
