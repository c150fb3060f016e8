/* End-to-end tests of tenderctl's tender and question commands: the real
 * $BUILD/bin/tenderd runs as a child process on a free loopback port with a
 * fresh PKI, and every step runs the real $BUILD/bin/tenderctl, checking its
 * exit status, stdout and stderr. */
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
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ctlrun.h"

static char committee[300];

static int setup(void **state)
{
    (void)state;
    if (ctlrun_init("/tmp/tnd_ctl_XXXXXX", NULL) != 0)
        return -1;
    /* A committee of three, with random X25519-sized keys. */
    path(committee, sizeof committee, "committee.txt");
    FILE *f = fopen(committee, "w");
    if (!f)
        return -1;
    fputs("# the opening committee\n", f);
    const char *names[] = {"Kim Min-jun", "Lee Ji-eun", "Park Seo-yeon"};
    for (int i = 0; i < 3; i++) {
        uint8_t k[32];
        unsigned char b64[64];
        if (RAND_bytes(k, sizeof k) != 1)
            return -1;
        EVP_EncodeBlock(b64, k, sizeof k);
        fprintf(f, "%s  %s\n%s", names[i], b64, i == 0 ? "\n" : "");
    }
    fclose(f);
    return ctlrun_start_server(NULL);
}

/* ---- tests ---- */

/* Create a tender with the committee and the usual fields; its id into id. */
static void create(const char *title, const char *budget, const char *currency, char *id,
                   size_t len)
{
    char dl[32], op[32];
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", title, "--budget", budget, "--currency", currency,
        "--deadline", dl, "--opening", op, "--committee", committee, NULL);
    EXPECT(0);
    first_line(id, len);
    assert_true(strncmp(id, "T-", 2) == 0);
}

/* ---- a tender's life cycle, step by step ---- */

#define PDF "%PDF-1.4 the tender specification\n"
#define BIG_LEN 2500000 /* three chunks of AddDocument and Download */

/* The zip's bytes, the same every time. */
static void big_content(char *content)
{
    for (size_t i = 0; i < BIG_LEN; i++)
        content[i] = (char)(i * 7 + i / 1000);
}

/* A draft of the officer with the usual fields, a deadline in 30 days
 * (into dl when not NULL) and, with docs, two documents: spec.pdf and
 * drawings.zip. Its id into id (64 bytes). */
static void draft(char *id, bool docs, char *dl)
{
    char spec[300], big[300], line[200], d[32], op[32];
    static char content[BIG_LEN];
    if (docs) {
        path(spec, sizeof spec, "spec.pdf");
        write_file(spec, PDF, strlen(PDF));
        big_content(content);
        path(big, sizeof big, "drawings.zip");
        write_file(big, content, sizeof content);
    }
    future(d, sizeof d, 30);
    future(op, sizeof op, 30.5);
    if (dl)
        snprintf(dl, 32, "%s", d);
    if (docs)
        ctl("officer", "tender", "create", "--title", "Road resurfacing, Gangnam lot", "--budget",
            "1234.56", "--currency", "EUR", "--deadline", d, "--opening", op, "--cpv", "45233140-2",
            "--method", "open", "--category", "works", "--committee", committee, "--threshold", "2",
            "--doc", spec, "--doc", big, NULL);
    else
        ctl("officer", "tender", "create", "--title", "Road resurfacing, Gangnam lot", "--budget",
            "1234.56", "--currency", "EUR", "--deadline", d, "--opening", op, "--cpv", "45233140-2",
            "--method", "open", "--category", "works", "--committee", committee, "--threshold", "2",
            NULL);
    EXPECT(0);
    first_line(id, 64);
    if (docs) {
        snprintf(line, sizeof line, "%s\n%s-D1\n%s-D2\n", id, id, id);
        assert_string_equal(R.out, line); /* distinct idempotency keys: D2 is not a replay of D1 */
    }
}

