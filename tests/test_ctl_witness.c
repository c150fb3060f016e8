/* Witnesses end to end: the real tenderd sends its checkpoints to two real
 * tenderwitness processes and serves their cosignatures; the real tenderctl
 * trusts only what its policy's witnesses cosigned. Then the log is forked
 * (two databases from one backup, each extended): the witnesses refuse the
 * second branch and keep the evidence, and a client that saw the first
 * branch refuses the second and keeps both checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctlrun.h"
#include "scrape.h"

#define N_WIT 2
static const char *const wit_names[N_WIT] = {"audit.example/witness", "review.example/witness"};

static char log_vkey[512];
static char wit_vkey[N_WIT][512];
static char wit_dir[N_WIT][300];
static int wit_port[N_WIT];
static pid_t wit_pid[N_WIT];
static char committee[300], policy_file[300];

/* ---- processes ---- */

static char wit_bin[300];

/* Run tenderwitness with args (NULL-terminated) and wait; its stdout into out. */
static int witness_run(char *out, size_t cap, ...)
{
    const char *argv[16] = {wit_bin};
    int n = 1;
    va_list ap;
    va_start(ap, cap);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 15;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execv(wit_bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t k;
    while ((k = read(fds[0], out + got, cap - 1 - got)) > 0)
        got += (size_t)k;
    out[got] = '\0';
    close(fds[0]);
    return ctl_wait(pid);
}

static int witness_start(int i)
{
    char listen[64], log[320];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", wit_port[i]);
    snprintf(log, sizeof log, "%s.log", wit_dir[i]);
    fflush(NULL);
    wit_pid[i] = fork();
    if (wit_pid[i] < 0)
        return -1;
    if (wit_pid[i] == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execl(wit_bin, wit_bin, "serve", "--state", wit_dir[i], "--listen", listen, "--log",
              log_vkey, (char *)NULL);
        _exit(127);
    }
    return 0;
}

static void witness_stop(int i)
{
    if (wit_pid[i] > 0) {
        kill(wit_pid[i], SIGTERM);
        (void)ctl_wait(wit_pid[i]);
    }
    wit_pid[i] = 0;
}

/* SIGTERM: tenderd drains and exits, so its database can be copied. */
static void server_stop(void)
{
    if (ctl_srv_pid > 0) {
        kill(ctl_srv_pid, SIGTERM);
        assert_int_equal(ctl_wait(ctl_srv_pid), 0);
    }
    ctl_srv_pid = 0;
}

static void server_start(void)
{
    const char *extra[] = {"--witness-policy", policy_file, "--witness-interval", "50ms", NULL};
    assert_int_equal(ctlrun_start_server(extra), 0);
}

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    assert_int_equal(system(cmd), 0);
}

/* ---- the log ---- */

/* A draft tender: two events (created, and nothing else), enough to grow the log. */
static void grow(const char *title)
{
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", title, "--budget", "100", "--currency", "EUR",
        "--deadline", dl, "--opening", op, "--committee", committee, NULL);
    EXPECT(0);
}

static unsigned long long size_in(const char *out)
{
    const char *p = strstr(out, "size:");
    assert_non_null(p);
    return strtoull(p + 5, NULL, 10);
}

/* The latest (unwitnessed) size, as the log signed it. */
static unsigned long long latest_size(void)
{
    ctl(NULL, "--log-key", log_vkey, "audit", "checkpoint", NULL);
    EXPECT(0);
    return size_in(R.out);
}

/* `audit checkpoint` with witness keys and a threshold, until the witnessed
 * size reaches at least size (10 s at most); its result stays in R. */
static void await_witnessed(unsigned long long size, int threshold)
{
    char k[8];
    snprintf(k, sizeof k, "%d", threshold);
    for (int i = 0; i < 200; i++) {
        ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
            "--witness-threshold", k, "audit", "checkpoint", NULL);
        if (R.code == 0 && size_in(R.out) >= size)
            return;
        usleep(50 * 1000);
    }
    fail_msg("the log of size %llu was not witnessed by %d within 10 s; last: exit %d\n%s%s", size,
             threshold, R.code, R.out, R.err);
}

/* ---- setup ---- */

