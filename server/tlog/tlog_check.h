/* Checking a stored transparency log against its last signed checkpoint,
 * in one read transaction: at start-up (tlog.c) and on backups (backup.c).
 * It needs only a transaction and the two tables, so it works on the live
 * store and on a backup file opened read-only alike. */
#ifndef TND_SERVER_TLOG_CHECK_H
#define TND_SERVER_TLOG_CHECK_H

#include <lmdb.h>
#include <stdint.h>

#include "tender/audit.h"

/** What a successful check proved. */
typedef struct tnd_tlog_checked {
    uint64_t size;      /* tree size = number of events = checkpoint size */
    uint8_t root[32];   /* the root recomputed from the stored tree (= the checkpoint's) */
    char origin[256];   /* the checkpoint's origin; "" for an empty log */
} tnd_tlog_checked;

/** The origin named by the latest checkpoint in LOG (its first line, not yet
 * verified), into out (cap bytes). Returns 0, TND_ENOTFOUND (no checkpoint),
 * TND_EMALFORMED or TND_EIO. */
int tnd_tlog_check_origin(MDB_txn *txn, MDB_dbi log, char *out, size_t cap);

/** Check that the latest checkpoint carries v's signature; that the tree
 * size, the number of events and the checkpoint's size agree; that every
 * stored leaf is the hash of its event and every stored inner node the hash
 * of its children; and that the root of the stored tree is the checkpoint's.
 * An empty log (no events, no checkpoint) passes with size 0.
 * Returns 0 (out filled when not NULL), TND_ECRYPTO for a log that does not
 * verify, or TND_EIO for an unreadable one, with a message in err. */
int tnd_tlog_check(MDB_txn *txn, MDB_dbi events, MDB_dbi log, const tnd_note_verifier *v,
                   tnd_tlog_checked *out, char *err, size_t err_len);

#endif
