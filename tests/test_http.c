/* End-to-end test of tenderd --http against the real $BUILD/bin/tenderd on
 * free loopback ports (tests/support/ctlrun.c), with tenderctl making the
 * changes and a minimal HTTP/1.1 client over a socket here reading them:
 * every /api/v1/ endpoint, visibility (a draft is 404 as over RPC), the JSON
 * equal to tenderctl --json's, paging, the feed followed without gaps or
 * repeats, ETag/304 and cache headers, the log's tiles and entry bundles
 * (C2SP tlog-tiles) recomputed to the root of the signed checkpoint, and
 * hostile requests (a huge URL, huge headers, many half-sent requests, path
 * traversal) refused in bounded memory while the RPC keeps serving. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctlrun.h"
#include "httpget.h"
#include "tender/audit.h"
#include "tender_schema.h"
#include "testsrv.h"
#include "scrape.h"

static char vkey[400], committee[300], doc[300];
static int http_port;

/* ---- a minimal HTTP/1.1 client: one request per connection ---- */


static int connect_http(void)
{
    return http_connect(http_port);
}

static void hraw(const char *req, size_t len, hresp *r)
{
    http_raw(http_port, req, len, r);
}

static void hreq(const char *method, const char *path_, const char *headers, hresp *r)
{
    http_req(http_port, method, path_, headers, r);
}

static void hget(const char *path_, hresp *r)
{
    hreq("GET", path_, NULL, r);
}

static json_t *hjson(const hresp *r)
{
    json_error_t e;
    json_t *v = json_loadb(r->body, r->len, 0, &e);
    if (!v)
        fail_msg("not JSON (%s): %s", e.text, r->body);
    return v;
}

/* GET path: expect status; the JSON body (a new reference). */
static json_t *get_json(const char *path_, int status)
{
    hresp r;
    hget(path_, &r);
    if (r.status != status)
        fail_msg("GET %s: %d, expected %d\n%s%s", path_, r.status, status, r.head, r.body);
    char ct[128];
    assert_non_null(http_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/json");
    json_t *v = hjson(&r);
    http_free(&r);
    return v;
}

/* An error answer: the HTTP status in the body too, and the status name. */
static void expect_error(const char *path_, int status, const char *name)
{
    json_t *v = get_json(path_, status);
    json_t *e = json_object_get(v, "error");
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "code")), status);
    assert_string_equal(json_string_value(json_object_get(e, "status")), name);
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 0);
    json_decref(v);
}

static long server_rss_kib(void)
{
    char p[64], text[8192];
    snprintf(p, sizeof p, "/proc/%d/status", (int)ctl_srv_pid);
    assert_true(read_file(p, text, sizeof text) > 0);
    const char *l = strstr(text, "VmRSS:");
    assert_non_null(l);
    return strtol(l + 6, NULL, 10);
}

/* ---- set-up ---- */

