/* End-to-end tests of `tenderctl audit`: the real $BUILD/bin/tenderd runs as a
 * child process on a free loopback port with a fresh PKI; tenders are created
 * through the real $BUILD/bin/tenderctl so that events exist, and the audit
 * commands verify checkpoints, inclusion and consistency proofs against the
 * log key `tenderd --print-log-key` printed, and catch tampering. Each test
 * makes the events it looks at and finds them from the log's size before
 * (the group's log grows in whatever order the tests run); the empty log is
 * another server's, on a database nothing writes to. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctlrun.h"

static char committee[300];
static char vkey[400], other_vkey[400]; /* the server's log key; another log's */

/* Start tenderctl after delay_ms without waiting; its output is dropped. */
/* Does every line of text parse as JSON? (python3's json module judges.) */
static bool ndjson_ok(const char *text)
{
    char p[300], cmd[700];
    path(p, sizeof p, "check.json");
    write_file(p, text, strlen(text));
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' < '%s'", p);
    return system(cmd) == 0;
}

/* The number after label in the last stdout ("size:     12"). */
static unsigned long long number_after(const char *label)
{
    const char *p = strstr(R.out, label);
    if (!p)
        fail_msg("no \"%s\" in:\n%s", label, R.out);
    return strtoull(p + strlen(label), NULL, 10);
}

/* Create and publish a tender with the committee; its id into id. */
static void create_published(const char *title, char *id, size_t len)
{
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", title, "--budget", "100", "--currency", "EUR",
        "--deadline", dl, "--opening", op, "--committee", committee, NULL);
    EXPECT(0);
    snprintf(id, len, "%.*s", (int)strcspn(R.out, "\n"), R.out);
    assert_true(strncmp(id, "T-", 2) == 0);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
}

/* The current size of the log, through a verified checkpoint. */
static unsigned long long log_size(void)
{
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", NULL);
    EXPECT(0);
    return number_after("size:");
}

/* The size of the log, 0 while it is empty (no checkpoint yet). */
static unsigned long long size_now(void)
{
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", NULL);
    if (R.code == 10 + 5) /* NOT_FOUND */
        return 0;
    EXPECT(0);
    return number_after("size:");
}

/* The latest checkpoint saved into the file name (its path into p); one
 * tender first if the log is still empty. Its size. */
static unsigned long long saved_checkpoint(const char *name, char *p, size_t len)
{
    char id[64];
    if (size_now() == 0)
        create_published("Saved", id, sizeof id);
    path(p, len, name);
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", "--save", p, NULL);
    EXPECT(0);
    return number_after("size:");
}

/* A history of five events from the log's size base on: tender id created,
 * published, asked and answered, then the draft id2 created. */
typedef struct history {
    char id[64], id2[64];
    unsigned long long base;
} history;

static const char *const kinds[] = {"tender_created", "tender_published", "question_asked",
                                    "question_answered", "tender_created"};

static void make_history(history *h)
{
    h->base = size_now();
    create_published("Audited roads", h->id, sizeof h->id);
    ctl("supplier", "question", "ask", h->id, "--text", "Is milling included?", NULL);
    EXPECT(0);
    ctl("officer", "question", "answer", h->id, "Q-1", "--text", "Yes.", NULL);
    EXPECT(0);
    /* A second tender, a draft: its event is not the first tender's. */
    char dl[32];
    future(dl, sizeof dl, 10);
    ctl("officer", "tender", "create", "--title", "Other", "--budget", "1", "--currency", "EUR",
        "--deadline", dl, "--opening", dl, NULL);
    EXPECT(0);
    snprintf(h->id2, sizeof h->id2, "%.*s", (int)strcspn(R.out, "\n"), R.out);
}

static int setup(void **state)
{
    (void)state;
    char db[300], other[300];
    static const char *const unset[] = {"TENDER_LOG_KEY", NULL};
    if (ctlrun_init("/tmp/tnd_audit_XXXXXX", unset) != 0)
        return -1;
    path(committee, sizeof committee, "committee.txt");
    FILE *f = fopen(committee, "w");
    if (!f)
        return -1;
    const char *names[] = {"Kim Min-jun", "Lee Ji-eun", "Park Seo-yeon"};
    for (int i = 0; i < 3; i++) {
        uint8_t k[32];
        unsigned char b64[64];
        if (RAND_bytes(k, sizeof k) != 1)
            return -1;
        EVP_EncodeBlock(b64, k, sizeof k);
        fprintf(f, "%s  %s\n", names[i], b64);
    }
    fclose(f);
    path(db, sizeof db, "db");
    path(other, sizeof other, "other");
    if (mkdir(other, 0700) != 0)
        return -1;
    path(other, sizeof other, "other/db");
    /* Before the server starts: this creates the log key in its --db. */
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 ||
        ctlrun_print_log_key(other, other_vkey, sizeof other_vkey) != 0 ||
        strcmp(vkey, other_vkey) == 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    return ctlrun_start_server(NULL);
}