/* The title becomes "Road resurfacing, lot 2" with an enquiry deadline. */
static void edit(const char *id)
{
    char enq[32];
    future(enq, sizeof enq, 20);
    ctl("officer", "tender", "edit", id, "--title", "Road resurfacing, lot 2", "--enquiry-deadline",
        enq, NULL);
    EXPECT(0);
    HAS(R.out, "edited");
}

static void publish(const char *id)
{
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(0);
    HAS(R.out, "published (status active, version 1)");
}

/* Ten more days: the deadline in 40 days (into dl2), version 2. */
static void amend(const char *id, char *dl2)
{
    char op2[32];
    future(dl2, 32, 40);
    future(op2, sizeof op2, 40.5);
    ctl("officer", "tender", "amend", id, "--deadline", dl2, "--opening", op2, "--note",
        "ten more days", NULL);
    EXPECT(0);
    HAS(R.out, "amended (status active, version 2)");
}

/* Create with two documents and a committee: the id, then each document's id. */
static void test_a_draft_is_created_with_its_documents_and_committee(void **state)
{
    (void)state;
    char id[64];
    draft(id, true, NULL);
    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "status:               draft");
    HAS(R.out, "buyer:                Ministry of Works");
    HAS(R.out, "value:                1234.56 EUR");
    HAS(R.out, "method:               open");
    HAS(R.out, "category:             works");
    HAS(R.out, "cpv:                  45233140-2");
    HAS(R.out, "committee:            3 members, threshold 2");
    HAS(R.out, "documents:            2");
}

static void test_a_draft_is_invisible_to_others(void **state)
{
    (void)state;
    char id[64];
    draft(id, false, NULL);
    ctl(NULL, "tender", "show", id, NULL);
    EXPECT(10 + 5);
}

static void test_an_edit_keeps_the_untouched_fields(void **state)
{
    (void)state;
    char id[64];
    draft(id, false, NULL);
    edit(id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "title:                Road resurfacing, lot 2");
    HAS(R.out, "value:                1234.56 EUR"); /* untouched fields kept */
    HAS(R.out, "committee:            3 members, threshold 2");
}

static void test_publishing_makes_version_1_active(void **state)
{
    (void)state;
    char id[64];
    draft(id, false, NULL);
    publish(id);
}

/* A question is public once answered; the asker stays the buyer's to know. */
static void test_a_question_is_public_once_answered(void **state)
{
    (void)state;
    char id[64];
    draft(id, false, NULL);
    publish(id);
    ctl("supplier", "question", "ask", id, "--text", "Is asphalt removal included?", NULL);
    EXPECT(0);
    assert_string_equal(R.out, "Q-1\n");
    ctl(NULL, "question", "list", id, NULL); /* unanswered: not public yet */
    EXPECT(0);
    HAS_NOT(R.out, "asphalt");
    ctl("officer", "question", "answer", id, "Q-1", "--text", "Yes, 5 cm.", NULL);
    EXPECT(0);
    HAS(R.out, "Q-1 answered");
    ctl(NULL, "question", "list", id, NULL);
    EXPECT(0);
    HAS(R.out, "Q-1");
    HAS(R.out, "Q: Is asphalt removal included?");
    HAS(R.out, "A: Yes, 5 cm.");
    HAS_NOT(R.out, "Acme"); /* the asker stays the buyer's to know */
    ctl("officer", "question", "list", id, NULL);
    HAS(R.out, "by Acme Construction");
}

static void test_an_amendment_keeps_each_version_readable(void **state)
{
    (void)state;
    char id[64], dl[32], dl2[32], line[200];
    draft(id, false, dl);
    publish(id);
    amend(id, dl2);
    ctl(NULL, "tender", "show", id, "--version", "1", NULL);
    EXPECT(0);
    HAS(R.out, "version:              1\n");
    snprintf(line, sizeof line, "submission deadline:  %s", dl);
    HAS(R.out, line);
    HAS_NOT(R.out, "ten more days");
    ctl(NULL, "tender", "show", id, "--version", "2", NULL);
    EXPECT(0);
    HAS(R.out, "version:              2\n");
    snprintf(line, sizeof line, "submission deadline:  %s", dl2);
    HAS(R.out, line);
    HAS(R.out, "amendment note:       ten more days");
}