static int setup(void **state)
{
    (void)state;
    static const char *const unset[] = {"TENDER_LOG_KEY", "TENDER_WITNESS_POLICY", NULL};
    if (ctlrun_init("/tmp/tnd_witness_XXXXXX", unset) != 0)
        return -1;
    snprintf(wit_bin, sizeof wit_bin, "%s/bin/tenderwitness", getenv("BUILD") ? getenv("BUILD") : "build");
    char db[300];
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, log_vkey, sizeof log_vkey) != 0)
        return -1;
    path(committee, sizeof committee, "committee.txt");
    char members[256] = "";
    for (int i = 0; i < 2; i++) {
        uint8_t k[32];
        unsigned char b64[64];
        if (RAND_bytes(k, sizeof k) != 1)
            return -1;
        EVP_EncodeBlock(b64, k, sizeof k);
        snprintf(members + strlen(members), sizeof members - strlen(members), "%s  %s\n",
                 i ? "Lee Ji-eun" : "Kim Min-jun", b64);
    }
    write_file(committee, members, strlen(members));
    char policy[4096];
    size_t n = (size_t)snprintf(policy, sizeof policy, "# the witnesses of this log\n");
    for (int i = 0; i < N_WIT; i++) {
        char out[1024];
        snprintf(wit_dir[i], sizeof wit_dir[i], "%s/w%d", ctl_dir, i);
        if (witness_run(out, sizeof out, "init", "--state", wit_dir[i], "--name", wit_names[i],
                        NULL) != 0 ||
            witness_run(wit_vkey[i], sizeof wit_vkey[i], "print-key", "--state", wit_dir[i],
                        NULL) != 0)
            return -1;
        wit_vkey[i][strcspn(wit_vkey[i], "\n")] = '\0';
        wit_port[i] = scrape_free_port();
        if (witness_start(i) != 0)
            return -1;
        n += (size_t)snprintf(policy + n, sizeof policy - n, "witness w%d %s http://127.0.0.1:%d\n",
                              i, wit_vkey[i], wit_port[i]);
    }
    /* The log counts a checkpoint as witnessed with either; clients decide for themselves. */
    snprintf(policy + n, sizeof policy - n, "group either any w0 w1\nquorum either\n");
    path(policy_file, sizeof policy_file, "witnesses.policy");
    write_file(policy_file, policy, strlen(policy));
    const char *extra[] = {"--witness-policy", policy_file, "--witness-interval", "50ms", NULL};
    return ctlrun_start_server(extra);
}

static int teardown(void **state)
{
    for (int i = 0; i < N_WIT; i++)
        witness_stop(i);
    return ctlrun_teardown(state);
}

/* ---- tests ---- */

/* Both witnesses cosign a growing log; tenderctl names them, and a saved
 * witnessed checkpoint is extended by the next witnessed one. */
static void test_witnesses_cosign_a_growing_log(void **state)
{
    (void)state;
    grow("Road salt");
    await_witnessed(latest_size(), 2);
    HAS(R.out, "cosigned by audit.example/witness at ");
    HAS(R.out, "cosigned by review.example/witness at ");
    char saved[300];
    path(saved, sizeof saved, "witnessed.cp");
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);
    unsigned long long first = size_in(R.out);

    grow("Snow ploughs");
    unsigned long long now = latest_size();
    assert_true(now > first);
    await_witnessed(now, 2);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "audit", "consistency", "--from", saved, NULL);
    EXPECT(0);
    HAS(R.out, "is a prefix of size");

    /* A policy file gives the same answer; a witness key that is not one is refused. */
    char file[300], text[2048];
    path(file, sizeof file, "client.policy");
    snprintf(text, sizeof text, "witness a %s\nwitness r %s\ngroup both all a r\nquorum both\n",
             wit_vkey[0], wit_vkey[1]);
    write_file(file, text, strlen(text));
    ctl(NULL, "--log-key", log_vkey, "--witness-policy", file, "audit", "checkpoint", NULL);
    EXPECT(0);
    HAS(R.out, "cosigned by a at ");
    ctl(NULL, "--log-key", log_vkey, "--witness", log_vkey, "audit", "checkpoint", NULL);
    EXPECT(2);
    HAS(R.err, "is not a witness key");
}

/* audit watch with witnesses follows the witnessed checkpoint: a tender
 * created while it runs shows up as a new witnessed size, consistent with
 * the one before. */
