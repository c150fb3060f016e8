/* End-to-end tests of answers larger than one frame, with the real tenderd
 * and tenderctl: a 15 MiB sealed bid is submitted, opened and passes
 * `tenderctl audit verify` (GetSealedBids sends it in pieces), and a tender
 * with 400 long answered questions (about 4.8 MB) lists them all (Questions
 * in pages). Clients that do not ask for pieces or pages get a clear
 * RESOURCE_EXHAUSTED instead of a frame above their limit. */
/* cmocka.h needs these first. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlrun.h"
#include "tender/client.h"
#include "tender/pages.h"
#include "tender/verify.h"
#include "tender_schema.h"

#define N_QUESTIONS 400
#define BIG_DOC (15u << 20)

static char vkey[400], opened[64]; /* the tender the first test opens */

static int setup(void **state)
{
    (void)state;
    char db[300];
    if (ctlrun_init("/tmp/tnd_large_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0)
        return -1;
    return ctlrun_start_server(NULL);
}

/* A libtender client of the test server as who (NULL: anonymous) that
 * accepts frames of at most max_frame bytes (0: the default 4 MiB). */
static tnd_client *client_frame(const char *who, uint32_t max_frame)
{
    char server[64], ca[320], cert[320], key[320], err[256];
    snprintf(server, sizeof server, "127.0.0.1:%d", ctl_port);
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    tnd_client_opts o;
    tnd_client_opts_init(&o);
    o.server = server;
    o.ca_file = ca;
    o.max_frame = max_frame;
    if (who) {
        snprintf(cert, sizeof cert, "%s/%s.crt", ctl_pki, who);
        snprintf(key, sizeof key, "%s/%s.key", ctl_pki, who);
        o.cert_file = cert;
        o.key_file = key;
    }
    tnd_client *c = NULL;
    if (tnd_client_open(&o, &c, err, sizeof err) != 0)
        fail_msg("client: %s", err);
    return c;
}

static tnd_client *client_as(const char *who)
{
    return client_frame(who, 0);
}

/* The whole stdout of the last ctl() run (it may exceed R.out). */
static char *last_out(void)
{
    char p[300];
    path(p, sizeof p, "ctl.out");
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_big_bid_opens_and_verifies(void **state)
{
    (void)state;
    char pub[64], committee[300], text[256], dl[32], op[32], kf[400], tender[64], doc[300],
        bids[300], id[64];
    ctl_keys_gen("officer", pub, sizeof pub);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\n", pub);
    write_file(committee, text, strlen(text));
    time_t t0 = time(NULL), deadline = t0 + 12, opening = t0 + 13;
    ctl("officer", "tender", "create", "--title", "Bridge survey with drawings", "--budget",
        "900000", "--currency", "KRW", "--deadline", at(dl, sizeof dl, deadline), "--opening",
        at(op, sizeof op, opening), "--committee", committee, "--threshold", "1", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);

    /* 15 MiB of drawings: the sealed bid is one envelope of about 15 MiB. */
    char *big = malloc(BIG_DOC);
    assert_non_null(big);
    for (size_t i = 0; i < BIG_DOC; i++)
        big[i] = (char)(i * 31 + i / 4099);
    path(doc, sizeof doc, "drawings.bin");
    write_file(doc, big, BIG_DOC);
    free(big);
    path(bids, sizeof bids, "bids-supplier");
    ctl("supplier", "--log-key", vkey, "bid", "submit", tender, "--price", "800000",
        "--currency", "KRW", "--doc", doc, "--bids-dir", bids, NULL);
    EXPECT(0);
    first_line(id, sizeof id);
    path(bids, sizeof bids, "bids-supplier2");
    ctl("supplier2", "--log-key", vkey, "bid", "submit", tender, "--price", "850000",
        "--currency", "KRW", "--bids-dir", bids, NULL);
    EXPECT(0);
    assert_true(time(NULL) < deadline); /* else the test machine is too slow for this plan */

    sleep_until(opening);
    ctl("officer", "open", tender, "--key", key_file("officer", kf, sizeof kf), NULL);
    EXPECT(0);
    ctl(NULL, "--log-key", vkey, "audit", "verify", tender, NULL);
    EXPECT(0);
    HAS_NOT(R.out, "FAIL");
    HAS(R.out, "ok    decryption");
    HAS(R.out, "2 sealed bid(s) match them");
    HAS(R.out, "re-decrypting the 2 bid(s) in force");
    snprintf(opened, sizeof opened, "%s", tender);

    /* A client that does not take pieces (as before them) gets a status
     * that says why, and its connection serves the next call. */
    tnd_client *c = client_as(NULL);
    tender_tenders_v1_TenderRef ref = {.id = tender};
    tnd_client_stream *s;
    tnd_status_info st;
    assert_int_equal(tnd_client_stream_open(c, tender_bids_v1_Bids_GetSealedBids_method, &ref,
                                            NULL, &s, &st),
                     0);
    tender_bids_v1_SealedBid b;
    while (tnd_client_stream_next(s, &b, &st) == 1)
        tender_bids_v1_SealedBid_free(&b);
    tnd_client_stream_close(s);
    assert_int_equal(st.code, TND_STATUS_RESOURCE_EXHAUSTED);
    HAS(st.message, id);
    HAS(st.message, "pieces");
    tender_tenders_v1_Tender t;
    assert_int_equal(tnd_client_unary(c, tender_tenders_v1_Tenders_Get_method, &ref, &t, NULL,
                                      &st),
                     0);
    tender_tenders_v1_Tender_free(&t);
    tnd_client_free(c);
}

/* A client that accepts only 256 KiB frames gets the same sealed bids (the
 * 15 MiB one in smaller pieces) and a 1.5 MiB document whole. */
static void test_small_frame_client(void **state)
{
    (void)state;
    assert_true(*opened); /* the first test opened a tender */
    tnd_client *small = client_frame(NULL, 256u << 10), *big = client_as(NULL);
    tnd_tender_record rs, rb;
    tnd_status_info st;
    if (tnd_tender_record_fetch(small, opened, NULL, &rs, &st) != 0)
        fail_msg("fetch with 256 KiB frames: %s", st.message);
    if (tnd_tender_record_fetch(big, opened, NULL, &rb, &st) != 0)
        fail_msg("fetch: %s", st.message);
    assert_int_equal(rs.n_bids, 2);
    assert_int_equal(rb.n_bids, 2);
    size_t largest = 0;
    for (size_t i = 0; i < rs.n_bids; i++) {
        assert_string_equal(rs.bids[i].bid_id, rb.bids[i].bid_id);
        assert_int_equal(rs.bids[i].ciphertext.len, rb.bids[i].ciphertext.len);
        assert_memory_equal(rs.bids[i].ciphertext.data, rb.bids[i].ciphertext.data,
                            rs.bids[i].ciphertext.len);
        if (rs.bids[i].ciphertext.len > largest)
            largest = rs.bids[i].ciphertext.len;
    }
    assert_true(largest > BIG_DOC);
    tnd_tender_record_free(&rs);
    tnd_tender_record_free(&rb);
    tnd_client_free(big);

    /* Download: chunks within the client's frame. */
    char doc[300], pub[64], committee[300], text[256], dl[32], op[32], tender[64], docid[80];
    size_t n = 1536u << 10;
    char *content = malloc(n);
    assert_non_null(content);
    for (size_t i = 0; i < n; i++)
        content[i] = (char)(i * 13 + i / 977);
    path(doc, sizeof doc, "spec.bin");
    write_file(doc, content, n);
    ctl_keys_gen("auditor", pub, sizeof pub);
    path(committee, sizeof committee, "members3.txt");
    snprintf(text, sizeof text, "auditor %s\n", pub);
    write_file(committee, text, strlen(text));
    ctl("officer", "tender", "create", "--title", "Specification download", "--budget", "1000",
        "--currency", "EUR", "--deadline", future(dl, sizeof dl, 30), "--opening",
        future(op, sizeof op, 30.5), "--committee", committee, "--threshold", "1", "--doc", doc,
        NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    snprintf(docid, sizeof docid, "%s-D1", tender);
    tender_tenders_v1_DocumentRef ref = {.tender_id = tender, .document_id = docid};
    tnd_client_stream *s;
    assert_int_equal(tnd_client_stream_open(small, tender_tenders_v1_Tenders_Download_method, &ref,
                                            NULL, &s, &st),
                     0);
    char *got = malloc(n);
    assert_non_null(got);
    size_t at = 0, chunks = 0;
    tender_tenders_v1_DocumentChunk ch;
    while (tnd_client_stream_next(s, &ch, &st) == 1) {
        assert_true(at + ch.data.len <= n);
        memcpy(got + at, ch.data.data, ch.data.len);
        at += ch.data.len;
        chunks++;
        tender_tenders_v1_DocumentChunk_free(&ch);
    }
    tnd_client_stream_close(s);
    assert_int_equal(st.code, 0);
    assert_int_equal(at, n);
    assert_true(chunks >= 7); /* 1.5 MiB in pieces of less than 256 KiB */
    assert_memory_equal(got, content, n);
    free(got);
    free(content);
    tnd_client_free(small);
}

/* Read (value NULL) or write the opening record of tender in the running
 * server's database, behind its back, as tests/test_ctl_verify.c does. No
 * assertion inside the transaction: a jump out would leave it open. */
static int opening_db(const char *tender, tender_bids_v1_OpeningRecord *rec, bool write)
{
    char db[300];
    path(db, sizeof db, "db");
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = mdb_env_create(&env);
    if (rc == 0 && (rc = mdb_env_set_maxdbs(env, 32)) == 0 &&
        (rc = mdb_env_open(env, db, MDB_NOTLS, 0600)) == 0 &&
        (rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, &txn)) == 0) {
        MDB_val k = {.mv_size = strlen(tender), .mv_data = (void *)tender}, v;
        uint8_t *enc = NULL;
        size_t len = 0;
        if ((rc = mdb_dbi_open(txn, "openings", 0, &dbi)) == 0) {
            if (!write && (rc = mdb_get(txn, dbi, &k, &v)) == 0)
                rc = tender_bids_v1_OpeningRecord_decode(rec, v.mv_data, v.mv_size, NULL);
            if (write && (rc = tender_bids_v1_OpeningRecord_encode(rec, &enc, &len, NULL)) == 0) {
                v = (MDB_val){.mv_size = len, .mv_data = enc};
                rc = mdb_put(txn, dbi, &k, &v, 0);
            }
        }
        if (rc == 0 && write)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        free(enc);
    }
    mdb_env_close(env);
    return rc;
}

/* GetOpening in pages: an opening record of about 9 MB (300 more bids of
 * 100 documents each, written into the database) comes whole to tenderctl
 * and to tnd_opening_fetch, and hashes exactly as stored. */
static void test_big_opening_record_in_pages(void **state)
{
    (void)state;
    assert_true(*opened); /* the first test opened a tender */
    tender_bids_v1_OpeningRecord rec, orig, got;
    tender_bids_v1_OpeningRecord_init(&rec);
    tender_bids_v1_OpeningRecord_init(&orig);
    assert_int_equal(opening_db(opened, &orig, false), 0);
    assert_int_equal(opening_db(opened, &rec, false), 0);
    size_t n0 = rec.n_bids, more = 300;
    rec.bids = realloc(rec.bids, (n0 + more) * sizeof *rec.bids);
    assert_non_null(rec.bids);
    char name[251];
    memset(name, 'd', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    for (size_t i = n0; i < n0 + more; i++) {
        tender_bids_v1_OpenedBid *b = &rec.bids[i];
        tender_bids_v1_OpenedBid_init(b);
        char id[40];
        snprintf(id, sizeof id, "B-%032zx", i);
        b->bid_id = strdup(id);
        b->failure = strdup("could not be opened");
        b->documents = calloc(100, sizeof *b->documents);
        assert_non_null(b->documents);
        for (size_t d = 0; d < 100; d++) {
            b->documents[d].name = strdup(name);
            b->documents[d].sha256 = (tnd_bytes){calloc(1, 32), 32};
            b->documents[d].size = d;
        }
        b->n_documents = 100;
        rec.n_bids = i + 1;
    }
    size_t size = 0;
    assert_int_equal(tnd_msg_size(&tender_bids_v1_OpeningRecord_desc, &rec, &size), 0);
    assert_true(size > 2 * TND_DEFAULT_MAX_FRAME);
    tnd_bytes want = {0}, have = {0};
    assert_int_equal(tnd_msg_hash(&tender_bids_v1_OpeningRecord_desc, &rec, &want), 0);
    assert_int_equal(opening_db(opened, &rec, true), 0);

    char line[64];
    ctl(NULL, "opening", "show", opened, NULL);
    EXPECT(0);
    snprintf(line, sizeof line, "%zu bids", n0 + more);
    HAS(R.out, line);

    tnd_client *c = client_as(NULL);
    tnd_status_info st;
    assert_int_equal(tnd_opening_fetch(c, opened, &got, &st), 0);
    assert_int_equal(got.n_bids, n0 + more);
    assert_int_equal(tnd_msg_hash(&tender_bids_v1_OpeningRecord_desc, &got, &have), 0);
    assert_memory_equal(have.data, want.data, 32);
    tender_bids_v1_OpeningRecord_free(&got);
    /* Without pieces, as before them: a clear refusal. */
    tender_tenders_v1_TenderRef ref = {.id = opened};
    assert_int_equal(tnd_client_unary(c, tender_bids_v1_Bids_GetOpening_method, &ref, &got, NULL,
                                      &st),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    HAS(st.message, "pieces");
    /* A cursor the server did not issue. */
    ref.pieces = true;
    ref.cursor = "999999";
    assert_int_equal(tnd_client_unary(c, tender_bids_v1_Bids_GetOpening_method, &ref, &got, NULL,
                                      &st),
                     TND_STATUS_INVALID_ARGUMENT);
    tnd_client_free(c);

    /* The altered record fails the audit (it is not what was logged) ... */
    ctl(NULL, "--log-key", vkey, "audit", "verify", opened, NULL);
    EXPECT(4);
    HAS(R.out, "FAIL  opening");
    /* ... and the original passes again. */
    assert_int_equal(opening_db(opened, &orig, true), 0);
    ctl(NULL, "--log-key", vkey, "audit", "verify", opened, NULL);
    EXPECT(0);
    free(want.data);
    free(have.data);
    tender_bids_v1_OpeningRecord_free(&rec);
    tender_bids_v1_OpeningRecord_free(&orig);
}

static void test_many_long_questions_list(void **state)
{
    (void)state;
    char dl[32], op[32], enq[32], tender[64], pub[64], committee[300], text[256];
    ctl_keys_gen("admin", pub, sizeof pub);
    path(committee, sizeof committee, "members2.txt");
    snprintf(text, sizeof text, "admin %s\n", pub);
    write_file(committee, text, strlen(text));
    future(dl, sizeof dl, 30);
    future(op, sizeof op, 30.5);
    future(enq, sizeof enq, 20);
    ctl("officer", "tender", "create", "--title", "Questions galore", "--budget", "1000",
        "--currency", "EUR", "--deadline", dl, "--opening", op, "--enquiry-deadline", enq,
        "--committee", committee, "--threshold", "1", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);

    /* 400 questions of 4000 characters answered with 8000: about 4.8 MB,
     * within the schema's limits, over one connection per side. */
    static char q[4001], a[8001];
    memset(q, 'q', sizeof q - 1);
    memset(a, 'a', sizeof a - 1);
    tnd_client *sup = client_as("supplier"), *off = client_as("officer");
    tnd_status_info st;
    for (int i = 1; i <= N_QUESTIONS; i++) {
        char qid[16];
        snprintf(qid, sizeof qid, "Q-%d", i);
        tender_tenders_v1_AskQuestionRequest ask = {.tender_id = tender, .text = q};
        tender_tenders_v1_AnswerQuestionRequest ans = {
            .tender_id = tender, .question_id = qid, .answer = a};
        tender_tenders_v1_Question r;
        if (tnd_client_unary(sup, tender_tenders_v1_Tenders_Ask_method, &ask, &r, NULL, &st))
            fail_msg("ask %d: %s", i, st.message);
        tender_tenders_v1_Question_free(&r);
        if (tnd_client_unary(off, tender_tenders_v1_Tenders_Answer_method, &ans, &r, NULL, &st))
            fail_msg("answer %d: %s", i, st.message);
        tender_tenders_v1_Question_free(&r);
    }
    tnd_client_free(off);

    ctl(NULL, "question", "list", tender, NULL);
    EXPECT(0);
    char *out = last_out();
    assert_int_equal(count(out, "\n  Q: qqqq"), N_QUESTIONS);
    assert_int_equal(count(out, "\n  A: aaaa"), N_QUESTIONS);
    HAS(out, "Q-1  asked");
    HAS(out, "\nQ-400  asked");
    free(out);
    ctl(NULL, "--json", "question", "list", tender, NULL);
    EXPECT(0);
    out = last_out();
    assert_true(json_ok(out));
    assert_int_equal(count(out, "\"id\":\"Q-"), N_QUESTIONS);
    free(out);

    /* Pages shrink to the client's frame: 64 KiB holds five such questions. */
    tnd_client *small = client_frame(NULL, 64u << 10);
    tender_tenders_v1_ListQuestionsResponse all;
    if (tnd_questions_fetch(small, tender, &all, &st) != 0)
        fail_msg("questions with 64 KiB frames: %s", st.message);
    assert_int_equal(all.n_questions, N_QUESTIONS);
    assert_string_equal(all.questions[N_QUESTIONS - 1].id, "Q-400");
    tender_tenders_v1_ListQuestionsResponse_free(&all);
    tnd_client_free(small);

    /* A client that asks for everything at once (as before pages): a clear
     * RESOURCE_EXHAUSTED, and the connection goes on. */
    tender_tenders_v1_ListQuestionsRequest lq = {.tender_id = tender};
    tender_tenders_v1_ListQuestionsResponse lr;
    assert_int_equal(tnd_client_unary(sup, tender_tenders_v1_Tenders_Questions_method, &lq, &lr,
                                      NULL, &st),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    HAS(st.message, "ask in pages");
    lq.page_size = 7;
    assert_int_equal(tnd_client_unary(sup, tender_tenders_v1_Tenders_Questions_method, &lq, &lr,
                                      NULL, &st),
                     0);
    assert_int_equal(lr.n_questions, 7);
    assert_string_equal(lr.next_cursor, "Q-7");
    tender_tenders_v1_ListQuestionsResponse_free(&lr);
    lq.cursor = "Q-396";
    assert_int_equal(tnd_client_unary(sup, tender_tenders_v1_Tenders_Questions_method, &lq, &lr,
                                      NULL, &st),
                     0);
    assert_int_equal(lr.n_questions, 4);
    assert_string_equal(lr.questions[0].id, "Q-397");
    assert_true(!lr.next_cursor || !*lr.next_cursor);
    tender_tenders_v1_ListQuestionsResponse_free(&lr);
    lq.cursor = "B-1";
    assert_int_equal(tnd_client_unary(sup, tender_tenders_v1_Tenders_Questions_method, &lq, &lr,
                                      NULL, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    tnd_client_free(sup);
}

/* Complaints/List pages: 12 complaints with 20000-character texts (about
 * 240 KB) reach a client with 64 KiB frames a few at a time, each once, and
 * tenderctl lists them all; asking for everything at once at that frame size
 * is a clear RESOURCE_EXHAUSTED; a cursor of another tender is refused. */
static void test_complaints_list_in_pages(void **state)
{
    (void)state;
    enum { N = 12 };
    char dl[32], op[32], tender[64], pub[64], committee[300], text[256];
    ctl_keys_gen("clerk", pub, sizeof pub);
    path(committee, sizeof committee, "members3.txt");
    snprintf(text, sizeof text, "clerk %s\n", pub);
    write_file(committee, text, strlen(text));
    future(dl, sizeof dl, 30);
    future(op, sizeof op, 30.5);
    ctl("officer", "tender", "create", "--title", "Complaints galore", "--budget", "1000",
        "--currency", "EUR", "--deadline", dl, "--opening", op, "--committee", committee,
        "--threshold", "1", NULL);
    EXPECT(0);
    first_line(tender, sizeof tender);
    ctl("officer", "tender", "publish", tender, NULL);
    EXPECT(0);
    static char long_text[20001];
    memset(long_text, 'c', sizeof long_text - 1);
    tnd_client *sup = client_as("supplier"), *off = client_frame("officer", 64u << 10);
    tnd_status_info st;
    for (int i = 1; i <= N; i++) {
        char title[32];
        snprintf(title, sizeof title, "Complaint %d", i);
        tender_complaints_v1_FileComplaintRequest f = {
            .tender_id = tender, .subject = tender_complaints_v1_Subject_CONDITIONS,
            .title = title, .text = long_text};
        tender_complaints_v1_Complaint k;
        if (tender_complaints_v1_Complaints_File(sup, &f, &k, NULL, &st) != 0)
            fail_msg("file %d: %s", i, st.message);
        tender_complaints_v1_Complaint_free(&k);
    }
    tnd_client_free(sup);

    /* The buyer's officer sees every complaint; 64 KiB frames take a few. */
    tender_complaints_v1_ComplaintList all;
    if (tnd_complaints_fetch(off, tender, &all, &st) != 0)
        fail_msg("complaints with 64 KiB frames: %s", st.message);
    assert_int_equal(all.n_complaints, N);
    for (int i = 0; i < N; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s-C%d", tender, i + 1);
        assert_string_equal(all.complaints[i].id, want);
    }
    tender_complaints_v1_ComplaintList_free(&all);

    tender_complaints_v1_ListComplaintsRequest lq = {.tender_id = tender};
    tender_complaints_v1_ComplaintList lr;
    assert_int_equal(tnd_client_unary(off, tender_complaints_v1_Complaints_List_method, &lq, &lr,
                                      NULL, &st),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    HAS(st.message, "ask in pages");
    lq.page_size = 2;
    assert_int_equal(tnd_client_unary(off, tender_complaints_v1_Complaints_List_method, &lq, &lr,
                                      NULL, &st),
                     0);
    assert_int_equal(lr.n_complaints, 2);
    char want[96];
    snprintf(want, sizeof want, "%s-C2", tender);
    assert_string_equal(lr.next_cursor, want);
    tender_complaints_v1_ComplaintList_free(&lr);
    snprintf(want, sizeof want, "%s-C11", tender);
    lq.cursor = want;
    assert_int_equal(tnd_client_unary(off, tender_complaints_v1_Complaints_List_method, &lq, &lr,
                                      NULL, &st),
                     0);
    assert_int_equal(lr.n_complaints, 1);
    assert_true(!lr.next_cursor || !*lr.next_cursor);
    tender_complaints_v1_ComplaintList_free(&lr);
    lq.cursor = "T-1999-000001-C1";
    assert_int_equal(tnd_client_unary(off, tender_complaints_v1_Complaints_List_method, &lq, &lr,
                                      NULL, &st),
                     TND_STATUS_INVALID_ARGUMENT);
    HAS(st.message, "cursor");
    tnd_client_free(off);

    ctl("officer", "complaint", "list", tender, NULL);
    EXPECT(0);
    char *out = last_out();
    snprintf(want, sizeof want, "%s-C12", tender);
    HAS(out, want);
    snprintf(want, sizeof want, "%s-C", tender);
    assert_int_equal(count(out, want), N); /* one line each, every page's */
    free(out);
}

/* Tenders/List pages end before they outgrow the client's frame: 30 drafts
 * with 20000-character descriptions (about 600 KB) reach a client with
 * 64 KiB frames three at a time, each once. */
static void test_list_pages_by_bytes(void **state)
{
    (void)state;
    static char desc[20001];
    memset(desc, 'x', sizeof desc - 1);
    tnd_client *off = client_as("officer"), *small = client_frame("officer", 64u << 10);
    tnd_status_info st;
    for (int i = 0; i < 30; i++) {
        char title[64];
        snprintf(title, sizeof title, "Paged tender %02d", i);
        tender_tenders_v1_TenderFields f = {.title = title, .description = desc};
        tender_tenders_v1_CreateTenderRequest req = {.fields = &f};
        tender_tenders_v1_Tender t;
        if (tnd_client_unary(off, tender_tenders_v1_Tenders_Create_method, &req, &t, NULL, &st))
            fail_msg("create %d: %s", i, st.message);
        tender_tenders_v1_Tender_free(&t);
    }
    char cursor[300] = "";
    int seen[30] = {0}, pages = 0, total = 0;
    do {
        tender_tenders_v1_ListTendersRequest q = {.text = "Paged tender", .cursor = cursor};
        tender_tenders_v1_ListTendersResponse r;
        if (tnd_client_unary(small, tender_tenders_v1_Tenders_List_method, &q, &r, NULL, &st))
            fail_msg("list page %d: %s", pages, st.message);
        assert_true(r.n_tenders <= 3);
        for (size_t i = 0; i < r.n_tenders; i++) {
            int k = atoi(r.tenders[i].fields->title + strlen("Paged tender "));
            assert_true(k >= 0 && k < 30);
            seen[k]++;
            total++;
        }
        snprintf(cursor, sizeof cursor, "%s", r.next_cursor ? r.next_cursor : "");
        tender_tenders_v1_ListTendersResponse_free(&r);
        pages++;
    } while (*cursor && pages < 100);
    assert_int_equal(total, 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(seen[i], 1);
    assert_true(pages >= 10);
    tnd_client_free(small);
    tnd_client_free(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_bid_opens_and_verifies),
        cmocka_unit_test(test_small_frame_client),
        cmocka_unit_test(test_big_opening_record_in_pages),
        cmocka_unit_test(test_many_long_questions_list),
        cmocka_unit_test(test_complaints_list_in_pages),
        cmocka_unit_test(test_list_pages_by_bytes),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests_name("ctl_large", tests, setup, ctlrun_teardown);
}
