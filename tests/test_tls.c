/* Tests for the TLS contexts and peer identities (common/tls.c), driving real
 * handshakes in memory: a server SSL and a client SSL joined by a BIO pair. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tender/error.h"
#include "tender/pki.h"
#include "tender/service.h"
#include "tls.h"
#include "tls_stream.h"
#include "tls_ticket.h"

typedef struct fixture {
    char root[64];   /* the mkdtemp directory */
    char dir[96];    /* root/pki: the deployment's PKI */
    char other[96];  /* root/other: an unrelated CA */
    SSL_CTX *server; /* built from dir */
    char err[512];
} fixture;

/* The outcome of one handshake; the SSLs stay alive for inspection. */
typedef struct handshake {
    SSL *s, *c;
    bool s_ok, c_ok;            /* finished the handshake */
    unsigned long s_err, c_err; /* first OpenSSL error each side saw */
} handshake;

static void path_in(char *buf, size_t len, const char *dir, const char *file)
{
    snprintf(buf, len, "%s/%s", dir, file);
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        path_in(path, sizeof path, dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static SSL_CTX *server_ctx(fixture *f)
{
    char crt[256], key[256], ca[256];
    path_in(crt, sizeof crt, f->dir, "server.crt");
    path_in(key, sizeof key, f->dir, "server.key");
    path_in(ca, sizeof ca, f->dir, "ca.crt");
    SSL_CTX *ctx = tnd_tls_server_ctx_new(crt, key, ca, f->err, sizeof f->err);
    if (!ctx)
        fail_msg("server context: %s", f->err);
    return ctx;
}

/* A client context trusting dir's CA, with identity NAME from id_dir (NULL: anonymous). */
static SSL_CTX *client_ctx(fixture *f, const char *id_dir, const char *name)
{
    char ca[256], crt[256], key[256];
    path_in(ca, sizeof ca, f->dir, "ca.crt");
    if (name) {
        snprintf(crt, sizeof crt, "%s/%s.crt", id_dir, name);
        snprintf(key, sizeof key, "%s/%s.key", id_dir, name);
    }
    SSL_CTX *ctx =
        tnd_tls_client_ctx_new(ca, name ? crt : NULL, name ? key : NULL, f->err, sizeof f->err);
    if (!ctx)
        fail_msg("client context: %s", f->err);
    return ctx;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->root, "/tmp/tnd_tls_XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/pki", f->root);
    snprintf(f->other, sizeof f->other, "%s/other", f->root);
    if (tnd_pki_init(f->dir, f->err, sizeof f->err) != 0 ||
        tnd_pki_init(f->other, f->err, sizeof f->err) != 0)
        fail_msg("tnd_pki_init: %s", f->err);
    f->server = server_ctx(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    SSL_CTX_free(f->server);
    remove_tree(f->dir);
    remove_tree(f->other);
    rmdir(f->root);
    free(f);
    return 0;
}

/* One step of one side: true once it has finished or failed. */
static bool step(SSL *ssl, bool *ok, bool *failed, unsigned long *err)
{
    if (*ok || *failed)
        return true;
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
        *ok = true;
        return true;
    }
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return false;
    *failed = true;
    *err = ERR_peek_error();
    ERR_clear_error();
    return true;
}

/* Pumps both sides until each has finished or failed, or nothing moves. A
 * client that finished before the server refused it then reads, to see the
 * server's alert, as a real client would on its first read. The client
 * offers sess when not NULL, and sends early (0-RTT) data when early is not
 * NULL. */
static void run_handshake_with(handshake *h, SSL_CTX *sctx, SSL_CTX *cctx, const char *host,
                               SSL_SESSION *sess, const char *early)
{
    memset(h, 0, sizeof *h);
    h->s = SSL_new(sctx);
    h->c = SSL_new(cctx);
    assert_non_null(h->s);
    assert_non_null(h->c);
    BIO *sb = NULL, *cb = NULL;
    assert_int_equal(BIO_new_bio_pair(&sb, 0, &cb, 0), 1);
    SSL_set_bio(h->s, sb, sb);
    SSL_set_bio(h->c, cb, cb);
    SSL_set_accept_state(h->s);
    SSL_set_connect_state(h->c);
    if (host)
        assert_int_equal(tnd_tls_client_set_host(h->c, host), 0);
    if (sess) {
        /* Offered for real: OpenSSL drops a session once its ticket was
         * used and replaced (the client cache) or its connection ended
         * without close_notify. */
        assert_true(SSL_SESSION_is_resumable(sess));
        /* A copy, as libtender offers it: OpenSSL's client marks the
         * session it resumed as used up. */
        SSL_SESSION *copy = SSL_SESSION_dup(sess);
        assert_non_null(copy);
        assert_int_equal(SSL_set_session(h->c, copy), 1);
        SSL_SESSION_free(copy);
    }
    if (early) {
        size_t written = 0;
        assert_int_equal(SSL_write_early_data(h->c, early, strlen(early), &written), 1);
        assert_int_equal(written, strlen(early));
    }
    bool s_fail = false, c_fail = false;
    for (int i = 0; i < 64; i++) {
        bool s_done = step(h->s, &h->s_ok, &s_fail, &h->s_err);
        bool c_done = step(h->c, &h->c_ok, &c_fail, &h->c_err);
        if (s_done && c_done)
            break;
    }
    if (h->c_ok && !h->s_ok) {
        char buf[16];
        ERR_clear_error();
        if (SSL_read(h->c, buf, sizeof buf) <= 0) {
            h->c_ok = false;
            h->c_err = ERR_peek_error();
        }
        ERR_clear_error();
    }
}

static void run_handshake(handshake *h, SSL_CTX *sctx, SSL_CTX *cctx, const char *host)
{
    run_handshake_with(h, sctx, cctx, host, NULL, NULL);
}

/* A client that closes without close_notify has its session marked not
 * resumable by OpenSSL (a "bad" session), so the client says goodbye. */
static void end_handshake(handshake *h)
{
    if (h->c_ok && SSL_is_init_finished(h->c))
        (void)SSL_shutdown(h->c);
    ERR_clear_error();
    SSL_free(h->c);
    SSL_free(h->s);
}

/* Application data flows both ways once both sides are done. */
static void exchange(handshake *h)
{
    char buf[16] = "";
    assert_int_equal(SSL_write(h->c, "ping", 4), 4);
    assert_int_equal(SSL_read(h->s, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(SSL_write(h->s, "pong", 4), 4);
    assert_int_equal(SSL_read(h->c, buf, sizeof buf), 4);
    assert_memory_equal(buf, "pong", 4);
}

static void assert_server_refused(const handshake *h)
{
    assert_false(h->s_ok);
    assert_false(h->c_ok);
}

static void test_anonymous_client(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    assert_int_equal(SSL_version(h.s), TLS1_3_VERSION);
    assert_int_equal(tnd_tls_check_alpn(h.s), 0);
    assert_int_equal(tnd_tls_check_alpn(h.c), 0);
    const unsigned char *alpn;
    unsigned int alpn_len;
    SSL_get0_alpn_selected(h.c, &alpn, &alpn_len);
    assert_int_equal(alpn_len, 8);
    assert_memory_equal(alpn, "tender/1", 8);
    exchange(&h);
    tnd_peer_identity id;
    memset(&id, 0xff, sizeof id);
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
    assert_false(id.authenticated);
    assert_int_equal(id.role, 0);
    assert_string_equal(id.role_name, "");
    assert_string_equal(id.name, "");
    /* No session may be resumed: no ticket was issued. */
    assert_false(SSL_SESSION_is_resumable(SSL_get0_session(h.c)));
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

static void read_raw_pubkey(const char *dir, const char *name, unsigned char out[32])
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    size_t len = 32;
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, out, &len), 1);
    assert_int_equal(len, 32);
    EVP_PKEY_free(k);
}

static void test_supplier_identity(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = client_ctx(f, f->dir, "supplier");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    exchange(&h);
    tnd_peer_identity id;
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
    assert_true(id.authenticated);
    assert_int_equal(id.role, TND_ROLE_SUPPLIER);
    assert_string_equal(id.role_name, "supplier");
    assert_string_equal(id.org, "Acme Construction");
    assert_string_equal(id.name, "supplier");
    unsigned char pub[32];
    read_raw_pubkey(f->dir, "supplier", pub);
    assert_memory_equal(id.pubkey, pub, 32);
    /* The client sees the server's identity fail: no role in a server cert. */
    char err[256];
    assert_int_equal(tnd_tls_peer_identity_ex(h.c, &id, err, sizeof err), TND_EINVAL);
    assert_false(id.authenticated);
    end_handshake(&h);
    SSL_CTX_free(cctx);

    /* Every sample role maps to its bit. */
    static const struct {
        const char *name;
        uint32_t role;
        const char *org;
    } all[] = {{"officer", TND_ROLE_OFFICER, "Ministry of Works"},
               {"officer2", TND_ROLE_OFFICER, "City of Springfield"},
               {"auditor", TND_ROLE_AUDITOR, "National Audit Office"},
               {"admin", TND_ROLE_ADMIN, "Ministry of Works"},
               {"reviewer", TND_ROLE_REVIEWER, "Public Procurement Review Board"}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        cctx = client_ctx(f, f->dir, all[i].name);
        run_handshake(&h, f->server, cctx, "localhost");
        assert_true(h.s_ok);
        assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
        assert_int_equal(id.role, all[i].role);
        assert_string_equal(id.org, all[i].org);
        assert_string_equal(id.name, all[i].name);
        end_handshake(&h);
        SSL_CTX_free(cctx);
    }
}

static int ignore_session(SSL *ssl, SSL_SESSION *sess);

/* Counts the ServerHellos a client reads: a HelloRetryRequest is a second one. */
static void count_server_hellos(int write_p, int version, int content_type, const void *buf,
                                size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
        ((const unsigned char *)buf)[0] == SSL3_MT_SERVER_HELLO)
        (*(int *)arg)++;
}

