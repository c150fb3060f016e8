/* Custody of a supplier's bids: the bid file a client keeps for each bid it
 * submits, with the owner nonce that proves the bid is the supplier's and
 * the receipts the server gave (tender/receipt.h, docs/SEALED.md).
 *
 * The bid folder is one folder per user: the caller's choice (tenderctl's
 * --bids-dir), else $HOME/.tender/bids. A bid is kept in it as
 * DIR/TENDER/BID.bid: the tender id is the name of a folder, so only a tender
 * id that is one plain name is accepted (tnd_custody_tender_id_valid: 1..64
 * bytes, no '/' and no control character, not starting with '.', which also
 * rules out "." and "..").
 * Folders this module makes are 0700, bid files 0600. DIR itself may be a
 * symbolic link (where the user keeps it); below it a symbolic link (a tender
 * folder or a bid file) is refused, and so is anything but a regular file.
 *
 * A bid file is text, one "KEY VALUE" a line (a single space between them),
 * each key at most once; lines starting with '#' and empty lines are
 * comments:
 *
 *   # tender bid file: keep it private; the nonce proves that the bid is yours
 *   tender T-2026-000001
 *   bid B-<32 lowercase hex>
 *   nonce <base64 of 32 bytes>    the owner nonce: PRIVATE
 *   replaces B-<32 hex>           (optional) the bid this one replaced
 *   receipt <base64>              (optional) the Receipt of BID_RECEIVED, encoded
 *   withdrawal <base64>           (optional) the Receipt of BID_WITHDRAWN, encoded
 *
 * tender, bid and nonce are required. Base64 is the strict standard form of
 * tender/encoding.h. A file is at most TND_CUSTODY_FILE_MAX bytes.
 *
 * The nonce is private: whoever has it (and the supplier's key) can withdraw
 * or replace the bid and ask its status. It is never written into a message
 * of this module, and the buffers that held it are wiped; wipe a
 * tnd_bid_custody with tnd_custody_free.
 *
 * Results: 0 or a negative TND_E* code (tender/error.h); on failure err
 * (err_len bytes; may be NULL) holds a sentence for a person that names the
 * file and, for a bad line, its number: "DIR/T/B.bid:3: the key nonce is
 * given twice (first on line 2)". Nothing is printed.
 */
#ifndef TENDER_CUSTODY_H
#define TENDER_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tender/error.h"
#include "tender/receipt.h"
#include "tender_schema.h"

/* Largest bid file read, in bytes. */
#define TND_CUSTODY_FILE_MAX (1u << 20)

/* Longest tender id usable as a folder name, in bytes. */
#define TND_CUSTODY_TENDER_ID_MAX 64

/** What a supplier keeps of one bid. Initialise with tnd_custody_init (or
 * tnd_custody_load / tnd_custody_parse), release with tnd_custody_free. */
typedef struct tnd_bid_custody {
    char tender_id[TND_CUSTODY_TENDER_ID_MAX + 1];
    char bid_id[TND_BID_ID_LEN + 1];
    char replaces[TND_BID_ID_LEN + 1]; /* "" : it replaced none */
    uint8_t nonce[32];                 /* the owner nonce: private */
    bool has_receipt, has_withdrawal;
    tender_bids_v1_Receipt receipt;    /* of BID_RECEIVED, when has_receipt */
    tender_bids_v1_Receipt withdrawal; /* of BID_WITHDRAWN, when has_withdrawal */
} tnd_bid_custody;

/** Is id usable as a tender folder's name: 1..TND_CUSTODY_TENDER_ID_MAX
 * bytes, no '/', no control character (below 0x20, 0x7f), no leading '.'?
 * (NULL is not.) */
bool tnd_custody_tender_id_valid(const char *id);

/** The bid folder into out (len bytes): dir when not NULL, else
 * $HOME/.tender/bids. Nothing is made.
 * @return 0; TND_ENOTFOUND when dir is NULL and HOME is unset or empty;
 *         TND_ERANGE when dir is empty or the path does not fit in out. */