/* ---- tests ---- */

/* The group's server, while test_empty_log runs another. */
static char group_dir[256];
static int group_port;
static pid_t group_pid;

/* Run a server on the other log's database (ctl_dir/other/db), where
 * nothing is ever written; the group's comes back after. */
static int other_server_up(void **state)
{
    (void)state;
    snprintf(group_dir, sizeof group_dir, "%s", ctl_dir);
    group_port = ctl_port;
    group_pid = ctl_srv_pid;
    int n = snprintf(ctl_dir, sizeof ctl_dir, "%s/other", group_dir);
    if (n < 0 || (size_t)n >= sizeof ctl_dir)
        return -1;
    return ctlrun_start_server(NULL);
}

static int other_server_down(void **state)
{
    (void)state;
    ctlrun_kill_server();
    snprintf(ctl_dir, sizeof ctl_dir, "%s", group_dir);
    ctl_port = group_port;
    ctl_srv_pid = group_pid;
    return 0;
}

/* Before any write: nothing is signed yet. */
static void test_empty_log(void **state)
{
    (void)state;
    ctl(NULL, "--log-key", other_vkey, "audit", "checkpoint", NULL);
    EXPECT(10 + 5); /* NOT_FOUND */
    HAS(R.err, "empty");
    ctl(NULL, "audit", "log", NULL);
    EXPECT(0);
    assert_string_equal(R.out, "");
}

/* The checkpoint is verified with the pinned key, saved as the note exactly
 * as signed, and proves every leaf, as does the saved checkpoint. */
static void test_a_checkpoint_is_saved_as_signed_and_proves_every_leaf(void **state)
{
    (void)state;
    char saved[300], note[8192], sz[32], line[300];
    history h;
    make_history(&h);
    path(saved, sizeof saved, "saved.cp");
    ctl(NULL, "--log-key", vkey, "audit", "checkpoint", "--save", saved, NULL);
    EXPECT(0);
    HAS(R.out, "origin:   tenderd.local/log\n");
    HAS(R.out, "signature OK");
    HAS_NOT(R.err, "warning"); /* the key was pinned */
    unsigned long long n = number_after("size:");
    assert_int_equal(n, h.base + 5); /* created, published, asked, answered, created */
    /* The file is the note exactly as signed. */
    assert_true(read_file(saved, note, sizeof note) > 0);
    snprintf(line, sizeof line, "tenderd.local/log\n%llu\n", n);
    assert_true(strncmp(note, line, strlen(line)) == 0);
    HAS(note, "\n\n\xe2\x80\x94 tenderd.local/log ");
    ctl(NULL, "--log-key", vkey, "--json", "audit", "checkpoint", NULL);
    EXPECT(0);
    assert_true(ndjson_ok(R.out));
    HAS(R.out, "\"signature\":\"OK\"");
    snprintf(line, sizeof line, "\"size\":%llu,", n);
    HAS(R.out, line);

    /* Every leaf is proved, against the latest and against the saved checkpoint. */
    for (unsigned long long i = 0; i < 5; i++) {
        char idx[24];
        snprintf(idx, sizeof idx, "%llu", h.base + i);
        ctl(NULL, "--log-key", vkey, "audit", "prove", idx, NULL);
        EXPECT(0);
        snprintf(line, sizeof line, "included in checkpoint of size %llu: OK", n);
        HAS(R.out, line);
        snprintf(line, sizeof line, "kind:                 %s\n", kinds[i]);
        HAS(R.out, line);
        ctl(NULL, "--log-key", vkey, "audit", "prove", idx, "--checkpoint", saved, NULL);
        EXPECT(0);
        HAS(R.out, ": OK");
    }
    snprintf(sz, sizeof sz, "%llu", h.base + 1);
    ctl(NULL, "--log-key", vkey, "audit", "prove", sz, NULL);
    snprintf(line, sizeof line, "tender:               %s version 1\n", h.id);
    HAS(R.out, line);
    HAS(R.out, "actor:                officer/Ministry of Works/");
    snprintf(sz, sizeof sz, "%llu", h.base + 2);
    ctl(NULL, "--log-key", vkey, "--json", "audit", "prove", sz, NULL);
    EXPECT(0);
    assert_true(ndjson_ok(R.out));
    HAS(R.out, "\"kind\":\"QUESTION_ASKED\"");
    HAS(R.out, "\"included\":true");
    snprintf(sz, sizeof sz, "%llu", n);
    ctl(NULL, "--log-key", vkey, "audit", "prove", sz, NULL);
    EXPECT(2); /* beyond the checkpoint */
    ctl(NULL, "--log-key", vkey, "audit", "prove", "-1", NULL);
    EXPECT(2);
}

