/* Offline evidence bundles (docs/AUDIT.md, "Evidence bundles"): one
 * tender's public record, as tnd_tender_record_fetch_all fetched it, with
 * the keys the auditor used, in one file that anyone can check later with
 * no server: tnd_bundle_read gives back a tnd_tender_record for
 * tnd_tender_record_verify (tender/verify.h), which runs every check on it
 * as on a record fetched live.
 *
 * The file is one tender.bundle.v1.Bundle (schema/bundle.schema) in the
 * canonical MessagePack encoding; each message the server served is kept
 * inside it as its own canonical encoding, so the log's hashes recompute
 * from the file's bytes with any MessagePack and SHA-256 tool.
 *
 * A bundle is untrusted input: every length is bounded by the schema and
 * checked before use, and a record that fetch would have refused (leaves out
 * of order or beyond the checkpoint, a proof that is not whole hashes, more
 * versions than events) is refused. Nothing in it is trusted for the checks:
 * the log key and the CA it carries are what the auditor used, for the
 * reader to compare with the published ones.
 */
#ifndef TENDER_BUNDLE_H
#define TENDER_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "tender/verify.h"

/** The Header's format text and the one version this library writes and reads. */
#define TND_BUNDLE_FORMAT "tenderd evidence bundle"
#define TND_BUNDLE_VERSION 1u

/** The largest bundle file read (documents and bids included). */
#define TND_BUNDLE_MAX_SIZE ((size_t)4 << 30)

/** What the auditor trusted when fetching, kept beside the record. */
typedef struct tnd_bundle_keys {
    const char *log_key;    /* the log's verifier key ("NAME+KEYID+BASE64") */
    const char *saved_note; /* the saved checkpoint the record's consistency proof starts
                               from (verified by the caller), or NULL */
    tnd_bytes ca, crl;      /* the CA certificate(s) and the revocation list (PEM) the
                               decryption check used; empty: none */
} tnd_bundle_keys;

/** Encode r (fetched with tnd_tender_record_fetch_all, so that its documents'
 * bytes are there) and k as a bundle into *out (malloc'd, *len bytes).
 * @return 0; TND_ENOMEM; TND_EINVAL when a document was fetched without its
 *         bytes; a codec error (TND_ELIMIT: more than a bundle holds) with err. */
TND_MUST_CHECK int tnd_bundle_write(const tnd_tender_record *r, const tnd_bundle_keys *k,
                                    uint8_t **out, size_t *len, char *err, size_t err_len);

/** A bundle as read. */
typedef struct tnd_bundle {
    uint32_t version;
    tnd_tender_record record; /* trust NULL: the caller sets it */
    char *log_key;            /* the key the bundle was made with ("": none) */
    char *saved_note;         /* the saved checkpoint note it carries, or NULL (unverified) */
    tnd_bytes ca, crl;        /* as given when it was made; empty: none */
} tnd_bundle;

/** Read a bundle from data (len bytes, at most TND_BUNDLE_MAX_SIZE). b need
 * not be initialised; free it with tnd_bundle_free even on error.
 * @return 0; TND_EMALFORMED (not a bundle, truncated, damaged, or a record
 *         fetch would refuse) or TND_ERANGE (another format version) with a
 *         message in err; TND_ENOMEM. */
TND_MUST_CHECK int tnd_bundle_read(const uint8_t *data, size_t len, tnd_bundle *b, char *err,
                                   size_t err_len);

void tnd_bundle_free(tnd_bundle *b);

#endif
