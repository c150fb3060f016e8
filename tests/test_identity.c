/* tender/identity.h: a client's certificate and key from the PEM files of a
 * development PKI; role, organisation and name as the certificate states
 * them; a key of another certificate, missing files and overlong chains
 * refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tender/identity.h"
#include "tender/pki.h"
#include "testsrv.h"

static testsrv ts;

static const char *path(const char *file, char *buf)
{
    return testsrv_path(&ts, file, buf, 700);
}

static int setup(void **state)
{
    (void)state;
    testsrv_pki(&ts);
    char err[300];
    assert_int_equal(tnd_pki_issue(ts.pki, "acme-bob", "supplier", "ACME Ltd", 0, err, sizeof err),
                     0);
    assert_int_equal(
        tnd_pki_issue_ex(ts.pki, "norole", NULL, "Nobody Inc", -60, 3600, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(ts.dir);
    return 0;
}

static void test_load(void **state)
{
    (void)state;
    char crt[700], key[700], err[300] = "";
    tnd_identity id;
    assert_int_equal(tnd_identity_load(&id, path("acme-bob.crt", crt), path("acme-bob.key", key),
                                       err, sizeof err),
                     0);
    assert_string_equal(id.role, "supplier");
    assert_string_equal(id.org, "ACME Ltd");
    assert_string_equal(id.name, "acme-bob");
    assert_non_null(id.cert);
    assert_non_null(id.key);
    assert_int_equal(id.n_certs, 1);
    /* The DER kept is the certificate's. */
    const unsigned char *p = id.certs[0].data;
    X509 *x = d2i_X509(NULL, &p, (long)id.certs[0].len);
    assert_non_null(x);
    assert_int_equal(X509_cmp(x, id.cert), 0);
    X509_free(x);

    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    assert_int_equal(tnd_identity_put_certificates(&id, &c), 0);
    assert_int_equal(c.n_certificates, 1);
    assert_memory_equal(c.certificates[0].data, id.certs[0].data, id.certs[0].len);
    /* A content full of certificates takes no more. */
    for (int i = 1; i < TND_IDENTITY_MAX_CERTS; i++)
        assert_int_equal(tnd_identity_put_certificates(&id, &c), 0);
    assert_int_equal(tnd_identity_put_certificates(&id, &c), TND_ERANGE);
    assert_int_equal(c.n_certificates, TND_IDENTITY_MAX_CERTS);
    tender_bids_v1_BidContent_free(&c);
    tnd_identity_free(&id);
    tnd_identity_free(&id); /* harmless twice */

    /* Without a role URI: read as "", for the server to refuse. */
    assert_int_equal(
        tnd_identity_load(&id, path("norole.crt", crt), path("norole.key", key), err, sizeof err),
        0);
    assert_string_equal(id.role, "");
    assert_string_equal(id.org, "Nobody Inc");
    tnd_identity_free(&id);
}

static void test_refused(void **state)
{
    (void)state;
    char crt[700], key[700], err[300] = "";
    tnd_identity id;
    /* Another identity's key. */
    assert_int_equal(tnd_identity_load(&id, path("acme-bob.crt", crt), path("officer.key", key),
                                       err, sizeof err),
                     TND_EINVAL);
    assert_non_null(strstr(err, "officer.key is not the Ed25519 key of"));
    assert_null(id.cert);
    assert_null(id.key);
    /* Files that are not there, or not PEM. */
    assert_int_equal(
        tnd_identity_load(&id, path("nobody.crt", crt), path("officer.key", key), err, sizeof err),
        TND_EIO);
    assert_non_null(strstr(err, "cannot read"));
    assert_non_null(strstr(err, "nobody.crt"));
    assert_int_equal(
        tnd_identity_load(&id, path("officer.crt", crt), path("officer.crt", key), err, sizeof err),
        TND_EIO);
    assert_non_null(strstr(err, "cannot read"));
    assert_int_equal(
        tnd_identity_load(&id, path("officer.key", crt), path("officer.key", key), err, sizeof err),
        TND_EIO);
    /* A chain longer than a bid carries. */
    char big[700], line[4096];
    snprintf(big, sizeof big, "%s/big.crt", ts.dir);
    FILE *out = fopen(big, "w"), *in;
    assert_non_null(out);
    for (int i = 0; i <= TND_IDENTITY_MAX_CERTS; i++) {
        in = fopen(path("officer.crt", crt), "r");
        assert_non_null(in);
        for (size_t n; (n = fread(line, 1, sizeof line, in)) > 0;)
            assert_int_equal(fwrite(line, 1, n, out), n);
        fclose(in);
    }
    fclose(out);
    assert_int_equal(tnd_identity_load(&id, big, path("officer.key", key), err, sizeof err),
                     TND_EINVAL);
    assert_non_null(strstr(err, "more than 8 certificates"));
    assert_int_equal(tnd_identity_load(&id, NULL, key, err, sizeof err), TND_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
