/* End-to-end test of the OCDS release packages of tenderd --http
 * (/api/v1/tenders/ID/ocds and /api/v1/ocds) against the real
 * $BUILD/bin/tenderd on free loopback ports (tests/support/ctlrun.c): at
 * each stage of a tender's life (published, opened, awarded, complete) the
 * HTTP package validates with tests/ocds_validate.py and is the bytes
 * `tenderctl export ocds --tender ID --uri urn:tenderd:http:ocds` writes but
 * for the publishedDate line; a draft is 404 and never in the package of
 * all tenders, which equals `tenderctl export ocds` the same way and pages
 * with links.next. The group setup opens two tenders with the same history
 * on one deadline, so the suite waits for it once; one test looks at the
 * first, another awards the second. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlrun.h"
#include "httpget.h"
#include "testsrv.h"
#include "scrape.h"

#define HTTP_URI "urn:tenderd:http:ocds"

/* Also: no sanitizer report from tenderctl. */
#undef EXPECT
#define EXPECT(want)                                                                               \
    do {                                                                                           \
        if (R.code != (want))                                                                      \
            fail_msg("tenderctl exit %d, expected %d\nstdout: %s\nstderr: %s", R.code, (want),     \
                     R.out, R.err);                                                                \
        if (strstr(R.err, "Sanitizer"))                                                            \
            fail_msg("tenderctl under a sanitizer:\n%s", R.err);                                   \
    } while (0)

static char vkey[400], committee[300], repo[256];
static int http_port;

/* A tender of the fixture: published, amended, a question answered and
 * one not, bids of the supplier (100000.50 EUR, b[0]) and supplier2
 * (150000 EUR, b[1]). */
typedef struct staged {
    char id[64], b[2][64];
    time_t opening;
} staged;

static staged opened_t, awarded_t;

static void open_both(void);

/* ---- GET over one HTTP/1.1 connection ---- */

static void hget(const char *p, hresp *r)
{
    http_req(http_port, "GET", p, NULL, r);
}

/* Drop the line of the package's top-level key ("  \"key\": ...\n") from text. */
static void drop_line(char *text, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\n  \"%s\": ", key);
    char *at = strstr(text, needle);
    assert_non_null(at);
    char *eol = strchr(at + 1, '\n');
    assert_non_null(eol);
    memmove(at, eol, strlen(eol) + 1);
}

/* tests/ocds_validate.py on file f; fails the test unless it exits 0. */
static void validate(const char *f, const char *args)
{
    char cmd[3000], log[300], text[65536];
    path(log, sizeof log, "validate.log");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/ocds_validate.py' '%s' %s >'%s' 2>&1",
             repo, f, args, log);
    int rc = system(cmd);
    if (read_file(log, text, sizeof text) < 0)
        text[0] = '\0';
    if (rc != 0)
        fail_msg("ocds_validate.py %s %s: status %d\n%s", f, args, rc, text);
}

/* GET url (a package), validate it with args, and check it is what
 * `tenderctl export ocds ARGS...` writes but for publishedDate. The log may
 * grow between the two reads: retried until two HTTP answers agree. */
static void same_as_export(const char *url, const char *vargs, const char *tender)
{
    static char http[CTL_MAX_OUT], again[CTL_MAX_OUT];
    char f[300], ct[64] = "";
    for (int tries = 0;; tries++) {
        hresp r;
        hget(url, &r);
        if (r.status != 200)
            fail_msg("GET %s: %d\n%s", url, r.status, r.body);
        const char *c = strcasestr(r.head, "\r\nContent-Type: ");
        assert_non_null(c);
        sscanf(c + 16, "%63[^\r]", ct);
        assert_string_equal(ct, "application/json");
        HAS(r.head, "Cache-Control: public, max-age=5");
        HAS(r.head, "ETag: \"");
        assert_true(r.len < sizeof http);
        memcpy(http, r.body, r.len + 1);
        free(r.body);
        path(f, sizeof f, "http.json");
        write_file(f, http, strlen(http));
        validate(f, vargs);
        if (tender)
            ctl(NULL, "export", "ocds", "--tender", tender, "--uri", HTTP_URI, NULL);
        else
            ctl(NULL, "export", "ocds", "--uri", HTTP_URI, NULL);
        EXPECT(0);
        hget(url, &r);
        assert_int_equal(r.status, 200);
        snprintf(again, sizeof again, "%s", r.body);
        free(r.body);
        drop_line(http, "publishedDate");
        drop_line(again, "publishedDate");
        drop_line(R.out, "publishedDate");
        if (strcmp(http, again) != 0 && tries < 5)
            continue;
        if (strcmp(http, R.out) != 0) {
            path(f, sizeof f, "export.json");
            write_file(f, R.out, strlen(R.out));
            path(f, sizeof f, "http-stripped.json");
            write_file(f, http, strlen(http));
            fail_msg("GET %s differs from tenderctl export ocds: see %s", url, f);
        }
        return;
    }
}

/* ---- set-up ---- */