static void test_documents_are_listed_with_their_hashes(void **state)
{
    (void)state;
    char id[64], line[200], hex_pdf[65], hex_big[65];
    static char content[BIG_LEN];
    draft(id, true, NULL);
    publish(id);
    big_content(content);
    sha_hex(PDF, strlen(PDF), hex_pdf);
    sha_hex(content, sizeof content, hex_big);
    ctl(NULL, "tender", "documents", id, NULL);
    EXPECT(0);
    snprintf(line, sizeof line, "%s-D1  spec.pdf  application/pdf  %zu  %s", id, strlen(PDF),
             hex_pdf);
    HAS(R.out, line);
    snprintf(line, sizeof line, "%s-D2  drawings.zip  application/zip  2500000  %s", id, hex_big);
    HAS(R.out, line);
}

/* Download into a fresh folder under the document's own name; never over
 * an existing file without --force. */
static void test_a_download_never_overwrites_a_file_without_force(void **state)
{
    (void)state;
    char id[64], dl_dir[300], dl_file[400], doc[80];
    static char content[BIG_LEN], got[2600000];
    draft(id, true, NULL);
    publish(id);
    big_content(content);
    path(dl_dir, sizeof dl_dir, id); /* a folder of this test's own */
    assert_int_equal(mkdir(dl_dir, 0700), 0);
    snprintf(doc, sizeof doc, "%s-D2", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(0);
    snprintf(dl_file, sizeof dl_file, "%s/drawings.zip", dl_dir);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)sizeof content);
    assert_memory_equal(got, content, sizeof content);
    write_file(dl_file, "keep me", 7);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(1);
    HAS(R.err, "exists");
    assert_int_equal(read_file(dl_file, got, sizeof got), 7);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, "--force", NULL);
    EXPECT(0);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)sizeof content);
    assert_memory_equal(got, content, sizeof content);
    snprintf(doc, sizeof doc, "%s-D1", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, "--output", "renamed.pdf", NULL);
    EXPECT(0);
    snprintf(dl_file, sizeof dl_file, "%s/renamed.pdf", dl_dir);
    assert_int_equal(read_file(dl_file, got, sizeof got), (long)strlen(PDF));
    assert_memory_equal(got, PDF, strlen(PDF));
    snprintf(doc, sizeof doc, "%s-D9", id);
    ctl_in(dl_dir, NULL, "tender", "download", id, doc, NULL);
    EXPECT(10 + 5);
}

static void test_the_list_filters_by_status_cpv_text_deadline_and_value(void **state)
{
    (void)state;
    char id[64], dl2[32], from[32], to[32];
    draft(id, false, NULL);
    edit(id);
    publish(id);
    amend(id, dl2);
    future(from, sizeof from, 35);
    future(to, sizeof to, 45);
    ctl(NULL, "tender", "list", "--status", "active", "--cpv", "4523", "--text", "LOT 2",
        "--deadline-from", from, "--deadline-to", to, NULL);
    EXPECT(0);
    HAS(R.out, id);
    HAS(R.out, "1234.56 EUR");
    HAS(R.out, "Road resurfacing, lot 2");
    ctl(NULL, "tender", "list", "--status", "draft", NULL);
    EXPECT(0);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--cpv", "3000", NULL);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--deadline-to", from, NULL);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--value-min", "1234.56", "--value-max", "2000", "--currency",
        "eur", NULL);
    EXPECT(0);
    HAS(R.out, id);
    ctl(NULL, "tender", "list", "--value-min", "1234.57", "--currency", "EUR", NULL);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--currency", "KRW", NULL);
    HAS_NOT(R.out, id);
    ctl(NULL, "tender", "list", "--value-max", "1.001", "--currency", "EUR", NULL);
    EXPECT(2);
    HAS(R.err, "--value-max 1.001 EUR has more decimals than EUR allows (2)");
    ctl(NULL, "tender", "list", "--value-min", "2", "--value-max", "1", "--currency", "EUR", NULL);
    EXPECT(10 + 3); /* INVALID_ARGUMENT, from the server */
    HAS(R.err, "value_min (200 minor units) is above value_max (100)");
}