/* The key exchange of a full handshake is one X25519 share: the client's
 * first group, taken by the server without a HelloRetryRequest (which would
 * cost a round trip and a second ClientHello), whether or not the client
 * keeps tickets. */
static void test_x25519_without_retry(void **state)
{
    fixture *f = *state;
    for (int keeps = 0; keeps < 2; keeps++) {
        SSL_CTX *cctx = client_ctx(f, f->dir, "supplier");
        if (keeps)
            assert_int_equal(tnd_tls_client_keep_sessions(cctx, ignore_session), 0);
        int hellos = 0;
        SSL_CTX_set_msg_callback(cctx, count_server_hellos);
        SSL_CTX_set_msg_callback_arg(cctx, &hellos);
        handshake h;
        run_handshake(&h, f->server, cctx, "localhost");
        assert_true(h.s_ok);
        assert_true(h.c_ok);
        assert_int_equal(SSL_get_negotiated_group(h.s), NID_X25519);
        assert_int_equal(SSL_get_negotiated_group(h.c), NID_X25519);
        assert_int_equal(hellos, 1);
        end_handshake(&h);
        SSL_CTX_free(cctx);
    }
}

static void test_tls12_client_refused(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    assert_int_equal(SSL_CTX_set_min_proto_version(cctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION), 1);
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(ERR_GET_REASON(h.s_err), SSL_R_UNSUPPORTED_PROTOCOL);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

static void test_alpn_required(void **state)
{
    fixture *f = *state;
    static const unsigned char h2[] = "\x02h2";
    static const unsigned char many[] = "\x02h2\x08tender/2\x08tender/1";
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    handshake h;

    /* No ALPN at all: refused in the ClientHello callback. */
    assert_int_equal(SSL_CTX_set_alpn_protos(cctx, NULL, 0), 0);
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(ERR_GET_REASON(h.c_err), SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL);
    end_handshake(&h);

    /* Another protocol only: refused by the select callback, same alert. */
    assert_int_equal(SSL_CTX_set_alpn_protos(cctx, h2, sizeof h2 - 1), 0);
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(ERR_GET_REASON(h.c_err), SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL);
    end_handshake(&h);

    /* tender/1 among others is picked. */
    assert_int_equal(SSL_CTX_set_alpn_protos(cctx, many, sizeof many - 1), 0);
    run_handshake(&h, f->server, cctx, "localhost");
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    assert_int_equal(tnd_tls_check_alpn(h.s), 0);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

/* A server that does not speak ALPN completes the handshake; the client's
 * check after it catches that. */
static void test_client_checks_alpn(void **state)
{
    fixture *f = *state;
    SSL_CTX *plain = SSL_CTX_new(TLS_server_method());
    char crt[256], key[256];
    path_in(crt, sizeof crt, f->dir, "server.crt");
    path_in(key, sizeof key, f->dir, "server.key");
    assert_int_equal(SSL_CTX_use_certificate_file(plain, crt, SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(plain, key, SSL_FILETYPE_PEM), 1);
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    handshake h;
    run_handshake(&h, plain, cctx, "localhost");
    assert_true(h.c_ok);
    assert_int_equal(tnd_tls_check_alpn(h.c), TND_EPROTO);
    end_handshake(&h);
    SSL_CTX_free(cctx);
    SSL_CTX_free(plain);
}

static void test_foreign_ca_refused(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = client_ctx(f, f->other, "supplier");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(ERR_GET_REASON(h.s_err), SSL_R_CERTIFICATE_VERIFY_FAILED);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

static void test_expired_client_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(tnd_pki_issue_ex(f->dir, "old", "supplier", "Acme Construction", -2 * 86400,
                                      -86400, f->err, sizeof f->err),
                     0);
    SSL_CTX *cctx = client_ctx(f, f->dir, "old");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(ERR_GET_REASON(h.c_err), SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

/* The server's certificate has serverAuth only: it cannot log in as a client. */
static void test_server_cert_as_client_refused(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = client_ctx(f, f->dir, "server");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_INVALID_PURPOSE);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

static void test_server_host_checked(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *host;
        bool ok;
    } cases[] = {
        {"localhost", true},    {"127.0.0.1", true}, {"::1", true},    {"[::1]", true},
        {"example.com", false}, {"10.0.0.1", false}, {"local", false}, {"x.localhost", false},
    };
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        handshake h;
        run_handshake(&h, f->server, cctx, cases[i].host);
        if (h.c_ok != cases[i].ok)
            fail_msg("host %s: expected %s", cases[i].host, cases[i].ok ? "accept" : "refuse");
        if (!cases[i].ok) {
            long vr = SSL_get_verify_result(h.c);
            assert_true(vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH);
            assert_false(h.s_ok);
        }
        end_handshake(&h);
    }
    /* A client trusting another CA refuses the server whatever the name. */
    char ca[256];
    path_in(ca, sizeof ca, f->other, "ca.crt");
    SSL_CTX *stranger = tnd_tls_client_ctx_new(ca, NULL, NULL, f->err, sizeof f->err);
    assert_non_null(stranger);
    handshake h;
    run_handshake(&h, f->server, stranger, "localhost");
    assert_false(h.c_ok);
    assert_int_equal(SSL_get_verify_result(h.c), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    end_handshake(&h);
    SSL_CTX_free(stranger);

    SSL *ssl = SSL_new(cctx);
    assert_int_equal(tnd_tls_client_set_host(ssl, NULL), TND_EINVAL);
    assert_int_equal(tnd_tls_client_set_host(ssl, ""), TND_EINVAL);
    assert_int_equal(tnd_tls_client_set_host(ssl, "[example.com]"), TND_EINVAL);
    SSL_free(ssl);
    SSL_CTX_free(cctx);
}

static void test_revoked_client_refused(void **state)
{
    fixture *f = *state;
    char crl[256];
    path_in(crl, sizeof crl, f->dir, "ca.crl");
    assert_int_equal(tnd_tls_ctx_load_crl(f->server, crl, f->err, sizeof f->err), TND_EIO);
    assert_non_null(strstr(f->err, "cannot read CRL"));
    assert_non_null(strstr(f->err, "ca.crl"));

    assert_int_equal(tnd_pki_revoke(f->dir, "supplier2", f->err, sizeof f->err), 0);
    SSL_CTX *sctx = server_ctx(f);
    assert_int_equal(tnd_tls_ctx_load_crl(sctx, crl, f->err, sizeof f->err), 0);

    SSL_CTX *revoked = client_ctx(f, f->dir, "supplier2");
    handshake h;
    run_handshake(&h, sctx, revoked, "localhost");
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_CERT_REVOKED);
    assert_int_equal(ERR_GET_REASON(h.c_err), SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED);
    end_handshake(&h);

    /* The others and anonymous clients still get in. */
    SSL_CTX *good = client_ctx(f, f->dir, "supplier");
    run_handshake(&h, sctx, good, "localhost");
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    end_handshake(&h);
    SSL_CTX *anon = client_ctx(f, NULL, NULL);
    run_handshake(&h, sctx, anon, "localhost");
    assert_true(h.s_ok);
    end_handshake(&h);

    /* The old context (no CRL) still accepts it: a reload makes the difference. */
    run_handshake(&h, f->server, revoked, "localhost");
    assert_true(h.s_ok);
    end_handshake(&h);

    SSL_CTX_free(anon);
    SSL_CTX_free(good);
    SSL_CTX_free(revoked);
    SSL_CTX_free(sctx);
}

static void test_certificate_without_role(void **state)
{
    fixture *f = *state;
    assert_int_equal(tnd_pki_issue_ex(f->dir, "norole", NULL, "Acme Construction", 0, 86400, f->err,
                                      sizeof f->err),
                     0);
    SSL_CTX *cctx = client_ctx(f, f->dir, "norole");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    assert_true(h.s_ok); /* the handshake is fine; the identity is not */
    tnd_peer_identity id;
    char err[256] = "";
    assert_int_equal(tnd_tls_peer_identity_ex(h.s, &id, err, sizeof err), TND_EINVAL);
    assert_false(id.authenticated);
    assert_int_equal(id.role, 0);
    assert_non_null(strstr(err, "CN=norole has no urn:tender:role: URI"));
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), TND_EINVAL);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

/* Writes dir/name.crt and .key: a client certificate signed by dir's CA with
 * the given SAN (OpenSSL config syntax, NULL for none) and key type, for
 * certificates the PKI refuses to make. */
static void forge_client(const fixture *f, const char *name, const char *san, const char *keytype)
{
    char path[256];
    FILE *fp;
    snprintf(path, sizeof path, "%s/ca.key", f->dir);
    assert_non_null(fp = fopen(path, "r"));
    EVP_PKEY *ca_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    snprintf(path, sizeof path, "%s/ca.crt", f->dir);
    assert_non_null(fp = fopen(path, "r"));
    X509 *ca = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(ca_key);
    assert_non_null(ca);

    EVP_PKEY *key = strcmp(keytype, "EC") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                               : EVP_PKEY_Q_keygen(NULL, NULL, keytype);
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_NAME *subj = X509_get_subject_name(x);
    assert_true(X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_UTF8,
                                           (const unsigned char *)"Acme Construction", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)name,
                                           -1, -1, 0));
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242));
    assert_true(X509_set_issuer_name(x, X509_get_subject_name(ca)));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    assert_true(X509_set_pubkey(x, key));
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_ext_key_usage, "clientAuth");
    assert_non_null(ext);
    assert_true(X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
    if (san) {
        assert_non_null(ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_subject_alt_name, san));
        assert_true(X509_add_ext(x, ext, -1));
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, ca_key, NULL) > 0);
    snprintf(path, sizeof path, "%s/%s.crt", f->dir, name);
    assert_non_null(fp = fopen(path, "w"));
    assert_true(PEM_write_X509(fp, x));
    fclose(fp);
    snprintf(path, sizeof path, "%s/%s.key", f->dir, name);
    assert_non_null(fp = fopen(path, "w"));
    assert_true(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL));
    fclose(fp);
    X509_free(x);
    EVP_PKEY_free(key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
}

