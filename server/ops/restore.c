/* `tenderd restore --from FILE --db DIR`: verify a backup and install it
 * as DIR's database (backup.h, docs/OPERATIONS.md). */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_CAP 4096

static void restore_usage(FILE *to)
{
    fprintf(to,
            "usage: tenderd restore --from FILE [--config FILE] [--db DIR] [--log-key KEYFILE]\n"
            "                       [--force]\n"
            "\n"
            "Install the backup FILE (made by tenderd backup) as the database in DIR\n"
            "(--db, else the db setting of the --config file, else var/db; created 0700 if\n"
            "missing). FILE is copied to a temporary file\n"
            "in DIR and fsync'd, then verified as tenderd backup does (format; every event\n"
            "is a leaf of the transparency log; the tree's root matches the last checkpoint,\n"
            "signed by the log key), then renamed to DIR/data.mdb and DIR fsync'd.\n"
            "A backup that does not verify is refused (exit status 1).\n"
            "\n"
            "  --log-key KEYFILE   a copy of the original DIR/log.key: verifies the backup\n"
            "                      and is installed as DIR/log.key; without it DIR/log.key\n"
            "                      must already be there\n"
            "  --force             replace the database (and a different log.key) already in\n"
            "                      DIR; refused while a process has DIR's database open\n");
}

/* Copy src to a new file dst (0600), fsync'd. 0, or -1 with err set. */
static int copy_file(const char *src, const char *dst, char *err, size_t err_len)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, err_len, "cannot read %s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(err, err_len, "cannot create %s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    static char buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_len, "cannot read %s: %s", src, strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n && rc == 0;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                snprintf(err, err_len, "cannot write %s: %s", dst, strerror(errno));
                rc = -1;
            }
            off += w > 0 ? w : 0;
        }
        if (rc)
            break;
    }
    if (rc == 0 && fsync(out) != 0) {
        snprintf(err, err_len, "cannot sync %s: %s", dst, strerror(errno));
        rc = -1;
    }
    if (close(out) != 0 && rc == 0) {
        snprintf(err, err_len, "cannot write %s: %s", dst, strerror(errno));
        rc = -1;
    }
    close(in);
    return rc;
}

/* LMDB holds a shared lock on the first byte of lock.mdb for as long as a
 * process has the environment open; taking it exclusively proves nobody
 * does. The lock is kept (on *fd) until the restore is done. Returns 0 when
 * free (or there is no lock file), -1 when in use. */
