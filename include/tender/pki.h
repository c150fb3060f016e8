/* The developer PKI: a CA, a server certificate and identities for local use.
 *
 * Behind `tenderctl pki init DIR` and `tenderctl pki issue DIR NAME --role
 * ROLE --org ORG`. Every key is Ed25519; every file is PEM. Certificates are
 * written with mode 0644, private keys with 0600 (created so, never chmod'ed),
 * each through a temporary name, fsync and rename. Keys are not encrypted:
 * this is for development, not for production CAs.
 *
 * Layout of DIR after tnd_pki_init:
 *   ca.crt, ca.key           the CA ("tenderd development CA", 10 years)
 *   server.crt, server.key   CN localhost; SAN DNS:localhost, IP:127.0.0.1, IP:::1 (2 years)
 *   NAME.crt, NAME.key       for NAME = officer, officer2, supplier, supplier2,
 *                            auditor, admin (1 year)
 * tnd_pki_revoke adds ca.crl.
 *
 * Every function returns 0 or a negative TND_E* code and, on failure, puts a
 * message a person can act on into err (err may be NULL, err_len its size).
 */
#ifndef TENDER_PKI_H
#define TENDER_PKI_H

#include <stddef.h>

#include "tender/error.h"

/* Results that must not be ignored (as in tender/codec.h). */

/* Longest identity name: [A-Za-z0-9_.-], not starting with '.'. */
#define TND_PKI_MAX_NAME 64
/* Longest organisation, in printable ASCII characters: RFC 5280's upper
 * bound for a subject O (ub-organization-name), which OpenSSL enforces. */
#define TND_PKI_MAX_ORG 64
/* Validity of an identity certificate when the caller gives none, and the most allowed. */
#define TND_PKI_DEFAULT_DAYS 365
#define TND_PKI_MAX_DAYS 3650

/** Create a new development PKI in dir.
 *
 * Creates dir (mode 0700) if it does not exist; its parent must. Writes the
 * files listed above. On failure, removes the files it wrote.
 * @return 0; TND_EEXISTS when dir/ca.key exists (a PKI is already there);
 *         TND_EIO for file system errors; TND_ECRYPTO; TND_ENOMEM; TND_EINVAL.
 */
TND_MUST_CHECK int tnd_pki_init(const char *dir, char *err, size_t err_len);

/** Issue an identity certificate NAME.crt and key NAME.key, signed by dir/ca.key.
 *
 * @param dir  A directory made by tnd_pki_init.
 * @param name 1..TND_PKI_MAX_NAME of [A-Za-z0-9_.-], not starting with '.',
 *             not "ca" or "server" (in any case): the file names and the CN.
 * @param role "officer", "supplier", "auditor" or "admin": the SAN URI
 *             urn:tender:role:ROLE.
 * @param org  1..TND_PKI_MAX_ORG printable ASCII characters: the subject O.
 * @param days Validity from now; <= 0 means TND_PKI_DEFAULT_DAYS; at most
 *             TND_PKI_MAX_DAYS.
 * @return 0; TND_EINVAL for a bad argument; TND_EEXISTS when NAME.key
 *         exists (it is never overwritten); TND_EIO, TND_ECRYPTO, TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_pki_issue(const char *dir, const char *name, const char *role,
                                 const char *org, int days, char *err, size_t err_len);

/** For tests: tnd_pki_issue with an explicit validity window and an optional role.
 *
 * @param role       As for tnd_pki_issue, or NULL to leave the role URI out
 *                   (a certificate the server must refuse).
 * @param not_before Start of validity, seconds from now (negative: past).
 * @param not_after  End of validity, seconds from now; negative gives an
 *                   already expired certificate. Must be > not_before.
 * Other parameters and results as for tnd_pki_issue.
 */
TND_MUST_CHECK int tnd_pki_issue_ex(const char *dir, const char *name, const char *role,
                                    const char *org, long long not_before, long long not_after,
                                    char *err, size_t err_len);

/** Revoke NAME's certificate: add its serial to dir/ca.crl and re-sign it.
 *
 * Creates ca.crl (0644) on first use, keeping earlier revocations after that.
 * The CRL is valid for a year (next update); servers load it with their TLS
 * configuration. Revoking an already revoked certificate is harmless.
 * @return 0; TND_EINVAL for a bad name; TND_ENOTFOUND when NAME.crt does not
 *         exist; TND_EIO, TND_ECRYPTO, TND_ENOMEM.
 */
TND_MUST_CHECK int tnd_pki_revoke(const char *dir, const char *name, char *err, size_t err_len);

#endif
