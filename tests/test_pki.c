/* Tests for the developer PKI (client/pki*.c, include/tender/pki.h). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tender/error.h"
#include "tender/pki.h"

typedef struct fixture {
    char dir[64];
    char err[512];
} fixture;

/* Removes the test directory (flat: the PKI makes no subdirectories). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Every test gets a fresh, initialised PKI in pki/ under a temp directory. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    umask(022);
    strcpy(f->dir, "/tmp/tnd_pki_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    strcat(f->dir, "/pki");
    int rc = tnd_pki_init(f->dir, f->err, sizeof f->err);
    if (rc != 0)
        print_error("tnd_pki_init: %s\n", f->err);
    assert_int_equal(rc, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_dir(f->dir);
    *strrchr(f->dir, '/') = '\0';
    rmdir(f->dir);
    free(f);
    return 0;
}

static X509 *load_cert(const fixture *f, const char *file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

static mode_t file_mode(const fixture *f, const char *file)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_init_creates_exactly_the_files(void **state)
{
    fixture *f = *state;
    static const char *want[] = {
        "admin.crt",    "admin.key",    "auditor.crt",   "auditor.key",
        "ca.crt",       "ca.key",       "officer.crt",   "officer.key",
        "officer2.crt", "officer2.key", "reviewer.crt",  "reviewer.key",
        "server.crt",   "server.key",   "supplier.crt",  "supplier.key",
        "supplier2.crt", "supplier2.key",
    };
    const size_t n_want = sizeof want / sizeof want[0];
    char *got[32];
    size_t n = 0;
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < 32);
        got[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(got, n, sizeof got[0], cmp_str);
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[i], want[i]);
        size_t len = strlen(got[i]);
        mode_t expect = strcmp(got[i] + len - 4, ".key") == 0 ? 0600 : 0644;
        assert_int_equal(file_mode(f, got[i]), expect);
        free(got[i]);
    }
    struct stat st;
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_init_refuses_existing_pki(void **state)
{
    fixture *f = *state;
    X509 *before = load_cert(f, "ca.crt");
    f->err[0] = '\0';
    assert_int_equal(tnd_pki_init(f->dir, f->err, sizeof f->err), TND_EEXISTS);
    assert_non_null(strstr(f->err, "ca.key exists"));
    /* Nothing was replaced. */
    X509 *after = load_cert(f, "ca.crt");
    assert_int_equal(X509_cmp(before, after), 0);
    X509_free(after);
    X509_free(before);
}

static void test_init_reports_missing_parent(void **state)
{
    fixture *f = *state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/no/such/dir", f->dir);
    assert_int_equal(tnd_pki_init(dir, f->err, sizeof f->err), TND_EIO);
    assert_non_null(strstr(f->err, "cannot create directory"));
    assert_non_null(strstr(f->err, "No such file or directory"));
}