/* Certificates that verify but carry no usable identity. */
static void test_bad_identities(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name, *san, *keytype, *why;
    } cases[] = {
        {"janitor", "URI:urn:tender:role:janitor", "ED25519",
         "CN=janitor has an unknown role \"janitor\""},
        {"twice", "URI:urn:tender:role:officer,URI:urn:tender:role:admin", "ED25519",
         "CN=twice has more than one urn:tender:role: URI"},
        {"prefix", "URI:urn:tender:role:", "ED25519", "unknown role \"\""},
        {"other-uri", "URI:https://example.com/x,DNS:example.com", "ED25519", "has no"},
        {"ec", "URI:urn:tender:role:supplier", "EC", "CN=ec does not hold an Ed25519 key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        forge_client(f, cases[i].name, cases[i].san, cases[i].keytype);
        SSL_CTX *cctx = client_ctx(f, f->dir, cases[i].name);
        handshake h;
        run_handshake(&h, f->server, cctx, "localhost");
        assert_true(h.s_ok);
        tnd_peer_identity id;
        char err[256] = "";
        assert_int_equal(tnd_tls_peer_identity_ex(h.s, &id, err, sizeof err), TND_EINVAL);
        assert_false(id.authenticated);
        if (!strstr(err, cases[i].why))
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].name, err, cases[i].why);
        end_handshake(&h);
        SSL_CTX_free(cctx);
    }
    /* The same construction with a good role is accepted: the cases above
     * fail for the reason they test. */
    forge_client(f, "good", "URI:urn:tender:role:supplier", "ED25519");
    SSL_CTX *cctx = client_ctx(f, f->dir, "good");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    tnd_peer_identity id;
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
    assert_int_equal(id.role, TND_ROLE_SUPPLIER);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