static void test_watch_follows_the_witnessed_checkpoint(void **state)
{
    (void)state;
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    await_witnessed(latest_size(), 2);
    unsigned long long before = size_in(R.out);
    pid_t writer = ctl_later(600, "officer", "tender", "create", "--title", "Watched", "--budget",
                             "100", "--currency", "EUR", "--deadline", dl, "--opening", op,
                             "--committee", committee, NULL);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "--timeout", "2.5", "audit", "watch", NULL);
    assert_int_equal(ctl_wait(writer), 0);
    EXPECT(0);
    char want[64];
    snprintf(want, sizeof want, "size %llu root ", before);
    HAS(R.out, want); /* the witnessed checkpoint at the start */
    snprintf(want, sizeof want, "consistent with %llu: OK\n", before);
    HAS(R.out, want); /* and the next one, once cosigned */
}

/* One witness down: the log still gets the other's cosignature; a client
 * that needs both refuses and names the one missing; restarted, the witness
 * catches up (tenderd learns its size from the 409 answer). */
static void test_threshold_of_two_refuses_one_cosignature(void **state)
{
    (void)state;
    witness_stop(1);
    grow("Grit bins");
    unsigned long long now = latest_size();
    await_witnessed(now, 1);
    assert_non_null(strstr(R.out, "cosigned by audit.example/witness"));
    HAS_NOT(R.out, "cosigned by review.example/witness");

    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "--witness-threshold", "2", "audit", "checkpoint", NULL);
    EXPECT(4);
    HAS(R.err, "lacks the witness cosignatures the policy needs");
    HAS(R.err, "cosigned by: audit.example/witness; missing: review.example/witness");

    assert_int_equal(witness_start(1), 0);
    await_witnessed(now, 2);
}

/* An evidence bundle keeps the witnessed checkpoint with its cosignatures:
 * verified from the file, it names the witnesses; a policy that needs a
 * witness who did not cosign fails its checkpoint check. */
static void test_a_bundle_keeps_the_witnessed_checkpoint(void **state)
{
    (void)state;
    char dl[32], op[32], id[80], bundle[300];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", "Street lights", "--budget", "100",
        "--currency", "EUR", "--deadline", dl, "--opening", op, "--committee", committee, NULL);
    EXPECT(0);
    snprintf(id, sizeof id, "%.*s", (int)strcspn(R.out, "\n"), R.out);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);

    /* A supplier's receipt is issued before any witness saw it; with a
     * policy, --verify proves its leaf is in the witnessed checkpoint once
     * it is (exit 24, "ask again", until then). */
    char bids[300], bid[80];
    path(bids, sizeof bids, "bids");
    await_witnessed(latest_size(), 2);
    witness_stop(0);
    witness_stop(1);
    ctl("supplier", "--log-key", log_vkey, "bid", "submit", id, "--price", "90", "--currency",
        "EUR", "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(bid, sizeof bid);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "bid", "receipt", id, bid, "--verify", "--bids-dir", bids, NULL);
    EXPECT(24);
    HAS(R.err, "is not yet in the checkpoint of size");
    assert_int_equal(witness_start(0), 0);
    assert_int_equal(witness_start(1), 0);
    await_witnessed(latest_size(), 2);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "bid", "receipt", id, bid, "--verify", "--bids-dir", bids, NULL);
    EXPECT(0);
    HAS(R.out, "its leaf is in today's witnessed checkpoint");

    await_witnessed(latest_size(), 2);
    path(bundle, sizeof bundle, "lights.bundle");
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "audit", "bundle", id, "--out", bundle, NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "audit", "verify", "--bundle", bundle, NULL);
    EXPECT(0);
    HAS(R.out, "cosigned by audit.example/witness review.example/witness");

    /* A third witness, who never saw this log, is required too. */
    char dir3[320], out[1024], vkey3[512];
    snprintf(dir3, sizeof dir3, "%s/w-other", ctl_dir);
    assert_int_equal(witness_run(out, sizeof out, "init", "--state", dir3, "--name",
                                 "monitor.example/witness", NULL),
                     0);
    assert_int_equal(witness_run(vkey3, sizeof vkey3, "print-key", "--state", dir3, NULL), 0);
    vkey3[strcspn(vkey3, "\n")] = '\0';
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "--witness", vkey3, "audit", "verify", "--bundle", bundle, NULL);
    EXPECT(4);
    HAS(R.out, "missing: monitor.example/witness");
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "--witness", vkey3, "bid", "receipt", id, bid, "--verify", "--bids-dir", bids, NULL);
    EXPECT(4);
    HAS(R.err, "missing: monitor.example/witness");
}