static int setup(void **state)
{
    (void)state;
    char db[300], spec[64], text[1024], pub[2][64];
    if (ctlrun_init("/tmp/tnd_http_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    http_port = scrape_free_port();
    snprintf(spec, sizeof spec, "127.0.0.1:%d", http_port);
    const char *const extra[] = {"--http", spec, NULL};
    if (http_port <= 0 || ctlrun_start_server(extra) != 0)
        return -1;
    ctl_keys_gen("officer", pub[0], sizeof pub[0]);
    ctl_keys_gen("admin", pub[1], sizeof pub[1]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\n", pub[0], pub[1]);
    write_file(committee, text, strlen(text));
    path(doc, sizeof doc, "spec.pdf");
    write_file(doc, "%PDF-1.4 specification\n", 24);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctlrun_kill_server();
    test_rmtree(ctl_dir);
    return 0;
}

/* A draft tender valued budget in currency, with the committee and the
 * document; its id into id. */
static void create_valued(const char *title, const char *budget, const char *currency, char *id,
                          size_t len)
{
    char dl[32], op[32], eq[32];
    ctl("officer", "tender", "create", "--title", title, "--description", "Work", "--budget",
        budget, "--currency", currency, "--deadline", future(dl, sizeof dl, 10), "--opening",
        future(op, sizeof op, 11), "--enquiry-deadline", future(eq, sizeof eq, 9), "--cpv",
        "45221111-3", "--committee", committee, "--threshold", "2", "--doc", doc, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "T-", 2) == 0);
}

static void create(const char *title, char *id, size_t len)
{
    create_valued(title, "1000", "EUR", id, len);
}

static void publish(const char *id)
{
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
}

/* ---- tenders, versions, visibility ---- */

static void test_tender_visibility_and_versions(void **state)
{
    (void)state;
    char id[64], p[256], etag[128], cc[128];
    create("Bridge repair", id, sizeof id);
    /* A draft: 404 over HTTP, as for an anonymous RPC reader. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s", id);
    expect_error(p, 404, "NOT_FOUND");
    ctl(NULL, "tender", "show", id, NULL);
    assert_int_not_equal(R.code, 0);
    HAS(R.err, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents", id);
    expect_error(p, 404, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/events", id);
    expect_error(p, 404, "NOT_FOUND");

    publish(id);
    /* The same JSON as tenderctl --json (one converter). */
    ctl(NULL, "--json", "tender", "show", id, NULL);
    EXPECT(0);
    json_error_t je;
    json_t *ctl_json = json_loads(R.out, 0, &je);
    assert_non_null(ctl_json);
    snprintf(p, sizeof p, "/api/v1/tenders/%s", id);
    json_t *v = get_json(p, 200);
    if (!json_equal(v, ctl_json))
        fail_msg("HTTP and tenderctl --json differ:\n%s\n%s", json_dumps(v, 0), R.out);
    assert_string_equal(json_string_value(json_object_get(v, "status")), "ACTIVE");
    json_decref(v);
    json_decref(ctl_json);

    /* The latest: short-lived; a version: immutable, and 304 on its ETag. */
    hresp r;
    hget(p, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(http_header(&r, "Cache-Control", cc, sizeof cc), "public, max-age=5");
    http_free(&r);
    ctl("officer", "tender", "amend", id, "--description", "Work and paint", "--note", "Paint",
        NULL);
    EXPECT(0);
    snprintf(p, sizeof p, "/api/v1/tenders/%s?version=1", id);
    hget(p, &r);
    assert_int_equal(r.status, 200);
    HAS(r.body, "\"description\":\"Work\"");
    HAS(r.body, "\"version\":1");
    assert_string_equal(http_header(&r, "Cache-Control", cc, sizeof cc),
                        "public, max-age=31536000, immutable");
    assert_non_null(http_header(&r, "ETag", etag, sizeof etag));
    http_free(&r);
    char h[256];
    snprintf(h, sizeof h, "If-None-Match: %s\r\n", etag);
    hreq("GET", p, h, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    http_free(&r);
    hreq("GET", p, "If-None-Match: \"0000\"\r\n", &r);
    assert_int_equal(r.status, 200);
    http_free(&r);
    snprintf(p, sizeof p, "/api/v1/tenders/%s", id);
    v = get_json(p, 200);
    assert_int_equal(json_integer_value(json_object_get(v, "version")), 2);
    json_decref(v);
    snprintf(p, sizeof p, "/api/v1/tenders/%s?version=3", id);
    expect_error(p, 404, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s?version=x", id);
    expect_error(p, 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders/T-2099-999999", 404, "NOT_FOUND");
}

/* ---- documents ---- */

static void test_documents(void **state)
{
    (void)state;
    char id[64], p[300], h[256], hex[65], etag[128];
    create("Road works", id, sizeof id);
    publish(id);
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents", id);
    json_t *v = get_json(p, 200);
    json_t *docs = json_object_get(v, "documents");
    assert_int_equal(json_array_size(docs), 1);
    json_t *d = json_array_get(docs, 0);
    char did[96];
    snprintf(did, sizeof did, "%s", json_string_value(json_object_get(d, "id")));
    sha_hex("%PDF-1.4 specification\n", 24, hex);
    assert_string_equal(json_string_value(json_object_get(d, "sha256")), hex);
    assert_string_equal(json_string_value(json_object_get(d, "name")), "spec.pdf");
    json_decref(v);

    hresp r;
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents/%s", id, did);
    hget(p, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 24);
    assert_memory_equal(r.body, "%PDF-1.4 specification\n", 24);
    assert_string_equal(http_header(&r, "Content-Type", h, sizeof h), "application/pdf");
    assert_string_equal(http_header(&r, "X-Content-SHA256", h, sizeof h), hex);
    HAS(http_header(&r, "Content-Disposition", h, sizeof h), "filename*=UTF-8''spec.pdf");
    assert_string_equal(http_header(&r, "Cache-Control", h, sizeof h),
                        "public, max-age=31536000, immutable");
    assert_non_null(http_header(&r, "ETag", etag, sizeof etag));
    http_free(&r);
    snprintf(h, sizeof h, "If-None-Match: %s\r\n", etag);
    hreq("GET", p, h, &r);
    assert_int_equal(r.status, 304);
    http_free(&r);
    /* HEAD: the headers without the body. */
    hreq("HEAD", p, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 0);
    http_free(&r);

    /* Another tender's document, traversal and odd names: refused. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents/%s-D9", id, id);
    expect_error(p, 404, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents/..%%2F..%%2Fdata.mdb", id);
    expect_error(p, 400, "INVALID_ARGUMENT");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/documents/../../../etc/passwd", id);
    expect_error(p, 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders/..%2Fdb/documents", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders/a%00b", 400, "INVALID_ARGUMENT");
}

/* ---- questions, opening, awards, a tender's events ---- */

static void test_questions_opening_awards_events(void **state)
{
    (void)state;
    char id[64], p[300], q1[64], q2[64];
    create("School roof", id, sizeof id);
    publish(id);
    ctl("supplier", "question", "ask", id, "--text", "Which tiles?", NULL);
    EXPECT(0);
    first_line(q1, sizeof q1);
    ctl("supplier", "question", "ask", id, "--text", "Unanswered one", NULL);
    EXPECT(0);
    first_line(q2, sizeof q2);
    ctl("officer", "question", "answer", id, q1, "--text", "Clay tiles", NULL);
    EXPECT(0);
    snprintf(p, sizeof p, "/api/v1/tenders/%s/questions", id);
    json_t *v = get_json(p, 200);
    json_t *qs = json_object_get(v, "questions");
    assert_int_equal(json_array_size(qs), 1); /* only the answered one */
    json_t *q = json_array_get(qs, 0);
    assert_string_equal(json_string_value(json_object_get(q, "id")), q1);
    assert_string_equal(json_string_value(json_object_get(q, "answer")), "Clay tiles");
    /* Who asked is the buyer's to know. */
    json_t *asker = json_object_get(q, "asked_by_org");
    assert_true(!asker || strcmp(json_string_value(asker), "") == 0);
    char *text = json_dumps(v, 0);
    HAS_NOT(text, "Acme");
    HAS_NOT(text, "Unanswered");
    free(text);
    json_decref(v);
    snprintf(p, sizeof p, "/api/v1/tenders/%s/questions?cursor=zz", id);
    expect_error(p, 400, "INVALID_ARGUMENT");

    /* Not opened yet; no award. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/opening", id);
    expect_error(p, 404, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/awards", id);
    v = get_json(p, 200);
    assert_int_equal(json_array_size(json_object_get(v, "awards")), 0);
    json_decref(v);

    /* Its events: created, document added, published, two questions, the answer. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/events", id);
    v = get_json(p, 200);
    json_t *evs = json_object_get(v, "events");
    assert_true(json_array_size(evs) >= 5);
    const char *kinds[] = {"TENDER_CREATED", "DOCUMENT_ADDED", "TENDER_PUBLISHED",
                           "QUESTION_ASKED", "QUESTION_ASKED", "QUESTION_ANSWERED"};
    size_t k = 0;
    for (size_t i = 0; i < json_array_size(evs) && k < 6; i++) {
        json_t *e = json_array_get(evs, i);
        assert_string_equal(json_string_value(json_object_get(e, "tender_id")), id);
        if (strcmp(json_string_value(json_object_get(e, "kind")), kinds[k]) == 0)
            k++;
    }
    assert_int_equal(k, 6);
    json_decref(v);
}

/* ---- the opening record and the awards of an opened tender ---- */

static void test_opening_and_awards(void **state)
{
    (void)state;
    char id[64], p[300], dl[32], op[32], bids[300], b1[64], b2[64], kf[400], h[128];
    /* Bids for 6 s, opened from 7 s on: room for the steps before. */
    time_t t0 = time(NULL), deadline = t0 + 6, opening = t0 + 7;
    ctl("officer", "tender", "create", "--title", "Opened", "--budget", "1000", "--currency", "EUR",
        "--deadline", at(dl, sizeof dl, deadline), "--opening", at(op, sizeof op, opening),
        "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    publish(id);
    const char *who[2] = {"supplier", "supplier2"}, *price[2] = {"900", "950"};
    char *ids[2] = {b1, b2};
    for (int i = 0; i < 2; i++) {
        path(bids, sizeof bids, who[i]);
        ctl(who[i], "--log-key", vkey, "bid", "submit", id, "--price", price[i], "--currency",
            "EUR", "--bids-dir", bids, NULL);
        EXPECT(0);
        first_line(ids[i], sizeof b1);
    }
    /* Before the opening: no record, and no bid anywhere in the API. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/opening", id);
    expect_error(p, 404, "NOT_FOUND");
    snprintf(p, sizeof p, "/api/v1/tenders/%s/events", id);
    hresp r;
    hget(p, &r);
    assert_int_equal(r.status, 200);
    /* Nobody may count the bids before the deadline (docs/LOG.md, section 10). */
    HAS_NOT(r.body, "BID_RECEIVED");
    HAS_NOT(r.body, "Acme");
    http_free(&r);
    if (time(NULL) >= deadline)
        fail_msg("the steps before the deadline took more than %lld s", (long long)(deadline - t0));
    sleep_until(opening);
    ctl("officer", "open", id, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", id, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    /* Closed: the published bid tag key links both bid events to the tender. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/events", id);
    hget(p, &r);
    assert_int_equal(r.status, 200);
    const char *at_bid = strstr(r.body, "BID_RECEIVED");
    assert_non_null(at_bid);
    assert_non_null(strstr(at_bid + 1, "BID_RECEIVED"));
    HAS(r.body, "TENDER_CLOSED");
    http_free(&r);

    /* The record, as GetOpening serves it; written once, so immutable. */
    snprintf(p, sizeof p, "/api/v1/tenders/%s/opening", id);
    hget(p, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(http_header(&r, "Cache-Control", h, sizeof h),
                        "public, max-age=31536000, immutable");
    json_t *v = hjson(&r);
    http_free(&r);
    json_t *obids = json_object_get(v, "bids");
    assert_int_equal(json_array_size(obids), 2);
    char *text = json_dumps(v, 0);
    HAS(text, b1);
    HAS(text, b2);
    free(text);
    json_decref(v);

    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "Lowest price", NULL);
    EXPECT(0);
    ctl("officer", "award", "cancel", id, "--reason", "Complaint upheld", "--reason-code",
        "complaint-upheld", NULL);
    EXPECT(0);
    ctl("officer", "award", id, "--winner", b1, "--criterion", "lowest-price", "--rationale",
        "After review", NULL);
    EXPECT(0);
    snprintf(p, sizeof p, "/api/v1/tenders/%s/awards", id);
    v = get_json(p, 200);
    json_t *aw = json_object_get(v, "awards");
    assert_int_equal(json_array_size(aw), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(aw, 0), "state")),
                        "CANCELLED");
    text = json_dumps(v, 0);
    HAS(text, "After review");
    HAS(text, "Complaint upheld");
    free(text);
    json_decref(v);
}

/* ---- the list, in pages ---- */

static void test_list_paging(void **state)
{
    (void)state;
    char ids[5][64], p[600];
    for (int i = 0; i < 5; i++) {
        char title[32];
        snprintf(title, sizeof title, "Paged %d", i);
        create(title, ids[i], sizeof ids[i]);
        if (i != 2) /* one stays a draft: never listed */
            publish(ids[i]);
    }
    char cursor[300] = "";
    int seen[5] = {0}, pages = 0, total = 0;
    do {
        snprintf(p, sizeof p, "/api/v1/tenders?page_size=2&text=paged%s%s",
                 *cursor ? "&cursor=" : "", cursor);
        json_t *v = get_json(p, 200);
        json_t *ts = json_object_get(v, "tenders");
        assert_true(json_array_size(ts) <= 2);
        for (size_t i = 0; i < json_array_size(ts); i++) {
            const char *tid = json_string_value(json_object_get(json_array_get(ts, i), "id"));
            total++;
            for (int j = 0; j < 5; j++)
                if (strcmp(tid, ids[j]) == 0)
                    seen[j]++;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(json_object_get(v, "next_cursor")));
        json_decref(v);
        assert_true(++pages < 10);
    } while (*cursor);
    assert_int_equal(total, 4);
    for (int j = 0; j < 5; j++)
        assert_int_equal(seen[j], j == 2 ? 0 : 1); /* each once, the draft never */
    assert_true(pages >= 2);

    json_t *v = get_json("/api/v1/tenders?status=active&text=Paged%201", 200);
    assert_int_equal(json_array_size(json_object_get(v, "tenders")), 1);
    json_decref(v);
    v = get_json("/api/v1/tenders?status=CLOSED&text=Paged", 200);
    assert_int_equal(json_array_size(json_object_get(v, "tenders")), 0);
    json_decref(v);
    v = get_json(
        "/api/v1/tenders?classification=4522&deadline_from=2000-01-01T00:00:00Z&text=Paged", 200);
    assert_int_equal(json_array_size(json_object_get(v, "tenders")), 4);
    json_decref(v);
    expect_error("/api/v1/tenders?status=nonsense", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?page_size=0", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?deadline_from=yesterday", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?cursor=xyz", 400, "INVALID_ARGUMENT");
}

/* The titles of the tenders GET path lists, joined by spaces, into out. */
static void list_titles(const char *path_, char *out, size_t len)
{
    json_t *v = get_json(path_, 200);
    json_t *ts = json_object_get(v, "tenders");
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(ts); i++) {
        json_t *f = json_object_get(json_array_get(ts, i), "fields");
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "",
                 json_string_value(json_object_get(f, "title")));
    }
    json_decref(v);
}

static void test_list_by_value(void **state)
{
    (void)state;
    char id[64], got[256];
    const char *const rows[][3] = {
        {"Valued A", "1000", "EUR"}, {"Valued B", "2500.50", "EUR"}, {"Valued C", "1500000", "KRW"}};
    for (int i = 0; i < 3; i++) {
        create_valued(rows[i][0], rows[i][1], rows[i][2], id, sizeof id);
        publish(id);
    }
    list_titles("/api/v1/tenders?text=valued&value_min=1000&value_max=2500.5&currency=EUR", got,
                sizeof got);
    assert_string_equal(got, "Valued A Valued B");
    list_titles("/api/v1/tenders?text=valued&value_min=1000.01&currency=eur", got, sizeof got);
    assert_string_equal(got, "Valued B");
    list_titles("/api/v1/tenders?text=valued&value_max=1000&currency=EUR", got, sizeof got);
    assert_string_equal(got, "Valued A");
    list_titles("/api/v1/tenders?text=valued&currency=KRW", got, sizeof got);
    assert_string_equal(got, "Valued C");
    list_titles("/api/v1/tenders?text=valued&value_min=0&currency=USD", got, sizeof got);
    assert_string_equal(got, "");
    /* Amounts are read exactly in the currency's minor units. */
    json_t *v = get_json("/api/v1/tenders?value_min=1.001&currency=EUR", 400);
    const char *m =
        json_string_value(json_object_get(json_object_get(v, "error"), "message"));
    assert_non_null(strstr(m, "value_min: 1.001 EUR has more decimals than EUR allows (2)"));
    json_decref(v);
    expect_error("/api/v1/tenders?value_min=1.5&currency=KRW", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_min=1,000&currency=EUR", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_min=-1&currency=EUR", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_max=1e3&currency=EUR", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_max=99999999999999999999&currency=EUR", 400,
                 "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_min=5", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_min=5&currency=XYZ", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/tenders?value_min=10&value_max=5&currency=EUR", 400,
                 "INVALID_ARGUMENT");
}

/* ---- the feed ---- */

/* Follow the feed from *next with small pages; append every seq to seqs. */
static void follow(uint64_t *next, uint64_t *seqs, size_t *n, size_t cap)
{
    for (int guard = 0; guard < 10000; guard++) {
        char p[128];
        snprintf(p, sizeof p, "/api/v1/feed?since=%llu&limit=3", (unsigned long long)*next);
        json_t *v = get_json(p, 200);
        json_t *evs = json_object_get(v, "events");
        for (size_t i = 0; i < json_array_size(evs); i++) {
            assert_true(*n < cap);
            seqs[(*n)++] =
                (uint64_t)json_integer_value(json_object_get(json_array_get(evs, i), "seq"));
        }
        uint64_t nx = strtoull(json_string_value(json_object_get(v, "next_cursor")), NULL, 10);
        size_t got = json_array_size(evs);
        json_decref(v);
        assert_int_equal(nx, *next + got);
        *next = nx;
        if (got == 0)
            return;
    }
    fail_msg("the feed never ended");
}

static void test_feed_follows(void **state)
{
    (void)state;
    static uint64_t seqs[100000];
    size_t n = 0;
    uint64_t next = 0;
    follow(&next, seqs, &n, 100000);
    assert_true(n > 10);
    char id[64];
    create("Feed", id, sizeof id);
    publish(id);
    follow(&next, seqs, &n, 100000);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seqs[i], i); /* every leaf once, in order */
    /* The latest events are this tender's. */
    char p[128];
    snprintf(p, sizeof p, "/api/v1/feed?since=%llu", (unsigned long long)(next - 1));
    json_t *v = get_json(p, 200);
    json_t *e = json_array_get(json_object_get(v, "events"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "kind")), "TENDER_PUBLISHED");
    assert_string_equal(json_string_value(json_object_get(e, "tender_id")), id);
    assert_int_equal(json_integer_value(json_object_get(v, "tree_size")), next);
    json_decref(v);
    snprintf(p, sizeof p, "/api/v1/feed?since=%llu", (unsigned long long)(next + 1));
    expect_error(p, 400, "OUT_OF_RANGE");
    expect_error("/api/v1/feed?since=-1", 400, "INVALID_ARGUMENT");
    expect_error("/api/v1/feed?limit=100000", 400, "INVALID_ARGUMENT");
}

/* ---- the log as tlog-tiles ---- */

static void mth(const uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, leaves[0], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[32], r[32];
    mth(leaves, k, l);
    mth(leaves + k, n - k, r);
    assert_int_equal(tnd_merkle_node_hash(l, r, out), 0);
}

static void get_bytes(const char *p, int status, hresp *r)
{
    hget(p, r);
    if (r->status != status)
        fail_msg("GET %s: %d, expected %d\n%s", p, r->status, status, r->body);
}

static void test_tiles_root_checkpoint(void **state)
{
    (void)state;
    char id[64], p[128], h[128];
    hresp r;
    /* More than one full tile of leaves: edits of a draft are events too. */
    create("Tiles", id, sizeof id);
    for (int i = 0; i < 270; i++) {
        char title[32];
        snprintf(title, sizeof title, "Tiles %d", i);
        ctl("officer", "tender", "edit", id, "--title", title, NULL);
        EXPECT(0);
    }
    get_bytes("/log/checkpoint", 200, &r);
    assert_string_equal(http_header(&r, "Content-Type", h, sizeof h), "text/plain; charset=utf-8");
    assert_string_equal(http_header(&r, "Cache-Control", h, sizeof h), "public, max-age=2");
    tnd_note_verifier ver;
    tnd_checkpoint cp;
    assert_int_equal(tnd_note_verifier_parse(vkey, &ver), 0);
    assert_int_equal(tnd_checkpoint_verify(r.body, r.len, &ver, &cp), 0);
    http_free(&r);
    uint64_t size = cp.size, full = size / 256, w = size % 256;
    assert_true(full >= 1 && w > 0);

    /* Level 0: full tiles, then the partial one; each hash checked against
     * its entry in the bundles. */
    uint8_t(*leaves)[32] = calloc(size, 32);
    assert_non_null(leaves);
    for (uint64_t t = 0; t <= full; t++) {
        uint64_t width = t < full ? 256 : w;
        char suffix[16] = "";
        if (t == full)
            snprintf(suffix, sizeof suffix, ".p/%llu", (unsigned long long)width);
        snprintf(p, sizeof p, "/log/tile/0/%03llu%s", (unsigned long long)t, suffix);
        get_bytes(p, 200, &r);
        assert_int_equal(r.len, width * 32);
        assert_string_equal(http_header(&r, "Content-Type", h, sizeof h), "application/octet-stream");
        assert_string_equal(http_header(&r, "Cache-Control", h, sizeof h),
                            t < full ? "public, max-age=31536000, immutable" : "public, max-age=5");
        memcpy(leaves[t * 256], r.body, r.len);
        http_free(&r);
        snprintf(p, sizeof p, "/log/tile/entries/%03llu%s", (unsigned long long)t, suffix);
        get_bytes(p, 200, &r);
        size_t off = 0;
        for (uint64_t i = 0; i < width; i++) {
            assert_true(off + 2 <= r.len);
            size_t el = (size_t)((uint8_t)r.body[off] << 8 | (uint8_t)r.body[off + 1]);
            off += 2;
            assert_true(off + el <= r.len);
            uint8_t lh[32];
            assert_int_equal(tnd_merkle_leaf_hash((uint8_t *)r.body + off, el, lh), 0);
            assert_memory_equal(lh, leaves[t * 256 + i], 32);
            tender_events_v1_Event ev;
            tender_events_v1_Event_init(&ev);
            assert_int_equal(tender_events_v1_Event_decode(&ev, (uint8_t *)r.body + off, el, NULL),
                             0);
            assert_int_equal(ev.seq, t * 256 + i);
            tender_events_v1_Event_free(&ev);
            off += el;
        }
        assert_int_equal(off, r.len);
        http_free(&r);
    }
    /* The root of the tiles is the signed root. */
    uint8_t root[32];
    mth((const uint8_t(*)[32])leaves, size, root);
    assert_memory_equal(root, cp.root, 32);
    /* Level 1: its first hash is the root of the first full level-0 tile. */
    snprintf(p, sizeof p, "/log/tile/1/000.p/%llu", (unsigned long long)full);
    get_bytes(p, 200, &r);
    assert_int_equal(r.len, 32 * full);
    uint8_t sub[32];
    mth((const uint8_t(*)[32])leaves, 256, sub);
    assert_memory_equal(r.body, sub, 32);
    http_free(&r);
    free(leaves);

    /* Beyond the signed tree, and every spelling but the spec's: 404. */
    const char *bad[] = {
        "/log/tile/0/001", /* not full yet (size < 512) */
        "/log/tile/1/000", /* level 1 is partial */
        "/log/tile/0/x000/000",     "/log/tile/00/000",      "/log/tile/0/0",
        "/log/tile/0/000.p/0",      "/log/tile/0/000.p/256", "/log/tile/0/000.p/01",
        "/log/tile/64/000",         "/log/tile/0/000/",      "/log/tile/entries/001",
        "/log/tile/entries/x1/000", "/log/tile/0/-01",       "/log/tiles"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hget(bad[i], &r);
        if (r.status != 404)
            fail_msg("GET %s: %d, expected 404", bad[i], r.status);
        http_free(&r);
    }
    snprintf(p, sizeof p, "/log/tile/0/001.p/%llu", (unsigned long long)w + 1);
    get_bytes(p, 404, &r);
    http_free(&r);
    /* A narrower partial tile is a prefix of the full one. */
    get_bytes("/log/tile/0/000.p/7", 200, &r);
    assert_int_equal(r.len, 7 * 32);
    http_free(&r);
}

/* ---- two requests on one connection ---- */

/* The portal at /: web/'s files embedded in tenderd, with their media type,
 * a Content-Security-Policy that allows only this origin, ETag and 304; the
 * schema module the browser's verifier encodes with; /log-key, the verifier
 * key the portal offers on a first visit. */
static void test_portal_files(void **state)
{
    (void)state;
    hresp r;
    char h[512], etag[80];
    hget("/", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(http_header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
    assert_non_null(http_header(&r, "Content-Security-Policy", h, sizeof h));
    HAS(h, "default-src 'self'");
    HAS_NOT(h, "unsafe-inline");
    assert_string_equal(http_header(&r, "Cache-Control", h, sizeof h), "no-cache");
    assert_non_null(http_header(&r, "ETag", etag, sizeof etag));
    HAS(r.body, "<html");
    HAS(r.body, "/js/app.js");
    HAS_NOT(r.body, "http://");
    HAS_NOT(r.body, "https://");
    http_free(&r);
    char inm[120];
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    hreq("GET", "/index.html", inm, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    http_free(&r);

    static const struct {
        const char *path, *type, *has;
    } files[] = {
        {"/style.css", "text/css; charset=utf-8", "@media"},
        {"/js/app.js", "text/javascript; charset=utf-8", "import"},
        {"/js/schema.js", "text/javascript; charset=utf-8", "\"tender.events.v1.Event\": [[1, \"seq\""},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        hget(files[i].path, &r);
        if (r.status != 200)
            fail_msg("GET %s: %d", files[i].path, r.status);
        assert_string_equal(http_header(&r, "Content-Type", h, sizeof h), files[i].type);
        assert_non_null(http_header(&r, "Content-Security-Policy", h, sizeof h));
        HAS(r.body, files[i].has);
        http_free(&r);
    }
    hget("/log-key", &r);
    assert_int_equal(r.status, 200);
    char want[420];
    snprintf(want, sizeof want, "%s\n", vkey);
    assert_string_equal(r.body, want);
    http_free(&r);
    /* Nothing outside the embedded files: no path reaches the file system. */
    expect_error("/../Makefile", 404, "NOT_FOUND");
    expect_error("/js/../../etc/passwd", 404, "NOT_FOUND");
    expect_error("/web/index.html", 404, "NOT_FOUND");
}

static void test_keep_alive(void **state)
{
    (void)state;
    static const char two[] = "GET /log/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /api/v1/feed?limit=1 HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n";
    hresp r;
    hraw(two, sizeof two - 1, &r);
    assert_int_equal(r.status, 200);
    HAS(r.body, "HTTP/1.1 200 OK"); /* the second answer, on the same connection */
    HAS(r.body, "\"events\":[{\"seq\":0,");
    http_free(&r);
}

/* ---- hostile input ---- */

static void test_hostile_input(void **state)
{
    (void)state;
    hresp r;
    size_t big = 200 * 1024;
    char *req = malloc(big + 512);
    assert_non_null(req);
    long rss0 = server_rss_kib();

    /* A huge URL: 414. */
    int n = sprintf(req, "GET /api/v1/tenders/");
    memset(req + n, 'A', big);
    n += (int)big;
    n += sprintf(req + n, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    hraw(req, (size_t)n, &r);
    assert_int_equal(r.status, 414);
    http_free(&r);
    /* Huge headers: 431. */
    n = sprintf(req, "GET /api/v1/tenders HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 400; i++)
        n += sprintf(req + n, "X-H%d: %0400d\r\n", i, 0);
    n += sprintf(req + n, "\r\n");
    hraw(req, (size_t)n, &r);
    assert_int_equal(r.status, 431);
    http_free(&r);
    free(req);

    /* Many clients holding half-sent requests of nearly the limit each: the
     * RPC keeps answering, and the server's memory stays bounded. */
    enum { HOLD = 60 };
    int fds[HOLD];
    char part[30 * 1024];
    int pl = sprintf(part, "GET /api/v1/tenders HTTP/1.1\r\nHost: x\r\nX-Pad: ");
    memset(part + pl, 'p', sizeof part - (size_t)pl);
    for (int i = 0; i < HOLD; i++) {
        fds[i] = connect_http();
        assert_true(send(fds[i], part, sizeof part, MSG_NOSIGNAL) > 0);
    }
    ctl(NULL, "health", NULL);
    EXPECT(0);
    HAS(R.out, "SERVING");
    json_t *v = get_json("/api/v1/tenders?page_size=1", 200);
    json_decref(v);
    long rss1 = server_rss_kib();
    for (int i = 0; i < HOLD; i++)
        close(fds[i]);
    /* 60 x 32 KiB of request buffers, with room for the allocator. */
    if (rss1 - rss0 > 16 * 1024)
        fail_msg("the server grew by %ld KiB", rss1 - rss0);
    print_message("server RSS %ld KiB -> %ld KiB with %d half-sent 30 KiB requests\n", rss0, rss1,
                  HOLD);

    /* Methods other than GET and HEAD: 405 with Allow; unknown paths: 404 JSON. */
    hreq("POST", "/api/v1/tenders", "Content-Length: 2\r\n", &r);
    assert_int_equal(r.status, 405);
    char h[64];
    assert_string_equal(http_header(&r, "Allow", h, sizeof h), "GET, HEAD");
    HAS(r.body, "\"status\":\"UNIMPLEMENTED\"");
    http_free(&r);
    expect_error("/no-such-page", 404, "NOT_FOUND");
    expect_error("/api/v2/tenders", 404, "NOT_FOUND");
    expect_error("/api/v1/bids", 404, "NOT_FOUND");
    ctl(NULL, "health", NULL);
    EXPECT(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tender_visibility_and_versions),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_questions_opening_awards_events),
        cmocka_unit_test(test_opening_and_awards),
        cmocka_unit_test(test_list_paging),
        cmocka_unit_test(test_list_by_value),
        cmocka_unit_test(test_feed_follows),
        cmocka_unit_test(test_tiles_root_checkpoint),
        cmocka_unit_test(test_portal_files),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