/* Each call must fail with TND_EINVAL and a message naming what is wrong. */
static void expect_invalid(fixture *f, const char *name, const char *role, const char *org,
                           int days, const char *needle)
{
    f->err[0] = '\0';
    assert_int_equal(tnd_pki_issue(f->dir, name, role, org, days, f->err, sizeof f->err),
                     TND_EINVAL);
    if (!strstr(f->err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", f->err, needle);
}

static void test_issue_validates_inputs(void **state)
{
    fixture *f = *state;
    char long_name[80], long_org[200];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    memset(long_org, 'o', TND_PKI_MAX_ORG + 1);
    long_org[TND_PKI_MAX_ORG + 1] = '\0';

    expect_invalid(f, "", "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, NULL, "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, "a/b", "supplier", "Acme", 0, "invalid name \"a/b\"");
    expect_invalid(f, "../x", "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, ".hidden", "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, "sp ace", "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, long_name, "supplier", "Acme", 0, "invalid name");
    expect_invalid(f, "ca", "supplier", "Acme", 0, "reserved");
    expect_invalid(f, "Server", "supplier", "Acme", 0, "reserved");
    expect_invalid(f, "bob", "janitor", "Acme", 0, "invalid role \"janitor\"");
    expect_invalid(f, "bob", NULL, "Acme", 0, "invalid role");
    expect_invalid(f, "bob", "supplier", "", 0, "invalid organisation");
    expect_invalid(f, "bob", "supplier", NULL, 0, "invalid organisation");
    expect_invalid(f, "bob", "supplier", long_org, 0, "invalid organisation");
    expect_invalid(f, "bob", "supplier", "Acme\nLtd", 0, "invalid organisation");
    expect_invalid(f, "bob", "supplier", "Acme", TND_PKI_MAX_DAYS + 1, "at most");
    /* None of the refused calls left files behind. */
    char path[256];
    snprintf(path, sizeof path, "%s/bob.key", f->dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* The longest valid values are accepted. */
    memset(long_name, 'b', TND_PKI_MAX_NAME);
    long_name[TND_PKI_MAX_NAME] = '\0';
    long_org[TND_PKI_MAX_ORG] = '\0';
    assert_int_equal(
        tnd_pki_issue(f->dir, long_name, "auditor", long_org, 0, f->err, sizeof f->err), 0);
}

static void test_issue_refuses_existing_key(void **state)
{
    fixture *f = *state;
    X509 *before = load_cert(f, "supplier.crt");
    assert_int_equal(
        tnd_pki_issue(f->dir, "supplier", "supplier", "Evil Corp", 0, f->err, sizeof f->err),
        TND_EEXISTS);
    assert_non_null(strstr(f->err, "supplier.key exists"));
    X509 *after = load_cert(f, "supplier.crt");
    assert_int_equal(X509_cmp(before, after), 0);
    X509_free(after);
    X509_free(before);
}

static void test_issue_needs_a_pki(void **state)
{
    fixture *f = *state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/nothing-here", f->dir);
    assert_int_equal(tnd_pki_issue(dir, "bob", "supplier", "Acme", 0, f->err, sizeof f->err),
                     TND_ENOTFOUND);
    assert_non_null(strstr(f->err, "ca.crt"));
}

/* Verifies file against ca.crt (and an optional CRL), returning the verify error. */
static int verify_with(const fixture *f, const char *file, X509_CRL *crl)
{
    X509 *ca = load_cert(f, "ca.crt");
    X509 *x = load_cert(f, file);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_non_null(store);
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    if (crl) {
        assert_int_equal(X509_STORE_add_crl(store, crl), 1);
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
    int ok = X509_verify_cert(ctx);
    int e = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(x);
    X509_free(ca);
    return ok == 1 ? X509_V_OK : (e != X509_V_OK ? e : -1);
}

static void subject_entry(X509 *x, int nid, char *buf, size_t len)
{
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, (int)len) > 0);
}

/* The one URI SAN of a certificate, or "" if there is none. */
static void role_uri(X509 *x, char *buf, size_t len)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    buf[0] = '\0';
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type == GEN_URI)
            snprintf(buf, len, "%.*s", ASN1_STRING_length(gn->d.uniformResourceIdentifier),
                     (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier));
    }
    GENERAL_NAMES_free(sans);
}

static void check_identity(const fixture *f, const char *name, const char *role, const char *org)
{
    char file[96], buf[256], want[96];
    snprintf(file, sizeof file, "%s.crt", name);
    assert_int_equal(verify_with(f, file, NULL), X509_V_OK);
    X509 *x = load_cert(f, file);
    subject_entry(x, NID_commonName, buf, sizeof buf);
    assert_string_equal(buf, name);
    subject_entry(x, NID_organizationName, buf, sizeof buf);
    assert_string_equal(buf, org);
    role_uri(x, buf, sizeof buf);
    snprintf(want, sizeof want, "urn:tender:role:%s", role);
    assert_string_equal(buf, want);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
    assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    assert_int_equal(X509_check_ca(x), 0);
    assert_true(EVP_PKEY_is_a(X509_get0_pubkey(x), "ED25519"));
    X509_free(x);
}

