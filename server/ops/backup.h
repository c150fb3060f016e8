/* Backup and restore of a tenderd database (docs/OPERATIONS.md).
 *
 * `tenderd backup` copies the LMDB environment through one read
 * transaction (compacted) while the server keeps writing, into a temporary
 * file beside the target, fsyncs it, verifies the copy's transparency log
 * against its last signed checkpoint, then renames it into place and fsyncs
 * the folder. `tenderd restore` verifies a backup the same way and installs
 * it as DIR/data.mdb. backup.c and restore.c are the commands;
 * backup_verify.c the check both share. */
#ifndef TND_SERVER_BACKUP_H
#define TND_SERVER_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "tlog/tlog_check.h"

/* The store's files inside its folder. */
#define TND_BACKUP_DATA_FILE "data.mdb"
#define TND_BACKUP_LOCK_FILE "lock.mdb"
#define TND_BACKUP_KEY_FILE "log.key"

/* ---- the admin RPC, tender.admin.v1.Admin/Backup (backup_service.c) ---- */

typedef struct tnd_server tnd_server;
typedef struct tnd_backup_job tnd_backup_job;

/** Register Admin/Backup: runs this binary's `backup` into cfg.backup_dir. */
int tnd_backup_service_register(tnd_server *srv);

/** At shutdown: answer a backup call still waiting (UNAVAILABLE) and let go
 * of its child process, which finishes on its own. */
void tnd_backup_service_stop(tnd_server *srv);

/* ---- the commands ---- */

/** `tenderd backup ...` (argv[0] is "backup"): exit status 0, 1 (failed)
 * or 2 (usage). */
int tnd_backup_main(int argc, char **argv);

/** `tenderd restore ...` (argv[0] is "restore"): exit status as above. */
int tnd_restore_main(int argc, char **argv);

/** The Ed25519 public key of the log key in key_file (PEM, as DIR/log.key).
 * Returns 0, TND_EIO (unreadable; errno-style reason in err) or TND_ECRYPTO
 * (not an Ed25519 private key). */
int tnd__backup_log_pub(const char *key_file, uint8_t pub[32], char *err, size_t err_len);

/** Verify a single-file LMDB database (a backup): a regular file, not
 * truncated, a tenderd database of this format, whose transparency log
 * verifies against its latest checkpoint signed by pub under the origin the
 * checkpoint names (tlog_check.h). Opens it read-only without a lock file.
 * Returns 0 with out filled, or TND_EIO / TND_EMALFORMED / TND_ERANGE /
 * TND_ECRYPTO with the reason in err. */
int tnd__backup_verify(const char *file, const uint8_t pub[32], tnd_tlog_checked *out, char *err,
                      size_t err_len);

/** One line saying what was verified, e.g. "log verified: 12 events, root
 * b64..., origin tenderd.local/log, checkpoint signed by NAME+id+key". */
void tnd__backup_describe(const tnd_tlog_checked *c, const uint8_t pub[32], char *out, size_t cap);

/** The database folder for the commands: db_flag when given, else the db
 * setting of the config file (when given), else the default. Fills cfg.
 * 0, or -1 with the file's problem in err. */
int tnd__backup_db_dir(const char *config_file, const char *db_flag, tnd_config *cfg,
                      const char **db, char *err, size_t err_len);

/** fsync a folder, so that a rename in it is durable. 0 or -1 (errno). */
int tnd__backup_sync_dir(const char *dir);

#endif