/* Two databases from one backup, each extended. */
static void test_a_forked_log_is_refused_and_both_checkpoints_are_kept(void **state)
{
    (void)state;
    char db[300], backup[300], branch_a[300], saved[300];
    path(db, sizeof db, "db");
    path(backup, sizeof backup, "db.backup");
    path(branch_a, sizeof branch_a, "db.branch-a");
    path(saved, sizeof saved, "branch-a.cp");
    server_stop();
    sh("cp -a '%s' '%s'", db, backup);

    /* Branch A: one more tender, witnessed by both; an auditor keeps it. */
    server_start();
    grow("Branch A: bridge repair");
    await_witnessed(latest_size(), 2);
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness", wit_vkey[1],
        "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);
    unsigned long long size_a = size_in(R.out);
    server_stop();
    sh("mv '%s' '%s'", db, branch_a);
    sh("cp -a '%s' '%s'", backup, db);

    /* Branch B: the same key, another history, longer than A's. */
    server_start();
    grow("Branch B: a different tender");
    grow("Branch B: and another");
    unsigned long long size_b = latest_size();
    assert_true(size_b > size_a);

    /* Each witness refuses B and keeps the evidence: its own cosigned A and B's
     * checkpoint in one file (B's restart at the backup's size is kept too, as a
     * rollback). */
    char a_line[32], b_line[32];
    snprintf(a_line, sizeof a_line, "\n%llu\n", size_a);
    snprintf(b_line, sizeof b_line, "\n%llu\n", size_b);
    for (int i = 0; i < N_WIT; i++) {
        char evdir[700], file[1000];
        static char ev[1 << 16];
        bool found = false;
        snprintf(evdir, sizeof evdir, "%s/evidence", wit_dir[i]);
        for (int t = 0; t < 200 && !found; t++) {
            DIR *d = opendir(evdir);
            for (struct dirent *e; d && !found && (e = readdir(d)) != NULL;) {
                snprintf(file, sizeof file, "%s/%s", evdir, e->d_name);
                found = e->d_name[0] != '.' && read_file(file, ev, sizeof ev) > 0 &&
                        strstr(ev, a_line) && strstr(ev, b_line);
            }
            if (d)
                closedir(d);
            if (!found)
                usleep(50 * 1000);
        }
        if (!found)
            fail_msg("witness %d kept no evidence of sizes %llu and %llu in %s", i, size_a,
                     size_b, evdir);
    }
    /* B never gets a witnessed checkpoint past the fork. */
    ctl(NULL, "--log-key", log_vkey, "--witness", wit_vkey[0], "--witness-threshold", "1",
        "audit", "checkpoint", NULL);
    EXPECT(0);
    assert_true(size_in(R.out) < size_a);

    /* The auditor who kept A's checkpoint refuses B, and keeps both. */
    ctl(NULL, "--log-key", log_vkey, "audit", "consistency", "--from", saved, NULL);
    EXPECT(4);
    HAS(R.err, "branch-a.cp.evidence");
    char evfile[320];
    static char ev[1 << 16];
    snprintf(evfile, sizeof evfile, "%s.evidence", saved);
    assert_true(read_file(evfile, ev, sizeof ev) > 0);
    HAS(ev, "tender log evidence v1");
    char line[64];
    snprintf(line, sizeof line, "-- trusted checkpoint %llu\n", size_a);
    HAS(ev, line);
    snprintf(line, sizeof line, "-- conflicting checkpoint %llu\n", size_b);
    HAS(ev, line);
    static char a_note[8192];
    assert_true(read_file(saved, a_note, sizeof a_note) > 0);
    HAS(ev, a_note);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_witnesses_cosign_a_growing_log),
        cmocka_unit_test(test_watch_follows_the_witnessed_checkpoint),
        cmocka_unit_test(test_threshold_of_two_refuses_one_cosignature),
        cmocka_unit_test(test_a_bundle_keeps_the_witnessed_checkpoint),
        cmocka_unit_test(test_a_forked_log_is_refused_and_both_checkpoints_are_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
