/* What hostile clients can make a real tenderd hold: the server runs as a
 * child process with its default limits, raw TLS clients attack it, and the
 * server's resident memory (VmRSS in /proc/PID/status) must stay under the
 * bounds below, while other clients are still served.
 *
 * The bounds (growth over the server's memory before the attack) follow from
 * docs/OPERATIONS.md, "Memory bounds", with the default settings:
 * - 200 pipelined Downloads of a 4 MiB document on one connection that never
 *   reads: one connection's output cap (max-output-per-connection, 1 MiB)
 *   and one chunk (256 KiB), not one copy of the document per call. Bound
 *   16 MiB.
 * - 50 connections that each ask for the document 4 times and never read:
 *   each holds at most its output cap and one chunk, not copies of the
 *   document and OpenSSL buffers besides. Bound 50 x 1.5 MiB + 32 MiB.
 * - one supplier holding 33 unfinished 16 MiB bids: at most its share of
 *   the upload memory (max-upload-per-identity, 64 MiB) and the frames in
 *   flight. Bound 64 MiB + 32 MiB; another supplier's bid goes through. */
// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctlrun.h"
#include "rawconn.h"
#include "tender_schema.h"

#define MiB (1024L * 1024L)
#define DOC_BYTES (4 * MiB)

static char tender_id[64], doc_id[80], vkey[400];

static long rss_kb(void)
{
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", (int)ctl_srv_pid);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    assert_true(kb > 0);
    return kb;
}

/* The largest RSS seen over ms milliseconds. */
static long peak_rss_kb(int ms)
{
    long peak = rss_kb();
    for (int t = 0; t < ms; t += 50) {
        usleep(50000);
        long kb = rss_kb();
        if (kb > peak)
            peak = kb;
    }
    return peak;
}

static void open_as(rawconn *c, const char *who)
{
    char ca[400], crt[400], key[400];
    snprintf(ca, sizeof ca, "%s/ca.crt", ctl_pki);
    snprintf(crt, sizeof crt, "%s/%s.crt", ctl_pki, who ? who : "");
    snprintf(key, sizeof key, "%s/%s.key", ctl_pki, who ? who : "");
    if (rawconn_open(c, ctl_port, ca, who ? crt : NULL, who ? key : NULL) != 0)
        fail_msg("connect as %s: %s", who ? who : "anonymous", c->err);
    rawconn_settings(c);
}