/* Startup errors name the file and the cause. */
static void test_context_errors(void **state)
{
    fixture *f = *state;
    char crt[256], key[256], ca[256], wrong_key[256];
    path_in(crt, sizeof crt, f->dir, "server.crt");
    path_in(key, sizeof key, f->dir, "server.key");
    path_in(ca, sizeof ca, f->dir, "ca.crt");
    path_in(wrong_key, sizeof wrong_key, f->dir, "supplier.key");

    assert_null(tnd_tls_server_ctx_new("/nonexistent/server.crt", key, ca, f->err, sizeof f->err));
    assert_string_equal(
        f->err, "cannot read certificate /nonexistent/server.crt: No such file or directory");
    assert_null(tnd_tls_server_ctx_new(crt, wrong_key, ca, f->err, sizeof f->err));
    assert_non_null(strstr(f->err, "does not match certificate"));
    assert_null(tnd_tls_server_ctx_new(crt, key, "/nonexistent/ca.crt", f->err, sizeof f->err));
    assert_non_null(strstr(f->err, "cannot read CA certificate /nonexistent/ca.crt"));
    assert_null(tnd_tls_server_ctx_new(key, key, ca, f->err, sizeof f->err));
    assert_non_null(strstr(f->err, "cannot read certificate"));
    assert_null(tnd_tls_client_ctx_new(ca, crt, NULL, f->err, sizeof f->err));
    assert_null(tnd_tls_client_ctx_new(ca, NULL, key, f->err, sizeof f->err));
    assert_null(tnd_tls_server_ctx_new("/nonexistent/server.crt", key, ca, NULL, 0));
    assert_int_equal(ERR_peek_error(), 0); /* the queue is left clean */
    char tiny[8];
    assert_null(tnd_tls_server_ctx_new("/nonexistent/server.crt", key, ca, tiny, sizeof tiny));
    assert_string_equal(tiny, "cannot ");
}

