/* Backup and restore: `tenderd backup` copies a database while the real
 * tenderd binary keeps committing writes; `tenderd restore` installs the copy
 * in a new folder, where a server starts (its start-up check verifies the
 * transparency log) and holds every write acknowledged before the backup
 * began. Backups whose log does not verify, truncated files and files that
 * are not LMDB are refused; so are targets that already hold a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tender/encoding.h"
#include "rawconn.h"
#include "tender/audit.h"
#include "tender/pki.h"
#include "tender_schema.h"
#include "testsrv.h"
#include "scrape.h"

#define M(name) "tender.tenders.v1.Tenders/" #name
#define MAX_ACKED 100000
#define BEFORE_BACKUP 40 /* acknowledged creates before the backup starts */

static char dir[256], pki[300], db[300], bin[300], ctl_bin[300];
static int port;
static pid_t server_pid;

/* The last tenderd command's exit status and output. */
static struct {
    int code;
    char out[8192], err[8192];
} run_result;

static void slurp(const char *p, char *buf, size_t cap)
{
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Run `PROG ARGS...` (NULL-terminated) and wait; result in run_result. */
static int vrun(const char *prog, const char *first, va_list ap)
{
    const char *argv[32] = {prog, first};
    int n = 2;
    while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
        n++;
    argv[n] = NULL;
    char out[300], err[300];
    snprintf(out, sizeof out, "%s/run.out", dir);
    snprintf(err, sizeof err, "%s/run.err", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
            _exit(126);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    run_result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    slurp(out, run_result.out, sizeof run_result.out);
    slurp(err, run_result.err, sizeof run_result.err);
    return run_result.code;
}

static int run_tenderctl(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = vrun(ctl_bin, first, ap);
    va_end(ap);
    return rc;
}

/* `tenderd ARGS...` */
static int run(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = vrun(bin, first, ap);
    va_end(ap);
    return rc;
}

/* `tenderctl --server ... --ca ... --cert WHO.crt --key WHO.key ARGS...` */
static int run_ctl(const char *who, const char *arg)
{
    char server[64], ca[400], crt[400], key[400];
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(crt, sizeof crt, "%s/%s.crt", pki, who);
    snprintf(key, sizeof key, "%s/%s.key", pki, who);
    return run_tenderctl("--server", server, "--ca", ca, "--cert", crt, "--key", key, arg,
                         (char *)NULL);
}

#define EXPECT_RUN(want)                                                                           \
    do {                                                                                           \
        if (run_result.code != (want))                                                             \
            fail_msg("tenderd exit %d, expected %d\nstdout: %s\nstderr: %s", run_result.code,     \
                     (want), run_result.out, run_result.err);                                      \
    } while (0)

#define HAS(text, needle)                                                                          \
    do {                                                                                           \
        if (!strstr((text), (needle)))                                                             \
            fail_msg("expected \"%s\" in:\n%s", (needle), (text));                                 \
    } while (0)

/* Start tenderd on on_db; with --backup-dir backup_dir when not NULL. */
static void start_server_with(const char *on_db, const char *backup_dir)
{
    char listen[64], cert[400], key[400], ca[400];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    server_pid = fork();
    assert_true(server_pid >= 0);
    if (server_pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/tenderd.log", dir);
        if (!freopen(log, "a", stderr))
            _exit(126);
        execl(bin, bin, "--listen", listen, "--cert", cert, "--key", key, "--ca", ca, "--db",
              on_db, "--log-level", "error", backup_dir ? "--backup-dir" : (char *)NULL,
              backup_dir, (char *)NULL);
        _exit(127);
    }
}

static void start_server(const char *on_db)
{
    start_server_with(on_db, NULL);
}

static void stop_server(void)
{
    if (server_pid <= 0)
        return;
    kill(server_pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(server_pid, &status, 0), server_pid);
    server_pid = 0;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int connect_as(rawconn *c, const char *who)
{
    char ca[400], crt[400], key[400];
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(crt, sizeof crt, "%s/%s.crt", pki, who);
    snprintf(key, sizeof key, "%s/%s.key", pki, who);
    for (int i = 0; i < 500; i++) { /* until the server listens */
        if (rawconn_open(c, port, ca, crt, key) == 0) {
            rawconn_settings(c);
            return 0;
        }
        rawconn_close(c);
        usleep(20000);
    }
    return -1;
}

static int connect_officer(rawconn *c)
{
    return connect_as(c, "officer");
}

static int create_tender(rawconn *c, uint32_t sid, const char *title, char *id, size_t id_len)
{
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_TenderFields f;
    tender_tenders_v1_TenderFields_init(&f);
    f.title = (char *)title;
    q.fields = &f;
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    char msg[300];
    int st = rawconn_call(c, sid, M(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                          &tender_tenders_v1_Tender_desc, &t, msg, sizeof msg, NULL, 0);
    if (st == 0)
        snprintf(id, id_len, "%s", t.id);
    tender_tenders_v1_Tender_free(&t);
    return st;
}

/* ---- a writer that keeps creating tenders ---- */

typedef struct acked {
    char id[32];
    char title[32];
} acked;

static acked done[MAX_ACKED];
static atomic_int n_done;    /* entries of done[] that are filled */
static atomic_bool stop_writing;
static atomic_int writer_rc; /* 0, or the transport error that ended it */

static void *writer(void *arg)
{
    (void)arg;
    rawconn c;
    if (connect_officer(&c) != 0) {
        atomic_store(&writer_rc, -1);
        return NULL;
    }
    uint32_t sid = 1;
    for (int seq = 0; !atomic_load(&stop_writing) && seq < MAX_ACKED; seq++, sid += 2) {
        int n = atomic_load(&n_done);
        snprintf(done[n].title, sizeof done[n].title, "backup %d", seq);
        int st = create_tender(&c, sid, done[n].title, done[n].id, sizeof done[n].id);
        if (st < 0) {
            atomic_store(&writer_rc, st);
            break;
        }
        if (st == 0)
            atomic_store(&n_done, n + 1); /* acknowledged: durable from here on */
    }
    rawconn_close(&c);
    return NULL;
}

/* Every acknowledged tender in done[0, n) is on the server, intact. */
static void expect_tenders(int n)
{
    rawconn c;
    assert_int_equal(connect_officer(&c), 0);
    uint32_t sid = 1;
    for (int i = 0; i < n; i++, sid += 2) {
        tender_tenders_v1_TenderRef r = {.id = done[i].id};
        tender_tenders_v1_Tender t;
        tender_tenders_v1_Tender_init(&t);
        char msg[300];
        int st = rawconn_call(&c, sid, M(Get), &tender_tenders_v1_TenderRef_desc, &r,
                              &tender_tenders_v1_Tender_desc, &t, msg, sizeof msg, NULL, 0);
        if (st != 0)
            fail_msg("tender %s acknowledged before the backup is missing after the restore: "
                     "%d %s",
                     done[i].id, st, msg);
        assert_non_null(t.fields);
        assert_string_equal(t.fields->title, done[i].title);
        tender_tenders_v1_Tender_free(&t);
    }
    rawconn_close(&c);
}

/* The server's latest checkpoint, its signature checked with vkey. */
static void get_checkpoint(const char *vkey, tnd_checkpoint *cp)
{
    rawconn c;
    assert_int_equal(connect_officer(&c), 0);
    tender_common_v1_Empty e;
    tender_common_v1_Empty_init(&e);
    tender_log_v1_Checkpoint r;
    tender_log_v1_Checkpoint_init(&r);
    char msg[300];
    assert_int_equal(rawconn_call(&c, 1, "tender.log.v1.Log/GetCheckpoint",
                                  &tender_common_v1_Empty_desc, &e, &tender_log_v1_Checkpoint_desc,
                                  &r, msg, sizeof msg, NULL, 0),
                     0);
    tnd_note_verifier v;
    assert_int_equal(tnd_note_verifier_parse(vkey, &v), 0);
    assert_non_null(r.note);
    assert_int_equal(tnd_checkpoint_verify(r.note, strlen(r.note), &v, cp), 0);
    tender_log_v1_Checkpoint_free(&r);
    rawconn_close(&c);
}

/* The server's log of root2 at size2 extends the tree (size1, root1). */
static void expect_consistent(uint64_t size1, const uint8_t root1[32], uint64_t size2,
                              const uint8_t root2[32])
{
    if (size1 == size2) {
        assert_memory_equal(root1, root2, 32);
        return;
    }
    rawconn c;
    assert_int_equal(connect_officer(&c), 0);
    tender_log_v1_ConsistencyProofRequest q = {.first = size1, .second = size2};
    tender_log_v1_ConsistencyProof r;
    tender_log_v1_ConsistencyProof_init(&r);
    char msg[300];
    assert_int_equal(rawconn_call(&c, 1, "tender.log.v1.Log/GetConsistencyProof",
                                  &tender_log_v1_ConsistencyProofRequest_desc, &q,
                                  &tender_log_v1_ConsistencyProof_desc, &r, msg, sizeof msg, NULL,
                                  0),
                     0);
    uint8_t proof[64][32];
    assert_true(r.n_hashes <= 64);
    for (size_t i = 0; i < r.n_hashes; i++) {
        assert_int_equal(r.hashes[i].len, 32);
        memcpy(proof[i], r.hashes[i].data, 32);
    }
    assert_int_equal(tnd_merkle_verify_consistency(size1, size2, root1, root2,
                                                   (const uint8_t(*)[32])proof, r.n_hashes),
                     0);
    tender_log_v1_ConsistencyProof_free(&r);
    rawconn_close(&c);
}

/* The root (base64) after "root " in a backup's or restore's report. */
static void reported_root(const char *out, uint8_t root[32])
{
    const char *p = strstr(out, " root ");
    assert_non_null(p);
    size_t n;
    assert_int_equal(tnd_base64_decode(p + 6, 44, root, 32, &n), 0);
    assert_int_equal(n, 32);
}

/* "tree size N" in a backup's or restore's report. */
static unsigned long long reported_size(const char *out)
{
    const char *p = strstr(out, "tree size ");
    assert_non_null(p);
    return strtoull(p + 10, NULL, 10);
}

static void file_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* No temporary file left behind in folder d. */
static void expect_no_tmp(const char *d)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp'", d);
    if (system(cmd) == 0)
        fail_msg("a temporary file was left in %s", d);
}

/* ---- tests ---- */

static void test_backup_while_writing_then_restore(void **state)
{
    (void)state;
    start_server(db);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer, NULL), 0);
    for (int i = 0; i < 3000 && atomic_load(&n_done) < BEFORE_BACKUP; i++) {
        assert_int_equal(atomic_load(&writer_rc), 0);
        usleep(10000);
    }
    /* Everything acknowledged so far must be in the backup; the writer goes
     * on while the backup runs. */
    int before = atomic_load(&n_done);
    assert_true(before >= BEFORE_BACKUP);
    char out[300];
    file_path(out, sizeof out, "backup.mdb");
    run("backup", "--db", db, "--out", out, (char *)NULL);
    int during = atomic_load(&n_done) - before;
    EXPECT_RUN(0);
    HAS(run_result.out, "log verified: tree size");
    assert_true(reported_size(run_result.out) >= (unsigned long long)before);
    uint64_t backup_size = reported_size(run_result.out);
    uint8_t backup_root[32];
    reported_root(run_result.out, backup_root);
    atomic_store(&stop_writing, true);
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&writer_rc), 0);
    print_message("backup: %d creates acknowledged before it began, %d while it ran; %s",
                  before, during, run_result.out);
    /* The backup's tree is a prefix of the live log, which went on. */
    char vkey[sizeof run_result.out];
    run("--db", db, "--print-log-key", (char *)NULL);
    EXPECT_RUN(0);
    snprintf(vkey, sizeof vkey, "%s", run_result.out);
    vkey[strcspn(vkey, "\n")] = '\0';
    tnd_checkpoint live;
    get_checkpoint(vkey, &live);
    assert_true(live.size >= backup_size);
    expect_consistent(backup_size, backup_root, live.size, live.root);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0077, 0); /* the backup holds the whole database */
    expect_no_tmp(dir);
    stop_server();

    char db2[300], key[400];
    file_path(db2, sizeof db2, "restored");
    snprintf(key, sizeof key, "%s/log.key", db);
    run("restore", "--from", out, "--db", db2, "--log-key", key, (char *)NULL);
    EXPECT_RUN(0);
    HAS(run_result.out, "log verified: tree size");
    assert_int_equal(reported_size(run_result.out), backup_size);
    expect_no_tmp(db2);
    run("--db", db2, "--print-log-key", (char *)NULL);
    EXPECT_RUN(0);
    run_result.out[strcspn(run_result.out, "\n")] = '\0';
    assert_string_equal(run_result.out, vkey); /* the same log key, not a new one */

    /* The server starts only if the restored log verifies (start-up check);
     * its checkpoint is the backup's: the live log extends it. */
    start_server(db2);
    expect_tenders(before);
    tnd_checkpoint restored;
    get_checkpoint(vkey, &restored);
    assert_int_equal(restored.size, backup_size);
    assert_memory_equal(restored.root, backup_root, 32);
    stop_server();
}

