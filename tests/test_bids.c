/* End-to-end tests of sealed bids on an in-process server: a committee with
 * a split opening key, bids from two suppliers (one replaced, one
 * withdrawn), receipts that verify, every view of a bid denied to others
 * before the opening, no plaintext in the database, the deadline, bad bids
 * refused or marked failed, and the opening by k of n members. Each test
 * makes its own tender on the group's server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bids/bid_verify.h"
#include "rawconn.h"
#include "scenario.h"
#include "svc/svc.h"
#include "tender/audit.h"
#include "tender/bid.h"
#include "tender/sealed.h"
#include "tender/verify.h"
#include "testsrv.h"

#define B(name) "tender.bids.v1.Bids/" #name
#define T(name) "tender.tenders.v1.Tenders/" #name
#define L(name) "tender.log.v1.Log/" #name
#define MARKER "PLAINTEXT-MARKER-7f3a"
#define DOC_MARKER "DOCUMENT-CONTENT-c41e" /* only in the sealed documents */
#define SHARE TND_SHAMIR_SHARE_LEN(64)       /* of the opening and documents keys */

static testsrv ts;

static void cfg(tnd_config *c)
{
    c->min_tender_period_ms = 0;
    c->min_amend_period_ms = 0;
    c->max_bid_bytes = 64 * 1024; /* small, so the limit can be shown */
}

/* The bids of the usual scenario (place_bids): the supplier's bid b1,
 * logged with first_receipt; a bid it withdrew, bw; supplier2's bid b2a
 * replaced by b2b; and bt, well signed but altered, which fails at the
 * opening. */
typedef struct bids {
    tender_bids_v1_SealedBid b1, bw, b2a, b2b, bt;
    uint8_t n1[32], nw[32], n2a[32], n2b[32], nt[32];
    char id1[40], idw[40], id2a[40], id2b[40], idt[40];
    char key1[80]; /* b1's idempotency-key, of this tender only */
    tender_bids_v1_Receipt first_receipt;
} bids;

/* One test's world: a connection per identity, its tender, its bids and,
 * once opened, the opening record. Made fresh by setup for every test. */
typedef struct world {
    scn_conn off, sup, sup2, aud, adm, anon;
    scn_tender t;
    bids b;
    tender_bids_v1_OpeningRecord rec;
} world;

/* What a sealed bid says besides its price. */
typedef struct bid_spec {
    uint32_t version;     /* the tender version it answers; 0: none */
    const char *currency; /* NULL: no price at all */
    const char *cert_of;  /* NULL: the bidder's certificate; "": none */
    const char *org;      /* NULL: the bidder's name as its organisation */
    bool lying_list;      /* the documents' list lies about their hash */
} bid_spec;

static const bid_spec PLAIN = {.version = 1, .currency = "KRW"};

/* A tender with a documents key; value_krw >= 0 gives it an estimated
 * value (a price cap unless above). */
static void create_tender(world *w, int64_t dl_in_ms, int64_t open_in_ms, int64_t value_krw,
                          bool above)
{
    tender_tenders_v1_CreateTenderRequest q;
    w->t.cm.documents = true;
    scn_tender_request(&ts, &w->t, "Sealed bids", dl_in_ms, open_in_ms, &q);
    if (value_krw >= 0) {
        q.fields->estimated_value = calloc(1, sizeof *q.fields->estimated_value);
        q.fields->estimated_value->minor_units = value_krw;
        q.fields->estimated_value->currency = strdup("KRW");
        q.fields->price_above_value = above;
    }
    scn_tender_create(&w->off, &q, w->t.id);
    scn_tender_publish(&w->off, w->t.id);
}

static void create_and_publish(world *w, int64_t dl_in_ms, int64_t open_in_ms)
{
    create_tender(w, dl_in_ms, open_in_ms, -1, false);
}

/* Seal who's bid for price (minor units) to tender t as s says, with one
 * document sealed apart; nonce_in: the owner nonce of the bid it replaces. */
static void seal_spec(const bid_spec *s, const scn_tender *t, const char *who, int64_t price,
                      const uint8_t *nonce_in, tender_bids_v1_SealedBid *b, uint8_t nonce[32],
                      char id[40])
{
    tender_bids_v1_BidContent c;
    tender_bids_v1_BidContent_init(&c);
    if (s->currency) {
        c.price = calloc(1, sizeof *c.price);
        c.price->minor_units = price;
        c.price->currency = strdup(s->currency);
    }
    c.tender_version = s->version;
    c.notes = strdup(MARKER);
    c.supplier_org = strdup(s->org ? s->org : who);
    c.supplier_name = strdup(who);
    c.n_documents = 1;
    c.documents = calloc(1, sizeof *c.documents);
    c.documents[0].name = strdup("offer.txt");
    c.documents[0].content.data = (uint8_t *)strdup(DOC_MARKER);
    c.documents[0].content.len = strlen(DOC_MARKER);
    if (s->cert_of && *s->cert_of)
        assert_int_equal(testsrv_seal_certs(&ts, s->cert_of, &c), 0);
    else if (!s->cert_of)
        assert_int_equal(testsrv_seal_certs(&ts, who, &c), 0);
    scn_seal_documents(&ts, t, who, &c, nonce_in, nonce, id);
    assert_int_equal(c.documents[0].content.len, 0);
    if (s->lying_list)
        c.documents[0].sha256.data[0] ^= 1;
    scn_seal_envelope(&ts, t, who, &c, nonce, id, b);
    tender_bids_v1_BidContent_free(&c);
}

/* A plain bid of who for price to the world's tender. */
static void seal_bid(world *w, const char *who, int64_t price, tender_bids_v1_SealedBid *b,
                     uint8_t nonce[32], char id[40])
{
    seal_spec(&PLAIN, &w->t, who, price, NULL, b, nonce, id);
}

static int submit(scn_conn *c, tender_bids_v1_SealedBid *b, const uint8_t nonce[32],
                  const char *replaces, tender_bids_v1_Receipt *rcpt)
{
    return scn_submit(c, b, nonce, replaces, NULL, rcpt);
}
/* Bids/GetBidDocuments of one bid as c: the status, and the pieces joined
 * into out (up to cap bytes) with the first piece's sha256 in sha. */