/* A context outlives its creator's reference while connections use it. */
static void test_context_reference_counting(void **state)
{
    fixture *f = *state;
    SSL_CTX *sctx = server_ctx(f);
    SSL_CTX *cctx = client_ctx(f, NULL, NULL);
    SSL *s = SSL_new(sctx);
    SSL_CTX_free(sctx); /* as a reload does */
    handshake h;
    memset(&h, 0, sizeof h);
    assert_non_null(s);
    assert_ptr_equal(SSL_get_SSL_CTX(s), sctx);
    SSL_free(s);
    run_handshake(&h, f->server, cctx, "localhost");
    assert_true(h.s_ok);
    end_handshake(&h);
    SSL_CTX_free(cctx);
}

/* Idle connections cost little: the server's TLS record buffers are
 * released between records, and a stream carries no read buffer of its own
 * (the loop thread shares one). */
static void test_idle_connection_memory(void **state)
{
    fixture *f = *state;
    assert_true(SSL_CTX_get_mode(f->server) & SSL_MODE_RELEASE_BUFFERS);
    assert_true(sizeof(tnd_tls_stream) < 4096);
}


/* ---- session resumption (tls_ticket.c) ---------------------------------------- */

/* A copy of the client's session after a handshake and one exchange (the
 * client reads the server's ticket with the first application data). */
