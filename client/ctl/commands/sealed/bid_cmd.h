/* Internals shared by the sealed-bid command files: cmd_bid.c (submit,
 * replace, withdraw, status), cmd_bid_receipt.c (the local bid files, receipt
 * verification, `bid receipt`), cmd_keys.c and cmd_open.c (member keys). */
#ifndef TND_CTL_BID_CMD_H
#define TND_CTL_BID_CMD_H

#include "cli/ctl.h"
#include "commands/audit/audit_cmd.h"
#include "tender_schema.h"

/** What tenderctl keeps of one bid, in DIR/TENDER/BID.bid (0600, in 0700
 * folders): the ids, the owner nonce (the proof of ownership: private) and
 * the receipts the server gave. */
typedef struct bid_file {
    char tender_id[65], bid_id[65], replaces[65];
    uint8_t nonce[32];
    bool has_receipt, has_withdrawal;
    tender_bids_v1_Receipt receipt;    /* of BID_RECEIVED */
    tender_bids_v1_Receipt withdrawal; /* of BID_WITHDRAWN */
} bid_file;

/** The bid folder: --bids-dir, else $HOME/.tender/bids. Returns 0 or an exit code. */
int bid_dir(const char *opt, char *out, size_t len);

/** Is a tender id usable as a folder name? (no '/', no leading '.', 1..64 bytes) */
bool bid_tender_id_ok(const char *id);

/** Is this "B-" followed by 32 lowercase hex digits? */
bool bid_id_ok(const char *id);

/** Save f into dir (folders made 0700, file 0600, replacing an older one);
 * the path written into path. Returns 0 or an exit code. */
int bid_file_save(const char *dir, const bid_file *f, char *path, size_t len);

/** Load the file of tender/bid from dir into f (initialised here; free with
 * bid_file_free on 0). Returns 0 or an exit code (message printed). */
int bid_file_load(const char *cmd, const char *dir, const char *tender, const char *bid,
                  bid_file *f);

/** Remove the file of tender/bid (after a submission that surely failed). */
void bid_file_remove(const char *dir, const char *tender, const char *bid);

void bid_file_free(bid_file *f);

/** Verify a receipt: the checkpoint's signature (log key of a), the leaf's
 * inclusion at leaf_index, and that the leaf is an event of kind for this
 * tender and bid whose object hash is the receipt's envelope hash and, when
 * envelope_hash is not NULL, that one. The verified checkpoint into cp.
 * Returns 0 or an exit code (4: it does not verify; message printed). */
int bid_receipt_verify(const audit_ctx *a, const tender_bids_v1_Receipt *r, int kind,
                       const char *tender, const char *bid, const uint8_t *envelope_hash,
                       tnd_checkpoint *cp);

/** Read a member's X25519 private key (PEM, as `keys gen` writes it) into sk
 * and its public key into pk (cmd_keys.c, for `open`). The caller wipes sk.
 * Returns 0 or an exit code (message printed). */
int ctl_x25519_key_read(const char *cmd, const char *path, uint8_t sk[32], uint8_t pk[32]);

/* bid receipt (cmd_bid_receipt.c) and opening documents (cmd_opening_docs.c). */
extern const ctl_cmd ctl_bid_receipt_cmd, ctl_opening_documents_cmd;

#endif