static int get_documents(scn_conn *c, const char *tender_id, const char *bid_id, char *out,
                         size_t cap, size_t *len, uint8_t sha[32])
{
    tender_bids_v1_BidDocumentsRequest q = {.tender_id = (char *)tender_id,
                                            .bid_id = (char *)bid_id};
    uint8_t *buf;
    size_t bl;
    assert_int_equal(tnd_msg_encode(&tender_bids_v1_BidDocumentsRequest_desc, &q, &buf, &bl, NULL),
                     0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(tnd_frame_put_call(&sb, c->sid, B(GetBidDocuments), NULL, 0, 0), 0);
    assert_int_equal(tnd_frame_put_message(&sb, c->sid, buf, bl, true), 0);
    assert_int_equal(rawconn_send(&c->rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    *len = 0;
    tnd_frame f;
    while (rawconn_read(&c->rc, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
        tender_bids_v1_BidDocumentPiece p;
        tender_bids_v1_BidDocumentPiece_init(&p);
        assert_int_equal(tender_bids_v1_BidDocumentPiece_decode(&p, f.u.message.payload.ptr,
                                                                f.u.message.payload.len, NULL),
                         0);
        if (p.sha256.len == 32)
            memcpy(sha, p.sha256.data, 32);
        assert_true(*len + p.chunk.len <= cap);
        if (p.chunk.len)
            memcpy(out + *len, p.chunk.data, p.chunk.len);
        *len += p.chunk.len;
        tender_bids_v1_BidDocumentPiece_free(&p);
    }
    assert_int_equal(f.type, TND_FRAME_STATUS);
    snprintf(scn_msg, sizeof scn_msg, "%.*s", (int)f.u.status.message.len,
             f.u.status.message.ptr ? (const char *)f.u.status.message.ptr : "");
    c->sid += 2;
    return (int)f.u.status.code;
}

static void verify_receipt(scn_conn *anon, const tender_bids_v1_Receipt *r)
{
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(scn_call(anon, L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_VerifierKey_desc, &vk),
                     0);
    tnd_note_verifier v;
    tnd_checkpoint cp;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    tender_log_v1_VerifierKey_free(&vk);
    assert_int_equal(tnd_checkpoint_verify(r->checkpoint, strlen(r->checkpoint), &v, &cp), 0);
    uint8_t leaf[32], proof[64][32];
    assert_int_equal(tnd_merkle_leaf_hash(r->leaf.data, r->leaf.len, leaf), 0);
    for (size_t i = 0; i < r->n_proof; i++)
        memcpy(proof[i], r->proof[i].data, 32);
    assert_int_equal(tnd_merkle_verify_inclusion(r->leaf_index, cp.size, leaf,
                                                 (const uint8_t(*)[32])proof, r->n_proof,
                                                 cp.root),
                     0);
    /* The leaf says a bid arrived, and nothing about who sent it. */
    tender_events_v1_Event ev;
    tender_events_v1_Event_init(&ev);
    assert_int_equal(tender_events_v1_Event_decode(&ev, r->leaf.data, r->leaf.len, NULL), 0);
    assert_true(ev.kind == tender_events_v1_EventKind_BID_RECEIVED ||
                ev.kind == tender_events_v1_EventKind_BID_WITHDRAWN);
    assert_null(ev.actor);
    assert_string_equal(ev.object_id, r->bid_id);
    tender_events_v1_Event_free(&ev);
}

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    bool found = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

/* ---- the world of one test ---- */

static void connect_all(world *w)
{
    scn_connect(&ts, &w->off, "officer");
    scn_connect(&ts, &w->sup, "supplier");
    scn_connect(&ts, &w->sup2, "supplier2");
    scn_connect(&ts, &w->aud, "auditor");
    scn_connect(&ts, &w->adm, "admin");
    scn_connect(&ts, &w->anon, NULL);
}

static void close_all(world *w)
{
    scn_conn *cs[] = {&w->off, &w->sup, &w->sup2, &w->aud, &w->anon, &w->adm};
    for (size_t i = 0; i < 6; i++)
        rawconn_close(&cs[i]->rc);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    connect_all(w);
    tender_bids_v1_SealedBid *all[] = {&w->b.b1, &w->b.bw, &w->b.b2a, &w->b.b2b, &w->b.bt};
    for (size_t i = 0; i < 5; i++)
        tender_bids_v1_SealedBid_init(all[i]);
    tender_bids_v1_Receipt_init(&w->b.first_receipt);
    tender_bids_v1_OpeningRecord_init(&w->rec);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    tender_bids_v1_SealedBid *all[] = {&w->b.b1, &w->b.bw, &w->b.b2a, &w->b.b2b, &w->b.bt};
    for (size_t i = 0; i < 5; i++)
        tender_bids_v1_SealedBid_free(all[i]);
    tender_bids_v1_Receipt_free(&w->b.first_receipt);
    tender_bids_v1_OpeningRecord_free(&w->rec);
    close_all(w);
    free(w);
    return 0;
}

TESTSRV_MANUAL_GROUP(ts, cfg)

/* The usual bids (struct bids) on the world's tender, each taken. */
static void place_bids(world *w)
{
    bids *b = &w->b;
    /* Supplier 1: one bid, and a second one it withdraws. */
    seal_bid(w, "supplier", 100000, &b->b1, b->n1, b->id1);
    snprintf(b->key1, sizeof b->key1, "bid-1-%s", w->t.id);
    if (scn_submit(&w->sup, &b->b1, b->n1, NULL, b->key1, &b->first_receipt) != 0)
        fail_msg("submit: %s", scn_msg);
    verify_receipt(&w->anon, &b->first_receipt);
    tender_bids_v1_Receipt r;
    seal_bid(w, "supplier", 1, &b->bw, b->nw, b->idw);
    tender_bids_v1_Receipt_init(&r);
    assert_int_equal(submit(&w->sup, &b->bw, b->nw, NULL, &r), 0);
    tender_bids_v1_Receipt_free(&r);
    tender_bids_v1_BidRef wref = {
        .tender_id = w->t.id, .bid_id = b->idw, .owner_nonce = {b->nw, 32}};
    tender_bids_v1_Receipt_init(&r);
    assert_int_equal(scn_call(&w->sup, B(Withdraw), &tender_bids_v1_BidRef_desc, &wref,
                              &tender_bids_v1_Receipt_desc, &r),
                     0);
    verify_receipt(&w->anon, &r);
    tender_bids_v1_Receipt_free(&r);

    /* Supplier 2: a bid replaced by a lower one. */
    seal_bid(w, "supplier2", 200000, &b->b2a, b->n2a, b->id2a);
    assert_int_equal(submit(&w->sup2, &b->b2a, b->n2a, NULL, NULL), 0);
    seal_spec(&PLAIN, &w->t, "supplier2", 150000, b->n2a, &b->b2b, b->n2b,
              b->id2b); /* same owner */
    assert_int_equal(submit(&w->sup2, &b->b2b, b->n2b, b->id2a, NULL), 0);
    /* A well-signed envelope whose ciphertext was altered: taken, fails at the opening. */
    seal_bid(w, "supplier2", 5, &b->bt, b->nt, b->idt);
    scn_tamper(&ts, "supplier2", &b->bt);
    assert_int_equal(submit(&w->sup2, &b->bt, b->nt, NULL, NULL), 0);
}

/* After the opening time: shares of members 0 (the officer) and 2 (the
 * auditor) open the world's tender; the record into w->rec. */
static void open_and_fetch(world *w)
{
    scn_open(&ts, &w->off, &w->aud, &w->t);
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    tender_bids_v1_OpeningRecord_free(&w->rec);
    tender_bids_v1_OpeningRecord_init(&w->rec);
    assert_int_equal(scn_call(&w->anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref,
                              &tender_bids_v1_OpeningRecord_desc, &w->rec),
                     0);
}

/* The usual bids on a tender that then opens: the deadline leaves time to
 * place them, the opening follows soon after. */
static void bid_and_open(world *w)
{
    create_and_publish(w, 1500, 1600);
    place_bids(w);
    open_and_fetch(w);
}

static const tender_bids_v1_OpenedBid *line_of(const tender_bids_v1_OpeningRecord *rec,
                                               const char *id)
{
    for (size_t i = 0; i < rec->n_bids; i++)
        if (strcmp(rec->bids[i].bid_id, id) == 0)
            return &rec->bids[i];
    fail_msg("bid %s is not in the opening record", id);
    return NULL;
}

/* ---- before the deadline ---- */

/* The answer was lost: a retry with the same idempotency key gets the same
 * receipt, not a second bid. */
static void test_a_retried_submit_returns_the_same_receipt(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    if (scn_submit(&w->sup, &w->b.b1, w->b.n1, NULL, w->b.key1, &r) != 0)
        fail_msg("retried submit: %s", scn_msg);
    assert_string_equal(r.bid_id, w->b.id1);
    assert_int_equal(r.leaf_index, w->b.first_receipt.leaf_index);
    assert_memory_equal(r.envelope_hash.data, w->b.first_receipt.envelope_hash.data, 32);
    verify_receipt(&w->anon, &r); /* proved again, against the latest checkpoint */
    tender_bids_v1_Receipt_free(&r);
}

/* place_bids checks each step: a bid's receipt and a withdrawal's verify, a
 * replacement with the same owner tag is taken, an altered envelope that
 * is well signed is taken. */
static void test_bids_are_taken_withdrawn_and_replaced_with_receipts(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
}

static void test_a_forged_signature_is_refused(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    tender_bids_v1_SealedBid bad;
    uint8_t nb[32];
    char idb[40];
    seal_bid(w, "supplier", 7, &bad, nb, idb);
    bad.signature.data[0] ^= 1;
    assert_int_equal(submit(&w->sup, &bad, nb, NULL, NULL), TND_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(scn_msg, "bad signature"));
    tender_bids_v1_SealedBid_free(&bad);
}

/* Bids that reach the server in one write are checked in one turn of its
 * loop, a few jobs for all of them; each still gets its own answer. */
#define TOGETHER 24
static void read_jobs(tnd_server *srv, void *arg)
{
    *(size_t *)arg = tnd_bid_verifier_jobs(srv);
}

static size_t verify_jobs(void)
{
    size_t n;
    testsrv_on_loop(&ts, read_jobs, &n);
    return n;
}

static void test_bids_checked_together_each_get_their_own_answer(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    tender_bids_v1_SealedBid b[TOGETHER];
    uint8_t nonce[TOGETHER][32];
    char id[TOGETHER][40];
    uint32_t sid[TOGETHER];
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (int i = 0; i < TOGETHER; i++) {
        seal_bid(w, "supplier", 100 + i, &b[i], nonce[i], id[i]);
        if (i % 3 == 1)
            b[i].signature.data[5] ^= 0x40; /* every third forged */
        tender_bids_v1_SubmitBidRequest q = {.bid = &b[i],
                                             .owner_nonce = {nonce[i], 32}};
        uint8_t *buf;
        size_t len;
        sid[i] = w->sup.sid;
        w->sup.sid += 2;
        assert_int_equal(tnd_frame_put_call(&sb, sid[i], B(Submit), NULL, 0, 0), 0);
        assert_int_equal(
            tnd_msg_encode(&tender_bids_v1_SubmitBidRequest_desc, &q, &buf, &len, NULL), 0);
        assert_int_equal(tnd_frame_put_message(&sb, sid[i], buf, len, false), 0);
        assert_int_equal(tnd_frame_put_message(&sb, sid[i], NULL, 0, true), 0);
        free(buf);
    }
    size_t jobs_before = verify_jobs();
    assert_int_equal(rawconn_send(&w->sup.rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    int status[TOGETHER];
    for (int i = 0; i < TOGETHER; i++)
        status[i] = -1;
    for (int answered = 0; answered < TOGETHER;) {
        tnd_frame f;
        assert_int_equal(rawconn_read(&w->sup.rc, &f, 10000, true), 0);
        if (f.type != TND_FRAME_STATUS)
            continue;
        for (int i = 0; i < TOGETHER; i++)
            if (sid[i] == f.stream_id) {
                assert_int_equal(status[i], -1);
                status[i] = (int)f.u.status.code;
                if (i % 3 == 1)
                    assert_non_null(memmem(f.u.status.message.ptr, f.u.status.message.len,
                                           "bad signature", 13));
                answered++;
            }
    }
    for (int i = 0; i < TOGETHER; i++) {
        assert_int_equal(status[i], i % 3 == 1 ? TND_STATUS_INVALID_ARGUMENT : TND_STATUS_OK);
        tender_bids_v1_SealedBid_free(&b[i]);
    }
    /* At most a job per pool worker for each read the bids came in. */
    size_t jobs = verify_jobs() - jobs_before;
    assert_true(jobs >= 1 && jobs < TOGETHER);
}

static void test_a_bid_sealed_for_another_tender_is_refused(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    scn_tender elsewhere = w->t;
    snprintf(elsewhere.id, sizeof elsewhere.id, "T-2026-999999");
    tender_bids_v1_SealedBid bad;
    uint8_t nb[32];
    char idb[40];
    seal_spec(&PLAIN, &elsewhere, "supplier", 7, NULL, &bad, nb, idb); /* moved in from elsewhere */
    free(bad.tender_id);
    bad.tender_id = strdup(w->t.id);
    assert_int_equal(submit(&w->sup, &bad, nb, NULL, NULL), TND_STATUS_INVALID_ARGUMENT);
    tender_bids_v1_SealedBid_free(&bad);
}

static void test_a_supplier_cannot_submit_another_suppliers_bid(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    tender_bids_v1_SealedBid bad;
    uint8_t nb[32];
    char idb[40];
    seal_bid(w, "supplier", 7, &bad, nb, idb); /* someone else's owner tag */
    assert_int_equal(submit(&w->sup2, &bad, nb, NULL, NULL), TND_STATUS_PERMISSION_DENIED);
    tender_bids_v1_SealedBid_free(&bad);
}

static void test_a_bid_id_is_taken_once(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    assert_int_equal(submit(&w->sup, &w->b.b1, w->b.n1, NULL, NULL), TND_STATUS_ALREADY_EXISTS);
}

/* Larger than the configured limit (64 KiB here): RESOURCE_EXHAUSTED naming it. */
static void test_a_bid_above_max_bid_bytes_is_refused(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    tender_bids_v1_SealedBid bad;
    uint8_t nb[32];
    char idb[40];
    seal_bid(w, "supplier", 8, &bad, nb, idb);
    free(bad.ciphertext.data);
    bad.ciphertext.len = 100 * 1024;
    bad.ciphertext.data = calloc(1, bad.ciphertext.len);
    assert_int_equal(submit(&w->sup, &bad, nb, NULL, NULL), TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(scn_msg, "max_bid_bytes"));
    tender_bids_v1_SealedBid_free(&bad);
}

/* Every view of a bid is denied to others before the opening. */
static void test_only_the_bidder_sees_its_bid_before_the_opening(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    tender_bids_v1_BidRef ref1 = {
        .tender_id = w->t.id, .bid_id = w->b.id1, .owner_nonce = {w->b.n1, 32}};
    tender_bids_v1_BidStatus bs;
    tender_bids_v1_BidStatus_init(&bs);
    assert_int_equal(scn_call(&w->sup, B(Status), &tender_bids_v1_BidRef_desc, &ref1,
                              &tender_bids_v1_BidStatus_desc, &bs),
                     0);
    assert_int_equal(bs.state, tender_bids_v1_BidState_SUBMITTED);
    tender_bids_v1_BidStatus_free(&bs);
    assert_int_equal(scn_call(&w->sup2, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_NOT_FOUND);
    assert_int_equal(scn_call(&w->off, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    assert_int_equal(scn_call(&w->aud, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    assert_int_equal(scn_call(&w->anon, B(Status), &tender_bids_v1_BidRef_desc, &ref1, NULL, NULL),
                     TND_STATUS_UNAUTHENTICATED);
}

static void test_nothing_is_published_before_the_opening(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    assert_int_equal(
        scn_call(&w->anon, B(GetOpening), &tender_tenders_v1_TenderRef_desc, &tref, NULL, NULL),
        TND_STATUS_NOT_FOUND);
    assert_int_equal(
        scn_call(&w->anon, B(GetSealedBids), &tender_tenders_v1_TenderRef_desc, &tref, NULL, NULL),
        TND_STATUS_FAILED_PRECONDITION);
}

/* Only this test's bids in the database: the server starts again on a new
 * one (the opened tenders of other tests hold their plaintext, as they
 * should). */
static void test_the_database_holds_no_plaintext_or_bidder_name(void **state)
{
    world *w = *state;
    char db[400];
    close_all(w);
    testsrv_halt(&ts);
    snprintf(db, sizeof db, "%s/db", ts.dir);
    test_rmtree(db);
    testsrv_start(&ts, cfg, NULL);
    connect_all(w);
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    char data[700];
    snprintf(data, sizeof data, "%s/db/data.mdb", ts.dir);
    assert_false(file_contains(data, MARKER));
    assert_false(file_contains(data, "supplier2"));
}

static void test_shares_before_the_opening_time_are_refused(void **state)
{
    world *w = *state;
    create_and_publish(w, 60000, 61000);
    place_bids(w);
    assert_int_equal(scn_share(&w->off, &w->t, 0, NULL), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(scn_msg, "opens at"));
}

static void test_no_bid_is_taken_after_the_deadline(void **state)
{
    world *w = *state;
    create_and_publish(w, 300, 60000);
    scn_wait_until(&ts, w->t.deadline_ms + 50);
    tender_bids_v1_SealedBid late;
    uint8_t nl[32];
    char idl[40];
    seal_bid(w, "supplier", 9, &late, nl, idl);
    assert_int_equal(submit(&w->sup, &late, nl, NULL, NULL), TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(scn_msg, "bids are closed"));
    tender_bids_v1_SealedBid_free(&late);
}

/* ---- the opening ---- */

/* A non-member, a share that does not fit, a repeat, then k of n open. */
static void test_k_member_shares_open_the_tender(void **state)
{
    world *w = *state;
    create_and_publish(w, 1500, 1600);
    place_bids(w);
    scn_wait_until(&ts, w->t.opening_ms + 50);
    tender_bids_v1_SubmitShareRequest sh = {.tender_id = w->t.id,
                                            .member_key = {w->t.cm.member_pk[0], 32},
                                            .share = {w->t.cm.shares[0], SHARE}};
    tender_bids_v1_SubmitShareRequest notme = sh;
    notme.member_key = (tnd_bytes){w->t.cm.member_pk[1], 32}; /* admin's key, sent by the officer */
    assert_int_equal(scn_call(&w->off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc,
                              &notme, NULL, NULL),
                     TND_STATUS_PERMISSION_DENIED);
    uint8_t wrong[SHARE];
    memcpy(wrong, w->t.cm.shares[0], SHARE);
    wrong[5] ^= 1;
    tender_bids_v1_SubmitShareRequest bad_share = sh;
    bad_share.share = (tnd_bytes){wrong, SHARE};
    assert_int_equal(scn_call(&w->off, B(SubmitShare), &tender_bids_v1_SubmitShareRequest_desc,
                              &bad_share, NULL, NULL),
                     TND_STATUS_INVALID_ARGUMENT);
    tender_bids_v1_ShareAccepted acc;
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(scn_share(&w->off, &w->t, 0, &acc), 0);
    assert_int_equal(acc.received, 1);
    assert_false(acc.opened);
    assert_int_equal(scn_share(&w->off, &w->t, 0, NULL), TND_STATUS_ALREADY_EXISTS);
    tender_bids_v1_ShareAccepted_init(&acc);
    assert_int_equal(scn_share(&w->aud, &w->t, 2, &acc), 0);
    assert_true(acc.opened);
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(&w->anon, T(Get), &tender_tenders_v1_TenderRef_desc, &tref,
                              &tender_tenders_v1_Tender_desc, &t),
                     0);
    assert_int_equal(t.status, tender_tenders_v1_TenderStatus_OPENED);
    tender_tenders_v1_Tender_free(&t);
}

/* Supplier 1 at 100000, supplier 2's replacement at 150000, the tampered
 * bid failed; the withdrawn and replaced ones are not opened. */
static void test_the_record_lists_the_bids_in_force_and_why_one_failed(void **state)
{
    world *w = *state;
    bid_and_open(w);
    const tender_bids_v1_OpeningRecord *rec = &w->rec;
    assert_int_equal(rec->n_bids, 3);
    int seen = 0;
    for (size_t i = 0; i < rec->n_bids; i++) {
        const tender_bids_v1_OpenedBid *o = &rec->bids[i];
        if (strcmp(o->bid_id, w->b.id1) == 0) {
            assert_true(o->valid);
            assert_int_equal(o->price->minor_units, 100000);
            assert_string_equal(o->supplier_org, "Acme Construction"); /* its certificate's */
            assert_int_equal(o->n_documents, 1);
            seen |= 1;
        } else if (strcmp(o->bid_id, w->b.id2b) == 0) {
            assert_true(o->valid);
            assert_int_equal(o->price->minor_units, 150000);
            seen |= 2;
        } else if (strcmp(o->bid_id, w->b.idt) == 0) {
            assert_false(o->valid);
            assert_non_null(strstr(o->failure, "bad decryption"));
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
}

/* The published key is the opening key: auditors can re-open every bid.
 * After the opening every envelope is public: each re-opens (or fails)
 * with the published key exactly as the record says. */
static void test_the_published_key_reopens_every_envelope(void **state)
{
    world *w = *state;
    bid_and_open(w);
    const tender_bids_v1_OpeningRecord *rec = &w->rec;
    uint8_t pk[32];
    assert_int_equal(rec->opening_private_key.len, 32);
    assert_int_equal(tnd_x25519_public(rec->opening_private_key.data, pk), 0);
    assert_memory_equal(pk, w->t.cm.opening_pk, 32);
    tender_bids_v1_BidContent content;
    tender_bids_v1_BidContent_init(&content);
    char why[200];
    assert_int_equal(
        tnd_bid_open(&w->b.b2b, rec->opening_private_key.data, &content, why, sizeof why), 0);
    assert_int_equal(content.price->minor_units, 150000);
    tender_bids_v1_BidContent_free(&content);

    tender_tenders_v1_TenderRef q = {.id = w->t.id};
    uint8_t *buf;
    size_t len;
    assert_int_equal(tnd_msg_encode(&tender_tenders_v1_TenderRef_desc, &q, &buf, &len, NULL), 0);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    scn_conn *anon = &w->anon;
    assert_int_equal(tnd_frame_put_call(&sb, anon->sid, B(GetSealedBids), NULL, 0, 0), 0);
    assert_int_equal(tnd_frame_put_message(&sb, anon->sid, buf, len, true), 0);
    assert_int_equal(rawconn_send(&anon->rc, &sb), 0);
    msgpack_sbuffer_destroy(&sb);
    free(buf);
    int n = 0, opened = 0;
    tnd_frame f;
    while (rawconn_read(&anon->rc, &f, 5000, true) == 0 && f.type == TND_FRAME_MESSAGE) {
        tender_bids_v1_SealedBid sb2;
        tender_bids_v1_SealedBid_init(&sb2);
        assert_int_equal(tender_bids_v1_SealedBid_decode(&sb2, f.u.message.payload.ptr,
                                                         f.u.message.payload.len, NULL),
                         0);
        tender_bids_v1_BidContent bc;
        tender_bids_v1_BidContent_init(&bc);
        if (tnd_bid_open(&sb2, rec->opening_private_key.data, &bc, why, sizeof why) == 0)
            opened++;
        tender_bids_v1_BidContent_free(&bc);
        tender_bids_v1_SealedBid_free(&sb2);
        n++;
    }
    assert_int_equal(f.type, TND_FRAME_STATUS);
    assert_int_equal(f.u.status.code, 0);
    anon->sid += 2;
    assert_int_equal(n, 5);      /* in force, replaced, withdrawn and the tampered one */
    assert_int_equal(opened, 4); /* all but the tampered one */
}

/* The published key opens a bid but not its documents, which only the
 * officers, the committee and auditors get. */
static void test_documents_stay_private_after_the_opening(void **state)
{
    world *w = *state;
    bid_and_open(w);
    const tender_bids_v1_OpeningRecord *rec = &w->rec;
    const char *tid = w->t.id, *id1 = w->b.id1;
    char why[200];
    tender_bids_v1_BidContent bc;
    tender_bids_v1_BidContent_init(&bc);
    assert_int_equal(tnd_bid_open(&w->b.b1, rec->opening_private_key.data, &bc, why, sizeof why),
                     0);
    assert_int_equal(bc.n_documents, 1);
    assert_int_equal(bc.documents[0].content.len, 0);
    assert_true(bc.sealed_documents.len > 48);
    assert_null(
        memmem(bc.sealed_documents.data, bc.sealed_documents.len, DOC_MARKER, strlen(DOC_MARKER)));
    tender_bids_v1_BidDocumentContents dc;
    tender_bids_v1_BidDocumentContents_init(&dc);
    assert_int_not_equal(
        tnd_bid_open_documents(&w->b.b1, &bc, rec->opening_private_key.data, &dc, why, sizeof why),
        0); /* the published key is not the documents key */
    tender_bids_v1_BidContent_free(&bc);
    char got[256];
    size_t gl;
    uint8_t sha[32] = {0}, want[32];
    assert_int_equal(get_documents(&w->anon, tid, id1, got, sizeof got, &gl, sha),
                     TND_STATUS_UNAUTHENTICATED);
    assert_int_equal(get_documents(&w->sup2, tid, id1, got, sizeof got, &gl, sha),
                     TND_STATUS_PERMISSION_DENIED);
    assert_int_equal(get_documents(&w->sup, tid, id1, got, sizeof got, &gl, sha),
                     TND_STATUS_PERMISSION_DENIED); /* suppliers, even its own */
    /* the admin is a committee member who gave no share */
    assert_int_equal(get_documents(&w->adm, tid, id1, got, sizeof got, &gl, sha),
                     TND_STATUS_PERMISSION_DENIED);
    assert_non_null(strstr(scn_msg, "auditors"));
    SHA256((const uint8_t *)DOC_MARKER, strlen(DOC_MARKER), want);
    scn_conn *readers[] = {&w->off, &w->aud};
    for (size_t i = 0; i < 2; i++) {
        memset(sha, 0, 32);
        assert_int_equal(get_documents(readers[i], tid, id1, got, sizeof got, &gl, sha), 0);
        assert_int_equal(gl, strlen(DOC_MARKER));
        assert_memory_equal(got, DOC_MARKER, gl);
        assert_memory_equal(sha, want, 32);
    }
    /* the record lists them by hash, everyone sees it; the line matches */
    for (size_t i = 0; i < rec->n_bids; i++)
        if (strcmp(rec->bids[i].bid_id, id1) == 0) {
            assert_int_equal(rec->bids[i].documents[0].size, strlen(DOC_MARKER));
            assert_memory_equal(rec->bids[i].documents[0].sha256.data, want, 32);
        }
    /* the tampered bid did not open: nothing to serve */
    assert_int_equal(get_documents(&w->aud, tid, w->b.idt, got, sizeof got, &gl, sha),
                     TND_STATUS_FAILED_PRECONDITION);
    /* the withdrawn one is not opened */
    assert_int_equal(get_documents(&w->aud, tid, w->b.idw, got, sizeof got, &gl, sha),
                     TND_STATUS_NOT_FOUND);
    /* the server keeps no plaintext document, after the opening too */
    char data[700];
    snprintf(data, sizeof data, "%s/db/data.mdb", ts.dir);
    assert_false(file_contains(data, DOC_MARKER));
}

/* The first receipt still verifies, against the checkpoint it carries,
 * and that checkpoint is a prefix of today's. */
static void test_an_early_receipt_still_verifies_after_the_opening(void **state)
{
    world *w = *state;
    bid_and_open(w);
    const tender_bids_v1_Receipt *first_receipt = &w->b.first_receipt;
    scn_conn *anon = &w->anon;
    verify_receipt(anon, first_receipt);
    tender_log_v1_VerifierKey vk;
    tender_log_v1_VerifierKey_init(&vk);
    tender_common_v1_Empty e = {0};
    assert_int_equal(scn_call(anon, L(GetVerifierKey), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_VerifierKey_desc, &vk),
                     0);
    tnd_note_verifier v;
    tnd_checkpoint then, now;
    assert_int_equal(tnd_note_verifier_parse(vk.verifier_key, &v), 0);
    tender_log_v1_VerifierKey_free(&vk);
    assert_int_equal(tnd_checkpoint_verify(first_receipt->checkpoint,
                                           strlen(first_receipt->checkpoint), &v, &then),
                     0);
    tender_log_v1_Checkpoint c;
    tender_log_v1_Checkpoint_init(&c);
    assert_int_equal(scn_call(anon, L(GetCheckpoint), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_Checkpoint_desc, &c),
                     0);
    assert_int_equal(tnd_checkpoint_verify(c.note, strlen(c.note), &v, &now), 0);
    tender_log_v1_Checkpoint_free(&c);
    assert_true(now.size > then.size);
    tender_log_v1_ConsistencyProofRequest q = {.first = then.size, .second = now.size};
    tender_log_v1_ConsistencyProof p;
    tender_log_v1_ConsistencyProof_init(&p);
    assert_int_equal(scn_call(anon, L(GetConsistencyProof),
                              &tender_log_v1_ConsistencyProofRequest_desc, &q,
                              &tender_log_v1_ConsistencyProof_desc, &p),
                     0);
    uint8_t proof[64][32];
    for (size_t i = 0; i < p.n_hashes; i++)
        memcpy(proof[i], p.hashes[i].data, 32);
    assert_int_equal(tnd_merkle_verify_consistency(then.size, now.size, then.root, now.root,
                                                   (const uint8_t(*)[32])proof, p.n_hashes),
                     0);
    tender_log_v1_ConsistencyProof_free(&p);
}

/* Seal a bid as s says and submit it as the supplier; its id into id. */
static void bid_as(world *w, const bid_spec *s, int64_t price, char id[40])
{
    tender_bids_v1_SealedBid b;
    uint8_t n[32];
    seal_spec(s, &w->t, "supplier", price, NULL, &b, n, id);
    if (submit(&w->sup, &b, n, NULL, NULL) != 0)
        fail_msg("submit: %s", scn_msg);
    tender_bids_v1_SealedBid_free(&b);
}

/* The result and detail of the decryption check of an audit. */
typedef struct decryption_seen {
    tnd_check_result result;
    char detail[600];
} decryption_seen;
static decryption_seen audit_decryption(world *w, bool with_ca);

/* Amend w's tender to a version 2 with the same fields. */
static void amend_unchanged(world *w)
{
    tender_tenders_v1_TenderRef tref = {.id = w->t.id};
    tender_tenders_v1_Tender t;
    tender_tenders_v1_Tender_init(&t);
    assert_int_equal(scn_call(&w->anon, T(Get), &tender_tenders_v1_TenderRef_desc, &tref,
                              &tender_tenders_v1_Tender_desc, &t),
                     0);
    tender_tenders_v1_AmendTenderRequest am = {
        .id = w->t.id, .fields = t.fields, .note = "clarified the scope"};
    if (scn_call(&w->off, T(Amend), &tender_tenders_v1_AmendTenderRequest_desc, &am, NULL, NULL) !=
        0)
        fail_msg("amend: %s", scn_msg);
    tender_tenders_v1_Tender_free(&t);
}

/* Valid means valid for this tender (docs/SEALED.md): the version in force at
 * the deadline, a price in the tender's currency, above zero and at most the
 * tender's value. Each broken rule opens invalid with its reason; the bid's
 * supplier and price stay on its line. */
static void test_each_broken_validity_rule_opens_invalid_with_its_reason(void **state)
{
    world *w = *state;
    create_tender(w, 2500, 3000, 100000, false);
    enum { OLD, OK, AT_VALUE, ABOVE, ZERO, NEGATIVE, NO_PRICE, USD, NO_VERSION, NEXT, LYING, N };
    char id[N][40];
    bid_spec s = PLAIN;
    bid_as(w, &s, 90000, id[OLD]); /* answers version 1 */
    /* Amend: version 2 is in force at the deadline. */
    amend_unchanged(w);
    s.version = 2;
    bid_as(w, &s, 90000, id[OK]);
    bid_as(w, &s, 100000, id[AT_VALUE]);
    bid_as(w, &s, 100001, id[ABOVE]);
    bid_as(w, &s, 0, id[ZERO]);
    bid_as(w, &s, -5, id[NEGATIVE]);
    s.currency = NULL;
    bid_as(w, &s, 0, id[NO_PRICE]);
    s.currency = "USD";
    bid_as(w, &s, 50000, id[USD]);
    s.currency = "KRW";
    s.version = 0;
    bid_as(w, &s, 90000, id[NO_VERSION]);
    s.version = 3;
    bid_as(w, &s, 90000, id[NEXT]); /* a version that never was */
    s.version = 2;
    s.lying_list = true; /* only the documents key can tell */
    bid_as(w, &s, 90000, id[LYING]);

    tender_bids_v1_OpeningRecord *rec = &w->rec;
    open_and_fetch(w);
    assert_int_equal(rec->n_bids, N);
    static const char *const want[N] = {
        [OLD] = "answers version 1; the tender was at version 2 at its deadline",
        [ABOVE] = "the price 100001 KRW is above the tender's value 100000 KRW",
        [ZERO] = "the price 0 KRW is not above zero",
        [NEGATIVE] = "the price -5 KRW is not above zero",
        [NO_PRICE] = "no price",
        [USD] = "priced in USD; the tender is in KRW",
        [NO_VERSION] = "does not say which version it answers; the tender was at version 2 at "
                       "its deadline",
        [NEXT] = "answers version 3; the tender was at version 2 at its deadline",
        [LYING] = "the sealed documents do not match their list: document 0's size or sha256 "
                  "differs",
    };
    for (int i = 0; i < N; i++) {
        const tender_bids_v1_OpenedBid *o = line_of(rec, id[i]);
        if (!want[i]) {
            assert_true(o->valid);
            assert_null(o->failure);
        } else {
            assert_false(o->valid);
            assert_non_null(o->failure);
            assert_string_equal(o->failure, want[i]);
        }
        /* It opened: the record still says who bid and what. */
        assert_string_equal(o->supplier_org, "Acme Construction");
        assert_int_equal(o->supplier_key.len, 32);
        assert_int_equal(o->n_documents, 1);
    }
    assert_int_equal(line_of(rec, id[ABOVE])->price->minor_units, 100001);
    assert_null(line_of(rec, id[NO_PRICE])->price);
}

/* The documents of a bid whose list lies are not served; everyone's audit,
 * without the documents key, takes that one failure on the record's word. */
static void test_documents_that_lie_about_their_list_are_not_served(void **state)
{
    world *w = *state;
    create_tender(w, 2500, 3000, 100000, false);
    enum { OK, LYING, N };
    char id[N][40];
    bid_spec s = PLAIN;
    bid_as(w, &s, 90000, id[OK]);
    s.lying_list = true; /* only the documents key can tell */
    bid_as(w, &s, 90000, id[LYING]);
    open_and_fetch(w);
    assert_int_equal(w->rec.n_bids, N);
    char got[256];
    size_t gl;
    uint8_t sha[32];
    assert_int_equal(get_documents(&w->aud, w->t.id, id[LYING], got, sizeof got, &gl, sha),
                     TND_STATUS_FAILED_PRECONDITION);
    assert_non_null(strstr(scn_msg, "do not match their list"));
    decryption_seen d = audit_decryption(w, true);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption: %s", d.detail);
    assert_non_null(strstr(d.detail, "1 judged invalid because their sealed documents"));
}

/* A tender without the cap takes a price above its value. */
static void test_a_tender_without_the_cap_takes_a_price_above_its_value(void **state)
{
    world *w = *state;
    char above[40];
    create_tender(w, 2500, 3000, 100000, true);
    bid_as(w, &PLAIN, 250000, above);
    open_and_fetch(w);
    assert_int_equal(w->rec.n_bids, 1);
    assert_true(line_of(&w->rec, above)->valid);
}

static void on_check(void *ctx, const char *check, tnd_check_result result, const char *detail)
{
    decryption_seen *d = ctx;
    if (strcmp(check, "decryption") == 0) {
        d->result = result;
        snprintf(d->detail, sizeof d->detail, "%s", detail);
    }
}

/* libtender's audit of the tender, as tenderctl audit verify runs it: the
 * decryption check with the CA as trust (or none). */
static decryption_seen audit_decryption(world *w, bool with_ca)
{
    decryption_seen d = {.result = TND_CHECK_SKIPPED};
    (void)scn_audit(&ts, &w->anon, w->t.id, with_ca, on_check, &d);
    return d;
}

/* Who bid is what its certificate says (docs/SEALED.md): a bid claiming
 * another organisation opens under its certificate's; a bid whose
 * certificate is not its signing key's, or without one, opens invalid. */
static void test_who_bid(void **state)
{
    world *w = *state;
    create_tender(w, 2500, 3000, -1, false);
    char claims[40], other_cert[40], no_cert[40], officer_cert[40];
    bid_spec s = PLAIN;
    s.org = "Globex Ltd"; /* supplier2's organisation */
    bid_as(w, &s, 1000, claims);
    s.org = NULL;
    s.cert_of = "supplier2";
    bid_as(w, &s, 1000, other_cert);
    s.cert_of = "";
    bid_as(w, &s, 1000, no_cert);
    s.cert_of = "officer";
    bid_as(w, &s, 1000, officer_cert);
    tender_bids_v1_OpeningRecord *rec = &w->rec;
    open_and_fetch(w);
    const tender_bids_v1_OpenedBid *o = line_of(rec, claims);
    assert_true(o->valid);
    assert_string_equal(o->supplier_org, "Acme Construction");
    assert_string_equal(o->supplier_name, "supplier");
    o = line_of(rec, other_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure,
                        "the bid is signed with a key that is not its certificate's "
                        "(CN=supplier2)");
    assert_null(o->supplier_org); /* nobody is named on an unproven claim */
    o = line_of(rec, no_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure, "carries no certificate");
    o = line_of(rec, officer_cert);
    assert_false(o->valid);
    assert_string_equal(o->failure, "the certificate is an officer's, not a supplier's");
    /* An auditor with the CA rebuilds the same lines; without it, the claims
     * inside the bids would stand, and the record differs. */
    decryption_seen d = audit_decryption(w, true);
    if (d.result != TND_CHECK_OK)
        fail_msg("decryption with the CA: %s", d.detail);
    d = audit_decryption(w, false);
    assert_int_equal(d.result, TND_CHECK_FAILED);
    assert_non_null(strstr(d.detail, "does not give the opening record"));
}

/* The size of the public log, from its latest checkpoint. */
static uint64_t log_size(scn_conn *anon)
{
    tender_common_v1_Empty e = {0};
    tender_log_v1_Checkpoint cp;
    tender_log_v1_Checkpoint_init(&cp);
    assert_int_equal(scn_call(anon, L(GetCheckpoint), &tender_common_v1_Empty_desc, &e,
                              &tender_log_v1_Checkpoint_desc, &cp),
                     0);
    uint64_t n = cp.size;
    tender_log_v1_Checkpoint_free(&cp);
    return n;
}

/* Memory that runs out inside a write fails all of it; memory that runs
 * out for a receipt after the commit is an error, never an OK with an
 * incomplete receipt, and the retry with the idempotency-key gets it. */
static void test_out_of_memory(void **state)
{
    world *w = *state;
    create_and_publish(w, 600000, 700000);

    /* A reply that cannot be built fails the write after its event was
     * appended: no tender, and the log does not grow. */
    uint64_t before = log_size(&w->anon);
    tnd_op_arena_max = sizeof(tender_tenders_v1_Tender) + 64; /* the reply, not its strings */
    tender_tenders_v1_CreateTenderRequest q;
    tender_tenders_v1_CreateTenderRequest_init(&q);
    tender_tenders_v1_TenderFields fields = {.title = "Out of memory"};
    q.fields = &fields;
    assert_int_equal(scn_call(&w->off, T(Create), &tender_tenders_v1_CreateTenderRequest_desc, &q,
                              &tender_tenders_v1_Tender_desc, NULL),
                     TND_STATUS_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(scn_msg, "nothing was stored"));
    tnd_op_arena_max = TND_OP_ARENA_MAX;
    assert_int_equal(log_size(&w->anon), before);
    tender_tenders_v1_ListTendersRequest lq;
    tender_tenders_v1_ListTendersRequest_init(&lq);
    tender_tenders_v1_ListTendersResponse lr;
    tender_tenders_v1_ListTendersResponse_init(&lr);
    assert_int_equal(scn_call(&w->off, T(List), &tender_tenders_v1_ListTendersRequest_desc, &lq,
                              &tender_tenders_v1_ListTendersResponse_desc, &lr),
                     0);
    for (size_t i = 0; i < lr.n_tenders; i++) /* no tender of that title was stored */
        assert_true(!lr.tenders[i].fields || !lr.tenders[i].fields->title ||
                    strcmp(lr.tenders[i].fields->title, "Out of memory") != 0);
    tender_tenders_v1_ListTendersResponse_free(&lr);

    /* The bid is stored, its receipt cannot be built: UNAVAILABLE. */
    tender_bids_v1_SealedBid b;
    uint8_t nonce[32];
    char id[40];
    seal_bid(w, "supplier", 100000, &b, nonce, id);
    tender_bids_v1_Receipt r;
    tender_bids_v1_Receipt_init(&r);
    tnd_op_arena_max = sizeof(tender_bids_v1_Receipt) + 64; /* the reply, not the receipt */
    assert_int_equal(scn_submit(&w->sup, &b, nonce, NULL, "oom-1", &r), TND_STATUS_UNAVAILABLE);
    tnd_op_arena_max = TND_OP_ARENA_MAX;
    assert_non_null(strstr(scn_msg, "receipt could not be built"));
    assert_null(r.bid_id); /* no receipt came */
    assert_int_equal(log_size(&w->anon), before + 1);
    tender_bids_v1_BidRef ref = {.tender_id = w->t.id, .bid_id = id, .owner_nonce = {nonce, 32}};
    tender_bids_v1_BidStatus bs;
    tender_bids_v1_BidStatus_init(&bs);
    assert_int_equal(scn_call(&w->sup, B(Status), &tender_bids_v1_BidRef_desc, &ref,
                              &tender_bids_v1_BidStatus_desc, &bs),
                     0);
    tender_bids_v1_BidStatus_free(&bs);
    /* The retry gets the whole receipt, and no second bid. */
    if (scn_submit(&w->sup, &b, nonce, NULL, "oom-1", &r) != 0)
        fail_msg("retried submit: %s", scn_msg);
    assert_string_equal(r.bid_id, id);
    assert_int_equal(r.leaf_index, before);
    assert_int_equal(r.tag_secret.len, 32);
    verify_receipt(&w->anon, &r);
    assert_int_equal(log_size(&w->anon), before + 1);
    tender_bids_v1_Receipt_free(&r);
    tender_bids_v1_SealedBid_free(&b);
}

#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_bids_are_taken_withdrawn_and_replaced_with_receipts),
        TEST(test_a_retried_submit_returns_the_same_receipt),
        TEST(test_a_forged_signature_is_refused),
        TEST(test_bids_checked_together_each_get_their_own_answer),
        TEST(test_a_bid_sealed_for_another_tender_is_refused),
        TEST(test_a_supplier_cannot_submit_another_suppliers_bid),
        TEST(test_a_bid_id_is_taken_once),
        TEST(test_a_bid_above_max_bid_bytes_is_refused),
        TEST(test_only_the_bidder_sees_its_bid_before_the_opening),
        TEST(test_nothing_is_published_before_the_opening),
        TEST(test_the_database_holds_no_plaintext_or_bidder_name),
        TEST(test_shares_before_the_opening_time_are_refused),
        TEST(test_no_bid_is_taken_after_the_deadline),
        TEST(test_k_member_shares_open_the_tender),
        TEST(test_the_record_lists_the_bids_in_force_and_why_one_failed),
        TEST(test_the_published_key_reopens_every_envelope),
        TEST(test_documents_stay_private_after_the_opening),
        TEST(test_an_early_receipt_still_verifies_after_the_opening),
        TEST(test_each_broken_validity_rule_opens_invalid_with_its_reason),
        TEST(test_documents_that_lie_about_their_list_are_not_served),
        TEST(test_a_tender_without_the_cap_takes_a_price_above_its_value),
        TEST(test_who_bid),
        TEST(test_out_of_memory),
    };
    return cmocka_run_group_tests_name("bids", tests, group_setup, group_teardown);
}
