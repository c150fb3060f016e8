/* Internals shared by the sealed-bid command files: cmd_bid.c (submit,
 * replace, withdraw, status), cmd_bid_receipt.c (the bid files as tenderctl
 * reports them, receipt verification, `bid receipt`), cmd_keys.c and
 * cmd_open.c (member keys). */
#ifndef TND_CTL_BID_CMD_H
#define TND_CTL_BID_CMD_H

#include "cli/ctl.h"
#include "commands/audit/audit_cmd.h"
#include "tender/custody.h"
#include "tender_schema.h"

/** The bid folder (tnd_custody_dir): --bids-dir, else $HOME/.tender/bids.
 * Returns 0 or an exit code (message printed). */
int bid_dir(const char *opt, char *out, size_t len);

/** tnd_custody_save, the path written into path. Returns 0 or an exit code
 * (message printed). */
int bid_file_save(const char *dir, const tnd_bid_custody *f, char *path, size_t len);

/** tnd_custody_load of tender/bid from dir into f (initialised here; free
 * with tnd_custody_free). Returns 0 or an exit code (message printed, after
 * cmd). */
int bid_file_load(const char *cmd, const char *dir, const char *tender, const char *bid,
                  tnd_bid_custody *f);

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
