/* End-to-end tests of tenderctl complaint against the real $BUILD/bin/tenderd
 * running as a child process. The group setup opens one tender through
 * tenderctl (supplier and supplier2 bid, the committee opens) and awards it
 * to the supplier; the tests then share it: the supplier complains about the
 * award (the public sees nothing until the reviewer accepts, and never who
 * complained), the reviewer accepts and satisfies it (its signatures verify
 * in complaint show), the officer cancels the award as upheld; supplier2's
 * complaint is withdrawn by supplier2 only; a supplier who did not bid and a
 * supplier who is not a reviewer are refused with the server's message. A
 * second, active tender takes a complaint about its conditions with
 * documents, downloaded against their SHA-256. Argument errors are caught
 * before any call (the server given then does not exist). Last, an
 * in-process server whose Complaints/Get answers a review altered after it
 * was signed: complaint show says so and exits 4. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ctlrun.h"
#include "tender/complaint.h"
#include "testsrv.h"
#include "transport/rpc.h"
#include "transport/server.h"

static char vkey[400];
static char tender[64], award_id[80], lo[64], complaint1[96], active[64];

static void open_and_award(void);

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_complaints_XXXXXX", NULL) != 0)
        return -1;
    /* A supplier who does not bid. */
    ctl(NULL, "pki", "issue", ctl_pki, "supplier3", "--role", "supplier", "--org", "Initech", NULL);
    if (!ctl_ok("pki issue supplier3", 0, "supplier3.crt"))
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0) {
        fprintf(stderr, "tenderd --print-log-key failed\n");
        return -1;
    }
    /* A standstill no step waits for: the complaints are filed in it. */
    static const char *const extra[] = {"--standstill", "600", NULL};
    if (ctlrun_start_server(extra) != 0)
        return -1;
    open_and_award();
    return 0;
}