static int setup(void **state)
{
    (void)state;
    char db[300], spec[64], text[1024], pub[2][64];
    if (!getcwd(repo, sizeof repo) || access("tests/ocds_validate.py", R_OK) != 0 ||
        access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "run from the repository root, with /usr/bin/python3\n");
        return -1;
    }
    if (ctlrun_init("/tmp/tnd_hocds_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    http_port = scrape_free_port();
    snprintf(spec, sizeof spec, "127.0.0.1:%d", http_port);
    const char *const extra[] = {"--http", spec, "--standstill", "3", NULL};
    if (http_port <= 0 || ctlrun_start_server(extra) != 0)
        return -1;
    ctl_keys_gen("officer", pub[0], sizeof pub[0]);
    ctl_keys_gen("admin", pub[1], sizeof pub[1]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    open_both();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctlrun_kill_server();
    if (!getenv("OCDS_KEEP"))
        test_rmtree(ctl_dir);
    return 0;
}

static void create(const char *title, time_t deadline, time_t opening, char *id, size_t len)
{
    char dl[32], op[32];
    ctl("officer", "tender", "create", "--title", title, "--description", "Works", "--budget",
        "1234567.89", "--currency", "EUR", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--cpv", "45221111-3", "--committee", committee, "--threshold",
        "2", NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "T-", 2) == 0);
}

/* ---- the tests ---- */

/* Publish draft s->id, amend it, answer one question and leave another
 * unanswered, and take the two bids. */
static void history(staged *s)
{
    char q[64], bids[300];
    ctl("officer", "tender", "publish", s->id, NULL);
    EXPECT(0);
    ctl("officer", "tender", "amend", s->id, "--description", "Repair and repaint", "--note",
        "Repainting added", NULL);
    EXPECT(0);
    ctl("supplier", "question", "ask", s->id, "--text", "Which paint?", NULL);
    EXPECT(0);
    first_line(q, sizeof q);
    ctl("officer", "question", "answer", s->id, q, "--text", "Lead-free", NULL);
    EXPECT(0);
    /* An unanswered question is the asker's own: never in the package. */
    ctl("supplier2", "question", "ask", s->id, "--text", "Secret question?", NULL);
    EXPECT(0);
    const char *who[2] = {"supplier", "supplier2"}, *price[2] = {"100000.50", "150000"};
    for (int i = 0; i < 2; i++) {
        path(bids, sizeof bids, who[i]);
        ctl(who[i], "--log-key", vkey, "bid", "submit", s->id, "--price", price[i], "--currency",
            "EUR", "--bids-dir", bids, NULL);
        EXPECT(0);
        first_line(s->b[i], sizeof s->b[i]);
    }
}

/* The fixture's two tenders, opened by both members. */
static void open_both(void)
{
    char kf[400];
    /* Bids for 15 s, opened from 16 s on: room for the steps before. */
    time_t t0 = time(NULL), deadline = t0 + 15, opening = t0 + 16;
    staged *both[] = {&opened_t, &awarded_t};
    for (int i = 0; i < 2; i++) {
        create("Bridge repair", deadline, opening, both[i]->id, sizeof both[i]->id);
        both[i]->opening = opening;
        history(both[i]);
    }
    if (time(NULL) >= deadline)
        fail_msg("the steps before the deadline took more than %lld s", (long long)(deadline - t0));
    sleep_until(opening);
    for (int i = 0; i < 2; i++) {
        ctl("officer", "open", both[i]->id, "--key", key_file("officer", kf, sizeof kf), NULL);
        EXPECT(0);
        ctl("admin", "open", both[i]->id, "--key", key_file("admin", kf, sizeof kf), NULL);
        EXPECT(0);
    }
}

/* A published tender's package: its tender and amendment releases, no
 * bids and no question yet (answers show from the opening on). A draft's
 * is 404, as over RPC. */
static void test_a_published_tender_before_its_deadline(void **state)
{
    (void)state;
    staged s;
    char url[200];
    time_t t0 = time(NULL);
    create("Bridge repair", t0 + 3600, t0 + 3601, s.id, sizeof s.id);
    snprintf(url, sizeof url, "/api/v1/tenders/%s/ocds", s.id);
    hresp r;
    hget(url, &r);
    assert_int_equal(r.status, 404);
    HAS(r.body, "NOT_FOUND");
    free(r.body);
    history(&s);
    same_as_export(url, "--no-bids --tags tender,tenderAmendment", s.id);
    /* The releases so far predate the answer (it shows from the opening on). */
    hget(url, &r);
    HAS_NOT(r.body, "Secret question");
    HAS_NOT(r.body, s.b[0]);
    HAS_NOT(r.body, "100000.5");
    free(r.body);
}

/* A draft is 404 and not in the package of every public tender. */
static void test_a_draft_is_in_no_package(void **state)
{
    (void)state;
    char draft[64], url[200];
    time_t t0 = time(NULL);
    create("Still a draft", t0 + 3600, t0 + 3601, draft, sizeof draft);
    snprintf(url, sizeof url, "/api/v1/tenders/%s/ocds", draft);
    hresp r;
    hget(url, &r);
    assert_int_equal(r.status, 404);
    free(r.body);
    hget("/api/v1/ocds", &r);
    assert_int_equal(r.status, 200);
    HAS(r.body, opened_t.id);
    HAS_NOT(r.body, draft);
    free(r.body);
}

/* Opened: the update release lists the bids and shows the answer, never
 * the unanswered question. */
static void test_an_opened_tender_shows_its_bids_and_answers(void **state)
{
    (void)state;
    char url[200], args[300], op[32];
    snprintf(url, sizeof url, "/api/v1/tenders/%s/ocds", opened_t.id);
    snprintf(args, sizeof args,
             "--opening %s --tags tender,tenderAmendment,tenderUpdate --bids "
             "100000.5:EUR,150000:EUR",
             at(op, sizeof op, opened_t.opening));
    same_as_export(url, args, opened_t.id);
    hresp r;
    hget(url, &r);
    HAS(r.body, "\"answer\": \"Lead-free\"");
    HAS_NOT(r.body, "Secret question");
    HAS(r.body, opened_t.b[0]);
    free(r.body);
}

/* Awarded, cancelled, awarded again, complete after the standstill: each
 * step is a release; the package of all tenders is the export of all. */
static void test_an_award_its_cancellation_and_completion_are_released(void **state)
{
    (void)state;
    const char *id = awarded_t.id, *b0 = awarded_t.b[0];
    char url[200];
    snprintf(url, sizeof url, "/api/v1/tenders/%s/ocds", id);
    ctl("officer", "award", id, "--winner", b0, "--criterion", "lowest-price", "--rationale",
        "Lowest price", NULL);
    EXPECT(0);
    ctl("officer", "award", "cancel", id, "--reason", "Complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(0);
    time_t recorded = time(NULL);
    ctl("officer", "award", id, "--winner", b0, "--criterion", "lowest-price", "--rationale",
        "After review", NULL);
    EXPECT(0);
    same_as_export(url,
                   "--tags tender,tenderAmendment,tenderUpdate,award,awardCancellation,award "
                   "--awards cancelled,pending",
                   id);
    sleep_until(recorded + 3);
    for (int i = 0; i < 40; i++) {
        ctl(NULL, "award", "show", id, NULL);
        EXPECT(0);
        if (strstr(R.out, ": final"))
            break;
        usleep(250000);
    }
    HAS(R.out, ": final");
    same_as_export(url,
                   "--tags tender,tenderAmendment,tenderUpdate,award,awardCancellation,award,"
                   "tenderUpdate+awardUpdate --awards cancelled,active",
                   id);
    /* The package of all tenders is the export of all. */
    same_as_export("/api/v1/ocds", "", NULL);
}

static void test_pages_and_bad_input(void **state)
{
    (void)state;
    char id[2][64], url[600];
    time_t t0 = time(NULL);
    for (int i = 0; i < 2; i++) {
        create("Paged", t0 + 3600, t0 + 3700, id[i], sizeof id[i]);
        ctl("officer", "tender", "publish", id[i], NULL);
        EXPECT(0);
    }
    /* One tender a page: every public tender once, following links.next. */
    int seen[2] = {0, 0}, pages = 0;
    snprintf(url, sizeof url, "/api/v1/ocds?page_size=1");
    for (;;) {
        hresp r;
        hget(url, &r);
        assert_int_equal(r.status, 200);
        json_error_t e;
        json_t *v = json_loadb(r.body, r.len, 0, &e);
        assert_non_null(v);
        free(r.body);
        json_t *rel = json_object_get(v, "releases");
        assert_true(json_array_size(rel) >= 1);
        const char *ocid = json_string_value(json_object_get(json_array_get(rel, 0), "ocid"));
        for (int i = 0; i < 2; i++)
            if (ocid && strstr(ocid, id[i]))
                seen[i]++;
        const char *next = json_string_value(json_object_get(json_object_get(v, "links"), "next"));
        pages++;
        if (!next) {
            json_decref(v);
            break;
        }
        assert_true(strncmp(next, "/api/v1/ocds?cursor=", 20) == 0);
        snprintf(url, sizeof url, "%s&page_size=1", next);
        json_decref(v);
        assert_true(pages < 20);
    }
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    assert_true(pages >= 2);
    const char *bad[] = {"/api/v1/ocds?page_size=0", "/api/v1/ocds?page_size=51",
                         "/api/v1/ocds?page_size=x", "/api/v1/ocds?page_size=-1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hresp r;
        hget(bad[i], &r);
        assert_int_equal(r.status, 400);
        HAS(r.body, "page_size: 1..50");
        free(r.body);
    }
    hresp r;
    hget("/api/v1/tenders/T-none/ocds", &r);
    assert_int_equal(r.status, 404);
    free(r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_published_tender_before_its_deadline),
        cmocka_unit_test(test_a_draft_is_in_no_package),
        cmocka_unit_test(test_an_opened_tender_shows_its_bids_and_answers),
        cmocka_unit_test(test_an_award_its_cancellation_and_completion_are_released),
        cmocka_unit_test(test_pages_and_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
