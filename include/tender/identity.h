/* Who a client is: its certificate and private key, read from PEM files.
 *
 * tenderd knows its users by their certificates (docs/PROTOCOL.md): the
 * subject CN is the person's name, the subject O the organisation, and the
 * SAN URI urn:tender:role:ROLE the role (officer, supplier, auditor, admin).
 * The key is Ed25519; suppliers sign their sealed bids with it and seal the
 * certificate file's certificates (theirs, then any intermediates) into the
 * bid, so that the opening can tell who bid (tnd_bid_check_certificate).
 *
 * tnd_identity_load reads the two files a client is given (tenderctl --cert
 * and --key, TENDER_CERT and TENDER_KEY) and checks that they belong
 * together. It does not check the certificate against a CA: the server does
 * that at the handshake, and the opening for a sealed bid. Role,
 * organisation and name are read as the certificate states them; a missing
 * one is "" (the server refuses such a certificate at the handshake).
 */
#ifndef TENDER_IDENTITY_H
#define TENDER_IDENTITY_H

#include <stddef.h>

#include <openssl/types.h>

#include "tender/error.h"
#include "tender_schema.h"

/* Most certificates read from one certificate file (the leaf and its
 * intermediates), as many as a sealed bid carries. */
#define TND_IDENTITY_MAX_CERTS 8

/** A certificate and its key. Free with tnd_identity_free. */
typedef struct tnd_identity {
    X509 *cert;                              /* the first certificate of the file */
    EVP_PKEY *key;                           /* its Ed25519 private key */
    tnd_bytes certs[TND_IDENTITY_MAX_CERTS]; /* every certificate of the file, DER, leaf first */
    size_t n_certs;
    char role[16];  /* from urn:tender:role:ROLE, or "" */
    char org[129];  /* subject O, or "" */
    char name[129]; /* subject CN, or "" */
} tnd_identity;

/** Read cert_file (PEM: the certificate, then any intermediates) and
 * key_file (PEM private key) into *id, which need not be initialised.
 * @return 0; TND_EIO when a file cannot be read or holds no certificate or
 *         key; TND_EINVAL when the key is not Ed25519 or not the
 *         certificate's key, or when the file holds more than
 *         TND_IDENTITY_MAX_CERTS certificates; TND_ENOMEM. On failure *id is
 *         empty (tnd_identity_free is harmless) and err (err_len bytes, may
 *         be NULL) says what to do: "cannot read FILE", "KEY is not the
 *         Ed25519 key of CERT". */
TND_MUST_CHECK int tnd_identity_load(tnd_identity *id, const char *cert_file, const char *key_file,
                                     char *err, size_t err_len);

/** Copy id's certificates (DER, leaf first) into a bid's content, after any
 * it has, as tnd_bid_seal expects them.
 * @return 0; TND_ERANGE when c would hold more than TND_IDENTITY_MAX_CERTS;
 *         TND_ENOMEM. */
TND_MUST_CHECK int tnd_identity_put_certificates(const tnd_identity *id,
                                                 tender_bids_v1_BidContent *c);

void tnd_identity_free(tnd_identity *id);

#endif
