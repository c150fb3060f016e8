/* Verifying a backup file and the helpers backup.c and restore.c share
 * (backup.h). */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tender/encoding.h"
#include "be.h"
#include "store/store.h"

int tnd__backup_log_pub(const char *key_file, uint8_t pub[32], char *err, size_t err_len)
{
    FILE *f = fopen(key_file, "r");
    if (!f) {
        snprintf(err, err_len, "cannot read the log key %s: %s", key_file, strerror(errno));
        return TND_EIO;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    size_t len = 32;
    int rc = 0;
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32) {
        snprintf(err, err_len, "%s is not an Ed25519 private key (a tenderd log.key)", key_file);
        rc = TND_ECRYPTO;
    }
    EVP_PKEY_free(key);
    return rc;
}

int tnd__backup_db_dir(const char *config_file, const char *db_flag, tnd_config *cfg,
                      const char **db, char *err, size_t err_len)
{
    tnd_config_defaults(cfg);
    if (config_file && tnd_config_read_file(cfg, config_file, err, err_len) != 0)
        return -1;
    *db = db_flag ? db_flag : cfg->db;
    return 0;
}

int tnd__backup_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* meta/format must be the one this tenderd reads. */
static int check_format(MDB_txn *txn, MDB_dbi meta, const char *file, char *err, size_t err_len)
{
    MDB_val k = {.mv_size = sizeof TND_META_FORMAT - 1, .mv_data = TND_META_FORMAT}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc != 0 || v.mv_size != 4) {
        snprintf(err, err_len, "%s has no valid format record: it is not a tenderd database",
                 file);
        return TND_EMALFORMED;
    }
    uint32_t format = tnd_be32_get(v.mv_data);
    if (format != TND_STORE_FORMAT) {
        snprintf(err, err_len, "%s has format %u; this tenderd reads format %u", file, format,
                 TND_STORE_FORMAT);
        return TND_ERANGE;
    }
    return 0;
}

/* Open the tables and check the format and the log, in one read
 * transaction of env. */
static int verify_env(MDB_env *env, const char *file, const uint8_t pub[32],
                      tnd_tlog_checked *out, char *err, size_t err_len)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        snprintf(err, err_len, "cannot read %s: %s", file, mdb_strerror(rc));
        return TND_EIO;
    }
    static const char *const names[] = {"meta", "events", "log"};
    MDB_dbi dbi[3];
    int ret = 0;
    for (int i = 0; i < 3 && !ret; i++) {
        rc = mdb_dbi_open(txn, names[i], 0, &dbi[i]);
        if (rc != 0) {
            snprintf(err, err_len, "%s has no table \"%s\" (%s): it is not a tenderd database",
                     file, names[i], mdb_strerror(rc));
            ret = TND_EMALFORMED;
        }
    }
    if (!ret)
        ret = check_format(txn, dbi[0], file, err, err_len);
    tnd_note_verifier v = {0};
    if (!ret) {
        rc = tnd_tlog_check_origin(txn, dbi[2], v.name, sizeof v.name);
        if (rc == TND_ENOTFOUND) {
            snprintf(v.name, sizeof v.name, "-"); /* an empty log has nothing signed */
        } else if (rc != 0) {
            snprintf(err, err_len, "%s: the latest log checkpoint is unreadable", file);
            ret = TND_EMALFORMED;
        }
    }
    if (!ret) {
        memcpy(v.key, pub, 32);
        if (tnd_note_key_id(v.name, pub, &v.key_id) != 0) {
            snprintf(err, err_len, "%s: the latest log checkpoint names an invalid origin", file);
            ret = TND_EMALFORMED;
        }
    }
    if (!ret) {
        char why[512];
        ret = tnd_tlog_check(txn, dbi[1], dbi[2], &v, out, why, sizeof why);
        if (ret)
            snprintf(err, err_len, "%s: %s", file, why);
    }
    mdb_txn_abort(txn);
    return ret;
}

int tnd__backup_verify(const char *file, const uint8_t pub[32], tnd_tlog_checked *out, char *err,
                      size_t err_len)
{
    struct stat st;
    if (stat(file, &st) != 0) {
        snprintf(err, err_len, "cannot read %s: %s", file, strerror(errno));
        return TND_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "%s is not a regular file", file);
        return TND_EMALFORMED;
    }
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc != 0) {
        snprintf(err, err_len, "cannot create an LMDB environment: %s", mdb_strerror(rc));
        return TND_EIO;
    }
    int ret = 0;
    /* A private file: no lock file, nothing written. */
    if ((rc = mdb_env_set_maxdbs(env, TND_TABLE_COUNT)) != 0 ||
        (rc = mdb_env_open(env, file, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0600)) != 0) {
        snprintf(err, err_len, "%s is not an LMDB database: %s", file,
                 rc == MDB_INVALID ? "no valid header" : mdb_strerror(rc));
        ret = TND_EMALFORMED;
        goto close_env;
    }
    /* Every page the last commit uses must be in the file: reading a page
     * past the end of a truncated file through the map would crash. */
    MDB_envinfo info;
    MDB_stat ms;
    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &ms) != 0) {
        snprintf(err, err_len, "cannot read the header of %s", file);
        ret = TND_EIO;
        goto close_env;
    }
    unsigned long long need = ((unsigned long long)info.me_last_pgno + 1) * ms.ms_psize;
    if ((unsigned long long)st.st_size < need) {
        snprintf(err, err_len, "%s is truncated: %lld bytes, its last commit needs %llu", file,
                 (long long)st.st_size, need);
        ret = TND_EMALFORMED;
        goto close_env;
    }
    ret = verify_env(env, file, pub, out, err, err_len);
close_env:
    mdb_env_close(env);
    return ret;
}

void tnd__backup_describe(const tnd_tlog_checked *c, const uint8_t pub[32], char *out, size_t cap)
{
    if (c->size == 0) {
        snprintf(out, cap, "log verified: empty (no events, no checkpoint)");
        return;
    }
    char root[TND_BASE64_LEN(32) + 1], vkey[TND_NOTE_VKEY_MAX];
    tnd_base64_encode(c->root, 32, root);
    if (tnd_note_verifier_format(c->origin, pub, vkey, sizeof vkey) != 0)
        snprintf(vkey, sizeof vkey, "?");
    snprintf(out, cap,
             "log verified: tree size %llu (= events), root %s matches the checkpoint signed by "
             "%s",
             (unsigned long long)c->size, root, vkey);
}