TND_MUST_CHECK int tnd_custody_dir(const char *dir, char *out, size_t len, char *err,
                                   size_t err_len);

/** The path of a bid file, "DIR/TENDER/BID.bid", into out (len bytes).
 * @return 0; TND_EINVAL when tender or bid is not valid; TND_ERANGE when it
 *         does not fit. */
TND_MUST_CHECK int tnd_custody_path(const char *dir, const char *tender, const char *bid, char *out,
                                    size_t len, char *err, size_t err_len);

/** Set f empty: no ids, a zero nonce, no receipts. */
void tnd_custody_init(tnd_bid_custody *f);

/** Wipe the nonce and free the receipts; f is then as after tnd_custody_init. */
void tnd_custody_free(tnd_bid_custody *f);

/** The text of f's bid file (the format above) into *out (malloc'd, NUL
 * added, *len without it). It holds the nonce: wipe it (OPENSSL_cleanse)
 * before freeing it.
 * @return 0; TND_EINVAL when an id of f is not valid; TND_ELIMIT when the
 *         text would be larger than TND_CUSTODY_FILE_MAX; TND_ENOMEM or a
 *         Receipt encoding error. */
TND_MUST_CHECK int tnd_custody_format(const tnd_bid_custody *f, char **out, size_t *len, char *err,
                                      size_t err_len);

/** Parse the text of a bid file (len bytes, from a file or an upload) into
 * f, which need not be initialised; what names the text in messages (a
 * path, "the uploaded file"). Strict: every line must be a comment or a
 * known key with a valid value, each key at most once; no NUL byte; tender,
 * bid and nonce present.
 * @return 0; TND_ELIMIT over TND_CUSTODY_FILE_MAX; TND_EMALFORMED with err
 *         "WHAT:LINE: what is wrong" (or "WHAT: has no nonce line"); f is
 *         then empty. */
TND_MUST_CHECK int tnd_custody_parse(const char *text, size_t len, const char *what,
                                     tnd_bid_custody *f, char *err, size_t err_len);

/** Read DIR/TENDER/BID.bid into f (need not be initialised), and check that
 * it is the file of that tender and bid.
 * @return 0; TND_EINVAL when tender or bid is not valid; TND_ERANGE when the
 *         path is too long; TND_ENOTFOUND when the file (or a folder on the
 *         way) does not exist, err "PATH: No such file or directory";
 *         TND_EIO when it cannot be read, is a symbolic link or not a
 *         regular file; TND_ELIMIT when it is larger than
 *         TND_CUSTODY_FILE_MAX; TND_EMALFORMED as tnd_custody_parse, or
 *         "PATH is not the bid file of BID in TENDER"; TND_ENOMEM. f is empty
 *         on failure. */
TND_MUST_CHECK int tnd_custody_load(const char *dir, const char *tender, const char *bid,
                                    tnd_bid_custody *f, char *err, size_t err_len);

/** Write f to DIR/TENDER/BID.bid, replacing an older file: DIR and the
 * tender folder are made (0700) when missing, the text goes to a temporary
 * file beside it (0600), which is synced and renamed into place, and the
 * folder is synced: a crash leaves the old file or the new one, never half
 * of one. The path written into path (path_len bytes; may be NULL).
 * @return 0; TND_EINVAL when an id of f is not valid; TND_ERANGE when the
 *         path is too long; TND_EIO when a folder cannot be made or opened
 *         (a symbolic link, not a folder) or the file cannot be written;
 *         as tnd_custody_format. */
TND_MUST_CHECK int tnd_custody_save(const char *dir, const tnd_bid_custody *f, char *path,
                                    size_t path_len, char *err, size_t err_len);

/** Remove DIR/TENDER/BID.bid: after a submission that surely failed, the
 * nonce has nothing to prove.
 * @return 0; TND_ENOTFOUND when it does not exist; TND_EINVAL; TND_ERANGE;
 *         TND_EIO. */
TND_MUST_CHECK int tnd_custody_remove(const char *dir, const char *tender, const char *bid,
                                      char *err, size_t err_len);

#endif
