/* The developer PKI: init and issue (see include/tender/pki.h; revoke is in pki_crl.c). */
#include "tender/pki.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pki_cert.h"
#include "pki_io.h"
#include "tender/error.h"
#include "tls.h"

#define DAY (24LL * 60 * 60)
#define CA_DAYS 3650
#define SERVER_DAYS 730
#define CERT_MODE 0644
#define KEY_MODE 0600
#define CA_CN "tenderd development CA"
#define SERVER_SAN "DNS:localhost,IP:127.0.0.1,IP:::1"

/* The sample identities tnd_pki_init makes. */
static const struct {
    const char *name, *role, *org;
} samples[] = {
    {"officer", "officer", "Ministry of Works"},
    {"officer2", "officer", "City of Springfield"},
    {"supplier", "supplier", "Acme Construction"},
    {"supplier2", "supplier", "Globex Ltd"},
    {"auditor", "auditor", "National Audit Office"},
    {"admin", "admin", "Ministry of Works"},
    {"reviewer", "reviewer", "Public Procurement Review Board"},
};

static const char *const role_names[] = {"officer", "supplier", "auditor", "admin", "reviewer"};

/* Files written so far by one operation, removed again if it fails. */
typedef struct written {
    char files[2 * (2 + sizeof samples / sizeof samples[0])][TND_PKI_MAX_NAME + 8];
    int n;
} written;

int tnd__pki_valid_name(const char *name, char *err, size_t err_len)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > TND_PKI_MAX_NAME || name[0] == '.' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len) {
        tnd_tls_error(err, err_len,
                      "invalid name \"%.*s\": use 1 to %d of A-Z a-z 0-9 _ . -, not starting "
                      "with a dot",
                      (int)(len > 80 ? 80 : len), name ? name : "", TND_PKI_MAX_NAME);
        return TND_EINVAL;
    }
    if (strcasecmp(name, "ca") == 0 || strcasecmp(name, "server") == 0) {
        tnd_tls_error(err, err_len, "invalid name \"%s\": reserved for the CA and server files",
                      name);
        return TND_EINVAL;
    }
    return 0;
}

static int valid_role(const char *role, char *err, size_t err_len)
{
    for (size_t i = 0; role && i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(role, role_names[i]) == 0)
            return 0;
    tnd_tls_error(err, err_len,
                  "invalid role \"%.32s\": use officer, supplier, auditor, admin or reviewer",
                  role ? role : "");
    return TND_EINVAL;
}

static int valid_org(const char *org, char *err, size_t err_len)
{
    size_t len = org ? strlen(org) : 0;
    bool printable = true;
    for (size_t i = 0; i < len; i++)
        printable = printable && org[i] >= 0x20 && org[i] <= 0x7e;
    if (len == 0 || len > TND_PKI_MAX_ORG || !printable) {
        tnd_tls_error(err, err_len, "invalid organisation: use 1 to %d printable ASCII characters",
                      TND_PKI_MAX_ORG);
        return TND_EINVAL;
    }
    return 0;
}

/* Makes a key and a certificate and writes both; the key first, so a
 * certificate never exists without its key. no_replace protects keys that
 * may be in use (tnd_pki_issue); a failed certificate write removes the key. */
static int make_pair(const char *dir, const char *base, const tnd__pki_spec *spec, X509 *ca,
                     EVP_PKEY *ca_key, bool no_replace, written *w, char *err, size_t err_len)
{
    char keyf[TND_PKI_MAX_NAME + 8], crtf[TND_PKI_MAX_NAME + 8];
    X509 *cert = NULL;
    int rc;

    snprintf(keyf, sizeof keyf, "%s.key", base);
    snprintf(crtf, sizeof crtf, "%s.crt", base);
    EVP_PKEY *key = tnd__pki_keygen(err, err_len);
    if (!key)
        return TND_ECRYPTO;
    rc = tnd__pki_make_cert(spec, key, ca, ca_key, &cert, err, err_len);
    if (rc != 0)
        goto free_key;
    rc = tnd__pki_write(dir, keyf, KEY_MODE, no_replace, tnd__pki_emit_key, key, err, err_len);
    if (rc != 0)
        goto free_cert;
    rc = tnd__pki_write(dir, crtf, CERT_MODE, false, tnd__pki_emit_cert, cert, err, err_len);
    if (rc != 0) {
        tnd__pki_remove(dir, keyf);
        goto free_cert;
    }
    if (w) {
        memcpy(w->files[w->n++], keyf, sizeof keyf);
        memcpy(w->files[w->n++], crtf, sizeof crtf);
    }

free_cert:
    X509_free(cert);
free_key:
    EVP_PKEY_free(key); /* OpenSSL wipes the private key as it frees it */
    return rc;
}

/* The CA pair: written with no_replace, so ca.key also serves as the lock
 * that keeps two inits from mixing their files. */
static int make_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, written *w, char *err,
                   size_t err_len)
{
    const tnd__pki_spec spec = {.cn = CA_CN, .is_ca = true, .not_after = CA_DAYS * DAY};
    *ca = NULL;
    *ca_key = tnd__pki_keygen(err, err_len);
    if (!*ca_key)
        return TND_ECRYPTO;
    int rc = tnd__pki_make_cert(&spec, *ca_key, NULL, NULL, ca, err, err_len);
    if (rc == 0)
        rc =
            tnd__pki_write(dir, "ca.key", KEY_MODE, true, tnd__pki_emit_key, *ca_key, err, err_len);
    if (rc == 0) {
        memcpy(w->files[w->n++], "ca.key", sizeof "ca.key");
        rc = tnd__pki_write(dir, "ca.crt", CERT_MODE, false, tnd__pki_emit_cert, *ca, err, err_len);
    }
    if (rc == 0)
        memcpy(w->files[w->n++], "ca.crt", sizeof "ca.crt");
    return rc;
}