/* The log: one line an event, in order; the asker stays anonymous. */
static void test_the_log_lists_one_line_an_event(void **state)
{
    (void)state;
    char line[300], from[24];
    history h;
    make_history(&h);
    snprintf(from, sizeof from, "%llu", h.base);
    ctl(NULL, "audit", "log", "--from", from, NULL);
    EXPECT(0);
    const char *p = R.out;
    for (unsigned long long i = 0; i < 5; i++) {
        char want[100];
        size_t len = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        snprintf(want, sizeof want, "%llu  ", h.base + i);
        assert_true(strncmp(line, want, strlen(want)) == 0);
        snprintf(want, sizeof want, "Z  %s  ", kinds[i]);
        HAS(line, want);
        HAS(line, i == 4 ? h.id2 : h.id);
        p += len + (p[len] == '\n');
    }
    assert_string_equal(p, ""); /* nothing more */
    HAS(R.out, "question_asked  ");
    /* The asker stays anonymous in the public log: only the role is recorded. */
    HAS(R.out, " v1  supplier/-/-  Q-1  -\n");
    HAS(R.out, "Q-1");
    assert_string_equal(R.err, ""); /* no progress when stderr is not a terminal */
    ctl(NULL, "--json", "audit", "log", NULL);
    EXPECT(0);
    assert_true(ndjson_ok(R.out));
    HAS(R.out, "{\"index\":0,\"event\":{\"seq\":0,");
    HAS(R.out, "\"kind\":\"TENDER_PUBLISHED\"");
}

/* --tender, --from and --to pick the events; a range the wrong way round
 * or beyond the log is refused. */