static SSL_SESSION *session_of(handshake *h)
{
    exchange(h);
    SSL_SESSION *sess = SSL_get1_session(h->c);
    assert_non_null(sess);
    assert_true(SSL_SESSION_is_resumable(sess));
    return sess;
}

/* A server context of f's PKI with tickets under t, and the CRL when crl. */
static SSL_CTX *ticket_server(fixture *f, tnd_tls_tickets *t, bool crl)
{
    SSL_CTX *ctx = server_ctx(f);
    char path[256];
    path_in(path, sizeof path, f->dir, "ca.crl");
    if (crl)
        assert_int_equal(tnd_tls_ctx_load_crl(ctx, path, f->err, sizeof f->err), 0);
    assert_int_equal(tnd_tls_server_enable_tickets(ctx, t), 0);
    return ctx;
}

/* The tests keep sessions themselves (SSL_get1_session). */
static int ignore_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    (void)sess;
    return 0;
}

static SSL_CTX *resuming_client(fixture *f, const char *name)
{
    SSL_CTX *cctx = client_ctx(f, f->dir, name);
    assert_int_equal(tnd_tls_client_keep_sessions(cctx, ignore_session), 0);
    return cctx;
}

/* Without tickets enabled there is nothing to resume; with them, a resumed
 * session keeps the identity of the certificate it was made with, read by
 * the same rules as after a full handshake. */
static void test_resumed_identity(void **state)
{
    fixture *f = *state;
    SSL_CTX *cctx = resuming_client(f, "supplier");
    handshake h;
    run_handshake(&h, f->server, cctx, "localhost");
    exchange(&h);
    SSL_SESSION *none = SSL_get1_session(h.c);
    assert_false(SSL_SESSION_is_resumable(none)); /* no ticket came */
    SSL_SESSION_free(none);
    end_handshake(&h);

    tnd_tls_tickets *t = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t);
    assert_null(tnd_tls_tickets_new(999)); /* below a second */
    SSL_CTX *sctx = ticket_server(f, t, false);
    run_handshake(&h, sctx, cctx, "localhost");
    assert_true(h.s_ok);
    assert_false(SSL_session_reused(h.s));
    SSL_SESSION *sess = session_of(&h);
    tnd_peer_identity full;
    assert_int_equal(tnd_tls_peer_identity(h.s, &full), 0);
    end_handshake(&h);

    run_handshake_with(&h, sctx, cctx, "localhost", sess, NULL);
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    assert_true(SSL_session_reused(h.s));
    assert_true(SSL_session_reused(h.c));
    exchange(&h);
    /* Under the current key the ticket is not renewed: no new one came. */
    SSL_SESSION *after = SSL_get1_session(h.c);
    assert_false(SSL_SESSION_is_resumable(after));
    SSL_SESSION_free(after);
    tnd_peer_identity resumed;
    assert_int_equal(tnd_tls_peer_identity(h.s, &resumed), 0);
    assert_true(resumed.authenticated);
    assert_int_equal(resumed.role, TND_ROLE_SUPPLIER);
    assert_string_equal(resumed.role_name, "supplier");
    assert_string_equal(resumed.org, "Acme Construction");
    assert_string_equal(resumed.name, "supplier");
    assert_memory_equal(&resumed, &full, sizeof full);
    end_handshake(&h);
    /* The same ticket resumes again. */
    run_handshake_with(&h, sctx, cctx, "localhost", sess, NULL);
    assert_true(SSL_session_reused(h.s));
    assert_int_equal(tnd_tls_peer_identity(h.s, &resumed), 0);
    assert_memory_equal(&resumed, &full, sizeof full);
    end_handshake(&h);

    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
    tnd_tls_tickets_free(t);
    SSL_CTX_free(cctx);
}

/* A resumed connection, and the session to offer next (a new reference):
 * the new ticket when the server sent one, else sess again. */
static SSL_SESSION *resume(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *sess)
{
    handshake h;
    run_handshake_with(&h, sctx, cctx, "localhost", sess, NULL);
    assert_true(h.s_ok);
    assert_true(SSL_session_reused(h.s));
    exchange(&h);
    SSL_SESSION *next = SSL_get1_session(h.c);
    if (!SSL_SESSION_is_resumable(next)) {
        SSL_SESSION_free(next);
        assert_int_equal(SSL_SESSION_up_ref(sess), 1);
        next = sess;
    }
    end_handshake(&h);
    return next;
}

/* A full handshake and its session. */
static SSL_SESSION *first_session(SSL_CTX *sctx, SSL_CTX *cctx)
{
    handshake h;
    run_handshake(&h, sctx, cctx, "localhost");
    assert_true(h.s_ok);
    assert_false(SSL_session_reused(h.s));
    SSL_SESSION *sess = session_of(&h);
    end_handshake(&h);
    return sess;
}