static int take_db_lock(const char *lock_path, int *fd)
{
    *fd = open(lock_path, O_RDWR | O_CLOEXEC);
    if (*fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    return fcntl(*fd, F_SETLK, &fl) == 0 ? 0 : -1;
}

typedef struct restore_args {
    const char *from, *db, *log_key;
    bool force;
} restore_args;

typedef struct restore_paths {
    char data[PATH_CAP], lock[PATH_CAP], key[PATH_CAP], tmp_data[PATH_CAP], tmp_key[PATH_CAP];
} restore_paths;

/* The public key that must have signed the backup's log, and whether
 * --log-key is to be installed as DIR/log.key. */
static int pick_key(const restore_args *a, const restore_paths *p, uint8_t pub[32],
                    bool *install, char *err, size_t err_len)
{
    uint8_t have[32];
    bool dir_has_key = access(p->key, F_OK) == 0;
    *install = false;
    if (!a->log_key) {
        if (!dir_has_key) {
            snprintf(err, err_len,
                     "no log key to verify the backup with: pass --log-key KEYFILE (a copy of "
                     "the original database folder's log.key)");
            return -1;
        }
        return tnd__backup_log_pub(p->key, pub, err, err_len) == 0 ? 0 : -1;
    }
    if (tnd__backup_log_pub(a->log_key, pub, err, err_len) != 0)
        return -1;
    if (!dir_has_key) {
        *install = true;
        return 0;
    }
    if (tnd__backup_log_pub(p->key, have, err, err_len) != 0)
        return -1;
    if (memcmp(have, pub, 32) == 0)
        return 0;
    if (!a->force) {
        snprintf(err, err_len,
                 "%s is a different key than --log-key %s; pass --force to replace it", p->key,
                 a->log_key);
        return -1;
    }
    *install = true;
    return 0;
}

static int run_restore(const restore_args *a)
{
    static restore_paths p;
    char err[4 * PATH_CAP] = "";
    long pid = (long)getpid();
    if ((size_t)snprintf(p.data, sizeof p.data, "%s/%s", a->db, TND_BACKUP_DATA_FILE) >=
            sizeof p.data ||
        (size_t)snprintf(p.lock, sizeof p.lock, "%s/%s", a->db, TND_BACKUP_LOCK_FILE) >=
            sizeof p.lock ||
        (size_t)snprintf(p.key, sizeof p.key, "%s/%s", a->db, TND_BACKUP_KEY_FILE) >=
            sizeof p.key ||
        (size_t)snprintf(p.tmp_data, sizeof p.tmp_data, "%s/.%s.tmp%ld", a->db,
                         TND_BACKUP_DATA_FILE, pid) >= sizeof p.tmp_data ||
        (size_t)snprintf(p.tmp_key, sizeof p.tmp_key, "%s/.%s.tmp%ld", a->db,
                         TND_BACKUP_KEY_FILE, pid) >= sizeof p.tmp_key) {
        fprintf(stderr, "tenderd restore: path too long\n");
        return 2;
    }
    struct stat st;
    if (stat(a->from, &st) != 0) {
        fprintf(stderr, "tenderd restore: cannot read %s: %s\n", a->from, strerror(errno));
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "tenderd restore: refusing %s: not a regular file\n", a->from);
        return 1;
    }
    if (mkdir(a->db, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "tenderd restore: cannot create %s: %s\n", a->db, strerror(errno));
        return 1;
    }
    if (access(p.data, F_OK) == 0 && !a->force) {
        fprintf(stderr,
                "tenderd restore: %s already holds a database (%s); refusing to replace it "
                "without --force\n",
                a->db, p.data);
        return 1;
    }
    int lock_fd = -1, ret = 1;
    bool install_key;
    uint8_t pub[32];
    if (take_db_lock(p.lock, &lock_fd) != 0) {
        fprintf(stderr,
                "tenderd restore: the database in %s is open in another process (a running "
                "tenderd?): stop it first\n",
                a->db);
        goto unlock;
    }
    if (pick_key(a, &p, pub, &install_key, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd restore: %s\n", err);
        goto unlock;
    }
    if (copy_file(a->from, p.tmp_data, err, sizeof err) != 0 ||
        (install_key && copy_file(a->log_key, p.tmp_key, err, sizeof err) != 0)) {
        fprintf(stderr, "tenderd restore: %s\n", err);
        goto remove_tmp;
    }
    tnd_tlog_checked checked;
    if (tnd__backup_verify(p.tmp_data, pub, &checked, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd restore: refusing %s, it does not verify: %s\n", a->from, err);
        goto remove_tmp;
    }
    if ((install_key && rename(p.tmp_key, p.key) != 0) || rename(p.tmp_data, p.data) != 0) {
        fprintf(stderr, "tenderd restore: cannot install the files in %s: %s\n", a->db,
                strerror(errno));
        goto remove_tmp;
    }
    if (tnd__backup_sync_dir(a->db) != 0) {
        fprintf(stderr, "tenderd restore: cannot sync the folder %s: %s\n", a->db,
                strerror(errno));
        goto unlock;
    }
    char what[1024];
    tnd__backup_describe(&checked, pub, what, sizeof what);
    printf("restored %s into %s%s\n%s\n", a->from, p.data,
           install_key ? " (and the log key into log.key)" : "", what);
    if (checked.size > 0)
        printf("start tenderd with --db %s --log-origin %s\n", a->db, checked.origin);
    ret = 0;
    goto unlock;
remove_tmp:
    unlink(p.tmp_data);
    unlink(p.tmp_key);
unlock:
    if (lock_fd >= 0)
        close(lock_fd);
    return ret;
}

int tnd_restore_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"log-key", required_argument, NULL, 'k'},
        {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    restore_args a = {0};
    const char *db_flag = NULL, *config = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': a.from = optarg; break;
        case 'd': db_flag = optarg; break;
        case 'c': config = optarg; break;
        case 'k': a.log_key = optarg; break;
        case 'F': a.force = true; break;
        case 'h': restore_usage(stdout); return 0;
        default: restore_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tenderd restore: unexpected argument \"%s\" (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (!a.from || !*a.from) {
        fprintf(stderr, "tenderd restore: --from FILE is required (see --help)\n");
        return 2;
    }
    static tnd_config cfg;
    char err[1024];
    if (tnd__backup_db_dir(config, db_flag, &cfg, &a.db, err, sizeof err) != 0) {
        fprintf(stderr, "tenderd restore: %s\n", err);
        return 2;
    }
    if (!*a.db) {
        fprintf(stderr, "tenderd restore: --db: the folder name is empty\n");
        return 2;
    }
    return run_restore(&a);
}