static void test_samples_chain_and_carry_identity(void **state)
{
    fixture *f = *state;
    check_identity(f, "officer", "officer", "Ministry of Works");
    check_identity(f, "officer2", "officer", "City of Springfield");
    check_identity(f, "supplier", "supplier", "Acme Construction");
    check_identity(f, "supplier2", "supplier", "Globex Ltd");
    check_identity(f, "auditor", "auditor", "National Audit Office");
    check_identity(f, "admin", "admin", "Ministry of Works");
    check_identity(f, "reviewer", "reviewer", "Public Procurement Review Board");
    assert_int_equal(tnd_pki_issue(f->dir, "bob.smith-2", "officer", "Dept. of Roads (North)", 30,
                                   f->err, sizeof f->err),
                     0);
    check_identity(f, "bob.smith-2", "officer", "Dept. of Roads (North)");
    assert_int_equal(file_mode(f, "bob.smith-2.key"), 0600);
    assert_int_equal(file_mode(f, "bob.smith-2.crt"), 0644);
}

static void test_ca_and_server_certificates(void **state)
{
    fixture *f = *state;
    char buf[256];
    X509 *ca = load_cert(f, "ca.crt");
    assert_int_equal(X509_check_ca(ca), 1);
    assert_true(X509_get_extension_flags(ca) & EXFLAG_SS);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(ca) & KU_CRL_SIGN);
    int crit = 0;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
    assert_non_null(bc);
    assert_true(bc->ca);
    assert_int_equal(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    subject_entry(ca, NID_commonName, buf, sizeof buf);
    assert_string_equal(buf, "tenderd development CA");
    assert_true(EVP_PKEY_is_a(X509_get0_pubkey(ca), "ED25519"));
    /* About ten years. */
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca), X509_get0_notAfter(ca)),
                     1);
    assert_in_range(days, 3650, 3653);
    X509_free(ca);

    assert_int_equal(verify_with(f, "server.crt", NULL), X509_V_OK);
    X509 *srv = load_cert(f, "server.crt");
    assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(srv, "::1", 0), 1);
    assert_int_equal(X509_check_host(srv, "example.com", 0, 0, NULL), 0);
    assert_true(X509_get_extended_key_usage(srv) & XKU_SSL_SERVER);
    subject_entry(srv, NID_commonName, buf, sizeof buf);
    assert_string_equal(buf, "localhost");
    X509_free(srv);
}

static void test_serials_are_random_and_positive(void **state)
{
    fixture *f = *state;
    X509 *a = load_cert(f, "supplier.crt"), *b = load_cert(f, "supplier2.crt");
    const ASN1_INTEGER *sa = X509_get0_serialNumber(a), *sb = X509_get0_serialNumber(b);
    assert_int_not_equal(ASN1_INTEGER_cmp(sa, sb), 0);
    BIGNUM *bn = ASN1_INTEGER_to_BN(sa, NULL);
    assert_false(BN_is_negative(bn));
    assert_true(BN_num_bits(bn) > 64 && BN_num_bits(bn) <= 127);
    BN_free(bn);
    X509_free(b);
    X509_free(a);
}