/* A certificate revoked after its session was made: the reloaded context
 * (new CRL, same ticket keys) does not resume it, and the full handshake
 * that follows refuses it. The same goes for one that has expired since. */
static void test_resume_refused_when_revoked_or_expired(void **state)
{
    fixture *f = *state;
    /* A CRL from the start, with another certificate on it. */
    assert_int_equal(tnd_pki_revoke(f->dir, "supplier2", f->err, sizeof f->err), 0);
    tnd_tls_tickets *t = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t);
    SSL_CTX *before = ticket_server(f, t, true);
    SSL_CTX *cctx = resuming_client(f, "supplier");
    SSL_SESSION *s1 = first_session(before, cctx);
    SSL_SESSION *s2 = resume(before, cctx, s1);
    /* A reload without a change resumes as before: the keys are the same. */
    SSL_CTX *reloaded = ticket_server(f, t, true);
    SSL_SESSION *s3 = resume(reloaded, cctx, s2);
    SSL_SESSION *later_s = first_session(before, cctx);

    assert_int_equal(tnd_pki_revoke(f->dir, "supplier", f->err, sizeof f->err), 0);
    SSL_CTX *after = ticket_server(f, t, true); /* what the reload builds */
    handshake h;
    run_handshake_with(&h, after, cctx, "localhost", s3, NULL);
    assert_false(SSL_session_reused(h.s));
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_CERT_REVOKED);
    end_handshake(&h);

    /* Expiry: a session against a context whose clock reads a time after
     * the certificate's end. */
    SSL_CTX *later = ticket_server(f, t, false);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(later), time(NULL) + 60L * 86400 * 365 * 30);
    run_handshake_with(&h, later, cctx, "localhost", later_s, NULL);
    assert_false(SSL_session_reused(h.s));
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_CERT_HAS_EXPIRED);
    end_handshake(&h);

    SSL_SESSION_free(later_s);
    SSL_SESSION_free(s3);
    SSL_SESSION_free(s2);
    SSL_SESSION_free(s1);
    SSL_CTX_free(later);
    SSL_CTX_free(after);
    SSL_CTX_free(reloaded);
    SSL_CTX_free(before);
    SSL_CTX_free(cctx);
    tnd_tls_tickets_free(t);
}

/* A ticket is accepted after one rotation of the keys, not after two, and
 * not by other keys (a restarted server): a full handshake happens instead. */
static void test_ticket_rotation_and_restart(void **state)
{
    fixture *f = *state;
    tnd_tls_tickets *t = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t);
    SSL_CTX *sctx = ticket_server(f, t, false);
    SSL_CTX *cctx = resuming_client(f, "officer");
    SSL_SESSION *a = first_session(sctx, cctx);
    SSL_SESSION *b = first_session(sctx, cctx);
    /* The ticket's lifetime is two periods. */
    assert_int_equal(SSL_SESSION_get_ticket_lifetime_hint(a), 2 * 3600);

    assert_int_equal(tnd_tls_tickets_rotate(t), 0);
    SSL_SESSION *a2 = resume(sctx, cctx, a); /* under the previous key: renewed */
    assert_true(a2 != a);

    assert_int_equal(tnd_tls_tickets_rotate(t), 0);
    handshake h;
    run_handshake_with(&h, sctx, cctx, "localhost", b, NULL); /* two rotations old */
    assert_true(h.s_ok);
    assert_true(h.c_ok);
    assert_false(SSL_session_reused(h.s));
    assert_false(SSL_session_reused(h.c));
    tnd_peer_identity id;
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
    assert_string_equal(id.name, "officer");
    SSL_SESSION *fresh = session_of(&h);
    end_handshake(&h);
    /* a2 was issued after the first rotation: one rotation old, still good. */
    SSL_SESSION *a3 = resume(sctx, cctx, a2);
    assert_true(a3 != a2);

    /* A restarted server makes new keys: the ticket is unknown there. */
    tnd_tls_tickets *t2 = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t2);
    SSL_CTX *restarted = ticket_server(f, t2, false);
    run_handshake_with(&h, restarted, cctx, "localhost", fresh, NULL);
    assert_true(h.s_ok);
    assert_false(SSL_session_reused(h.s));
    end_handshake(&h);
    /* The same ticket still resumes on the server that issued it. */
    SSL_SESSION *fresh2 = resume(sctx, cctx, fresh);

    SSL_SESSION_free(fresh2);
    SSL_SESSION_free(fresh);
    SSL_SESSION_free(a3);
    SSL_SESSION_free(a2);
    SSL_SESSION_free(b);
    SSL_SESSION_free(a);
    SSL_CTX_free(restarted);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    tnd_tls_tickets_free(t2);
    tnd_tls_tickets_free(t);
}

/* A ticket goes only to a client that will keep one (OpenSSL's client with
 * tickets on sends the empty session_ticket extension): a client with
 * resumption off, as tenderctl's one connection, gets none, and the server
 * does not build it. */