/* Make a backup of the (stopped) test database into dir/NAME. */
static void backup_to(const char *name, char *out, size_t len)
{
    file_path(out, len, name);
    run("backup", "--db", db, "--out", out, (char *)NULL);
    EXPECT_RUN(0);
}

/* Flip one byte of the value under key in table of the LMDB file f. */
static void alter_value(const char *f, const char *table, const void *key, size_t klen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, f, MDB_NOSUBDIR | MDB_NOLOCK, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, table, 0, &dbi), 0);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)key}, v;
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    uint8_t buf[4096];
    assert_true(v.mv_size > 0 && v.mv_size <= sizeof buf);
    memcpy(buf, v.mv_data, v.mv_size);
    buf[v.mv_size - 1] ^= 0x01;
    v.mv_data = buf;
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void expect_restore_refused(const char *from, const char *why)
{
    char db3[300], key[400];
    file_path(db3, sizeof db3, "refused");
    snprintf(key, sizeof key, "%s/log.key", db);
    run("restore", "--from", from, "--db", db3, "--log-key", key, (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, why);
    /* Nothing installed, nothing left behind. */
    char data[400];
    snprintf(data, sizeof data, "%s/data.mdb", db3);
    assert_false(exists(data));
    snprintf(data, sizeof data, "%s/log.key", db3);
    assert_false(exists(data));
    expect_no_tmp(db3);
}

static void test_altered_backup_refused(void **state)
{
    (void)state;
    char f[300];
    /* One event (a leaf's bytes) changed. */
    backup_to("event.mdb", f, sizeof f);
    uint8_t seq[8] = {0, 0, 0, 0, 0, 0, 0, 3};
    alter_value(f, "events", seq, sizeof seq);
    expect_restore_refused(f, "event 3 does not match leaf 3 of the log");
    /* One stored leaf hash changed. */
    backup_to("node.mdb", f, sizeof f);
    uint8_t node[10] = {'n', 0, 0, 0, 0, 0, 0, 0, 0, 5};
    alter_value(f, "log", node, sizeof node);
    expect_restore_refused(f, "does not match leaf 5 of the log");
    /* The checkpoint's signature changed. */
    backup_to("cp.mdb", f, sizeof f);
    alter_value(f, "log", "cp", 2);
    expect_restore_refused(f, "not signed by the log key");
}

static void test_other_log_key_refused(void **state)
{
    (void)state;
    char f[300], other[300], key[400];
    backup_to("good.mdb", f, sizeof f);
    /* A fresh folder gets a fresh log key: the backup is not signed by it. */
    file_path(other, sizeof other, "otherkey");
    run("--db", other, "--print-log-key", (char *)NULL);
    EXPECT_RUN(0);
    snprintf(key, sizeof key, "%s/log.key", other);
    char db3[300];
    file_path(db3, sizeof db3, "refused_key");
    run("restore", "--from", f, "--db", db3, "--log-key", key, (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, "not signed by the log key");
    /* And restore needs some key to verify with. */
    run("restore", "--from", f, "--db", db3, (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, "--log-key");
}

static void test_truncated_and_foreign_files_refused(void **state)
{
    (void)state;
    char f[300];
    backup_to("trunc.mdb", f, sizeof f);
    struct stat st;
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(truncate(f, st.st_size / 2), 0);
    expect_restore_refused(f, "truncated");
    assert_int_equal(truncate(f, 100), 0);
    expect_restore_refused(f, "not an LMDB database");
    file_path(f, sizeof f, "text.mdb");
    FILE *t = fopen(f, "w");
    assert_non_null(t);
    for (int i = 0; i < 4000; i++)
        fputs("not a database ", t);
    fclose(t);
    expect_restore_refused(f, "not an LMDB database");
    file_path(f, sizeof f, "empty.mdb");
    t = fopen(f, "w");
    assert_non_null(t);
    fclose(t);
    expect_restore_refused(f, "not an LMDB database");
    expect_restore_refused(dir, "not a regular file");
}

static void test_existing_database_refused(void **state)
{
    (void)state;
    char f[300];
    backup_to("again.mdb", f, sizeof f);
    run("restore", "--from", f, "--db", db, (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, "already holds a database");
    /* --force while a server has it open: refused. */
    start_server(db);
    rawconn c;
    assert_int_equal(connect_officer(&c), 0);
    rawconn_close(&c);
    run("restore", "--from", f, "--db", db, "--force", (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, "open in another process");
    stop_server();
    /* Stopped: --force replaces it, and the server starts on it. */
    run("restore", "--from", f, "--db", db, "--force", (char *)NULL);
    EXPECT_RUN(0);
    start_server(db);
    expect_tenders(BEFORE_BACKUP);
    stop_server();
}

static void test_failed_verification_deletes_the_copy(void **state)
{
    (void)state;
    char out[300], key[400], saved[300];
    /* The log key in the folder is not the one that signed the log. */
    snprintf(key, sizeof key, "%s/log.key", db);
    file_path(saved, sizeof saved, "saved.key");
    assert_int_equal(rename(key, saved), 0);
    char other[300], other_key[400];
    file_path(other, sizeof other, "otherkey2");
    run("--db", other, "--print-log-key", (char *)NULL);
    EXPECT_RUN(0);
    snprintf(other_key, sizeof other_key, "%s/log.key", other);
    assert_int_equal(link(other_key, key), 0);
    file_path(out, sizeof out, "bad.mdb");
    run("backup", "--db", db, "--out", out, (char *)NULL);
    assert_int_equal(unlink(key), 0);
    assert_int_equal(rename(saved, key), 0);
    EXPECT_RUN(1);
    HAS(run_result.err, "does not verify, deleted it");
    assert_false(exists(out));
    expect_no_tmp(dir);
}

/* Admin/Backup as who: the status; the result in *r when OK. */
static int rpc_backup(const char *who, tender_admin_v1_BackupResult *r, char *msg, size_t len)
{
    rawconn c;
    assert_int_equal(connect_as(&c, who), 0);
    tender_common_v1_Empty e;
    tender_common_v1_Empty_init(&e);
    int st = rawconn_call(&c, 1, "tender.admin.v1.Admin/Backup", &tender_common_v1_Empty_desc, &e,
                          &tender_admin_v1_BackupResult_desc, r, msg, len, NULL, 0);
    rawconn_close(&c);
    return st;
}

static void test_backup_over_rpc(void **state)
{
    (void)state;
    char msg[600];
    tender_admin_v1_BackupResult r;
    /* Off unless tenderd runs with --backup-dir. */
    start_server(db);
    tender_admin_v1_BackupResult_init(&r);
    assert_int_equal(rpc_backup("admin", &r, msg, sizeof msg), TND_STATUS_FAILED_PRECONDITION);
    HAS(msg, "--backup-dir");
    tender_admin_v1_BackupResult_free(&r);
    stop_server();

    char bdir[300];
    file_path(bdir, sizeof bdir, "rpc-backups");
    assert_int_equal(mkdir(bdir, 0700), 0);
    start_server_with(db, bdir);
    tender_admin_v1_BackupResult_init(&r);
    assert_int_equal(rpc_backup("officer", &r, msg, sizeof msg), TND_STATUS_PERMISSION_DENIED);
    tender_admin_v1_BackupResult_free(&r);
    tender_admin_v1_BackupResult_init(&r);
    int st = rpc_backup("admin", &r, msg, sizeof msg);
    if (st != 0)
        fail_msg("Admin/Backup: %d %s", st, msg);
    print_message("Admin/Backup: %s (%llu bytes), tree size %llu\n", r.file,
                  (unsigned long long)r.bytes, (unsigned long long)r.tree_size);
    assert_non_null(r.file);
    assert_int_equal(strncmp(r.file, bdir, strlen(bdir)), 0);
    struct stat st_file;
    assert_int_equal(stat(r.file, &st_file), 0);
    assert_int_equal((uint64_t)st_file.st_size, r.bytes);
    assert_true(r.tree_size >= BEFORE_BACKUP);
    assert_int_equal(r.root.len, 32);
    HAS(r.report, "log verified");
    /* The server's log extends the backup's. */
    char vkey[sizeof run_result.out];
    run("--db", db, "--print-log-key", (char *)NULL);
    EXPECT_RUN(0);
    snprintf(vkey, sizeof vkey, "%s", run_result.out);
    vkey[strcspn(vkey, "\n")] = '\0';
    tnd_checkpoint live;
    get_checkpoint(vkey, &live);
    expect_consistent(r.tree_size, r.root.data, live.size, live.root);
    /* tenderctl backup calls it too. */
    run_ctl("admin", "backup");
    EXPECT_RUN(0);
    HAS(run_result.out, "backup on the server: ");
    HAS(run_result.out, bdir);
    HAS(run_result.out, "log verified: tree size");
    run_ctl("officer", "backup");
    EXPECT_RUN(10 + TND_STATUS_PERMISSION_DENIED);
    stop_server();
    /* And it restores. */
    char db4[300], key[400];
    file_path(db4, sizeof db4, "restored_rpc");
    snprintf(key, sizeof key, "%s/log.key", db);
    run("restore", "--from", r.file, "--db", db4, "--log-key", key, (char *)NULL);
    EXPECT_RUN(0);
    assert_int_equal(reported_size(run_result.out), r.tree_size);
    tender_admin_v1_BackupResult_free(&r);
}

/* --config FILE names the folder as the server's own configuration does. */
static void test_config_file_names_the_db(void **state)
{
    (void)state;
    char ini[300], out[300], text[600];
    file_path(ini, sizeof ini, "tenderd.ini");
    file_path(out, sizeof out, "from-config.mdb");
    snprintf(text, sizeof text, "[server]\ndb = %s\n", db);
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    run("backup", "--config", ini, "--out", out, (char *)NULL);
    EXPECT_RUN(0);
    HAS(run_result.out, db);
    HAS(run_result.out, "log verified: tree size");
    /* A bad file is refused as tenderd refuses it. */
    f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[server]\nno-such-key = 1\n", f);
    fclose(f);
    run("backup", "--config", ini, "--out", out, (char *)NULL);
    EXPECT_RUN(2);
    HAS(run_result.err, "no-such-key");
    run("restore", "--config", ini, "--from", out, (char *)NULL);
    EXPECT_RUN(2);
    HAS(run_result.err, "no-such-key");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char data[400], none[300];
    run("backup", "--db", db, (char *)NULL);
    EXPECT_RUN(2);
    HAS(run_result.err, "--out FILE is required");
    snprintf(data, sizeof data, "%s/data.mdb", db);
    run("backup", "--db", db, "--out", data, (char *)NULL);
    EXPECT_RUN(2);
    HAS(run_result.err, "is the database itself");
    file_path(none, sizeof none, "nothing-here");
    run("backup", "--db", none, "--out", data, (char *)NULL);
    EXPECT_RUN(1);
    HAS(run_result.err, "no database in");
    assert_false(exists(none)); /* backup creates nothing */
    run("restore", "--db", none, (char *)NULL);
    EXPECT_RUN(2);
    HAS(run_result.err, "--from FILE is required");
    run("backup", "--help", (char *)NULL);
    EXPECT_RUN(0);
    HAS(run_result.out, "usage: tenderd backup");
    run("restore", "--help", (char *)NULL);
    EXPECT_RUN(0);
    HAS(run_result.out, "usage: tenderd restore");
}

static int setup(void **state)
{
    (void)state;
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    snprintf(bin, sizeof bin, "%s/bin/tenderd", getenv("BUILD") ? getenv("BUILD") : "build");
    snprintf(ctl_bin, sizeof ctl_bin, "%s/bin/tenderctl",
             getenv("BUILD") ? getenv("BUILD") : "build");
    snprintf(dir, sizeof dir, "/tmp/tnd-backup-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(pki, sizeof pki, "%s/pki", dir);
    snprintf(db, sizeof db, "%s/db", dir);
    assert_int_equal(tnd_pki_init(pki, err, sizeof err), 0);
    port = scrape_free_port();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
    test_rmtree(dir);
    return 0;
}

int main(void)
{
    /* In order: the first test fills the database the others back up. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_while_writing_then_restore),
        cmocka_unit_test(test_altered_backup_refused),
        cmocka_unit_test(test_other_log_key_refused),
        cmocka_unit_test(test_truncated_and_foreign_files_refused),
        cmocka_unit_test(test_existing_database_refused),
        cmocka_unit_test(test_failed_verification_deletes_the_copy),
        cmocka_unit_test(test_backup_over_rpc),
        cmocka_unit_test(test_config_file_names_the_db),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests_name("backup", tests, setup, teardown);
}