static void test_a_cancelled_tender_shows_its_reason(void **state)
{
    (void)state;
    char id[64];
    draft(id, false, NULL);
    publish(id);
    ctl("officer", "tender", "cancel", id, "--reason", "funding withdrawn", "--reason-code",
        "budget-cut", NULL);
    EXPECT(0);
    HAS(R.out, "cancelled");
    ctl(NULL, "tender", "show", id, NULL);
    HAS(R.out, "status:               cancelled");
    HAS(R.out, "cancel reason:        funding withdrawn");
}

static void test_cancelled_draft_stays_private(void **state)
{
    (void)state;
    char spec[300], id[64], doc[80], dl[32], op[32];
    path(spec, sizeof spec, "draft-spec.txt");
    write_file(spec, "draft terms\n", 12);
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", "Undisclosed bridge plan", "--budget", "10",
        "--currency", "EUR", "--deadline", dl,
        "--opening", op, "--committee", committee, "--doc", spec, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    snprintf(doc, sizeof doc, "%s-D1", id);
    ctl("officer", "tender", "cancel", id, "--reason", "minister vetoed the bridge",
        "--reason-code", "other", NULL);
    EXPECT(0);
    ctl("officer", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "status:               cancelled");
    HAS(R.out, "cancel reason:        minister vetoed the bridge");
    const char *others[] = {NULL, "supplier", "officer2"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        ctl(others[i], "tender", "show", id, NULL);
        EXPECT(10 + 5);
        HAS_NOT(R.out, "bridge");
        ctl(others[i], "tender", "list", NULL);
        EXPECT(0);
        HAS_NOT(R.out, id);
        ctl(others[i], "tender", "list", "--status", "cancelled", NULL);
        EXPECT(0);
        HAS_NOT(R.out, id);
        ctl(others[i], "tender", "download", id, doc, "--output", "leak.txt", NULL);
        EXPECT(10 + 5);
    }
    ctl("supplier", "question", "ask", id, "--text", "still open?", NULL);
    EXPECT(10 + 5);
    /* The log records that the draft was created, got a document and was
     * cancelled, with hashes only. */
    ctl(NULL, "audit", "log", "--tender", id, NULL);
    EXPECT(0);
    HAS(R.out, "tender_cancelled");
    HAS_NOT(R.out, "minister");
    HAS_NOT(R.out, "bridge");
    HAS_NOT(R.out, "draft-spec");
}