static void test_the_log_filters_by_tender_and_range(void **state)
{
    (void)state;
    char want[100], from[24], to[24];
    history h;
    make_history(&h);
    ctl(NULL, "audit", "log", "--tender", h.id, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%llu  ", h.base + 3);
    HAS(R.out, want);
    HAS_NOT(R.out, h.id2);
    snprintf(want, sizeof want, "\n%llu  ", h.base + 4);
    HAS_NOT(R.out, want);
    ctl(NULL, "audit", "log", "--tender", h.id2, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%llu  ", h.base + 4);
    assert_true(strncmp(R.out, want, strlen(want)) == 0);
    assert_int_equal(strcspn(R.out, "\n") + 1, strlen(R.out)); /* one line */
    snprintf(from, sizeof from, "%llu", h.base + 1);
    snprintf(to, sizeof to, "%llu", h.base + 3);
    ctl(NULL, "audit", "log", "--from", from, "--to", to, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%llu  ", h.base + 1);
    assert_true(strncmp(R.out, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "\n%llu  ", h.base + 2);
    HAS(R.out, want);
    snprintf(want, sizeof want, "\n%llu  ", h.base + 3);
    HAS_NOT(R.out, want);
    ctl(NULL, "audit", "log", "--from", "3", "--to", "1", NULL);
    EXPECT(2);
    ctl(NULL, "audit", "log", "--to", "999", NULL);
    EXPECT(10 + 11); /* OUT_OF_RANGE */
}

static void test_consistency(void **state)
{
    (void)state;
    char saved[300], fresh[300], id[64], want[100];
    unsigned long long a = saved_checkpoint("consistency.cp", saved, sizeof saved);
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", saved, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "checkpoint of size %llu is a prefix of size %llu: OK\n", a, a);
    assert_string_equal(R.out, want);

    create_published("More roads", id, sizeof id);
    ctl("officer", "tender", "cancel", id, "--reason", "twice the budget", "--reason-code",
        "budget-cut", NULL);
    EXPECT(0);
    unsigned long long b = log_size();
    assert_int_equal(b, a + 3);
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", saved, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "checkpoint of size %llu is a prefix of size %llu: OK\n", a, b);
    assert_string_equal(R.out, want);
    ctl(NULL, "--log-key", vkey, "--json", "audit", "consistency", "--from", saved, NULL);
    EXPECT(0);
    assert_true(ndjson_ok(R.out));
    HAS(R.out, "\"consistent\":true");
    /* An old checkpoint still proves the old leaves. */
    ctl(NULL, "--log-key", vkey, "audit", "prove", "0", "--checkpoint", saved, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "included in checkpoint of size %llu: OK", a);
    HAS(R.out, want);

    /* --update moves a copy of the saved checkpoint forward. */
    char buf[8192];
    path(fresh, sizeof fresh, "fresh.cp");
    assert_true(read_file(saved, buf, sizeof buf) > 0);
    write_file(fresh, buf, strlen(buf));
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", fresh, "--update", NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", fresh, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "checkpoint of size %llu is a prefix of size %llu: OK\n", b, b);
    assert_string_equal(R.out, want);

    ctl(NULL, "--log-key", vkey, "audit", "consistency", NULL);
    EXPECT(2);
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", "/nonexistent/cp", NULL);
    EXPECT(1);
}

static void test_tampering_caught(void **state)
{
    (void)state;
    char saved[300], bad[300], buf[8192];
    saved_checkpoint("untampered.cp", saved, sizeof saved);
    path(bad, sizeof bad, "tampered.cp");
    assert_true(read_file(saved, buf, sizeof buf) > 0);
    /* One byte of the root (line 3) changed to another base64 digit. */
    char *root = strchr(strchr(buf, '\n') + 1, '\n') + 1;
    root[0] = root[0] == 'A' ? 'B' : 'A';
    write_file(bad, buf, strlen(buf));
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", bad, NULL);
    EXPECT(4);
    HAS(R.err, "signature is bad");
    assert_string_equal(R.out, "");
    ctl(NULL, "--log-key", vkey, "audit", "prove", "0", "--checkpoint", bad, NULL);
    EXPECT(4);
    HAS(R.err, "signature is bad");
    /* Not a checkpoint at all. */
    write_file(bad, "hello\n", 6);
    ctl(NULL, "--log-key", vkey, "audit", "consistency", "--from", bad, NULL);
    EXPECT(4);
    HAS(R.err, "not a well-formed");

    /* Another log's key: the server's checkpoints are not signed by it. */
    ctl(NULL, "--log-key", other_vkey, "audit", "checkpoint", NULL);
    EXPECT(4);
    HAS(R.err, "not signed by the log key");
    ctl(NULL, "--log-key", other_vkey, "audit", "prove", "0", NULL);
    EXPECT(4);
    ctl(NULL, "--log-key", "not-a-key", "audit", "checkpoint", NULL);
    EXPECT(2);
    HAS(R.err, "--log-key");
}

/* Without --log-key the server's key is used, with a warning. */
static void test_trust_on_first_use(void **state)
{
    (void)state;
    char id[64];
    if (size_now() == 0)
        create_published("Trusted", id, sizeof id);
    ctl(NULL, "audit", "checkpoint", NULL);
    EXPECT(0);
    HAS(R.out, "signature OK");
    HAS(R.err, "pin it with --log-key");
    HAS(R.err, vkey);
    ctl(NULL, "audit", "prove", "0", NULL);
    EXPECT(0);
    HAS(R.err, "pin it with --log-key");
}

static void test_watch(void **state)
{
    (void)state;
    char id[64];
    create_published("Watched", id, sizeof id);
    /* A write while the watch runs (a question: the tender is published). */
    pid_t writer = ctl_later(700, "supplier", "question", "ask", id, "--text", "Drawings?", NULL);
    ctl(NULL, "--log-key", vkey, "--timeout", "2", "audit", "watch", NULL);
    assert_int_equal(ctl_wait(writer), 0);
    EXPECT(0);
    HAS(R.out, " signature: OK\n");
    HAS(R.out, "consistent with");
    HAS(R.out, ": OK\n");
    HAS_NOT(R.out, "FAIL");

    ctl(NULL, "--log-key", other_vkey, "--timeout", "2", "audit", "watch", NULL);
    EXPECT(4);
    ctl(NULL, "--log-key", vkey, "--timeout", "1", "--json", "audit", "watch", NULL);
    EXPECT(0);
    assert_true(ndjson_ok(R.out));
    HAS(R.out, "\"previous\":null");
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "audit", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "prove INDEX");
    HAS(R.out, "--log-key");
    ctl(NULL, "audit", "prove", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "Exit status 4");
    ctl(NULL, "audit", "log", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--tender ID");
    ctl(NULL, "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--log-key VKEY");
    ctl(NULL, "audit", NULL);
    EXPECT(2);
    ctl(NULL, "audit", "bogus", NULL);
    EXPECT(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_log, other_server_up, other_server_down),
        cmocka_unit_test(test_a_checkpoint_is_saved_as_signed_and_proves_every_leaf),
        cmocka_unit_test(test_the_log_lists_one_line_an_event),
        cmocka_unit_test(test_the_log_filters_by_tender_and_range),
        cmocka_unit_test(test_consistency),
        cmocka_unit_test(test_tampering_caught),
        cmocka_unit_test(test_trust_on_first_use),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