static void submit(const char *who, const char *id, const char *price, char *bid, size_t len)
{
    char bids[300];
    path(bids, sizeof bids, who);
    ctl(who, "--log-key", vkey, "bid", "submit", id, "--price", price, "--currency", "KRW",
        "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(bid, len);
}

/* The tender: created, bid for by supplier (100000 KRW) and supplier2,
 * opened by officer and admin, awarded to the supplier. */
static void open_and_award(void)
{
    char pub[3][64], text[1024], committee[300], dl[32], op[32], hi[64], kf[400];
    static const char *const members[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(members[i], pub[i], sizeof pub[i]);
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    path(committee, sizeof committee, "members.txt");
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL), opening = t0 + 16;
    ctl("officer", "tender", "create", "--title", "Complained road works", "--budget", "500000",
        "--currency", "KRW", "--deadline", at(dl, sizeof dl, t0 + 15), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "2", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    submit("supplier", tender, "100000", lo, sizeof lo);
    submit("supplier2", tender, "150000", hi, sizeof hi);
    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("admin", "open", tender, "--key", key_file("admin", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl("officer", "award", tender, "--winner", lo, "--criterion", "lowest-price", "--rationale",
        "lowest valid price", NULL);
    EXPECT(0);
    /* "award T-...-A1 of tender T-...: standstill" */
    assert_int_equal(sscanf(R.out, "award %79s of tender", award_id), 1);
}

/* Every argument error is caught before a call: the server named does not
 * listen, so a call would end in UNAVAILABLE (24), not 2. */
static void test_argument_errors_come_before_any_call(void **state)
{
    (void)state;
    ctl_server_arg = "127.0.0.1:1"; /* the only server: nothing listens there */
    ctl("supplier", "complaint", "file", tender, "--about", "award", "--award",
        award_id, "--text", "t", NULL);
    EXPECT(2);
    HAS(R.err, "--title TEXT is required");
    ctl("supplier", "complaint", "file", tender, "--about", "price", "--title",
        "t", "--text", "t", NULL);
    EXPECT(2);
    HAS(R.err, "--about price: use conditions, award or cancellation");
    ctl("supplier", "complaint", "file", tender, "--about", "award", "--title",
        "t", "--text", "t", NULL);
    EXPECT(2);
    HAS(R.err, "--about award needs --award");
    ctl("supplier", "complaint", "file", tender, "--about", "conditions",
        "--title", "t", NULL);
    EXPECT(2);
    HAS(R.err, "--text TEXT or --text-file FILE");
    ctl("reviewer", "complaint", "decide", "T-1-C1", "--outcome", "accept",
        "--reasoning", "r", NULL);
    EXPECT(2);
    HAS(R.err, "to accept, run tenderctl complaint accept");
    ctl("reviewer", "complaint", "decide", "T-1-C1", "--outcome", "uphold",
        "--reasoning", "r", NULL);
    EXPECT(2);
    HAS(R.err, "--outcome refuse|satisfy|reject is required; not uphold");
    ctl("reviewer", "complaint", "accept", "T-1-C1", NULL);
    EXPECT(2);
    HAS(R.err, "--reasoning TEXT is required");
    ctl(NULL, "complaint", "accept", "T-1-C1", "--reasoning", "r", NULL);
    EXPECT(2);
    HAS(R.err, "a reviewer certificate is needed");
    /* Documents: at most 20, 1 MiB each. */
    char big[300], small[300];
    path(big, sizeof big, "big.pdf");
    path(small, sizeof small, "small.txt");
    char *data = calloc(1, (1u << 20) + 1);
    assert_non_null(data);
    write_file(big, data, (1u << 20) + 1);
    free(data);
    write_file(small, "x", 1);
    ctl("supplier", "complaint", "file", tender, "--about", "conditions",
        "--title", "t", "--text", "t", "--document", small, "--document", big, NULL);
    EXPECT(1);
    HAS(R.err, "big.pdf: larger than 1 MiB");
#define DOC "--document", small
#define DOC7 DOC, DOC, DOC, DOC, DOC, DOC, DOC
    ctl("supplier", "complaint", "file", tender, "--about", "conditions",
        "--title", "t", "--text", "t", DOC7, DOC7, DOC7, NULL);
    EXPECT(2);
    HAS(R.err, "at most 20 --document options");
    ctl_server_arg = NULL;
}

/* A bidder complains about the award; until the reviewer accepts it, only
 * the complainant, the buyer's officers and the reviewer see it. A supplier
 * who did not bid is refused. */
static void test_a_bidder_complains_about_the_award(void **state)
{
    (void)state;
    char want[200];
    ctl("supplier3", "complaint", "file", tender, "--about", "award", "--award", award_id,
        "--title", "Not a bidder", "--text", "I did not bid", NULL);
    EXPECT(10 + 7);
    snprintf(want, sizeof want,
             "PERMISSION_DENIED: only a bidder of tender %s may complain about its award", tender);
    HAS(R.err, want);

    ctl("supplier", "complaint", "file", tender, "--about", "award", "--award", award_id, "--title",
        "Abnormally low price", "--text",
        "The winning price cannot be right.\nSee "
        "the market prices.",
        NULL);
    EXPECT(0);
    first_line(complaint1, sizeof complaint1);
    snprintf(want, sizeof want, "%s-C1", tender);
    assert_string_equal(complaint1, want);

    ctl(NULL, "complaint", "list", tender, NULL);
    EXPECT(0);
    HAS(R.out, "no complaints to show");
    ctl("supplier2", "complaint", "list", tender, NULL);
    EXPECT(0);
    HAS(R.out, "no complaints to show");
    ctl(NULL, "complaint", "show", complaint1, NULL);
    EXPECT(10 + 5);
    HAS(R.err, "NOT_FOUND");
    ctl(NULL, "tender", "show", tender, NULL);
    EXPECT(0);
    HAS_NOT(R.out, "complaints:");

    ctl("officer", "complaint", "list", tender, NULL);
    EXPECT(0);
    HAS(R.out, "ID                        STATE      SUBJECT       WHAT");
    snprintf(want, sizeof want, "%s", complaint1);
    HAS(R.out, want);
    HAS(R.out, "submitted  award");
    HAS(R.out, award_id);
    ctl("supplier", "complaint", "show", complaint1, NULL);
    EXPECT(0);
    HAS(R.out, "complainant: supplier (Acme Construction)");
    HAS(R.out, "  The winning price cannot be right.\n  See the market prices.\n");
    snprintf(want, sizeof want, "about:       award %s", award_id);
    HAS(R.out, want);
}

/* The reviewer accepts (signed; it verifies in complaint show), the public
 * now sees it without the complainant, the reviewer satisfies it, and the
 * officer cancels the award as upheld. A non-reviewer is refused. */
static void test_the_reviewer_accepts_and_satisfies(void **state)
{
    (void)state;
    char want[200];
    ctl("supplier2", "complaint", "accept", complaint1, "--reasoning", "admissible", NULL);
    EXPECT(10 + 7);
    HAS(R.err, "PERMISSION_DENIED: tender.complaints.v1.Complaints/Review is for role reviewer");
    ctl("reviewer", "complaint", "decide", complaint1, "--outcome", "satisfy", "--reasoning",
        "too early", NULL);
    EXPECT(10 + 9);
    HAS(R.err, "FAILED_PRECONDITION: ");
    HAS(R.err, "is submitted");

    ctl("reviewer", "complaint", "accept", complaint1, "--reasoning", "r", "--suspend-deadline",
        NULL);
    EXPECT(10 + 3);
    HAS(R.err, "INVALID_ARGUMENT: decision.suspend_deadline: only with ACCEPT of a complaint "
               "about the conditions");
    ctl("reviewer", "complaint", "accept", complaint1, "--reasoning",
        "Admissible: filed in the standstill by a bidder", NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%s accepted", complaint1);
    HAS(R.out, want);

    ctl("reviewer", "complaint", "show", complaint1, NULL);
    EXPECT(0);
    HAS(R.out, "acceptance:  accept by reviewer (Public Procurement Review Board)");
    HAS(R.out, "signature verified");
    HAS(R.out, "reasoning: Admissible: filed in the standstill by a bidder");
    HAS(R.out, "complainant: supplier (Acme Construction)");

    ctl(NULL, "complaint", "show", complaint1, NULL);
    EXPECT(0);
    HAS(R.out, ": accepted");
    HAS(R.out, "signature verified");
    HAS(R.out, "complainant tag: ");
    HAS_NOT(R.out, "complainant:");
    HAS_NOT(R.out, "Acme");
    ctl(NULL, "--json", "complaint", "show", complaint1, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"state\":\"ACCEPTED\"");
    HAS(R.out, "\"signature_verified\":true");
    HAS_NOT(R.out, "\"complainant\":{");
    ctl(NULL, "complaint", "list", tender, NULL);
    EXPECT(0);
    HAS(R.out, complaint1);
    HAS(R.out, "accepted   award");
    ctl(NULL, "--json", "complaint", "list", tender, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"complaints\":[{");
    ctl(NULL, "tender", "show", tender, NULL);
    EXPECT(0);
    HAS(R.out, "complaints:           1\n");
    HAS(R.out, complaint1);

    ctl("reviewer", "--json", "complaint", "decide", complaint1, "--outcome", "satisfy",
        "--reasoning", "The price was not checked for being abnormally low", NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"state\":\"SATISFIED\"");
    ctl(NULL, "complaint", "show", complaint1, NULL);
    EXPECT(0);
    HAS(R.out, "decision:    satisfy by reviewer (Public Procurement Review Board)");
    HAS_NOT(R.out, "DOES NOT VERIFY");
    ctl("reviewer", "complaint", "decide", complaint1, "--outcome", "reject", "--reasoning", "r",
        NULL);
    EXPECT(10 + 9);
    HAS(R.err, "is satisfied");

    /* supplier2's own complaint about the award, withdrawn by supplier2 only. */
    char c2[96];
    ctl("supplier2", "complaint", "file", tender, "--about", "award", "--award", award_id,
        "--title", "Second thoughts", "--text", "The evaluation was wrong", NULL);
    EXPECT(0);
    first_line(c2, sizeof c2);
    /* Not public yet: to another supplier it does not exist. */
    ctl("supplier", "complaint", "withdraw", c2, NULL);
    EXPECT(10 + 5);
    HAS(R.err, "NOT_FOUND: complaint");
    ctl("supplier2", "complaint", "withdraw", c2, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%s withdrawn", c2);
    HAS(R.out, want);
    ctl("supplier2", "--json", "complaint", "withdraw", c2, NULL);
    EXPECT(10 + 9);
    HAS(R.err, "is withdrawn");
    /* Withdrawn before an acceptance: never public. */
    ctl(NULL, "complaint", "list", tender, NULL);
    EXPECT(0);
    HAS_NOT(R.out, c2);

    ctl("officer", "award", "cancel", tender, "--reason", "complaint upheld by the review body",
        "--reason-code", "complaint-upheld", NULL);
    EXPECT(0);
    HAS(R.out, "cancel code: complaint-upheld");
}

/* A complaint about an active tender's conditions, with documents from a
 * file and the text from a file, downloaded and checked by the complainant. */
static void test_a_complaint_about_conditions_with_documents(void **state)
{
    (void)state;
    char committee[300], dl[32], op[32], doc1[300], doc2[300], textf[300], dir[300], got[4096],
        want[200];
    ctl("officer", "tender", "create", "--title", "Bridge with narrow conditions", "--budget",
        "500000", "--currency", "KRW", "--deadline", future(dl, sizeof dl, 10), "--opening",
        future(op, sizeof op, 10.01), "--committee",
        (path(committee, sizeof committee, "members.txt"), committee), NULL);
    EXPECT(0);
    first_line(active, sizeof active);
    ctl("officer", "tender", "publish", active, NULL);
    EXPECT(0);
    path(doc1, sizeof doc1, "evidence.pdf");
    path(doc2, sizeof doc2, "notes.txt");
    path(textf, sizeof textf, "complaint.txt");
    path(dir, sizeof dir, "downloaded");
    write_file(doc1, "%PDF-1.4 evidence", 17);
    write_file(doc2, "", 0);
    write_file(textf, "Only one brand qualifies.\n", 26);
    ctl("supplier3", "complaint", "file", active, "--about", "conditions", "--title",
        "Brand-specific specification", "--text-file", textf, "--document", doc1, "--document",
        doc2, NULL);
    EXPECT(0);
    char c[96];
    first_line(c, sizeof c);
    ctl("supplier3", "complaint", "show", c, "--download", dir, NULL);
    EXPECT(0);
    HAS(R.out, "about:       conditions");
    HAS(R.out, "documents:   2");
    HAS(R.out, "evidence.pdf  application/pdf  17  ");
    HAS(R.out, "  Only one brand qualifies.\n");
    char f[400];
    snprintf(f, sizeof f, "%s/0-evidence.pdf", dir);
    assert_int_equal(read_file(f, got, sizeof got), 17);
    assert_memory_equal(got, "%PDF-1.4 evidence", 17);
    struct stat sb;
    assert_int_equal(stat(f, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(f, sizeof f, "%s/1-notes.txt", dir);
    assert_int_equal(read_file(f, got, sizeof got), 0);
    /* Not again over the files already there. */
    ctl("supplier3", "complaint", "show", c, "--download", dir, NULL);
    EXPECT(1);
    HAS(R.err, "0-evidence.pdf");
    /* Five documents of 1 MiB do not fit in one message of 4 MiB. */
    char *mib = calloc(1, 1u << 20);
    assert_non_null(mib);
    path(doc1, sizeof doc1, "mib.bin");
    write_file(doc1, mib, 1u << 20);
    free(mib);
    ctl("supplier3", "complaint", "file", active, "--about", "conditions", "--title", "Too much",
        "--text", "t", "--document", doc1, "--document", doc1, "--document", doc1, "--document",
        doc1, "--document", doc1, NULL);
    EXPECT(10 + 3);
    HAS(R.err, "INVALID_ARGUMENT: request of ");
    HAS(R.err, "larger than the server accepts");
    ctl("officer", "--json", "complaint", "list", active, NULL);
    EXPECT(0);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"subject\":\"CONDITIONS\"");
    snprintf(want, sizeof want, "\"id\":\"%s\"", c);
    HAS(R.out, want);
    /* Accepted with the deadline suspended, then withdrawn by its complainant:
     * public, as accepted. */
    ctl("reviewer", "complaint", "accept", c, "--suspend-deadline", "--reasoning",
        "The specification names one brand", NULL);
    EXPECT(0);
    ctl(NULL, "complaint", "show", c, NULL);
    EXPECT(0);
    HAS(R.out, "suspends the submission deadline until the complaint is decided");
    ctl("supplier3", "complaint", "withdraw", c, NULL);
    EXPECT(0);
    ctl(NULL, "complaint", "list", active, NULL);
    EXPECT(0);
    HAS(R.out, "withdrawn  conditions    tender");
    /* Withdrawn: the server resumed the deadline in a new version. */
    ctl(NULL, "tender", "show", active, NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "(suspended by complaint %s from ", c);
    HAS(R.out, "resumed:              from ");
    HAS(R.out, want);
    /* Another, refused: refused complaints stay out of public view. */
    char c2[96];
    ctl("supplier3", "complaint", "file", active, "--about", "conditions", "--title", "Again",
        "--text", "Still one brand", NULL);
    EXPECT(0);
    first_line(c2, sizeof c2);
    ctl("reviewer", "complaint", "decide", c2, "--outcome", "refuse", "--reasoning",
        "Decided already", NULL);
    EXPECT(0);
    snprintf(want, sizeof want, "%s refused", c2);
    HAS(R.out, want);
    ctl(NULL, "complaint", "list", active, NULL);
    EXPECT(0);
    HAS_NOT(R.out, c2);
}

/* A review signed by a fresh Ed25519 key, its reasoning then changed. */
static uint8_t forged_sig[64], forged_key[32];

static void forge(void)
{
    tender_complaints_v1_ReviewDecision d = {.complaint_id = "T-2026-000001-C1",
                                             .tender_id = "T-2026-000001",
                                             .outcome = TND_REVIEW_OUTCOME(ACCEPT),
                                             .reasoning = "Admissible"};
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    assert_true(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &k) == 1);
    uint8_t *msg;
    size_t len, sl = 64, kl = 32;
    assert_int_equal(tnd_review_signed_bytes(&d, &msg, &len), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_true(md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
                EVP_DigestSign(md, forged_sig, &sl, msg, len) == 1);
    assert_int_equal(EVP_PKEY_get_raw_public_key(k, forged_key, &kl), 1);
    /* The genuine decision verifies: only the change below breaks it. */
    assert_int_equal(tnd_review_verify(&d, forged_sig, 64, forged_key), 0);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(kc);
    free(msg);
}

static void on_forged_get(tnd_call *call, void *request)
{
    const tender_complaints_v1_ComplaintRef *r = request;
    tender_complaints_v1_ReviewDecision d = {.complaint_id = r->id,
                                             .tender_id = "T-2026-000001",
                                             .outcome = TND_REVIEW_OUTCOME(ACCEPT),
                                             .reasoning = "Inadmissible"};
    tender_common_v1_Actor who = {.name = "reviewer", .organisation = "Review Board"};
    tender_complaints_v1_Review acc = {.decision = &d,
                                       .signature = {forged_sig, 64},
                                       .reviewer_key = {forged_key, 32},
                                       .reviewer = &who};
    tender_complaints_v1_Complaint c = {.id = r->id,
                                        .tender_id = "T-2026-000001",
                                        .subject = TND_COMPLAINT_SUBJECT(CONDITIONS),
                                        .title = "t",
                                        .text = "t",
                                        .state = TND_COMPLAINT_STATE(ACCEPTED),
                                        .acceptance = &acc};
    if (tnd_call_send(call, &c) == 0)
        tnd_call_finish(call, TND_STATUS_OK, NULL);
}

static const tnd_handler forged_get = {.method = tender_complaints_v1_Complaints_Get_method,
                                       .on_message = on_forged_get};

/* The server's own Get handler gives way to the forger. */
static void use_forged_get(tnd_server *srv)
{
    for (size_t i = 0; i < srv->n_handlers; i++)
        if (srv->handlers[i]->method == tender_complaints_v1_Complaints_Get_method)
            srv->handlers[i] = &forged_get;
}

static void test_a_review_that_does_not_verify_is_reported(void **state)
{
    (void)state;
    forge();
    testsrv t;
    testsrv_pki(&t);
    testsrv_start(&t, NULL, use_forged_get);
    char pki[sizeof ctl_pki];
    int port = ctl_port;
    memcpy(pki, ctl_pki, sizeof pki);
    snprintf(ctl_pki, sizeof ctl_pki, "%s", t.pki);
    ctl_port = t.port;
    ctl(NULL, "complaint", "show", "T-2026-000001-C1", NULL);
    int code = R.code;
    ctl(NULL, "--json", "complaint", "show", "T-2026-000001-C1", NULL);
    ctl_port = port;
    memcpy(ctl_pki, pki, sizeof pki);
    testsrv_stop(&t);
    assert_int_equal(R.code, 4);
    assert_true(json_ok(R.out));
    HAS(R.out, "\"signature_verified\":false");
    HAS(R.err, "verification failed: the acceptance of complaint T-2026-000001-C1 does not "
               "verify with its reviewer's key");
    assert_int_equal(code, 4);
}

static void test_complaint_help(void **state)
{
    (void)state;
    ctl(NULL, "complaint", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "withdraw ID");
    ctl(NULL, "complaint", "accept", "--help", NULL);
    EXPECT(0);
    HAS(R.out, "--suspend-deadline");
    ctl(NULL, "complaint", "show", "T-2026-999999-C1", NULL);
    EXPECT(10 + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argument_errors_come_before_any_call),
        cmocka_unit_test(test_a_bidder_complains_about_the_award),
        cmocka_unit_test(test_the_reviewer_accepts_and_satisfies),
        cmocka_unit_test(test_a_complaint_about_conditions_with_documents),
        cmocka_unit_test(test_complaint_help),
        cmocka_unit_test(test_a_review_that_does_not_verify_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, ctlrun_teardown);
}