static void test_money_round_trip(void **state)
{
    (void)state;
    char id[64];
    create("Money EUR", "1234.56", "EUR", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                1234.56 EUR");
    ctl("officer", "--json", "tender", "show", id, NULL);
    EXPECT(0);
    HAS(R.out, "\"estimated_value\":{\"minor_units\":123456,\"currency\":\"EUR\"}");
    assert_true(json_ok(R.out));

    create("Money KRW", "1500000", "KRW", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                1500000 KRW");
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":1500000,\"currency\":\"KRW\"");

    create("Money KWD", "12.345", "kwd", id, sizeof id); /* three decimals; any case */
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":12345,\"currency\":\"KWD\"");
    create("Money USD whole", "7", "USD", id, sizeof id);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                7.00 USD");
    /* Amounts past what a double holds exactly stay exact. */
    create("Money big", "92233720368547758.07", "EUR", id, sizeof id);
    ctl("officer", "tender", "show", id, "--json", NULL);
    HAS(R.out, "\"minor_units\":9223372036854775807,");
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                92233720368547758.07 EUR");
    /* Edit keeps the currency when only the amount changes. */
    ctl("officer", "tender", "edit", id, "--budget", "0.10", NULL);
    EXPECT(0);
    ctl("officer", "tender", "show", id, NULL);
    HAS(R.out, "value:                0.10 EUR");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    char dl[32];
    future(dl, sizeof dl, 10);
#define CREATE(...)                                                                                \
    ctl("officer", "tender", "create", "--title", "Bad", "--deadline", dl, "--opening", dl,        \
        __VA_ARGS__, NULL)
    CREATE("--budget", "10", "--currency", "EUR", "--deadline", "2026-12-01 10:00");
    EXPECT(2);
    HAS(R.err, "RFC 3339");
    CREATE("--budget", "10", "--currency", "EUR", "--opening", "2026-12-01T10:00:00");
    EXPECT(2);
    HAS(R.err, "time zone");
    CREATE("--budget", "10", "--currency", "EUR", "--deadline", "2026-02-29T10:00:00Z");
    EXPECT(2);
    HAS(R.err, "no such date");
    CREATE("--budget", "1.005", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "1.005 EUR has more decimals than EUR allows (2)");
    CREATE("--budget", "1.5", "--currency", "KRW");
    EXPECT(2);
    HAS(R.err, "1.5 KRW has more decimals than KRW allows (0)");
    CREATE("--budget", "1e3", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "decimal amount");
    CREATE("--budget", "-5", "--currency", "EUR");
    EXPECT(2);
    CREATE("--budget", "10", "--currency", "EURO");
    EXPECT(2);
    HAS(R.err, "not a currency code");
    CREATE("--budget", "10", "--currency", "ZZZ");
    EXPECT(2);
    HAS(R.err, "not an ISO 4217 currency");
    CREATE("--budget", "99999999999999999999", "--currency", "EUR");
    EXPECT(2);
    HAS(R.err, "too large");
    CREATE("--budget", "10", "--currency", "EUR", "--method", "auction");
    EXPECT(2);
    HAS(R.err, "--method");
    CREATE("--budget", "10", "--currency", "EUR", "--bogus", "x");
    EXPECT(2);
    HAS(R.err, "unknown option --bogus");
    ctl("officer", "tender", "create", "--budget", "10", "--currency", "EUR", "--deadline", dl,
        "--opening", dl, NULL);
    EXPECT(2);
    HAS(R.err, "--title is required");

    char bad[300];
    path(bad, sizeof bad, "bad_committee.txt");
    write_file(bad, "Kim c2hvcnQ=\n", 13);
    CREATE("--budget", "10", "--currency", "EUR", "--committee", bad);
    EXPECT(2);
    HAS(R.err, "bad_committee.txt:1");
    HAS(R.err, "not 32 bytes");
    CREATE("--budget", "10", "--currency", "EUR", "--committee", committee, "--threshold", "4");
    EXPECT(2);
    HAS(R.err, "--threshold 4");
    CREATE("--budget", "10", "--currency", "EUR", "--doc", "/nonexistent/file.pdf");
    EXPECT(1);
    HAS(R.err, "/nonexistent/file.pdf");
#undef CREATE

    ctl("officer", "tender", "amend", "T-1", "--title", "x", NULL);
    EXPECT(2);
    HAS(R.err, "--note");
    ctl("officer", "tender", "cancel", "T-1", NULL);
    EXPECT(2);
    ctl("officer", "tender", "frobnicate", NULL);
    EXPECT(2);
    ctl(NULL, "tender", "show", "T-1999-999999", NULL);
    EXPECT(10 + 5);
    HAS(R.err, "NOT_FOUND");
}

