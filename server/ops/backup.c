/* `tenderd backup --db DIR --out FILE`: a consistent, compacted copy of a
 * database while its server keeps writing, verified before it replaces
 * FILE (backup.h, docs/OPERATIONS.md). */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#define PATH_CAP 4096

static void backup_usage(FILE *to)
{
    fprintf(to,
            "usage: tenderd backup [--config FILE] [--db DIR] --out FILE\n"
            "\n"
            "Copy the database in DIR (--db, else the db setting of the --config file, else\n"
            "var/db) to FILE while tenderd keeps running:\n"
            "one LMDB read transaction, compacted. The copy is written to a temporary file\n"
            "beside FILE and fsync'd, then verified (format; every event is a leaf of the\n"
            "transparency log; the tree's root matches the last checkpoint, signed by\n"
            "DIR/log.key), and only then renamed to FILE (replacing it) and the folder\n"
            "fsync'd. A copy that does not verify is deleted and the exit status is 1.\n"
            "Run it as the user tenderd runs as. FILE holds the whole database: keep it\n"
            "private. DIR/log.key is not in FILE: keep a copy of it too (it never changes).\n");
}

/* Refuse an --out that is the live database file itself. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Copy env into fd through one read transaction. When the server grew the
 * map after this process opened it, LMDB says MDB_MAP_RESIZED: adopt the
 * new size and start over. */
static int copy_env(MDB_env *env, int fd)
{
    int rc = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
            return errno;
        rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
        if (rc != MDB_MAP_RESIZED)
            return rc;
        if ((rc = mdb_env_set_mapsize(env, 0)) != 0)
            return rc;
        rc = MDB_MAP_RESIZED;
    }
    return rc;
}

/* The copy itself, into tmp: open DIR read-only next to the running
 * server (LMDB shares its lock file between processes), copy, fsync. */
static int write_copy(const char *db, const char *tmp, char *err, size_t err_len)
{
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc != 0) {
        snprintf(err, err_len, "cannot create an LMDB environment: %s", mdb_strerror(rc));
        return 1;
    }
    int ret = 1, fd = -1;
    if ((rc = mdb_env_set_maxdbs(env, TND_TABLE_COUNT)) != 0 ||
        (rc = mdb_env_open(env, db, MDB_RDONLY, 0600)) != 0) {
        snprintf(err, err_len, "cannot open the database in %s: %s", db, mdb_strerror(rc));
        goto close_env;
    }
    /* A reader slot left by a backup that was killed would keep LMDB from
     * reusing pages until tenderd restarts: clear such slots now. */
    int dead = 0;
    mdb_reader_check(env, &dead);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_len, "cannot create %s: %s", tmp, strerror(errno));
        goto close_env;
    }
    if ((rc = copy_env(env, fd)) != 0) {
        snprintf(err, err_len, "cannot copy the database in %s to %s: %s", db, tmp,
                 mdb_strerror(rc));
        goto close_fd;
    }
    if (fsync(fd) != 0) {
        snprintf(err, err_len, "cannot sync %s: %s", tmp, strerror(errno));
        goto close_fd;
    }
    ret = 0;
close_fd:
    if (close(fd) != 0 && ret == 0) {
        snprintf(err, err_len, "cannot write %s: %s", tmp, strerror(errno));
        ret = 1;
    }
close_env:
    mdb_env_close(env);
    return ret;
}

static int run_backup(const char *db, const char *out)
{
    char data[PATH_CAP], key[PATH_CAP], tmp[PATH_CAP], out_dir[PATH_CAP], err[4 * PATH_CAP] = "";
    snprintf(out_dir, sizeof out_dir, "%s", out);
    char *dir = dirname(out_dir);
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    if (!*base) {
        fprintf(stderr, "tenderd backup: --out %s: name a file, not a folder\n", out);
        return 2;
    }
    if ((size_t)snprintf(data, sizeof data, "%s/%s", db, TND_BACKUP_DATA_FILE) >= sizeof data ||
        (size_t)snprintf(key, sizeof key, "%s/%s", db, TND_BACKUP_KEY_FILE) >= sizeof key ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp%ld", dir, base, (long)getpid()) >=
            sizeof tmp) {
        fprintf(stderr, "tenderd backup: path too long\n");
        return 2;
    }
    if (access(data, R_OK) != 0) {
        fprintf(stderr, "tenderd backup: no database in %s (%s: %s)\n", db, data,
                strerror(errno));
        return 1;
    }
    if (same_file(data, out)) {
        fprintf(stderr, "tenderd backup: --out %s is the database itself\n", out);
        return 2;
    }
    uint8_t pub[32];
    if (tnd__backup_log_pub(key, pub, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd backup: %s\n", err);
        return 1;
    }
    if (write_copy(db, tmp, err, sizeof err) != 0) {
        unlink(tmp);
        fprintf(stderr, "tenderd backup: %s\n", err);
        return 1;
    }
    /* Verify before the rename, so that a bad copy never replaces FILE. */
    tnd_tlog_checked checked;
    if (tnd__backup_verify(tmp, pub, &checked, err, sizeof err) != 0) {
        unlink(tmp);
        fprintf(stderr, "tenderd backup: the copy does not verify, deleted it: %s\n", err);
        return 1;
    }
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "tenderd backup: cannot rename %s to %s: %s\n", tmp, out,
                strerror(errno));
        unlink(tmp);
        return 1;
    }
    if (tnd__backup_sync_dir(dir) != 0) {
        fprintf(stderr, "tenderd backup: cannot sync the folder %s: %s\n", dir, strerror(errno));
        return 1;
    }
    struct stat st;
    char what[1024];
    tnd__backup_describe(&checked, pub, what, sizeof what);
    printf("backup of %s written to %s (%lld bytes)\n%s\n", db, out,
           stat(out, &st) == 0 ? (long long)st.st_size : -1LL, what);
    return 0;
}

int tnd_backup_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_flag = NULL, *config = NULL, *out = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_flag = optarg; break;
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'h': backup_usage(stdout); return 0;
        default: backup_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tenderd backup: unexpected argument \"%s\" (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (!out || !*out) {
        fprintf(stderr, "tenderd backup: --out FILE is required (see --help)\n");
        return 2;
    }
    static tnd_config cfg;
    const char *db;
    char err[1024];
    if (tnd__backup_db_dir(config, db_flag, &cfg, &db, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd backup: %s\n", err);
        return 2;
    }
    if (!*db) {
        fprintf(stderr, "tenderd backup: --db: the folder name is empty\n");
        return 2;
    }
    return run_backup(db, out);
}