/* What an identity certificate says; without a role (tests only), no SAN. */
static void identity_spec(tnd__pki_spec *spec, char *san, size_t san_len, const char *name,
                          const char *role, const char *org, long long nb, long long na)
{
    *spec = (tnd__pki_spec){
        .cn = name, .org = org, .eku = "clientAuth", .not_before = nb, .not_after = na};
    if (role) {
        snprintf(san, san_len, "URI:%s%s", TND_TLS_ROLE_URI_PREFIX, role);
        spec->san = san;
    }
}

/* Creates the directory if needed; an existing one is used as it is. */
static int make_dir(const char *dir, char *err, size_t err_len)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    tnd_tls_error(err, err_len, "cannot create directory %s: %s", dir,
                  errno == EEXIST ? "exists and is not a directory" : strerror(errno));
    return TND_EIO;
}

int tnd_pki_init(const char *dir, char *err, size_t err_len)
{
    written w = {.n = 0};
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    char san[64];
    tnd__pki_spec spec;

    if (!dir || !*dir) {
        tnd_tls_error(err, err_len, "no PKI directory given");
        return TND_EINVAL;
    }
    int rc = make_dir(dir, err, err_len);
    if (rc != 0)
        return rc;
    if (tnd__pki_exists(dir, "ca.key")) {
        tnd_tls_error(err, err_len,
                      "%s already holds a PKI (%s/ca.key exists); remove it or choose another "
                      "directory",
                      dir, dir);
        return TND_EEXISTS;
    }
    rc = make_ca(dir, &ca, &ca_key, &w, err, err_len);
    if (rc != 0)
        goto rollback;
    spec = (tnd__pki_spec){
        .cn = "localhost", .san = SERVER_SAN, .eku = "serverAuth", .not_after = SERVER_DAYS * DAY};
    rc = make_pair(dir, "server", &spec, ca, ca_key, false, &w, err, err_len);
    for (size_t i = 0; rc == 0 && i < sizeof samples / sizeof samples[0]; i++) {
        identity_spec(&spec, san, sizeof san, samples[i].name, samples[i].role, samples[i].org, 0,
                      TND_PKI_DEFAULT_DAYS * DAY);
        rc = make_pair(dir, samples[i].name, &spec, ca, ca_key, false, &w, err, err_len);
    }

rollback:
    /* An EEXISTS from ca.key means another init won the race: its files stay. */
    while (rc != 0 && w.n > 0)
        tnd__pki_remove(dir, w.files[--w.n]);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* Checks the arguments, loads the CA and issues, refusing an existing key. */
int tnd_pki_issue_ex(const char *dir, const char *name, const char *role, const char *org,
                     long long not_before, long long not_after, char *err, size_t err_len)
{
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    char san[64], keyf[TND_PKI_MAX_NAME + 8];
    tnd__pki_spec spec;

    if (!dir || !*dir) {
        tnd_tls_error(err, err_len, "no PKI directory given");
        return TND_EINVAL;
    }
    int rc = tnd__pki_valid_name(name, err, err_len);
    if (rc == 0 && role)
        rc = valid_role(role, err, err_len);
    if (rc == 0)
        rc = valid_org(org, err, err_len);
    if (rc == 0 && not_after <= not_before) {
        tnd_tls_error(err, err_len, "the certificate would end before it starts");
        rc = TND_EINVAL;
    }
    if (rc != 0)
        return rc;
    snprintf(keyf, sizeof keyf, "%s.key", name);
    if (tnd__pki_exists(dir, keyf)) {
        tnd_tls_error(err, err_len, "%s/%s exists; an identity's key is never overwritten", dir,
                      keyf);
        return TND_EEXISTS;
    }
    rc = tnd__pki_read_cert(dir, "ca.crt", &ca, err, err_len);
    if (rc != 0)
        return rc;
    rc = tnd__pki_read_key(dir, "ca.key", &ca_key, err, err_len);
    if (rc != 0)
        goto free_ca;
    if (X509_check_private_key(ca, ca_key) != 1) {
        tnd_tls_error(err, err_len, "%s/ca.key does not match %s/ca.crt", dir, dir);
        rc = TND_EINVAL;
        goto free_key;
    }
    identity_spec(&spec, san, sizeof san, name, role, org, not_before, not_after);
    rc = make_pair(dir, name, &spec, ca, ca_key, true, NULL, err, err_len);

free_key:
    EVP_PKEY_free(ca_key);
free_ca:
    X509_free(ca);
    return rc;
}

int tnd_pki_issue(const char *dir, const char *name, const char *role, const char *org, int days,
                  char *err, size_t err_len)
{
    if (days > TND_PKI_MAX_DAYS) {
        tnd_tls_error(err, err_len, "a certificate may be valid for at most %d days",
                      TND_PKI_MAX_DAYS);
        return TND_EINVAL;
    }
    if (!role)
        return valid_role(role, err, err_len);
    return tnd_pki_issue_ex(dir, name, role, org, 0, (days > 0 ? days : TND_PKI_DEFAULT_DAYS) * DAY,
                            err, err_len);
}