/* n Download calls of the document on c from stream *sid on, in one write. */
static void pipeline_downloads(rawconn *c, uint32_t *sid, int n)
{
    tender_tenders_v1_DocumentRef ref = {.tender_id = tender_id, .document_id = doc_id};
    uint8_t *req;
    size_t len;
    assert_int_equal(
        tnd_msg_encode(&tender_tenders_v1_DocumentRef_desc, &ref, &req, &len, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < n; i++, *sid += 2) {
        assert_int_equal(
            tnd_frame_put_call(&sb, *sid, "tender.tenders.v1.Tenders/Download", NULL, 0, 0), 0);
        assert_int_equal(tnd_frame_put_message(&sb, *sid, req, len, true), 0);
    }
    assert_int_equal(rawconn_send(c, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(req);
}

/* Someone else is still served: the document's list, by tenderctl. */
static void others_served(void)
{
    ctl(NULL, "tender", "documents", tender_id, NULL);
    EXPECT(0);
    HAS(R.out, doc_id);
}

static int setup(void **state)
{
    (void)state;
    char db[300], committee[300], text[600], pub[3][64], doc[300], dl[32], op[32];
    if (ctlrun_init("/tmp/tnd_limits_XXXXXX", NULL) != 0)
        return -1;
    path(db, sizeof db, "db");
    /* In an ASan build the server would keep what it frees in quarantine
     * (256 MiB) and count it in its RSS: keep none, checks stay on. */
    char asan[600];
    const char *was = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
             was ? was : "", was && *was ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    if (ctlrun_print_log_key(db, vkey, sizeof vkey) != 0 || ctlrun_start_server(NULL) != 0)
        return -1;
    const char *names[] = {"officer", "admin", "auditor"};
    for (int i = 0; i < 3; i++)
        ctl_keys_gen(names[i], pub[i], sizeof pub[i]);
    path(committee, sizeof committee, "members.txt");
    snprintf(text, sizeof text, "officer %s\nadmin %s\nauditor %s\n", pub[0], pub[1], pub[2]);
    write_file(committee, text, strlen(text));
    char *content = malloc(DOC_BYTES);
    if (!content || RAND_bytes((unsigned char *)content, (int)DOC_BYTES) != 1)
        return -1;
    path(doc, sizeof doc, "spec.bin");
    write_file(doc, content, DOC_BYTES);
    free(content);
    future(dl, sizeof dl, 10);
    future(op, sizeof op, 10.5);
    ctl("officer", "tender", "create", "--title", "Limits", "--budget", "10", "--currency", "EUR",
        "--deadline", dl, "--opening", op, "--committee", committee, "--threshold", "2", "--doc",
        doc, NULL);
    if (R.code != 0) {
        fprintf(stderr, "tender create: %s\n", R.err);
        return -1;
    }
    first_line(tender_id, sizeof tender_id);
    snprintf(doc_id, sizeof doc_id, "%s-D1", tender_id);
    ctl("officer", "tender", "publish", tender_id, NULL);
    return R.code == 0 ? 0 : -1;
}

static void test_pipelined_downloads_bounded(void **state)
{
    (void)state;
    long before = peak_rss_kb(200);
    rawconn c;
    open_as(&c, NULL);
    uint32_t sid = 1;
    pipeline_downloads(&c, &sid, 200);
    long peak = peak_rss_kb(3000);
    long grew = (peak - before) / 1024;
    print_message("200 pipelined downloads, never read: server RSS %ld -> %ld MiB (+%ld MiB)\n",
                  before / 1024, peak / 1024, grew);
    others_served();
    rawconn_close(&c);
    if (grew > 16)
        fail_msg("the server grew by %ld MiB; the bound is 16 MiB", grew);
}

static void test_unread_connections_bounded(void **state)
{
    (void)state;
    enum { N = 50 };
    long before = peak_rss_kb(200);
    static rawconn c[N];
    for (int i = 0; i < N; i++) {
        open_as(&c[i], NULL);
        uint32_t sid = 1;
        pipeline_downloads(&c[i], &sid, 4);
    }
    long peak = peak_rss_kb(3000);
    long grew = (peak - before) / 1024;
    print_message("%d connections with 4 downloads each, never read: server RSS %ld -> %ld MiB "
                  "(+%ld MiB)\n",
                  N, before / 1024, peak / 1024, grew);
    others_served();
    for (int i = 0; i < N; i++)
        rawconn_close(&c[i]);
    if (grew > N * 3 / 2 + 32)
        fail_msg("the server grew by %ld MiB; the bound is %d MiB", grew, N * 3 / 2 + 32);
}

/* One supplier opens 33 Bids/Submit uploads of 16 MiB each, and smaller
 * ones after them, and never finishes any; another supplier's `tenderctl bid
 * submit` still works. */
static void test_one_supplier_cannot_block_bids(void **state)
{
    (void)state;
    /* The envelope with 4 MiB of ciphertext (within one frame), then 1 MiB
     * chunks (the schema's limit): 16 MiB each. */
    enum { CALLS = 33, PIECES = 13 };
    const size_t piece = 4 * MiB - 4096;
    long before = peak_rss_kb(200);
    uint8_t *junk = malloc(piece);
    assert_non_null(junk);
    memset(junk, 0x5a, piece);
    uint8_t nonce[32] = {1}, fp[32] = {2}, tag[32] = {3}, enc[32] = {4}, sig[64] = {5};
    tender_bids_v1_SealedBid bid = {.tender_id = tender_id,
                                    .bid_id = "B-00000000000000000000000000000001",
                                    .opening_key_fingerprint = {fp, 32},
                                    .owner_tag = {tag, 32},
                                    .enc = {enc, 32},
                                    .signature = {sig, 64},
                                    .ciphertext = {junk, piece}};
    tender_bids_v1_SubmitBidRequest first = {.bid = &bid, .owner_nonce = {nonce, 32}};
    tender_bids_v1_SubmitBidRequest more = {.chunk = {junk, MiB}};
    rawconn c;
    open_as(&c, "supplier");
    for (int p = 0; p < PIECES; p++) {
        for (uint32_t i = 0; i < CALLS; i++) {
            uint32_t sid = 1 + 2 * i;
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            if (p == 0)
                assert_int_equal(
                    tnd_frame_put_call(&sb, sid, "tender.bids.v1.Bids/Submit", NULL, 0, 0), 0);
            uint8_t *buf;
            size_t len;
            assert_int_equal(tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc,
                                            p == 0 ? &first : &more, &buf, &len, NULL),
                             0);
            assert_int_equal(tnd_frame_put_message(&sb, sid, buf, len, false), 0);
            free(buf);
            assert_int_equal(rawconn_send(&c, &sb), 0);
            msgpack_sbuffer_destroy(&sb);
        }
    }
    /* Then smaller uploads, so that not even a small bid fits in what is left
     * of a server-wide budget. */
    const size_t fill[] = {16384, 1024, 64};
    uint32_t sid = 1 + 2 * CALLS;
    for (size_t t = 0; t < sizeof fill / sizeof *fill; t++) {
        bid.ciphertext.len = fill[t];
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        for (int i = 0; i < 80; i++, sid += 2) {
            uint8_t *buf;
            size_t len;
            assert_int_equal(
                tnd_frame_put_call(&sb, sid, "tender.bids.v1.Bids/Submit", NULL, 0, 0), 0);
            assert_int_equal(
                tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, &first, &buf, &len, NULL),
                0);
            assert_int_equal(tnd_frame_put_message(&sb, sid, buf, len, false), 0);
            free(buf);
        }
        assert_int_equal(rawconn_send(&c, &sb), 0);
        msgpack_sbuffer_destroy(&sb);
    }
    free(junk);
    long peak = peak_rss_kb(1000);
    /* The uploads stay open: the other supplier bids meanwhile. */
    char bids[300];
    path(bids, sizeof bids, "supplier2-bids");
    ctl("supplier2", "--log-key", vkey, "bid", "submit", tender_id, "--price", "100",
        "--currency", "KRW", "--bids-dir", bids, NULL);
    long after = peak_rss_kb(200);
    if (after > peak)
        peak = after;
    long grew = (peak - before) / 1024;
    print_message("one supplier's 33 unfinished 16 MiB bids: server RSS %ld -> %ld MiB "
                  "(+%ld MiB); supplier2's bid submit exit %d\n",
                  before / 1024, peak / 1024, grew, R.code);
    EXPECT(0);
    HAS(R.out, "receipt verified");
    /* The supplier's own uploads beyond its share were refused, naming it. */
    int refused = 0;
    tnd_frame f;
    while (rawconn_read(&c, &f, 2000, true) == 0) {
        if (f.type != TND_FRAME_STATUS)
            continue;
        char text[400];
        snprintf(text, sizeof text, "%.*s", (int)f.u.status.message.len,
                 (const char *)f.u.status.message.ptr);
        assert_int_equal(f.u.status.code, TND_STATUS_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(text, "max-upload-per-identity"));
        refused++;
    }
    print_message("%d of the supplier's uploads refused\n", refused);
    assert_true(refused > 0);
    rawconn_close(&c);
    if (grew > 64 + 32)
        fail_msg("the server grew by %ld MiB; the bound is 96 MiB", grew);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_downloads_bounded),
        cmocka_unit_test(test_unread_connections_bounded),
        cmocka_unit_test(test_one_supplier_cannot_block_bids),
        cmocka_unit_test(test_server_stops_cleanly),
    };
    return cmocka_run_group_tests_name("limits", tests, setup, ctlrun_teardown);
}