static void test_issue_ex_expired_and_without_role(void **state)
{
    fixture *f = *state;
    assert_int_equal(tnd_pki_issue_ex(f->dir, "old", "supplier", "Acme", -2 * 86400, -86400, f->err,
                                      sizeof f->err),
                     0);
    assert_int_equal(verify_with(f, "old.crt", NULL), X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(
        tnd_pki_issue_ex(f->dir, "norole", NULL, "Acme", 0, 86400, f->err, sizeof f->err), 0);
    X509 *x = load_cert(f, "norole.crt");
    char buf[128];
    role_uri(x, buf, sizeof buf);
    assert_string_equal(buf, "");
    X509_free(x);
    assert_int_equal(
        tnd_pki_issue_ex(f->dir, "backwards", "admin", "Acme", 10, 5, f->err, sizeof f->err),
        TND_EINVAL);
}

static X509_CRL *load_crl(const fixture *f)
{
    char path[256];
    snprintf(path, sizeof path, "%s/ca.crl", f->dir);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    X509_CRL *crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(crl);
    return crl;
}

static void test_revoke_writes_a_crl(void **state)
{
    fixture *f = *state;
    assert_int_equal(tnd_pki_revoke(f->dir, "supplier2", f->err, sizeof f->err), 0);
    assert_int_equal(file_mode(f, "ca.crl"), 0644);
    X509_CRL *crl = load_crl(f);
    assert_int_equal(verify_with(f, "supplier2.crt", crl), X509_V_ERR_CERT_REVOKED);
    assert_int_equal(verify_with(f, "supplier.crt", crl), X509_V_OK);
    X509_CRL_free(crl);

    /* A second revocation keeps the first; repeating one is harmless. */
    assert_int_equal(tnd_pki_revoke(f->dir, "officer2", f->err, sizeof f->err), 0);
    assert_int_equal(tnd_pki_revoke(f->dir, "officer2", f->err, sizeof f->err), 0);
    crl = load_crl(f);
    assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
    assert_int_equal(verify_with(f, "supplier2.crt", crl), X509_V_ERR_CERT_REVOKED);
    assert_int_equal(verify_with(f, "officer2.crt", crl), X509_V_ERR_CERT_REVOKED);
    assert_int_equal(verify_with(f, "officer.crt", crl), X509_V_OK);
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    assert_non_null(num);
    assert_int_equal(ASN1_INTEGER_get(num), 3);
    ASN1_INTEGER_free(num);
    X509_CRL_free(crl);

    assert_int_equal(tnd_pki_revoke(f->dir, "nobody", f->err, sizeof f->err), TND_ENOTFOUND);
    assert_non_null(strstr(f->err, "nobody.crt"));
    assert_int_equal(tnd_pki_revoke(f->dir, "../ca", f->err, sizeof f->err), TND_EINVAL);
}

/* A damaged file is named in the error, with what it should have held. */
static void damage(const fixture *f, const char *file)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("-----BEGIN nothing-----\n", fp);
    fclose(fp);
}

static void test_damaged_files_are_refused_by_name(void **state)
{
    fixture *f = *state;
    damage(f, "ca.crl");
    assert_int_equal(tnd_pki_revoke(f->dir, "supplier2", f->err, sizeof f->err), TND_EIO);
    assert_non_null(strstr(f->err, "cannot parse CRL "));
    assert_non_null(strstr(f->err, "/ca.crl"));
    damage(f, "ca.key");
    assert_int_equal(tnd_pki_issue(f->dir, "x", "supplier", "Acme", 0, f->err, sizeof f->err),
                     TND_EIO);
    assert_non_null(strstr(f->err, "cannot parse private key "));
    assert_non_null(strstr(f->err, "/ca.key"));
    damage(f, "ca.crt");
    assert_int_equal(tnd_pki_issue(f->dir, "x", "supplier", "Acme", 0, f->err, sizeof f->err),
                     TND_EIO);
    assert_non_null(strstr(f->err, "cannot parse certificate "));
    assert_non_null(strstr(f->err, "/ca.crt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_creates_exactly_the_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_existing_pki, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_reports_missing_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_validates_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_refuses_existing_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_needs_a_pki, setup, teardown),
        cmocka_unit_test_setup_teardown(test_samples_chain_and_carry_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_and_server_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serials_are_random_and_positive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_ex_expired_and_without_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_writes_a_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_files_are_refused_by_name, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