static void test_roles_and_rules(void **state)
{
    (void)state;
    char dl[32], id[64];
    future(dl, sizeof dl, 10);
    ctl("supplier", "tender", "create", "--title", "Not mine", "--budget", "10", "--currency",
        "EUR", "--deadline", dl, "--opening", dl, NULL);
    EXPECT(10 + 7);
    HAS(R.err, "PERMISSION_DENIED");
    HAS(R.err, "role officer");

    /* Without --committee the draft is created; publishing it is refused. */
    ctl("officer", "tender", "create", "--title", "No committee", "--budget", "10", "--currency",
        "EUR", "--deadline", dl, "--opening", dl, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    ctl("officer", "tender", "publish", id, NULL);
    EXPECT(10 + 9); /* FAILED_PRECONDITION: the draft is incomplete */
    HAS(R.err, "committee");
    /* Another organisation's officer cannot see the draft. */
    ctl("officer2", "tender", "edit", id, "--title", "taken", NULL);
    EXPECT(10 + 5);
    /* Documents added by edit to the draft. */
    char f[300];
    path(f, sizeof f, "notes.txt");
    write_file(f, "a,b\n", 4);
    ctl("officer", "tender", "edit", id, "--doc", f, NULL);
    EXPECT(0);
    char want[100];
    snprintf(want, sizeof want, "%s-D1\n", id);
    assert_string_equal(R.out, want);
    ctl("officer", "tender", "documents", id, NULL);
    HAS(R.out, "notes.txt  text/plain  4");
}

static void test_json_outputs_parse(void **state)
{
    (void)state;
    char id[64], dl_dir[300], doc[80], f[300];
    path(f, sizeof f, "data.json");
    write_file(f, "{\"a\": 1}\n", 9);
    char dl[32];
    future(dl, sizeof dl, 10);
    ctl("officer", "--json", "tender", "create", "--title", "JSON \"quoted\"\ttitle", "--budget",
        "5", "--currency", "EUR", "--deadline", dl, "--opening", dl, "--committee", committee,
        "--doc", f, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"id\":\"T-");
    HAS(R.out, "\"name\":\"data.json\",\"media_type\":\"application/json\"");
    snprintf(id, sizeof id, "%.*s", (int)strcspn(strstr(R.out, "T-"), "\""), strstr(R.out, "T-"));
    ctl("officer", "tender", "publish", id, "--json", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"status\":\"ACTIVE\"");
    ctl(NULL, "tender", "show", id, "--json", NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"title\":\"JSON \\\"quoted\\\"\\ttitle\"");
    ctl(NULL, "tender", "list", "--json", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"next_cursor\":\"\"");
    ctl(NULL, "tender", "documents", id, "--json", NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"sha256\":\"");
    ctl("supplier", "--json", "question", "ask", id, "--text", "When?", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    ctl("officer", "--json", "question", "answer", id, "Q-1", "--text", "Now.", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    ctl(NULL, "--json", "question", "list", id, NULL);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"answer\":\"Now.\"");
    path(dl_dir, sizeof dl_dir, "json_dl");
    assert_int_equal(mkdir(dl_dir, 0700), 0);
    snprintf(doc, sizeof doc, "%s-D1", id);
    ctl_in(dl_dir, NULL, "--json", "tender", "download", id, doc, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"size\":9");
}

static void test_list_paging(void **state)
{
    (void)state;
    char id[5][64], cursor[300];
    for (int i = 0; i < 5; i++) {
        char title[32];
        snprintf(title, sizeof title, "Paging %d", i);
        create(title, "1", "EUR", id[i], sizeof id[i]);
    }
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", NULL);
    EXPECT(0);
    HAS(R.out, id[0]);
    HAS(R.out, id[1]);
    HAS_NOT(R.out, id[2]);
    const char *c = strstr(R.err, "--cursor ");
    assert_non_null(c);
    snprintf(cursor, sizeof cursor, "%.*s", (int)strcspn(c + 9, " \n"), c + 9);
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", "--cursor", cursor,
        NULL);
    EXPECT(0);
    HAS(R.out, id[2]);
    HAS(R.out, id[3]);
    HAS_NOT(R.out, id[1]);
    ctl("officer", "tender", "list", "--text", "paging", "--page-size", "2", "--all", NULL);
    EXPECT(0);
    for (int i = 0; i < 5; i++)
        HAS(R.out, id[i]);
    HAS_NOT(R.err, "--cursor");
    ctl("officer", "--json", "tender", "list", "--text", "paging", "--page-size", "2", "--all",
        NULL);
    assert_true(json_ok(R.out));
    for (int i = 0; i < 5; i++)
        HAS(R.out, id[i]);
    ctl("officer", "tender", "list", "--cursor", "zz", NULL);
    EXPECT(10 + 3);
}

static void test_help(void **state)
{
    (void)state;
    ctl(NULL, "tender", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "download ID DOCUMENT_ID");
    ctl(NULL, "tender", "create", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--committee FILE");
    ctl(NULL, "question", "answer", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "QUESTION_ID");
    ctl(NULL, "tender", NULL);
    EXPECT(2);
}

/* The command tables: each option is checked by its kind before the command runs
 * (a usage error names the command and the option), --help never runs the command,
 * and the man page and completion are written from the tables. */
static void test_command_tables(void **state)
{
    (void)state;
    ctl(NULL, "tender", "list", "--deadline-from", "yesterday", NULL);
    EXPECT(2);
    HAS(R.err, "tender list: --deadline-from");
    HAS(R.err, "RFC 3339");
    ctl(NULL, "bid", "submit", "T-2026-000001", "--price", "1.5", "--currency", "KRW", NULL);
    EXPECT(2);
    HAS(R.err, "bid submit: --price 1.5 KRW has more decimals than KRW allows (0)");
    ctl(NULL, "--timeout", "0", "health", NULL);
    EXPECT(2);
    HAS(R.err, "--timeout 0: expected a positive number of seconds");
    ctl(NULL, "health", "--timeout=-1", NULL);
    EXPECT(2);
    ctl(NULL, "tender", "list", "--all=yes", NULL);
    EXPECT(2);
    HAS(R.err, "tender list: unknown option --all=yes");
    ctl(NULL, "question", "ask", "--text", NULL);
    EXPECT(2);
    HAS(R.err, "question ask: --text needs a value");
    ctl(NULL, "tender", "show", "A", "B", NULL);
    EXPECT(2);
    HAS(R.err, "tender show: unexpected argument \"B\"");
    ctl(NULL, "pki", "issue", "dir", "name", "--role", "officer", NULL);
    EXPECT(2);
    HAS(R.err, "--org");
    ctl(NULL, "pki", "bogus", NULL);
    EXPECT(2);
    HAS(R.err, "pki: unknown command \"bogus\"");
    /* --help prints and stops, even after options the command would refuse. */
    ctl(NULL, "tender", "create", "--title", "x", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "usage: tenderctl tender create");
    assert_string_equal(R.err, "");
    ctl(NULL, "help", NULL);
    EXPECT(0);
    HAS(R.out, "Commands:");

    ctl(NULL, "completion", "bash", NULL);
    EXPECT(0);
    HAS(R.out, "complete -F _tenderctl tenderctl");
    HAS(R.out, "\"tender create --method\") COMPREPLY=($(compgen -W \"open selective limited direct\"");

    /* The man page: every command must have its place in the template. */
    char tmpl[300], cwd[200];
    path(tmpl, sizeof tmpl, "short.scd.in");
    write_file(tmpl, "x(1)\n\n# COMMANDS\n\n@command health\n", 34);
    ctl(NULL, "gen-man", tmpl, NULL);
    EXPECT(1);
    HAS(R.err, "has no \"@command tender create\" line");
    write_file(tmpl, "x(1)\n@command tender bogus\n", 27);
    ctl(NULL, "gen-man", tmpl, NULL);
    EXPECT(1);
    HAS(R.err, "no command \"tender bogus\"");
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(tmpl, sizeof tmpl, "%s/docs/man/tenderctl.1.scd.in", cwd);
    ctl(NULL, "gen-man", tmpl, NULL);
    EXPECT(0);
    HAS(R.out, "*tender create* *--title* _TEXT_");
    HAS(R.out, "*--enquiry-deadline* _TIME_");
    HAS(R.out, "# EXIT STATUS");
}

/* --request-id: the server logs the call under it (a NOT_FOUND is a warn
 * line, which the test server writes); a bad id is a usage error. */
static void test_request_id(void **state)
{
    (void)state;
    ctl(NULL, "--request-id", "ctl-trace-5", "tender", "show", "T-2026-999999", NULL);
    EXPECT(10 + 5);
    static char text[1 << 20];
    char logp[300];
    path(logp, sizeof logp, "tenderd.log");
    bool found = false;
    for (int i = 0; i < 200 && !found; i++) {
        found = read_file(logp, text, sizeof text) > 0 && strstr(text, "request_id=ctl-trace-5");
        if (!found)
            usleep(10000);
    }
    assert_true(found);
    ctl(NULL, "--request-id", "two words", "health", NULL);
    EXPECT(2);
    HAS(R.err, "bad request id");
}

/* `methods` shows which methods write (only the writer node serves them). */
static void test_methods_show_writes(void **state)
{
    (void)state;
    ctl(NULL, "methods", "tender.bids.v1.Bids", NULL);
    EXPECT(0);
    HAS(R.out, "IDEMPOTENT  WRITES\n");
    const char *submit = strstr(R.out, "tender.bids.v1.Bids/Submit ");
    const char *status = strstr(R.out, "tender.bids.v1.Bids/Status ");
    assert_non_null(submit);
    assert_non_null(status);
    assert_memory_equal(strchr(submit, '\n') - 3, "yes", 3);
    assert_memory_equal(strchr(status, '\n') - 2, "no", 2);
    ctl(NULL, "--json", "methods", "tender.bids.v1.Bids", NULL);
    EXPECT(0);
    HAS(R.out, "\"writes\":true");
    HAS(R.out, "\"writes\":false");
}

/* Several servers: --server repeated or a comma-separated list (also in
 * TENDER_SERVER); a node that cannot be reached is passed over, and a list
 * with an empty address is a usage error. */
static void test_several_servers(void **state)
{
    (void)state;
    char real[64], list[160];
    snprintf(real, sizeof real, "127.0.0.1:%d", ctl_port);
    snprintf(list, sizeof list, "127.0.0.1:1,%s", real);
    ctl_server_arg = "127.0.0.1:1";
    ctl(NULL, "--server", real, "health", NULL);
    EXPECT(0);
    ctl_server_arg = list;
    ctl(NULL, "tender", "list", NULL);
    EXPECT(0);
    ctl_server_arg = "";
    ctl_server_env = list;
    ctl(NULL, "health", NULL);
    EXPECT(0);
    ctl_server_env = "127.0.0.1:1";
    ctl(NULL, "health", NULL);
    EXPECT(10 + 14); /* the one server given does not listen: UNAVAILABLE */
    ctl_server_arg = NULL;
    ctl_server_env = NULL;
    ctl(NULL, "--server", "127.0.0.1:1,", "health", NULL);
    EXPECT(2);
    HAS(R.err, "an empty address in the list");
    ctl(NULL, "--server", "nowhere", "health", NULL);
    EXPECT(2);
    HAS(R.err, "bad server address \"nowhere\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_draft_is_created_with_its_documents_and_committee),
        cmocka_unit_test(test_a_draft_is_invisible_to_others),
        cmocka_unit_test(test_an_edit_keeps_the_untouched_fields),
        cmocka_unit_test(test_publishing_makes_version_1_active),
        cmocka_unit_test(test_a_question_is_public_once_answered),
        cmocka_unit_test(test_an_amendment_keeps_each_version_readable),
        cmocka_unit_test(test_documents_are_listed_with_their_hashes),
        cmocka_unit_test(test_a_download_never_overwrites_a_file_without_force),
        cmocka_unit_test(test_the_list_filters_by_status_cpv_text_deadline_and_value),
        cmocka_unit_test(test_a_cancelled_tender_shows_its_reason),
        cmocka_unit_test(test_cancelled_draft_stays_private),
        cmocka_unit_test(test_money_round_trip),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_roles_and_rules),
        cmocka_unit_test(test_json_outputs_parse),
        cmocka_unit_test(test_list_paging),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_command_tables),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_several_servers),
        cmocka_unit_test(test_methods_show_writes),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