static void test_ticket_only_when_kept(void **state)
{
    fixture *f = *state;
    tnd_tls_tickets *t = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t);
    SSL_CTX *sctx = ticket_server(f, t, false);
    SSL_CTX *once = client_ctx(f, f->dir, "supplier");
    handshake h;
    run_handshake(&h, sctx, once, "localhost");
    assert_true(h.s_ok);
    exchange(&h);
    SSL_SESSION *none = SSL_get1_session(h.c);
    assert_false(SSL_SESSION_is_resumable(none)); /* no ticket came */
    SSL_SESSION_free(none);
    tnd_peer_identity id;
    assert_int_equal(tnd_tls_peer_identity(h.s, &id), 0);
    assert_string_equal(id.name, "supplier");
    end_handshake(&h);

    /* The same certificate with resumption on gets one, and resumes. */
    SSL_CTX *keeps = resuming_client(f, "supplier");
    SSL_SESSION *sess = first_session(sctx, keeps);
    SSL_SESSION *again = resume(sctx, keeps, sess);
    assert_true(again == sess); /* current key: not renewed */

    SSL_SESSION_free(again);
    SSL_SESSION_free(sess);
    SSL_CTX_free(keeps);
    SSL_CTX_free(once);
    SSL_CTX_free(sctx);
    tnd_tls_tickets_free(t);
}

/* No 0-RTT: tickets allow no early data, and a client that sends some
 * anyway (with a session it altered) is cut off before the server reads a
 * byte of it. */
static void test_early_data_refused(void **state)
{
    fixture *f = *state;
    tnd_tls_tickets *t = tnd_tls_tickets_new(3600 * 1000);
    assert_non_null(t);
    SSL_CTX *sctx = ticket_server(f, t, false);
    SSL_CTX *cctx = resuming_client(f, "supplier");
    handshake h;
    run_handshake(&h, sctx, cctx, "localhost");
    SSL_SESSION *sess = session_of(&h);
    end_handshake(&h);
    assert_int_equal(SSL_SESSION_get_max_early_data(sess), 0);

    SSL_SESSION *forged = SSL_SESSION_dup(sess);
    assert_non_null(forged);
    assert_int_equal(SSL_SESSION_set_max_early_data(forged, 16384), 1);
    run_handshake_with(&h, sctx, cctx, "localhost", forged, "replayable");
    assert_false(h.s_ok);
    assert_int_equal(ERR_GET_REASON(h.s_err), SSL_R_TOO_MUCH_EARLY_DATA);
    assert_int_not_equal(SSL_get_early_data_status(h.s), SSL_EARLY_DATA_ACCEPTED);
    end_handshake(&h);

    SSL_SESSION_free(forged);
    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    tnd_tls_tickets_free(t);
}

/* The verification cache never outlives the certificate: one that expires
 * two seconds after its first (cached) handshakes is refused after that. */
static void test_verify_cache_ends_with_the_certificate(void **state)
{
    fixture *f = *state;
    assert_int_equal(tnd_pki_issue_ex(f->dir, "brief", "supplier", "Acme Construction", -60, 2,
                                      f->err, sizeof f->err),
                     0);
    SSL_CTX *cctx = client_ctx(f, f->dir, "brief");
    handshake h;
    for (int i = 0; i < 2; i++) {
        run_handshake(&h, f->server, cctx, "localhost");
        assert_true(h.s_ok);
        end_handshake(&h);
    }
    sleep(3);
    run_handshake(&h, f->server, cctx, "localhost");
    assert_server_refused(&h);
    assert_int_equal(SSL_get_verify_result(h.s), X509_V_ERR_CERT_HAS_EXPIRED);
    end_handshake(&h);
    /* A context that reads the time from its parameters is not served from
     * the cache: the supplier, fine now, is refused in thirty years. */
    SSL_CTX *good = client_ctx(f, f->dir, "supplier");
    run_handshake(&h, f->server, good, "localhost");
    assert_true(h.s_ok);
    end_handshake(&h);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(f->server), time(NULL) + 60L * 86400 * 365 * 30);
    run_handshake(&h, f->server, good, "localhost");
    assert_server_refused(&h);
    end_handshake(&h);
    SSL_CTX_free(good);
    SSL_CTX_free(cctx);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_anonymous_client),         T(test_supplier_identity),
        T(test_tls12_client_refused),     T(test_alpn_required),
        T(test_client_checks_alpn),       T(test_foreign_ca_refused),
        T(test_expired_client_refused),   T(test_server_cert_as_client_refused),
        T(test_server_host_checked),      T(test_revoked_client_refused),
        T(test_certificate_without_role), T(test_bad_identities),
        T(test_context_errors),           T(test_context_reference_counting),
        T(test_idle_connection_memory),   T(test_resumed_identity),
        T(test_resume_refused_when_revoked_or_expired),
        T(test_ticket_rotation_and_restart),
        T(test_ticket_only_when_kept),
        T(test_x25519_without_retry),
        T(test_early_data_refused),
        T(test_verify_cache_ends_with_the_certificate),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
